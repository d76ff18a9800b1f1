// Fused GELU (tanh form): one thread per element, one read and one write.
__global__ void gelu(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
    }
}
void forward(const float* x, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    gelu<<<(n + 255) / 256, 256>>>(x, out, n);
}
