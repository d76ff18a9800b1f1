// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain: * 2

// Direct convolution, one thread per output y[n, co, od, oh, ow] (2-D convs run with depth 1):
// y = b[co] + sum over ci, kd, kh, kw of x[n, ci, od*sd-pd+kd, oh*s-p+kh, ow*s-p+kw] * w[co, ci, kd, kh, kw]
__global__ void conv_direct_kernel(const float* x, const float* w, const float* b, float* y, int N, int Cin, int D, int H, int W,
                     int Cout, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= (long)N * Cout * Do * Ho * Wo) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    int co = (int)((t / ((long)Wo * Ho * Do)) % Cout), n = (int)(t / ((long)Wo * Ho * Do * Cout));
    float acc = b[co];
    for (int ci = 0; ci < Cin; ci++)
        for (int a = 0; a < KD; a++) {
            int id = od * sd - pd + a;
            if (id < 0 || id >= D) continue;
            for (int kh = 0; kh < K; kh++) {
                int ih = oh * s - p + kh;
                if (ih < 0 || ih >= H) continue;
                for (int kw = 0; kw < K; kw++) {
                    int iw = ow * s - p + kw;
                    if (iw < 0 || iw >= W) continue;
                    acc += x[(((long)n * Cin + ci) * D + id) * H * W + (long)ih * W + iw] *
                           w[(((long)co * Cin + ci) * KD + a) * K * K + kh * K + kw];
                }
            }
        }
    y[t] = acc;
}

// y[o, j] = min over r of x[o, r, j]: one thread per output; neighbouring threads read
// neighbouring j, so every step of the loop is coalesced
__global__ void min_cols_kernel(const float* x, float* y, long R, long inner, long n) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    long o = t / inner, j = t - o * inner;
    const float* xr = x + o * R * inner + j;
    float acc = xr[0];
    for (long r = 0; r < R; r++) acc = fminf(acc, xr[r * inner]);
    y[t] = acc;
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, 1, height, width, out_channels, 1, Ho, Wo, 1, 3, 1, 1, 0, 0);
    // min over dim 1 (keepdim)
    long n2 = (long)batch_size * Ho * Wo;
    min_cols_kernel<<<(n2 + 255) / 256, 256>>>(t1, out, (long)out_channels, (long)Ho * Wo, n2);
    cudaFree(t1);
}
