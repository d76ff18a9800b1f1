// The reference's column tiles (a warp reads 32 contiguous columns; dim2 = 4095 leaves rows unaligned,
// so no float4) with 8 independent row loads in flight per thread; rows are split over blockIdx.z, with
// a second min pass, when the grid cannot fill the GPU. x is read once either way (1.07 GB; the
// reference measured ~0.32 ms, ~3.4 TB/s): latency hiding only, predicted ~1.1-1.2x.
#define BX 32
#define BY 8
#define UN 8
// grid (ceil(I/32), B, S): split z covers rows [z*rps, min(R, (z+1)*rps)). With S == 1 the result goes
// to y[b*I + col], else to part[(z*B + b)*I + col].
__global__ void min_mid(const float* __restrict__ x, float* __restrict__ y, int B, int R, int I, int rps) {
    __shared__ float sv[BY][BX];
    int b = blockIdx.y, col = blockIdx.x * BX + threadIdx.x;
    int r0 = blockIdx.z * rps, r1 = min(R, r0 + rps);
    float acc = __int_as_float(0x7f800000);
    if (col < I) {
        const float* xb = x + (long)b * R * I + col;
        int r = r0 + threadIdx.y;
        for (; r + (UN - 1) * BY < r1; r += UN * BY) {
            float v[UN];
#pragma unroll
            for (int k = 0; k < UN; k++) v[k] = xb[(long)(r + k * BY) * I];
#pragma unroll
            for (int k = 0; k < UN; k++) acc = fminf(acc, v[k]);
        }
        for (; r < r1; r += BY) acc = fminf(acc, xb[(long)r * I]);
    }
    sv[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && col < I) {
        for (int k = 1; k < BY; k++) acc = fminf(acc, sv[k][threadIdx.x]);
        y[((long)blockIdx.z * B + b) * I + col] = acc;
    }
}
// The min of the S split partials of each output.
__global__ void min_splits(const float* __restrict__ part, float* __restrict__ y, long BI, int S) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= BI) return;
    float acc = part[i];
    for (int s = 1; s < S; s++) acc = fminf(acc, part[s * BI + i]);
    y[i] = acc;
}
void forward(const float* x, float* out, int batch_size, int dim1, int dim2) {
    int tiles = (dim2 + BX - 1) / BX * batch_size;
    int S = 1;
    if (tiles < 528) {                                  // fewer than 4 blocks per SM: split the rows
        S = (1056 + tiles - 1) / tiles;
        int smax = (dim1 + 255) / 256;                  // keep >= 256 rows (32 per thread) per split
        if (S > smax) S = smax;
        if (S < 1) S = 1;
    }
    int rps = (dim1 + S - 1) / S;
    S = (dim1 + rps - 1) / rps;
    dim3 block(BX, BY);
    dim3 grid((dim2 + BX - 1) / BX, batch_size, S);
    if (S == 1) {
        min_mid<<<grid, block>>>(x, out, batch_size, dim1, dim2, rps);
    } else {
        long BI = (long)batch_size * dim2;
        float* part;
        cudaMalloc(&part, (size_t)S * BI * sizeof(float));
        min_mid<<<grid, block>>>(x, part, batch_size, dim1, dim2, rps);
        min_splits<<<(BI + 255) / 256, 256>>>(part, out, BI, S);
        cudaFree(part);
    }
}
