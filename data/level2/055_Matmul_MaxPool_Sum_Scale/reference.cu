// Reference for L2/55 Matmul_MaxPool_Sum_Scale: what PyTorch eager runs. The GEMM runs in cuBLAS
// through kgrl_gemm (fp32, no TF32), then one kernel per following PyTorch op (eager does not
// fuse).

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

// y[m, f] = b[f]: the bias broadcast into the output, which the GEMM then accumulates into
// (beta = 1), as addmm does
__global__ void bias_rows_kernel(const float* b, float* y, long n, int F) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = b[i % F];
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

// y[row] = sum of the R contiguous elements of row `row`: one block per row, warp-shuffle
// block reduction
__global__ void sum_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float acc = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) acc += xr[r];
    acc = block_sum(acc);
    if (threadIdx.x == 0) y[blockIdx.x] = acc;
}

// y = x * 0.5, one thread per element
__global__ void mul_0p5_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * 0.5f;
}

void forward(const float* x, const float* w, const float* b, float* out, int batch_size, int in_features, int out_features) {
    int Fp = out_features / 2;
    // linear w (x @ w^T + b, in_features -> out_features features)
    long n1 = (long)batch_size * out_features;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    bias_rows_kernel<<<(n1 + 255) / 256, 256>>>(b, t1, n1, out_features);
    kgrl_gemm(0, 1, batch_size, out_features, in_features, 1.0f, x, in_features, w, in_features, 1.0f, t1, out_features);
    // max_pool1d(kernel 2, stride 2)
    long n2 = (long)batch_size * Fp;
    float* t2;
    cudaMalloc(&t2, n2 * sizeof(float));
    maxpool_kernel<<<(n2 + 255) / 256, 256>>>(t1, t2, n2, 1, 1, out_features, 1, 1, Fp, 1, 1, 2);
    // sum over dim 1
    sum_rows_kernel<<<(long)batch_size, 256>>>(t2, t1, (long)Fp);
    // * 0.5
    mul_0p5_kernel<<<((long)batch_size + 255) / 256, 256>>>(t1, out, (long)batch_size);
    cudaFree(t1);
    cudaFree(t2);
}
