// Reference for L2/51 Gemm_Subtract_GlobalAvgPool_LogSumExp_GELU_ResidualAdd: what PyTorch eager
// runs. The GEMM runs in cuBLAS through kgrl_gemm (fp32, no TF32), then one kernel per following
// PyTorch op (eager does not fuse).

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

__device__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Max over the block; lanes past the last warp reuse s[0] (any member is a neutral filler for max).
__device__ float block_max(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : s[0];
    return warp_max(v);
}

// y = x (x.clone(): PyTorch copies)
__global__ void copy_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i];
}

// y[m, f] = b[f]: the bias broadcast into the output, which the GEMM then accumulates into
// (beta = 1), as addmm does
__global__ void bias_rows_kernel(const float* b, float* y, long n, int F) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = b[i % F];
}

// y = x - subtract[f] (subtract (F,) ~ randn), one thread per element
__global__ void sub_subtract_kernel(const float* x, const float* p_, float* y, long n, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[i % C];
    y[i] = v - p;
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

// y[row] = logsumexp of the R contiguous elements of row `row`: one block per row, warp-shuffle
// block reduction
__global__ void lse_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float m = xr[0];
    for (long r = threadIdx.x; r < R; r += blockDim.x) m = fmaxf(m, xr[r]);
    m = block_max(m);
    float s = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) s += expf(xr[r] - m);
    s = block_sum(s);
    if (threadIdx.x == 0) y[blockIdx.x] = m + logf(s);
}

// y = x * (1 + erf(x / sqrt(2))) / 2 (exact GELU, PyTorch's default), one thread per element
__global__ void gelu_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
}

// y = x + original_x (the clone of the input, broadcast [B, 1] + [B, in_features]), one thread per element
__global__ void add_t_kernel(const float* x, const float* r_, float* y, long n, long inner) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i / inner];
    float r = r_[i];
    y[i] = v + r;
}

void forward(const float* x, const float* w, const float* b, const float* subtract, float* out, int batch_size, int in_features, int out_features) {
    // clone (saved for a residual)
    long n1 = (long)batch_size * in_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    copy_kernel<<<(n1 + 255) / 256, 256>>>(x, t1, n1);
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n2 = (long)batch_size * out_features;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    bias_rows_kernel<<<(n2 + 255) / 256, 256>>>(b, t2, n2, out_features);
    kgrl_gemm(0, 1, batch_size, out_features, in_features, 1.0f, x, in_features, w, in_features, 1.0f, t2, out_features);
    // - subtract[f] (subtract (F,) ~ randn)
    sub_subtract_kernel<<<(n2 + 255) / 256, 256>>>(t2, subtract, t2, n2, out_features);
    // mean over dim 1 (keepdim)
    float* t3;
    cudaMalloc(&t3, (long)batch_size * sizeof(float));
    mean_rows_kernel<<<(long)batch_size, 256>>>(t2, t3, (long)out_features);
    // logsumexp over dim 1 (size 1)
    lse_rows_kernel<<<(long)batch_size, 256>>>(t3, t2, 1);
    // gelu (exact, erf form)
    gelu_kernel<<<((long)batch_size + 255) / 256, 256>>>(t2, t2, (long)batch_size);
    // + original_x (the clone of the input, broadcast [B, 1] + [B, in_features])
    add_t_kernel<<<(n1 + 255) / 256, 256>>>(t2, t1, out, n1, (long)in_features);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(t3);
}
