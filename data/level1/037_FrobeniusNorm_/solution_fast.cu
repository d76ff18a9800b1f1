// The reference's three steps (sum of squares into partials, one block for the norm, a scale pass) with
// float4 loads/stores, one wave of 1056 x 256 threads for the reduction, and the scale pass (x *
// 1/||x||) walking back to front so its first blocks hit what the reduction left in L2. Bytes are
// already minimal (3.2 GB: x read twice, written once; 1.07 ms measured vs ~0.76 ms at copy bandwidth):
// predicted ~1.2-1.3x.
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

__global__ void sumsq_partial(const float* __restrict__ x, long n, float* partial) {
    float acc = 0.0f;
    long stride = (long)gridDim.x * blockDim.x, tid = blockIdx.x * (long)blockDim.x + threadIdx.x;
    long done = 0;
    if ((((unsigned long long)x) & 15ull) == 0) {
        long n4 = n / 4;
        const float4* x4 = reinterpret_cast<const float4*>(x);
        long i = tid;
        for (; i + stride < n4; i += 2 * stride) {    // two independent 128-bit loads per trip
            float4 v = x4[i], u = x4[i + stride];
            acc += (v.x * v.x + v.y * v.y) + (v.z * v.z + v.w * v.w);
            acc += (u.x * u.x + u.y * u.y) + (u.z * u.z + u.w * u.w);
        }
        if (i < n4) { float4 v = x4[i]; acc += (v.x * v.x + v.y * v.y) + (v.z * v.z + v.w * v.w); }
        done = n4 * 4;
    }
    for (long i = done + tid; i < n; i += stride) { float v = x[i]; acc += v * v; }
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
__global__ void inv_norm(const float* partial, int np, float* inv) {
    float acc = 0.0f;
    for (int i = threadIdx.x; i < np; i += blockDim.x) acc += partial[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) inv[0] = 1.0f / sqrtf(acc);
}
// Block b handles float4 chunk (gridDim.x - 1 - b) of 2048 (256 threads x 8); block 0 also the n % 4 tail.
__global__ void scale_rev(const float* __restrict__ x, const float* __restrict__ inv, float* __restrict__ y, long n) {
    float s = inv[0];
    bool vec = (((unsigned long long)x | (unsigned long long)y) & 15ull) == 0;
    long n4 = vec ? n / 4 : 0;
    long chunk = gridDim.x - 1 - blockIdx.x;
    if (vec) {
        const float4* x4 = reinterpret_cast<const float4*>(x);
        float4* y4 = reinterpret_cast<float4*>(y);
        long base = chunk * 2048;
#pragma unroll
        for (int k = 0; k < 8; k++) {
            long i = base + k * 256 + threadIdx.x;
            if (i < n4) { float4 v = x4[i]; v.x *= s; v.y *= s; v.z *= s; v.w *= s; y4[i] = v; }
        }
        if (blockIdx.x == 0)
            for (long i = n4 * 4 + threadIdx.x; i < n; i += blockDim.x) y[i] = x[i] * s;
    } else {
        long base = chunk * 8192;
        for (long i = base + threadIdx.x; i < base + 8192 && i < n; i += blockDim.x) y[i] = x[i] * s;
    }
}
void forward(const float* x, float* out, int batch_size, int features, int dim1, int dim2) {
    long n = (long)batch_size * features * dim1 * dim2;
    float* partial;
    cudaMalloc(&partial, 1057 * sizeof(float));       // 1056 partials, then 1 / norm
    sumsq_partial<<<1056, 256>>>(x, n, partial);      // 8 blocks of 256 per SM on 132 SMs
    inv_norm<<<1, 1024>>>(partial, 1056, partial + 1056);
    long blocks = (n + 8191) / 8192;                  // covers n/4 float4 in chunks of 2048, or n scalars in 8192
    scale_rev<<<blocks, 256>>>(x, partial + 1056, out, n);
    cudaFree(partial);
}
