// CPU reference for L1/38 (L1Norm_): row reduction in double.
static void cpu_ref_L1_038(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long B = io->ival[2], D = io->ival[3];
    for (long r = 0; r < B; r++) {
        double s = 0.0;
        for (long j = 0; j < D; j++) { double v = x[r * D + j]; s += fabs(v); }
        double d = s / (double)D;
        for (long j = 0; j < D; j++) y[r * D + j] = (float)(x[r * D + j] / d);
    }
}
