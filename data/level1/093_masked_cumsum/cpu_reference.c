// CPU reference for L1/93 (masked_cumsum): running sum of x*mask along each row, in double.
static void cpu_ref_L1_093(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    const float *mask = (const float *)io->ptr[1];
    float *y = (float *)io->ptr[2];
    long rows = io->ival[3], n = io->ival[4];
    for (long r = 0; r < rows; r++) {
        double s = 0.0;
        for (long j = 0; j < n; j++) { s += (double)x[r * n + j] * mask[r * n + j]; y[r * n + j] = (float)s; }
    }
}
