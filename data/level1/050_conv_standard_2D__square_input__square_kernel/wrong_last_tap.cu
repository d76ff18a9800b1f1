// Direct convolution, one thread per output element (gather form): 3 input channels x 11 x 11 taps.
#define CIN 3
#define KS 11
#define ST 4
#define PD 2
__global__ void conv_direct(const float* x, const float* w, const float* b, float* y, int N, int Cout, int H, int W, int Ho, int Wo) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= (long)N * Cout * Ho * Wo) return;
    int ow = (int)(i % Wo), oh = (int)((i / Wo) % Ho), co = (int)((i / ((long)Wo * Ho)) % Cout);
    long n = i / ((long)Wo * Ho * Cout);
    float acc = b[co];
    for (int ci = 0; ci < CIN; ci++)
        for (int kh = 0; kh < KS; kh++) {
            int ih = oh * ST - PD + kh;
            if (ih < 0 || ih >= H) continue;
            for (int kw = 0; kw < KS - 1; kw++) {
                int iw = ow * ST - PD + kw;
                if (iw < 0 || iw >= W) continue;
                acc += x[((n * CIN + ci) * H + ih) * (long)W + iw] * w[((co * CIN + ci) * KS + kh) * KS + kw];
            }
        }
    y[i] = acc;
}
void forward(const float* x, const float* weight, const float* bias, float* out, int batch_size, int out_channels, int height, int width) {
    int Ho = (height + 2 * 2 - 11) / 4 + 1, Wo = (width + 2 * 2 - 11) / 4 + 1;
    long n = (long)batch_size * out_channels * Ho * Wo;
    conv_direct<<<(n + 255) / 256, 256>>>(x, weight, bias, out, batch_size, out_channels, height, width, Ho, Wo);
}
