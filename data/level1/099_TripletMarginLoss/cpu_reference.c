// CPU reference for L1/99 (TripletMarginLoss, p = 2, eps = 1e-6 added to the difference as
// pairwise_distance does, mean over rows), in double.
static void cpu_ref_L1_099(const kgrl_task_io *io) {
    const float *a = (const float *)io->ptr[0], *p = (const float *)io->ptr[1], *q = (const float *)io->ptr[2];
    float *out = (float *)io->ptr[3];
    long rows = io->ival[4], dim = io->ival[5];
    double margin = io->dval[6];
    double total = 0.0;
    for (long r = 0; r < rows; r++) {
        double sp = 0.0, sn = 0.0;
        for (long j = 0; j < dim; j++) {
            double dp = (double)a[r * dim + j] - (double)p[r * dim + j] + 1e-6;
            double dn = (double)a[r * dim + j] - (double)q[r * dim + j] + 1e-6;
            sp += dp * dp;
            sn += dn * dn;
        }
        double l = margin + sqrt(sp) - sqrt(sn);
        total += l > 0.0 ? l : 0.0;
    }
    out[0] = (float)(total / (double)rows);
}
