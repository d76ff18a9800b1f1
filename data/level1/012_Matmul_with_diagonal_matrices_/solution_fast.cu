// One block row per matrix row: A[row] read once into a register, B and C through float4 when the
// row start is 16-byte aligned (M % 4 == 0), else scalar.
__global__ void diag_rows(const float* a, const float* b, float* c, int N, int M) {
    int row = blockIdx.y;
    float s = a[row];
    const float* br = b + (long)row * M;
    float* cr = c + (long)row * M;
    if (M % 4 == 0) {
        int m4 = M / 4;
        for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < m4; j += gridDim.x * blockDim.x) {
            float4 v = ((const float4*)br)[j];
            v.x *= s; v.y *= s; v.z *= s; v.w *= s;
            ((float4*)cr)[j] = v;
        }
    } else {
        for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < M; j += gridDim.x * blockDim.x) cr[j] = br[j] * s;
    }
}
void forward(const float* A, const float* B, float* C, int N, int M) {
    dim3 grid(min((M / 4 + 255) / 256 + 1, 16), N);
    diag_rows<<<grid, 256>>>(A, B, C, N, M);
}
