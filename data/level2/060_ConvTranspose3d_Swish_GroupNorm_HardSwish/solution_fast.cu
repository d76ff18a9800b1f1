// Fast solution for L2/60 ConvTranspose3d_Swish_GroupNorm_HardSwish. The stride-2 transposed conv's
// output cell (2t, 2t+1) per dim reads only inputs (t, t+1): one thread per cell forms its 8 outputs
// for all 16 channels in registers (27 taps per input channel). Pass 1 accumulates the group-norm
// sums of swish(conv) (fp64, fixed order); pass 2 recomputes and writes hardswish(groupnorm(swish))
// once. The reference writes the 1 GB conv output and makes 5 more passes over 1-2 GB tensors.

#define CIN 3    // in_channels (3, also at smoke size)
#define CO 16    // output channels per thread (out_channels <= 16)

__device__ double warp_sum_d(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// acc[co] += the taps of output parity (PD, PH, PW) of the cell; xin[ci][a*4 + b*2 + c] is input
// (t+a, t+b, t+c) of channel ci (0 outside); ws[(ci*27 + kd*9 + kh*3 + kw)*CO + co]
template <int PD, int PH, int PW>
__device__ __forceinline__ void cell_taps(const float (&xin)[CIN][8], const float* ws, float (&acc)[CO]) {
#pragma unroll
    for (int ci = 0; ci < CIN; ci++)
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
                    float v = xin[ci][ad * 4 + ah * 2 + aw];
                    const float4* wt = (const float4*)(ws + (ci * 27 + kd * 9 + kh * 3 + kw) * CO);
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

__device__ __forceinline__ float swish(float v) { return v * (1.0f / (1.0f + expf(-v))); }

template <int PD, int PH, int PW>
__device__ __forceinline__ void cell_stats(const float (&xin)[CIN][8], const float* ws, const float* bs, bool ok, float (&s)[CO], float (&q)[CO]) {
    if (!ok) return;
    float acc[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) acc[j] = bs[j];
    cell_taps<PD, PH, PW>(xin, ws, acc);
#pragma unroll
    for (int j = 0; j < CO; j++) {
        float y = swish(acc[j]);
        s[j] += y;
        q[j] += y * y;
    }
}

// part[((n * gridDim.x) + blockIdx.x) * 2*CO + {co, CO + co}] = sum and sum of squares of
// swish(conv) over this block's cells of sample n (blockIdx.y)
__global__ void __launch_bounds__(128) convt_stats_kernel(const float* x, const float* w, const float* b, double* part,
                                                           int Cin, int Cout, int D, int H, int W) {
    __shared__ __align__(16) float ws[CIN * 27 * CO];
    __shared__ __align__(16) float bs[CO];
    __shared__ double red[2 * CO][4];   // 4 warps
    for (int i = threadIdx.x; i < CIN * 27 * CO; i += blockDim.x) {
        int co = i % CO, t = i / CO, ci = t / 27, tap = t % 27;
        ws[i] = (co < Cout && ci < Cin) ? w[((long)ci * Cout + co) * 27 + tap] : 0.0f;
    }
    if (threadIdx.x < CO) bs[threadIdx.x] = threadIdx.x < Cout ? b[threadIdx.x] : 0.0f;
    __syncthreads();
    int n = blockIdx.y;
    long cells = (long)D * H * W;
    long cc = blockIdx.x * (long)blockDim.x + threadIdx.x;
    float s[CO], q[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) { s[j] = 0.0f; q[j] = 0.0f; }
    if (cc < cells) {
        int tw = (int)(cc % W), th = (int)((cc / W) % H), td = (int)(cc / ((long)W * H));
        float xin[CIN][8];
#pragma unroll
        for (int ci = 0; ci < CIN; ci++)
#pragma unroll
            for (int k = 0; k < 8; k++) {
                int id = td + (k >> 2), ih = th + ((k >> 1) & 1), iw = tw + (k & 1);
                xin[ci][k] = (ci < Cin && id < D && ih < H && iw < W)
                                 ? x[((((long)n * Cin + ci) * D + id) * H + ih) * W + iw] : 0.0f;
            }
        // odd output 2t+1 exists only for t < D-1 (Do = 2D-1)
        bool od = td < D - 1, oh = th < H - 1, ow = tw < W - 1;
        cell_stats<0, 0, 0>(xin, ws, bs, true, s, q);
        cell_stats<0, 0, 1>(xin, ws, bs, ow, s, q);
        cell_stats<0, 1, 0>(xin, ws, bs, oh, s, q);
        cell_stats<0, 1, 1>(xin, ws, bs, oh && ow, s, q);
        cell_stats<1, 0, 0>(xin, ws, bs, od, s, q);
        cell_stats<1, 0, 1>(xin, ws, bs, od && ow, s, q);
        cell_stats<1, 1, 0>(xin, ws, bs, od && oh, s, q);
        cell_stats<1, 1, 1>(xin, ws, bs, od && oh && ow, s, q);
    }
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
#pragma unroll
    for (int j = 0; j < CO; j++) {
        double a = warp_sum_d((double)s[j]);
        double b2 = warp_sum_d((double)q[j]);
        if (lane == 0) { red[j][wid] = a; red[CO + j][wid] = b2; }
    }
    __syncthreads();
    if (threadIdx.x < 2 * CO) {
        int j = threadIdx.x;
        part[((long)n * gridDim.x + blockIdx.x) * 2 * CO + j] = ((red[j][0] + red[j][1]) + red[j][2]) + red[j][3];
    }
}

// stats[(n*4 + g)*2 + {0, 1}] = mean, rstd of group g of sample n: one thread each, fixed order
__global__ void gn_finalize_kernel(const double* part, float* stats, int N, int Cout, int nblk, double count) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N * 4) return;
    int n = i / 4, g = i % 4, cpg = Cout / 4;
    double s = 0.0, q = 0.0;
    for (int k = 0; k < nblk; k++) {
        const double* p = part + ((long)n * nblk + k) * 2 * CO;
        for (int j = g * cpg; j < (g + 1) * cpg; j++) {
            s += p[j];
            q += p[CO + j];
        }
    }
    double m = s / count, var = q / count - m * m;
    stats[i * 2] = (float)m;
    stats[i * 2 + 1] = (float)(1.0 / sqrt(var + 1e-5));
}

