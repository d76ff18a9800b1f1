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

// One block per row: reduce, then the same block writes the row (the row is re-read from L2).
__global__ void row_normalize(const float* x, float* y, int dim) {
    const float* xr = x + (long)blockIdx.x * dim;
    float* yr = y + (long)blockIdx.x * dim;
    float s = 0.0f;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) { float v = xr[j]; s += fabsf(v); }
    s = block_sum(s);
    float d = s;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) yr[j] = xr[j] / d;
}
void forward(const float* x, float* out, int batch_size, int dim) {
    row_normalize<<<batch_size, 1024>>>(x, out, dim);
}
