// CPU reference for L2/56 Matmul_Sigmoid_Sum: plain loops, every intermediate in fp64. The oracle
// for reference.cu at smoke sizes; written independently of the CUDA kernels.

// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* cpu_L2_056_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}

// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void cpu_L2_056_linear(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}

static void cpu_ref_L2_056(const kgrl_task_io *io) {
    const int batch_size = (int)io->ival[4];
    const int input_size = (int)io->ival[5];
    const int hidden_size = (int)io->ival[6];
    double* x = cpu_L2_056_load((const float*)io->ptr[0], (long)batch_size * input_size);
    double* w = cpu_L2_056_load((const float*)io->ptr[1], (long)hidden_size * input_size);
    double* b = cpu_L2_056_load((const float*)io->ptr[2], (long)hidden_size);

    // linear w (x @ w^T + b, input_size -> hidden_size features)
    double* y1 = (double*)kgrl_malloc((size_t)((long)batch_size * hidden_size) * sizeof(double));
    cpu_L2_056_linear(x, w, b, y1, batch_size, hidden_size, input_size);

    // sigmoid
    double* y2 = (double*)kgrl_malloc((size_t)((long)batch_size * hidden_size) * sizeof(double));
    {
        const long n = (long)batch_size * hidden_size;
        for (long i = 0; i < n; i++) {
            double v = y1[i];
            y2[i] = 1.0 / (1.0 + exp(-v));
        }
    }

    // sum over dim 1 (keepdim)
    double* y3 = (double*)kgrl_malloc((size_t)((long)batch_size) * sizeof(double));
    {
        const long outer = (long)batch_size, R = (long)hidden_size, inner = 1;
        for (long a = 0; a < outer; a++)
            for (long j = 0; j < inner; j++) {
                const double* xr = y2 + a * R * inner + j;
                double acc = 0.0;
                for (long r = 0; r < R; r++) acc += xr[r * inner];
                y3[a * inner + j] = acc;
            }
    }

    float* out = (float*)io->ptr[3];
    for (long i = 0; i < (long)batch_size; i++) out[i] = (float)y3[i];
    kgrl_free(x);
    kgrl_free(w);
    kgrl_free(b);
    kgrl_free(y1);
    kgrl_free(y2);
    kgrl_free(y3);
}
