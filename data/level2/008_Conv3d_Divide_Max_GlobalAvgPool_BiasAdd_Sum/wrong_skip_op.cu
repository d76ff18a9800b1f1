// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain: + bias[c]
// (bias (C, 1, 1, 1) ~ randn)

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

// Direct convolution, one thread per output y[n, co, od, oh, ow] (2-D convs run with depth 1):
// y = b[co] + sum over ci, kd, kh, kw of x[n, ci, od*sd-pd+kd, oh*s-p+kh, ow*s-p+kw] * w[co, ci, kd, kh, kw]
__global__ void conv_direct_kernel(const float* x, const float* w, const float* b, float* y, int N, int Cin, int D, int H, int W,
                     int Cout, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= (long)N * Cout * Do * Ho * Wo) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    int co = (int)((t / ((long)Wo * Ho * Do)) % Cout), n = (int)(t / ((long)Wo * Ho * Do * Cout));
    float acc = b[co];
    for (int ci = 0; ci < Cin; ci++)
        for (int a = 0; a < KD; a++) {
            int id = od * sd - pd + a;
            if (id < 0 || id >= D) continue;
            for (int kh = 0; kh < K; kh++) {
                int ih = oh * s - p + kh;
                if (ih < 0 || ih >= H) continue;
                for (int kw = 0; kw < K; kw++) {
                    int iw = ow * s - p + kw;
                    if (iw < 0 || iw >= W) continue;
                    acc += x[(((long)n * Cin + ci) * D + id) * H * W + (long)ih * W + iw] *
                           w[(((long)co * Cin + ci) * KD + a) * K * K + kh * K + kw];
                }
            }
        }
    y[t] = acc;
}

// y = x / 2, one thread per element
__global__ void div_2p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v / 2.0f;
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

// y[row] = sum of the R contiguous elements of row `row`: one block per row, warp-shuffle
// block reduction
__global__ void sum_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float acc = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) acc += xr[r];
    acc = block_sum(acc);
    if (threadIdx.x == 0) y[blockIdx.x] = acc;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bias, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = depth - 2;
    int Ho = height - 2;
    int Wo = width - 2;
    int Dp = Do / 2;
    int Hp = Ho / 2;
    int Wp = Wo / 2;
    // conv3d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, depth, height, width, out_channels, Do, Ho, Wo, 3, 3, 1, 1, 0, 0);
    // / 2
    div_2p0_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // max_pool3d(kernel 2, stride 2)
    long n2 = (long)batch_size * out_channels * Dp * Hp * Wp;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    maxpool_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, n2, Do, Ho, Wo, Dp, Hp, Wp, 2, 2, 2);
    // global average pool over dims 2,3,4 -> [N, C, 1, 1, 1]
    long n3 = (long)batch_size * out_channels;
    mean_rows_kernel<<<n3, 256>>>(t2, t1, (long)Dp * Hp * Wp);
    // sum over dim 1
    sum_rows_kernel<<<(long)batch_size, 256>>>(t1, out, (long)out_channels);
    cudaFree(t1);
    cudaFree(t2);
}
