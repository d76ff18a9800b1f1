// Builtins (src/21_builtins.h): the CPU references against naive formulas written here independently,
// argument validation, cuDNN discovery, and (with a GPU) cuBLAS/cuDNN builtins against the CPU references.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

// deterministic test data in [-1, 1)
static void fill(float *p, long n, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 12345u;
    for (long i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; p[i] = (float)((s >> 8) * (1.0 / 8388608.0) - 1.0); }
}

// ---------------------------------------------------------------------------------------------
// GEMM

static void test_cpu_gemm(void) {
    enum { M = 5, N = 7, K = 3 };
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            // stored shapes: A (M, K) or (K, M) with padded rows; B (K, N) or (N, K)
            int lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3;
            float A[16 * 16], B[16 * 16], C[16 * 16], C0[16 * 16];
            fill(A, 256, 1); fill(B, 256, 2); fill(C0, 256, 3);
            memcpy(C, C0, sizeof C);
            kgrl_cpu_gemm(ta, tb, M, N, K, 1.5f, A, lda, B, ldb, -0.5f, C, ldc);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int k = 0; k < K; k++) s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
                    double want = 1.5 * s - 0.5 * C0[i * ldc + j];
                    // fp64 accumulation rounded once to fp32: half an ulp of ~1 plus slack
                    KT_CLOSE(C[i * ldc + j], want, 1e-6, 1e-6, "ta %d tb %d (%d, %d)", ta, tb, i, j);
                }
            // padding columns of C untouched
            KT_CHECK(C[0 * ldc + N] == C0[0 * ldc + N], "ldc padding written");
        }
    // beta = 0 must not read C (cuBLAS semantics; outputs are NaN-poisoned by the verifier)
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 0, 0, 1, 1, 1}, C[4] = {NAN, NAN, NAN, NAN};
    kgrl_cpu_gemm(0, 0, 2, 2, 3, 1.0f, A, 3, B, 2, 0.0f, C, 2);   // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]]
    KT_CHECK(C[0] == 4 && C[1] == 5 && C[2] == 10 && C[3] == 11, "beta 0 with NaN C: got %g %g %g %g", C[0], C[1], C[2], C[3]);
}

static void test_cpu_gemm_batched(void) {
    enum { M = 3, N = 4, K = 5, BATCH = 3 };
    float A[BATCH * 20 + 7], B[BATCH * 24 + 5], C[BATCH * 16], one[16];
    fill(A, BATCH * 20 + 7, 4); fill(B, BATCH * 24 + 5, 5);
    kgrl_cpu_gemm_batched(0, 1, M, N, K, 1.0f, A, K, 20, B, K, 24, 0.0f, C, N, 16, BATCH);
    for (int b = 0; b < BATCH; b++) {
        kgrl_cpu_gemm(0, 1, M, N, K, 1.0f, A + b * 20, K, B + b * 24, K, 0.0f, one, N);
        for (int i = 0; i < M * N; i++) KT_CHECK(C[b * 16 + i] == one[i], "batch %d element %d", b, i);
    }
}

// ---------------------------------------------------------------------------------------------
// convolution: naive formulas per case, and the adjoint identity for transposed convolutions

