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

// One block per segment (contiguous run of seg_len elements): two-pass mean and variance, then write.
__global__ void seg_norm(const float* x, const float* w, const float* b, float* y, long seg_len, long HW, int C, int affine, float eps) {
    const float* xs = x + (long)blockIdx.x * seg_len;
    float* ys = y + (long)blockIdx.x * seg_len;
    float s = 0.0f;
    for (long j = threadIdx.x; j < seg_len; j += blockDim.x) s += xs[j];
    float mean = block_sum(s) / (float)seg_len;
    float q = 0.0f;
    for (long j = threadIdx.x; j < seg_len; j += blockDim.x) { float d = xs[j] - mean; q += d * d; }
    float inv = rsqrtf(block_sum(q) / (float)seg_len + eps);
    for (long j = threadIdx.x; j < seg_len; j += blockDim.x) {
        float v = (xs[j] - mean) * inv;
        if (affine) { int c = (int)(((long)blockIdx.x * seg_len + j) / HW % C); v = v * w[c] + b[c]; }
        ys[j] = v;
    }
}
void forward(const float* x, float* out, int batch_size, int features, int dim1, int dim2, float eps) {
    long HW = (long)dim1 * dim2;
    seg_norm<<<batch_size * features, 256>>>(x, x, x, out, HW, HW, features, 0, eps);
}
