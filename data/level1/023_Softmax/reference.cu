// Reference: what PyTorch eager runs: cunn_SoftMaxForward, one block per row, block reductions
// with warp shuffles.

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

// One block per row (PyTorch's cunn_SoftMaxForward): max pass, sum-of-exp pass, write pass.
__global__ void softmax_rows(const float* x, float* out, int dim) {
    const float* xr = x + (long)blockIdx.x * dim;
    float* yr = out + (long)blockIdx.x * dim;
    float m = -__int_as_float(0x7f800000);
    for (int j = threadIdx.x; j < dim; j += blockDim.x) m = fmaxf(m, xr[j]);
    m = block_max(m);
    float s = 0.0f;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) s += expf(xr[j] - m);
    s = block_sum(s);
    float inv = 1.0f / s;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) yr[j] = expf(xr[j] - m) * inv;
}
void forward(const float* x, float* out, int batch_size, int dim) {
    softmax_rows<<<batch_size, 512>>>(x, out, dim);
}
