// Register-blocked SGEMM for triangular operands: 64x64 output tiles per block, 256 threads, each
// thread a 4x4 micro-tile (rows ty + 16i, cols tx + 16j), K staged in 16-wide slices through shared
// memory. Triangularity cuts the work: for upper-triangular A and B, C[m][n] = sum over k in
// [m, n] only, so a block walks just the k slices its tile can touch, and a tile entirely in
// the zero triangle only writes zeros. ~1/6 of the dense flops.
#define BM 64
#define BK 16
__global__ void tri_gemm(const float* A, const float* B, float* C, int N) {
    __shared__ float As[BK][BM + 4];
    __shared__ float Bs[BK][BM + 4];
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16, tid = threadIdx.x;
    int m0 = blockIdx.x * BM, n0 = blockIdx.y * BM;
    float acc[4][4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
    bool zero_tile = n0 + BM - 1 < m0;
    int klo = m0, khi = n0 + BM;
    if (khi > N) khi = N;
    klo -= klo % BK;
    for (int k0 = klo; !zero_tile && k0 < khi; k0 += BK) {
        for (int r = 0; r < 4; r++) {
            int e = tid + 256 * r;
            int row = e / BK, k = e % BK;          // A tile: 64 rows x 16 k, coalesced along k
            int gm = m0 + row, gk = k0 + k;
            As[k][row] = (gm < N && gk < N) ? A[(long)gm * N + gk] : 0.0f;
            int kb = e / BM, col = e % BM;         // B tile: 16 k x 64 cols, coalesced along cols
            int gkb = k0 + kb, gn = n0 + col;
            Bs[kb][col] = (gkb < N && gn < N) ? B[(long)gkb * N + gn] : 0.0f;
        }
        __syncthreads();
        for (int kk = 0; kk < BK; kk++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        int m = m0 + ty + 16 * i;
        if (m >= N) continue;
        for (int j = 0; j < 4; j++) {
            int n = n0 + tx + 16 * j;
            if (n < N) C[(long)m * N + n] = (n >= m) ? acc[i][j] : 0.0f;
        }
    }
}
void forward(const float* A, const float* B, float* C, int N) {
    dim3 grid((N + BM - 1) / BM, (N + BM - 1) / BM);
    tri_gemm<<<grid, 256>>>(A, B, C, N);
}
