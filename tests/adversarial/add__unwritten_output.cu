// expect: wrong_output
// Writes nothing: every output element keeps its poison (NaN) and fails.
__global__ void noop(const float* a, const float* b, float* out, long n) {}
void forward(const float* a, const float* b, float* out, int n) {
    noop<<<1, 32>>>(a, b, out, n);
}
