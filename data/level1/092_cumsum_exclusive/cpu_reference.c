// CPU reference for L1/92 (cumsum_exclusive): y[r, 0] = 0, y[r, j] = sum of x[r, 0..j-1], in double.
static void cpu_ref_L1_092(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long rows = io->ival[2], n = io->ival[3];
    for (long r = 0; r < rows; r++) {
        double s = 0.0;
        for (long j = 0; j < n; j++) { y[r * n + j] = (float)s; s += x[r * n + j]; }
    }
}
