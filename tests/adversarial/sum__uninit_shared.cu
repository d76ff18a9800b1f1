// expect: wrong_output|nondeterministic
// Only threads with an element write their shared slot, but the reduction reads all 256: rows
// shorter than 256 columns (smoke) read slots left over from other blocks and kernels.
__global__ void row_sum_uninit(const float* x, float* out, int cols) {
    __shared__ float red[256];
    const float* xr = x + (long)blockIdx.x * cols;
    if (threadIdx.x < cols) {
        float s = 0.0f;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
        red[threadIdx.x] = s;
    }
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k /= 2) {
        if (threadIdx.x < k) red[threadIdx.x] += red[threadIdx.x + k];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = red[0];
}
void forward(const float* x, float* out, int rows, int cols) {
    row_sum_uninit<<<rows, 256>>>(x, out, cols);
}
