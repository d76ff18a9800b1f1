// Reference: what PyTorch eager runs for group norm: per-(n, group) moments, then one elementwise
// kernel applying the normalization and the per-channel affine.

// Welford running (count, mean, m2) and Chan's merge of two of them.
struct wf { float n, mean, m2; };
__device__ __forceinline__ void wf_add(wf& a, float x) {
    a.n += 1.0f; float d = x - a.mean; a.mean += d / a.n; a.m2 += d * (x - a.mean);
}
__device__ __forceinline__ wf wf_merge(wf a, wf b) {
    if (b.n == 0.0f) return a;
    if (a.n == 0.0f) return b;
    wf r; r.n = a.n + b.n;
    float d = b.mean - a.mean, f = b.n / r.n;
    r.mean = a.mean + d * f;
    r.m2 = a.m2 + b.m2 + d * d * a.n * f;
    return r;
}
// Merge over the block (blockDim.x == 256) through shared memory; thread 0 gets the result.
__device__ wf wf_block(wf v) {
    __shared__ float sn[256], sm[256], s2[256];
    sn[threadIdx.x] = v.n; sm[threadIdx.x] = v.mean; s2[threadIdx.x] = v.m2;
    __syncthreads();
    for (int s = 128; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            wf a = {sn[threadIdx.x], sm[threadIdx.x], s2[threadIdx.x]};
            wf b = {sn[threadIdx.x + s], sm[threadIdx.x + s], s2[threadIdx.x + s]};
            wf r = wf_merge(a, b);
            sn[threadIdx.x] = r.n; sm[threadIdx.x] = r.mean; s2[threadIdx.x] = r.m2;
        }
        __syncthreads();
    }
    wf r = {sn[0], sm[0], s2[0]};
    return r;
}

// Statistics of segment seg, part p of nparts: segments are `outer` runs of `inner` contiguous
// elements, the runs of one segment `seg_stride` elements apart and consecutive segments `inner`
// elements apart (BatchNorm: outer = N, inner = H*W, stride = C*H*W; a contiguous segment: outer = 1).
// Writes (count, mean, m2) of its part to part_stats[(seg*nparts + p)*3].
__global__ void seg_partial(const float* x, float* part_stats, long outer, long inner, long seg_stride, int nparts) {
    int seg = blockIdx.x, p = blockIdx.y;
    long total = outer * inner;
    long per = (total + nparts - 1) / nparts, lo = p * per, hi = min(total, lo + per);
    wf a = {0.0f, 0.0f, 0.0f};
    for (long j = lo + threadIdx.x; j < hi; j += blockDim.x) {
        long o = j / inner, s = j % inner;
        wf_add(a, x[o * seg_stride + (long)seg * inner + s]);
    }
    wf r = wf_block(a);
    if (threadIdx.x == 0) {
        float* d = part_stats + ((long)seg * nparts + p) * 3;
        d[0] = r.n; d[1] = r.mean; d[2] = r.m2;
    }
}
// Merge the parts of each segment into (mean, 1/sqrt(var + eps)), biased variance.
__global__ void seg_finalize(const float* part_stats, float* stats, int nseg, int nparts, float eps) {
    int seg = blockIdx.x * blockDim.x + threadIdx.x;
    if (seg >= nseg) return;
    wf a = {0.0f, 0.0f, 0.0f};
    for (int p = 0; p < nparts; p++) {
        const float* d = part_stats + ((long)seg * nparts + p) * 3;
        wf b = {d[0], d[1], d[2]};
        a = wf_merge(a, b);
    }
    stats[2 * seg] = a.mean;
    stats[2 * seg + 1] = rsqrtf(a.m2 / a.n + eps);
}

// y = (x - mean[seg]) * invstd[seg] (* weight[c] + bias[c]); seg = i / seg_len, c = (i / HW) % C
__global__ void seg_apply(const float* x, const float* stats, const float* w, const float* b, float* y, long seg_len, long HW, int C, int affine, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    long seg = i / seg_len;
    float v = (x[i] - stats[2 * seg]) * stats[2 * seg + 1];
    if (affine) { int c = (int)((i / HW) % C); v = v * w[c] + b[c]; }
    y[i] = v;
}
void forward(const float* x, const float* weight, const float* bias, float* out, int batch_size, int features, int num_groups, int dim1, int dim2, float eps) {
    long HW = (long)dim1 * dim2, seg_len = (long)(features / num_groups) * HW, nseg = (long)batch_size * num_groups, n = nseg * seg_len;
    int nparts = 8;
    float* part;
    float* stats;
    cudaMalloc(&part, (size_t)nseg * nparts * 3 * sizeof(float));
    cudaMalloc(&stats, (size_t)nseg * 2 * sizeof(float));
    dim3 grid(nseg, nparts);
    seg_partial<<<grid, 256>>>(x, part, 1, seg_len, 0, nparts);
    seg_finalize<<<(nseg + 127) / 128, 128>>>(part, stats, nseg, nparts, eps);
    seg_apply<<<(n + 255) / 256, 256>>>(x, stats, weight, bias, out, seg_len, HW, features, 1, n);
    cudaFree(part);
    cudaFree(stats);
}
