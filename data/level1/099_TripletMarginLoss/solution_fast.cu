// One block per row reads the anchor once and both other rows once (float4 where the row start is
// 16-byte aligned, i.e. dim % 4 == 0), reducing both squared distances together; the row hinge goes to a
// small buffer that one block averages. The reference makes six full passes of temporaries per distance.
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

__global__ void triplet_rows_block(const float* __restrict__ a, const float* __restrict__ p, const float* __restrict__ q,
                                   float* loss, long dim, float margin) {
    __shared__ float wsum[2][32];
    long base = (long)blockIdx.x * dim;
    float sp = 0.0f, sn = 0.0f;
    if ((dim & 3) == 0) {
        const float4* a4 = reinterpret_cast<const float4*>(a + base);
        const float4* p4 = reinterpret_cast<const float4*>(p + base);
        const float4* q4 = reinterpret_cast<const float4*>(q + base);
        for (long j = threadIdx.x; j < dim / 4; j += blockDim.x) {
            float4 av = a4[j], pv = p4[j], qv = q4[j];
            float d;
            d = av.x - pv.x + 1e-6f; sp += d * d;  d = av.x - qv.x + 1e-6f; sn += d * d;
            d = av.y - pv.y + 1e-6f; sp += d * d;  d = av.y - qv.y + 1e-6f; sn += d * d;
            d = av.z - pv.z + 1e-6f; sp += d * d;  d = av.z - qv.z + 1e-6f; sn += d * d;
            d = av.w - pv.w + 1e-6f; sp += d * d;  d = av.w - qv.w + 1e-6f; sn += d * d;
        }
    } else {
        for (long j = threadIdx.x; j < dim; j += blockDim.x) {
            float av = a[base + j];
            float d = av - p[base + j] + 1e-6f; sp += d * d;
            d = av - q[base + j] + 1e-6f; sn += d * d;
        }
    }
    for (int o = 16; o > 0; o >>= 1) {
        sp += __shfl_xor_sync(0xffffffffu, sp, o);
        sn += __shfl_xor_sync(0xffffffffu, sn, o);
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) { wsum[0][warp] = sp; wsum[1][warp] = sn; }
    __syncthreads();
    if (threadIdx.x == 0) {
        float tp = 0.0f, tn = 0.0f;
        for (int w = 0; w < (int)(blockDim.x >> 5); w++) { tp += wsum[0][w]; tn += wsum[1][w]; }
        loss[blockIdx.x] = fmaxf(margin + sqrtf(tp) - sqrtf(tn), 0.0f);
    }
}
__global__ void mean_k(const float* v, long n, float* out) {
    float acc = 0.0f;
    for (long i = threadIdx.x; i < n; i += blockDim.x) acc += v[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[0] = acc / (float)n;
}
void forward(const float* anchor, const float* positive, const float* negative, float* out, int batch_size, int dim, float margin) {
    float* loss;
    cudaMalloc(&loss, (size_t)batch_size * sizeof(float));
    triplet_rows_block<<<batch_size, 256>>>(anchor, positive, negative, loss, dim, margin);
    mean_k<<<1, 1024>>>(loss, batch_size, out);
    cudaFree(loss);
}
