// One thread per row, sequential running sum of x*mask (fp32). Slow but correct.
__global__ void mcumsum_seq(const float* x, const float* mask, float* y, long rows, long n) {
    long r = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float s = 0.0f;
    for (long j = 0; j < n; j++) { s += x[r * n + j] * mask[r * n + j]; y[r * n + j] = s; }
}
void forward(const float* x, const float* mask, float* out, int batch_size, int dim) {
    mcumsum_seq<<<(batch_size + 127) / 128, 128>>>(x, mask, out, batch_size, dim);
}
