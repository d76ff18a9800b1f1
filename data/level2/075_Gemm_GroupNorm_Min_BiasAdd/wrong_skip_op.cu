// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain:
// group_norm(512 groups over dim 1, eps 1e-05) with affine gn_w, gn_b

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
    // min over dim 1 (keepdim)
    float* t2;
    cudaMalloc(&t2, (long)batch_size * sizeof(float));
    min_rows_kernel<<<(long)batch_size, 256>>>(t1, t2, (long)out_features);
    // + bias (shape (1, F, 1, 1) ~ randn; broadcast -> [1, F, B, 1])
    long n2 = (long)out_features * batch_size;
    add_t_kernel<<<(n2 + 255) / 256, 256>>>(t2, bias, out, n2, (long)batch_size, (long)batch_size);
    cudaFree(t1);
    cudaFree(t2);
}
