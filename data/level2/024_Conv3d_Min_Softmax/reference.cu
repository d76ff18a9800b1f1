// Reference for L2/24 Conv3d_Min_Softmax: what PyTorch eager runs. The convolution runs in cuDNN
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

// softmax over r of x[o, r, j] (a strided dim, e.g. channels): one thread per (o, j), reads
// coalesced across j
__global__ void softmax_cols_kernel(const float* x, float* y, long R, long inner, long n) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    long o = t / inner, j = t - o * inner;
    const float* xr = x + o * R * inner + j;
    float* yr = y + o * R * inner + j;
    float m = xr[0];
    for (long r = 1; r < R; r++) m = fmaxf(m, xr[r * inner]);
    float s = 0.0f;
    for (long r = 0; r < R; r++) s += expf(xr[r * inner] - m);
    float inv = 1.0f / s;
    for (long r = 0; r < R; r++) yr[r * inner] = expf(xr[r * inner] - m) * inv;
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = depth - 2;
    int Ho = height - 2;
    int Wo = width - 2;
    // conv3d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 0, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}, 1, x, conv_w, conv_b, t1);
    // min over dim 2 (depth)
    long n2 = (long)batch_size * out_channels * Ho * Wo;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    min_cols_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, (long)Do, (long)Ho * Wo, n2);
    // softmax over dim 1
    softmax_cols_kernel<<<((long)batch_size * Ho * Wo + 255) / 256, 256>>>(t2, out, (long)out_channels, (long)Ho * Wo, (long)batch_size * Ho * Wo);
    cudaFree(t1);
    cudaFree(t2);
}
