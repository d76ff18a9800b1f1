// KNOWN WRONG: rounds the block count down (n / 256) instead of up, so when n is not a multiple of
// 256 the last n % 256 elements are never written and keep the NaN poison: wrong_output on the
// odd-size variant (whose free sizes are moved off multiples of 32).
__global__ void gelu(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
    }
}
void forward(const float* x, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    long blocks = n / 256;
    if (blocks < 1) blocks = 1;
    gelu<<<blocks, 256>>>(x, out, n);
}
