// Reference: what PyTorch eager runs for x / sqrt(mean(x ** 2, dim=1, keepdim=True) + eps): one kernel
// per op: pow (full tensor), mean over dim 1 (reduction, coalesced along H*W), add eps, sqrt, and a
// broadcasting divide. Eager materializes every intermediate.
__global__ void square_k(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) { float v = x[i]; y[i] = v * v; }
}
// mean over C of (N, C, HW): one thread per (n, s), consecutive threads on consecutive s
__global__ void mean_dim1(const float* x, float* m, int C, long HW, long nout) {
    long o = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (o >= nout) return;
    long n = o / HW, s = o % HW;
    float acc = 0.0f;
    for (int c = 0; c < C; c++) acc += x[(n * C + c) * HW + s];
    m[o] = acc / (float)C;
}
__global__ void add_scalar(const float* x, float* y, float a, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] + a;
}
__global__ void sqrt_k(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = sqrtf(x[i]);
}
__global__ void div_bcast_dim1(const float* x, const float* r, float* y, int C, long HW, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] / r[(i / ((long)C * HW)) * HW + i % HW];
}
void forward(const float* x, float* out, int batch_size, int features, int dim1, int dim2, float eps) {
    long HW = (long)dim1 * dim2, n = (long)batch_size * features * HW, nout = (long)batch_size * HW;
    float* sq;
    float* m;
    float* m2;
    cudaMalloc(&sq, (size_t)n * sizeof(float));
    cudaMalloc(&m, (size_t)nout * sizeof(float));
    cudaMalloc(&m2, (size_t)nout * sizeof(float));
    square_k<<<(n + 255) / 256, 256>>>(x, sq, n);
    mean_dim1<<<(nout + 255) / 256, 256>>>(sq, m, features, HW, nout);
    add_scalar<<<(nout + 255) / 256, 256>>>(m, m2, eps, nout);
    sqrt_k<<<(nout + 255) / 256, 256>>>(m2, m, nout);
    div_bcast_dim1<<<(n + 255) / 256, 256>>>(x, m, out, features, HW, n);
    cudaFree(sq);
    cudaFree(m);
    cudaFree(m2);
}
