// Reference: what PyTorch eager runs for F.layer_norm over (features, dim1, dim2) when the row length
// is a multiple of 4 and the pointers are 16-byte aligned: vectorized_layer_norm_kernel, one block of
// 128 threads per row, a Welford pass over the row with float4 loads, the statistics merged with warp
// shuffles and shared memory, then a second pass writing gamma * (x - mean) * rstd + beta with float4.
// Other row lengths run the same kernel with scalar loads (eager then runs two scalar kernels; only
// the main shape is timed).

// Chan's merge of the statistics (n, mean, m2) with (on, omean, om2)
__device__ __forceinline__ void wf_merge(float& n, float& mean, float& m2, float on, float omean, float om2) {
    float tot = n + on, f = on / fmaxf(1.0f, tot), d = omean - mean;
    mean += d * f;
    m2 += om2 + d * d * n * f;
    n = tot;
}
// one Welford step (the reciprocal instead of a division, as eager's cuWelfordOnlineSum)
__device__ __forceinline__ void wf_add(float& n, float& mean, float& m2, float v) {
    float d = v - mean;
    n += 1.0f;
    mean += d * (1.0f / n);
    m2 += d * (v - mean);
}

// blockDim.x == 128
__global__ void layer_norm_rows(const float* x, const float* w, const float* b, float* y, long D, float eps) {
    __shared__ float sn[4], sm[4], s2[4];
    const float* xr = x + blockIdx.x * D;
    float* yr = y + blockIdx.x * D;
    bool vec = (D & 3) == 0;
    float n = 0.0f, mean = 0.0f, m2 = 0.0f;
    if (vec) {
        const float4* x4 = (const float4*)xr;
        for (long j = threadIdx.x; j < D / 4; j += blockDim.x) {
            float4 v = x4[j];
            wf_add(n, mean, m2, v.x); wf_add(n, mean, m2, v.y); wf_add(n, mean, m2, v.z); wf_add(n, mean, m2, v.w);
        }
    } else {
        for (long j = threadIdx.x; j < D; j += blockDim.x) wf_add(n, mean, m2, xr[j]);
    }
    for (int o = 16; o > 0; o >>= 1) {
        float on = __shfl_xor_sync(0xffffffffu, n, o), om = __shfl_xor_sync(0xffffffffu, mean, o);
        float o2 = __shfl_xor_sync(0xffffffffu, m2, o);
        wf_merge(n, mean, m2, on, om, o2);
    }
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    if (lane == 0) { sn[wid] = n; sm[wid] = mean; s2[wid] = m2; }
    __syncthreads();
    n = sn[0]; mean = sm[0]; m2 = s2[0];
    for (int k = 1; k < 4; k++) wf_merge(n, mean, m2, sn[k], sm[k], s2[k]);
    float rstd = rsqrtf(m2 / n + eps);
    if (vec) {
        const float4* x4 = (const float4*)xr;
        const float4* w4 = (const float4*)w;
        const float4* b4 = (const float4*)b;
        float4* y4 = (float4*)yr;
        for (long j = threadIdx.x; j < D / 4; j += blockDim.x) {
            float4 v = x4[j], g = w4[j], c = b4[j];
            v.x = g.x * (rstd * (v.x - mean)) + c.x; v.y = g.y * (rstd * (v.y - mean)) + c.y;
            v.z = g.z * (rstd * (v.z - mean)) + c.z; v.w = g.w * (rstd * (v.w - mean)) + c.w;
            y4[j] = v;
        }
    } else {
        for (long j = threadIdx.x; j < D; j += blockDim.x) yr[j] = w[j] * (rstd * (xr[j] - mean)) + b[j];
    }
}
void forward(const float* x, const float* weight, const float* bias, float* out, int batch_size, int features, int dim1, int dim2, float eps) {
    layer_norm_rows<<<batch_size, 128>>>(x, weight, bias, out, (long)features * dim1 * dim2, eps);
}
