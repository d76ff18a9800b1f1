// CPU reference for L2/85 Conv2d_GroupNorm_Scale_MaxPool_Clamp: plain loops, every intermediate in
// fp64. The oracle for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_085_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[n, co, od, oh, ow] = b[co] + sum over ci, kd, kh, kw of x[n, ci, od*sd-pd+kd, oh*s-p+kh, ow*s-p+kw] *
// w[co, ci, kd, kh, kw] (2-D: depth 1 with KD = 1, sd = 1, pd = 0)
static void cpu_L2_085_conv(const double* x, const double* w, const double* b, double* y, int N, int Cin, int Cout,
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

static void cpu_ref_L2_085(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[7];
    const int in_channels = (int)io->ival[8];
    const int out_channels = (int)io->ival[9];
    const int height = (int)io->ival[10];
    const int width = (int)io->ival[11];
    const int Ho = height - 2;
    const int Wo = width - 2;
    const int Hp = Ho / 4;
    const int Wp = Wo / 4;
    double* x = cpu_L2_085_load((const float*)io->ptr[0], (long)batch_size * in_channels * height * width);
    double* conv_w = cpu_L2_085_load((const float*)io->ptr[1], (long)out_channels * in_channels * 3 * 3);
    double* conv_b = cpu_L2_085_load((const float*)io->ptr[2], (long)out_channels);
    double* gn_w = cpu_L2_085_load((const float*)io->ptr[3], (long)out_channels);
    double* gn_b = cpu_L2_085_load((const float*)io->ptr[4], (long)out_channels);
    double* scale = cpu_L2_085_load((const float*)io->ptr[5], (long)out_channels);

    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    cpu_L2_085_conv(x, conv_w, conv_b, y1, batch_size, in_channels, out_channels, 1, height, width, 1, Ho, Wo, 1, 3, 1, 1, 0, 0);

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

    // * scale[c] (scale (C, 1, 1) ~ uniform(0.5,1.5))
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            double p = scale[(i / ((long)Ho * Wo)) % out_channels];
            y3[i] = v * p;
        }
    }

    // max_pool2d(kernel 4, stride 4)
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Hp * Wp) * sizeof(double));
    {
        const long P = (long)batch_size * out_channels;
        const int D = 1, H = Ho, W = Wo, Do = 1, Ho = Hp, Wo = Wp;
        const int KD = 1, KH = 4, KW = 4;
        for (long q = 0; q < P; q++)
            for (int od = 0; od < Do; od++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++) {
                        double acc = -INFINITY, cnt = 0.0;
                        for (int d = 0; d < KD; d++)
                            for (int h = 0; h < KH; h++)
                                for (int w = 0; w < KW; w++) {
                                    double v = y3[((q * D + od * KD + d) * H + oh * KH + h) * W + ow * KW + w];
                                    if (v > acc) acc = v;
                                    cnt += 1.0;
                                }
                        y4[((q * Do + od) * Ho + oh) * Wo + ow] = acc;
                    }
    }

    // clamp(0, 1)
    double* y5 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Hp * Wp) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Hp * Wp;
        for (long i = 0; i < n; i++) {
            double v = y4[i];
            y5[i] = fmin(fmax(v, 0.0), 1.0);
        }
    }

    float* out = (float*)io->ptr[6];
    for (long i = 0; i < (long)batch_size * out_channels * Hp * Wp; i++) out[i] = (float)y5[i];
    kgrl_free(x);
    kgrl_free(conv_w);
    kgrl_free(conv_b);
    kgrl_free(gn_w);
    kgrl_free(gn_b);
    kgrl_free(scale);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
    kgrl_free(y5);
}
