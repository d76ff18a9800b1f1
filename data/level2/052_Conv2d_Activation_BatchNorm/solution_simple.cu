// Simple solution for L2/52 Conv2d_Activation_BatchNorm: a direct convolution kernel instead of the
// library call, then one straightforward kernel per op of the chain. Correct, not fast.

// Sum of doubles over the block (norm statistics are accumulated in fp64: one row can hold
// millions of elements, and var = E[x^2] - mean^2 must not cancel).
__device__ double block_sum_d(double v) {
    __shared__ double s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
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

// y = log(1 + exp(x)), or x above 20 (softplus, as PyTorch), one thread per element
__global__ void softplus_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = (v > 20.0f ? v : log1pf(expf(v)));
}

// y = tanh(x), one thread per element
__global__ void tanh_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = tanhf(v);
}

// y = x * x (the conv output), one thread per element
__global__ void mul_t_kernel(const float* x, const float* r_, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float r = r_[i];
    y[i] = v * r;
}

// Partial batch statistics: one block per (n, c) slab of S contiguous elements; fp64 sum and sum of
// squares go to part[c * N + n] and part[(N + c) * N + n] (deterministic: no atomics)
__global__ void bn_partial_kernel(const float* x, double* part, int N, int C, long S) {
    long slab = blockIdx.x;
    const float* xs = x + slab * S;
    double s = 0.0, q = 0.0;
    for (long j = threadIdx.x; j < S; j += blockDim.x) { double v = xs[j]; s += v; q += v * v; }
    s = block_sum_d(s);
    q = block_sum_d(q);
    if (threadIdx.x == 0) {
        int n = (int)(slab / C), c = (int)(slab % C);
        part[(long)c * N + n] = s;
        part[(long)(C + c) * N + n] = q;
    }
}

// Per-channel mean and 1/sqrt(var + eps) from the partials, biased variance (training mode)
__global__ void bn_finalize_kernel(const double* part, float* mean, float* rstd, int N, int C, long S, float eps) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    double s = 0.0, q = 0.0;
    for (int n = 0; n < N; n++) { s += part[(long)c * N + n]; q += part[(long)(C + c) * N + n]; }
    double cnt = (double)N * (double)S, m = s / cnt, var = q / cnt - m * m;
    mean[c] = (float)m;
    rstd[c] = (float)(1.0 / sqrt(var + (double)eps));
}

// y = (x - mean[c]) * rstd[c] * w[c] + b[c], c = (i / inner) % C
__global__ void bn_apply_kernel(const float* x, const float* mean, const float* rstd, const float* w, const float* b,
                     float* y, long n, long inner, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    int c = (int)((i / inner) % C);
    y[i] = (x[i] - mean[c]) * rstd[c] * w[c] + b[c];
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* bn_w, const float* bn_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    conv_direct_kernel<<<(n1 + 255) / 256, 256>>>(x, conv_w, conv_b, t1, batch_size, in_channels, 1, height, width, out_channels, 1, Ho, Wo, 1, 3, 1, 1, 0, 0);
    // softplus
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    softplus_kernel<<<(n1 + 255) / 256, 256>>>(t1, t2, n1);
    // tanh
    tanh_kernel<<<(n1 + 255) / 256, 256>>>(t2, t2, n1);
    // * x (the conv output)
    mul_t_kernel<<<(n1 + 255) / 256, 256>>>(t2, t1, t2, n1);
    // batch_norm over dim 1 with batch statistics (training mode: KernelBench never calls .eval(); biased variance, eps 1e-05) and affine bn_w, bn_b
    float* mean5;
    cudaMalloc(&mean5, out_channels * sizeof(float));
    float* rstd5;
    cudaMalloc(&rstd5, out_channels * sizeof(float));
    double* part5;
    cudaMalloc(&part5, 2 * batch_size * out_channels * sizeof(double));
    bn_partial_kernel<<<batch_size * out_channels, 256>>>(t2, part5, batch_size, out_channels, (long)Ho * Wo);
    bn_finalize_kernel<<<(out_channels + 255) / 256, 256>>>(part5, mean5, rstd5, batch_size, out_channels, (long)Ho * Wo, 1e-05f);
    bn_apply_kernel<<<(n1 + 255) / 256, 256>>>(t2, mean5, rstd5, bn_w, bn_b, out, n1, (long)Ho * Wo, out_channels);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(mean5);
    cudaFree(rstd5);
    cudaFree(part5);
}
