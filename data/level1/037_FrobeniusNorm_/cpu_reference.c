// CPU reference for L1/37 (FrobeniusNorm_): norm in double.
static void cpu_ref_L1_037(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long n = io->ival[2] * io->ival[3] * io->ival[4] * io->ival[5];
    double q = 0.0;
    for (long i = 0; i < n; i++) q += (double)x[i] * x[i];
    double nrm = sqrt(q);
    for (long i = 0; i < n; i++) y[i] = (float)(x[i] / nrm);
}
