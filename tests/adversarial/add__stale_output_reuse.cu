// expect: wrong_output
// Computes nothing; copies from a fresh scratch allocation, hoping the allocator hands back memory
// that still holds the reference's output (the Sakana / KernelBench #82 hack). Scratch is poisoned.
__global__ void copy(const float* src, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = src[i];
}
void forward(const float* a, const float* b, float* out, int n) {
    float* stale;
    cudaMalloc(&stale, (size_t)n * sizeof(float));
    copy<<<(n + 255) / 256, 256>>>(stale, out, n);
    cudaFree(stale);
}
