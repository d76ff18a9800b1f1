// CPU reference for L1/51 (Argmax_over_a_dimension): reduction over dim 1 of (B, R, I).
static void cpu_ref_L1_051(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    long long *y = (long long *)io->ptr[1];
    long B = io->ival[2], R = io->ival[3], I = io->ival[4];
    for (long b = 0; b < B; b++)
        for (long c = 0; c < I; c++) {
            long best = 0;
            for (long r = 1; r < R; r++) if (x[(b * R + r) * I + c] > x[(b * R + best) * I + c]) best = r;  /* first index wins ties */
            y[b * I + c] = best;
        }
}
