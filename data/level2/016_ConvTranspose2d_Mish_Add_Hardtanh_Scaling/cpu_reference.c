// CPU reference for L2/16 ConvTranspose2d_Mish_Add_Hardtanh_Scaling: plain loops, every
// intermediate in fp64. The oracle for reference.cu at smoke sizes; written independently of the
// CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_016_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// Transposed convolution by scattering: input x[n, ci, i] adds x * w[ci, co, k] to output
// y[n, co, i*s - p + k] (per spatial dim; 2-D: depth 1 with KD = 1, sd = 1, pd = 0); w is [Cin, Cout, ...]
static void cpu_L2_016_conv_transpose(const double* x, const double* w, const double* b, double* y, int N, int Cin, int Cout,
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

static void cpu_ref_L2_016(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[4];
    const int in_channels = (int)io->ival[5];
    const int out_channels = (int)io->ival[6];
    const int height = (int)io->ival[7];
    const int width = (int)io->ival[8];
    const int Ho = (height - 1) * 2 + 2;
    const int Wo = (width - 1) * 2 + 2;
    double* x = cpu_L2_016_load((const float*)io->ptr[0], (long)batch_size * in_channels * height * width);
    double* conv_w = cpu_L2_016_load((const float*)io->ptr[1], (long)in_channels * out_channels * 3 * 3);
    double* conv_b = cpu_L2_016_load((const float*)io->ptr[2], (long)out_channels);

    // conv_transpose2d(in_channels -> out_channels channels, kernel 3, stride 2, padding 1, output_padding 1)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    cpu_L2_016_conv_transpose(x, conv_w, conv_b, y1, batch_size, in_channels, out_channels, 1, height, width, 1, Ho, Wo, 1, 3, 1, 2, 0, 1);

    // mish
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y1[i];
            y2[i] = v * tanh(log1p(exp(v)));
        }
    }

    // + 0.5
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            y3[i] = v + 0.5;
        }
    }

    // hardtanh(-1, 1)
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y3[i];
            y4[i] = fmin(fmax(v, -1.0), 1.0);
        }
    }

    // * 2
    double* y5 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y4[i];
            y5[i] = v * 2.0;
        }
    }

    float* out = (float*)io->ptr[3];
    for (long i = 0; i < (long)batch_size * out_channels * Ho * Wo; i++) out[i] = (float)y5[i];
    kgrl_free(x);
    kgrl_free(conv_w);
    kgrl_free(conv_b);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
    kgrl_free(y5);
}
