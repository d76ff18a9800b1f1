// CPU reference for L2/71 Conv2d_Divide_LeakyReLU: plain loops, every intermediate in fp64. The
// oracle for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_071_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[n, co, od, oh, ow] = b[co] + sum over ci, kd, kh, kw of x[n, ci, od*sd-pd+kd, oh*s-p+kh, ow*s-p+kw] *
// w[co, ci, kd, kh, kw] (2-D: depth 1 with KD = 1, sd = 1, pd = 0)
static void cpu_L2_071_conv(const double* x, const double* w, const double* b, double* y, int N, int Cin, int Cout,
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

static void cpu_ref_L2_071(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[4];
    const int in_channels = (int)io->ival[5];
    const int out_channels = (int)io->ival[6];
    const int height = (int)io->ival[7];
    const int width = (int)io->ival[8];
    const int Ho = height - 2;
    const int Wo = width - 2;
    double* x = cpu_L2_071_load((const float*)io->ptr[0], (long)batch_size * in_channels * height * width);
    double* conv_w = cpu_L2_071_load((const float*)io->ptr[1], (long)out_channels * in_channels * 3 * 3);
    double* conv_b = cpu_L2_071_load((const float*)io->ptr[2], (long)out_channels);

    // conv2d(in_channels -> out_channels channels, kernel 3, stride 1, padding 0)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    cpu_L2_071_conv(x, conv_w, conv_b, y1, batch_size, in_channels, out_channels, 1, height, width, 1, Ho, Wo, 1, 3, 1, 1, 0, 0);

    // / 2
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y1[i];
            y2[i] = v / 2.0;
        }
    }

    // leaky_relu(negative_slope=0.01)
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * out_channels * Ho * Wo) * sizeof(double));
    {
        const long n = (long)batch_size * out_channels * Ho * Wo;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            y3[i] = (v > 0.0 ? v : v * 0.01);
        }
    }

    float* out = (float*)io->ptr[3];
    for (long i = 0; i < (long)batch_size * out_channels * Ho * Wo; i++) out[i] = (float)y3[i];
    kgrl_free(x);
    kgrl_free(conv_w);
    kgrl_free(conv_b);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
}
