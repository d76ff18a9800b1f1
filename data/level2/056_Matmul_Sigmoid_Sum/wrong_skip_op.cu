// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain: sigmoid

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

// y[row] = sum of the R contiguous elements of row `row`: one block per row, warp-shuffle
// block reduction
__global__ void sum_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float acc = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) acc += xr[r];
    acc = block_sum(acc);
    if (threadIdx.x == 0) y[blockIdx.x] = acc;
}

void forward(const float* x, const float* w, const float* b, float* out, int batch_size, int input_size, int hidden_size) {
    // linear w (x @ w^T + b, input_size -> hidden_size features)
    long n1 = (long)batch_size * hidden_size;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    linear_tiled_kernel<<<dim3((hidden_size + 15) / 16, (batch_size + 15) / 16), dim3(16, 16)>>>(x, w, b, t1, batch_size, hidden_size, input_size);
    // sum over dim 1 (keepdim)
    sum_rows_kernel<<<(long)batch_size, 256>>>(t1, out, (long)hidden_size);
    cudaFree(t1);
}
