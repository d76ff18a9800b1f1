// Reference: eager PyTorch runs the module as: x.narrow(1, 0, n-1) made contiguous (a copy kernel),
// cumsum (scan kernel), zeros_like of one column (fill kernel), torch.cat (copy kernel). Mirrored here.
// Block-wide inclusive scan, blockDim.x == 1024 (32 warps): warp shuffles, then a scan of the 32
// warp totals by warp 0. `ws` is 32 floats of shared memory; the caller syncs before reusing it.
__device__ float block_scan_cumsum(float v, float* ws) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int o = 1; o < 32; o <<= 1) {
        float t = __shfl_up_sync(0xffffffffu, v, o);
        if (lane >= o) v = v + t;
    }
    if (lane == 31) ws[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float s = ws[lane];
        for (int o = 1; o < 32; o <<= 1) {
            float t = __shfl_up_sync(0xffffffffu, s, o);
            if (lane >= o) s = s + t;
        }
        ws[lane] = s;
    }
    __syncthreads();
    if (warp > 0) v = v + ws[warp - 1];
    return v;
}

// One block (1024 threads) per row: 1024-element tiles, each scanned in the block, plus the carry
// (the running cumsum of the tiles before). Row r reads x[r*xstride .. r*xstride+n) and writes
// y[r*n .. r*n+n).
__global__ void cumsum_rows(const float* x, float* y, long rows, long n, long xstride) {
    __shared__ float ws[32];
    __shared__ float tile_total;
    for (long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * xstride;
        float* yr = y + r * n;
        float carry = 0.0f;
        for (long base = 0; base < n; base += 1024) {
            long i = base + threadIdx.x;
            float v = i < n ? xr[i] : 0.0f;
            v = block_scan_cumsum(v, ws);
            if (i < n) yr[i] = carry + v;
            if (threadIdx.x == 1023) tile_total = v;
            __syncthreads();
            carry = carry + tile_total;
            __syncthreads();
        }
    }
}

// dst (rows, m) = src[:, 0:m] with row stride `stride`
__global__ void copy_narrow(const float* src, float* dst, long rows, long m, long stride) {
    long total = rows * m;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long r = i / m;
        dst[i] = src[r * stride + (i - r * m)];
    }
}
__global__ void fill_zero(float* y, long n) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) y[i] = 0.0f;
}
// out (rows, 1 + m) = cat(zeros (rows, 1), s (rows, m)) along dim 1
__global__ void cat_cols(const float* z, const float* s, float* out, long rows, long m) {
    long total = rows * (m + 1);
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long r = i / (m + 1), j = i - r * (m + 1);
        out[i] = j == 0 ? z[r] : s[r * m + j - 1];
    }
}

void forward(const float* x, float* out, int batch_size, int dim) {
    long m = dim - 1;
    long total = (long)batch_size * dim;
    long b = (total + 255) / 256;
    if (b > 65536) b = 65536;
    float* narrow; float* scanned; float* zeros;
    cudaMalloc(&narrow, (size_t)batch_size * (m > 0 ? m : 1) * sizeof(float));
    cudaMalloc(&scanned, (size_t)batch_size * (m > 0 ? m : 1) * sizeof(float));
    cudaMalloc(&zeros, (size_t)batch_size * sizeof(float));
    if (m > 0) {
        copy_narrow<<<b, 256>>>(x, narrow, batch_size, m, dim);
        long rb = batch_size < 65535 ? batch_size : 65535;   // one block per row (grid-stride beyond)
        cumsum_rows<<<rb, 1024>>>(narrow, scanned, batch_size, m, m);
    }
    fill_zero<<<(batch_size + 255) / 256, 256>>>(zeros, batch_size);
    cat_cols<<<b, 256>>>(zeros, scanned, out, batch_size, m);
    cudaFree(narrow);
    cudaFree(scanned);
    cudaFree(zeros);
}
