// CPU reference for L1/88 (MinGPTNewGelu): the tanh approximation of GELU, in double.
static void cpu_ref_L1_088(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long n = io->ival[2] * io->ival[3];
    const double c = sqrt(2.0 / 3.14159265358979323846);
    for (long i = 0; i < n; i++) {
        double v = x[i];
        y[i] = (float)(0.5 * v * (1.0 + tanh(c * (v + 0.044715 * v * v * v))));
    }
}
