// Reference for L2/49 ConvTranspose3d_Softmax_Sigmoid: what PyTorch eager runs. The convolution
// runs in cuDNN through kgrl_conv (with its bias, as the module does), then one kernel per
// following PyTorch op (eager does not fuse).

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

// y = 1 / (1 + exp(-x)), one thread per element
__global__ void sigmoid_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = 1.0f / (1.0f + expf(-v));
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 2;
    int Ho = (height - 1) * 2 + 2;
    int Wo = (width - 1) * 2 + 2;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 1, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1, x, conv_w, conv_b, t1);
    // softmax over dim 1
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    softmax_cols_kernel<<<((long)batch_size * Do * Ho * Wo + 255) / 256, 256>>>(t1, t2, (long)out_channels, (long)Do * Ho * Wo, (long)batch_size * Do * Ho * Wo);
    // sigmoid
    sigmoid_kernel<<<(n1 + 255) / 256, 256>>>(t2, out, n1);
    cudaFree(t1);
    cudaFree(t2);
}
