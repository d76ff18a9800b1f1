// One thread per (n, s), the loop body as the plain C reference has it.
__global__ void port_kernel(const float* x, float* out, long batch_size, long features, long dim1, long dim2, float eps) {
    float *y = out;
    long N = (long)batch_size;
    long C = (long)features;
    long HW = (long)dim1 * (long)dim2;
    long port_i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (port_i >= (N) * (HW)) return;
    long s = port_i % (HW);
    port_i /= (HW);
    long n = port_i;
    double q = 0.0;
    for (long c = 0; c < C; c++) { double v = x[(n * C + c) * HW + s]; q += v * v; }
    double r = sqrt(q / (double)C + eps);
    for (long c = 0; c < C; c++) y[(n * C + c) * HW + s] = (float)(x[(n * C + c) * HW + s] / r);
}
void forward(const float* x, float* out, int batch_size, int features, int dim1, int dim2, float eps) {
    long N = (long)batch_size;
    long HW = (long)dim1 * (long)dim2;
    long port_n = (N) * (HW);
    port_kernel<<<(port_n + 255) / 256, 256>>>(x, out, batch_size, features, dim1, dim2, eps);
}
