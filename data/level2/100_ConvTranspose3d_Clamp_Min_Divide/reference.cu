// Reference for L2/100 ConvTranspose3d_Clamp_Min_Divide: what PyTorch eager runs. The convolution
// runs in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel per
// following PyTorch op (eager does not fuse).

// y = clamp(x, min=-1), one thread per element
__global__ void clamp_m1p0None_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = fmaxf(v, -1.0f);
}

// y = x / 2, one thread per element
__global__ void div_2p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v / 2.0f;
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 1;
    int Ho = (height - 1) * 2 + 1;
    int Wo = (width - 1) * 2 + 1;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 1, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, 1, x, conv_w, conv_b, t1);
    // clamp(min=-1)
    clamp_m1p0None_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // / 2
    div_2p0_kernel<<<(n1 + 255) / 256, 256>>>(t1, out, n1);
    cudaFree(t1);
}
