// CPU reference for L1/96 (HuberLoss = smooth L1, beta 1, mean), accumulated in double.
static void cpu_ref_L1_096(const kgrl_task_io *io) {
    const float *p = (const float *)io->ptr[0], *t = (const float *)io->ptr[1];
    float *out = (float *)io->ptr[2];
    long n = io->ival[3] * io->ival[4];
    double s = 0.0;
    for (long i = 0; i < n; i++) {
        double d = fabs((double)p[i] - (double)t[i]);
        s += d < 1.0 ? 0.5 * d * d : d - 0.5;
    }
    out[0] = (float)(s / (double)n);
}
