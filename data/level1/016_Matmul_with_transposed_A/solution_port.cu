// One thread per (b, m, n), the loop body as the plain C reference has it.
__global__ void port_kernel(const float* A, const float* B, float* C, long M, long K, long N) {
    long batch = 1;
    long port_i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (port_i >= (batch) * (M) * (N)) return;
    long n = port_i % (N);
    port_i /= (N);
    long m = port_i % (M);
    port_i /= (M);
    long b = port_i;
    double s = 0.0;
    for (long k = 0; k < K; k++) {
        double a = 1 ? A[b * M * K + k * M + m] : A[b * M * K + m * K + k];
        double v = 0 ? B[b * K * N + n * K + k] : B[b * K * N + k * N + n];
        s += a * v;
    }
    C[(b * M + m) * N + n] = (float)s;
}
void forward(const float* A, const float* B, float* C, int M, int K, int N) {
    long batch = 1;
    long port_n = (batch) * (M) * (N);
    port_kernel<<<(port_n + 255) / 256, 256>>>(A, B, C, M, K, N);
}
