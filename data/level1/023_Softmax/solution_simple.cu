// One thread per row: three sequential passes. Slow, but simple.
__global__ void softmax_row_thread(const float* x, float* out, int batch, int dim) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= batch) return;
    const float* xr = x + (long)r * dim;
    float* yr = out + (long)r * dim;
    float m = -__int_as_float(0x7f800000);
    for (int j = 0; j < dim; j++) m = fmaxf(m, xr[j]);
    float s = 0.0f;
    float comp = 0.0f;  // Kahan: one thread sums a whole row
    for (int j = 0; j < dim; j++) { float t = expf(xr[j] - m) - comp; float u = s + t; comp = (u - s) - t; s = u; }
    for (int j = 0; j < dim; j++) yr[j] = expf(xr[j] - m) / s;
}
void forward(const float* x, float* out, int batch_size, int dim) {
    softmax_row_thread<<<(batch_size + 127) / 128, 128>>>(x, out, batch_size, dim);
}
