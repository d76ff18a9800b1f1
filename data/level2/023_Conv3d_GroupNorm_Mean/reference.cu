// Reference for L2/23 Conv3d_GroupNorm_Mean: what PyTorch eager runs. The convolution runs in cuDNN
// through kgrl_conv (with its bias, as the module does), then one kernel per following PyTorch op
// (eager does not fuse).

// Sum of doubles over the block (norm statistics are accumulated in fp64: one row can hold
// millions of elements, and var = E[x^2] - mean^2 must not cancel).
__device__ double block_sum_d(double v) {
    __shared__ double s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();                      // s may still be read from a previous call
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0f;
    v = warp_sum(v);
    return v;
}

// Mean and 1/sqrt(var + eps) of each row of M contiguous elements (one (sample, group) of
// GroupNorm / one (sample, channel) of InstanceNorm): one block per row, fp64 sums, biased variance
__global__ void row_stats_kernel(const float* x, float* mean, float* rstd, long M, float eps) {
    const float* xr = x + blockIdx.x * M;
    double s = 0.0, q = 0.0;
    for (long j = threadIdx.x; j < M; j += blockDim.x) { double v = xr[j]; s += v; q += v * v; }
    s = block_sum_d(s);
    q = block_sum_d(q);
    if (threadIdx.x == 0) {
        double m = s / M, var = q / M - m * m;
        mean[blockIdx.x] = (float)m;
        rstd[blockIdx.x] = (float)(1.0 / sqrt(var + (double)eps));
    }
}

// y = (x - mean[row]) * rstd[row] * w[c] + b[c]; row = i / M (sample, group), c = (i / S) % C
__global__ void groupnorm_apply_kernel(const float* x, const float* mean, const float* rstd, const float* w, const float* b,
                     float* y, long n, long M, long S, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    long row = i / M;
    int c = (int)((i / S) % C);
    y[i] = (x[i] - mean[row]) * rstd[row] * w[c] + b[c];
}

// y[row] = mean of the R contiguous elements of row `row`: one block per row, warp-shuffle
// block reduction
__global__ void mean_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float acc = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) acc += xr[r];
    acc = block_sum(acc);
    if (threadIdx.x == 0) y[blockIdx.x] = acc / (float)R;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* gn_w, const float* gn_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = depth - 2;
    int Ho = height - 2;
    int Wo = width - 2;
    // conv3d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 0, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}, 1, x, conv_w, conv_b, t1);
    // group_norm(8 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    float* mean2;
    cudaMalloc(&mean2, batch_size * 8 * sizeof(float));
    float* rstd2;
    cudaMalloc(&rstd2, batch_size * 8 * sizeof(float));
    row_stats_kernel<<<batch_size * 8, 256>>>(t1, mean2, rstd2, (long)(out_channels / 8) * Do * Ho * Wo, 1e-05f);
    groupnorm_apply_kernel<<<(n1 + 255) / 256, 256>>>(t1, mean2, rstd2, gn_w, gn_b, t2, n1, (long)(out_channels / 8) * Do * Ho * Wo, (long)Do * Ho * Wo, out_channels);
    // mean over dims 1,2,3,4
    mean_rows_kernel<<<(long)batch_size, 256>>>(t2, out, (long)out_channels * Do * Ho * Wo);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(mean2);
    cudaFree(rstd2);
}
