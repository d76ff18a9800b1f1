// One thread per (r), the loop body as the plain C reference has it.
__global__ void port_kernel(const float* x, float* out, long batch_size, long dim) {
    float *y = out;
    long B = (long)batch_size;
    long D = (long)dim;
    long port_i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (port_i >= (B)) return;
    long r = port_i;
    double s = 0.0;
    for (long j = 0; j < D; j++) { double v = x[r * D + j]; s += v * v; }
    double d = sqrt(s);
    for (long j = 0; j < D; j++) y[r * D + j] = (float)(x[r * D + j] / d);
}
void forward(const float* x, float* out, int batch_size, int dim) {
    long B = (long)batch_size;
    long port_n = (B);
    port_kernel<<<(port_n + 255) / 256, 256>>>(x, out, batch_size, dim);
}
