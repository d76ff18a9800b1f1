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

// y = min(x, 0.5), one thread per element
__global__ void minc_0p5_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = fminf(v, 0.5f);
}

// y = x + bias[c] (bias (C, 1, 1) ~ randn), one thread per element
__global__ void add_bias_kernel(const float* x, const float* p_, float* y, long n, long inner, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[(i / inner) % C];
    y[i] = v + p;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, 1, height, width, out_channels, 1, Ho, Wo, 1, 3, 1, 1, 0, 0);
    // min(x, 0.5)
    minc_0p5_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // + bias[c] (bias (C, 1, 1) ~ randn)
    add_bias_kernel<<<(n1 + 255) / 256, 256>>>(t1, bias, out, n1, (long)Ho * Wo, out_channels);
    cudaFree(t1);
}
