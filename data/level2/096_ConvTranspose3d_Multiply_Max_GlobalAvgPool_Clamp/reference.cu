// Reference for L2/96 ConvTranspose3d_Multiply_Max_GlobalAvgPool_Clamp: what PyTorch eager runs.
// The convolution runs in cuDNN through kgrl_conv (with its bias, as the module does), then one
// kernel per following PyTorch op (eager does not fuse).

__device__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();                      // s may still be read from a previous call
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0f;
    v = warp_sum(v);
    return v;
}

// y = x * 0.5, one thread per element
__global__ void mul_0p5_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * 0.5f;
}

// Max pooling, kernel = stride (KD, KH, KW), no padding, floor: one thread per output of
// x [P, D, H, W] -> y [P, Do, Ho, Wo] (2-D and 1-D pools run with the leading spatial sizes 1)
__global__ void maxpool_kernel(const float* x, float* y, long n, int D, int H, int W, int Do, int Ho, int Wo,
                     int KD, int KH, int KW) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    long p = t / ((long)Wo * Ho * Do);
    const float* xp = x + p * D * H * W;
    float acc = xp[((long)od * KD * H + oh * KH) * W + ow * KW];
    for (int d = od * KD; d < od * KD + KD; d++)
        for (int h = oh * KH; h < oh * KH + KH; h++)
            for (int w = ow * KW; w < ow * KW + KW; w++)
                acc = fmaxf(acc, xp[((long)d * H + h) * W + w]);
    y[t] = acc;
}

// y[row] = mean of the R contiguous elements of row `row`: one block per row, warp-shuffle
// block reduction
__global__ void mean_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float acc = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) acc += xr[r];
    acc = block_sum(acc);
    if (threadIdx.x == 0) y[blockIdx.x] = acc / (float)R;
}

// y = clamp(x, 0, 1), one thread per element
__global__ void clamp_0p01p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = fminf(fmaxf(v, 0.0f), 1.0f);
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 1;
    int Ho = (height - 1) * 2 + 1;
    int Wo = (width - 1) * 2 + 1;
    int Dp = Do / 2;
    int Hp = Ho / 2;
    int Wp = Wo / 2;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 1, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, 1, x, conv_w, conv_b, t1);
    // * 0.5
    mul_0p5_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // max_pool3d(kernel 2, stride 2)
    long n2 = (long)batch_size * out_channels * Dp * Hp * Wp;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    maxpool_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, n2, Do, Ho, Wo, Dp, Hp, Wp, 2, 2, 2);
    // global average pool over dims 2,3,4 -> [N, C, 1, 1, 1]
    long n3 = (long)batch_size * out_channels;
    mean_rows_kernel<<<n3, 256>>>(t2, t1, (long)Dp * Hp * Wp);
    // clamp(0, 1)
    clamp_0p01p0_kernel<<<(n3 + 255) / 256, 256>>>(t1, out, n3);
    cudaFree(t1);
    cudaFree(t2);
}
