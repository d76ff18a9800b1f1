// Fast solution for L2/51 Gemm_Subtract_GlobalAvgPool_LogSumExp_GELU_ResidualAdd. The mean over
// features of (x w^T + b - subtract) is linear in x, and logsumexp over the remaining dim of size 1
// is the identity:
//   g[m] = gelu((x[m] . s + sum_f (b[f] - subtract[f])) / F),   s[k] = sum_f w[f, k]
//   out[m, k] = x[m, k] + g[m]
// so the GEMM collapses into one pass over w (column sums), a matrix-vector product, and the
// residual add.

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

// s[k] = sum over f of w[f, k], w [F, K]: a 32x32 block owns 32 columns; its 32 rows of threads
// take every 32nd row of w, so each warp load is one coalesced 128-byte segment
__global__ void colsum_kernel(const float* w, float* s, int F, int K) {
    __shared__ float part[32][33];
    int k = blockIdx.x * 32 + threadIdx.x;
    float acc = 0.0f;
    if (k < K)
        for (int f = threadIdx.y; f < F; f += 32) acc += w[(long)f * K + k];
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && k < K) {
        for (int j = 1; j < 32; j++) acc += part[j][threadIdx.x];
        s[k] = acc;
    }
}

// c[0] = sum of (b[f] - subtract[f]): one block
__global__ void biassum_kernel(const float* b, const float* sub, float* c, int F) {
    float acc = 0.0f;
    for (int f = threadIdx.x; f < F; f += blockDim.x) acc += b[f] - sub[f];
    acc = block_sum(acc);
    if (threadIdx.x == 0) c[0] = acc;
}

// g[m] = gelu((x[m] . s + c[0]) / F) (exact erf GELU): one block per row
__global__ void rowmean_gelu_kernel(const float* x, const float* s, const float* c, float* g, int K, int F) {
    const float* xr = x + (long)blockIdx.x * K;
    float acc = 0.0f;
    for (int k = threadIdx.x; k < K; k += blockDim.x) acc += xr[k] * s[k];
    acc = block_sum(acc);
    if (threadIdx.x == 0) {
        float v = (acc + c[0]) / (float)F;
        g[blockIdx.x] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}

// out[m, k] = x[m, k] + g[m]
__global__ void residual_kernel(const float* x, const float* g, float* out, long n, int K) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = x[i] + g[i / K];
}

void forward(const float* x, const float* w, const float* b, const float* subtract, float* out, int batch_size, int in_features, int out_features) {
    float* s;
    cudaMalloc(&s, (in_features + 1 + batch_size) * sizeof(float));
    float* c = s + in_features;
    float* g = c + 1;
    colsum_kernel<<<(in_features + 31) / 32, dim3(32, 32)>>>(w, s, out_features, in_features);
    biassum_kernel<<<1, 1024>>>(b, subtract, c, out_features);
    rowmean_gelu_kernel<<<batch_size, 256>>>(x, s, c, g, in_features, out_features);
    long n = (long)batch_size * in_features;
    residual_kernel<<<(n + 255) / 256, 256>>>(x, g, out, n, in_features);
    cudaFree(s);
}