static void test_cpu_conv1d_naive(void) {
    // N 2, Cin 3, Cout 4, L 11, k 3, stride 2, pad 1, dilation 2, bias
    enum { N = 2, CI = 3, CO = 4, L = 11, KK = 3, S = 2, P = 1, D = 2 };
    int LO = (L + 2 * P - D * (KK - 1) - 1) / S + 1;
    float x[N * CI * L], w[CO * CI * KK], b[CO], y[N * CO * 16];
    fill(x, N * CI * L, 6); fill(w, CO * CI * KK, 7); fill(b, CO, 8);
    int in[1] = {L}, k[1] = {KK}, s[1] = {S}, p[1] = {P}, d[1] = {D}, op[1] = {0};
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_cpu_conv(1, 0, N, CI, CO, in, k, s, p, d, op, 1, x, w, b, y, &err), "%s", err.msg);
    for (int n = 0; n < N; n++)
        for (int co = 0; co < CO; co++)
            for (int o = 0; o < LO; o++) {
                double acc = b[co];
                for (int ci = 0; ci < CI; ci++)
                    for (int t = 0; t < KK; t++) {
                        int i = o * S - P + t * D;
                        if (i >= 0 && i < L) acc += (double)x[(n * CI + ci) * L + i] * w[(co * CI + ci) * KK + t];
                    }
                KT_CLOSE(y[(n * CO + co) * LO + o], acc, 1e-6, 1e-6, "conv1d (%d, %d, %d)", n, co, o);
            }
}

static void test_cpu_conv2d_grouped_naive(void) {
    // groups 2, asymmetric kernel/stride/pad/dilation
    enum { N = 1, CI = 4, CO = 6, G = 2, H = 9, W = 8, KH = 3, KW = 2 };
    int sh = 2, sw = 1, ph = 1, pw = 2, dh = 2, dw = 3;
    int HO = (H + 2 * ph - dh * (KH - 1) - 1) / sh + 1, WO = (W + 2 * pw - dw * (KW - 1) - 1) / sw + 1;
    float x[N * CI * H * W], w[CO * (CI / G) * KH * KW], y[N * CO * 16 * 16];
    fill(x, N * CI * H * W, 9); fill(w, CO * (CI / G) * KH * KW, 10);
    int in[2] = {H, W}, k[2] = {KH, KW}, s[2] = {sh, sw}, p[2] = {ph, pw}, d[2] = {dh, dw}, op[2] = {0, 0};
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_cpu_conv(2, 0, N, CI, CO, in, k, s, p, d, op, G, x, w, NULL, y, &err), "%s", err.msg);
    int cig = CI / G, cog = CO / G;
    for (int co = 0; co < CO; co++)
        for (int oh = 0; oh < HO; oh++)
            for (int ow = 0; ow < WO; ow++) {
                double acc = 0;
                int g = co / cog;
                for (int c = 0; c < cig; c++)
                    for (int a = 0; a < KH; a++)
                        for (int e = 0; e < KW; e++) {
                            int ih = oh * sh - ph + a * dh, iw = ow * sw - pw + e * dw;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            acc += (double)x[((g * cig + c) * H + ih) * W + iw] * w[((co * cig + c) * KH + a) * KW + e];
                        }
                KT_CLOSE(y[(co * HO + oh) * WO + ow], acc, 1e-6, 1e-6, "conv2d grouped (%d, %d, %d)", co, oh, ow);
            }
}

static void test_cpu_conv3d_naive(void) {
    enum { CI = 2, CO = 3, D0 = 4, H = 5, W = 3, KD = 2, KH = 3, KW = 1 };
    int DO = D0 - KD + 1, HO = H + 2 - KH + 1, WO = W + 2 - KW + 1;   // stride 1, pad (0, 1, 1)
    float x[CI * D0 * H * W], w[CO * CI * KD * KH * KW], y[CO * 8 * 8 * 8];
    fill(x, CI * D0 * H * W, 11); fill(w, CO * CI * KD * KH * KW, 12);
    int in[3] = {D0, H, W}, k[3] = {KD, KH, KW}, s[3] = {1, 1, 1}, p[3] = {0, 1, 1}, d[3] = {1, 1, 1}, op[3] = {0, 0, 0};
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_cpu_conv(3, 0, 1, CI, CO, in, k, s, p, d, op, 1, x, w, NULL, y, &err), "%s", err.msg);
    for (int co = 0; co < CO; co++)
        for (int od = 0; od < DO; od++) for (int oh = 0; oh < HO; oh++) for (int ow = 0; ow < WO; ow++) {
            double acc = 0;
            for (int ci = 0; ci < CI; ci++)
                for (int a = 0; a < KD; a++) for (int bb = 0; bb < KH; bb++) for (int c = 0; c < KW; c++) {
                    int id = od + a, ih = oh - 1 + bb, iw = ow - 1 + c;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    acc += (double)x[((ci * D0 + id) * H + ih) * W + iw] * w[(((co * CI + ci) * KD + a) * KH + bb) * KW + c];
                }
            KT_CLOSE(y[((co * DO + od) * HO + oh) * WO + ow], acc, 1e-6, 1e-6, "conv3d (%d, %d, %d, %d)", co, od, oh, ow);
        }
}

