// Reference for L2/74 ConvTranspose3d_LeakyReLU_Multiply_LeakyReLU_Max: what PyTorch eager runs.
// The convolution runs in cuDNN through kgrl_conv (with its bias, as the module does), then one
// kernel per following PyTorch op (eager does not fuse).

// y = x > 0 ? x : 0.2 * x (leaky_relu), one thread per element
__global__ void leaky_0p2_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = (v > 0.0f ? v : v * 0.2f);
}

// y = x * multiplier[c] (multiplier (C, 1, 1, 1) ~ randn), one thread per element
__global__ void mul_multiplier_kernel(const float* x, const float* p_, float* y, long n, long inner, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[(i / inner) % C];
    y[i] = v * p;
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

void forward(const float* x, const float* conv_w, const float* conv_b, const float* multiplier, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 2;
    int Ho = (height - 1) * 2 + 2;
    int Wo = (width - 1) * 2 + 2;
    int Dp = Do / 2;
    int Hp = Ho / 2;
    int Wp = Wo / 2;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 1, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1, x, conv_w, conv_b, t1);
    // leaky_relu(negative_slope=0.2)
    leaky_0p2_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // * multiplier[c] (multiplier (C, 1, 1, 1) ~ randn)
    mul_multiplier_kernel<<<(n1 + 255) / 256, 256>>>(t1, multiplier, t1, n1, (long)Do * Ho * Wo, out_channels);
    // leaky_relu(negative_slope=0.2)
    leaky_0p2_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // max_pool3d(kernel 2, stride 2)
    long n2 = (long)batch_size * out_channels * Dp * Hp * Wp;
    maxpool_kernel<<<(n2 + 255) / 256, 256>>>(t1, out, n2, Do, Ho, Wo, Dp, Hp, Wp, 2, 2, 2);
    cudaFree(t1);
}
