// Reference for L2/69 Conv2d_HardSwish_ReLU: what PyTorch eager runs. The convolution runs in cuDNN
// through kgrl_conv (with its bias, as the module does), then one kernel per following PyTorch op
// (eager does not fuse).

// y = x * clamp(x + 3, 0, 6) / 6 (HardSwish), one thread per element
__global__ void hardswish_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) / 6.0f;
}

// y = max(x, 0), one thread per element
__global__ void relu_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = fmaxf(v, 0.0f);
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 0, batch_size, in_channels, out_channels, {height, width}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, x, conv_w, conv_b, t1);
    // hardswish
    hardswish_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // relu
    relu_kernel<<<(n1 + 255) / 256, 256>>>(t1, out, n1);
    cudaFree(t1);
}