// transposed 1-D with output_padding, by its scatter definition
static void test_cpu_conv_transpose1d_naive(void) {
    enum { N = 2, CI = 2, CO = 3, L = 5, KK = 3, S = 3, P = 1, D = 2, OP = 2 };
    int LO = (L - 1) * S - 2 * P + D * (KK - 1) + OP + 1;
    float x[N * CI * L], w[CI * CO * KK], b[CO], y[N * CO * 32];
    double want[N * CO * 32] = {0};
    fill(x, N * CI * L, 13); fill(w, CI * CO * KK, 14); fill(b, CO, 15);
    int in[1] = {L}, k[1] = {KK}, s[1] = {S}, p[1] = {P}, d[1] = {D}, op[1] = {OP};
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_cpu_conv(1, 1, N, CI, CO, in, k, s, p, d, op, 1, x, w, b, y, &err), "%s", err.msg);
    for (int n = 0; n < N; n++)
        for (int ci = 0; ci < CI; ci++)
            for (int i = 0; i < L; i++)
                for (int co = 0; co < CO; co++)
                    for (int t = 0; t < KK; t++) {
                        int o = i * S - P + t * D;
                        if (o >= 0 && o < LO) want[(n * CO + co) * LO + o] += (double)x[(n * CI + ci) * L + i] * w[(ci * CO + co) * KK + t];
                    }
    for (int n = 0; n < N; n++)
        for (int co = 0; co < CO; co++)
            for (int o = 0; o < LO; o++)
                KT_CLOSE(y[(n * CO + co) * LO + o], want[(n * CO + co) * LO + o] + b[co], 1e-6, 1e-6, "convT1d (%d, %d, %d)", n, co, o);
    KT_CHECK(LO == 17, "LO %d: (5-1)*3 - 2*1 + 2*(3-1) + 2 + 1 = 17", LO);
}

// <T(x), z> == <x, C(z)>: a transposed convolution is the adjoint of the convolution with the same
// weight, for every nd, stride, padding, dilation, groups (output_padding < stride keeps C(z)'s size).
static void check_adjoint(int nd, const int *in, const int *k, const int *s, const int *p, const int *d, const int *op, int N,
                          int Cin, int Cout, int groups, uint32_t seed) {
    kgrl_conv_shape ts;
    kgrl_err err = {{0}};
    if (!kgrl_conv_shape_init(&ts, nd, 1, N, Cin, Cout, in, k, s, p, d, op, groups, &err)) { KT_CHECK(0, "%s", err.msg); return; }
    float *x = (float *)kgrl_malloc(ts.x_numel * 4), *w = (float *)kgrl_malloc(ts.w_numel * 4);
    float *tx = (float *)kgrl_malloc(ts.y_numel * 4), *z = (float *)kgrl_malloc(ts.y_numel * 4), *cz = (float *)kgrl_malloc(ts.x_numel * 4);
    fill(x, ts.x_numel, seed); fill(w, ts.w_numel, seed + 1); fill(z, ts.y_numel, seed + 2);
    int zero[3] = {0, 0, 0};
    KT_CHECK(kgrl_cpu_conv(nd, 1, N, Cin, Cout, in, k, s, p, d, op, groups, x, w, NULL, tx, &err), "%s", err.msg);
    // C maps T's output space back: Cin' = Cout, Cout' = Cin, weight (Cin, Cout/g, k) = (Cout', Cin'/g, k)
    KT_CHECK(kgrl_cpu_conv(nd, 0, N, Cout, Cin, ts.out, k, s, p, d, zero, groups, z, w, NULL, cz, &err), "%s", err.msg);
    kgrl_conv_shape cs;
    KT_CHECK(kgrl_conv_shape_init(&cs, nd, 0, N, Cout, Cin, ts.out, k, s, p, d, zero, groups, &err), "%s", err.msg);
    for (int i = 0; i < nd; i++) KT_CHECK(cs.out[i] == in[i], "adjoint sizes: dim %d: %d vs %d", i, cs.out[i], in[i]);
    double lhs = 0, rhs = 0, mag = 0;
    for (int64_t i = 0; i < ts.y_numel; i++) { lhs += (double)tx[i] * z[i]; mag += fabs((double)tx[i] * z[i]); }
    for (int64_t i = 0; i < ts.x_numel; i++) rhs += (double)x[i] * cz[i];
    // both sides are the same fp64 sum rounded through fp32 outputs: relative 1e-6 of the magnitude
    KT_CLOSE(lhs, rhs, 1e-6 * mag, 0, "adjoint nd %d", nd);
    kgrl_free(x); kgrl_free(w); kgrl_free(tx); kgrl_free(z); kgrl_free(cz);
}

