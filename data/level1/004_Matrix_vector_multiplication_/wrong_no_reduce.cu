// One warp per row: lanes stride over K, then a shuffle reduction.
__global__ void gemv_warp(const float* A, const float* B, float* C, int M, int K) {
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= M) return;
    const float* a = A + (long)row * K;
    float s = 0.0f;
    for (int k = lane; k < K; k += 32) s += a[k] * B[k];
    if (lane == 0) C[row] = s;
}
void forward(const float* A, const float* B, float* C, int M, int K) {
    gemv_warp<<<(M + 7) / 8, 256>>>(A, B, C, M, K);
}
