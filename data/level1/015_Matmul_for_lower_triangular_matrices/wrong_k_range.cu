// Triangular product with the k range cut one short: for lower-triangular A and B, C[m][n] only
// needs k between min(m,n) and max(m,n); this sums k in [lo, hi) and misses k = hi.
__global__ void tri_wrong(const float* A, const float* B, float* C, int N) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= (long)N * N) return;
    int m = (int)(i / N), n = (int)(i % N);
    float acc = 0.0f;
    if (n <= m) {
        int lo = m < n ? m : n, hi = m < n ? n : m;
        for (int k = lo; k < hi; k++) acc += A[(long)m * N + k] * B[(long)k * N + n];
    }
    C[i] = acc;
}
void forward(const float* A, const float* B, float* C, int N) {
    long n = (long)N * N;
    tri_wrong<<<(n + 255) / 256, 256>>>(A, B, C, N);
}
