// Reference: PyTorch eager runs `0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 *
// torch.pow(x, 3.0))))` as eight separate elementwise kernels, each reading and writing a full tensor,
// vectorized (4 elements per thread through float4) as PyTorch does for contiguous fp32. This mirrors
// that, one kernel per op, temporaries in scratch buffers. Thread t owns elements 4t..4t+3; the last
// thread finishes a partial group.

__global__ void scale_k(const float* a, float* y, long n, float s) {      // y = s * a
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(a + i);
        v.x *= s; v.y *= s; v.z *= s; v.w *= s;
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = s * a[i];
    }
}
__global__ void add_scalar_k(const float* a, float* y, long n, float s) { // y = a + s
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(a + i);
        v.x += s; v.y += s; v.z += s; v.w += s;
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = a[i] + s;
    }
}
__global__ void pow3_k(const float* a, float* y, long n) {                // y = a^3 (torch.pow with exponent 3)
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(a + i);
        v.x = v.x * v.x * v.x; v.y = v.y * v.y * v.y; v.z = v.z * v.z * v.z; v.w = v.w * v.w * v.w;
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) { float v = a[i]; y[i] = v * v * v; }
    }
}
__global__ void add_k(const float* a, const float* b, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 u = *(const float4*)(a + i), v = *(const float4*)(b + i);
        u.x += v.x; u.y += v.y; u.z += v.z; u.w += v.w;
        *(float4*)(y + i) = u;
    } else {
        for (; i < n; i++) y[i] = a[i] + b[i];
    }
}
__global__ void mul_k(const float* a, const float* b, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 u = *(const float4*)(a + i), v = *(const float4*)(b + i);
        u.x *= v.x; u.y *= v.y; u.z *= v.z; u.w *= v.w;
        *(float4*)(y + i) = u;
    } else {
        for (; i < n; i++) y[i] = a[i] * b[i];
    }
}
__global__ void tanh_k(const float* a, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(a + i);
        v.x = tanhf(v.x); v.y = tanhf(v.y); v.z = tanhf(v.z); v.w = tanhf(v.w);
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = tanhf(a[i]);
    }
}

void forward(const float* x, float* out, int batch_size, int dim) {
    long n = (long)batch_size * dim;
    long blocks = ((n + 3) / 4 + 255) / 256;
    float* half_x; float* t1; float* t2;
    cudaMalloc(&half_x, n * sizeof(float));
    cudaMalloc(&t1, n * sizeof(float));
    cudaMalloc(&t2, n * sizeof(float));
    scale_k<<<blocks, 256>>>(x, half_x, n, 0.5f);               // 0.5 * x
    pow3_k<<<blocks, 256>>>(x, t1, n);                          // x^3
    scale_k<<<blocks, 256>>>(t1, t2, n, 0.044715f);             // 0.044715 * x^3
    add_k<<<blocks, 256>>>(x, t2, t1, n);                       // x + ...
    scale_k<<<blocks, 256>>>(t1, t2, n, 0.7978845608028654f);   // sqrt(2/pi) * (...)
    tanh_k<<<blocks, 256>>>(t2, t1, n);
    add_scalar_k<<<blocks, 256>>>(t1, t2, n, 1.0f);             // 1 + tanh(...)
    mul_k<<<blocks, 256>>>(half_x, t2, out, n);
    cudaFree(half_x);
    cudaFree(t1);
    cudaFree(t2);
}
