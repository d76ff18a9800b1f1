// CPU reference for L1/35 (GroupNorm_): two passes in double (mean, then biased variance).
static void cpu_ref_L1_035(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    const float *w = (const float *)io->ptr[1], *b = (const float *)io->ptr[2];
    float *y = (float *)io->ptr[3];
    long N = io->ival[4], C = io->ival[5], G = io->ival[6], HW = io->ival[7] * io->ival[8];
    double eps = (double)(float)io->dval[9];
    long nseg = N * G, L = (C / G) * HW;
    for (long g = 0; g < nseg; g++) {
        const float *xs = x + g * L;
        double s = 0.0, q = 0.0;
        for (long j = 0; j < L; j++) s += xs[j];
        double mean = s / (double)L;
        for (long j = 0; j < L; j++) { double d = xs[j] - mean; q += d * d; }
        double inv = 1.0 / sqrt(q / (double)L + eps);
        for (long j = 0; j < L; j++) {
            double v = (xs[j] - mean) * inv;
            long c = ((g * L + j) / HW) % C;
            v = v * w[c] + b[c];
            y[g * L + j] = (float)v;
        }
    }
    (void)C;
}
