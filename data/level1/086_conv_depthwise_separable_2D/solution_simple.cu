// Depthwise-separable convolution without libraries, as two plain kernels like the module: a depthwise
// 3x3 into a scratch buffer, then a pointwise 1x1 (a per-pixel matrix-vector product). One thread per
// output element, no shared-memory reuse.

// x (N, C, H, W) -> mid (N, C, H, W); dw (C, 1, 3, 3); stride 1, padding 1
__global__ void depthwise3x3(const float* x, const float* dw, float* mid, int N, int C, int H, int W) {
    long total = (long)N * C * H * W;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        int w = (int)(i % W); int h = (int)((i / W) % H); long nc = i / ((long)H * W);
        int c = (int)(nc % C);
        const float* xp = x + nc * H * W;
        float acc = 0.0f;
        for (int kh = 0; kh < 3; kh++) {
            int ih = h - 1 + kh;
            if (ih < 0 || ih >= H) continue;
            for (int kw = 0; kw < 3; kw++) {
                int iw = w - 1 + kw;
                if (iw < 0 || iw >= W) continue;
                acc += xp[(long)ih * W + iw] * dw[c * 9 + kh * 3 + kw];
            }
        }
        mid[i] = acc;
    }
}

// mid (N, C, HW) -> y (N, K, HW); pw (K, C)
__global__ void pointwise(const float* mid, const float* pw, float* y, int N, int C, int K, long HW) {
    long total = (long)N * K * HW;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i % HW; long nk = i / HW;
        int k = (int)(nk % K); int n = (int)(nk / K);
        float acc = 0.0f;
        for (int c = 0; c < C; c++) acc += mid[((long)n * C + c) * HW + p] * pw[(long)k * C + c];
        y[i] = acc;
    }
}

void forward(const float* x, const float* dw_weight, const float* pw_weight, float* out, int batch_size, int in_channels, int out_channels, int height, int width) {
    long hw = (long)height * width;
    float* mid;
    cudaMalloc(&mid, (size_t)batch_size * in_channels * hw * sizeof(float));
    long n1 = (long)batch_size * in_channels * hw;
    long b1 = (n1 + 255) / 256;
    if (b1 > 1048576) b1 = 1048576;
    depthwise3x3<<<b1, 256>>>(x, dw_weight, mid, batch_size, in_channels, height, width);
    long n2 = (long)batch_size * out_channels * hw;
    long b2 = (n2 + 255) / 256;
    if (b2 > 1048576) b2 = 1048576;
    pointwise<<<b2, 256>>>(mid, pw_weight, out, batch_size, in_channels, out_channels, hw);
    cudaFree(mid);
}
