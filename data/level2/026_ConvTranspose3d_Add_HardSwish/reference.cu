// Reference for L2/26 ConvTranspose3d_Add_HardSwish: what PyTorch eager runs. The convolution runs
// in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel per following
// PyTorch op (eager does not fuse).

// y = x + add_input, one thread per element
__global__ void add_t_kernel(const float* x, const float* r_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float r = r_[i];
    y[i] = v + r;
}

// y = x * clamp(x + 3, 0, 6) / 6 (HardSwish), one thread per element
__global__ void hardswish_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) / 6.0f;
}

// y = x * hardswish(x), one thread per element
__global__ void mul_t_kernel(const float* x, const float* r_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float r = r_[i];
    y[i] = v * r;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* add_input, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 2;
    int Ho = (height - 1) * 2 + 2;
    int Wo = (width - 1) * 2 + 2;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 1, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1, x, conv_w, conv_b, t1);
    // + add_input
    add_t_kernel<<<(n1 + 255) / 256, 256>>>(t1, add_input, t1, n1);
    // hardswish
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    hardswish_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, n1);
    // x * hardswish(x)
    mul_t_kernel<<<(n1 + 255) / 256, 256>>>(t2, t1, out, n1);
    cudaFree(t1);
    cudaFree(t2);
}
