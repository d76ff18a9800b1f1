__device__ __forceinline__ float act(float x) {
    return tanhf(x);
}
__global__ void act_kernel(const float* x, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = act(x[i]);
}
void forward(const float* x, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    act_kernel<<<(n + 2047) / 2048, 2048>>>(x, out, n);
}
