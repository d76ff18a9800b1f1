// Fast solution for L2/6 Conv3d_Softmax_MaxPool_MaxPool. Two 2x2x2 max pools (floor) are one max
// over the 4x4x4 conv window 4q..4q+3 per dim. 16 threads share one pooled output: each computes
// the direct convolution (3 input channels x 27 taps, weights broadcast from shared memory) of 4
// positions along w for all 16 channels in registers, applies the channel softmax and keeps the
// running max; 4 shuffles combine the 16 threads. The conv output (0.1 GB at main size), the softmax
// output and the two pool passes of the reference are never written.

#define CIN 3    // in_channels (3, also at smoke size)
#define CO 16    // output channels per thread (out_channels <= 16)

// 16 threads per output (n, co, qd, qh, qw): thread s = dz*4 + dy covers conv positions
// (4qd + dz, 4qh + dy, 4qw .. 4qw + 3); w [Cout, Cin, 3, 3, 3]
__global__ void __launch_bounds__(128) conv_softmax_pool_kernel(const float* x, const float* w, const float* b, float* out,
                                                                 int N, int Cin, int Cout, int D, int H, int W, int Dq, int Hq, int Wq) {
    __shared__ __align__(16) float ws[CIN * 27 * CO];   // [(ci*27 + tap)*CO + co]
    __shared__ float bs[CO];
    for (int i = threadIdx.x; i < CIN * 27 * CO; i += blockDim.x) {
        int co = i % CO, t = i / CO;
        ws[i] = (co < Cout && t < Cin * 27) ? w[(long)co * Cin * 27 + t] : 0.0f;
    }
    if (threadIdx.x < CO) bs[threadIdx.x] = threadIdx.x < Cout ? b[threadIdx.x] : 0.0f;
    __syncthreads();
    long cells = (long)Dq * Hq * Wq;
    long q = (blockIdx.x * (long)blockDim.x + threadIdx.x) >> 4;
    int s = threadIdx.x & 15;
    bool valid = q < (long)N * cells;
    if (!valid) q = 0;   // computes a dummy output so the shuffles below stay full-warp
    int n = (int)(q / cells);
    long cc = q - (long)n * cells;
    int qw = (int)(cc % Wq), qh = (int)((cc / Wq) % Hq), qd = (int)(cc / ((long)Wq * Hq));
    int od = 4 * qd + (s >> 2), oh = 4 * qh + (s & 3), ow = 4 * qw;
    float acc[4][CO];
#pragma unroll
    for (int p = 0; p < 4; p++)
#pragma unroll
        for (int j = 0; j < CO; j++) acc[p][j] = bs[j];
#pragma unroll
    for (int ci = 0; ci < CIN; ci++) {
        if (ci >= Cin) break;
        for (int kd = 0; kd < 3; kd++)
#pragma unroll
            for (int kh = 0; kh < 3; kh++) {
                const float* xr = x + ((((long)n * Cin + ci) * D + od + kd) * H + oh + kh) * W + ow;
                float r[6];
#pragma unroll
                for (int k = 0; k < 6; k++) r[k] = xr[k];   // ow + 5 <= W - 1 inside the pooled region
#pragma unroll
                for (int kw = 0; kw < 3; kw++) {
                    const float4* wt = (const float4*)(ws + (ci * 27 + kd * 9 + kh * 3 + kw) * CO);
#pragma unroll
                    for (int jq = 0; jq < CO / 4; jq++) {
                        float4 w4 = wt[jq];
#pragma unroll
                        for (int p = 0; p < 4; p++) {
                            float v = r[p + kw];
                            acc[p][4 * jq] += v * w4.x;
                            acc[p][4 * jq + 1] += v * w4.y;
                            acc[p][4 * jq + 2] += v * w4.z;
                            acc[p][4 * jq + 3] += v * w4.w;
                        }
                    }
                }
            }
    }
    // softmax over channels per position, then the max over the window
    float mx[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) mx[j] = (-__int_as_float(0x7f800000));
#pragma unroll
    for (int p = 0; p < 4; p++) {
        float m = (-__int_as_float(0x7f800000));
#pragma unroll
        for (int j = 0; j < CO; j++)
            if (j < Cout) m = fmaxf(m, acc[p][j]);
        float sum = 0.0f;
#pragma unroll
        for (int j = 0; j < CO; j++)
            if (j < Cout) {
                acc[p][j] = expf(acc[p][j] - m);
                sum += acc[p][j];
            }
        float inv = 1.0f / sum;
#pragma unroll
        for (int j = 0; j < CO; j++) mx[j] = fmaxf(mx[j], acc[p][j] * inv);
    }
#pragma unroll
    for (int j = 0; j < CO; j++) {
        float v = mx[j];
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 4));
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 8));
        mx[j] = v;
    }
    if (valid && s == 0) {
        float* o = out + (long)n * Cout * cells + cc;
#pragma unroll
        for (int j = 0; j < CO; j++)
            if (j < Cout) o[(long)j * cells] = mx[j];
    }
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Dq = ((depth - 2) / 2) / 2;
    int Hq = ((height - 2) / 2) / 2;
    int Wq = ((width - 2) / 2) / 2;
    long threads = (long)batch_size * Dq * Hq * Wq * 16;
    conv_softmax_pool_kernel<<<(threads + 127) / 128, 128>>>(x, conv_w, conv_b, out, batch_size, in_channels, out_channels, depth, height, width, Dq, Hq, Wq);
}
