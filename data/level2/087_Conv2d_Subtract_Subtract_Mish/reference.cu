// Reference for L2/87 Conv2d_Subtract_Subtract_Mish: what PyTorch eager runs. The convolution runs
// in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel per following
// PyTorch op (eager does not fuse).

// y = x - 0.5, one thread per element
__global__ void sub_0p5_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v - 0.5f;
}

// y = x - 0.2, one thread per element
__global__ void sub_0p2_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v - 0.2f;
}

// y = x * tanh(log(1 + exp(x))) (Mish), one thread per element
__global__ void mish_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * tanhf(log1pf(expf(v)));
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 0, batch_size, in_channels, out_channels, {height, width}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, x, conv_w, conv_b, t1);
    // - 0.5
    sub_0p5_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // - 0.2
    sub_0p2_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // mish
    mish_kernel<<<(n1 + 255) / 256, 256>>>(t1, out, n1);
    cudaFree(t1);
}
