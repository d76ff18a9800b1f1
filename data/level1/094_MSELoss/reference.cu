// Reference: eager PyTorch runs torch.mean((predictions - targets) ** 2) as three kernels: sub, pow 2
// (square), and the mean reduction. Mirrored here (the mean as two small passes).
// Block sum with warp shuffles; blockDim.x a multiple of 32 (<= 1024). The result is valid in thread 0.
__device__ float block_sum(float v) {
    __shared__ float ws[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) ws[warp] = v;
    __syncthreads();
    v = threadIdx.x < (blockDim.x >> 5) ? ws[threadIdx.x] : 0.0f;
    if (warp == 0)
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Pass 1 of a sum: each block writes the sum of its grid-stride slice of x to partial[blockIdx.x].
__global__ void sum_partial(const float* x, long n, float* partial) {
    float acc = 0.0f;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) acc += x[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
// Pass 2: one block adds the partials; out[0] = total * scale (scale = 1/count for a mean).
__global__ void sum_final(const float* partial, int np, float* out, float scale) {
    float acc = 0.0f;
    for (int i = threadIdx.x; i < np; i += blockDim.x) acc += partial[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[0] = acc * scale;
}

__global__ void sub_k(const float* a, const float* b, float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) y[i] = a[i] - b[i];
}
__global__ void square_k(const float* a, float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) { float v = a[i]; y[i] = v * v; }
}

void forward(const float* predictions, const float* targets, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    long b = (n + 255) / 256;
    if (b > 65536) b = 65536;
    float* d; float* sq; float* partial;
    cudaMalloc(&d, n * sizeof(float));
    cudaMalloc(&sq, n * sizeof(float));
    cudaMalloc(&partial, 1024 * sizeof(float));
    sub_k<<<b, 256>>>(predictions, targets, d, n);
    square_k<<<b, 256>>>(d, sq, n);
    sum_partial<<<1024, 512>>>(sq, n, partial);
    sum_final<<<1, 1024>>>(partial, 1024, out, 1.0f / (float)n);
    cudaFree(d);
    cudaFree(sq);
    cudaFree(partial);
}
