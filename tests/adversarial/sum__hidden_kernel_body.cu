// expect: static_reject
// A kernel body the parse does not see as one: the preprocessor hides `= delete;` from NVRTC but
// not from the parse, which reads the brace as a variable's initialiser and puts no entry hook
// there (the dead copy under #if 0 gets it). Its blocks then do not run the hook, and the hook's
// block count says so. The kernel itself is correct: the verdict is about the instrumentation.
#if 0
__global__ void row_sum(const float* x, float* out, int cols) { }
#endif
__global__ void row_sum(const float* x, float* out, int cols)
#if 0
= delete;
__device__ int unused
#endif
{
    if (threadIdx.x != 0) return;
    float s = 0.0f;
    for (int j = 0; j < cols; j++) s += x[(long)blockIdx.x * cols + j];
    out[blockIdx.x] = s;
}
__device__ void after_the_kernel() {}
void forward(const float* x, float* out, int rows, int cols) {
    row_sum<<<rows, 32>>>(x, out, cols);
}