template <int PD, int PH, int PW>
__device__ __forceinline__ void cell_write(const float (&xin)[CIN][8], const float* ws, const float* bs, const float* sc, const float* sh,
                                           int Cout, float* o, long plane, int od, int oh, int ow, int Do, int Ho, int Wo) {
    if (od + PD >= Do || oh + PH >= Ho || ow + PW >= Wo) return;
    float acc[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) acc[j] = bs[j];
    cell_taps<PD, PH, PW>(xin, ws, acc);
    long off = ((long)(od + PD) * Ho + oh + PH) * Wo + ow + PW;
#pragma unroll
    for (int j = 0; j < CO; j++)
        if (j < Cout) {
            float z = swish(acc[j]) * sc[j] + sh[j];   // group norm with its affine
            o[(long)j * plane + off] = z * fminf(fmaxf(z + 3.0f, 0.0f), 6.0f) / 6.0f;   // hardswish
        }
}

// one thread per output cell of sample n (blockIdx.y); out [N, Cout, Do, Ho, Wo]
__global__ void __launch_bounds__(128) convt_out_kernel(const float* x, const float* w, const float* b, const float* stats,
                                                         const float* gn_w, const float* gn_b, float* out,
                                                         int Cin, int Cout, int D, int H, int W, int Do, int Ho, int Wo) {
    __shared__ __align__(16) float ws[CIN * 27 * CO];
    __shared__ __align__(16) float bs[CO];
    __shared__ float sc[CO], sh[CO];
    int n = blockIdx.y;
    for (int i = threadIdx.x; i < CIN * 27 * CO; i += blockDim.x) {
        int co = i % CO, t = i / CO, ci = t / 27, tap = t % 27;
        ws[i] = (co < Cout && ci < Cin) ? w[((long)ci * Cout + co) * 27 + tap] : 0.0f;
    }
    if (threadIdx.x < CO) {
        int j = threadIdx.x;
        bs[j] = j < Cout ? b[j] : 0.0f;
        if (j < Cout) {
            int g = j / (Cout / 4);
            float mean = stats[(n * 4 + g) * 2], rstd = stats[(n * 4 + g) * 2 + 1];
            sc[j] = rstd * gn_w[j];
            sh[j] = gn_b[j] - mean * rstd * gn_w[j];
        } else {
            sc[j] = 0.0f;
            sh[j] = 0.0f;
        }
    }
    __syncthreads();
    long cells = (long)D * H * W;
    long cc = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (cc >= cells) return;
    int tw = (int)(cc % W), th = (int)((cc / W) % H), td = (int)(cc / ((long)W * H));
    float xin[CIN][8];
#pragma unroll
    for (int ci = 0; ci < CIN; ci++)
#pragma unroll
        for (int k = 0; k < 8; k++) {
            int id = td + (k >> 2), ih = th + ((k >> 1) & 1), iw = tw + (k & 1);
            xin[ci][k] = (ci < Cin && id < D && ih < H && iw < W)
                             ? x[((((long)n * Cin + ci) * D + id) * H + ih) * W + iw] : 0.0f;
        }
    long plane = (long)Do * Ho * Wo;
    float* o = out + (long)n * Cout * plane;
    int od = 2 * td, oh = 2 * th, ow = 2 * tw;
    cell_write<0, 0, 0>(xin, ws, bs, sc, sh, Cout, o, plane, od, oh, ow, Do, Ho, Wo);
    cell_write<0, 0, 1>(xin, ws, bs, sc, sh, Cout, o, plane, od, oh, ow, Do, Ho, Wo);
    cell_write<0, 1, 0>(xin, ws, bs, sc, sh, Cout, o, plane, od, oh, ow, Do, Ho, Wo);
    cell_write<0, 1, 1>(xin, ws, bs, sc, sh, Cout, o, plane, od, oh, ow, Do, Ho, Wo);
    cell_write<1, 0, 0>(xin, ws, bs, sc, sh, Cout, o, plane, od, oh, ow, Do, Ho, Wo);
    cell_write<1, 0, 1>(xin, ws, bs, sc, sh, Cout, o, plane, od, oh, ow, Do, Ho, Wo);
    cell_write<1, 1, 0>(xin, ws, bs, sc, sh, Cout, o, plane, od, oh, ow, Do, Ho, Wo);
    cell_write<1, 1, 1>(xin, ws, bs, sc, sh, Cout, o, plane, od, oh, ow, Do, Ho, Wo);
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* gn_w, const float* gn_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 1;
    int Ho = (height - 1) * 2 + 1;
    int Wo = (width - 1) * 2 + 1;
    long cells = (long)depth * height * width;
    int nblk = (int)((cells + 127) / 128);
    double* part;
    cudaMalloc(&part, ((long)batch_size * nblk * 2 * 16 + (long)batch_size * 4) * sizeof(double));   // 16 = CO
    float* stats = (float*)(part + (long)batch_size * nblk * 2 * 16);
    convt_stats_kernel<<<dim3(nblk, batch_size), 128>>>(x, conv_w, conv_b, part, in_channels, out_channels, depth, height, width);
    double count = (double)(out_channels / 4) * Do * Ho * Wo;
    gn_finalize_kernel<<<(batch_size * 4 + 127) / 128, 128>>>(part, stats, batch_size, out_channels, nblk, count);
    convt_out_kernel<<<dim3(nblk, batch_size), 128>>>(x, conv_w, conv_b, stats, gn_w, gn_b, out, in_channels, out_channels, depth, height, width, Do, Ho, Wo);
    cudaFree(part);
}
