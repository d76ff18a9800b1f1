// CPU reference for L1/41 (Max_Pooling_1D): direct loops; padding is -inf for max, zeros counted in the
// divisor for avg (count_include_pad, PyTorch's rule: the window clipped to the padded extent).
static void cpu_ref_L1_041(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long planes = io->ival[2] * io->ival[3];
    long D = 1, Do = 1;
    long H = 1, Ho = 1;
    long W = io->ival[4], Wo = (W + 2 * 4 - 3 * (8 - 1) - 1) / 1 + 1;
    long kd_n = 1, kh_n = 1;
    long std_ = 1, sth = 1, pdd = 0, pdh = 0, dld = 1, dlh = 1;
    for (long pl = 0; pl < planes; pl++)
    for (long od = 0; od < Do; od++) for (long oh = 0; oh < Ho; oh++) for (long ow = 0; ow < Wo; ow++) {
        double m = -INFINITY, s = 0.0;
        for (long kd = 0; kd < kd_n; kd++) for (long kh = 0; kh < kh_n; kh++) for (long kw = 0; kw < 8; kw++) {
            long id = od * std_ - pdd + kd * dld, ih = oh * sth - pdh + kh * dlh, iw = ow * 1 - 4 + kw * 3;
            if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            double v = x[((pl * D + id) * H + ih) * W + iw];
            if (v > m) m = v;
            s += v;
        }
        (void)s;
        y[((pl * Do + od) * Ho + oh) * Wo + ow] = (float)m;
    }
}
