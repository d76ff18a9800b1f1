// Reference: eager PyTorch runs F.smooth_l1_loss(p, t) (beta 1, mean) as two kernels: the elementwise
// loss into a temporary, then the mean reduction. Mirrored here (the mean as two small passes).
// Block sum with warp shuffles; blockDim.x a multiple of 32 (<= 1024). The result is valid in thread 0.
__device__ float block_sum(float v) {
    __shared__ float ws[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) ws[warp] = v;
    __syncthreads();
    v = threadIdx.x < (blockDim.x >> 5) ? ws[threadIdx.x] : 0.0f;
    if (warp == 0)
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Pass 1 of a sum: each block writes the sum of its grid-stride slice of x to partial[blockIdx.x].
__global__ void sum_partial(const float* x, long n, float* partial) {
    float acc = 0.0f;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) acc += x[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
// Pass 2: one block adds the partials; out[0] = total * scale (scale = 1/count for a mean).
__global__ void sum_final(const float* partial, int np, float* out, float scale) {
    float acc = 0.0f;
    for (int i = threadIdx.x; i < np; i += blockDim.x) acc += partial[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[0] = acc * scale;
}

// beta = 1: 0.5 d^2 where |d| < 1, else |d| - 0.5
__global__ void smooth_l1_k(const float* p, const float* t, float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        float d = fabsf(p[i] - t[i]);
        y[i] = d < 1.0f ? 0.5f * d * d : d - 0.5f;
    }
}

void forward(const float* predictions, const float* targets, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    long b = (n + 255) / 256;
    if (b > 65536) b = 65536;
    float* l; float* partial;
    cudaMalloc(&l, n * sizeof(float));
    cudaMalloc(&partial, 1024 * sizeof(float));
    smooth_l1_k<<<b, 256>>>(predictions, targets, l, n);
    sum_partial<<<1024, 512>>>(l, n, partial);
    sum_final<<<1, 1024>>>(partial, 1024, out, 1.0f / (float)n);
    cudaFree(l);
    cudaFree(partial);
}
