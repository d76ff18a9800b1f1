// CPU reference for L1/86 (conv_depthwise_separable_2D): depthwise 3x3 (stride 1, padding 1, groups = C),
// then pointwise 1x1; plain loops, double accumulation (the intermediate is kept in double too).
static void cpu_ref_L1_086(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];   // (N, C, H, W)
    const float *dw = (const float *)io->ptr[1];  // (C, 1, 3, 3)
    const float *pw = (const float *)io->ptr[2];  // (K, C, 1, 1)
    float *y = (float *)io->ptr[3];               // (N, K, H, W)
    long N = io->ival[4], C = io->ival[5], K = io->ival[6], H = io->ival[7], W = io->ival[8];
    double *mid = (double *)kgrl_calloc((size_t)(N * C * H * W), sizeof(double));
    for (long n = 0; n < N; n++) for (long c = 0; c < C; c++)
    for (long h = 0; h < H; h++) for (long w = 0; w < W; w++) {
        double s = 0.0;
        for (long kh = 0; kh < 3; kh++) for (long kw = 0; kw < 3; kw++) {
            long ih = h - 1 + kh, iw = w - 1 + kw;   // padding 1: taps outside read zero
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            s += (double)x[((n * C + c) * H + ih) * W + iw] * (double)dw[c * 9 + kh * 3 + kw];
        }
        mid[((n * C + c) * H + h) * W + w] = s;
    }
    for (long n = 0; n < N; n++) for (long k = 0; k < K; k++)
    for (long p = 0; p < H * W; p++) {
        double s = 0.0;
        for (long c = 0; c < C; c++) s += mid[(n * C + c) * H * W + p] * (double)pw[k * C + c];
        y[(n * K + k) * H * W + p] = (float)s;
    }
    kgrl_free(mid);
}
