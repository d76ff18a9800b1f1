// Reference: what PyTorch eager runs for log_softmax over rows longer than shared memory holds:
// cunn_SoftMaxForward, one block of 1024 threads per row, three passes over the row (max, sum of
// exp, write), each reading float4 between a scalar head (up to the first 16-byte boundary) and a
// scalar tail, block reductions with warp shuffles.

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
__device__ float block_max(float v) {
    __shared__ float shm[32];
    for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
    __syncthreads();
    if (threadIdx.x % 32 == 0) shm[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < blockDim.x / 32 ? shm[threadIdx.x] : -__int_as_float(0x7f800000);
        for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
        if (threadIdx.x == 0) shm[0] = v;
    }
    __syncthreads();
    return shm[0];
}

// One block per row. A row of dim floats splits into head (scalar, up to the first 16-byte boundary),
// body (n4 float4) and tail (scalar); x and out rows start at the same offset modulo 16 bytes.
__global__ void log_softmax_rows(const float* x, float* out, int dim) {
    const float* xr = x + (long)blockIdx.x * dim;
    float* yr = out + (long)blockIdx.x * dim;
    int head = (int)((16 - ((unsigned long long)xr & 15)) & 15) / 4;
    if (head > dim) head = dim;
    int n4 = (dim - head) / 4, tail = head + 4 * n4;
    const float4* x4 = (const float4*)(xr + head);
    float4* y4 = (float4*)(yr + head);
    float m = -__int_as_float(0x7f800000);
    for (int j = threadIdx.x; j < head; j += blockDim.x) m = fmaxf(m, xr[j]);
    for (int j = threadIdx.x; j < n4; j += blockDim.x) {
        float4 v = x4[j];
        m = fmaxf(m, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)));
    }
    for (int j = tail + threadIdx.x; j < dim; j += blockDim.x) m = fmaxf(m, xr[j]);
    m = block_max(m);
    float s = 0.0f;
    for (int j = threadIdx.x; j < head; j += blockDim.x) s += expf(xr[j] - m);
    for (int j = threadIdx.x; j < n4; j += blockDim.x) {
        float4 v = x4[j];
        s += expf(v.x - m); s += expf(v.y - m); s += expf(v.z - m); s += expf(v.w - m);
    }
    for (int j = tail + threadIdx.x; j < dim; j += blockDim.x) s += expf(xr[j] - m);
    s = block_sum(s);
    float ls = logf(s);
    for (int j = threadIdx.x; j < head; j += blockDim.x) yr[j] = xr[j] - m - ls;
    for (int j = threadIdx.x; j < n4; j += blockDim.x) {
        float4 v = x4[j];
        v.x = v.x - m - ls; v.y = v.y - m - ls; v.z = v.z - m - ls; v.w = v.w - m - ls;
        y4[j] = v;
    }
    for (int j = tail + threadIdx.x; j < dim; j += blockDim.x) yr[j] = xr[j] - m - ls;
}
void forward(const float* x, float* out, int batch_size, int dim) {
    // PyTorch's block size: min(dim, 1024) rounded up to a multiple of 32
    int threads = dim < 1024 ? (dim + 31) / 32 * 32 : 1024;
    log_softmax_rows<<<batch_size, threads>>>(x, out, dim);
}
