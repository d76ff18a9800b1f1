// Known-wrong variant (expected verdict: wrong_output): the last kernel has no bounds check: the
// threads of the last block past n write into the bytes after `out` (the smoke output has 20
// elements, not a multiple of 256)

// Sum of doubles over the block (norm statistics are accumulated in fp64: one row can hold
// millions of elements, and var = E[x^2] - mean^2 must not cancel).
__device__ double block_sum_d(double v) {
    __shared__ double s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Transposed convolution as a gather, one thread per output y[n, co, od, oh, ow] (2-D runs with depth 1):
// input position i contributes to output i*s - p + k, so for each kernel tap k the source is
// (o + p - k) / s when that divides exactly and lies inside the input; w is [Cin, Cout, KD, K, K]
__global__ void conv_transpose_direct_kernel(const float* x, const float* w, const float* b, float* y, int N, int Cin, int D, int H, int W,
                     int Cout, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= (long)N * Cout * Do * Ho * Wo) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    int co = (int)((t / ((long)Wo * Ho * Do)) % Cout), n = (int)(t / ((long)Wo * Ho * Do * Cout));
    float acc = b[co];
    for (int ci = 0; ci < Cin; ci++)
        for (int a = 0; a < KD; a++) {
            int td = od + pd - a;
            if (td < 0 || td % sd != 0 || td / sd >= D) continue;
            for (int kh = 0; kh < K; kh++) {
                int th = oh + p - kh;
                if (th < 0 || th % s != 0 || th / s >= H) continue;
                for (int kw = 0; kw < K; kw++) {
                    int tw = ow + p - kw;
                    if (tw < 0 || tw % s != 0 || tw / s >= W) continue;
                    acc += x[(((long)n * Cin + ci) * D + td / sd) * H * W + (long)(th / s) * W + tw / s] *
                           w[(((long)ci * Cout + co) * KD + a) * K * K + kh * K + kw];
                }
            }
        }
    y[t] = acc;
}

// Partial batch statistics: one block per (n, c) slab of S contiguous elements; fp64 sum and sum of
// squares go to part[c * N + n] and part[(N + c) * N + n] (deterministic: no atomics)
__global__ void bn_partial_kernel(const float* x, double* part, int N, int C, long S) {
    long slab = blockIdx.x;
    const float* xs = x + slab * S;
    double s = 0.0, q = 0.0;
    for (long j = threadIdx.x; j < S; j += blockDim.x) { double v = xs[j]; s += v; q += v * v; }
    s = block_sum_d(s);
    q = block_sum_d(q);
    if (threadIdx.x == 0) {
        int n = (int)(slab / C), c = (int)(slab % C);
        part[(long)c * N + n] = s;
        part[(long)(C + c) * N + n] = q;
    }
}

// Per-channel mean and 1/sqrt(var + eps) from the partials, biased variance (training mode)
__global__ void bn_finalize_kernel(const double* part, float* mean, float* rstd, int N, int C, long S, float eps) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    double s = 0.0, q = 0.0;
    for (int n = 0; n < N; n++) { s += part[(long)c * N + n]; q += part[(long)(C + c) * N + n]; }
    double cnt = (double)N * (double)S, m = s / cnt, var = q / cnt - m * m;
    mean[c] = (float)m;
    rstd[c] = (float)(1.0 / sqrt(var + (double)eps));
}

// y = (x - mean[c]) * rstd[c] * w[c] + b[c], c = (i / inner) % C
__global__ void bn_apply_kernel(const float* x, const float* mean, const float* rstd, const float* w, const float* b,
                     float* y, long n, long inner, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    int c = (int)((i / inner) % C);
    y[i] = (x[i] - mean[c]) * rstd[c] * w[c] + b[c];
}

// Average pooling, kernel = stride (KD, KH, KW), no padding, floor: one thread per output of
// x [P, D, H, W] -> y [P, Do, Ho, Wo] (2-D and 1-D pools run with the leading spatial sizes 1)
__global__ void avgpool_kernel(const float* x, float* y, long n, int D, int H, int W, int Do, int Ho, int Wo,
                     int KD, int KH, int KW) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    long p = t / ((long)Wo * Ho * Do);
    const float* xp = x + p * D * H * W;
    float acc = 0.0f;
    for (int d = od * KD; d < od * KD + KD; d++)
        for (int h = oh * KH; h < oh * KH + KH; h++)
            for (int w = ow * KW; w < ow * KW + KW; w++)
                acc += xp[((long)d * H + h) * W + w];
    y[t] = acc / (float)(KD * KH * KW);
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bn_w, const float* bn_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 1;
    int Ho = (height - 1) * 2 + 1;
    int Wo = (width - 1) * 2 + 1;
    int Dp = Do / 2;
    int Hp = Ho / 2;
    int Wp = Wo / 2;
    int Dq = Dp / 2;
    int Hq = Hp / 2;
    int Wq = Wp / 2;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_transpose_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, depth, height, width, out_channels, Do, Ho, Wo, 3, 3, 2, 2, 1, 1);
    // batch_norm over dim 1 with batch statistics (training mode: KernelBench never calls .eval(); biased variance, eps 1e-05) and affine bn_w, bn_b
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    float* mean2;
    cudaMalloc(&mean2, out_channels * sizeof(float));
    float* rstd2;
    cudaMalloc(&rstd2, out_channels * sizeof(float));
    double* part2;
    cudaMalloc(&part2, 2 * batch_size * out_channels * sizeof(double));
    bn_partial_kernel<<<batch_size * out_channels, 256>>>(t1, part2, batch_size, out_channels, (long)Do * Ho * Wo);
    bn_finalize_kernel<<<(out_channels + 255) / 256, 256>>>(part2, mean2, rstd2, batch_size, out_channels, (long)Do * Ho * Wo, 1e-05f);
    bn_apply_kernel<<<(n1 + 255) / 256, 256>>>(t1, mean2, rstd2, bn_w, bn_b, t2, n1, (long)Do * Ho * Wo, out_channels);
    // avg_pool3d(kernel 2, stride 2)
    long n2 = (long)batch_size * out_channels * Dp * Hp * Wp;
    avgpool_kernel<<<(n2 + 255) / 256, 256>>>(t2, t1, n2, Do, Ho, Wo, Dp, Hp, Wp, 2, 2, 2);
    // avg_pool3d(kernel 2, stride 2)
    long n3 = (long)batch_size * out_channels * Dq * Hq * Wq;
    avgpool_kernel<<<(n3 + 255) / 256, 256>>>(t1, out, n3, Dp, Hp, Wp, Dq, Hq, Wq, 2, 2, 2);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(mean2);
    cudaFree(rstd2);
    cudaFree(part2);
}
