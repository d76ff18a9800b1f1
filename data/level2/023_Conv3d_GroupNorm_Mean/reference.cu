// Reference for L2/23 Conv3d_GroupNorm_Mean: what PyTorch eager runs. The convolution runs in cuDNN
// through kgrl_conv (with its bias, as the module does), then PyTorch's group_norm kernels: per
// (sample, group) statistics (RowwiseMoments: one block of 512 threads per row, Welford, merged with
// warp shuffles), the fused per-(sample, channel) scale and shift (a small kernel), y = a * x + b (4
// elements per thread, blockDim.x apart, as PyTorch's unrolled kernel for broadcast operands); then the
// mean over dims 1-4, which eager reduces with several blocks per sample in one kernel (a global
// reduction) and which runs here as per-part block sums and a small kernel that adds the parts.

// Chan's merge of the statistics (n, mean, m2) with (on, omean, om2)
__device__ __forceinline__ void wf_merge(float& n, float& mean, float& m2, float on, float omean, float om2) {
    float tot = n + on, f = on / fmaxf(1.0f, tot), d = omean - mean;
    mean += d * f;
    m2 += om2 + d * d * n * f;
    n = tot;
}
// merge across the warp with xor shuffles; every lane ends with the warp's statistics
__device__ void wf_warp(float& n, float& mean, float& m2) {
    for (int o = 16; o > 0; o >>= 1) {
        float on = __shfl_xor_sync(0xffffffffu, n, o), om = __shfl_xor_sync(0xffffffffu, mean, o);
        float o2 = __shfl_xor_sync(0xffffffffu, m2, o);
        wf_merge(n, mean, m2, on, om, o2);
    }
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();                      // s may still be read from a previous call
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Mean and 1/sqrt(var + eps) of each row of M contiguous elements (one (sample, group)): one block
// per row, Welford per thread, biased variance
__global__ void row_moments(const float* x, float* mean, float* rstd, long M, float eps) {
    __shared__ float sn[32], sm[32], s2[32];
    const float* xr = x + blockIdx.x * M;
    float n = 0.0f, m = 0.0f, m2 = 0.0f;
    for (long j = threadIdx.x; j < M; j += blockDim.x) {
        float v = xr[j], d = v - m;
        n += 1.0f;
        m += d / n;
        m2 += d * (v - m);
    }
    wf_warp(n, m, m2);
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    if (lane == 0) { sn[w] = n; sm[w] = m; s2[w] = m2; }
    __syncthreads();
    if (w == 0) {
        bool has = lane < (int)(blockDim.x >> 5);
        n = has ? sn[lane] : 0.0f; m = has ? sm[lane] : 0.0f; m2 = has ? s2[lane] : 0.0f;
        wf_warp(n, m, m2);
        if (lane == 0) { mean[blockIdx.x] = m; rstd[blockIdx.x] = rsqrtf(fmaxf(m2 / n, 0.0f) + eps); }
    }
}

// a[n, c] = rstd[n, g] * w[c], b[n, c] = bias[c] - a[n, c] * mean[n, g] (g = c / (C / G))
__global__ void fused_params(const float* mean, const float* rstd, const float* w, const float* bias, float* a, float* b,
                             int C, int G, long NC) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= NC) return;
    int c = (int)(i % C);
    long ng = (i / C) * G + c / (C / G);
    float s = rstd[ng] * w[c];
    a[i] = s;
    b[i] = -s * mean[ng] + bias[c];
}

// y = a[p] * x + b[p] over planes p = (n, c) of S elements: blockIdx.y walks the planes, each thread
// takes 4 elements blockDim.x apart
__global__ void plane_affine(const float* x, const float* a, const float* b, float* y, long S, long planes) {
    for (long p = blockIdx.y; p < planes; p += gridDim.y) {
        const float* xp = x + p * S;
        float* yp = y + p * S;
        float av = a[p], bv = b[p];
        long s = blockIdx.x * 4L * blockDim.x + threadIdx.x;
        for (int k = 0; k < 4; k++, s += blockDim.x)
            if (s < S) yp[s] = av * xp[s] + bv;
    }
}

// part[r * nparts + q] = sum of part q of row r (rows of R contiguous elements): grid (nparts, rows)
__global__ void row_sum_parts(const float* x, float* part, long R, int nparts) {
    long per = (R + nparts - 1) / nparts, lo = blockIdx.x * per, hi = min(R, lo + per);
    const float* xr = x + blockIdx.y * R;
    float acc = 0.0f;
    for (long j = lo + threadIdx.x; j < hi; j += blockDim.x) acc += xr[j];
    acc = block_sum(acc);
    if (threadIdx.x == 0) part[blockIdx.y * nparts + blockIdx.x] = acc;
}
// y[r] = (sum of row r's parts) / R, one thread per row
__global__ void row_mean_final(const float* part, float* y, long R, int nparts, int rows) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float acc = 0.0f;
    for (int q = 0; q < nparts; q++) acc += part[r * nparts + q];
    y[r] = acc / (float)R;
}

void forward(const float* x, const float* conv_w, const float* conv_b, const float* gn_w, const float* gn_b, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    int Do = depth - 2;
    int Ho = height - 2;
    int Wo = width - 2;
    // conv3d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long S = (long)Do * Ho * Wo, planes = (long)batch_size * out_channels, n1 = planes * S;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(3, 0, batch_size, in_channels, out_channels, {depth, height, width}, {3, 3, 3}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}, 1, x, conv_w, conv_b, t1);
    // group_norm(8 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    float* t2;
    float* mean2;
    float* rstd2;
    float* a;
    float* b;
    cudaMalloc(&t2, n1 * sizeof(float));
    cudaMalloc(&mean2, batch_size * 8 * sizeof(float));
    cudaMalloc(&rstd2, batch_size * 8 * sizeof(float));
    cudaMalloc(&a, planes * sizeof(float));
    cudaMalloc(&b, planes * sizeof(float));
    row_moments<<<batch_size * 8, 512>>>(t1, mean2, rstd2, (long)(out_channels / 8) * S, 1e-05f);
    fused_params<<<(planes + 255) / 256, 256>>>(mean2, rstd2, gn_w, gn_b, a, b, out_channels, 8, planes);
    dim3 grid((S + 1023) / 1024, planes < 65535 ? planes : 65535);
    plane_affine<<<grid, 256>>>(t1, a, b, t2, S, planes);
    // mean over dims 1,2,3,4: 16 parts per sample
    float* part;
    cudaMalloc(&part, batch_size * 16 * sizeof(float));
    dim3 pgrid(16, batch_size);
    row_sum_parts<<<pgrid, 512>>>(t2, part, (long)out_channels * S, 16);
    row_mean_final<<<(batch_size + 255) / 256, 256>>>(part, out, (long)out_channels * S, 16, batch_size);
    cudaFree(t1);
    cudaFree(t2);
    cudaFree(mean2);
    cudaFree(rstd2);
    cudaFree(a);
    cudaFree(b);
    cudaFree(part);
}
