// expect: wrong_output
// Writes a constant (zeros) everywhere.
__global__ void zeros(float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = 0.0f;
}
void forward(const float* a, const float* b, float* out, int n) {
    zeros<<<(n + 255) / 256, 256>>>(out, n);
}
