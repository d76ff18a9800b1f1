// Fused single pass: each thread owns a float4 column group (one column when dim % 4 != 0), keeps its
// targets in registers and walks a strided set of rows summing max(0, 1 - p*t); warp-shuffle block sums
// into partials, one small block for the mean. 4 bytes per element instead of the reference's 28 (three
// elementwise kernels through n-float temporaries, then the sum): 0.54 GB instead of 3.8 GB, predicted
// ~6-7x.
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

__device__ __forceinline__ float hinge(float p, float t) { return fmaxf(1.0f - p * t, 0.0f); }

// grid (column tiles of 256 threads, row groups); vec: columns are float4 groups (dim % 4 == 0).
__global__ void hinge_partial(const float* __restrict__ p, const float* __restrict__ t, long rows, long dim, int vec,
                              float* partial) {
    float acc = 0.0f;
    long c = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (vec) {
        long d4 = dim / 4;
        bool aligned = (((unsigned long long)p | (unsigned long long)t) & 15ull) == 0;
        if (c < d4 && aligned) {
            float4 tv = reinterpret_cast<const float4*>(t)[c];
            const float4* p4 = reinterpret_cast<const float4*>(p);
            long r = blockIdx.y, st = gridDim.y;
            for (; r + st < rows; r += 2 * st) {      // two independent 128-bit loads per trip
                float4 a = p4[r * d4 + c], b = p4[(r + st) * d4 + c];
                acc += hinge(a.x, tv.x) + hinge(a.y, tv.y) + hinge(a.z, tv.z) + hinge(a.w, tv.w);
                acc += hinge(b.x, tv.x) + hinge(b.y, tv.y) + hinge(b.z, tv.z) + hinge(b.w, tv.w);
            }
            if (r < rows) {
                float4 a = p4[r * d4 + c];
                acc += hinge(a.x, tv.x) + hinge(a.y, tv.y) + hinge(a.z, tv.z) + hinge(a.w, tv.w);
            }
        } else if (c < d4) {                  // base pointers not 16-byte aligned: same walk, scalar loads
            float t0 = t[4 * c], t1 = t[4 * c + 1], t2 = t[4 * c + 2], t3 = t[4 * c + 3];
            for (long r = blockIdx.y; r < rows; r += gridDim.y) {
                const float* pr = p + r * dim + 4 * c;
                acc += hinge(pr[0], t0) + hinge(pr[1], t1) + hinge(pr[2], t2) + hinge(pr[3], t3);
            }
        }
    } else if (c < dim) {
        float tv = t[c];
        for (long r = blockIdx.y; r < rows; r += gridDim.y) acc += hinge(p[r * dim + c], tv);
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.y * gridDim.x + blockIdx.x] = acc;
}
__global__ void mean_final(const float* partial, int np, float* out, float scale) {
    float acc = 0.0f;
    for (int i = threadIdx.x; i < np; i += blockDim.x) acc += partial[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[0] = acc * scale;
}
void forward(const float* predictions, const float* targets, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    int vec = dim % 4 == 0 ? 1 : 0;
    long cols = vec ? dim / 4 : dim;
    int cx = (int)((cols + 255) / 256);
    int gy = 1056 / cx;                       // about 8 blocks of 256 per SM on 132 SMs in all
    if (gy < 1) gy = 1;
    if (gy > batch_size) gy = batch_size;
    int np = cx * gy;
    float* partial;
    cudaMalloc(&partial, (size_t)np * sizeof(float));
    dim3 grid(cx, gy);
    hinge_partial<<<grid, 256>>>(predictions, targets, batch_size, dim, vec, partial);
    mean_final<<<1, 1024>>>(partial, np, out, 1.0f / (float)n);
    cudaFree(partial);
}
