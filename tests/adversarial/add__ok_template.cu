// expect: ok
// A template kernel instantiated from forward (NVRTC name expression "add_t<float, 256>").
template <typename T, int BS>
__global__ void add_t(const T* a, const T* b, T* out, long n) {
    long i = blockIdx.x * (long)BS + threadIdx.x;
    if (i < n) out[i] = a[i] + b[i];
}
void forward(const float* a, const float* b, float* out, int n) {
    add_t<float, 256><<<(n + 255) / 256, 256>>>(a, b, out, n);
}
