// Fast solution for L2/50 ConvTranspose3d_Scaling_AvgPool_BiasAdd_Scaling. The 2x2x2 pool window at
// cell t is the stride-2 transposed conv's output pair (2t, 2t+1) per dim, which reads only inputs
// (t, t+1). Everything up to the pool is linear, so the window mean is b + (1/8) sum over those 8
// inputs x 3 channels of Wc, the sum of the taps reaching each input (offset 0: taps {1,2}; 1: {0}):
// 24 MACs per channel instead of a 1 GB conv output and 4 passes over it.

#define CIN 3    // in_channels (3, also at smoke size)
#define CO 16    // output channels per thread (out_channels <= 16)

// one thread per pooled cell (n, pd, ph, pw); out [N, Cout, Dp, Hp, Wp]
__global__ void __launch_bounds__(128) convt_avgpool_kernel(const float* x, const float* w, const float* b, const float* bias, float* out,
                                                             int N, int Cin, int Cout, int D, int H, int W, int Dp, int Hp, int Wp) {
    __shared__ __align__(16) float wc[CIN * 8 * CO];   // [(ci*8 + a*4 + b*2 + c)*CO + co]
    for (int i = threadIdx.x; i < CIN * 8 * CO; i += blockDim.x) {
        int co = i % CO, t = i / CO, ci = t / 8, k = t % 8;
        int a = k >> 2, bb = (k >> 1) & 1, c = k & 1;
        float s = 0.0f;
        if (co < Cout && ci < Cin) {
            const float* wk = w + ((long)ci * Cout + co) * 27;
            // offset 0 gathers taps 1 and 2, offset 1 gathers tap 0
            for (int kd = a ? 0 : 1; kd <= (a ? 0 : 2); kd++)
                for (int kh = bb ? 0 : 1; kh <= (bb ? 0 : 2); kh++)
                    for (int kw = c ? 0 : 1; kw <= (c ? 0 : 2); kw++) s += wk[kd * 9 + kh * 3 + kw];
        }
        wc[i] = s;
    }
    __syncthreads();
    long cells = (long)Dp * Hp * Wp;
    long idx = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (idx >= (long)N * cells) return;
    int n = (int)(idx / cells);
    long cc = idx - (long)n * cells;
    int tw = (int)(cc % Wp), th = (int)((cc / Wp) % Hp), td = (int)(cc / ((long)Wp * Hp));
    float acc[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) acc[j] = 0.0f;
#pragma unroll
    for (int ci = 0; ci < CIN; ci++)
#pragma unroll
        for (int k = 0; k < 8; k++) {
            int id = td + (k >> 2), ih = th + ((k >> 1) & 1), iw = tw + (k & 1);
            float v = (ci < Cin && id < D && ih < H && iw < W)
                          ? x[((((long)n * Cin + ci) * D + id) * H + ih) * W + iw] : 0.0f;
            const float4* wt = (const float4*)(wc + (ci * 8 + k) * CO);
#pragma unroll
            for (int q = 0; q < CO / 4; q++) {
                float4 w4 = wt[q];
                acc[4 * q] += v * w4.x;
                acc[4 * q + 1] += v * w4.y;
                acc[4 * q + 2] += v * w4.z;
                acc[4 * q + 3] += v * w4.w;
            }
        }
    float* o = out + (long)n * Cout * cells + cc;
#pragma unroll
    for (int j = 0; j < CO; j++)
        if (j < Cout) {
            float mean = b[j] + acc[j] * 0.125f;                 // window mean of the conv output
            o[(long)j * cells] = (0.5f * mean + bias[j]) * 1.0f;  // * scale1, pool, + bias, * scale2
        }
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Dp = ((depth - 1) * 2 + 1) / 2;
    int Hp = ((height - 1) * 2 + 1) / 2;
    int Wp = ((width - 1) * 2 + 1) / 2;
    long total = (long)batch_size * Dp * Hp * Wp;
    convt_avgpool_kernel<<<(total + 127) / 128, 128>>>(x, conv_w, conv_b, bias, out, batch_size, in_channels, out_channels, depth, height, width, Dp, Hp, Wp);
}
