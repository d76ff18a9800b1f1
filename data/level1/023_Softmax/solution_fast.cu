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

// Online softmax (Milakov & Gimelshein): one read pass keeps a running max and a rescaled sum per
// thread, merged across the block; the write pass re-reads the row (from L2). float4 when the row
// is 16-byte aligned. Two passes over the row instead of three.
__device__ __forceinline__ void online(float& m, float& s, float v) {
    if (v > m) { s = s * expf(m - v) + 1.0f; m = v; } else s += expf(v - m);
}
__global__ void softmax_online(const float* x, float* out, int dim) {
    const float* xr = x + (long)blockIdx.x * dim;
    float* yr = out + (long)blockIdx.x * dim;
    float m = -__int_as_float(0x7f800000), s = 0.0f;
    bool vec = dim % 4 == 0;
    if (vec) {
        for (int j = threadIdx.x; j < dim / 4; j += blockDim.x) {
            float4 v = ((const float4*)xr)[j];
            online(m, s, v.x); online(m, s, v.y); online(m, s, v.z); online(m, s, v.w);
        }
    } else {
        for (int j = threadIdx.x; j < dim; j += blockDim.x) online(m, s, xr[j]);
    }
    float M = block_max(m);
    float S = block_sum(m == -__int_as_float(0x7f800000) ? 0.0f : s * expf(m - M));
    float inv = 1.0f / S;
    if (vec) {
        for (int j = threadIdx.x; j < dim / 4; j += blockDim.x) {
            float4 v = ((const float4*)xr)[j];
            v.x = expf(v.x - M) * inv; v.y = expf(v.y - M) * inv; v.z = expf(v.z - M) * inv; v.w = expf(v.w - M) * inv;
            ((float4*)yr)[j] = v;
        }
    } else {
        for (int j = threadIdx.x; j < dim; j += blockDim.x) yr[j] = expf(xr[j] - M) * inv;
    }
}
void forward(const float* x, float* out, int batch_size, int dim) {
    softmax_online<<<batch_size, 512>>>(x, out, dim);
}
