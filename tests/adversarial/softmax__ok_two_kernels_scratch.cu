// expect: ok
// Several kernels and a scratch buffer: per-row max and sum into scratch, then normalize.
__global__ void row_stats(const float* x, float* stats, int cols) {
    __shared__ float red[256];
    const float* xr = x + (long)blockIdx.x * cols;
    float m = -INFINITY;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, xr[j]);
    red[threadIdx.x] = m;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
        if (threadIdx.x < s) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + s]);
        __syncthreads();
    }
    m = red[0];
    __syncthreads();
    float sum = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) sum += expf(xr[j] - m);
    red[threadIdx.x] = sum;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
        if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) { stats[2 * blockIdx.x] = m; stats[2 * blockIdx.x + 1] = red[0]; }
}
__global__ void normalize(const float* x, const float* stats, float* out, int rows, int cols) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= (long)rows * cols) return;
    long r = i / cols;
    out[i] = expf(x[i] - stats[2 * r]) / stats[2 * r + 1];
}
void forward(const float* x, float* out, int rows, int cols) {
    float* stats;
    cudaMalloc(&stats, (size_t)rows * 2 * sizeof(float));
    row_stats<<<rows, 256>>>(x, stats, cols);
    long n = (long)rows * cols;
    normalize<<<(n + 255) / 256, 256>>>(x, stats, out, rows, cols);
    cudaFree(stats);
}
