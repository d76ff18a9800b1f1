// Reference for L2/39 Gemm_Scale_BatchNorm: what PyTorch eager runs. The GEMM runs in cuBLAS
// through kgrl_gemm (fp32, no TF32), then one kernel per following PyTorch op (eager does not
// fuse).

// y[m, f] = b[f]: the bias broadcast into the output, which the GEMM then accumulates into
// (beta = 1), as addmm does
__global__ void bias_rows_kernel(const float* b, float* y, long n, int F) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = b[i % F];
}

// y = x * scale[f] (scale (F,) ~ randn), one thread per element
__global__ void mul_scale_kernel(const float* x, const float* p_, float* y, long n, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[i % C];
    y[i] = v * p;
}

// Batch statistics of x [B, F] per feature f (training-mode BatchNorm1d): a block holds 32
// features x 8 row groups, so each load of a warp is one coalesced 128-byte row segment; fp64 sums
__global__ void bn_stats_kernel(const float* x, float* mean, float* rstd, int B, int F, float eps) {
    __shared__ double ss[8][32], sq[8][32];
    int f = blockIdx.x * 32 + threadIdx.x;
    double s = 0.0, q = 0.0;
    if (f < F)
        for (int r = threadIdx.y; r < B; r += 8) { double v = x[(long)r * F + f]; s += v; q += v * v; }
    ss[threadIdx.y][threadIdx.x] = s;
    sq[threadIdx.y][threadIdx.x] = q;
    __syncthreads();
    if (threadIdx.y == 0 && f < F) {
        for (int k = 1; k < 8; k++) { s += ss[k][threadIdx.x]; q += sq[k][threadIdx.x]; }
        double m = s / B, var = q / B - m * m;   // biased variance, as BatchNorm normalizes with
        mean[f] = (float)m;
        rstd[f] = (float)(1.0 / sqrt(var + (double)eps));
    }
}

// y = (x - mean[c]) * rstd[c] * w[c] + b[c], c = (i / inner) % C
__global__ void bn_apply_kernel(const float* x, const float* mean, const float* rstd, const float* w, const float* b,
                     float* y, long n, long inner, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    int c = (int)((i / inner) % C);
    y[i] = (x[i] - mean[c]) * rstd[c] * w[c] + b[c];
}

void forward(const float* x, const float* w, const float* b, const float* scale, const float* bn_w, const float* bn_b, float* out, int batch_size, int in_features, int out_features) {
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n1 = (long)batch_size * out_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    bias_rows_kernel<<<(n1 + 255) / 256, 256>>>(b, t1, n1, out_features);
    kgrl_gemm(0, 1, batch_size, out_features, in_features, 1.0f, x, in_features, w, in_features, 1.0f, t1, out_features);
    // * scale[f] (scale (F,) ~ randn)
    mul_scale_kernel<<<(n1 + 255) / 256, 256>>>(t1, scale, t1, n1, out_features);
    // batch_norm over dim 1 with batch statistics (training mode: KernelBench never calls .eval(); biased variance, eps 1e-05) and affine bn_w, bn_b
    float* mean3;
    cudaMalloc(&mean3, out_features * sizeof(float));
    float* rstd3;
    cudaMalloc(&rstd3, out_features * sizeof(float));
    bn_stats_kernel<<<(out_features + 31) / 32, dim3(32, 8)>>>(t1, mean3, rstd3, batch_size, out_features, 1e-05f);
    bn_apply_kernel<<<(n1 + 255) / 256, 256>>>(t1, mean3, rstd3, bn_w, bn_b, out, n1, 1, out_features);
    cudaFree(t1);
    cudaFree(mean3);
    cudaFree(rstd3);
}
