// Known-wrong variant (expected verdict: wrong_output): normalizes with the unbiased variance
// (divides by M - 1); PyTorch norms use the biased one. The outputs differ by a factor
// sqrt(M/(M-1)), far beyond tolerance at the smoke size

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

// y = x @ w^T + b with x [M, K], w [F, K]: 16x16 output tiles, the K loop staged through shared memory
// (w's tile is stored transposed with one column of padding, so the inner loop has no bank conflicts)
__global__ void linear_tiled_kernel(const float* x, const float* w, const float* b, float* y, int M, int F, int K) {
    __shared__ float xs[16][16], ws[16][17];
    int tx = threadIdx.x, ty = threadIdx.y;
    int m = blockIdx.y * 16 + ty, f = blockIdx.x * 16 + tx;
    int wrow = blockIdx.x * 16 + ty;      // the w row this thread stages
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += 16) {
        xs[ty][tx] = (m < M && k0 + tx < K) ? x[(long)m * K + k0 + tx] : 0.0f;
        ws[ty][tx] = (wrow < F && k0 + tx < K) ? w[(long)wrow * K + k0 + tx] : 0.0f;
        __syncthreads();
        for (int k = 0; k < 16; k++) acc += xs[ty][k] * ws[tx][k];
        __syncthreads();
    }
    if (m < M && f < F) y[(long)m * F + f] = acc + b[f];
}

// y = x + bias[f] (bias (F,) ~ randn), one thread per element
__global__ void add_bias_kernel(const float* x, const float* p_, float* y, long n, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[i % C];
    y[i] = v + p;
}

// y = clamp(x, -1, 1), one thread per element
__global__ void clamp_m1p01p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = fminf(fmaxf(v, -1.0f), 1.0f);
}

// y = x * tanh(log(1 + exp(x))) (Mish), one thread per element
__global__ void mish_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * tanhf(log1pf(expf(v)));
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
        double m = s / M, var = (q - s * m) / (M - 1);   // bug: unbiased variance
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

void forward(const float* x, const float* w, const float* b, const float* bias, const float* gn_w, const float* gn_b, float* out, int batch_size, int in_features, int out_features) {
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n1 = (long)batch_size * out_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    linear_tiled_kernel<<<dim3((out_features + 15) / 16, (batch_size + 15) / 16), dim3(16, 16)>>>(x, w, b, t1, batch_size, out_features, in_features);
    // + bias[f] (bias (F,) ~ randn)
    add_bias_kernel<<<(n1 + 255) / 256, 256>>>(t1, bias, t1, n1, out_features);
    // hardtanh(-1, 1)
    clamp_m1p01p0_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // mish
    mish_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // group_norm(256 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    float* mean5;
    cudaMalloc(&mean5, batch_size * 256 * sizeof(float));
    float* rstd5;
    cudaMalloc(&rstd5, batch_size * 256 * sizeof(float));
    row_stats_kernel<<<batch_size * 256, 32>>>(t1, mean5, rstd5, (out_features / 256), 1e-05f);
    groupnorm_apply_kernel<<<(n1 + 255) / 256, 256>>>(t1, mean5, rstd5, gn_w, gn_b, out, n1, (out_features / 256), 1, out_features);
    cudaFree(t1);
    cudaFree(mean5);
    cudaFree(rstd5);
}