static void test_cpu_conv_transpose_adjoint(void) {
    int in1[1] = {7}, k1[1] = {3}, s1[1] = {2}, p1[1] = {1}, d1[1] = {2}, o1[1] = {1};
    check_adjoint(1, in1, k1, s1, p1, d1, o1, 2, 4, 6, 2, 20);
    int in2[2] = {5, 6}, k2[2] = {3, 5}, s2[2] = {2, 3}, p2[2] = {1, 2}, d2[2] = {2, 1}, o2[2] = {1, 0};
    check_adjoint(2, in2, k2, s2, p2, d2, o2, 2, 4, 8, 4, 30);
    int in3[3] = {3, 4, 5}, k3[3] = {3, 5, 3}, s3[3] = {2, 2, 1}, p3[3] = {1, 2, 0}, d3[3] = {1, 1, 2}, o3[3] = {1, 1, 0};
    check_adjoint(3, in3, k3, s3, p3, d3, o3, 1, 2, 3, 1, 40);
}

// ---------------------------------------------------------------------------------------------
// validation (no GPU needed: arguments are checked before any device work)

static kgrl_value vi(int64_t v) { kgrl_value x; memset(&x, 0, sizeof x); x.type = KGRL_VT_INT; x.i = v; return x; }
static kgrl_value vf(double v) { kgrl_value x; memset(&x, 0, sizeof x); x.type = KGRL_VT_FLOAT; x.d = v; return x; }
static kgrl_value vp(int buf) { kgrl_value x; memset(&x, 0, sizeof x); x.type = KGRL_VT_PTR; x.buf = buf; return x; }

// kgrl_conv args as the interpreter flattens them; returns nargs
static int conv_args(kgrl_value *a, void **ptrs, int nd, int tr, int N, int ci, int co, const int *in, const int *k, const int *s,
                     const int *p, const int *d, const int *op, int groups, void *x, void *w, void *b, void *y) {
    int n = 0;
    a[n++] = vi(nd); a[n++] = vi(tr); a[n++] = vi(N); a[n++] = vi(ci); a[n++] = vi(co);
    const int *lists[6] = {in, k, s, p, d, op};
    for (int l = 0; l < 6; l++) for (int i = 0; i < nd; i++) a[n++] = vi(lists[l][i]);
    a[n++] = vi(groups);
    void *pp[4] = {x, w, b, y};
    for (int i = 0; i < 4; i++) {
        if (i == 2 && !b) { a[n] = vi(0); ptrs[n++] = NULL; continue; }   // NULL bias as the literal 0
        a[n] = vp(i); ptrs[n++] = pp[i];
    }
    for (int i = 0; i < n - 4; i++) ptrs[i] = NULL;
    return n;
}

