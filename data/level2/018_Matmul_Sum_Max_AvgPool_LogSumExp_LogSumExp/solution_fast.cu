// Fast solution for L2/18 Matmul_Sum_Max_AvgPool_LogSumExp_LogSumExp. After the sum over features
// the tensor is [B, 1], and max, mean and logsumexp over a dim of size 1 are identities
// (logsumexp of one value v is v + log(exp(0)) = v exactly). The sum of a Linear is linear:
//   out[m] = sum_f (x[m] . w[f] + b[f]) = x[m] . s + sum_f b[f],   s[k] = sum_f w[f, k]
// so the GEMM collapses into one pass over w (column sums) and a matrix-vector product.

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

// bsum[0] = sum of b[0..F): one block
__global__ void vecsum_kernel(const float* b, float* bsum, int F) {
    float acc = 0.0f;
    for (int f = threadIdx.x; f < F; f += blockDim.x) acc += b[f];
    acc = block_sum(acc);
    if (threadIdx.x == 0) bsum[0] = acc;
}

// out[m] = x[m] . s + bsum[0]: one block per row
__global__ void rowdot_kernel(const float* x, const float* s, const float* bsum, float* out, int K) {
    const float* xr = x + (long)blockIdx.x * K;
    float acc = 0.0f;
    for (int k = threadIdx.x; k < K; k += blockDim.x) acc += xr[k] * s[k];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[blockIdx.x] = acc + bsum[0];
}

void forward(const float* x, const float* w, const float* b, float* out, int batch_size, int in_features, int out_features) {
    float* s;
    cudaMalloc(&s, (in_features + 1) * sizeof(float));
    float* bsum = s + in_features;
    colsum_kernel<<<(in_features + 31) / 32, dim3(32, 32)>>>(w, s, out_features, in_features);
    vecsum_kernel<<<1, 1024>>>(b, bsum, out_features);
    rowdot_kernel<<<batch_size, 256>>>(x, s, bsum, out, in_features);
    cudaFree(s);
}
