// Fast solution for L2/98 Matmul_AvgPool_GELU_Scale_Max. The average pool over groups of 16 output
// features is linear, so it moves before the GEMM: pooling the rows of w (and b) first gives a
// [B, K] x [K, F/16] GEMM with 16x fewer flops (8.6 GFLOP at main size instead of 137), done by a
// register-tiled SGEMM (128x128 tiles, split over K, zero-padded inputs: no bounds checks); one kernel
// per row sums the K slices in a fixed order and does + pooled bias, gelu, * 2 and the row max.

#define BM 128
#define BN 128
#define BK 8

// dst[m, k] (Mp x Kp) = src[m, k] inside M x K, else 0
__global__ void pad_copy_kernel(const float* src, float* dst, int M, int K, int Mp, int Kp) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= (long)Mp * Kp) return;
    int m = (int)(i / Kp), k = (int)(i % Kp);
    dst[i] = (m < M && k < K) ? src[(long)m * K + k] : 0.0f;
}

// Bp[j, k] (Np x Kp) = mean of w[16j .. 16j+15, k] for j < Fp, k < K, else 0
__global__ void pool_rows_kernel(const float* w, float* Bp, int Fp, int K, int Np, int Kp) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= (long)Np * Kp) return;
    int j = (int)(i / Kp), k = (int)(i % Kp);
    float s = 0.0f;
    if (j < Fp && k < K) {
        const float* wr = w + (long)j * 16 * K + k;
#pragma unroll
        for (int r = 0; r < 16; r++) s += wr[(long)r * K];
        s *= 0.0625f;
    }
    Bp[i] = s;
}

// C[z, m, n] = sum over k in slice z of A[m, k] * B[n, k]; A [Mp, Kp], B [Np, Kp] (K contiguous),
// Mp, Np multiples of 128, Kp and kchunk multiples of 8. 256 threads, 8x8 outputs per thread.
__global__ void __launch_bounds__(256) sgemm_nt_kernel(const float* A, const float* B, float* C, int Mp, int Np, int Kp, int kchunk) {
    __shared__ __align__(16) float As[2][BK][BM + 4];
    __shared__ __align__(16) float Bs[2][BK][BN + 4];
    int tid = threadIdx.x;
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    int kbeg = blockIdx.z * kchunk, kend = min(kbeg + kchunk, Kp);
    int lrow = tid >> 1, lk = (tid & 1) * 4;   // each thread loads one float4 of A and one of B per tile
    const float* Ag = A + (long)(m0 + lrow) * Kp + lk;
    const float* Bg = B + (long)(n0 + lrow) * Kp + lk;
    int ty = tid >> 4, tx = tid & 15;
    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;
    float4 ra = *(const float4*)(Ag + kbeg), rb = *(const float4*)(Bg + kbeg);
    As[0][lk + 0][lrow] = ra.x; As[0][lk + 1][lrow] = ra.y; As[0][lk + 2][lrow] = ra.z; As[0][lk + 3][lrow] = ra.w;
    Bs[0][lk + 0][lrow] = rb.x; Bs[0][lk + 1][lrow] = rb.y; Bs[0][lk + 2][lrow] = rb.z; Bs[0][lk + 3][lrow] = rb.w;
    __syncthreads();
    int buf = 0;
    for (int k0 = kbeg; k0 < kend; k0 += BK) {
        bool more = k0 + BK < kend;
        if (more) {
            ra = *(const float4*)(Ag + k0 + BK);
            rb = *(const float4*)(Bg + k0 + BK);
        }
#pragma unroll
        for (int k = 0; k < BK; k++) {
            float4 a0 = *(const float4*)&As[buf][k][ty * 4];
            float4 a1 = *(const float4*)&As[buf][k][64 + ty * 4];
            float4 b0 = *(const float4*)&Bs[buf][k][tx * 4];
            float4 b1 = *(const float4*)&Bs[buf][k][64 + tx * 4];
            float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] += a[i] * b[j];
        }
        if (more) {
            int nb = buf ^ 1;
            As[nb][lk + 0][lrow] = ra.x; As[nb][lk + 1][lrow] = ra.y; As[nb][lk + 2][lrow] = ra.z; As[nb][lk + 3][lrow] = ra.w;
            Bs[nb][lk + 0][lrow] = rb.x; Bs[nb][lk + 1][lrow] = rb.y; Bs[nb][lk + 2][lrow] = rb.z; Bs[nb][lk + 3][lrow] = rb.w;
            __syncthreads();
            buf = nb;
        }
    }
    float* Cz = C + (long)blockIdx.z * Mp * Np;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int m = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        float* cr = Cz + (long)m * Np + n0;
        *(float4*)(cr + tx * 4) = make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
        *(float4*)(cr + 64 + tx * 4) = make_float4(acc[i][4], acc[i][5], acc[i][6], acc[i][7]);
    }
}

__device__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// out[m] = max_j 2 * gelu(sum_z C[z, m, j] + mean of b[16j .. 16j+15]): one block per row
__global__ void epilogue_kernel(const float* C, const float* b, float* out, int Mp, int Np, int Fp, int split) {
    __shared__ float s[32];
    int m = blockIdx.x;
    float best = (-__int_as_float(0x7f800000));
    for (int j = threadIdx.x; j < Fp; j += blockDim.x) {
        float v = 0.0f;
        for (int z = 0; z < split; z++) v += C[((long)z * Mp + m) * Np + j];
        float bs = 0.0f;
#pragma unroll
        for (int r = 0; r < 16; r++) bs += b[j * 16 + r];
        v += bs * 0.0625f;
        float g = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
        best = fmaxf(best, g * 2.0f);
    }
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    best = warp_max(best);
    if (lane == 0) s[wid] = best;
    __syncthreads();
    best = lane < nw ? s[lane] : (-__int_as_float(0x7f800000));
    best = warp_max(best);
    if (threadIdx.x == 0) out[m] = best;
}

void forward(const float* x, const float* w, const float* b, float* out, int batch_size, int in_features, int out_features) {
    int M = batch_size, K = in_features, Fp = out_features / 16;
    int Mp = (M + 127) / 128 * 128, Np = (Fp + 127) / 128 * 128, Kp = (K + 7) / 8 * 8;
    // split K so that the grid has ~2 blocks per SM
    int tiles = (Mp / 128) * (Np / 128);
    int split = (264 + tiles - 1) / tiles;
    int maxsplit = Kp / 256;
    if (split > maxsplit) split = maxsplit;
    if (split < 1) split = 1;
    int kchunk = (Kp + split - 1) / split;
    kchunk = (kchunk + 7) / 8 * 8;
    split = (Kp + kchunk - 1) / kchunk;
    float* Ap;
    long na = (long)Mp * Kp, nb = (long)Np * Kp, nc = (long)split * Mp * Np;
    cudaMalloc(&Ap, (na + nb + nc) * sizeof(float));
    float* Bp = Ap + na;
    float* C = Bp + nb;
    pad_copy_kernel<<<(na + 255) / 256, 256>>>(x, Ap, M, K, Mp, Kp);
    pool_rows_kernel<<<(nb + 255) / 256, 256>>>(w, Bp, Fp, K, Np, Kp);
    sgemm_nt_kernel<<<dim3(Np / 128, Mp / 128, split), 256>>>(Ap, Bp, C, Mp, Np, Kp, kchunk);
    epilogue_kernel<<<M, 256>>>(C, b, out, Mp, Np, Fp, split);
    cudaFree(Ap);
}
