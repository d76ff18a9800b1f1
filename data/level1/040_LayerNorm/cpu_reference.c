// CPU reference for L1/40 (LayerNorm): two passes in double.
static void cpu_ref_L1_040(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0], *w = (const float *)io->ptr[1], *b = (const float *)io->ptr[2];
    float *y = (float *)io->ptr[3];
    long B = io->ival[4], D = io->ival[5] * io->ival[6] * io->ival[7];
    double eps = (double)(float)io->dval[8];
    for (long r = 0; r < B; r++) {
        const float *xr = x + r * D;
        double s = 0.0, q = 0.0;
        for (long j = 0; j < D; j++) s += xr[j];
        double mean = s / (double)D;
        for (long j = 0; j < D; j++) { double d = xr[j] - mean; q += d * d; }
        double inv = 1.0 / sqrt(q / (double)D + eps);
        for (long j = 0; j < D; j++) y[r * D + j] = (float)((xr[j] - mean) * inv * w[j] + b[j]);
    }
}
