// Reference for L2/14 Gemm_Divide_Sum_Scaling: what PyTorch eager runs. The GEMM runs in cuBLAS
// through kgrl_gemm (fp32, no TF32), then one kernel per following PyTorch op (eager does not
// fuse).

__device__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();                      // s may still be read from a previous call
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0f;
    v = warp_sum(v);
    return v;
}

// y = x / 2, one thread per element
__global__ void div_2p0_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v / 2.0f;
}

// y[row] = sum of the R contiguous elements of row `row`: one block per row, warp-shuffle
// block reduction
__global__ void sum_rows_kernel(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float acc = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) acc += xr[r];
    acc = block_sum(acc);
    if (threadIdx.x == 0) y[blockIdx.x] = acc;
}

// y = x * 1.5, one thread per element
__global__ void mul_1p5_kernel(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    y[i] = v * 1.5f;
}

void forward(const float* x, const float* weight, float* out, int batch_size, int input_size, int hidden_size) {
    // linear weight (x @ weight^T, input_size -> hidden_size features)
    long n1 = (long)batch_size * hidden_size;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_gemm(0, 1, batch_size, hidden_size, input_size, 1.0f, x, input_size, weight, input_size, 0.0f, t1, hidden_size);
    // / 2
    div_2p0_kernel<<<(n1 + 255) / 256, 256>>>(t1, t1, n1);
    // sum over dim 1 (keepdim)
    float* t2;
    cudaMalloc(&t2, (long)batch_size * sizeof(float));
    sum_rows_kernel<<<(long)batch_size, 256>>>(t1, t2, (long)hidden_size);
    // * 1.5
    mul_1p5_kernel<<<((long)batch_size + 255) / 256, 256>>>(t2, out, (long)batch_size);
    cudaFree(t1);
    cudaFree(t2);
}
