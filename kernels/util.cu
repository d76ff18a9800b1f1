// Small utility kernels of the kit itself (compiled with kernels/philox.cuh pasted in front).

// x[i] = lo + (hi - lo) * uniform(key, stream, i), fp32; grid-stride over n elements.
extern "C" __global__ void kgrl_fill_uniform_f32(float* x, unsigned long long n, unsigned long long key,
                                                 unsigned long long stream, float lo, float hi) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        x[i] = lo + (hi - lo) * kgrl_uniform_at_dev(key, stream, i);
}

// The same draws rounded to bf16 (round to nearest even), stored as raw 16-bit patterns.
extern "C" __global__ void kgrl_fill_uniform_bf16(unsigned short* x, unsigned long long n, unsigned long long key,
                                                  unsigned long long stream, float lo, float hi) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        float f = lo + (hi - lo) * kgrl_uniform_at_dev(key, stream, i);
        unsigned int u = __float_as_uint(f);
        u += 0x7fffu + ((u >> 16) & 1u);
        x[i] = (unsigned short)(u >> 16);
    }
}
