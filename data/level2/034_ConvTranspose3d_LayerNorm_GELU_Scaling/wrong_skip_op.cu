// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain: gelu
// (exact, erf form)

__device__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
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

// LayerNorm over the last dim (L elements per row): one warp per row, statistics and output in one
// kernel as PyTorch's layer_norm; two passes over the row (mean, then centered variance)
__global__ void layernorm_kernel(const float* x, const float* w, const float* b, float* y, long rows, int L, float eps) {
    long row = (blockIdx.x * (long)blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;              // whole warps leave together
    const float* xr = x + row * L;
    float s = 0.0f;
    for (int j = lane; j < L; j += 32) s += xr[j];
    float mean = warp_sum(s) / L;
    float q = 0.0f;
    for (int j = lane; j < L; j += 32) { float d = xr[j] - mean; q += d * d; }
    float rstd = rsqrtf(warp_sum(q) / L + eps);
    for (int j = lane; j < L; j += 32) y[row * L + j] = (xr[j] - mean) * rstd * w[j] + b[j];
}

// y = x * 1, one thread per element
__global__ void mul_1p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * 1.0f;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* ln_w, const float* ln_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = (depth - 1) * 2 + 2;
    int Ho = (height - 1) * 2 + 2;
    int Wo = (width - 1) * 2 + 2;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 4, stride 2, padding 1)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_transpose_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, depth, height, width, out_channels, Do, Ho, Wo, 4, 4, 2, 2, 1, 1);
    // layer_norm over the last dim (size Wo, eps 1e-05) with affine ln_w, ln_b
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    layernorm_kernel<<<((long)batch_size * out_channels * Do * Ho * 32 + 255) / 256, 256>>>(t1, ln_w, ln_b, t2, (long)batch_size * out_channels * Do * Ho, Wo, 1e-05f);
    // * 1
    mul_1p0_kernel<<<(n1 + 255) / 256, 256>>>(t2, out, n1);
    cudaFree(t1);
    cudaFree(t2);
}
