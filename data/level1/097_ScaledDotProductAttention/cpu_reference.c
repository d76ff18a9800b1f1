// CPU reference for L1/97 (ScaledDotProductAttention, no mask, scale 1/sqrt(D)), in double.
static void cpu_ref_L1_097(const kgrl_task_io *io) {
    const float *Q = (const float *)io->ptr[0], *K = (const float *)io->ptr[1], *V = (const float *)io->ptr[2];
    float *out = (float *)io->ptr[3];
    long B = io->ival[4], H = io->ival[5], L = io->ival[6], D = io->ival[7];
    double scale = 1.0 / sqrt((double)D);
    double *p = (double *)kgrl_malloc((size_t)L * sizeof(double));
    for (long b = 0; b < B * H; b++) {
        const float *q = Q + b * L * D, *k = K + b * L * D, *v = V + b * L * D;
        for (long i = 0; i < L; i++) {
            double m = -INFINITY;
            for (long j = 0; j < L; j++) {
                double s = 0.0;
                for (long d = 0; d < D; d++) s += (double)q[i * D + d] * (double)k[j * D + d];
                p[j] = s * scale;
                if (p[j] > m) m = p[j];
            }
            double z = 0.0;
            for (long j = 0; j < L; j++) { p[j] = exp(p[j] - m); z += p[j]; }
            for (long d = 0; d < D; d++) {
                double o = 0.0;
                for (long j = 0; j < L; j++) o += p[j] * (double)v[j * D + d];
                out[(b * L + i) * D + d] = (float)(o / z);
            }
        }
    }
    kgrl_free(p);
}
