// CPU reference for L2/88 Gemm_GroupNorm_Swish_Multiply_Swish: plain loops, every intermediate in
// fp64. The oracle for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_088_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_088_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_088(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[7];
    const int in_features = (int)io->ival[8];
    const int out_features = (int)io->ival[9];
    double* x = cpu_L2_088_load((const float*)io->ptr[0], (long)batch_size * in_features);
    double* w = cpu_L2_088_load((const float*)io->ptr[1], (long)out_features * in_features);
    double* b = cpu_L2_088_load((const float*)io->ptr[2], (long)out_features);
    double* gn_w = cpu_L2_088_load((const float*)io->ptr[3], (long)out_features);
    double* gn_b = cpu_L2_088_load((const float*)io->ptr[4], (long)out_features);
    double* multiply_weight = cpu_L2_088_load((const float*)io->ptr[5], (long)out_features);

    // linear w (x @ w^T + b, in_features -> out_features features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    cpu_L2_088_linear(x, w, b, y1, batch_size, out_features, in_features);

    // group_norm(256 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const int N = batch_size, C = out_features, G = 256;
        const long S = 1, M = (long)(C / G) * S;   // one group: C/G channels x S
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

    // sigmoid
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            y3[i] = 1.0 / (1.0 + exp(-v));
        }
    }

    // x * sigmoid(x)
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y3[i];
            double r = y2[i];
            y4[i] = v * r;
        }
    }

    // * multiply_weight[f] (multiply_weight (F,) ~ randn)
    double* y5 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y4[i];
            double p = multiply_weight[i % out_features];
            y5[i] = v * p;
        }
    }

    // sigmoid
    double* y6 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y5[i];
            y6[i] = 1.0 / (1.0 + exp(-v));
        }
    }

    // x * sigmoid(x)
    double* y7 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y6[i];
            double r = y5[i];
            y7[i] = v * r;
        }
    }

    float* out = (float*)io->ptr[6];
    for (long i = 0; i < (long)batch_size * out_features; i++) out[i] = (float)y7[i];
    kgrl_free(x);
    kgrl_free(w);
    kgrl_free(b);
    kgrl_free(gn_w);
    kgrl_free(gn_b);
    kgrl_free(multiply_weight);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
    kgrl_free(y5);
    kgrl_free(y6);
    kgrl_free(y7);
}
