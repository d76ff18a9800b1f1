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

// One block per channel: sum and sum of squared deviations in two passes, then the block writes
// the channel. Few blocks (one per channel), so slow at large sizes.
__global__ void bn_channel(const float* x, const float* w, const float* b, float* y, int N, int C, long HW, float eps) {
    int c = blockIdx.x;
    long cnt = (long)N * HW;
    float s = 0.0f;
    for (long j = threadIdx.x; j < cnt; j += blockDim.x) s += x[((j / HW) * C + c) * HW + j % HW];
    float mean = block_sum(s) / (float)cnt;
    float q = 0.0f;
    for (long j = threadIdx.x; j < cnt; j += blockDim.x) { float d = x[((j / HW) * C + c) * HW + j % HW] - mean; q += d * d; }
    float inv = rsqrtf(block_sum(q) / (float)cnt + eps);
    for (long j = threadIdx.x; j < cnt; j += blockDim.x) {
        long i = ((j / HW) * C + c) * HW + j % HW;
        y[i] = (x[i] - mean) * inv * w[c] + b[c];
    }
}
void forward(const float* x, const float* weight, const float* bias, float* out, int batch_size, int features, int dim1, int dim2, float eps) {
    bn_channel<<<features, 512>>>(x, weight, bias, out, batch_size, features, (long)dim1 * dim2, eps);
}
