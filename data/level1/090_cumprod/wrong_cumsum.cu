// KNOWN WRONG: a running sum instead of a running product (wrong_output).
__global__ void cumprod_seq(const float* x, float* y, long rows, long n) {
    long r = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float p = 0.0f;
    for (long j = 0; j < n; j++) { p += x[r * n + j]; y[r * n + j] = p; }
}
void forward(const float* x, float* out, int batch_size, int dim) {
    cumprod_seq<<<(batch_size + 127) / 128, 128>>>(x, out, batch_size, dim);
}