static void expect_err(bool ok, const kgrl_err *err, const char *needle, const char *what) {
    KT_CHECK(!ok, "%s: accepted", what);
    KT_CHECK(strstr(err->msg, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err->msg, needle);
}

static void test_validation(void) {
    kgrl_ctx_desc cd; memset(&cd, 0, sizeof cd); cd.cpu_only = true;
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    kgrl_value a[64]; void *ptrs[64];
    char dummy[16];
    kgrl_err err = {{0}};
    int in[2] = {8, 8}, k[2] = {3, 3}, s[2] = {1, 1}, p[2] = {0, 0}, d[2] = {1, 1}, op[2] = {0, 0};
    int n = conv_args(a, ptrs, 2, 0, 1, 4, 6, in, k, s, p, d, op, 4, dummy, dummy, NULL, dummy);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), &err, "groups 4 must", "groups not dividing Cout");
    int op1[2] = {1, 0};
    n = conv_args(a, ptrs, 2, 0, 1, 4, 4, in, k, s, p, d, op1, 1, dummy, dummy, NULL, dummy);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), &err, "only for transposed", "out_pad on a convolution");
    int s2[2] = {2, 2}, op2[2] = {2, 0};
    n = conv_args(a, ptrs, 2, 1, 1, 4, 4, in, k, s2, p, d, op2, 1, dummy, dummy, NULL, dummy);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), &err, "smaller than stride", "out_pad >= stride");
    int k9[2] = {9, 3};
    n = conv_args(a, ptrs, 2, 0, 1, 4, 4, in, k9, s, p, d, op, 1, dummy, dummy, NULL, dummy);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), &err, "not positive", "kernel larger than input");
    n = conv_args(a, ptrs, 2, 0, 1, 4, 4, in, k, s, p, d, op, 1, dummy, dummy, NULL, dummy);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n - 1, &err), &err, "takes 22 arguments", "argument count");
    a[0] = vi(4);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), &err, "outside [1, 3]", "nd 4");
    n = conv_args(a, ptrs, 2, 0, 1, 4, 4, in, k, s, p, d, op, 1, NULL, dummy, NULL, dummy);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), &err, "null pointer", "null x");
    n = conv_args(a, ptrs, 2, 0, 1, 4, 4, in, k, s, p, d, op, 1, dummy, dummy, NULL, dummy);
    a[n - 1] = vf(1.0);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), &err, "must be a pointer", "float as y");
    // valid arguments get as far as the device check
    n = conv_args(a, ptrs, 2, 0, 1, 4, 4, in, k, s, p, d, op, 1, dummy, dummy, NULL, dummy);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), &err, "no CUDA device", "valid conv on a CPU-only ctx");
    // gemm: transA transB M N K alpha A lda B ldb beta C ldc
    kgrl_value g[13] = {vi(0), vi(0), vi(4), vi(5), vi(6), vf(1), vp(0), vi(5), vp(1), vi(5), vf(0), vp(2), vi(5)};
    void *gp[13] = {0};
    gp[6] = gp[8] = gp[11] = dummy;
    expect_err(kgrl_builtin_exec(ctx, "kgrl_gemm", g, gp, 13, &err), &err, "lda 5 (needs >= 6)", "gemm lda < K");
    g[7] = vi(6);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_gemm", g, gp, 13, &err), &err, "no CUDA device", "valid gemm on a CPU-only ctx");
    expect_err(kgrl_builtin_exec(ctx, "kgrl_gemm", g, gp, 12, &err), &err, "takes 13 arguments", "gemm argument count");
    g[0] = vi(2);
    expect_err(kgrl_builtin_exec(ctx, "kgrl_gemm", g, gp, 13, &err), &err, "must be 0 or 1", "gemm transA 2");
    expect_err(kgrl_builtin_exec(ctx, "kgrl_gemm_batched", g, gp, 13, &err), &err, "takes 17 arguments", "batched count");
    expect_err(kgrl_builtin_exec(ctx, "cublasSgemm", g, gp, 13, &err), &err, "unknown builtin", "unknown name");
    kgrl_ctx_destroy(ctx);
}

