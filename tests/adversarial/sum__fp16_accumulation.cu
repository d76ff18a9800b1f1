// expect: wrong_output
// Precision downgrade: accumulates in fp16. Row sums of ~2048 have an fp16 spacing of 2.
#include <cuda_fp16.h>
__global__ void row_sum_half(const float* x, float* out, int cols) {
    __shared__ __half red[256];
    const float* xr = x + (long)blockIdx.x * cols;
    __half s = __float2half(0.0f);
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s = __hadd(s, __float2half(xr[j]));
    red[threadIdx.x] = s;
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k /= 2) {
        if (threadIdx.x < k) red[threadIdx.x] = __hadd(red[threadIdx.x], red[threadIdx.x + k]);
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = __half2float(red[0]);
}
void forward(const float* x, float* out, int rows, int cols) {
    row_sum_half<<<rows, 256>>>(x, out, cols);
}
