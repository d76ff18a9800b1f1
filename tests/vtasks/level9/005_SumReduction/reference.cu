// Reference: one block of 256 threads per row, shared-memory tree reduction.
__global__ void row_sum(const float* x, float* out, int cols) {
    __shared__ float red[256];
    const float* xr = x + (long)blockIdx.x * cols;
    float s = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
    red[threadIdx.x] = s;
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k /= 2) {
        if (threadIdx.x < k) red[threadIdx.x] += red[threadIdx.x + k];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = red[0];
}
void forward(const float* x, float* out, int rows, int cols) {
    row_sum<<<rows, 256>>>(x, out, cols);
}
