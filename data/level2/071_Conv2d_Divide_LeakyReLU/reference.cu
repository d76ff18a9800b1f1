// Reference for L2/71 Conv2d_Divide_LeakyReLU: what PyTorch eager runs. The convolution runs in
// cuDNN through kgrl_conv (with its bias, as the module does), then one kernel per following
// PyTorch op (eager does not fuse).

// y = x / 2, one thread per element
__global__ void div_2p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v / 2.0f;
}

// y = x > 0 ? x : 0.01 * x (leaky_relu), one thread per element
__global__ void leaky_0p01_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = (v > 0.0f ? v : v * 0.01f);
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 0, batch_size, in_channels, out_channels, {height, width}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, x, conv_w, conv_b, t1);
    // / 2
    div_2p0_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // leaky_relu(negative_slope=0.01)
    leaky_0p01_kernel<<<(n1 + 255) / 256, 256>>>(t1, out, n1);
    cudaFree(t1);
}
