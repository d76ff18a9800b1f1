// CPU reference for L2/18 Matmul_Sum_Max_AvgPool_LogSumExp_LogSumExp: plain loops, every
// intermediate in fp64. The oracle for reference.cu at smoke sizes; written independently of the
// CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_018_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_018_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_018(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[4];
    const int in_features = (int)io->ival[5];
    const int out_features = (int)io->ival[6];
    double* x = cpu_L2_018_load((const float*)io->ptr[0], (long)batch_size * in_features);
    double* w = cpu_L2_018_load((const float*)io->ptr[1], (long)out_features * in_features);
    double* b = cpu_L2_018_load((const float*)io->ptr[2], (long)out_features);

    // linear w (x @ w^T + b, in_features -> out_features features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * out_features) * sizeof(double));
    cpu_L2_018_linear(x, w, b, y1, batch_size, out_features, in_features);

    // sum over dim 1 (keepdim)
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size) * sizeof(double));
    {
        const long outer = (long)batch_size, R = (long)out_features, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y1 + a * R * inner + j;
                double acc = 0.0;
                for (long r = 0; r < R; r++) acc += xr[r * inner];
                y2[a * inner + j] = acc;
            }
    }

    // max over dim 1 (size 1)
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size) * sizeof(double));
    {
        const long outer = (long)batch_size, R = 1, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y2 + a * R * inner + j;
                double acc = xr[0];
                for (long r = 0; r < R; r++) if (xr[r * inner] > acc) acc = xr[r * inner];
                y3[a * inner + j] = acc;
            }
    }

    // mean over dim 1 (size 1)
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size) * sizeof(double));
    {
        const long outer = (long)batch_size, R = 1, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y3 + a * R * inner + j;
                double acc = 0.0;
                for (long r = 0; r < R; r++) acc += xr[r * inner];
                y4[a * inner + j] = acc / R;
            }
    }

    // logsumexp over dim 1 (size 1)
    double* y5 = (double*)kgrl_malloc((size_t)((long)batch_size) * sizeof(double));
    {
        const long outer = (long)batch_size, R = 1, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y4 + a * R * inner + j;
                double m = xr[0], s = 0.0;
                for (long r = 1; r < R; r++) if (xr[r * inner] > m) m = xr[r * inner];
                for (long r = 0; r < R; r++) s += exp(xr[r * inner] - m);
                y5[a * inner + j] = m + log(s);
            }
    }

    // logsumexp over dim 1 (size 1)
    double* y6 = (double*)kgrl_malloc((size_t)((long)batch_size) * sizeof(double));
    {
        const long outer = (long)batch_size, R = 1, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y5 + a * R * inner + j;
                double m = xr[0], s = 0.0;
                for (long r = 1; r < R; r++) if (xr[r * inner] > m) m = xr[r * inner];
                for (long r = 0; r < R; r++) s += exp(xr[r * inner] - m);
                y6[a * inner + j] = m + log(s);
            }
    }

    float* out = (float*)io->ptr[3];
    for (long i = 0; i < (long)batch_size; i++) out[i] = (float)y6[i];
    kgrl_free(x);
    kgrl_free(w);
    kgrl_free(b);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
    kgrl_free(y5);
    kgrl_free(y6);
}
