// CPU reference for L1/70 (conv_transposed_3D__asymmetric_input__square_kernel): plain loops, double accumulation.
// Spatial dims (D, H, W).
static void cpu_ref_L1_070(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    const float *w = (const float *)io->ptr[1];
    float *y = (float *)io->ptr[2];
    long N = io->ival[3], Cin = io->ival[4], Cout = io->ival[5];
    long Di = io->ival[6], Hi = io->ival[7], Wi = io->ival[8];
    long Do = (io->ival[6] - 1) * 1 - 2 * 0 + 1 * (3 - 1) + 0 + 1, Ho = (io->ival[7] - 1) * 1 - 2 * 0 + 1 * (3 - 1) + 0 + 1, Wo = (io->ival[8] - 1) * 1 - 2 * 0 + 1 * (3 - 1) + 0 + 1;
    long G = 1, cpg_in = Cin / G, cpg_out = Cout / G;
    long ny = N * Cout * Do * Ho * Wo;
    double *acc = (double *)kgrl_calloc((size_t)ny, sizeof(double));
    // scatter form: every input element adds x * w to each output position its taps reach
    for (long n = 0; n < N; n++)
    for (long ci = 0; ci < Cin; ci++) {
        long g = ci / cpg_in;
        for (long id = 0; id < Di; id++) for (long ih = 0; ih < Hi; ih++) for (long iw = 0; iw < Wi; iw++) {
            double xv = x[(((n * Cin + ci) * Di + id) * Hi + ih) * Wi + iw];
            for (long j = 0; j < cpg_out; j++) {
                long co = g * cpg_out + j;
                for (long kd = 0; kd < 3; kd++) for (long kh = 0; kh < 3; kh++) for (long kw = 0; kw < 3; kw++) {
                    long od = id * 1 - 0 + kd * 1;
                    long oh = ih * 1 - 0 + kh * 1;
                    long ow = iw * 1 - 0 + kw * 1;
                    if (od < 0 || od >= Do || oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;  // cropped by padding
                    double wv = w[((ci * cpg_out + j) * 3 + kd) * 9 + kh * 3 + kw];  // (Cin, Cout/G, K...)
                    acc[(((n * Cout + co) * Do + od) * Ho + oh) * Wo + ow] += xv * wv;
                }
            }
        }
    }
    for (long i = 0; i < ny; i++) y[i] = (float)acc[i];
    kgrl_free(acc);
}
