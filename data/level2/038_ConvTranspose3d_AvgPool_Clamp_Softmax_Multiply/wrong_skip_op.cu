// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain: * scale[c]
// (scale (C, 1, 1, 1) ~ uniform(0.5,1.5))

__device__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Max over the block; lanes past the last warp reuse s[0] (any member is a neutral filler for max).
__device__ float block_max(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : s[0];
    return warp_max(v);
}

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

// Average pooling, kernel = stride (KD, KH, KW), no padding, floor: one thread per output of
// x [P, D, H, W] -> y [P, Do, Ho, Wo] (2-D and 1-D pools run with the leading spatial sizes 1)
__global__ void avgpool_kernel(const float* x, float* y, long n, int D, int H, int W, int Do, int Ho, int Wo,
                     int KD, int KH, int KW) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    long p = t / ((long)Wo * Ho * Do);
    const float* xp = x + p * D * H * W;
    float acc = 0.0f;
    for (int d = od * KD; d < od * KD + KD; d++)
        for (int h = oh * KH; h < oh * KH + KH; h++)
            for (int w = ow * KW; w < ow * KW + KW; w++)
                acc += xp[((long)d * H + h) * W + w];
    y[t] = acc / (float)(KD * KH * KW);
}

// Transposed convolution as a gather, one thread per output y[n, co, od, oh, ow] (2-D runs with depth 1):
// input position i contributes to output i*s - p + k, so for each kernel tap k the source is
// (o + p - k) / s when that divides exactly and lies inside the input; w is [Cin, Cout, KD, K, K]
__global__ void conv_transpose_direct_kernel(const float* x, const float* w, const float* b, float* y, int N, int Cin, int D, int H, int W,
                     int Cout, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= (long)N * Cout * Do * Ho * Wo) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    int co = (int)((t / ((long)Wo * Ho * Do)) % Cout), n = (int)(t / ((long)Wo * Ho * Do * Cout));
    float acc = b[co];
    for (int ci = 0; ci < Cin; ci++)
        for (int a = 0; a < KD; a++) {
            int td = od + pd - a;
            if (td < 0 || td % sd != 0 || td / sd >= D) continue;
            for (int kh = 0; kh < K; kh++) {
                int th = oh + p - kh;
                if (th < 0 || th % s != 0 || th / s >= H) continue;
                for (int kw = 0; kw < K; kw++) {
                    int tw = ow + p - kw;
                    if (tw < 0 || tw % s != 0 || tw / s >= W) continue;
                    acc += x[(((long)n * Cin + ci) * D + td / sd) * H * W + (long)(th / s) * W + tw / s] *
                           w[(((long)ci * Cout + co) * KD + a) * K * K + kh * K + kw];
                }
            }
        }
    y[t] = acc;
}

// y = clamp(x, 0, 1), one thread per element
__global__ void clamp_0p01p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = fminf(fmaxf(v, 0.0f), 1.0f);
}

// softmax of each row of R contiguous elements: one block per row; max, sum of exp, write
__global__ void softmax_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float* yr = y + blockIdx.x * R;
    float m = xr[0];
    for (long r = threadIdx.x; r < R; r += blockDim.x) m = fmaxf(m, xr[r]);
    m = block_max(m);
    float s = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) s += expf(xr[r] - m);
    s = block_sum(s);
    float inv = 1.0f / s;
    for (long r = threadIdx.x; r < R; r += blockDim.x) yr[r] = expf(xr[r] - m) * inv;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* scale, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Dp = depth / 2;
    int Hp = height / 2;
    int Wp = width / 2;
    int Do = (Dp - 1) * 2 + 2;
    int Ho = (Hp - 1) * 2 + 2;
    int Wo = (Wp - 1) * 2 + 2;
    // avg_pool3d(kernel 2, stride 2)
    long n1 = (long)batch_size * in_channels * Dp * Hp * Wp;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    avgpool_kernel<<<(n1 + 255) / 256, 256>>>(x, t1, n1, depth, height, width, Dp, Hp, Wp, 2, 2, 2);
    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    long n2 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    conv_transpose_direct_kernel<<<(n2 + 255) / 256, 256>>>(t1, conv_w, conv_b, t2, batch_size, in_channels, Dp, Hp, Wp, out_channels, Do, Ho, Wo, 3, 3, 2, 2, 1, 1);
    // clamp(0, 1)
    clamp_0p01p0_kernel<<<(n2 + 255) / 256, 256>>>(t2, t2, n2);
    // softmax over the flattened spatial dims (view(b, c, -1), dim 2)
    softmax_rows_kernel<<<(long)batch_size * out_channels, 256>>>(t2, out, (long)Do * Ho * Wo);
    cudaFree(t1);
    cudaFree(t2);
}
