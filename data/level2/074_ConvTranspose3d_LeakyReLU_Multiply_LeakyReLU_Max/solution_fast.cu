// Fast solution for L2/74 ConvTranspose3d_LeakyReLU_Multiply_LeakyReLU_Max. The 2x2x2 pool window at
// cell t is the stride-2 transposed conv's output pair (2t, 2t+1) per dim, which reads only inputs
// (t, t+1) (t+1 = D absent: output padding 1). One thread per pooled cell forms the 8 outputs x 32
// channels (weights broadcast from shared memory), applies leaky_relu, * multiplier, leaky_relu, takes
// the max: one store per pooled value instead of a 0.27 GB conv output + 4 passes.

#define CO 32    // output channels per thread (out_channels <= 32)

__device__ __forceinline__ float leaky(float v) { return v > 0.0f ? v : v * 0.2f; }

// one output parity (PD, PH, PW) of the cell: conv for all CO channels, chain, running max
template <int PD, int PH, int PW>
__device__ __forceinline__ void cell_parity(const float* xn, int Cin, long dhw, int H, int W, int td, int th, int tw,
                                            bool vd, bool vh, bool vw, const float* ws, const float* bs, const float* ms,
                                            float (&mx)[CO]) {
    float acc[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) acc[j] = bs[j];
    for (int ci = 0; ci < Cin; ci++) {
        const float* xc = xn + (long)ci * dhw;
        const float* wc = ws + ci * 27 * CO;
#pragma unroll
        for (int i = 0; i < (PD ? 2 : 1); i++)
#pragma unroll
            for (int j = 0; j < (PH ? 2 : 1); j++)
#pragma unroll
                for (int l = 0; l < (PW ? 2 : 1); l++) {
                    // parity 0: tap 1 at offset 0; parity 1: tap 0 at offset 1, tap 2 at offset 0
                    int ad = PD ? (i == 0 ? 1 : 0) : 0, kd = PD ? (i == 0 ? 0 : 2) : 1;
                    int ah = PH ? (j == 0 ? 1 : 0) : 0, kh = PH ? (j == 0 ? 0 : 2) : 1;
                    int aw = PW ? (l == 0 ? 1 : 0) : 0, kw = PW ? (l == 0 ? 0 : 2) : 1;
                    bool ok = (!ad || vd) && (!ah || vh) && (!aw || vw);
                    float v = ok ? xc[((long)(td + ad) * H + th + ah) * W + tw + aw] : 0.0f;
                    const float4* wt = (const float4*)(wc + (kd * 9 + kh * 3 + kw) * CO);
#pragma unroll
                    for (int q = 0; q < CO / 4; q++) {
                        float4 w4 = wt[q];
                        acc[4 * q] += v * w4.x;
                        acc[4 * q + 1] += v * w4.y;
                        acc[4 * q + 2] += v * w4.z;
                        acc[4 * q + 3] += v * w4.w;
                    }
                }
    }
#pragma unroll
    for (int j = 0; j < CO; j++) mx[j] = fmaxf(mx[j], leaky(leaky(acc[j]) * ms[j]));
}

// one thread per pooled cell (n, td, th, tw) = input position; out [N, Cout, D, H, W]
__global__ void __launch_bounds__(128) convt_pool_kernel(const float* x, const float* w, const float* b, const float* mult, float* out,
                                                          int N, int Cin, int Cout, int D, int H, int W) {
    extern __shared__ __align__(16) float ws[];   // [(ci*27 + tap)*CO + co]
    __shared__ __align__(16) float bs[CO];
    __shared__ float ms[CO];
    for (int i = threadIdx.x; i < Cin * 27 * CO; i += blockDim.x) {
        int co = i % CO, t = i / CO, ci = t / 27, tap = t % 27;
        ws[i] = co < Cout ? w[((long)ci * Cout + co) * 27 + tap] : 0.0f;
    }
    if (threadIdx.x < CO) {
        bs[threadIdx.x] = threadIdx.x < Cout ? b[threadIdx.x] : 0.0f;
        ms[threadIdx.x] = threadIdx.x < Cout ? mult[threadIdx.x] : 0.0f;
    }
    __syncthreads();
    long dhw = (long)D * H * W;
    long c = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (c >= (long)N * dhw) return;
    int n = (int)(c / dhw);
    long cc = c - (long)n * dhw;
    int tw = (int)(cc % W), th = (int)((cc / W) % H), td = (int)(cc / ((long)W * H));
    bool vd = td + 1 < D, vh = th + 1 < H, vw = tw + 1 < W;
    const float* xn = x + (long)n * Cin * dhw;
    float mx[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) mx[j] = (-__int_as_float(0x7f800000));
    cell_parity<0, 0, 0>(xn, Cin, dhw, H, W, td, th, tw, vd, vh, vw, ws, bs, ms, mx);
    cell_parity<0, 0, 1>(xn, Cin, dhw, H, W, td, th, tw, vd, vh, vw, ws, bs, ms, mx);
    cell_parity<0, 1, 0>(xn, Cin, dhw, H, W, td, th, tw, vd, vh, vw, ws, bs, ms, mx);
    cell_parity<0, 1, 1>(xn, Cin, dhw, H, W, td, th, tw, vd, vh, vw, ws, bs, ms, mx);
    cell_parity<1, 0, 0>(xn, Cin, dhw, H, W, td, th, tw, vd, vh, vw, ws, bs, ms, mx);
    cell_parity<1, 0, 1>(xn, Cin, dhw, H, W, td, th, tw, vd, vh, vw, ws, bs, ms, mx);
    cell_parity<1, 1, 0>(xn, Cin, dhw, H, W, td, th, tw, vd, vh, vw, ws, bs, ms, mx);
    cell_parity<1, 1, 1>(xn, Cin, dhw, H, W, td, th, tw, vd, vh, vw, ws, bs, ms, mx);
    float* o = out + (long)n * Cout * dhw + cc;
#pragma unroll
    for (int j = 0; j < CO; j++)
        if (j < Cout) o[(long)j * dhw] = mx[j];
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* multiplier, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int smem = in_channels * 27 * 32 * sizeof(float);   // 32 = CO
    cudaFuncSetAttribute(convt_pool_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
    long total = (long)batch_size * depth * height * width;
    convt_pool_kernel<<<(total + 127) / 128, 128, smem>>>(x, conv_w, conv_b, multiplier, out, batch_size, in_channels, out_channels, depth, height, width);
}
