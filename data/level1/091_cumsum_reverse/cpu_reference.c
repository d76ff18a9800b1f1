// CPU reference for L1/91 (cumsum_reverse): suffix sums y[j] = sum of x[j..n-1] along each row, in double.
static void cpu_ref_L1_091(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long rows = io->ival[2], n = io->ival[3];
    for (long r = 0; r < rows; r++) {
        double s = 0.0;
        for (long j = n - 1; j >= 0; j--) { s += x[r * n + j]; y[r * n + j] = (float)s; }
    }
}
