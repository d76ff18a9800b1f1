// Reference: eager PyTorch's TripletMarginLoss (margin 1, p 2, eps 1e-6, mean): pairwise_distance(a, x) =
// norm(a - x + eps, dim -1) is three kernels (sub, add eps, row norm), done for the positive and the negative;
// then margin + d_pos (add), - d_neg (sub), clamp_min 0 and the mean. Mirrored here one kernel per op.
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

__global__ void sub_k(const float* a, const float* b, float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) y[i] = a[i] - b[i];
}
__global__ void add_scalar_k(const float* a, float* y, long n, float s) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) y[i] = a[i] + s;
}
__global__ void clamp_min0_k(const float* a, float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) y[i] = fmaxf(a[i], 0.0f);
}
// norms[r] = sqrt(sum_j d[r, j]^2), one block per row
__global__ void row_norm_k(const float* d, float* norms, long dim) {
    const float* dr = d + (long)blockIdx.x * dim;
    float acc = 0.0f;
    for (long j = threadIdx.x; j < dim; j += blockDim.x) { float v = dr[j]; acc += v * v; }
    acc = block_sum(acc);
    if (threadIdx.x == 0) norms[blockIdx.x] = sqrtf(acc);
}

void forward(const float* anchor, const float* positive, const float* negative, float* out, int batch_size, int dim, float margin) {
    long n = (long)batch_size * dim;
    long b = (n + 255) / 256;
    if (b > 65536) b = 65536;
    long rb = (batch_size + 255) / 256;
    float* t1; float* t2; float* dpos; float* dneg; float* r1; float* r2; float* partial;
    cudaMalloc(&t1, n * sizeof(float));
    cudaMalloc(&t2, n * sizeof(float));
    cudaMalloc(&dpos, (size_t)batch_size * sizeof(float));
    cudaMalloc(&dneg, (size_t)batch_size * sizeof(float));
    cudaMalloc(&r1, (size_t)batch_size * sizeof(float));
    cudaMalloc(&r2, (size_t)batch_size * sizeof(float));
    cudaMalloc(&partial, 1024 * sizeof(float));
    sub_k<<<b, 256>>>(anchor, positive, t1, n);
    add_scalar_k<<<b, 256>>>(t1, t2, n, 1e-6f);
    row_norm_k<<<batch_size, 512>>>(t2, dpos, dim);
    sub_k<<<b, 256>>>(anchor, negative, t1, n);
    add_scalar_k<<<b, 256>>>(t1, t2, n, 1e-6f);
    row_norm_k<<<batch_size, 512>>>(t2, dneg, dim);
    add_scalar_k<<<rb, 256>>>(dpos, r1, batch_size, margin);
    sub_k<<<rb, 256>>>(r1, dneg, r2, batch_size);
    clamp_min0_k<<<rb, 256>>>(r2, r1, batch_size);
    sum_partial<<<1024, 512>>>(r1, batch_size, partial);
    sum_final<<<1, 1024>>>(partial, 1024, out, 1.0f / (float)batch_size);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(dpos);
    cudaFree(dneg);
    cudaFree(r1);
    cudaFree(r2);
    cudaFree(partial);
}
