// KNOWN WRONG: computes the right result but stores x*mask back into x first (an in-place product on
// an input): input_mutated. x*mask*mask = x*mask, so a rerun on the mutated input gives the same output.
__global__ void mask_in_place(const float* x, const float* mask, long n) {
    float* xm = (float*)x;  // casts away const: the bug
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) xm[i] = xm[i] * mask[i];
}
__global__ void cumsum_seq(const float* x, float* y, long rows, long n) {
    long r = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float s = 0.0f;
    for (long j = 0; j < n; j++) { s += x[r * n + j]; y[r * n + j] = s; }
}
void forward(const float* x, const float* mask, float* out, int batch_size, int dim) {
    long total = (long)batch_size * dim;
    long b = (total + 255) / 256;
    if (b > 65536) b = 65536;
    mask_in_place<<<b, 256>>>(x, mask, total);
    cumsum_seq<<<(batch_size + 127) / 128, 128>>>(x, out, batch_size, dim);
}
