// expect: wrong_output|nondeterministic
// Tree reduction without the __syncthreads between steps: threads read partial sums that other
// warps may not have written yet.
__global__ void row_sum_racy(const float* x, float* out, int cols) {
    __shared__ float red[256];
    const float* xr = x + (long)blockIdx.x * cols;
    float s = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
    red[threadIdx.x] = s;
    for (int k = blockDim.x / 2; k > 0; k /= 2)
        if (threadIdx.x < k) red[threadIdx.x] += red[threadIdx.x + k];
    if (threadIdx.x == 0) out[blockIdx.x] = red[0];
}
void forward(const float* x, float* out, int rows, int cols) {
    row_sum_racy<<<rows, 256>>>(x, out, cols);
}