// ---------------------------------------------------------------------------------------------
// cuDNN discovery (the CPU machines have cuDNN under /usr/local/cuda/lib64; no GPU needed to load it)

static void test_cudnn_discovery(void) {
    char path[1024] = "";
    int version = 0;
    kgrl_err err = {{0}};
    bool ok = kgrl_cudnn_probe(path, sizeof path, &version, &err);
    if (!ok && strstr(err.msg, "not found")) { kt_skip("no cuDNN 9 on this machine (the GPU machine finds it in PyTorch's venv)"); return; }
    KT_CHECK(ok, "%s", err.msg);
    KT_CHECK(version >= 90000 && version < 100000, "cuDNN version %d", version);
    printf("  cuDNN %d from %s\n", version, path);
    // an override that does not load is an error that names it, and nothing else is tried
    setenv("KGRL_CUDNN_LIB", "/nonexistent/libcudnn.so.9", 1);
    ok = kgrl_cudnn_probe(path, sizeof path, &version, &err);
    unsetenv("KGRL_CUDNN_LIB");
    expect_err(ok, &err, "KGRL_CUDNN_LIB=/nonexistent/libcudnn.so.9", "bad override");
}

// ---------------------------------------------------------------------------------------------
// GPU: builtins against the CPU references

static kgrl_ctx *gpu_ctx(void) {
    kgrl_ctx_desc cd; memset(&cd, 0, sizeof cd);
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    if (!ctx->has_gpu) { kt_skip("no CUDA device"); kgrl_ctx_destroy(ctx); return NULL; }
    return ctx;
}
static float *dev_copy(const float *h, long n) {
    float *d;
    KGRL_CUDA_CHECK(cudaMalloc((void **)&d, (size_t)(n ? n : 1) * 4));
    if (h) KGRL_CUDA_CHECK(cudaMemcpy(d, h, (size_t)n * 4, cudaMemcpyHostToDevice));
    return d;
}

