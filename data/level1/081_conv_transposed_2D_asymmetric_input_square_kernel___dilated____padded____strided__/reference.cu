// Reference: what PyTorch eager runs for this module: one cuDNN transposed convolution
// (cudnnConvolutionBackwardData), fp32 math, no TF32, no bias.
void forward(const float* x, const float* weight, float* out, int batch_size, int in_channels, int out_channels, int height_in, int width_in) {
    kgrl_conv(2, 1, batch_size, in_channels, out_channels, {height_in, width_in}, {3, 3}, {5, 5}, {1, 1}, {2, 2}, {0, 0}, 1, x, weight, NULL, out);  // no bias (bias=False)
}
