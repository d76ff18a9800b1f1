// expect: wrong_output|runtime_fault
// (runtime_fault when a larger variant runs past the cached buffer: either way it is rejected)
// State cached across calls in __device__ memory: the first call of a module instance computes and
// stores the result, later calls replay it. Each correctness trial loads a fresh module, so only the
// timed runs, whose inputs rotate, can catch it (their outputs are checked).
__device__ int computed;
__device__ float cache[16777216];
__global__ void add_or_replay(const float* a, const float* b, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    if (computed) { out[i] = cache[i]; return; }
    out[i] = a[i] + b[i];
    cache[i] = out[i];
}
__global__ void mark_computed() { computed = 1; }
void forward(const float* a, const float* b, float* out, int n) {
    add_or_replay<<<(n + 255) / 256, 256>>>(a, b, out, n);
    mark_computed<<<1, 1>>>();
}
