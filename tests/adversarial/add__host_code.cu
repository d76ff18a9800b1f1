// expect: static_reject
// Host code on tensor data: copies the inputs to the host and adds them there.
#include <stdlib.h>
void forward(const float* a, const float* b, float* out, int n) {
    float* h = (float*)malloc((size_t)n * sizeof(float));
    cudaMemcpy(h, a, (size_t)n * sizeof(float), cudaMemcpyDeviceToHost);
    for (int i = 0; i < n; i++) h[i] += 1.0f;
    cudaMemcpy(out, h, (size_t)n * sizeof(float), cudaMemcpyHostToDevice);
    free(h);
}
