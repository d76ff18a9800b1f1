// CPU reference for L1/27 (SELU_): plain loop in double.
static void cpu_ref_L1_027(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *out = (float *)io->ptr[1];
    long n = io->ival[2] * io->ival[3];
    for (long i = 0; i < n; i++) {
        double v = x[i];
        out[i] = (float)((v > 0 ? 1.0507009873554805 * v : 1.0507009873554805 * 1.6732632423543772 * expm1(v)));
    }
}
