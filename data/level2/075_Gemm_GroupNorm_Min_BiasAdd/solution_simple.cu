// Simple solution for L2/75 Gemm_GroupNorm_Min_BiasAdd: a 16x16 shared-memory tiled GEMM kernel
// instead of the library call, then one straightforward kernel per op of the chain. Correct, not
// fast.

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

__device__ float warp_min(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fminf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Min over the block; lanes past the last warp reuse s[0] (a neutral filler for min).
__device__ float block_min(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_min(v);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : s[0];
    return warp_min(v);
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

// y[row] = min of the R contiguous elements of row `row`: one block per row, warp-shuffle
// block reduction
__global__ void min_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float acc = xr[0];
    for (long r = threadIdx.x; r < R; r += blockDim.x) acc = fminf(acc, xr[r]);
    acc = block_min(acc);
    if (threadIdx.x == 0) y[blockIdx.x] = acc;
}

// y = x + bias (shape (1, F, 1, 1) ~ randn; broadcast -> [1, F, B, 1]), one thread per element
__global__ void add_t_kernel(const float* x, const float* r_, float* y, long n, long M, long r_inner) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i % M];
    float r = r_[i / r_inner];
    y[i] = v + r;
}

void forward(const float* x, const float* w, const float* b, const float* gn_w, const float* gn_b, const float* bias, float* out, int batch_size, int in_features, int out_features) {
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n1 = (long)batch_size * out_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    linear_tiled_kernel<<<dim3((out_features + 15) / 16, (batch_size + 15) / 16), dim3(16, 16)>>>(x, w, b, t1, batch_size, out_features, in_features);
    // group_norm(512 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    float* mean2;
    cudaMalloc(&mean2, batch_size * 512 * sizeof(float));
    float* rstd2;
    cudaMalloc(&rstd2, batch_size * 512 * sizeof(float));
    row_stats_kernel<<<batch_size * 512, 32>>>(t1, mean2, rstd2, (out_features / 512), 1e-05f);
    groupnorm_apply_kernel<<<(n1 + 255) / 256, 256>>>(t1, mean2, rstd2, gn_w, gn_b, t2, n1, (out_features / 512), 1, out_features);
    // min over dim 1 (keepdim)
    min_rows_kernel<<<(long)batch_size, 256>>>(t2, t1, (long)out_features);
    // + bias (shape (1, F, 1, 1) ~ randn; broadcast -> [1, F, B, 1])
    long n2 = (long)out_features * batch_size;
    add_t_kernel<<<(n2 + 255) / 256, 256>>>(t1, bias, out, n2, (long)batch_size, (long)batch_size);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(mean2);
    cudaFree(rstd2);
}
