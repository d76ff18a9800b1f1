// expect: wrong_output
// Writes only the first half of the output.
__global__ void add_half(const float* a, const float* b, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n / 2) out[i] = a[i] + b[i];
}
void forward(const float* a, const float* b, float* out, int n) {
    add_half<<<(n + 255) / 256, 256>>>(a, b, out, n);
}
