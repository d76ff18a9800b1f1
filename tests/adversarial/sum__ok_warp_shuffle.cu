// expect: ok
// Row sums with warp shuffles: 8 warps per row, then one warp over the warp totals.
__global__ void row_sum_shfl(const float* x, float* out, int cols) {
    __shared__ float warp_tot[8];
    const float* xr = x + (long)blockIdx.x * cols;
    float s = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
    for (int o = 16; o > 0; o /= 2) s += __shfl_down_sync(0xffffffffu, s, o);
    if ((threadIdx.x & 31) == 0) warp_tot[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
        float t = threadIdx.x < 8 ? warp_tot[threadIdx.x] : 0.0f;
        for (int o = 16; o > 0; o /= 2) t += __shfl_down_sync(0xffffffffu, t, o);
        if (threadIdx.x == 0) out[blockIdx.x] = t;
    }
}
void forward(const float* x, float* out, int rows, int cols) {
    row_sum_shfl<<<rows, 256>>>(x, out, cols);
}
