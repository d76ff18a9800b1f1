// Reference for L2/19 ConvTranspose2d_GELU_GroupNorm: what PyTorch eager runs. The convolution runs
// in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel per following
// PyTorch op (eager does not fuse).

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

// y = x * (1 + erf(x / sqrt(2))) / 2 (exact GELU, PyTorch's default), one thread per element
__global__ void gelu_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
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

void forward(const float* x, const float* conv_w, const float* conv_b, const float* gn_w, const float* gn_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height + 2;
    int Wo = width + 2;
    // conv_transpose2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 1, batch_size, in_channels, out_channels, {height, width}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, x, conv_w, conv_b, t1);
    // gelu (exact, erf form)
    gelu_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // group_norm(8 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    float* mean3;
    cudaMalloc(&mean3, batch_size * 8 * sizeof(float));
    float* rstd3;
    cudaMalloc(&rstd3, batch_size * 8 * sizeof(float));
    row_stats_kernel<<<batch_size * 8, 256>>>(t1, mean3, rstd3, (long)(out_channels / 8) * Ho * Wo, 1e-05f);
    groupnorm_apply_kernel<<<(n1 + 255) / 256, 256>>>(t1, mean3, rstd3, gn_w, gn_b, out, n1, (long)(out_channels / 8) * Ho * Wo, (long)Ho * Wo, out_channels);
    cudaFree(t1);
    cudaFree(mean3);
    cudaFree(rstd3);
}
