// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain: + original

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

// y = x (x.clone(): PyTorch copies)
__global__ void copy_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i];
}

// y = x + bias[c] (bias (C, 1, 1, 1) ~ randn), one thread per element
__global__ void add_bias_kernel(const float* x, const float* p_, float* y, long n, long inner, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[(i / inner) % C];
    y[i] = v + p;
}

// y = x + original (the clone), one thread per element
__global__ void add_t_kernel(const float* x, const float* r_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float r = r_[i];
    y[i] = v + r;
}

// y = x * original, one thread per element
__global__ void mul_t_kernel(const float* x, const float* r_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float r = r_[i];
    y[i] = v * r;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 2;
    int Ho = (height - 1) * 2 + 2;
    int Wo = (width - 1) * 2 + 2;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_transpose_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, depth, height, width, out_channels, Do, Ho, Wo, 3, 3, 2, 2, 1, 1);
    // clone (saved for a residual)
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    copy_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, n1);
    // + bias[c] (bias (C, 1, 1, 1) ~ randn)
    add_bias_kernel<<<(n1 + 255) / 256, 256>>>(t1, bias, t1, n1, (long)Do * Ho * Wo, out_channels);
    // + original (the clone)
    add_t_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, t1, n1);
    // * original
    mul_t_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, out, n1);
    cudaFree(t1);
    cudaFree(t2);
}
