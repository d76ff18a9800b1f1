// CPU reference for L1/20 (LeakyReLU): plain loop in double.
static void cpu_ref_L1_020(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *out = (float *)io->ptr[1];
    long n = io->ival[2] * io->ival[3];
    double p = io->dval[4];
    (void)p;
    for (long i = 0; i < n; i++) {
        double v = x[i];
        out[i] = (float)(v > 0 ? v : (double)(float)p * v);
    }
}
