// CPU reference for L1/11 (4D_tensor_matrix_multiplication): plain loops, double accumulation.
static void cpu_ref_L1_011(const kgrl_task_io *io) {
    const float *A = (const float *)io->ptr[0];
    const float *B = (const float *)io->ptr[1];
    float *C = (float *)io->ptr[2];
    long batch = 1, M = io->ival[3] * io->ival[4] * io->ival[5], K = io->ival[6], N = io->ival[7];
    for (long b = 0; b < batch; b++)
    for (long m = 0; m < M; m++)
    for (long n = 0; n < N; n++) {
        double s = 0.0;
        for (long k = 0; k < K; k++) {
            double a = 0 ? A[b * M * K + k * M + m] : A[b * M * K + m * K + k];
            double v = 0 ? B[b * 0 + n * K + k] : B[b * 0 + k * N + n];
            s += a * v;
        }
        C[(b * M + m) * N + n] = (float)s;
    }
}
