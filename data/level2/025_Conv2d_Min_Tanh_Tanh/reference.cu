// Reference for L2/25 Conv2d_Min_Tanh_Tanh: what PyTorch eager runs. The convolution runs in cuDNN
// through kgrl_conv (with its bias, as the module does), then one kernel per following PyTorch op
// (eager does not fuse).

// y[o, j] = min over r of x[o, r, j]: one thread per output; neighbouring threads read
// neighbouring j, so every step of the loop is coalesced
__global__ void min_cols_kernel(const float* x, float* y, long R, long inner, long n) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    long o = t / inner, j = t - o * inner;
    const float* xr = x + o * R * inner + j;
    float acc = xr[0];
    for (long r = 0; r < R; r++) acc = fminf(acc, xr[r * inner]);
    y[t] = acc;
}

// y = tanh(x), one thread per element
__global__ void tanh_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = tanhf(v);
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 0, batch_size, in_channels, out_channels, {height, width}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, x, conv_w, conv_b, t1);
    // min over dim 1 (keepdim)
    long n2 = (long)batch_size * Ho * Wo;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    min_cols_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, (long)out_channels, (long)Ho * Wo, n2);
    // tanh
    tanh_kernel<<<(n2 + 255) / 256, 256>>>(t2, t2, n2);
    // tanh
    tanh_kernel<<<(n2 + 255) / 256, 256>>>(t2, out, n2);
    cudaFree(t1);
    cudaFree(t2);
}
