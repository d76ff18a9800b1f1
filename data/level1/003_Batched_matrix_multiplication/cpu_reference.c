// CPU reference for L1/3 (Batched_matrix_multiplication): plain loops, double accumulation.
static void cpu_ref_L1_003(const kgrl_task_io *io) {
    const float *A = (const float *)io->ptr[0];
    const float *B = (const float *)io->ptr[1];
    float *C = (float *)io->ptr[2];
    long batch = io->ival[3], M = io->ival[4], K = io->ival[5], N = io->ival[6];
    for (long b = 0; b < batch; b++)
    for (long m = 0; m < M; m++)
    for (long n = 0; n < N; n++) {
        double s = 0.0;
        for (long k = 0; k < K; k++) {
            double a = 0 ? A[b * M * K + k * M + m] : A[b * M * K + m * K + k];
            double v = 0 ? B[b * K * N + n * K + k] : B[b * K * N + k * N + n];
            s += a * v;
        }
        C[(b * M + m) * N + n] = (float)s;
    }
}
