// expect: static_reject
// Launches on a side stream (work invisible to the timing events on the kit's stream).
__global__ void add_kernel(const float* a, const float* b, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a[i] + b[i];
}
void forward(const float* a, const float* b, float* out, int n) {
    cudaStream_t s;
    cudaStreamCreate(&s);
    add_kernel<<<(n + 255) / 256, 256, 0, s>>>(a, b, out, n);
}
