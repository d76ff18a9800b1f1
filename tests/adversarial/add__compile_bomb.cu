// expect: timeout|compile_error
// A compile bomb: a constant expression that needs ~2^90 constexpr calls (memory stays flat, the
// compiler never finishes). The compile watchdog must kill it in time.
__device__ constexpr long long fib(long long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
template <long long V> struct Konst { static constexpr long long v = V; };
__global__ void add_kernel(const float* a, const float* b, float* out, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) out[i] = a[i] + b[i] + (float)(Konst<fib(90)>::v & 0);
}
void forward(const float* a, const float* b, float* out, int n) {
    add_kernel<<<(n + 255) / 256, 256>>>(a, b, out, n);
}
