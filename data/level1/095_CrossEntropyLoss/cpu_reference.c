// CPU reference for L1/95 (CrossEntropyLoss): mean over rows of logsumexp(x[r]) - x[r, targets[r]], in double.
static void cpu_ref_L1_095(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    const long long *tg = (const long long *)io->ptr[1];
    float *out = (float *)io->ptr[2];
    long N = io->ival[3], C = io->ival[4];
    double total = 0.0;
    for (long r = 0; r < N; r++) {
        const float *xr = x + r * C;
        double m = xr[0];
        for (long j = 1; j < C; j++) if (xr[j] > m) m = xr[j];
        double s = 0.0;
        for (long j = 0; j < C; j++) s += exp((double)xr[j] - m);
        total += m + log(s) - (double)xr[tg[r]];
    }
    out[0] = (float)(total / (double)N);
}
