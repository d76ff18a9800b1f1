// CPU reference for L2/45 Gemm_Sigmoid_LogSumExp: plain loops, every intermediate in fp64. The
// oracle for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_045_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_045_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_045(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[6];
    const int input_size = (int)io->ival[7];
    const int hidden_size = (int)io->ival[8];
    const int output_size = (int)io->ival[9];
    double* x = cpu_L2_045_load((const float*)io->ptr[0], (long)batch_size * input_size);
    double* w1 = cpu_L2_045_load((const float*)io->ptr[1], (long)hidden_size * input_size);
    double* b1 = cpu_L2_045_load((const float*)io->ptr[2], (long)hidden_size);
    double* w2 = cpu_L2_045_load((const float*)io->ptr[3], (long)output_size * hidden_size);
    double* b2 = cpu_L2_045_load((const float*)io->ptr[4], (long)output_size);

    // linear w1 (x @ w1^T + b1, input_size -> hidden_size features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * hidden_size) * sizeof(double));
    cpu_L2_045_linear(x, w1, b1, y1, batch_size, hidden_size, input_size);

    // sigmoid
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * hidden_size) * sizeof(double));
    {
        const long n = (long)batch_size * hidden_size;
        for (long i = 0; i < n; i++) {
            double v = y1[i];
            y2[i] = 1.0 / (1.0 + exp(-v));
        }
    }

    // linear w2 (x @ w2^T + b2, hidden_size -> output_size features)
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * output_size) * sizeof(double));
    cpu_L2_045_linear(y2, w2, b2, y3, batch_size, output_size, hidden_size);

    // logsumexp over dim 1
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size) * sizeof(double));
    {
        const long outer = (long)batch_size, R = (long)output_size, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y3 + a * R * inner + j;
                double m = xr[0], s = 0.0;
                for (long r = 1; r < R; r++) if (xr[r * inner] > m) m = xr[r * inner];
                for (long r = 0; r < R; r++) s += exp(xr[r * inner] - m);
                y4[a * inner + j] = m + log(s);
            }
    }

    float* out = (float*)io->ptr[5];
    for (long i = 0; i < (long)batch_size; i++) out[i] = (float)y4[i];
    kgrl_free(x);
    kgrl_free(w1);
    kgrl_free(b1);
    kgrl_free(w2);
    kgrl_free(b2);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
}
