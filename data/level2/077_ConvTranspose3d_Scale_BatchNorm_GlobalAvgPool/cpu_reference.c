// CPU reference for L2/77 ConvTranspose3d_Scale_BatchNorm_GlobalAvgPool: plain loops, every
// intermediate in fp64. The oracle for reference.cu at smoke sizes; written independently of the
// CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_077_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// Transposed convolution by scattering: input x[n, ci, i] adds x * w[ci, co, k] to output
// y[n, co, i*s - p + k] (per spatial dim; 2-D: depth 1 with KD = 1, sd = 1, pd = 0); w is [Cin, Cout, ...]
static void cpu_L2_077_conv_transpose(const double* x, const double* w, const double* b, double* y, int N, int Cin, int Cout,
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

static void cpu_ref_L2_077(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[6];
    const int in_channels = (int)io->ival[7];
    const int out_channels = (int)io->ival[8];
    const int depth = (int)io->ival[9];
    const int height = (int)io->ival[10];
    const int width = (int)io->ival[11];
    const int Do = depth + 4;
    const int Ho = height + 4;
    const int Wo = width + 4;
    double* x = cpu_L2_077_load((const float*)io->ptr[0], (long)batch_size * in_channels * depth * height * width);
    double* conv_w = cpu_L2_077_load((const float*)io->ptr[1], (long)in_channels * out_channels * 5 * 5 * 5);
    double* conv_b = cpu_L2_077_load((const float*)io->ptr[2], (long)out_channels);
    double* bn_w = cpu_L2_077_load((const float*)io->ptr[3], (long)out_channels);
    double* bn_b = cpu_L2_077_load((const float*)io->ptr[4], (long)out_channels);

    // conv_transpose3d(in_channels -> out_channels channels, kernel 5, stride 1, padding 0)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Do * Ho * Wo) * sizeof(double));
    cpu_L2_077_conv_transpose(x, conv_w, conv_b, y1, batch_size, in_channels, out_channels, depth, height, width, Do, Ho, Wo, 5, 5, 1, 1, 0, 0);

    // * 2
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Do * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Do * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y1[i];
            y2[i] = v * 2.0;
        }
    }

    // batch_norm over dim 1 with batch statistics (training mode: KernelBench never calls .eval(); biased variance, eps 1e-05) and affine bn_w, bn_b
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Do * Ho * Wo) * sizeof(double));
    {
        const int N = batch_size, C = out_channels;
        const long S = (long)Do * Ho * Wo;
        for (int c = 0; c < C; c++) {
            double m = 0.0, var = 0.0;
            for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) m += y2[((long)n * C + c) * S + j];
            m /= (double)N * S;
            for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) {
                double d = y2[((long)n * C + c) * S + j] - m;
                var += d * d;
            }
            var /= (double)N * S;   // biased: training-mode BatchNorm normalizes with it
            for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) {
                long i = ((long)n * C + c) * S + j;
                y3[i] = (y2[i] - m) / sqrt(var + 1e-05) * bn_w[c] + bn_b[c];
            }
        }
    }

    // global average pool over dims 2,3,4 -> [N, C, 1, 1, 1]
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels) * sizeof(double));
    {
        const long outer = (long)batch_size * out_channels, R = (long)Do * Ho * Wo, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y3 + a * R * inner + j;
                double acc = 0.0;
                for (long r = 0; r < R; r++) acc += xr[r * inner];
                y4[a * inner + j] = acc / R;
            }
    }

    float* out = (float*)io->ptr[5];
    for (long i = 0; i < (long)batch_size * out_channels; i++) out[i] = (float)y4[i];
    kgrl_free(x);
    kgrl_free(conv_w);
    kgrl_free(conv_b);
    kgrl_free(bn_w);
    kgrl_free(bn_b);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
}
