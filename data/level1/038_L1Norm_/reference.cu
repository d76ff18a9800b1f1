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
// Reference: what PyTorch eager runs for x / torch.mean(torch.abs(x), dim=1, keepdim=True): abs (full
// tensor, float4, 4 elements per thread), a row reduction (one block of 512 threads per row, float4
// loads between a scalar head up to the first 16-byte boundary and a scalar tail), a broadcasting
// divide (4 elements per thread, blockDim.x apart, as PyTorch's unrolled kernel for a broadcast operand).
__global__ void abs_k(const float* x, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(x + i);
        v.x = fabsf(v.x); v.y = fabsf(v.y); v.z = fabsf(v.z); v.w = fabsf(v.w);
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = fabsf(x[i]);
    }
}
__global__ void row_mean(const float* x, float* m, int dim) {
    const float* xr = x + (long)blockIdx.x * dim;
    int head = (int)((16 - ((unsigned long long)xr & 15)) & 15) / 4;
    if (head > dim) head = dim;
    int n4 = (dim - head) / 4, tail = head + 4 * n4;
    const float4* x4 = (const float4*)(xr + head);
    float s = 0.0f;
    for (int j = threadIdx.x; j < head; j += blockDim.x) s += xr[j];
    for (int j = threadIdx.x; j < n4; j += blockDim.x) { float4 v = x4[j]; s += v.x; s += v.y; s += v.z; s += v.w; }
    for (int j = tail + threadIdx.x; j < dim; j += blockDim.x) s += xr[j];
    s = block_sum(s);
    if (threadIdx.x == 0) m[blockIdx.x] = s / (float)dim;
}
// y[r, j] = x[r, j] / m[r]: blockIdx.y walks the rows
__global__ void div_rows(const float* x, const float* m, float* y, int dim, long rows) {
    for (long r = blockIdx.y; r < rows; r += gridDim.y) {
        const float* xr = x + r * dim;
        float* yr = y + r * dim;
        float d = m[r];
        long j = blockIdx.x * 4L * blockDim.x + threadIdx.x;
        for (int k = 0; k < 4; k++, j += blockDim.x)
            if (j < dim) yr[j] = xr[j] / d;
    }
}
void forward(const float* x, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    float* a;
    float* m;
    cudaMalloc(&a, (size_t)n * sizeof(float));
    cudaMalloc(&m, (size_t)batch_size * sizeof(float));
    abs_k<<<((n + 3) / 4 + 255) / 256, 256>>>(x, a, n);
    row_mean<<<batch_size, 512>>>(a, m, dim);
    dim3 grid((dim + 1023) / 1024, batch_size < 65535 ? batch_size : 65535);
    div_rows<<<grid, 256>>>(x, m, out, dim, batch_size);
    cudaFree(a);
    cudaFree(m);
}
