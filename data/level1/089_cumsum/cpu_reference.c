// CPU reference for L1/89 (cumsum): running sum along each row, in double.
static void cpu_ref_L1_089(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long rows = io->ival[2], n = io->ival[3];
    for (long r = 0; r < rows; r++) {
        double s = 0.0;
        for (long j = 0; j < n; j++) { s += x[r * n + j]; y[r * n + j] = (float)s; }
    }
}
