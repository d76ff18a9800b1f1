// CPU reference for L1/100 (HingeLoss): mean over (batch_size, dim) of max(0, 1 - p[i, j] * t[j]),
// targets broadcast along the last dimension; double accumulation.
static void cpu_ref_L1_100(const kgrl_task_io *io) {
    const float *p = (const float *)io->ptr[0], *t = (const float *)io->ptr[1];
    float *out = (float *)io->ptr[2];
    long rows = io->ival[3], dim = io->ival[4];
    double s = 0.0;
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < dim; j++) {
            double v = 1.0 - (double)p[i * dim + j] * (double)t[j];
            s += v > 0.0 ? v : 0.0;
        }
    out[0] = (float)(s / ((double)rows * (double)dim));
}
