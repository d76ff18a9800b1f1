// Depthwise 3x7 convolution (stride 1, no padding), register-blocked: each thread makes TW = 4
// consecutive outputs of one row, loading the 10 input values of each of the 3 input rows once and the
// channel's 21 weights into registers. Grid-stride over (n, c, oh, column tile). Memory-bound: one read of
// x (neighbouring threads share rows through L1) and one write of out.
#define KH 3
#define KW 7
#define TW 4

// x (N*C, H, W), w (C, 1, KH, KW), y (N*C, Ho, Wo)
__global__ void dw_conv_tiled(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
                              int C, int H, int W, int Ho, int Wo, long tiles) {
    int wtiles = (Wo + TW - 1) / TW;
    for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < tiles; t += (long)gridDim.x * blockDim.x) {
        int tw = (int)(t % wtiles); long r = t / wtiles;
        int oh = (int)(r % Ho); long nc = r / Ho;
        int c = (int)(nc % C);
        float wk[KH * KW];
        for (int i = 0; i < KH * KW; i++) wk[i] = w[c * KH * KW + i];
        int ow0 = tw * TW;
        float acc[TW];
        for (int o = 0; o < TW; o++) acc[o] = 0.0f;
        for (int kh = 0; kh < KH; kh++) {
            const float* row = x + (nc * H + oh + kh) * (long)W;
            float v[TW + KW - 1];
            for (int j = 0; j < TW + KW - 1; j++) v[j] = ow0 + j < W ? row[ow0 + j] : 0.0f;
            for (int o = 0; o < TW; o++)
                for (int kw = 0; kw < KW; kw++) acc[o] += v[o + kw] * wk[kh * KW + kw];
        }
        float* yr = y + (nc * Ho + oh) * (long)Wo;
        for (int o = 0; o < TW; o++)
            if (ow0 + o < Wo) yr[ow0 + o] = acc[o];
    }
}

void forward(const float* x, const float* weight, float* out, int batch_size, int in_channels, int height, int width) {
    int Ho = height - KH + 1;
    int Wo = width - KW + 1;
    long tiles = (long)batch_size * in_channels * Ho * ((Wo + TW - 1) / TW);
    long blocks = (tiles + 255) / 256;
    if (blocks > 1048576) blocks = 1048576;
    dw_conv_tiled<<<blocks, 256>>>(x, weight, out, in_channels, height, width, Ho, Wo, tiles);
}
