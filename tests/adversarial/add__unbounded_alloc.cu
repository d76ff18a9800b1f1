// expect: out_of_memory
// Asks for a terabyte of scratch.
__global__ void add_kernel(const float* a, const float* b, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a[i] + b[i];
}
void forward(const float* a, const float* b, float* out, int n) {
    float* huge;
    cudaMalloc(&huge, 1099511627776);
    add_kernel<<<(n + 255) / 256, 256>>>(a, b, out, n);
    cudaFree(huge);
}
