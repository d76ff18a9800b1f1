// CPU reference for L1/33 (BatchNorm): two passes in double (mean, then biased variance).
static void cpu_ref_L1_033(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0], *w = (const float *)io->ptr[1], *b = (const float *)io->ptr[2];
    float *y = (float *)io->ptr[3];
    long N = io->ival[4], C = io->ival[5], HW = io->ival[6] * io->ival[7];
    double eps = (double)(float)io->dval[8];
    for (long c = 0; c < C; c++) {
        double s = 0.0, q = 0.0;
        for (long n = 0; n < N; n++) for (long j = 0; j < HW; j++) s += x[(n * C + c) * HW + j];
        double mean = s / (double)(N * HW);
        for (long n = 0; n < N; n++) for (long j = 0; j < HW; j++) { double d = x[(n * C + c) * HW + j] - mean; q += d * d; }
        double inv = 1.0 / sqrt(q / (double)(N * HW) + eps);
        for (long n = 0; n < N; n++) for (long j = 0; j < HW; j++) {
            long i = (n * C + c) * HW + j;
            y[i] = (float)((x[i] - mean) * inv * w[c] + b[c]);
        }
    }
}
