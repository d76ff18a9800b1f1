// CPU reference for L2/62 Matmul_GroupNorm_LeakyReLU_Sum: plain loops, every intermediate in fp64.
// The oracle for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_062_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_062_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_062(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[6];
    const int input_size = (int)io->ival[7];
    const int hidden_size = (int)io->ival[8];
    double* x = cpu_L2_062_load((const float*)io->ptr[0], (long)batch_size * input_size);
    double* w = cpu_L2_062_load((const float*)io->ptr[1], (long)hidden_size * input_size);
    double* b = cpu_L2_062_load((const float*)io->ptr[2], (long)hidden_size);
    double* gn_w = cpu_L2_062_load((const float*)io->ptr[3], (long)hidden_size);
    double* gn_b = cpu_L2_062_load((const float*)io->ptr[4], (long)hidden_size);

    // linear w (x @ w^T + b, input_size -> hidden_size features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * hidden_size) * sizeof(double));
    cpu_L2_062_linear(x, w, b, y1, batch_size, hidden_size, input_size);

    // group_norm(512 groups over dim 1, eps 1e-05) with affine gn_w, gn_b
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * hidden_size) * sizeof(double));
    {
        const int N = batch_size, C = hidden_size, G = 512;
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

    // leaky_relu(negative_slope=0.01)
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size * hidden_size) * sizeof(double));
    {
        const long n = (long)batch_size * hidden_size;
        for (long i = 0; i < n; i++) {
            double v = y2[i];
            y3[i] = (v > 0.0 ? v : v * 0.01);
        }
    }

    // x + x
    double* y4 = (double*)kgrl_malloc((size_t)((long)batch_size * hidden_size) * sizeof(double));
    {
        const long n = (long)batch_size * hidden_size;
        for (long i = 0; i < n; i++) {
            double v = y3[i];
            y4[i] = v + v;
        }
    }

    float* out = (float*)io->ptr[5];
    for (long i = 0; i < (long)batch_size * hidden_size; i++) out[i] = (float)y4[i];
    kgrl_free(x);
    kgrl_free(w);
    kgrl_free(b);
    kgrl_free(gn_w);
    kgrl_free(gn_b);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
    kgrl_free(y4);
}
