// CPU reference for L1/5: plain loop.
static void cpu_ref_L1_005(const kgrl_task_io *io) {
    const float *A = (const float *)io->ptr[0];
    float *C = (float *)io->ptr[1];
    long n = io->ival[2] * io->ival[3];
    float s = (float)io->dval[4];
    for (long i = 0; i < n; i++) C[i] = A[i] * s;
}
