// Reference: what PyTorch eager runs for this module: one cuDNN convolution
// (cudnnConvolutionForward), fp32 math, no TF32, no bias.
void forward(const float* x, const float* weight, float* out, int batch_size, int in_channels, int out_channels, int depth, int height, int width) {
    kgrl_conv(3, 0, batch_size, in_channels, out_channels, {depth, height, width}, {3, 5, 7}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}, 1, x, weight, NULL, out);  // no bias (bias=False)
}
