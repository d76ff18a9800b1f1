// Reference for L2/46 Conv2d_Subtract_Tanh_Subtract_AvgPool: what PyTorch eager runs. The
// convolution runs in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel
// per following PyTorch op (eager does not fuse).

// y = x - 0.5, one thread per element
__global__ void sub_0p5_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v - 0.5f;
}

// y = tanh(x), one thread per element
__global__ void tanh_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = tanhf(v);
}

// y = x - 0.2, one thread per element
__global__ void sub_0p2_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v - 0.2f;
}

// Average pooling, kernel = stride (KD, KH, KW), no padding, floor: one thread per output of
// x [P, D, H, W] -> y [P, Do, Ho, Wo] (2-D and 1-D pools run with the leading spatial sizes 1)
__global__ void avgpool_kernel(const float* x, float* y, long n, int D, int H, int W, int Do, int Ho, int Wo,
                     int KD, int KH, int KW) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
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

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    int Hp = Ho / 2;
    int Wp = Wo / 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 0, batch_size, in_channels, out_channels, {height, width}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, x, conv_w, conv_b, t1);
    // - 0.5
    sub_0p5_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // tanh
    tanh_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // - 0.2
    sub_0p2_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // avg_pool2d(kernel 2, stride 2)
    long n2 = (long)batch_size * out_channels * Hp * Wp;
    avgpool_kernel<<<(n2 + 255) / 256, 256>>>(t1, out, n2, 1, Ho, Wo, 1, Hp, Wp, 1, 2, 2);
    cudaFree(t1);
}
