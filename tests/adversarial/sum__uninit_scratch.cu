// expect: wrong_output
// Two-pass reduction whose first pass skips the last row's partial: the second pass reads a
// scratch slot nobody wrote (poisoned by the verifier).
__global__ void partial(const float* x, float* part, int rows, int cols) {
    int r = blockIdx.x;
    if (r == rows - 1) return;
    if (threadIdx.x != 0) return;
    float s = 0.0f;
    for (int j = 0; j < cols; j++) s += x[(long)r * cols + j];
    part[r] = s;
}
__global__ void finish(const float* part, float* out, int rows) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r < rows) out[r] = part[r];
}
void forward(const float* x, float* out, int rows, int cols) {
    float* part;
    cudaMalloc(&part, (size_t)rows * sizeof(float));
    partial<<<rows, 32>>>(x, part, rows, cols);
    finish<<<(rows + 255) / 256, 256>>>(part, out, rows);
    cudaFree(part);
}
