// CPU reference for L1/94 (MSELoss): mean of (p - t)^2 over all elements, accumulated in double.
static void cpu_ref_L1_094(const kgrl_task_io *io) {
    const float *p = (const float *)io->ptr[0], *t = (const float *)io->ptr[1];
    float *out = (float *)io->ptr[2];
    long n = io->ival[3] * io->ival[4];
    double s = 0.0;
    for (long i = 0; i < n; i++) { double d = (double)p[i] - (double)t[i]; s += d * d; }
    out[0] = (float)(s / (double)n);
}
