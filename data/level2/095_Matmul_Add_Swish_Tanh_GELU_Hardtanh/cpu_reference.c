// CPU reference for L2/95 Matmul_Add_Swish_Tanh_GELU_Hardtanh: plain loops, every intermediate in
// fp64. The oracle for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_095_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_095_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_095(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[5];
    const int in_features = (int)io->ival[6];
    const int out_features = (int)io->ival[7];
    double* x = cpu_L2_095_load((const float*)io->ptr[0], (long)batch_size * in_features);
    double* w = cpu_L2_095_load((const float*)io->ptr[1], (long)out_features * in_features);
    double* b = cpu_L2_095_load((const float*)io->ptr[2], (long)out_features);
    double* add_value = cpu_L2_095_load((const float*)io->ptr[3], (long)out_features);

    // linear w (x @ w^T + b, in_features -> out_features features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    cpu_L2_095_linear(x, w, b, y1, batch_size, out_features, in_features);

    // + add_value[f] (add_value (F,) ~ randn)
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y1[i];
            double p = add_value[i % out_features];
            y2[i] = v + p;
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

    // tanh
    double* y5 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y4[i];
            y5[i] = tanh(v);
        }
    }

    // gelu (exact, erf form)
    double* y6 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y5[i];
            y6[i] = 0.5 * v * (1.0 + erf(v * 0.70710678118654752));
        }
    }

    // hardtanh(-1, 1)
    double* y7 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y6[i];
            y7[i] = fmin(fmax(v, -1.0), 1.0);
        }
    }

    float* out = (float*)io->ptr[4];
    for (long i = 0; i < (long)batch_size * out_features; i++) out[i] = (float)y7[i];
    kgrl_free(x);
    kgrl_free(w);
    kgrl_free(b);
    kgrl_free(add_value);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
    kgrl_free(y5);
    kgrl_free(y6);
    kgrl_free(y7);
}