static void test_gpu_gemm(void) {
    kgrl_ctx *ctx = gpu_ctx();
    if (!ctx) return;
    enum { M = 37, N = 29, K = 53, BATCH = 3 };
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            int lda = ta ? M : K, ldb = tb ? K : N, ldc = N;
            long sa = (long)M * K, sb = (long)K * N, sc = (long)M * N;
            float *A = (float *)kgrl_malloc(BATCH * sa * 4), *B = (float *)kgrl_malloc(BATCH * sb * 4);
            float *C = (float *)kgrl_malloc(BATCH * sc * 4), *R = (float *)kgrl_malloc(BATCH * sc * 4);
            fill(A, BATCH * sa, 50 + ta); fill(B, BATCH * sb, 60 + tb); fill(C, BATCH * sc, 70);
            memcpy(R, C, BATCH * sc * 4);
            float *dA = dev_copy(A, BATCH * sa), *dB = dev_copy(B, BATCH * sb), *dC = dev_copy(C, BATCH * sc);
            kgrl_value g[17] = {vi(ta), vi(tb), vi(M), vi(N), vi(K), vf(0.75), vp(0), vi(lda), vi(sa), vp(1), vi(ldb), vi(sb),
                                vf(0.5), vp(2), vi(ldc), vi(sc), vi(BATCH)};
            void *gp[17] = {0};
            gp[6] = dA; gp[9] = dB; gp[13] = dC;
            kgrl_err err = {{0}};
            KT_CHECK(kgrl_builtin_exec(ctx, "kgrl_gemm_batched", g, gp, 17, &err), "%s", err.msg);
            KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
            KGRL_CUDA_CHECK(cudaMemcpy(C, dC, BATCH * sc * 4, cudaMemcpyDeviceToHost));
            kgrl_cpu_gemm_batched(ta, tb, M, N, K, 0.75f, A, lda, sa, B, ldb, sb, 0.5f, R, ldc, sc, BATCH);
            // fp32 FMA sums of 53 products of size <= 1: ~1e-6; TF32 (10-bit mantissa) would miss by ~1e-3
            for (long i = 0; i < BATCH * sc; i++) KT_CLOSE(C[i], R[i], 2e-5, 1e-5, "gemm_batched ta %d tb %d [%ld]", ta, tb, i);
            // plain gemm on batch 1
            kgrl_value h[13] = {vi(ta), vi(tb), vi(M), vi(N), vi(K), vf(1), vp(0), vi(lda), vp(1), vi(ldb), vf(0), vp(2), vi(ldc)};
            void *hp[13] = {0};
            hp[6] = dA; hp[8] = dB; hp[11] = dC;
            KT_CHECK(kgrl_builtin_exec(ctx, "kgrl_gemm", h, hp, 13, &err), "%s", err.msg);
            KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
            KGRL_CUDA_CHECK(cudaMemcpy(C, dC, sc * 4, cudaMemcpyDeviceToHost));
            kgrl_cpu_gemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, R, ldc);
            for (long i = 0; i < sc; i++) KT_CLOSE(C[i], R[i], 2e-5, 1e-5, "gemm ta %d tb %d [%ld]", ta, tb, i);
            cudaFree(dA); cudaFree(dB); cudaFree(dC);
            kgrl_free(A); kgrl_free(B); kgrl_free(C); kgrl_free(R);
        }
    kgrl_builtins_release(ctx);
    kgrl_ctx_destroy(ctx);
}

typedef struct { int nd, tr, N, ci, co, groups; int in[3], k[3], s[3], p[3], d[3], op[3]; int bias; } conv_case;

