// Fused single pass: the smooth-L1 term is computed while reading both inputs (float4 when aligned,
// scalar tail) and summed in registers, then warp-shuffle block sums into 1056 partials and one small
// block for the mean. 8 bytes per element instead of the reference's 16 (its elementwise kernel writes
// an n-float temporary that the sum rereads): 1.07 GB instead of 2.1 GB, predicted ~2x.
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

__device__ __forceinline__ float huber(float p, float t) {   // beta = 1
    float d = fabsf(p - t);
    return d < 1.0f ? 0.5f * d * d : d - 0.5f;
}

__global__ void huber_partial(const float* __restrict__ p, const float* __restrict__ t, long n, float* partial) {
    float acc = 0.0f;
    long stride = (long)gridDim.x * blockDim.x, tid = blockIdx.x * (long)blockDim.x + threadIdx.x;
    long done = 0;
    if ((((unsigned long long)p | (unsigned long long)t) & 15ull) == 0) {
        long n4 = n / 4;
        const float4* p4 = reinterpret_cast<const float4*>(p);
        const float4* t4 = reinterpret_cast<const float4*>(t);
        for (long i = tid; i < n4; i += stride) {
            float4 a = p4[i], b = t4[i];
            acc += huber(a.x, b.x) + huber(a.y, b.y) + huber(a.z, b.z) + huber(a.w, b.w);
        }
        done = n4 * 4;
    }
    for (long i = done + tid; i < n; i += stride) acc += huber(p[i], t[i]);
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
__global__ void mean_final(const float* partial, int np, float* out, float scale) {
    float acc = 0.0f;
    for (int i = threadIdx.x; i < np; i += blockDim.x) acc += partial[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[0] = acc * scale;
}
void forward(const float* predictions, const float* targets, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    float* partial;
    cudaMalloc(&partial, 1056 * sizeof(float));
    huber_partial<<<1056, 256>>>(predictions, targets, n, partial);   // 8 blocks of 256 per SM on 132 SMs
    mean_final<<<1, 1024>>>(partial, 1056, out, 1.0f / (float)n);
    cudaFree(partial);
}
