// KNOWN WRONG: forgets the log of the normalizer (uses m + sum exp(x - m) instead of m + log sum exp):
// the row losses are off by thousands: wrong_output.
__global__ void row_loss(const float* x, const long long* t, float* loss, long N, long C) {
    long r = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (r >= N) return;
    const float* xr = x + r * C;
    float m = xr[0];
    for (long j = 1; j < C; j++) m = fmaxf(m, xr[j]);
    float s = 0.0f;
    for (long j = 0; j < C; j++) s += expf(xr[j] - m);
    loss[r] = m + s - xr[t[r]];
}
__global__ void mean_k(const float* v, long n, float* out) {
    __shared__ float s[256];
    float acc = 0.0f;
    for (long i = threadIdx.x; i < n; i += 256) acc += v[i];
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int h = 128; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = s[0] / (float)n;
}
void forward(const float* predictions, const long long* targets, float* out, int batch_size, int num_classes) {
    float* loss;
    cudaMalloc(&loss, (size_t)batch_size * sizeof(float));
    row_loss<<<(batch_size + 127) / 128, 128>>>(predictions, targets, loss, batch_size, num_classes);
    mean_k<<<1, 256>>>(loss, batch_size, out);
    cudaFree(loss);
}
