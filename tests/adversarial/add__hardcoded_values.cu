// expect: wrong_output
// Hard-codes values of one input seen during development instead of reading b.
__constant__ float b_seen[8] = {0.25f, -1.5f, 0.75f, 0.0f, 1.25f, -0.5f, 2.0f, -2.0f};
__global__ void add_memorized(const float* a, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a[i] + b_seen[i % 8];
}
void forward(const float* a, const float* b, float* out, int n) {
    add_memorized<<<(n + 255) / 256, 256>>>(a, out, n);
}
