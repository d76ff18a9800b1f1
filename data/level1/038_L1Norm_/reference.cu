// Sum over the block (blockDim.x a multiple of 32, <= 1024): warp shuffles, then one warp over the
// per-warp partials. Every thread gets the total.
__device__ float block_sum(float v) {
    __shared__ float sh[32];
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
    __syncthreads();
    if (threadIdx.x % 32 == 0) sh[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < blockDim.x / 32 ? sh[threadIdx.x] : 0.0f;
        for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
        if (threadIdx.x == 0) sh[0] = v;
    }
    __syncthreads();
    return sh[0];
}
__device__ float block_max(float v) {
    __shared__ float shm[32];
    for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
    __syncthreads();
    if (threadIdx.x % 32 == 0) shm[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < blockDim.x / 32 ? shm[threadIdx.x] : -__int_as_float(0x7f800000);
        for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
        if (threadIdx.x == 0) shm[0] = v;
    }
    __syncthreads();
    return shm[0];
}
// Reference: what PyTorch eager runs for x / torch.mean(torch.abs(x), dim=1, keepdim=True): abs (full
// tensor), a row reduction (one block per row), a broadcasting divide.
__global__ void abs_k(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = fabsf(x[i]);
}
__global__ void row_mean(const float* x, float* m, int dim) {
    const float* xr = x + (long)blockIdx.x * dim;
    float s = 0.0f;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) s += xr[j];
    s = block_sum(s);
    if (threadIdx.x == 0) m[blockIdx.x] = s / (float)dim;
}
__global__ void div_rows(const float* x, const float* m, float* y, int dim, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] / m[i / dim];
}
void forward(const float* x, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    float* a;
    float* m;
    cudaMalloc(&a, (size_t)n * sizeof(float));
    cudaMalloc(&m, (size_t)batch_size * sizeof(float));
    abs_k<<<(n + 255) / 256, 256>>>(x, a, n);
    row_mean<<<batch_size, 512>>>(a, m, dim);
    div_rows<<<(n + 255) / 256, 256>>>(x, m, out, dim, n);
    cudaFree(a);
    cudaFree(m);
}
