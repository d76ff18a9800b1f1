// expect: input_mutated
// Correct output, but it also overwrites an input (so a reference run afterwards would see zeros).
__global__ void add_and_zero(const float* a, const float* b, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) {
        out[i] = a[i] + b[i];
        ((float*)b)[i] = 0.0f;
    }
}
void forward(const float* a, const float* b, float* out, int n) {
    add_and_zero<<<(n + 255) / 256, 256>>>(a, b, out, n);
}
