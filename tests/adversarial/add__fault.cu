// expect: runtime_fault
// Writes through a wild pointer: an illegal address that poisons the worker's CUDA context.
__global__ void wild(const float* a, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    float* p = (float*)(0x10ull + (unsigned long long)i * 4096ull * 4096ull);
    if (i < n) *p = a[i];
}
void forward(const float* a, const float* b, float* out, int n) {
    wild<<<(n + 255) / 256, 256>>>(a, out, n);
}
