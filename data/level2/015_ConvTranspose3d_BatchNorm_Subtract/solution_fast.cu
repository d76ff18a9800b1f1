// Fast solution for L2/15 ConvTranspose3d_BatchNorm_Subtract. Batch norm is affine per channel, so
// subtracting the per-(n, c) spatial mean cancels its shift: out = bn_w * rstd_c * (v - mean_nc(v)).
// Pass 1: direct stride-2 transposed conv (per output parity only its taps; 4 contiguous outputs x 16
// channels per thread, lane pairs split the channels) writes v into out and accumulates fp64 sums.
// Pass 2 rescales out in place: 3 passes over the 0.25 GB output instead of the reference's conv + 7.

#define CT 32    // channels in shared memory (out_channels <= 32)
#define CH 16    // channels per thread (one half)

// sum over the 16 lanes of the warp with the same parity (lane & 1)
__device__ double half_warp_sum_d(double v) {
    for (int o = 16; o > 1; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// acc[q][j] (q: output w offset 0..3 from 2*tw0) for depth/height parity (PD, PH); ws points at the
// thread's channel half of [(ci*27 + tap)*CT + co]
__device__ __forceinline__ void parity_rows(int PD, int PH, const float* xn, int Cin, long dhw, int H, int W, int td, int th, int tw0,
                                            bool vd, bool vh, bool v1, bool v2, const float* ws, const float* bs,
                                            float (&acc)[4][CH]) {
#pragma unroll
    for (int q = 0; q < 4; q++)
#pragma unroll
        for (int j = 0; j < CH; j++) acc[q][j] = bs[j];
    for (int ci = 0; ci < Cin; ci++) {
        const float* xc = xn + (long)ci * dhw;
        const float* wc = ws + ci * 27 * CT;
#pragma unroll 1
        for (int i = 0; i < (PD ? 2 : 1); i++)
#pragma unroll 1
            for (int k = 0; k < (PH ? 2 : 1); k++) {
                // parity 0: tap 1 at offset 0; parity 1: tap 0 at offset 1, tap 2 at offset 0
                int ad = PD ? (i == 0 ? 1 : 0) : 0, kd = PD ? (i == 0 ? 0 : 2) : 1;
                int ah = PH ? (k == 0 ? 1 : 0) : 0, kh = PH ? (k == 0 ? 0 : 2) : 1;
                bool ok = (!ad || vd) && (!ah || vh);
                const float* row = xc + ((long)(td + ad) * H + th + ah) * W + tw0;
                float x0 = ok ? row[0] : 0.0f;
                float x1 = (ok && v1) ? row[1] : 0.0f;
                float x2 = (ok && v2) ? row[2] : 0.0f;
                const float4* w0 = (const float4*)(wc + (kd * 9 + kh * 3 + 0) * CT);
                const float4* w1 = (const float4*)(wc + (kd * 9 + kh * 3 + 1) * CT);
                const float4* w2 = (const float4*)(wc + (kd * 9 + kh * 3 + 2) * CT);
#pragma unroll
                for (int jq = 0; jq < CH / 4; jq++) {
                    float4 a = w0[jq], b = w1[jq], c = w2[jq];
                    // out 2tw0: x0*w1; 2tw0+1: x1*w0 + x0*w2; 2tw0+2: x1*w1; 2tw0+3: x2*w0 + x1*w2
                    acc[0][4 * jq] += x0 * b.x; acc[0][4 * jq + 1] += x0 * b.y; acc[0][4 * jq + 2] += x0 * b.z; acc[0][4 * jq + 3] += x0 * b.w;
                    acc[1][4 * jq] += x1 * a.x + x0 * c.x; acc[1][4 * jq + 1] += x1 * a.y + x0 * c.y;
                    acc[1][4 * jq + 2] += x1 * a.z + x0 * c.z; acc[1][4 * jq + 3] += x1 * a.w + x0 * c.w;
                    acc[2][4 * jq] += x1 * b.x; acc[2][4 * jq + 1] += x1 * b.y; acc[2][4 * jq + 2] += x1 * b.z; acc[2][4 * jq + 3] += x1 * b.w;
                    acc[3][4 * jq] += x2 * a.x + x1 * c.x; acc[3][4 * jq + 1] += x2 * a.y + x1 * c.y;
                    acc[3][4 * jq + 2] += x2 * a.z + x1 * c.z; acc[3][4 * jq + 3] += x2 * a.w + x1 * c.w;
                }
            }
    }
}

// grid (blocks per sample, N): thread pair (t, t ^ 1) of sample n = blockIdx.y owns column pair
// (td, th, tw0 = 2g), g = t >> 1, channel half hf = t & 1;
// writes v = conv output into out; part[((n*gridDim.x) + blockIdx.x) * 2*CT + {c, CT + c}] = sum, sum
// of squares of v over the block's outputs
__global__ void __launch_bounds__(128) convt_stats_kernel(const float* x, const float* w, const float* b, float* out, double* part,
                                                           int Cin, int Cout, int D, int H, int W) {
    extern __shared__ __align__(16) float ws[];   // [(ci*27 + tap)*CT + co]
    __shared__ __align__(16) float bs[CT];
    __shared__ double red[2 * CT][4];   // 4 warps
    for (int i = threadIdx.x; i < Cin * 27 * CT; i += blockDim.x) {
        int co = i % CT, t = i / CT, ci = t / 27, tap = t % 27;
        ws[i] = co < Cout ? w[((long)ci * Cout + co) * 27 + tap] : 0.0f;
    }
    if (threadIdx.x < CT) bs[threadIdx.x] = threadIdx.x < Cout ? b[threadIdx.x] : 0.0f;
    __syncthreads();
    int n = blockIdx.y;
    int Wg = (W + 1) / 2;
    int g = (blockIdx.x * blockDim.x + threadIdx.x) >> 1;
    int hf = threadIdx.x & 1;
    float s[CH], q[CH];
#pragma unroll
    for (int j = 0; j < CH; j++) { s[j] = 0.0f; q[j] = 0.0f; }
    if (g < D * H * Wg) {
        int gw = g % Wg, th = (g / Wg) % H, td = g / (Wg * H);
        int tw0 = 2 * gw;
        bool vd = td + 1 < D, vh = th + 1 < H, v1 = tw0 + 1 < W, v2 = tw0 + 2 < W;
        long dhw = (long)D * H * W;
        int Do = 2 * D - 1, Ho = 2 * H - 1, Wo = 2 * W - 1;   // no output padding
        long plane = (long)Do * Ho * Wo;
        const float* xn = x + (long)n * Cin * dhw;
        float* on = out + (long)n * Cout * plane;
        // output w offsets 0..3 exist for: always, v1, v1, v2
        bool okq[4] = {true, v1, v1, v2};
#pragma unroll 1
        for (int par = 0; par < 4; par++) {
            int PD = par >> 1, PH = par & 1;
            if ((PD && !vd) || (PH && !vh)) continue;   // odd output 2t+1 needs t < D-1 (Do = 2D-1)
            float acc[4][CH];
            parity_rows(PD, PH, xn, Cin, dhw, H, W, td, th, tw0, vd, vh, v1, v2, ws + hf * CH, bs + hf * CH, acc);
            long off = ((long)(2 * td + PD) * Ho + 2 * th + PH) * Wo + 2 * tw0;
#pragma unroll
            for (int qq = 0; qq < 4; qq++)
                if (okq[qq]) {
#pragma unroll
                    for (int j = 0; j < CH; j++) {
                        float v = acc[qq][j];
                        if (hf * CH + j < Cout) on[(long)(hf * CH + j) * plane + off + qq] = v;
                        s[j] += v;
                        q[j] += v * v;
                    }
                }
        }
    }
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
#pragma unroll
    for (int j = 0; j < CH; j++) {
        double a = half_warp_sum_d((double)s[j]);
        double c = half_warp_sum_d((double)q[j]);
        if (lane < 2) { red[lane * CH + j][wid] = a; red[CT + lane * CH + j][wid] = c; }
    }
    __syncthreads();
    if (threadIdx.x < 2 * CT) {
        int j = threadIdx.x;
        part[((long)n * gridDim.x + blockIdx.x) * 2 * CT + j] = ((red[j][0] + red[j][1]) + red[j][2]) + red[j][3];
    }
}

// per channel (one block each): ab[(n*Cout + c)*2 + {0, 1}] = mean_{n,c}(v), bn_w[c] * rstd_c
__global__ void bn_finalize_kernel(const double* part, const float* bn_w, float* ab, int N, int Cout, int nblk, double P) {
    __shared__ double rs[256], rq[256];
    int c = blockIdx.x;
    double s = 0.0, q = 0.0;
    for (int i = threadIdx.x; i < N * nblk; i += blockDim.x) {
        s += part[(long)i * 2 * CT + c];
        q += part[(long)i * 2 * CT + CT + c];
    }
    rs[threadIdx.x] = s;
    rq[threadIdx.x] = q;
    __syncthreads();
    for (int h = blockDim.x / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) {
            rs[threadIdx.x] += rs[threadIdx.x + h];
            rq[threadIdx.x] += rq[threadIdx.x + h];
        }
        __syncthreads();
    }
    double cnt = (double)N * P;
    double m = rs[0] / cnt, var = rq[0] / cnt - m * m;
    float scale = (float)(bn_w[c] / sqrt(var + 1e-5));
    for (int n = threadIdx.x; n < N; n += blockDim.x) {
        double sn = 0.0;
        for (int k = 0; k < nblk; k++) sn += part[((long)n * nblk + k) * 2 * CT + c];
        ab[(n * Cout + c) * 2] = (float)(sn / P);
        ab[(n * Cout + c) * 2 + 1] = scale;
    }
}

// out = scale_c * (v - mean_{n,c}), in place
__global__ void apply_kernel(float* out, const float* ab, long total, long plane) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= total) return;
    long nc = i / plane;
    out[i] = (out[i] - ab[nc * 2]) * ab[nc * 2 + 1];
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bn_w, const float* bn_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int smem = in_channels * 27 * 32 * sizeof(float);   // 32 = CT
    cudaFuncSetAttribute(convt_stats_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
    int per_n = depth * height * ((width + 1) / 2) * 2;   // threads per sample
    int nblk = (per_n + 127) / 128;
    double* part;
    cudaMalloc(&part, (long)batch_size * nblk * 2 * 32 * sizeof(double));
    float* ab;
    cudaMalloc(&ab, (long)batch_size * out_channels * 2 * sizeof(float));
    convt_stats_kernel<<<dim3(nblk, batch_size), 128, smem>>>(x, conv_w, conv_b, out, part, in_channels, out_channels, depth, height, width);
    long plane = (long)((depth - 1) * 2 + 1) * ((height - 1) * 2 + 1) * ((width - 1) * 2 + 1);
    bn_finalize_kernel<<<out_channels, 256>>>(part, bn_w, ab, batch_size, out_channels, nblk, (double)plane);
    long total = (long)batch_size * out_channels * plane;
    apply_kernel<<<(total + 255) / 256, 256>>>(out, ab, total, plane);
    cudaFree(part);
    cudaFree(ab);
}
