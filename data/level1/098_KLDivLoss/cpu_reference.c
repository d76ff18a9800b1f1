// CPU reference for L1/98 (KLDivLoss, batchmean): sum of t*(log t - log p) over all elements / batch_size,
// in double (terms with t == 0 contribute 0, as xlogy does).
static void cpu_ref_L1_098(const kgrl_task_io *io) {
    const float *p = (const float *)io->ptr[0], *t = (const float *)io->ptr[1];
    float *out = (float *)io->ptr[2];
    long rows = io->ival[3], dim = io->ival[4];
    double s = 0.0;
    for (long i = 0; i < rows * dim; i++) {
        double tv = t[i];
        if (tv != 0.0) s += tv * log(tv);
        s -= tv * log((double)p[i]);
    }
    out[0] = (float)(s / (double)rows);
}
