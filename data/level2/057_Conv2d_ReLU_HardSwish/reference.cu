// Reference for L2/57 Conv2d_ReLU_HardSwish: what PyTorch eager runs. The convolution runs in cuDNN
// through kgrl_conv (with its bias, as the module does), then one kernel per following PyTorch op
// (eager does not fuse), each vectorized as PyTorch's elementwise kernels are for contiguous fp32:
// thread t owns elements 4t..4t+3 (float4), the last thread finishes a partial group.

// y = max(x, 0)
__global__ void relu_kernel(const float* x, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(x + i);
        v.x = fmaxf(v.x, 0.0f); v.y = fmaxf(v.y, 0.0f); v.z = fmaxf(v.z, 0.0f); v.w = fmaxf(v.w, 0.0f);
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = fmaxf(x[i], 0.0f);
    }
}

// y = x + 3
__global__ void add_3p0_kernel(const float* x, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(x + i);
        v.x += 3.0f; v.y += 3.0f; v.z += 3.0f; v.w += 3.0f;
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = x[i] + 3.0f;
    }
}

// y = x / 6
__global__ void div_6p0_kernel(const float* x, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(x + i);
        v.x /= 6.0f; v.y /= 6.0f; v.z /= 6.0f; v.w /= 6.0f;
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = x[i] / 6.0f;
    }
}

// y = clamp(x, 0, 1)
__global__ void clamp_0p01p0_kernel(const float* x, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(x + i);
        v.x = fminf(fmaxf(v.x, 0.0f), 1.0f); v.y = fminf(fmaxf(v.y, 0.0f), 1.0f);
        v.z = fminf(fmaxf(v.z, 0.0f), 1.0f); v.w = fminf(fmaxf(v.w, 0.0f), 1.0f);
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = fminf(fmaxf(x[i], 0.0f), 1.0f);
    }
}

// y = x * r: x * clamp((x + 3) / 6, 0, 1)
__global__ void mul_t_kernel(const float* x, const float* r, float* y, long n) {
    long i = 4 * (blockIdx.x * (long)blockDim.x + threadIdx.x);
    if (i + 3 < n) {
        float4 v = *(const float4*)(x + i), u = *(const float4*)(r + i);
        v.x *= u.x; v.y *= u.y; v.z *= u.z; v.w *= u.w;
        *(float4*)(y + i) = v;
    } else {
        for (; i < n; i++) y[i] = x[i] * r[i];
    }
}

void forward(const float* x, const float* conv_w, const float* conv_b, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    int Ho = height - 2;
    int Wo = width - 2;
    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    long n1 = (long)batch_size * out_channels * Ho * Wo;
    long blocks = ((n1 + 3) / 4 + 255) / 256;
    float* t1;
    cudaMalloc(&t1, n1 * sizeof(float));
    kgrl_conv(2, 0, batch_size, in_channels, out_channels, {height, width}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, x, conv_w, conv_b, t1);
    // relu
    relu_kernel<<<blocks, 256>>>(t1, t1, n1);
    // + 3
    float* t2;
    cudaMalloc(&t2, n1 * sizeof(float));
    add_3p0_kernel<<<blocks, 256>>>(t1, t2, n1);
    // / 6
    div_6p0_kernel<<<blocks, 256>>>(t2, t2, n1);
    // clamp(0, 1)
    clamp_0p01p0_kernel<<<blocks, 256>>>(t2, t2, n1);
    // x * (that): x * clamp((x + 3) / 6, 0, 1)
    mul_t_kernel<<<blocks, 256>>>(t2, t1, out, n1);
    cudaFree(t1);
    cudaFree(t2);
}
