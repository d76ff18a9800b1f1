// Fast solution for L2/44 ConvTranspose2d_Multiply_GlobalAvgPool_GlobalAvgPool_Mean. Everything is
// linear up to the mean, so the transposed convolution is never formed: with oh = 2*ih - 1 + kh
// only kh = 0 drops input rows (ih = 0), likewise kw = 0 drops column 0, so
//   out[n, co] = 0.5 * (b[co] + sum_{ci, kh, kw} w[ci, co, kh, kw] * S[n, ci, kh, kw] / (Ho * Wo))
// with S = plane total - (kh == 0) * row 0 - (kw == 0) * column 0 + (both) * x[0, 0]. One read of x
// (~67 MB at main size) replaces the cuDNN transposed convolution and its 0.5 GB output passes.

__device__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Sum over the block (blockDim.x a multiple of 32); every thread gets the result.
__device__ float block_sum(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0f;
    return warp_sum(v);
}

// part[plane * nchunk + chunk] = sum of the chunk-th slice of one H*W plane of x
__global__ void plane_partial_kernel(const float* x, float* part, long hw, int nchunk) {
    long plane = blockIdx.y;
    long len = (hw + nchunk - 1) / nchunk;
    long lo = blockIdx.x * len, hi = min(lo + len, hw);
    const float* xp = x + plane * hw;
    float acc = 0.0f;
    for (long i = lo + threadIdx.x; i < hi; i += blockDim.x) acc += xp[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) part[plane * nchunk + blockIdx.x] = acc;
}

// stats[plane] = {total, row 0 sum, column 0 sum, x[0, 0]}: one block per plane
__global__ void plane_stats_kernel(const float* x, const float* part, float* stats, int H, int W, int nchunk) {
    long plane = blockIdx.x;
    const float* xp = x + plane * (long)H * W;
    float r = 0.0f, c = 0.0f;
    for (int i = threadIdx.x; i < W; i += blockDim.x) r += xp[i];
    for (int i = threadIdx.x; i < H; i += blockDim.x) c += xp[(long)i * W];
    float t = 0.0f;
    for (int i = threadIdx.x; i < nchunk; i += blockDim.x) t += part[plane * nchunk + i];
    r = block_sum(r);
    c = block_sum(c);
    t = block_sum(t);
    if (threadIdx.x == 0) {
        stats[plane * 4 + 0] = t;
        stats[plane * 4 + 1] = r;
        stats[plane * 4 + 2] = c;
        stats[plane * 4 + 3] = xp[0];
    }
}

// out[n, co]: one thread per (n, co); w [Cin, Cout, 3, 3]
__global__ void combine_kernel(const float* stats, const float* w, const float* b, float* out, int N, int Cin, int Cout, float inv_area) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= N * Cout) return;
    int n = idx / Cout, co = idx % Cout;
    float acc = 0.0f;
    for (int ci = 0; ci < Cin; ci++) {
        const float* st = stats + ((long)n * Cin + ci) * 4;
        float t = st[0], r = st[1], c = st[2], x00 = st[3];
        float s_full = t, s_row = t - r, s_col = t - c, s_both = t - r - c + x00;
        const float* wk = w + ((long)ci * Cout + co) * 9;
        // kh = 0 row drops input row 0; kw = 0 column drops input column 0
        acc += wk[0] * s_both + (wk[1] + wk[2]) * s_row
             + (wk[3] + wk[6]) * s_col + (wk[4] + wk[5] + wk[7] + wk[8]) * s_full;
    }
    out[idx] = 0.5f * (b[co] + acc * inv_area);
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    long hw = (long)height * width;
    int planes = batch_size * in_channels;
    int nchunk = (int)((hw + 8191) / 8192);
    float* part;
    cudaMalloc(&part, ((long)planes * nchunk + (long)planes * 4) * sizeof(float));
    float* stats = part + (long)planes * nchunk;
    plane_partial_kernel<<<dim3(nchunk, planes), 256>>>(x, part, hw, nchunk);
    plane_stats_kernel<<<planes, 128>>>(x, part, stats, height, width, nchunk);
    int n = batch_size * out_channels;
    float inv_area = 1.0f / (float)(4 * hw);   // Ho * Wo = (2H) * (2W)
    combine_kernel<<<(n + 127) / 128, 128>>>(stats, conv_w, conv_b, out, batch_size, in_channels, out_channels, inv_area);
    cudaFree(part);
}
