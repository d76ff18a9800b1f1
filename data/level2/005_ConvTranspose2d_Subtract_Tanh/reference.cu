// Reference for L2/5 ConvTranspose2d_Subtract_Tanh: what PyTorch eager runs. The convolution runs
// in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel per following
// PyTorch op (eager does not fuse).

// y = x - bias[c] (bias (C, 1, 1) ~ randn), one thread per element
__global__ void sub_bias_kernel(const float* x, const float* p_, float* y, long n, long inner, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[(i / inner) % C];
    y[i] = v - p;
}

// y = tanh(x), one thread per element
__global__ void tanh_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = tanhf(v);
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = (height - 1) * 2 + 3;
    int Wo = (width - 1) * 2 + 3;
    // conv_transpose2d(in_channels -> out_channels channels, kernel 4, stride 2, padding 1, output_padding 1)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 1, batch_size, in_channels, out_channels, {height, width}, {4, 4}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 1, x, conv_w, conv_b, t1);
    // - bias[c] (bias (C, 1, 1) ~ randn)
    sub_bias_kernel<<<(n1 + 255) / 256, 256>>>(t1, bias, t1, n1, (long)Ho * Wo, out_channels);
    // tanh
    tanh_kernel<<<(n1 + 255) / 256, 256>>>(t1, out, n1);
    cudaFree(t1);
}
