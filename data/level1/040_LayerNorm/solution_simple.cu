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

// One block per row, two-pass mean and variance, then the row is written.
__global__ void ln_simple(const float* x, const float* w, const float* b, float* y, long D, float eps) {
    const float* xr = x + (long)blockIdx.x * D;
    float* yr = y + (long)blockIdx.x * D;
    float s = 0.0f;
    for (long j = threadIdx.x; j < D; j += blockDim.x) s += xr[j];
    float mean = block_sum(s) / (float)D;
    float q = 0.0f;
    for (long j = threadIdx.x; j < D; j += blockDim.x) { float d = xr[j] - mean; q += d * d; }
    float inv = rsqrtf(block_sum(q) / (float)D + eps);
    for (long j = threadIdx.x; j < D; j += blockDim.x) yr[j] = (xr[j] - mean) * inv * w[j] + b[j];
}
void forward(const float* x, const float* weight, const float* bias, float* out, int batch_size, int features, int dim1, int dim2, float eps) {
    ln_simple<<<batch_size, 1024>>>(x, weight, bias, out, (long)features * dim1 * dim2, eps);
}
