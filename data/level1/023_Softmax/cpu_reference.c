// CPU reference for L1/23 (Softmax): double precision, max-subtracted.
static void cpu_ref_L1_023(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *out = (float *)io->ptr[1];
    long B = io->ival[2], D = io->ival[3];
    for (long r = 0; r < B; r++) {
        double m = -INFINITY, s = 0.0;
        for (long j = 0; j < D; j++) m = fmax(m, (double)x[r * D + j]);
        for (long j = 0; j < D; j++) s += exp((double)x[r * D + j] - m);
        for (long j = 0; j < D; j++) {
            double v = x[r * D + j];
            out[r * D + j] = (float)(exp(v - m) / s);
        }
    }
}
