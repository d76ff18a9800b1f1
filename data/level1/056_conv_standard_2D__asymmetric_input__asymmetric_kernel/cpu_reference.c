// CPU reference for L1/56 (conv_standard_2D__asymmetric_input__asymmetric_kernel): plain loops, double accumulation.
// 1-D/2-D run as 3-D with unit leading dims.
static void cpu_ref_L1_056(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    const float *w = (const float *)io->ptr[1];
    float *y = (float *)io->ptr[2];
    long N = io->ival[3], Cin = io->ival[4], Cout = io->ival[5];
    long Di = 1, Hi = io->ival[6], Wi = io->ival[7];
    long Do = 1, Ho = (io->ival[6] + 2 * 0 - 1 * (5 - 1) - 1) / 1 + 1, Wo = (io->ival[7] + 2 * 0 - 1 * (7 - 1) - 1) / 1 + 1;
    long G = 1, cpg_in = Cin / G, cpg_out = Cout / G;
    long ny = N * Cout * Do * Ho * Wo;
    double *acc = (double *)kgrl_calloc((size_t)ny, sizeof(double));
    // direct form: each output sums its receptive field (taps outside the input read zero)
    for (long n = 0; n < N; n++)
    for (long co = 0; co < Cout; co++) {
        long g = co / cpg_out;
        for (long od = 0; od < Do; od++) for (long oh = 0; oh < Ho; oh++) for (long ow = 0; ow < Wo; ow++) {
            double s = 0.0;
            for (long j = 0; j < cpg_in; j++)
            for (long kd = 0; kd < 1; kd++) for (long kh = 0; kh < 5; kh++) for (long kw = 0; kw < 7; kw++) {
                long id = od * 1 - 0 + kd * 1;
                long ih = oh * 1 - 0 + kh * 1;
                long iw = ow * 1 - 0 + kw * 1;
                if (id < 0 || id >= Di || ih < 0 || ih >= Hi || iw < 0 || iw >= Wi) continue;
                long ci = g * cpg_in + j;
                s += (double)x[(((n * Cin + ci) * Di + id) * Hi + ih) * Wi + iw] *
                     (double)w[((co * cpg_in + j) * 1 + kd) * 35 + kh * 7 + kw];  // (Cout, Cin/G, K...)
            }
            acc[(((n * Cout + co) * Do + od) * Ho + oh) * Wo + ow] = s;
        }
    }
    for (long i = 0; i < ny; i++) y[i] = (float)acc[i];
    kgrl_free(acc);
}
