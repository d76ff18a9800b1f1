// Reference: what PyTorch eager runs: one thread per output element looping over its window
// (avg_pool2d CUDA kernel).
#define KS 11
#define ST 11
#define PD 0
#define DL 1
__global__ void pool_kernel(const float* x, float* y, long planes, int H, int Ho, int W, int Wo) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= planes * (long)Ho * (long)Wo) return;
    int ow = (int)(i % Wo);
    int oh = (int)((i / Wo) % Ho);
    long plane = ((i / Wo) / Ho);
    const float* xp = x + plane * (long)H * (long)W;
    float s = 0.0f;
    int cnt = 0;
    for (int kh = 0; kh < KS; kh++) {
        int ih = oh * ST - PD + kh * DL;
        if (ih < 0 || ih >= H) continue;
        for (int kw = 0; kw < KS; kw++) {
            int iw = ow * ST - PD + kw * DL;
            if (iw < 0 || iw >= W) continue;
            s += xp[(long)(ih) * W + iw];
            cnt++;
        }
    }
    int h0 = oh * ST - PD, h1 = min(h0 + KS, H + PD);
    int w0 = ow * ST - PD, w1 = min(w0 + KS, W + PD);
    y[i] = s / (float)((h1 - h0) * (w1 - w0));
}
void forward(const float* x, float* out, int batch_size, int channels, int height, int width) {
    int Ho = (height + 2 * 0 - 1 * (11 - 1) - 1) / 11 + 1;
    int Wo = (width + 2 * 0 - 1 * (11 - 1) - 1) / 11 + 1;
    long planes = (long)batch_size * channels;
    long n = planes * (long)Ho * (long)Wo;
    pool_kernel<<<(n + 255) / 256, 256>>>(x, out, planes, height, Ho, width, Wo);
}
