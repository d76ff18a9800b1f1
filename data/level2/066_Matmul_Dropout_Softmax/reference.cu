// Reference for L2/66 Matmul_Dropout_Softmax: what PyTorch eager runs. The GEMM runs in cuBLAS
// through kgrl_gemm (fp32, no TF32), then one kernel per following PyTorch op (eager does not
// fuse).

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

// y[m, f] = b[f]: the bias broadcast into the output, which the GEMM then accumulates into
// (beta = 1), as addmm does
__global__ void bias_rows_kernel(const float* b, float* y, long n, int F) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = b[i % F];
}

// softmax of each row of R contiguous elements: one block per row; max, sum of exp, write
__global__ void softmax_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float* yr = y + blockIdx.x * R;
    float m = xr[0];
    for (long r = threadIdx.x; r < R; r += blockDim.x) m = fmaxf(m, xr[r]);
    m = block_max(m);
    float s = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) s += expf(xr[r] - m);
    s = block_sum(s);
    float inv = 1.0f / s;
    for (long r = threadIdx.x; r < R; r += blockDim.x) yr[r] = expf(xr[r] - m) * inv;
}

void forward(const float* x, const float* w, const float* b, float* out, int batch_size, int in_features, int out_features) {
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n1 = (long)batch_size * out_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    bias_rows_kernel<<<(n1 + 255) / 256, 256>>>(b, t1, n1, out_features);
    kgrl_gemm(0, 1, batch_size, out_features, in_features, 1.0f, x, in_features, w, in_features, 1.0f, t1, out_features);
    // softmax over dim 1
    softmax_rows_kernel<<<(long)batch_size, 256>>>(t1, out, (long)out_features);
    cudaFree(t1);
}
