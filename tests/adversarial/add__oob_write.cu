// expect: wrong_output
// Correct values, plus a write one element past the end of the output (lands in the guard region).
__global__ void add_kernel(const float* a, const float* b, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a[i] + b[i];
    if (i == n) out[i] = 0.0f;
}
void forward(const float* a, const float* b, float* out, int n) {
    add_kernel<<<n / 256 + 1, 256>>>(a, b, out, n);
}
