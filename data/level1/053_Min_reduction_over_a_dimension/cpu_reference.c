// CPU reference for L1/53 (Min_reduction_over_a_dimension): reduction over dim 1 of (B, R, I).
static void cpu_ref_L1_053(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long B = io->ival[2], R = io->ival[3], I = io->ival[4];
    for (long b = 0; b < B; b++)
        for (long c = 0; c < I; c++) {
            float m = x[b * R * I + c];
            for (long r = 1; r < R; r++) if (x[(b * R + r) * I + c] < m) m = x[(b * R + r) * I + c];
            y[b * I + c] = m;
        }
}
