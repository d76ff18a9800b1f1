// CPU reference for L1/50: direct convolution, double accumulation.
static void cpu_ref_L1_050(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0], *w = (const float *)io->ptr[1], *b = (const float *)io->ptr[2];
    float *y = (float *)io->ptr[3];
    long N = io->ival[4], Cout = io->ival[5], H = io->ival[6], W = io->ival[7];
    long Cin = 3, K = 11, S = 4, P = 2;
    long Ho = (H + 2 * P - K) / S + 1, Wo = (W + 2 * P - K) / S + 1;
    for (long n = 0; n < N; n++) for (long co = 0; co < Cout; co++)
    for (long oh = 0; oh < Ho; oh++) for (long ow = 0; ow < Wo; ow++) {
        double s = b[co];
        for (long ci = 0; ci < Cin; ci++) for (long kh = 0; kh < K; kh++) for (long kw = 0; kw < K; kw++) {
            long ih = oh * S - P + kh, iw = ow * S - P + kw;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            s += (double)x[((n * Cin + ci) * H + ih) * W + iw] * w[((co * Cin + ci) * K + kh) * K + kw];
        }
        y[((n * Cout + co) * Ho + oh) * Wo + ow] = (float)s;
    }
}
