// 16x16 output tiles, A and B tiles staged through shared memory. C (M, N) = op(A) (M, K) @ op(B) (K, N);
// ta/tb: A is stored (K, M) / B is stored (N, K). blockIdx.z walks a batch with the given strides.
#define TILE 16
__global__ void gemm_tiled(const float* A, const float* B, float* C, int M, int N, int K,
                           int ta, int tb, long sA, long sB, long sC) {
    __shared__ float As[TILE][TILE + 1];
    __shared__ float Bs[TILE][TILE + 1];
    A += blockIdx.z * sA; B += blockIdx.z * sB; C += blockIdx.z * sC;
    int row = blockIdx.x * TILE + threadIdx.y, col = blockIdx.y * TILE + threadIdx.x;  // M tiles on x: no 65535 limit
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TILE) {
        int ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
        As[threadIdx.y][threadIdx.x] = (row < M && ka < K) ? (ta ? A[(long)ka * M + row] : A[(long)row * K + ka]) : 0.0f;
        Bs[threadIdx.y][threadIdx.x] = (kb < K && col < N) ? (tb ? B[(long)col * K + kb] : B[(long)kb * N + col]) : 0.0f;
        __syncthreads();
        float part = 0.0f;  // per-tile partial sum: the running total takes one rounding per tile, not per product
        for (int k = 0; k < TILE; k++) part += As[threadIdx.y][k] * Bs[k][threadIdx.x];
        acc += part;
        __syncthreads();
    }
    if (row < M && col < N) C[(long)row * N + col] = acc;
}
void forward(const float* A, const float* B, float* C, int M, int K, int N) {
    dim3 block(16, 16);
    dim3 grid((M + 15) / 16, (N + 15) / 16, 1);
    gemm_tiled<<<grid, block>>>(A, B, C, M, N, K, 0, 0, 0, 0, 0);
}
