// expect: wrong_output
// Hard-codes the main shape's row length (1024): right at the main size, wrong at every other.
__global__ void softmax_1024(const float* x, float* out, long total) {
    long base = (long)blockIdx.x * 1024;
    if (threadIdx.x != 0) return;
    float m = -INFINITY, s = 0.0f;
    for (int j = 0; j < 1024 && base + j < total; j++) m = fmaxf(m, x[base + j]);
    for (int j = 0; j < 1024 && base + j < total; j++) s += expf(x[base + j] - m);
    for (int j = 0; j < 1024 && base + j < total; j++) out[base + j] = expf(x[base + j] - m) / s;
}
void forward(const float* x, float* out, int rows, int cols) {
    long total = (long)rows * cols;
    softmax_1024<<<(total + 1023) / 1024, 32>>>(x, out, total);
}
