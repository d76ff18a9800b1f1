// One block of 256 threads per row, 4096-element tiles: each thread loads 16 consecutive values (four
// float4 when dim % 4 == 0), scans them in registers, and only the 256 thread totals go through a
// warp-shuffle block scan, one barrier per tile. The reference scans one value per thread with 4
// barriers per 1024-wide tile and is latency-bound (0.57 ms measured vs ~0.25 ms for its 1.07 GB at copy
// bandwidth): predicted ~1.8-2x.
#define NT 256
#define IT 16
// Exclusive block scan of one value per thread (NT threads, 8 warps); *total gets the block total.
// ws is a double buffer picked by the tile parity, so one barrier per tile is enough.
__device__ __forceinline__ float block_excl_scan(float v, float* ws, float* total) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float inc = v;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        float t = __shfl_up_sync(0xffffffffu, inc, o);
        if (lane >= o) inc = inc + t;
    }
    if (lane == 31) ws[warp] = inc;
    __syncthreads();
    float before = 0.0f, all = 0.0f;
    for (int w = 0; w < NT / 32; w++) {
        float s = ws[w];
        if (w < warp) before = before + s;
        all = all + s;
    }
    *total = all;
    float excl = __shfl_up_sync(0xffffffffu, inc, 1);
    return lane == 0 ? before : before + excl;
}

__global__ void cumsum_rows(const float* __restrict__ x, float* __restrict__ y, long n) {
    __shared__ float ws[2][NT / 32];
    const float* xr = x + (long)blockIdx.x * n;
    float* yr = y + (long)blockIdx.x * n;
    bool vec = (n % 4 == 0) && ((((unsigned long long)x | (unsigned long long)y) & 15ull) == 0);
    float carry = 0.0f;
    int parity = 0;
    for (long base = 0; base < n; base += NT * IT, parity ^= 1) {
        long e0 = base + (long)threadIdx.x * IT;
        float v[IT];
        if (vec) {
#pragma unroll
            for (int q = 0; q < IT / 4; q++) {
                long i = e0 + 4 * q;
                float4 a = i < n ? *reinterpret_cast<const float4*>(xr + i) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                v[4 * q] = a.x; v[4 * q + 1] = a.y; v[4 * q + 2] = a.z; v[4 * q + 3] = a.w;
            }
        } else {
#pragma unroll
            for (int k = 0; k < IT; k++) v[k] = e0 + k < n ? xr[e0 + k] : 0.0f;
        }
#pragma unroll
        for (int k = 1; k < IT; k++) v[k] = v[k] + v[k - 1];
        float total;
        float pre = carry + block_excl_scan(v[IT - 1], ws[parity], &total);
        if (vec) {
#pragma unroll
            for (int q = 0; q < IT / 4; q++) {
                long i = e0 + 4 * q;
                if (i < n) *reinterpret_cast<float4*>(yr + i) = make_float4(pre + v[4 * q], pre + v[4 * q + 1], pre + v[4 * q + 2], pre + v[4 * q + 3]);
            }
        } else {
#pragma unroll
            for (int k = 0; k < IT; k++) if (e0 + k < n) yr[e0 + k] = pre + v[k];
        }
        carry = carry + total;
    }
}

void forward(const float* x, float* out, int batch_size, int dim) {
    cumsum_rows<<<batch_size, NT>>>(x, out, dim);
}
