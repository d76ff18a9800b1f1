// Each block sums the smooth-L1 terms of a grid-stride slice (shared-memory tree), a second kernel adds
// the partials and divides by n.
__global__ void huber_partial(const float* p, const float* t, long n, float* partial) {
    __shared__ float s[256];
    float acc = 0.0f;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        float d = fabsf(p[i] - t[i]);
        acc += d < 1.0f ? 0.5f * d * d : d - 0.5f;
    }
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int h = 128; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.x] = s[0];
}
__global__ void huber_final(const float* partial, int np, float* out, long n) {
    __shared__ float s[256];
    float acc = 0.0f;
    for (int i = threadIdx.x; i < np; i += 256) acc += partial[i];
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int h = 128; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = s[0] / (float)n;
}
void forward(const float* predictions, const float* targets, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    float* partial;
    cudaMalloc(&partial, 512 * sizeof(float));
    huber_partial<<<512, 256>>>(predictions, targets, n, partial);
    huber_final<<<1, 256>>>(partial, 512, out, n);
    cudaFree(partial);
}
