// Reference for L2/58 ConvTranspose3d_LogSumExp_HardSwish_Subtract_Clamp: what PyTorch eager runs.
// The convolution runs in cuDNN through kgrl_conv (with its bias, as the module does), then one
// kernel per following PyTorch op (eager does not fuse).

// y[o, j] = logsumexp over r of x[o, r, j]: one thread per output; neighbouring threads read
// neighbouring j, so every step of the loop is coalesced
__global__ void lse_cols_kernel(const float* x, float* y, long R, long inner, long n) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    long o = t / inner, j = t - o * inner;
    const float* xr = x + o * R * inner + j;
    float m = xr[0];
    for (long r = 1; r < R; r++) m = fmaxf(m, xr[r * inner]);
    float s = 0.0f;
    for (long r = 0; r < R; r++) s += expf(xr[r * inner] - m);
    y[t] = m + logf(s);
}

// y = x + 3, one thread per element
__global__ void add_3p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v + 3.0f;
}

// y = 1 / (1 + exp(-x)), one thread per element
__global__ void sigmoid_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = 1.0f / (1.0f + expf(-v));
}

// y = x * sigmoid(x + 3), one thread per element
__global__ void mul_t_kernel(const float* x, const float* r_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float r = r_[i];
    y[i] = v * r;
}

// y = x / 6, one thread per element
__global__ void div_6p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v / 6.0f;
}

// y = x - bias (shape (1, 1, 1, 1)), one thread per element
__global__ void sub_bias_kernel(const float* x, const float* p_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = p_[0];
    y[i] = v - p;
}

// y = clamp(x, -1, 1), one thread per element
__global__ void clamp_m1p01p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = fminf(fmaxf(v, -1.0f), 1.0f);
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 1;
    int Ho = (height - 1) * 2 + 1;
    int Wo = (width - 1) * 2 + 1;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 1, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, 1, x, conv_w, conv_b, t1);
    // logsumexp over dim 1 (keepdim)
    long n2 = (long)batch_size * Do * Ho * Wo;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    lse_cols_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, (long)out_channels, (long)Do * Ho * Wo, n2);
    // + 3
    add_3p0_kernel<<<(n2 + 255) / 256, 256>>>(t2, t1, n2);
    // sigmoid
    sigmoid_kernel<<<(n2 + 255) / 256, 256>>>(t1, t1, n2);
    // x * sigmoid(x + 3)
    mul_t_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, t1, n2);
    // / 6
    div_6p0_kernel<<<(n2 + 255) / 256, 256>>>(t1, t1, n2);
    // - bias (shape (1, 1, 1, 1))
    sub_bias_kernel<<<(n2 + 255) / 256, 256>>>(t1, bias, t1, n2);
    // clamp(-1, 1)
    clamp_m1p01p0_kernel<<<(n2 + 255) / 256, 256>>>(t1, out, n2);
    cudaFree(t1);
    cudaFree(t2);
}
