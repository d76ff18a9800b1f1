__global__ void rms_col(const float* x, float* r, int C, long HW, long nout, float eps) {
    long o = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (o >= nout) return;
    long n = o / HW, s = o % HW;
    float acc = 0.0f;
    for (int c = 0; c < C; c++) { float v = x[(n * C + c) * HW + s]; acc += v * v; }
    r[o] = sqrtf(acc / (float)C + eps);
}
__global__ void div_col(const float* x, const float* r, float* y, int C, long HW, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] / r[(i / ((long)C * HW)) * HW + i % HW];
}
void forward(const float* x, float* out, int batch_size, int features, int dim1, int dim2, float eps) {
    long HW = (long)dim1 * dim2, nout = (long)batch_size * HW, n = nout * features;
    float* r;
    cudaMalloc(&r, (size_t)nout * sizeof(float));
    rms_col<<<(nout + 255) / 256, 256>>>(x, r, features, HW, nout, eps);
    div_col<<<(n + 255) / 256, 256>>>(x, r, out, features, HW, n);
    cudaFree(r);
}
