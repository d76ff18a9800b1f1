// Grid-stride loop over outputs, one output per iteration.
#define KS 3
#define ST 2
#define PD 1
#define DL 3
__global__ void pool_kernel(const float* x, float* y, long planes, int D, int Do, int H, int Ho, int W, int Wo) {
    long total = planes * (long)Do * (long)Ho * (long)Wo;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
    int ow = (int)(i % Wo);
    int oh = (int)((i / Wo) % Ho);
    int od = (int)(((i / Wo) / Ho) % Do);
    long plane = (((i / Wo) / Ho) / Do);
    const float* xp = x + plane * (long)D * (long)H * (long)W;
    float m = -__int_as_float(0x7f800000);
    for (int kd = 0; kd < KS; kd++) {
        int id = od * ST - PD + kd * DL;
        if (id < 0 || id >= D) continue;
        for (int kh = 0; kh < KS; kh++) {
            int ih = oh * ST - PD + kh * DL;
            if (ih < 0 || ih >= H) continue;
            for (int kw = 0; kw < KS; kw++) {
                int iw = ow * ST - PD + kw * DL;
                if (iw < 0 || iw >= W) continue;
                float v = xp[(long)((id) * H + ih) * W + iw];
                if (v > m || v != v) m = v;
            }
        }
    }
    y[i] = m;
    }
}
void forward(const float* x, float* out, int batch_size, int channels, int depth, int height, int width) {
    int Do = (depth + 2 * 1 - 3 * (3 - 1) - 1) / 2 + 1;
    int Ho = (height + 2 * 1 - 3 * (3 - 1) - 1) / 2 + 1;
    int Wo = (width + 2 * 1 - 3 * (3 - 1) - 1) / 2 + 1;
    long planes = (long)batch_size * channels;
    long cap = 8192;
    long n = planes * (long)Do * (long)Ho * (long)Wo;
    pool_kernel<<<min((n + 255) / 256, cap), 256>>>(x, out, planes, depth, Do, height, Ho, width, Wo);
}
