// One thread per (n, co, oh, ow), the loop body as the plain C reference has it.
__global__ void port_kernel(const float* x, const float* weight, const float* bias, float* out, long batch_size, long out_channels, long height, long width) {
    const float *w = weight;
    const float *b = bias;
    float *y = out;
    long N = (long)batch_size;
    long Cout = (long)out_channels;
    long H = (long)height;
    long W = (long)width;
    long Cin = 3;
    long K = 11;
    long S = 4;
    long P = 2;
    long Ho = (H + 2 * P - K) / S + 1;
    long Wo = (W + 2 * P - K) / S + 1;
    long port_i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (port_i >= (N) * (Cout) * (Ho) * (Wo)) return;
    long ow = port_i % (Wo);
    port_i /= (Wo);
    long oh = port_i % (Ho);
    port_i /= (Ho);
    long co = port_i % (Cout);
    port_i /= (Cout);
    long n = port_i;
    double s = b[co];
    for (long ci = 0; ci < Cin; ci++) for (long kh = 0; kh < K; kh++) for (long kw = 0; kw < K; kw++) {
        long ih = oh * S - P + kh, iw = ow * S - P + kw;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        s += (double)x[((n * Cin + ci) * H + ih) * W + iw] * w[((co * Cin + ci) * K + kh) * K + kw];
    }
    y[((n * Cout + co) * Ho + oh) * Wo + ow] = (float)s;
}
void forward(const float* x, const float* weight, const float* bias, float* out, int batch_size, int out_channels, int height, int width) {
    long N = (long)batch_size;
    long Cout = (long)out_channels;
    long H = (long)height;
    long W = (long)width;
    long K = 11;
    long S = 4;
    long P = 2;
    long Ho = (H + 2 * P - K) / S + 1;
    long Wo = (W + 2 * P - K) / S + 1;
    long port_n = (N) * (Cout) * (Ho) * (Wo);
    port_kernel<<<(port_n + 255) / 256, 256>>>(x, weight, bias, out, batch_size, out_channels, height, width);
}
