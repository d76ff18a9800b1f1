// Reference for L2/60 ConvTranspose3d_Swish_GroupNorm_HardSwish: what PyTorch eager runs. The
// convolution runs in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel
// per following PyTorch op (eager does not fuse).

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

// y = 1 / (1 + exp(-x)), one thread per element
__global__ void sigmoid_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = 1.0f / (1.0f + expf(-v));
}

// y = x * sigmoid(x), one thread per element
__global__ void mul_t_kernel(const float* x, const float* r_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float r = r_[i];
    y[i] = v * r;
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

// y = x * clamp(x + 3, 0, 6) / 6 (HardSwish), one thread per element
__global__ void hardswish_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) / 6.0f;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* gn_w, const float* gn_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 1;
    int Ho = (height - 1) * 2 + 1;
    int Wo = (width - 1) * 2 + 1;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 1, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, 1, x, conv_w, conv_b, t1);
    // sigmoid
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    sigmoid_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, n1);
    // x * sigmoid(x)
    mul_t_kernel<<<(n1 + 255) / 256, 256>>>(t2, t1, t2, n1);
    // group_norm(4 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    float* mean4;
    cudaMalloc(&mean4, batch_size * 4 * sizeof(float));
    float* rstd4;
    cudaMalloc(&rstd4, batch_size * 4 * sizeof(float));
    row_stats_kernel<<<batch_size * 4, 256>>>(t2, mean4, rstd4, (long)(out_channels / 4) * Do * Ho * Wo, 1e-05f);
    groupnorm_apply_kernel<<<(n1 + 255) / 256, 256>>>(t2, mean4, rstd4, gn_w, gn_b, t1, n1, (long)(out_channels / 4) * Do * Ho * Wo, (long)Do * Ho * Wo, out_channels);
    // hardswish
    hardswish_kernel<<<(n1 + 255) / 256, 256>>>(t1, out, n1);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(mean4);
    cudaFree(rstd4);
}
