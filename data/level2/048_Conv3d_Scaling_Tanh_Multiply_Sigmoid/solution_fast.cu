// Fast solution for L2/48 Conv3d_Scaling_Tanh_Multiply_Sigmoid: one kernel. A direct convolution (stride 1, no
// padding) computes CO = 16 output channels of one output position per thread, with the chunk's
// weights in shared memory (every thread reads the same weight: a broadcast) and each input value
// loaded once per chunk; the whole elementwise chain runs in registers before the only store. The
// reference instead writes the conv output, then reads and writes it again once per op.

#define KS 3          // kernel size (spatial dims)
#define KD 3          // kernel depth (1 for a 2-D conv)
#define CO 16         // output channels per thread
#define MAX_TAPS 256  // Cin * KD * KS * KS: at most 8 * 27 = 216 in this task suite

// x [N, Cin, D, H, W] -> out [N, Cout, Do, Ho, Wo] (2-D: D = Do = 1); w [Cout, Cin, KD, KS, KS];
// blockIdx.y picks the chunk of CO output channels
__global__ void conv_chain_kernel(const float* x, const float* w, const float* b, const float* scaling_factor, const float* bias, float* out,
                                  int N, int Cin, int D, int H, int W, int Cout, int Do, int Ho, int Wo) {
    __shared__ __align__(16) float ws[MAX_TAPS * CO];   // [tap][CO]: the chunk's weights, tap-major
    int co0 = blockIdx.y * CO;
    int taps = Cin * KD * KS * KS;
    for (int i = threadIdx.x; i < taps * CO; i += blockDim.x) {
        int t = i / CO, j = i % CO;
        ws[i] = co0 + j < Cout ? w[(long)(co0 + j) * taps + t] : 0.0f;
    }
    __syncthreads();
    long pos = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (pos >= (long)N * Do * Ho * Wo) return;
    int ow = (int)(pos % Wo), oh = (int)((pos / Wo) % Ho), od = (int)((pos / ((long)Wo * Ho)) % Do);
    int n = (int)(pos / ((long)Wo * Ho * Do));
    float acc[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) acc[j] = 0.0f;
    for (int ci = 0; ci < Cin; ci++) {
        const float* xc = x + (((long)n * Cin + ci) * D + od) * H * W + (long)oh * W + ow;
        const float* wc = ws + ci * (KD * KS * KS) * CO;
#pragma unroll
        for (int a = 0; a < KD; a++)
#pragma unroll
            for (int kh = 0; kh < KS; kh++)
#pragma unroll
                for (int kw = 0; kw < KS; kw++) {
                    float v = xc[((long)a * H + kh) * W + kw];
                    const float4* wt = (const float4*)(wc + ((a * KS + kh) * KS + kw) * CO);
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
    long plane = (long)Do * Ho * Wo, off = pos - (long)n * plane;
#pragma unroll
    for (int j = 0; j < CO; j++) {
        int co = co0 + j;
        if (co < Cout) {
            float v0 = acc[j] + b[co];
            float v1 = v0 * scaling_factor[co];   // * scaling_factor[c] (scaling_factor (C, 1, 1, 1) ~ randn)
            float v2 = tanhf(v1);   // tanh
            float v3 = v2 * bias[co];   // * bias[c] (bias (C, 1, 1, 1) ~ randn)
            float v4 = 1.0f / (1.0f + expf(-v3));   // sigmoid
            out[((long)n * Cout + co) * plane + off] = v4;
        }
    }
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* scaling_factor, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = depth - 2;
    int Ho = height - 2;
    int Wo = width - 2;
    long npos = (long)batch_size * Do * Ho * Wo;
    conv_chain_kernel<<<dim3((npos + 127) / 128, (out_channels + 15) / 16), 128>>>(x, conv_w, conv_b, scaling_factor, bias, out, batch_size, in_channels, depth, height, width, out_channels, Do, Ho, Wo);   // 16 = CO
}
