// One block per row sums max(0, 1 - p*t[col]) over the row (shared-memory tree) into a per-row
// partial; a second kernel adds the rows and divides by the element count.
__global__ void hinge_rows(const float* p, const float* t, float* row_sum, long dim) {
    __shared__ float s[256];
    const float* pr = p + (long)blockIdx.x * dim;
    float acc = 0.0f;
    for (long j = threadIdx.x; j < dim; j += 256) acc += fmaxf(1.0f - pr[j] * t[j], 0.0f);
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int h = 128; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) row_sum[blockIdx.x] = s[0];
}
__global__ void mean_rows(const float* row_sum, int rows, float* out, float scale) {
    __shared__ float s[256];
    float acc = 0.0f;
    for (int i = threadIdx.x; i < rows; i += 256) acc += row_sum[i];
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int h = 128; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = s[0] * scale;
}
void forward(const float* predictions, const float* targets, float* out, int batch_size, int dim) {
    float* row_sum;
    cudaMalloc(&row_sum, (size_t)batch_size * sizeof(float));
    hinge_rows<<<batch_size, 256>>>(predictions, targets, row_sum, dim);
    mean_rows<<<1, 256>>>(row_sum, batch_size, out, 1.0f / ((float)batch_size * (float)dim));
    cudaFree(row_sum);
}
