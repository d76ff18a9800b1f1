// expect: ok
// Vectorized float4 loads and stores, with a scalar tail for sizes that are not multiples of 4.
__global__ void relu4(const float4* x, float4* out, long n4) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n4) {
        float4 v = x[i];
        v.x = fmaxf(v.x, 0.0f); v.y = fmaxf(v.y, 0.0f); v.z = fmaxf(v.z, 0.0f); v.w = fmaxf(v.w, 0.0f);
        out[i] = v;
    }
}
__global__ void relu_tail(const float* x, float* out, long start, long n) {
    long i = start + threadIdx.x;
    if (i < n) out[i] = fmaxf(x[i], 0.0f);
}
void forward(const float* x, float* out, int rows, int cols) {
    long n = (long)rows * cols, n4 = n / 4;
    if (n4 > 0) relu4<<<(n4 + 255) / 256, 256>>>((const float4*)x, (float4*)out, n4);
    if (n > n4 * 4) relu_tail<<<1, 32>>>(x, out, n4 * 4, n);
}
