// Simple solution for L2/97 Matmul_BatchNorm_BiasAdd_Divide_Swish: a 16x16 shared-memory tiled GEMM
// kernel instead of the library call, then one straightforward kernel per op of the chain. Correct,
// not fast.

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

// y = x + bias (shape (1,) ~ randn), one thread per element
__global__ void add_bias_kernel(const float* x, const float* p_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[0];
    y[i] = v + p;
}

// y = x / 1, one thread per element
__global__ void div_1p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v / 1.0f;
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

void forward(const float* x, const float* w, const float* b, const float* bn_w, const float* bn_b, const float* bias, float* out, int batch_size, int in_features, int out_features) {
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n1 = (long)batch_size * out_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    linear_tiled_kernel<<<dim3((out_features + 15) / 16, (batch_size + 15) / 16), dim3(16, 16)>>>(x, w, b, t1, batch_size, out_features, in_features);
    // batch_norm over dim 1 with batch statistics (training mode: KernelBench never calls .eval(); biased variance, eps 1e-05) and affine bn_w, bn_b
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    float* mean2;
    cudaMalloc(&mean2, out_features * sizeof(float));
    float* rstd2;
    cudaMalloc(&rstd2, out_features * sizeof(float));
    bn_stats_kernel<<<(out_features + 31) / 32, dim3(32, 8)>>>(t1, mean2, rstd2, batch_size, out_features, 1e-05f);
    bn_apply_kernel<<<(n1 + 255) / 256, 256>>>(t1, mean2, rstd2, bn_w, bn_b, t2, n1, 1, out_features);
    // + bias (shape (1,) ~ randn)
    add_bias_kernel<<<(n1 + 255) / 256, 256>>>(t2, bias, t2, n1);
    // / 1
    div_1p0_kernel<<<(n1 + 255) / 256, 256>>>(t2, t2, n1);
    // sigmoid
    sigmoid_kernel<<<(n1 + 255) / 256, 256>>>(t2, t1, n1);
    // x * sigmoid(x)
    mul_t_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, out, n1);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(mean2);
    cudaFree(rstd2);
}
