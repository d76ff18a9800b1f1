// CPU reference for L1/36 (RMSNorm_): double accumulation.
static void cpu_ref_L1_036(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long N = io->ival[2], C = io->ival[3], HW = io->ival[4] * io->ival[5];
    double eps = (double)(float)io->dval[6];
    for (long n = 0; n < N; n++) for (long s = 0; s < HW; s++) {
        double q = 0.0;
        for (long c = 0; c < C; c++) { double v = x[(n * C + c) * HW + s]; q += v * v; }
        double r = sqrt(q / (double)C + eps);
        for (long c = 0; c < C; c++) y[(n * C + c) * HW + s] = (float)(x[(n * C + c) * HW + s] / r);
    }
}
