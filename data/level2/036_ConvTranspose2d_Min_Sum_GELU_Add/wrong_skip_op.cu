// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain: + bias
// (shape (1, 1, 1) ~ randn)

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

// y[o, j] = sum over r of x[o, r, j]: one thread per output; neighbouring threads read
// neighbouring j, so every step of the loop is coalesced
__global__ void sum_cols_kernel(const float* x, float* y, long R, long inner, long n) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    long o = t / inner, j = t - o * inner;
    const float* xr = x + o * R * inner + j;
    float acc = 0.0f;
    for (long r = 0; r < R; r++) acc += xr[r * inner];
    y[t] = acc;
}

// y = x * (1 + erf(x / sqrt(2))) / 2 (exact GELU, PyTorch's default), one thread per element
__global__ void gelu_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = (height - 1) * 2 + 2;
    int Wo = (width - 1) * 2 + 2;
    // conv_transpose2d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_transpose_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, 1, height, width, out_channels, 1, Ho, Wo, 1, 3, 1, 2, 0, 1);
    // min over dim 1 (keepdim)
    long n2 = (long)batch_size * Ho * Wo;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    min_cols_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, (long)out_channels, (long)Ho * Wo, n2);
    // sum over dim 2 (keepdim)
    long n3 = (long)batch_size * Wo;
    sum_cols_kernel<<<(n3 + 255) / 256, 256>>>(t2, t1, (long)Ho, (long)Wo, n3);
    // gelu (exact, erf form)
    gelu_kernel<<<(n3 + 255) / 256, 256>>>(t1, out, n3);
    cudaFree(t1);
    cudaFree(t2);
}
