// KNOWN WRONG: computes the exclusive scan (y[j] = sum of x[0..j-1]) instead of the inclusive one,
// so every output is short by x[j]: wrong_output.
__global__ void cumsum_seq(const float* x, float* y, long rows, long n) {
    long r = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float s = 0.0f;
    for (long j = 0; j < n; j++) { y[r * n + j] = s; s += x[r * n + j]; }
}
void forward(const float* x, float* out, int batch_size, int dim) {
    cumsum_seq<<<(batch_size + 127) / 128, 128>>>(x, out, batch_size, dim);
}
