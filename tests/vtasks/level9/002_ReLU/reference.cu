// Reference: one thread per element.
__global__ void relu_kernel(const float* x, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
void forward(const float* x, float* out, int rows, int cols) {
    long n = (long)rows * cols;
    relu_kernel<<<(n + 255) / 256, 256>>>(x, out, n);
}
