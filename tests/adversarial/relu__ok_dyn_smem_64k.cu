// expect: ok
// Stages 16384 floats (64 KB, above the 48 KB default) of dynamic shared memory per block.
extern __shared__ float stage[];
__global__ void relu_staged(const float* x, float* out, long n) {
    const int per_block = 16384;
    long base = (long)blockIdx.x * per_block;
    for (int j = threadIdx.x; j < per_block; j += blockDim.x)
        stage[j] = base + j < n ? x[base + j] : 0.0f;
    __syncthreads();
    for (int j = threadIdx.x; j < per_block; j += blockDim.x)
        if (base + j < n) out[base + j] = fmaxf(stage[j], 0.0f);
}
void forward(const float* x, float* out, int rows, int cols) {
    long n = (long)rows * cols;
    int smem = 16384 * 4;
    cudaFuncSetAttribute(relu_staged, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
    relu_staged<<<(n + 16383) / 16384, 256, smem>>>(x, out, n);
}
