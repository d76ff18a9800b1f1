// One thread per (b, c), the loop body as the plain C reference has it.
__global__ void port_kernel(const float* x, long long* out, long batch_size, long dim1, long dim2) {
    long long *y = out;
    long B = (long)batch_size;
    long R = (long)dim1;
    long I = (long)dim2;
    long port_i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (port_i >= (B) * (I)) return;
    long c = port_i % (I);
    port_i /= (I);
    long b = port_i;
    long best = 0;
    for (long r = 1; r < R; r++) if (x[(b * R + r) * I + c] < x[(b * R + best) * I + c]) best = r;  /* first index wins ties */
    y[b * I + c] = best;
}
void forward(const float* x, long long* out, int batch_size, int dim1, int dim2) {
    long B = (long)batch_size;
    long I = (long)dim2;
    long port_n = (B) * (I);
    port_kernel<<<(port_n + 255) / 256, 256>>>(x, out, batch_size, dim1, dim2);
}
