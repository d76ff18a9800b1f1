// Known-wrong variant (expected verdict: wrong_output): the last kernel has no bounds check: the
// threads of the last block past n write into the bytes after `out` (the smoke output has 2
// elements, not a multiple of 256)

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

// Max pooling, kernel = stride (KD, KH, KW), no padding, floor: one thread per output of
// x [P, D, H, W] -> y [P, Do, Ho, Wo] (2-D and 1-D pools run with the leading spatial sizes 1)
__global__ void maxpool_kernel(const float* x, float* y, long n, int D, int H, int W, int Do, int Ho, int Wo,
                     int KD, int KH, int KW) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    long p = t / ((long)Wo * Ho * Do);
    const float* xp = x + p * D * H * W;
    float acc = xp[((long)od * KD * H + oh * KH) * W + ow * KW];
    for (int d = od * KD; d < od * KD + KD; d++)
        for (int h = oh * KH; h < oh * KH + KH; h++)
            for (int w = ow * KW; w < ow * KW + KW; w++)
                acc = fmaxf(acc, xp[((long)d * H + h) * W + w]);
    y[t] = acc;
}

// y[o, j] = sum over r of x[o, r, j]: one thread per output; neighbouring threads read
// neighbouring j, so every step of the loop is coalesced
__global__ void sum_cols_kernel(const float* x, float* y, long R, long inner, long n) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    long o = t / inner, j = t - o * inner;
    const float* xr = x + o * R * inner + j;
    float acc = 0.0f;
    for (long r = 0; r < R; r++) acc += xr[r * inner];
    y[t] = acc;
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 1;
    int Ho = (height - 1) * 2 + 1;
    int Wo = (width - 1) * 2 + 1;
    int Dp = Do / 2;
    int Hp = Ho / 2;
    int Wp = Wo / 2;
    int Dq = Dp / 3;
    int Hq = Hp / 3;
    int Wq = Wp / 3;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 5, stride 2, padding 2)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_transpose_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, depth, height, width, out_channels, Do, Ho, Wo, 5, 5, 2, 2, 2, 2);
    // max_pool3d(kernel 2, stride 2)
    long n2 = (long)batch_size * out_channels * Dp * Hp * Wp;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    maxpool_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, n2, Do, Ho, Wo, Dp, Hp, Wp, 2, 2, 2);
    // max_pool3d(kernel 3, stride 3)
    long n3 = (long)batch_size * out_channels * Dq * Hq * Wq;
    maxpool_kernel<<<(n3 + 255) / 256, 256>>>(t2, t1, n3, Dp, Hp, Wp, Dq, Hq, Wq, 3, 3, 3);
    // sum over dim 1 (keepdim)
    long n4 = (long)batch_size * Dq * Hq * Wq;
    sum_cols_kernel<<<(n4 + 255) / 256, 256>>>(t1, out, (long)out_channels, (long)Dq * Hq * Wq, n4);
    cudaFree(t1);
    cudaFree(t2);
}
