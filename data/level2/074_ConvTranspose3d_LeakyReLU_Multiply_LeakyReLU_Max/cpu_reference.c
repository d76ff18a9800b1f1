// CPU reference for L2/74 ConvTranspose3d_LeakyReLU_Multiply_LeakyReLU_Max: plain loops, every
// intermediate in fp64. The oracle for reference.cu at smoke sizes; written independently of the
// CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_074_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// Transposed convolution by scattering: input x[n, ci, i] adds x * w[ci, co, k] to output
// y[n, co, i*s - p + k] (per spatial dim; 2-D: depth 1 with KD = 1, sd = 1, pd = 0); w is [Cin, Cout, ...]
static void cpu_L2_074_conv_transpose(const double* x, const double* w, const double* b, double* y, int N, int Cin, int Cout,
               int D, int H, int W, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    const long plane = (long)Do * Ho * Wo;
    for (int n = 0; n < N; n++)
        for (int co = 0; co < Cout; co++)
            for (long j = 0; j < plane; j++) y[((long)n * Cout + co) * plane + j] = b ? b[co] : 0.0;
    for (int n = 0; n < N; n++)
        for (int ci = 0; ci < Cin; ci++)
            for (int id = 0; id < D; id++)
                for (int ih = 0; ih < H; ih++)
                    for (int iw = 0; iw < W; iw++) {
                        double v = x[(((long)n * Cin + ci) * D + id) * H * W + (long)ih * W + iw];
                        for (int co = 0; co < Cout; co++)
                            for (int a = 0; a < KD; a++)
                                for (int kh = 0; kh < K; kh++)
                                    for (int kw = 0; kw < K; kw++) {
                                        int od = id * sd - pd + a, oh = ih * s - p + kh, ow = iw * s - p + kw;
                                        if (od < 0 || od >= Do || oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                                        y[(((long)n * Cout + co) * Do + od) * Ho * Wo + (long)oh * Wo + ow] +=
                                            v * w[(((long)ci * Cout + co) * KD + a) * K * K + kh * K + kw];
                                    }
                    }
}

static void cpu_ref_L2_074(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[5];
    const int in_channels = (int)io->ival[6];
    const int out_channels = (int)io->ival[7];
    const int depth = (int)io->ival[8];
    const int height = (int)io->ival[9];
    const int width = (int)io->ival[10];
    const int Do = (depth - 1) * 2 + 2;
    const int Ho = (height - 1) * 2 + 2;
    const int Wo = (width - 1) * 2 + 2;
    const int Dp = Do / 2;
    const int Hp = Ho / 2;
    const int Wp = Wo / 2;
    double* x = cpu_L2_074_load((const float*)io->ptr[0], (long)batch_size * in_channels * depth * height * width);
    double* conv_w = cpu_L2_074_load((const float*)io->ptr[1], (long)in_channels * out_channels * 3 * 3 * 3);
    double* conv_b = cpu_L2_074_load((const float*)io->ptr[2], (long)out_channels);
    double* multiplier = cpu_L2_074_load((const float*)io->ptr[3], (long)out_channels);

    // conv_transpose3d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Do * Ho * Wo) * sizeof(double));
    cpu_L2_074_conv_transpose(x, conv_w, conv_b, y1, batch_size, in_channels, out_channels, depth, height, width, Do, Ho, Wo, 3, 3, 2, 2, 1, 1);

    // leaky_relu(negative_slope=0.2)
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Do * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Do * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y1[i];
            y2[i] = (v > 0.0 ? v : v * 0.2);
        }
    }

    // * multiplier[c] (multiplier (C, 1, 1, 1) ~ randn)
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Do * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Do * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            double p = multiplier[(i / ((long)Do * Ho * Wo)) % out_channels];
            y3[i] = v * p;
        }
    }

    // leaky_relu(negative_slope=0.2)
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Do * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Do * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y3[i];
            y4[i] = (v > 0.0 ? v : v * 0.2);
        }
    }

    // max_pool3d(kernel 2, stride 2)
    double* y5 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Dp * Hp * Wp) * sizeof(double));
    {
        const long P = (long)batch_size * out_channels;
        const int D = Do, H = Ho, W = Wo, Do = Dp, Ho = Hp, Wo = Wp;
        const int KD = 2, KH = 2, KW = 2;
        for (long q = 0; q < P; q++)
            for (int od = 0; od < Do; od++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++) {
                        double acc = -INFINITY, cnt = 0.0;
                        for (int d = 0; d < KD; d++)
                            for (int h = 0; h < KH; h++)
                                for (int w = 0; w < KW; w++) {
                                    double v = y4[((q * D + od * KD + d) * H + oh * KH + h) * W + ow * KW + w];
                                    if (v > acc) acc = v;
                                    cnt += 1.0;
                                }
                        y5[((q * Do + od) * Ho + oh) * Wo + ow] = acc;
                    }
    }

    float* out = (float*)io->ptr[4];
    for (long i = 0; i < (long)batch_size * out_channels * Dp * Hp * Wp; i++) out[i] = (float)y5[i];
    kgrl_free(x);
    kgrl_free(conv_w);
    kgrl_free(conv_b);
    kgrl_free(multiplier);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
    kgrl_free(y5);
}