static void test_gpu_conv(void) {
    kgrl_ctx *ctx = gpu_ctx();
    if (!ctx) return;
    static const conv_case cases[] = {
        {1, 0, 2, 3, 5, 1, {17}, {3}, {1}, {0}, {1}, {0}, 0},
        {1, 0, 2, 4, 6, 1, {29}, {3}, {3}, {0}, {4}, {0}, 1},            // dilated strided (L1/76)
        {1, 1, 2, 4, 6, 1, {13}, {3}, {2}, {1}, {2}, {0}, 0},            // transposed strided padded dilated (L1/79)
        {1, 1, 2, 4, 6, 2, {11}, {5}, {1}, {0}, {3}, {0}, 1},
        {2, 0, 2, 3, 5, 1, {9, 11}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1},
        {2, 0, 2, 8, 8, 8, {9, 10}, {3, 7}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 0},   // depthwise (L1/85)
        {2, 0, 1, 4, 6, 2, {19, 23}, {5, 9}, {1, 1}, {2, 4}, {2, 3}, {0, 0}, 0},  // dilated padded grouped (L1/80)
        {2, 1, 2, 8, 16, 4, {7, 9}, {3, 5}, {2, 3}, {1, 2}, {2, 1}, {0, 0}, 0},   // L1/75's shape family
        {2, 1, 2, 4, 4, 1, {6, 5}, {3, 3}, {5, 5}, {1, 1}, {2, 2}, {1, 3}, 1},    // stride 5 + output_padding
        {3, 0, 2, 3, 4, 1, {5, 6, 7}, {3, 5, 7}, {1, 1, 1}, {0, 1, 3}, {1, 1, 1}, {0, 0, 0}, 0},
        {3, 1, 2, 8, 8, 4, {3, 4, 5}, {3, 5, 7}, {2, 2, 2}, {1, 2, 3}, {1, 1, 1}, {1, 1, 1}, 1},  // L1/72's family
        {3, 1, 1, 4, 6, 1, {3, 4, 4}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {2, 2, 2}, {0, 0, 0}, 0},  // L1/77's family
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const conv_case *t = &cases[c];
        kgrl_conv_shape s;
        kgrl_err err = {{0}};
        if (!kgrl_conv_shape_init(&s, t->nd, t->tr, t->N, t->ci, t->co, t->in, t->k, t->s, t->p, t->d, t->op, t->groups, &err)) {
            KT_CHECK(0, "case %zu: %s", c, err.msg);
            continue;
        }
        float *x = (float *)kgrl_malloc(s.x_numel * 4), *w = (float *)kgrl_malloc(s.w_numel * 4), b[64];
        float *y = (float *)kgrl_malloc(s.y_numel * 4), *r = (float *)kgrl_malloc(s.y_numel * 4);
        fill(x, s.x_numel, 100 + (uint32_t)c); fill(w, s.w_numel, 200 + (uint32_t)c); fill(b, 64, 300 + (uint32_t)c);
        KT_CHECK(kgrl_cpu_conv(t->nd, t->tr, t->N, t->ci, t->co, t->in, t->k, t->s, t->p, t->d, t->op, t->groups, x, w,
                               t->bias ? b : NULL, r, &err), "%s", err.msg);
        float *dx = dev_copy(x, s.x_numel), *dw = dev_copy(w, s.w_numel), *db = dev_copy(b, 64), *dy = dev_copy(NULL, s.y_numel);
        kgrl_value a[64]; void *ptrs[64];
        int n = conv_args(a, ptrs, t->nd, t->tr, t->N, t->ci, t->co, t->in, t->k, t->s, t->p, t->d, t->op, t->groups, dx, dw,
                          t->bias ? db : NULL, dy);
        for (int rep = 0; rep < 2; rep++) {   // the second call reuses the plan
            KGRL_CUDA_CHECK(cudaMemsetAsync(dy, 0xff, (size_t)s.y_numel * 4, ctx->stream));   // NaN poison
            KT_CHECK(kgrl_builtin_exec(ctx, "kgrl_conv", a, ptrs, n, &err), "case %zu: %s", c, err.msg);
            KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
            KGRL_CUDA_CHECK(cudaMemcpy(y, dy, (size_t)s.y_numel * 4, cudaMemcpyDeviceToHost));
            // sums of <= 8*5*7 products of size <= 1 in fp32 (Winograd/FFT algorithms included): ~1e-5
            int bad = 0;
            for (int64_t i = 0; i < s.y_numel && bad < 5; i++)
                if (!(fabsf(y[i] - r[i]) <= 1e-4f + 1e-4f * fabsf(r[i]))) {
                    KT_CHECK(0, "case %zu rep %d [%lld]: got %g want %g", c, rep, (long long)i, y[i], r[i]);
                    bad++;
                }
        }
        cudaFree(dx); cudaFree(dw); cudaFree(db); cudaFree(dy);
        kgrl_free(x); kgrl_free(w); kgrl_free(y); kgrl_free(r);
    }
    kgrl_builtins_release(ctx);
    kgrl_ctx_destroy(ctx);
}

int main(void) {
    KT_RUN(test_cpu_gemm);
    KT_RUN(test_cpu_gemm_batched);
    KT_RUN(test_cpu_conv1d_naive);
    KT_RUN(test_cpu_conv2d_grouped_naive);
    KT_RUN(test_cpu_conv3d_naive);
    KT_RUN(test_cpu_conv_transpose1d_naive);
    KT_RUN(test_cpu_conv_transpose_adjoint);
    KT_RUN(test_validation);
    KT_RUN(test_cudnn_discovery);
    KT_RUN(test_gpu_gemm);
    KT_RUN(test_gpu_conv);
    return kt_finish();
}
