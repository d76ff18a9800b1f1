// Reference for L2/88 Gemm_GroupNorm_Swish_Multiply_Swish: what PyTorch eager runs. The GEMM runs
// in cuBLAS through kgrl_gemm (fp32, no TF32), then one kernel per following PyTorch op (eager does
// not fuse).

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

// y[m, f] = b[f]: the bias broadcast into the output, which the GEMM then accumulates into
// (beta = 1), as addmm does
__global__ void bias_rows_kernel(const float* b, float* y, long n, int F) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = b[i % F];
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

// y = x * multiply_weight[f] (multiply_weight (F,) ~ randn), one thread per element
__global__ void mul_multiply_weight_kernel(const float* x, const float* p_, float* y, long n, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[i % C];
    y[i] = v * p;
}

void forward(const float* x, const float* w, const float* b, const float* gn_w, const float* gn_b, const float* multiply_weight, float* out, int batch_size, int in_features, int out_features) {
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n1 = (long)batch_size * out_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    bias_rows_kernel<<<(n1 + 255) / 256, 256>>>(b, t1, n1, out_features);
    kgrl_gemm(0, 1, batch_size, out_features, in_features, 1.0f, x, in_features, w, in_features, 1.0f, t1, out_features);
    // group_norm(256 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    float* mean2;
    cudaMalloc(&mean2, batch_size * 256 * sizeof(float));
    float* rstd2;
    cudaMalloc(&rstd2, batch_size * 256 * sizeof(float));
    row_stats_kernel<<<batch_size * 256, 32>>>(t1, mean2, rstd2, (out_features / 256), 1e-05f);
    groupnorm_apply_kernel<<<(n1 + 255) / 256, 256>>>(t1, mean2, rstd2, gn_w, gn_b, t2, n1, (out_features / 256), 1, out_features);
    // sigmoid
    sigmoid_kernel<<<(n1 + 255) / 256, 256>>>(t2, t1, n1);
    // x * sigmoid(x)
    mul_t_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, t1, n1);
    // * multiply_weight[f] (multiply_weight (F,) ~ randn)
    mul_multiply_weight_kernel<<<(n1 + 255) / 256, 256>>>(t1, multiply_weight, t1, n1, out_features);
    // sigmoid
    sigmoid_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, n1);
    // x * sigmoid(x)
    mul_t_kernel<<<(n1 + 255) / 256, 256>>>(t2, t1, out, n1);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(mean2);
    cudaFree(rstd2);
}
