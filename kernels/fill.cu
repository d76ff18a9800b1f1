// Task input generation on the GPU (src/22_tasks.h). The host pastes kernels/philox.cuh in front of
// this file before compiling it. Element i of an input is a pure function of (key, stream, i) and
// matches kgrl_task_fill_input_cpu bit for bit: every step is done in double and rounded once, with
// the explicitly rounded intrinsics so that no FMA contraction changes a result.

// Same layout as kgrl__fill_args on the host: only 8-byte fields, so there is no padding to differ.
struct kgrl_fill_args {
    void *dst;
    long long elem;                 // 0 f32, 1 i64, 2 i32 (kgrl_elem)
    long long n;                    // elements
    unsigned long long key, stream;
    long long dist;                 // 0 uniform(a, b), 1 normal * a, 2 randint [a, b), 3 const a
    double a, b;
    long long npost;
    long long post[4];              // 1 triu, 2 tril, 3 symmetric (first only), 4 softmax (last only), 5 abs, 6 sign, 7 add
    double postv[4];
    long long rows, cols;           // the last two dimensions (for triu/tril/symmetric/softmax)
};

__device__ __forceinline__ double kgrl_fill_draw(const kgrl_fill_args &f, unsigned long long i) {
    if (f.dist == 0) {
        double u = (double)kgrl_uniform_at_dev(f.key, f.stream, i);
        return (double)(float)__dadd_rn(f.a, __dmul_rn(__dadd_rn(f.b, -f.a), u));
    }
    if (f.dist == 1) return (double)(float)__dmul_rn((double)kgrl_normal_at_dev(f.key, f.stream, i), f.a);
    if (f.dist == 2) {
        unsigned long long span = (unsigned long long)(long long)(f.b - f.a);
        unsigned long long r = ((unsigned long long)kgrl_u32_at_dev(f.key, f.stream, i) * span) >> 32;
        return f.a + (double)r;
    }
    return f.a;
}

extern "C" __global__ void kgrl_fill(kgrl_fill_args f) {
    long long mat = f.rows * f.cols;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < f.n; i += (long long)gridDim.x * blockDim.x) {
        long long m = i % mat, r = m / f.cols, c = m % f.cols;
        double x = kgrl_fill_draw(f, (unsigned long long)i);
        for (int k = 0; k < f.npost; k++) {
            long long p = f.post[k];
            if (p == 1) { if (c < r) x = 0.0; }
            else if (p == 2) { if (c > r) x = 0.0; }
            else if (p == 3) {
                long long j = i - m + c * f.cols + r;   // the transposed element of the same matrix
                x = (double)(float)__dmul_rn(__dadd_rn(x, kgrl_fill_draw(f, (unsigned long long)j)), 0.5);
            }
            else if (p == 5) x = fabs(x);
            else if (p == 6) x = x < 0.0 ? -1.0 : 1.0;
            else if (p == 7) x = (double)(float)__dadd_rn(x, f.postv[k]);
        }
        if (f.elem == 0) ((float *)f.dst)[i] = (float)x;
        else if (f.elem == 1) ((long long *)f.dst)[i] = (long long)x;
        else ((int *)f.dst)[i] = (int)x;
    }
}

// Softmax over the last dimension, in place, one block of 256 threads per row, in double.
extern "C" __global__ void kgrl_fill_softmax(float *x, long long nrows, long long cols) {
    __shared__ double red[256];
    for (long long row = blockIdx.x; row < nrows; row += gridDim.x) {
        float *p = x + row * cols;
        double mx = -1e300;
        for (long long c = threadIdx.x; c < cols; c += blockDim.x) mx = fmax(mx, (double)p[c]);
        red[threadIdx.x] = mx;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) red[threadIdx.x] = fmax(red[threadIdx.x], red[threadIdx.x + s]);
            __syncthreads();
        }
        mx = red[0];
        __syncthreads();
        double sum = 0.0;
        for (long long c = threadIdx.x; c < cols; c += blockDim.x) sum += exp((double)p[c] - mx);
        red[threadIdx.x] = sum;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
            __syncthreads();
        }
        sum = red[0];
        __syncthreads();
        for (long long c = threadIdx.x; c < cols; c += blockDim.x) p[c] = (float)(exp((double)p[c] - mx) / sum);
        __syncthreads();
    }
}
