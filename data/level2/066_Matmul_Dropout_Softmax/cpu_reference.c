// CPU reference for L2/66 Matmul_Dropout_Softmax: plain loops, every intermediate in fp64. The
// oracle for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_066_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_066_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_066(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[4];
    const int in_features = (int)io->ival[5];
    const int out_features = (int)io->ival[6];
    double* x = cpu_L2_066_load((const float*)io->ptr[0], (long)batch_size * in_features);
    double* w = cpu_L2_066_load((const float*)io->ptr[1], (long)out_features * in_features);
    double* b = cpu_L2_066_load((const float*)io->ptr[2], (long)out_features);

    // linear w (x @ w^T + b, in_features -> out_features features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    cpu_L2_066_linear(x, w, b, y1, batch_size, out_features, in_features);

    // softmax over dim 1
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    {
        const long outer = (long)batch_size, R = (long)out_features, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y1 + a * R * inner + j;
                double* yr = y2 + a * R * inner + j;
                double m = xr[0], s = 0.0;
                for (long r = 1; r < R; r++) if (xr[r * inner] > m) m = xr[r * inner];
                for (long r = 0; r < R; r++) s += exp(xr[r * inner] - m);
                for (long r = 0; r < R; r++) yr[r * inner] = exp(xr[r * inner] - m) / s;
            }
    }

    float* out = (float*)io->ptr[3];
    for (long i = 0; i < (long)batch_size * out_features; i++) out[i] = (float)y2[i];
    kgrl_free(x);
    kgrl_free(w);
    kgrl_free(b);
    kgrl_free(y1);
    kgrl_free(y2);
}
