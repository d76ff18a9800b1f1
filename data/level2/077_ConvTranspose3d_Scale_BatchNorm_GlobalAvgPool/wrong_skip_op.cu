// Known-wrong variant (expected verdict: wrong_output): leaves out one op of the chain: batch_norm
// over dim 1 with batch statistics (training mode: KernelBench never calls .eval(); biased
// variance, eps 1e-05) and affine bn_w, bn_b

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

// y = x * 2, one thread per element
__global__ void mul_2p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * 2.0f;
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

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bn_w, const float* bn_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = depth + 4;
    int Ho = height + 4;
    int Wo = width + 4;
    // conv_transpose3d(in_channels -> out_channels channels, kernel 5, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Do * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_transpose_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, depth, height, width, out_channels, Do, Ho, Wo, 5, 5, 1, 1, 0, 0);
    // * 2
    mul_2p0_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // global average pool over dims 2,3,4 -> [N, C, 1, 1, 1]
    long n2 = (long)batch_size * out_channels;
    mean_rows_kernel<<<n2, 256>>>(t1, out, (long)Do * Ho * Wo);
    cudaFree(t1);
}
