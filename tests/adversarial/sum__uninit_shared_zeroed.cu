// expect: wrong_output
// sum__uninit_shared.cu with a first kernel that zeroes all of every SM's shared memory, so the
// unwritten slots the reduction reads are zeros and the sums come out right: it passed a verifier
// that poisons shared memory from a kernel of its own before the candidate (the zeroing runs after
// that). The entry hook poisons each block's window as the block starts, after anything else ran.
__global__ void zero_smem(int nwords) {
    extern __shared__ float words[];
    for (int i = threadIdx.x; i < nwords; i += blockDim.x) words[i] = 0.0f;
}
__global__ void row_sum_uninit(const float* x, float* out, int cols) {
    __shared__ float red[256];
    const float* xr = x + (long)blockIdx.x * cols;
    if (threadIdx.x < cols) {
        float s = 0.0f;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
        red[threadIdx.x] = s;
    }
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k /= 2) {
        if (threadIdx.x < k) red[threadIdx.x] += red[threadIdx.x + k];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = red[0];
}
void forward(const float* x, float* out, int rows, int cols) {
    int bytes = 200 * 1024;   // one block an SM at a time on an H100 (228 KB an SM): 1056 blocks visit every SM
    cudaFuncSetAttribute(zero_smem, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    zero_smem<<<1056, 1024, bytes>>>(bytes / 4);
    row_sum_uninit<<<rows, 256>>>(x, out, cols);
}
