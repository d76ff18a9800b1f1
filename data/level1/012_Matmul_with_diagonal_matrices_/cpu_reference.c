// CPU reference for L1/12: C[i, j] = A[i] * B[i, j].
static void cpu_ref_L1_012(const kgrl_task_io *io) {
    const float *A = (const float *)io->ptr[0], *B = (const float *)io->ptr[1];
    float *C = (float *)io->ptr[2];
    long N = io->ival[3], M = io->ival[4];
    for (long i = 0; i < N; i++) for (long j = 0; j < M; j++) C[i * M + j] = A[i] * B[i * M + j];
}
