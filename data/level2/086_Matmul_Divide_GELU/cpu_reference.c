// CPU reference for L2/86 Matmul_Divide_GELU: plain loops, every intermediate in fp64. The oracle
// for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_086_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_086_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_086(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[4];
    const int input_size = (int)io->ival[5];
    const int output_size = (int)io->ival[6];
    double* x = cpu_L2_086_load((const float*)io->ptr[0], (long)batch_size * input_size);
    double* w = cpu_L2_086_load((const float*)io->ptr[1], (long)output_size * input_size);
    double* b = cpu_L2_086_load((const float*)io->ptr[2], (long)output_size);

    // linear w (x @ w^T + b, input_size -> output_size features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * output_size) * sizeof(double));
    cpu_L2_086_linear(x, w, b, y1, batch_size, output_size, input_size);

    // / 10
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * output_size) * sizeof(double));
    {
        const long n = (long)batch_size * output_size;
        for (long i = 0; i < n; i++) {
            double v = y1[i];
            y2[i] = v / 10.0;
        }
    }

    // gelu (exact, erf form)
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * output_size) * sizeof(double));
    {
        const long n = (long)batch_size * output_size;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            y3[i] = 0.5 * v * (1.0 + erf(v * 0.70710678118654752));
        }
    }

    float* out = (float*)io->ptr[3];
    for (long i = 0; i < (long)batch_size * output_size; i++) out[i] = (float)y3[i];
    kgrl_free(x);
    kgrl_free(w);
    kgrl_free(b);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
}
