// CPU reference for L1/45 (Average_Pooling_2D): direct loops; padding is -inf for max, zeros counted in the
// divisor for avg (count_include_pad, PyTorch's rule: the window clipped to the padded extent).
static void cpu_ref_L1_045(const kgrl_task_io *io) {
    const float *x = (const float *)io->ptr[0];
    float *y = (float *)io->ptr[1];
    long planes = io->ival[2] * io->ival[3];
    long D = 1, Do = 1;
    long H = io->ival[4], Ho = (H + 2 * 0 - 1 * (11 - 1) - 1) / 11 + 1;
    long W = io->ival[5], Wo = (W + 2 * 0 - 1 * (11 - 1) - 1) / 11 + 1;
    long kd_n = 1, kh_n = 11;
    long std_ = 1, sth = 11, pdd = 0, pdh = 0, dld = 1, dlh = 1;
    for (long pl = 0; pl < planes; pl++)
    for (long od = 0; od < Do; od++) for (long oh = 0; oh < Ho; oh++) for (long ow = 0; ow < Wo; ow++) {
        double m = -INFINITY, s = 0.0;
        for (long kd = 0; kd < kd_n; kd++) for (long kh = 0; kh < kh_n; kh++) for (long kw = 0; kw < 11; kw++) {
            long id = od * std_ - pdd + kd * dld, ih = oh * sth - pdh + kh * dlh, iw = ow * 11 - 0 + kw * 1;
            if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            double v = x[((pl * D + id) * H + ih) * W + iw];
            if (v > m) m = v;
            s += v;
        }
        long d0 = od * std_ - pdd, d1 = d0 + kd_n < D + pdd ? d0 + kd_n : D + pdd;
        long h0 = oh * sth - pdh, h1 = h0 + kh_n < H + pdh ? h0 + kh_n : H + pdh;
        long w0 = ow * 11 - 0, w1 = w0 + 11 < W + 0 ? w0 + 11 : W + 0;
        (void)m;
        y[((pl * Do + od) * Ho + oh) * Wo + ow] = (float)(s / (double)((d1 - d0) * (h1 - h0) * (w1 - w0)));
    }
}
