// CPU reference for L2/97 Matmul_BatchNorm_BiasAdd_Divide_Swish: plain loops, every intermediate in
// fp64. The oracle for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_097_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_097_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_097(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[7];
    const int in_features = (int)io->ival[8];
    const int out_features = (int)io->ival[9];
    double* x = cpu_L2_097_load((const float*)io->ptr[0], (long)batch_size * in_features);
    double* w = cpu_L2_097_load((const float*)io->ptr[1], (long)out_features * in_features);
    double* b = cpu_L2_097_load((const float*)io->ptr[2], (long)out_features);
    double* bn_w = cpu_L2_097_load((const float*)io->ptr[3], (long)out_features);
    double* bn_b = cpu_L2_097_load((const float*)io->ptr[4], (long)out_features);
    double* bias = cpu_L2_097_load((const float*)io->ptr[5], 1);

    // linear w (x @ w^T + b, in_features -> out_features features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    cpu_L2_097_linear(x, w, b, y1, batch_size, out_features, in_features);

    // batch_norm over dim 1 with batch statistics (training mode: KernelBench never calls .eval(); biased variance, eps 1e-05) and affine bn_w, bn_b
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const int N = batch_size, C = out_features;
        const long S = 1;
        for (int c = 0; c < C; c++) {
            double m = 0.0, var = 0.0;
            for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) m += y1[((long)n * C + c) * S + j];
            m /= (double)N * S;
            for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) {
                double d = y1[((long)n * C + c) * S + j] - m;
                var += d * d;
            }
            var /= (double)N * S;   // biased: training-mode BatchNorm normalizes with it
            for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) {
                long i = ((long)n * C + c) * S + j;
                y2[i] = (y1[i] - m) / sqrt(var + 1e-05) * bn_w[c] + bn_b[c];
            }
        }
    }

    // + bias (shape (1,) ~ randn)
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            double p = bias[0];
            y3[i] = v + p;
        }
    }

    // / 1
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y3[i];
            y4[i] = v / 1.0;
        }
    }

    // sigmoid
    double* y5 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y4[i];
            y5[i] = 1.0 / (1.0 + exp(-v));
        }
    }

    // x * sigmoid(x)
    double* y6 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long n = (long)batch_size * out_features;
        for (long i = 0; i < n; i++) {
            double v = y5[i];
            double r = y4[i];
            y6[i] = v * r;
        }
    }

    float* out = (float*)io->ptr[6];
    for (long i = 0; i < (long)batch_size * out_features; i++) out[i] = (float)y6[i];
    kgrl_free(x);
    kgrl_free(w);
    kgrl_free(b);
    kgrl_free(bn_w);
    kgrl_free(bn_b);
    kgrl_free(bias);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
    kgrl_free(y5);
    kgrl_free(y6);
}
