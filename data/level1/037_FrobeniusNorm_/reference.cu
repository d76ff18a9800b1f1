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
// Reference: what PyTorch eager runs for x / torch.norm(x, p='fro'): a full reduction (per-block
// partial sums of squares, then a final block: sqrt), then a broadcasting divide.
__global__ void sumsq_partial(const float* x, float* part, long n) {
    float s = 0.0f;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) { float v = x[i]; s += v * v; }
    s = block_sum(s);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}
__global__ void sqrt_total(const float* part, float* norm, int nparts) {
    float s = 0.0f;
    for (int i = threadIdx.x; i < nparts; i += blockDim.x) s += part[i];
    s = block_sum(s);
    if (threadIdx.x == 0) norm[0] = sqrtf(s);
}
__global__ void div_scalar(const float* x, const float* norm, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] / norm[0];
}
void forward(const float* x, float* out, int batch_size, int features, int dim1, int dim2) {
    long n = (long)batch_size * features * dim1 * dim2;
    int nparts = 1024;
    float* part;
    float* norm;
    cudaMalloc(&part, (size_t)nparts * sizeof(float));
    cudaMalloc(&norm, sizeof(float));
    sumsq_partial<<<nparts, 512>>>(x, part, n);
    sqrt_total<<<1, 1024>>>(part, norm, nparts);
    div_scalar<<<(n + 255) / 256, 256>>>(x, norm, out, n);
    cudaFree(part);
    cudaFree(norm);
}
