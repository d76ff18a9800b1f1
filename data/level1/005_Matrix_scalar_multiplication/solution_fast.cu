// C = A * s in one grid-stride launch: a single wave of 1056 x 256 threads, each with two float4 loads
// in flight per trip, and the scalar tail in the same kernel (the reference launches one thread per
// float4, 262144 x 256 threads at the main size, and a second kernel for a tail). Same 2.15 GB (one
// read, one write), and the reference already runs at copy bandwidth (0.50 ms in
// data/baselines/H200.csv), so only launch shape differs: predicted ~1.0x.
__device__ __forceinline__ float act(float v, float s) { return v * s; }
// Grid-stride over float4 (the base pointers are checked for 16-byte alignment), two independent 128-bit
// loads in flight per thread per trip; the n % 4 tail (or everything, if unaligned) in the same launch.
__global__ void scale4(const float* __restrict__ x, float* __restrict__ y, long n, float s) {
    long tid = blockIdx.x * (long)blockDim.x + threadIdx.x, stride = (long)gridDim.x * blockDim.x;
    bool vec = (((unsigned long long)x | (unsigned long long)y) & 15ull) == 0;
    long n4 = vec ? n / 4 : 0;
    const float4* x4 = reinterpret_cast<const float4*>(x);
    float4* y4 = reinterpret_cast<float4*>(y);
    long i = tid;
    for (; i + stride < n4; i += 2 * stride) {
        float4 a = x4[i], b = x4[i + stride];
        a.x = act(a.x, s); a.y = act(a.y, s); a.z = act(a.z, s); a.w = act(a.w, s);
        b.x = act(b.x, s); b.y = act(b.y, s); b.z = act(b.z, s); b.w = act(b.w, s);
        y4[i] = a;
        y4[i + stride] = b;
    }
    if (i < n4) {
        float4 a = x4[i];
        a.x = act(a.x, s); a.y = act(a.y, s); a.z = act(a.z, s); a.w = act(a.w, s);
        y4[i] = a;
    }
    for (long j = n4 * 4 + tid; j < n; j += stride) y[j] = act(x[j], s);
}
void forward(const float* A, float* C, int M, int N, float s) {
    long n = (long)M * N;
    long blocks = (n / 4 + 255) / 256;
    if (blocks > 1056) blocks = 1056;   // one wave: 8 blocks of 256 per SM on 132 SMs
    if (blocks < 1) blocks = 1;
    scale4<<<blocks, 256>>>(A, C, n, s);
}
