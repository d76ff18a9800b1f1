// Three launches, no per-element index division: per-(channel, part) shifted sums of x - K and (x - K)^2
// (K = the channel's first value) walked plane by plane with float4; one thread per channel merges them
// in double into scale/shift; then one FMA per element, float4. Same 3.2 GB as the reference, whose
// per-element 64-bit div/mod and Welford divides make it instruction-bound (1.94 ms in
// data/baselines/H200.csv vs ~0.76 ms at copy bandwidth): predicted ~2x.
// Block sum of a double (blockDim.x a multiple of 32, <= 1024); valid in thread 0. sh: 32 doubles.
__device__ double block_sum_d(double v, double* sh) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    v = threadIdx.x < (blockDim.x >> 5) ? sh[threadIdx.x] : 0.0;
    if (warp == 0)
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ void acc4(float& s1, float& s2, float4 v, float K) {
    float d0 = v.x - K, d1 = v.y - K, d2 = v.z - K, d3 = v.w - K;
    s1 += (d0 + d1) + (d2 + d3);
    s2 += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3);
}
// grid (C, P): block (c, p) covers elements [lo, hi) of channel c's N*HW values (plane n = index / HW),
// with per a multiple of 4 when vec. part[(c*P + p)*2 + {0,1}] = sum (x-K), sum (x-K)^2.
__global__ void bn_stats(const float* __restrict__ x, double* part, int N, int C, long HW, long per, int vec) {
    __shared__ double sh1[32], sh2[32];
    int c = blockIdx.x, P = gridDim.y;
    long total = (long)N * HW, lo = blockIdx.y * per, hi = min(total, lo + per);
    float K = x[(long)c * HW];
    vec = vec && (((unsigned long long)x & 15ull) == 0);
    float s1 = 0.0f, s2 = 0.0f;
    if (lo < hi) {
        for (long n = lo / HW; n * HW < hi; n++) {
            const float* xp = x + ((long)n * C + c) * HW;
            long a = max(lo - n * HW, 0L), b = min(hi - n * HW, HW);
            if (vec) {
                const float4* x4 = reinterpret_cast<const float4*>(xp);
                long j = a / 4 + threadIdx.x, e = b / 4, st = blockDim.x;
                for (; j + st < e; j += 2 * st) {          // two independent 128-bit loads per trip
                    float4 v = x4[j], u = x4[j + st];
                    acc4(s1, s2, v, K);
                    acc4(s1, s2, u, K);
                }
                if (j < e) acc4(s1, s2, x4[j], K);
            } else {
                for (long j = a + threadIdx.x; j < b; j += blockDim.x) {
                    float d = xp[j] - K;
                    s1 += d; s2 += d * d;
                }
            }
        }
    }
    double t1 = block_sum_d((double)s1, sh1);
    double t2 = block_sum_d((double)s2, sh2);
    if (threadIdx.x == 0) { part[((long)c * P + blockIdx.y) * 2] = t1; part[((long)c * P + blockIdx.y) * 2 + 1] = t2; }
}
// One thread per channel: biased variance from the shifted sums, folded with weight and bias into
// coef[2c] = weight * invstd, coef[2c+1] = bias - mean * weight * invstd.
__global__ void bn_coef(const float* __restrict__ x, const double* part, const float* w, const float* b, float* coef,
                        int C, int P, long HW, double cnt, float eps) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    double s1 = 0.0, s2 = 0.0;
    for (int p = 0; p < P; p++) { s1 += part[((long)c * P + p) * 2]; s2 += part[((long)c * P + p) * 2 + 1]; }
    double m = s1 / cnt, var = s2 / cnt - m * m;
    if (var < 0.0) var = 0.0;
    double mean = (double)x[(long)c * HW] + m;
    double sc = (double)w[c] / sqrt(var + (double)eps);
    coef[2 * c] = (float)sc;
    coef[2 * c + 1] = (float)((double)b[c] - mean * sc);
}
// grid (N*C planes, chunks): y = x * scale[c] + shift[c]; block (plane, k) covers 4 x 256 float4 (or
// scalars when not vec) from k*1024, the 4 loads of a thread independent, then a grid-stride remainder.
__global__ void bn_apply(const float* __restrict__ x, const float* __restrict__ coef, float* __restrict__ y, int C, long HW, int vec) {
    long plane = blockIdx.x;
    int c = (int)(plane % C);
    float sc = coef[2 * c], sh = coef[2 * c + 1];
    const float* xp = x + plane * HW;
    float* yp = y + plane * HW;
    if (vec && (((unsigned long long)x | (unsigned long long)y) & 15ull) == 0) {
        const float4* x4 = reinterpret_cast<const float4*>(xp);
        float4* y4 = reinterpret_cast<float4*>(yp);
        long m = HW / 4;
        for (long base = blockIdx.y * 1024L; base < m; base += gridDim.y * 1024L) {
            float4 v[4];
#pragma unroll
            for (int k = 0; k < 4; k++) { long j = base + k * 256 + threadIdx.x; if (j < m) v[k] = x4[j]; }
#pragma unroll
            for (int k = 0; k < 4; k++) {
                long j = base + k * 256 + threadIdx.x;
                if (j < m) y4[j] = make_float4(fmaf(v[k].x, sc, sh), fmaf(v[k].y, sc, sh), fmaf(v[k].z, sc, sh), fmaf(v[k].w, sc, sh));
            }
        }
    } else {
        for (long base = blockIdx.y * 1024L; base < HW; base += gridDim.y * 1024L) {
            float v[4];
#pragma unroll
            for (int k = 0; k < 4; k++) { long j = base + k * 256 + threadIdx.x; if (j < HW) v[k] = xp[j]; }
#pragma unroll
            for (int k = 0; k < 4; k++) { long j = base + k * 256 + threadIdx.x; if (j < HW) yp[j] = fmaf(v[k], sc, sh); }
        }
    }
}
void forward(const float* x, const float* weight, const float* bias, float* out, int batch_size, int features, int dim1, int dim2, float eps) {
    long HW = (long)dim1 * dim2, total = (long)batch_size * HW;
    int vec = HW % 4 == 0 ? 1 : 0;             // tensor pointers are 256-byte aligned; planes then are 16-byte aligned
    int P = (1056 + features - 1) / features;  // ~8 blocks of 256 per SM on 132 SMs
    long maxp = (total + 1023) / 1024;          // at least ~1024 values per block
    if (P > maxp) P = (int)maxp;
    if (P < 1) P = 1;
    long per = (total + P - 1) / P;
    per = (per + 3) / 4 * 4;
    double* part;
    float* coef;
    cudaMalloc(&part, (size_t)features * P * 2 * sizeof(double));
    cudaMalloc(&coef, (size_t)features * 2 * sizeof(float));
    dim3 sgrid(features, P);
    bn_stats<<<sgrid, 256>>>(x, part, batch_size, features, HW, per, vec);
    bn_coef<<<(features + 127) / 128, 128>>>(x, part, weight, bias, coef, features, P, HW, (double)total, eps);
    long work = vec ? HW / 4 : HW;
    long chunks = (work + 1023) / 1024;       // 256 threads x 4 per block
    if (chunks > 65535) chunks = 65535;
    dim3 agrid(batch_size * features, chunks);
    bn_apply<<<agrid, 256>>>(x, coef, out, features, HW, vec);
    cudaFree(part);
    cudaFree(coef);
}
