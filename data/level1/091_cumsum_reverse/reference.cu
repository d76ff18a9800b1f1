// Reference: eager PyTorch runs torch.cumsum(x.flip(1), 1).flip(1) as three kernels: a flip (copy),
// the scan, and another flip. Mirrored here with two scratch buffers.
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

// y[r, j] = x[r, n-1-j]
__global__ void flip_rows(const float* x, float* y, long rows, long n) {
    long total = rows * n;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long r = i / n, j = i - r * n;
        y[i] = x[r * n + (n - 1 - j)];
    }
}

void forward(const float* x, float* out, int batch_size, int dim) {
    long total = (long)batch_size * dim;
    long fb = (total + 255) / 256;
    if (fb > 65536) fb = 65536;
    float* flipped; float* scanned;
    cudaMalloc(&flipped, total * sizeof(float));
    cudaMalloc(&scanned, total * sizeof(float));
    flip_rows<<<fb, 256>>>(x, flipped, batch_size, dim);
    long rb = batch_size < 65535 ? batch_size : 65535;   // one block per row (grid-stride beyond)
    cumsum_rows<<<rb, 1024>>>(flipped, scanned, batch_size, dim, dim);
    flip_rows<<<fb, 256>>>(scanned, out, batch_size, dim);
    cudaFree(flipped);
    cudaFree(scanned);
}
