// One warp per row with an online (single-pass) max/sum-exp in registers, merged across lanes with
// shuffles; the row loss goes to a small buffer that one block averages. The (N, C) log-probabilities
// the reference writes and rereads are never materialized: one read of the logits.
__global__ void ce_rows_warp(const float* __restrict__ x, const long long* __restrict__ t, float* loss, long N, long C) {
    long r = (blockIdx.x * (long)blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (r >= N) return;                       // whole warps exit together
    const float* xr = x + r * C;
    float m = __int_as_float(0xff800000), s = 0.0f;
    for (long j = lane; j < C; j += 32) {
        float v = xr[j];
        if (v > m) { s = s * expf(m - v) + 1.0f; m = v; }
        else s += expf(v - m);
    }
    for (int o = 16; o > 0; o >>= 1) {        // merge (m, s) pairs
        float m2 = __shfl_xor_sync(0xffffffffu, m, o);
        float s2 = __shfl_xor_sync(0xffffffffu, s, o);
        float mm = fmaxf(m, m2);
        s = (m == __int_as_float(0xff800000) ? 0.0f : s * expf(m - mm)) + (m2 == __int_as_float(0xff800000) ? 0.0f : s2 * expf(m2 - mm));
        m = mm;
    }
    if (lane == 0) loss[r] = m + logf(s) - xr[t[r]];
}
__global__ void mean_k(const float* v, long n, float* out) {
    __shared__ float ws[32];
    float acc = 0.0f;
    for (long i = threadIdx.x; i < n; i += blockDim.x) acc += v[i];
    for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if ((threadIdx.x & 31) == 0) ws[threadIdx.x >> 5] = acc;
    __syncthreads();
    if (threadIdx.x < 32) {
        acc = ws[threadIdx.x];
        for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
        if (threadIdx.x == 0) out[0] = acc / (float)n;
    }
}
void forward(const float* predictions, const long long* targets, float* out, int batch_size, int num_classes) {
    float* loss;
    cudaMalloc(&loss, (size_t)batch_size * sizeof(float));
    long threads = (long)batch_size * 32;
    ce_rows_warp<<<(threads + 255) / 256, 256>>>(predictions, targets, loss, batch_size, num_classes);
    mean_k<<<1, 1024>>>(loss, batch_size, out);
    cudaFree(loss);
}
