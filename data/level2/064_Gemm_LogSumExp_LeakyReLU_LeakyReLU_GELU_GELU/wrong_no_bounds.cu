// Known-wrong variant (expected verdict: wrong_output): the last kernel has no bounds check: the
// threads of the last block past n write into the bytes after `out` (the smoke output has 3
// elements, not a multiple of 256)

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

// y = x > 0 ? x : 0.01 * x (leaky_relu), one thread per element
__global__ void leaky_0p01_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = (v > 0.0f ? v : v * 0.01f);
}

// y = x * (1 + erf(x / sqrt(2))) / 2 (exact GELU, PyTorch's default), one thread per element
__global__ void gelu_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
}

void forward(const float* x, const float* w, const float* b, float* out, int batch_size, int in_features, int out_features) {
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n1 = (long)batch_size * out_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    linear_tiled_kernel<<<dim3((out_features + 15) / 16, (batch_size + 15) / 16), dim3(16, 16)>>>(x, w, b, t1, batch_size, out_features, in_features);
    // logsumexp over dim 1 (keepdim)
    float* t2;
    cudaMalloc(&t2, (long)batch_size * sizeof(float));
    lse_rows_kernel<<<(long)batch_size, 256>>>(t1, t2, (long)out_features);
    // leaky_relu(negative_slope=0.01)
    leaky_0p01_kernel<<<((long)batch_size + 255) / 256, 256>>>(t2, t2, (long)batch_size);
    // leaky_relu(negative_slope=0.01)
    leaky_0p01_kernel<<<((long)batch_size + 255) / 256, 256>>>(t2, t2, (long)batch_size);
    // gelu (exact, erf form)
    gelu_kernel<<<((long)batch_size + 255) / 256, 256>>>(t2, t2, (long)batch_size);
    // gelu (exact, erf form)
    gelu_kernel<<<((long)batch_size + 255) / 256, 256>>>(t2, out, (long)batch_size);
    cudaFree(t1);
    cudaFree(t2);
}
