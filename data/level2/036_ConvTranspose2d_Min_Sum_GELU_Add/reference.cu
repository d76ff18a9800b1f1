// Reference for L2/36 ConvTranspose2d_Min_Sum_GELU_Add: what PyTorch eager runs. The convolution
// runs in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel per
// following PyTorch op (eager does not fuse).

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

// y[o, j] = sum over r of x[o, r, j]: one thread per output; neighbouring threads read
// neighbouring j, so every step of the loop is coalesced
__global__ void sum_cols_kernel(const float* x, float* y, long R, long inner, long n) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    long o = t / inner, j = t - o * inner;
    const float* xr = x + o * R * inner + j;
    float acc = 0.0f;
    for (long r = 0; r < R; r++) acc += xr[r * inner];
    y[t] = acc;
}

// y = x * (1 + erf(x / sqrt(2))) / 2 (exact GELU, PyTorch's default), one thread per element
__global__ void gelu_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
}

// y = x + bias (shape (1, 1, 1) ~ randn), one thread per element
__global__ void add_bias_kernel(const float* x, const float* p_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[0];
    y[i] = v + p;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = (height - 1) * 2 + 2;
    int Wo = (width - 1) * 2 + 2;
    // conv_transpose2d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 1, batch_size, in_channels, out_channels, {height, width}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 1, x, conv_w, conv_b, t1);
    // min over dim 1 (keepdim)
    long n2 = (long)batch_size * Ho * Wo;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    min_cols_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, (long)out_channels, (long)Ho * Wo, n2);
    // sum over dim 2 (keepdim)
    long n3 = (long)batch_size * Wo;
    sum_cols_kernel<<<(n3 + 255) / 256, 256>>>(t2, t1, (long)Ho, (long)Wo, n3);
    // gelu (exact, erf form)
    gelu_kernel<<<(n3 + 255) / 256, 256>>>(t1, t1, n3);
    // + bias (shape (1, 1, 1) ~ randn)
    add_bias_kernel<<<(n3 + 255) / 256, 256>>>(t1, bias, out, n3);
    cudaFree(t1);
    cudaFree(t2);
}
