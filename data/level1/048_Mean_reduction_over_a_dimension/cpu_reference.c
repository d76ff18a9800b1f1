// CPU reference for L1/48 (Mean_reduction_over_a_dimension): reduction over dim 1 of (B, R, I), double accumulation.
static void cpu_ref_L1_048(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long B = io->ival[2], R = io->ival[3], I = io->ival[4];
    for (long b = 0; b < B; b++)
        for (long c = 0; c < I; c++) {
            double s = 0.0;
            for (long r = 0; r < R; r++) s += x[(b * R + r) * I + c];
            y[b * I + c] = (float)(s / (double)R);
        }
}
