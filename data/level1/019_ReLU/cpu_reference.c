// CPU reference for L1/19 (ReLU): plain loop in double.
static void cpu_ref_L1_019(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *out = (float *)io->ptr[1];
    long n = io->ival[2] * io->ival[3];
    for (long i = 0; i < n; i++) {
        double v = x[i];
        out[i] = (float)(v > 0 ? v : 0);
    }
}
