// CPU reference for L1/34 (InstanceNorm): two passes in double (mean, then biased variance).
static void cpu_ref_L1_034(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long N = io->ival[2], C = io->ival[3], HW = io->ival[4] * io->ival[5];
    double eps = (double)(float)io->dval[6];
    long nseg = N * C, L = HW;
    for (long g = 0; g < nseg; g++) {
        const float *xs = x + g * L;
        double s = 0.0, q = 0.0;
        for (long j = 0; j < L; j++) s += xs[j];
        double mean = s / (double)L;
        for (long j = 0; j < L; j++) { double d = xs[j] - mean; q += d * d; }
        double inv = 1.0 / sqrt(q / (double)L + eps);
        for (long j = 0; j < L; j++) {
            double v = (xs[j] - mean) * inv;
            y[g * L + j] = (float)v;
        }
    }
    (void)C;
}
