// Reference: eager PyTorch's TripletMarginLoss (margin 1, p 2, eps 1e-6, mean): pairwise_distance(a, x) =
// norm(a - x + eps, dim -1) is three kernels (sub, add eps, row norm), done for the positive and the negative;
// then margin + d_pos (add), - d_neg (sub), clamp_min 0 and the mean (one single-block reduction here).
// Mirrored one kernel per op; the elementwise kernels read and write float4 (4 elements per thread) as
// PyTorch does for contiguous fp32, the row norm reads float4 between a scalar head (up to the first
// 16-byte boundary) and a scalar tail.

// Sum over the block (blockDim.x a multiple of 32, <= 1024): warp shuffles, then one warp over the
// per-warp partials. Every thread gets the total.
__device__ float block_sum(float v) {
    __shared__ float sh[32];
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
    __syncthreads();
    if (threadIdx.x % 32 == 0) sh[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < blockDim.x / 32 ? sh[threadIdx.x] : 0.0f;
        for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
        if (threadIdx.x == 0) sh[0] = v;
    }
    __syncthreads();
    return sh[0];
}

// out[0] = mean of x[0..n), one block
__global__ void mean_k(const float* x, long n, float* out) {
    float acc = 0.0f;
    for (long i = threadIdx.x; i < n; i += blockDim.x) acc += x[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[0] = acc / (float)n;
}

// thread t owns elements 4t..4t+3; the last thread finishes a partial group
__global__ void sub_k(const float* a, const float* b, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 u = *(const float4*)(a + i), v = *(const float4*)(b + i);
        u.x -= v.x; u.y -= v.y; u.z -= v.z; u.w -= v.w;
        *(float4*)(y + i) = u;
    } else {
        for (; i < n; i++) y[i] = a[i] - b[i];
    }
}
__global__ void add_scalar_k(const float* a, float* y, long n, float s) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(a + i);
        v.x += s; v.y += s; v.z += s; v.w += s;
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = a[i] + s;
    }
}
__global__ void clamp_min0_k(const float* a, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(a + i);
        v.x = fmaxf(v.x, 0.0f); v.y = fmaxf(v.y, 0.0f); v.z = fmaxf(v.z, 0.0f); v.w = fmaxf(v.w, 0.0f);
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = fmaxf(a[i], 0.0f);
    }
}
// norms[r] = sqrt(sum_j d[r, j]^2), one block per row
__global__ void row_norm_k(const float* d, float* norms, int dim) {
    const float* dr = d + (long)blockIdx.x * dim;
    int head = (int)((16 - ((unsigned long long)dr & 15)) & 15) / 4;
    if (head > dim) head = dim;
    int n4 = (dim - head) / 4, tail = head + 4 * n4;
    const float4* d4 = (const float4*)(dr + head);
    float acc = 0.0f;
    for (int j = threadIdx.x; j < head; j += blockDim.x) { float v = dr[j]; acc += v * v; }
    for (int j = threadIdx.x; j < n4; j += blockDim.x) {
        float4 v = d4[j];
        acc += v.x * v.x; acc += v.y * v.y; acc += v.z * v.z; acc += v.w * v.w;
    }
    for (int j = tail + threadIdx.x; j < dim; j += blockDim.x) { float v = dr[j]; acc += v * v; }
    acc = block_sum(acc);
    if (threadIdx.x == 0) norms[blockIdx.x] = sqrtf(acc);
}

void forward(const float* anchor, const float* positive, const float* negative, float* out, int batch_size, int dim, float margin) {
    long n = (long)batch_size * dim;
    long b = ((n + 3) / 4 + 255) / 256, rb = ((batch_size + 3) / 4 + 255) / 256;
    float* t1; float* t2; float* dpos; float* dneg; float* r1; float* r2;
    cudaMalloc(&t1, n * sizeof(float));
    cudaMalloc(&t2, n * sizeof(float));
    cudaMalloc(&dpos, (size_t)batch_size * sizeof(float));
    cudaMalloc(&dneg, (size_t)batch_size * sizeof(float));
    cudaMalloc(&r1, (size_t)batch_size * sizeof(float));
    cudaMalloc(&r2, (size_t)batch_size * sizeof(float));
    sub_k<<<b, 256>>>(anchor, positive, t1, n);
    add_scalar_k<<<b, 256>>>(t1, t2, n, 1e-6f);
    row_norm_k<<<batch_size, 512>>>(t2, dpos, dim);
    sub_k<<<b, 256>>>(anchor, negative, t1, n);
    add_scalar_k<<<b, 256>>>(t1, t2, n, 1e-6f);
    row_norm_k<<<batch_size, 512>>>(t2, dneg, dim);
    add_scalar_k<<<rb, 256>>>(dpos, r1, batch_size, margin);
    sub_k<<<rb, 256>>>(r1, dneg, r2, batch_size);
    clamp_min0_k<<<rb, 256>>>(r2, r1, batch_size);
    mean_k<<<1, 1024>>>(r1, batch_size, out);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(dpos);
    cudaFree(dneg);
    cudaFree(r1);
    cudaFree(r2);
}
