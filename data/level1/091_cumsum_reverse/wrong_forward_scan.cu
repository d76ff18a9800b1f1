// KNOWN WRONG: a forward (prefix) scan instead of the reverse (suffix) scan: wrong_output.
__global__ void rcumsum_seq(const float* x, float* y, long rows, long n) {
    long r = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float s = 0.0f;
    for (long j = 0; j < n; j++) { s += x[r * n + j]; y[r * n + j] = s; }
}
void forward(const float* x, float* out, int batch_size, int dim) {
    rcumsum_seq<<<(batch_size + 127) / 128, 128>>>(x, out, batch_size, dim);
}
