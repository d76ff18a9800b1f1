// Single pass: the reference's block scan, with each output shifted right by one (y[j] = inclusive[j-1],
// y[0] = 0) so no narrowed copy, zero column or cat is needed: one read and one write of the tensor.
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

__global__ void xcumsum_rows(const float* x, float* y, long rows, long n) {
    __shared__ float ws[32];
    __shared__ float tile_total;
    for (long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        float* yr = y + r * n;
        float carry = 0.0f;
        if (threadIdx.x == 0) yr[0] = 0.0f;
        for (long base = 0; base < n - 1; base += 1024) {
            long i = base + threadIdx.x;          // inclusive sum of x[0..i] goes to y[i+1]
            float v = i < n - 1 ? xr[i] : 0.0f;
            v = block_scan_cumsum(v, ws);
            if (i < n - 1) yr[i + 1] = carry + v;
            if (threadIdx.x == 1023) tile_total = v;
            __syncthreads();
            carry = carry + tile_total;
            __syncthreads();
        }
    }
}

void forward(const float* x, float* out, int batch_size, int dim) {
    long rb = batch_size < 65535 ? batch_size : 65535;   // one block per row (grid-stride beyond)
    xcumsum_rows<<<rb, 1024>>>(x, out, batch_size, dim);
}
