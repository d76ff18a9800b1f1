// Reference: eager PyTorch runs F.cross_entropy(predictions, targets) as log_softmax (one kernel, one
// block per row, writing the full (batch_size, num_classes) log-probabilities) then nll_loss (a single-block
// kernel that gathers -logp[r, targets[r]] and averages). Mirrored here.
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

// Block max, same shape as block_sum; result valid in every thread (broadcast through shared memory).
__device__ float block_max_all(float v) {
    __shared__ float wm[32];
    __shared__ float res;
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) wm[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (int)(blockDim.x >> 5) ? wm[lane] : __int_as_float(0xff800000);
        for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
        if (lane == 0) res = v;
    }
    __syncthreads();
    return res;
}

// logp (N, C) = x - max - log(sum exp(x - max)), one block per row
__global__ void log_softmax_rows(const float* x, float* logp, long C) {
    __shared__ float total;
    const float* xr = x + (long)blockIdx.x * C;
    float* yr = logp + (long)blockIdx.x * C;
    float m = __int_as_float(0xff800000);
    for (long j = threadIdx.x; j < C; j += blockDim.x) m = fmaxf(m, xr[j]);
    m = block_max_all(m);
    float s = 0.0f;
    for (long j = threadIdx.x; j < C; j += blockDim.x) s += expf(xr[j] - m);
    s = block_sum(s);
    if (threadIdx.x == 0) total = s;
    __syncthreads();
    float lse = m + logf(total);
    for (long j = threadIdx.x; j < C; j += blockDim.x) yr[j] = xr[j] - lse;
}

// out[0] = -mean_r logp[r, targets[r]]; one block
__global__ void nll_mean(const float* logp, const long long* targets, float* out, long N, long C) {
    float acc = 0.0f;
    for (long r = threadIdx.x; r < N; r += blockDim.x) acc -= logp[r * C + targets[r]];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[0] = acc / (float)N;
}

void forward(const float* predictions, const long long* targets, float* out, int batch_size, int num_classes) {
    float* logp;
    cudaMalloc(&logp, (size_t)batch_size * num_classes * sizeof(float));
    log_softmax_rows<<<batch_size, 512>>>(predictions, logp, num_classes);
    nll_mean<<<1, 1024>>>(logp, targets, out, batch_size, num_classes);
    cudaFree(logp);
}
