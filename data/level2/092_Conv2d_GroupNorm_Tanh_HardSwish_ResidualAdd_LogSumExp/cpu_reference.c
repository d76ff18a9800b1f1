// CPU reference for L2/92 Conv2d_GroupNorm_Tanh_HardSwish_ResidualAdd_LogSumExp: plain loops, every
// intermediate in fp64. The oracle for reference.cu at smoke sizes; written independently of the
// CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_092_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[n, co, od, oh, ow] = b[co] + sum over ci, kd, kh, kw of x[n, ci, od*sd-pd+kd, oh*s-p+kh, ow*s-p+kw] *
// w[co, ci, kd, kh, kw] (2-D: depth 1 with KD = 1, sd = 1, pd = 0)
static void cpu_L2_092_conv(const double* x, const double* w, const double* b, double* y, int N, int Cin, int Cout,
               int D, int H, int W, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    for (int n = 0; n < N; n++)
        for (int co = 0; co < Cout; co++)
            for (int od = 0; od < Do; od++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++) {
                        double acc = b ? b[co] : 0.0;
                        for (int ci = 0; ci < Cin; ci++)
                            for (int a = 0; a < KD; a++)
                                for (int kh = 0; kh < K; kh++)
                                    for (int kw = 0; kw < K; kw++) {
                                        int id = od * sd - pd + a, ih = oh * s - p + kh, iw = ow * s - p + kw;
                                        if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                        acc += x[(((long)n * Cin + ci) * D + id) * H * W + (long)ih * W + iw] *
                                               w[(((long)co * Cin + ci) * KD + a) * K * K + kh * K + kw];
                                    }
                        y[(((long)n * Cout + co) * Do + od) * Ho * Wo + (long)oh * Wo + ow] = acc;
                    }
}

static void cpu_ref_L2_092(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[6];
    const int in_channels = (int)io->ival[7];
    const int out_channels = (int)io->ival[8];
    const int height = (int)io->ival[9];
    const int width = (int)io->ival[10];
    const int Ho = height - 2;
    const int Wo = width - 2;
    double* x = cpu_L2_092_load((const float*)io->ptr[0], (long)batch_size * in_channels * height * width);
    double* conv_w = cpu_L2_092_load((const float*)io->ptr[1], (long)out_channels * in_channels * 3 * 3);
    double* conv_b = cpu_L2_092_load((const float*)io->ptr[2], (long)out_channels);
    double* gn_w = cpu_L2_092_load((const float*)io->ptr[3], (long)out_channels);
    double* gn_b = cpu_L2_092_load((const float*)io->ptr[4], (long)out_channels);

    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    cpu_L2_092_conv(x, conv_w, conv_b, y1, batch_size, in_channels, out_channels, 1, height, width, 1, Ho, Wo, 1, 3, 1, 1, 0, 0);

    // group_norm(16 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const int N = batch_size, C = out_channels, G = 16;
        const long S = (long)Ho * Wo, M = (long)(C / G) * S;   // one group: C/G channels x S
        for (long row = 0; row < (long)N * G; row++) {
            const double* xr = y1 + row * M;
            double m = 0.0, var = 0.0;
            for (long j = 0; j < M; j++) m += xr[j];
            m /= M;
            for (long j = 0; j < M; j++) var += (xr[j] - m) * (xr[j] - m);
            var /= M;
            for (long j = 0; j < M; j++) {
                int c = (int)((row % G) * (C / G) + j / S);
                y2[row * M + j] = (xr[j] - m) / sqrt(var + 1e-05) * gn_w[c] + gn_b[c];
            }
        }
    }

    // tanh
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            y3[i] = tanh(v);
        }
    }

    // hardswish
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y3[i];
            y4[i] = v * fmin(fmax(v + 3.0, 0.0), 6.0) / 6.0;
        }
    }

    // x_conv + that (residual)
    double* y5 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y4[i];
            double r = y1[i];
            y5[i] = v + r;
        }
    }

    // logsumexp over dim 1 (keepdim)
    double* y6 = (double*)kgrl_malloc((size_t)((long)batch_size * Ho * Wo) * sizeof(double));
    {
        const long outer = (long)batch_size, R = (long)out_channels, inner = (long)Ho * Wo;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y5 + a * R * inner + j;
                double m = xr[0], s = 0.0;
                for (long r = 1; r < R; r++) if (xr[r * inner] > m) m = xr[r * inner];
                for (long r = 0; r < R; r++) s += exp(xr[r * inner] - m);
                y6[a * inner + j] = m + log(s);
            }
    }

    float* out = (float*)io->ptr[5];
    for (long i = 0; i < (long)batch_size * Ho * Wo; i++) out[i] = (float)y6[i];
    kgrl_free(x);
    kgrl_free(conv_w);
    kgrl_free(conv_b);
    kgrl_free(gn_w);
    kgrl_free(gn_b);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
    kgrl_free(y5);
    kgrl_free(y6);
}
