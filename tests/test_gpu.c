// GPU runtime: a ctx without a GPU, NVRTC (runs without a GPU), the cubin cache, and on a GPU:
// module load and launch, Philox on the device equal to the CPU, cuBLAS SGEMM against the CPU,
// the ceilings.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

static kgrl_ctx *ctx;
static char cache_dir[256];

static const char *vadd_src =
    "extern \"C\" __global__ void vadd(const float* a, const float* b, float* c, int n) {\n"
    "    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    if (i < n) c[i] = a[i] + b[i];\n"
    "}\n"
    "template <typename T, int S> __global__ void scale(T* x, int n) {\n"
    "    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    if (i < n) x[i] = x[i] * (T)S;\n"
    "}\n";

static void test_ctx_reports_its_state(void) {
    KT_CHECK(ctx != NULL, "ctx created");
    if (!ctx->has_gpu) {
        KT_CHECK(strstr(ctx->no_gpu_reason, "no CUDA device") != NULL, "reason: %s", ctx->no_gpu_reason);
    } else {
        KT_CHECK(strncmp(ctx->arch, "sm_", 3) == 0 && ctx->sm_count > 0 && ctx->total_mem_bytes > 0, "device properties");
    }
    KT_CHECK(ctx->nvrtc_major >= 12, "NVRTC version %d.%d", ctx->nvrtc_major, ctx->nvrtc_minor);
    kgrl_ctx_desc d = KGRL_ZERO;
    d.cpu_only = true;
    kgrl_ctx *cpu = kgrl_ctx_create(&d);
    KT_CHECK(!cpu->has_gpu && strstr(cpu->no_gpu_reason, "CPU only"), "cpu_only ctx");
    kgrl_ctx_destroy(cpu);
}

static void test_nvrtc_compiles_without_gpu(void) {
    const char *names[] = {"vadd", "scale<float, 3>"};
    kgrl_cubin c;
    bool ok = kgrl_nvrtc_compile(vadd_src, kgrl_ctx_arch(ctx), NULL, 0, names, 2, NULL, &c);
    KT_CHECK(ok && c.cubin_size > 0, "compiled: %s", c.log);
    KT_CHECK(c.lowered[0] && strcmp(c.lowered[0], "vadd") == 0, "extern C name is itself");
    KT_CHECK(c.lowered[1] && strstr(c.lowered[1], "scale") && c.lowered[1][0] == '_', "template lowered: %s",
             c.lowered[1] ? c.lowered[1] : "(null)");
    KT_CHECK(!c.cache_hit, "no cache asked");
    kgrl_cubin_free(&c);
    ok = kgrl_nvrtc_compile("__global__ void k() { undefined_thing(); }", "sm_90", NULL, 0, NULL, 0, NULL, &c);
    KT_CHECK(!ok && !c.ok && strstr(c.log, "undefined_thing"), "a compile error is data with the log: %s", c.log);
    kgrl_cubin_free(&c);
}

static void test_cubin_cache(void) {
    const char *names[] = {"vadd"};
    const char *opt1[] = {"-lineinfo"};
    kgrl_cubin a, b, d;
    KT_CHECK(kgrl_nvrtc_compile(vadd_src, "sm_90", opt1, 1, names, 1, cache_dir, &a), "first compile");
    KT_CHECK(kgrl_nvrtc_compile(vadd_src, "sm_90", opt1, 1, names, 1, cache_dir, &b), "second compile");
    KT_CHECK(!a.cache_hit && b.cache_hit, "second is a cache hit (%d %d)", a.cache_hit, b.cache_hit);
    KT_CHECK(a.cubin_size == b.cubin_size && memcmp(a.cubin, b.cubin, a.cubin_size) == 0, "same cubin from the cache");
    KT_CHECK(b.lowered[0] && strcmp(b.lowered[0], "vadd") == 0, "lowered names cached");
    KT_CHECK(b.compile_ms < a.compile_ms, "cache hit is faster (%.2f ms vs %.2f ms)", b.compile_ms, a.compile_ms);
    // another arch or other options must not hit the same entry
    KT_CHECK(kgrl_nvrtc_compile(vadd_src, "sm_80", opt1, 1, names, 1, cache_dir, &d) && !d.cache_hit, "other arch misses");
    kgrl_cubin_free(&a); kgrl_cubin_free(&b); kgrl_cubin_free(&d);
    KT_CHECK(kgrl_nvrtc_compile(vadd_src, "sm_90", NULL, 0, names, 1, cache_dir, &d) && !d.cache_hit, "other options miss");
    kgrl_cubin_free(&d);
}

static void test_module_launch(void) {
    if (!ctx->has_gpu) { kt_skip("no CUDA device"); return; }
    const char *names[] = {"vadd", "scale<float, 3>"};
    kgrl_cubin c;
    KT_CHECK(kgrl_nvrtc_compile(vadd_src, ctx->arch, NULL, 0, names, 2, ctx->desc.cache_dir, &c), "compile");
    kgrl_module m;
    kgrl_err err;
    KT_CHECK(kgrl_module_load(&c, &m, &err), "load: %s", err.msg);
    cudaKernel_t vadd, scale;
    KT_CHECK(kgrl_module_kernel(&m, c.lowered[0], &vadd, &err), "vadd: %s", err.msg);
    KT_CHECK(kgrl_module_kernel(&m, c.lowered[1], &scale, &err), "scale: %s", err.msg);
    KT_CHECK(!kgrl_module_kernel(&m, "no_such_kernel", &scale, &err) && strstr(err.msg, "no_such_kernel"), "missing kernel is an error");
    KT_CHECK(kgrl_module_kernel(&m, c.lowered[1], &scale, &err), "scale again");
    int n = 1000;
    float *ha = (float *)kgrl_malloc(n * 4), *hb = (float *)kgrl_malloc(n * 4), *hc = (float *)kgrl_malloc(n * 4);
    for (int i = 0; i < n; i++) { ha[i] = (float)i; hb[i] = 0.5f * (float)i; }
    float *da, *db, *dc;
    KGRL_CUDA_CHECK(cudaMalloc((void **)&da, n * 4)); KGRL_CUDA_CHECK(cudaMalloc((void **)&db, n * 4)); KGRL_CUDA_CHECK(cudaMalloc((void **)&dc, n * 4));
    KGRL_CUDA_CHECK(cudaMemcpy(da, ha, n * 4, cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaMemcpy(db, hb, n * 4, cudaMemcpyHostToDevice));
    void *args[] = {&da, &db, &dc, &n};
    kgrl_launch(ctx, vadd, kgrl_dim3((n + 255) / 256, 1, 1), kgrl_dim3(256, 1, 1), 0, args);
    void *args2[] = {&dc, &n};
    kgrl_launch(ctx, scale, kgrl_dim3((n + 255) / 256, 1, 1), kgrl_dim3(256, 1, 1), 0, args2);
    KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    KGRL_CUDA_CHECK(cudaMemcpy(hc, dc, n * 4, cudaMemcpyDeviceToHost));
    int bad = 0;
    for (int i = 0; i < n; i++) bad += hc[i] != 3.0f * (ha[i] + hb[i]); // exact: small integers and halves
    KT_CHECK(bad == 0, "%d wrong elements", bad);
    KGRL_CUDA_CHECK(cudaFree(da)); KGRL_CUDA_CHECK(cudaFree(db)); KGRL_CUDA_CHECK(cudaFree(dc));
    kgrl_free(ha); kgrl_free(hb); kgrl_free(hc);
    kgrl_module_unload(&m);
    kgrl_cubin_free(&c);
}

static void test_philox_gpu_equals_cpu(void) {
    if (!ctx->has_gpu) { kt_skip("no CUDA device"); return; }
    kgrl_buf src = KGRL_ZERO;
    kgrl_buf_puts(&src, kgrl__kernel_philox_cuh);
    kgrl_buf_puts(&src, kgrl__kernel_util_cu);
    cudaKernel_t fill = kgrl_ctx_kernel(ctx, src.data, "kgrl_fill_uniform_f32");
    unsigned long long n = 100003, key = 99, stream = kgrl_stream_id("gpu-test");
    float lo = 0.0f, hi = 1.0f, *d;
    KGRL_CUDA_CHECK(cudaMalloc((void **)&d, n * 4));
    void *args[] = {&d, &n, &key, &stream, &lo, &hi};
    kgrl_launch(ctx, fill, kgrl_dim3(64, 1, 1), kgrl_dim3(256, 1, 1), 0, args);
    float *h = (float *)kgrl_malloc(n * 4);
    KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    KGRL_CUDA_CHECK(cudaMemcpy(h, d, n * 4, cudaMemcpyDeviceToHost));
    int bad = 0;
    for (unsigned long long i = 0; i < n; i++) bad += h[i] != kgrl_uniform_at(key, stream, i); // bit-exact by construction
    KT_CHECK(bad == 0, "%d of %llu draws differ", bad, n);
    KGRL_CUDA_CHECK(cudaFree(d));
    kgrl_free(h);
    kgrl_buf_free(&src);
}

static void test_cublas_sgemm_matches_cpu(void) {
    if (!ctx->has_gpu) { kt_skip("no CUDA device"); return; }
    int M = 67, N = 45, K = 129; // odd sizes on purpose
    float *A = (float *)kgrl_malloc(sizeof(float) * M * K), *B = (float *)kgrl_malloc(sizeof(float) * K * N);
    float *C = (float *)kgrl_malloc(sizeof(float) * M * N);
    kgrl_rng r = kgrl_rng_make(5, kgrl_stream_id("sgemm"));
    for (int i = 0; i < M * K; i++) A[i] = 2 * kgrl_rng_uniform(&r) - 1;
    for (int i = 0; i < K * N; i++) B[i] = 2 * kgrl_rng_uniform(&r) - 1;
    float *dA, *dB, *dC;
    KGRL_CUDA_CHECK(cudaMalloc((void **)&dA, sizeof(float) * M * K)); KGRL_CUDA_CHECK(cudaMalloc((void **)&dB, sizeof(float) * K * N));
    KGRL_CUDA_CHECK(cudaMalloc((void **)&dC, sizeof(float) * M * N));
    KGRL_CUDA_CHECK(cudaMemcpy(dA, A, sizeof(float) * M * K, cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaMemcpy(dB, B, sizeof(float) * K * N, cudaMemcpyHostToDevice));
    // row-major C = A B is column-major C^T = B^T A^T: swap the operands
    float alpha = 1, beta = 0;
    KGRL_CUBLAS_CHECK(cublasSetMathMode(ctx->cublas, CUBLAS_PEDANTIC_MATH));
    KGRL_CUBLAS_CHECK(cublasSgemm(ctx->cublas, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &alpha, dB, N, dA, K, &beta, dC, N));
    KGRL_CUBLAS_CHECK(cublasSetMathMode(ctx->cublas, CUBLAS_DEFAULT_MATH));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    KGRL_CUDA_CHECK(cudaMemcpy(C, dC, sizeof(float) * M * N, cudaMemcpyDeviceToHost));
    double maxerr = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double ref = 0;
            for (int k = 0; k < K; k++) ref += (double)A[i * K + k] * B[k * N + j];
            double e = fabs(C[i * N + j] - ref);
            if (e > maxerr) maxerr = e;
        }
    // fp32 accumulation over K=129 terms of magnitude <= 1: error ~ K * 2^-24 * sum|a b| <= 129*6e-8*129 ~ 1e-3 worst case,
    // typically ~1e-5; 1e-4 absolute catches any layout or transpose bug (those give errors ~1).
    KT_CHECK(maxerr < 1e-4, "max abs error %g", maxerr);
    KGRL_CUDA_CHECK(cudaFree(dA)); KGRL_CUDA_CHECK(cudaFree(dB)); KGRL_CUDA_CHECK(cudaFree(dC));
    kgrl_free(A); kgrl_free(B); kgrl_free(C);
}

static void test_ceilings(void) {
    if (!ctx->has_gpu) { kt_skip("no CUDA device"); return; }
    kgrl_ceilings c;
    kgrl_err err;
    KT_CHECK(kgrl_measure_ceilings(ctx, false, &c, &err), "measure: %s", err.msg);
    // sanity bounds for any datacenter GPU this kit targets (H100: ~3 TB/s, ~800 bf16 TFLOP/s, ~50 fp32)
    KT_CHECK(c.copy_gbps > 200 && c.copy_gbps < 20000, "copy %.0f GB/s", c.copy_gbps);
    KT_CHECK(c.bf16_tflops > 20 && c.bf16_tflops < 5000, "bf16 %.0f TFLOP/s", c.bf16_tflops);
    KT_CHECK(c.fp32_tflops > 1 && c.fp32_tflops < c.bf16_tflops, "fp32 %.1f TFLOP/s", c.fp32_tflops);
    kgrl_ceilings again;
    KT_CHECK(kgrl_measure_ceilings(ctx, true, &again, &err) && again.cached && again.copy_gbps == c.copy_gbps, "cached");
    printf("ceilings: copy %.0f GB/s, bf16 %.0f TFLOP/s, fp32 %.1f TFLOP/s\n", c.copy_gbps, c.bf16_tflops, c.fp32_tflops);
}

int main(void) {
    snprintf(cache_dir, sizeof cache_dir, "build/test_gpu_cache_%d", (int)getpid());
    kgrl_ctx_desc d = KGRL_ZERO;
    d.cache_dir = cache_dir;
    ctx = kgrl_ctx_create(&d);
    KT_RUN(test_ctx_reports_its_state);
    KT_RUN(test_nvrtc_compiles_without_gpu);
    KT_RUN(test_cubin_cache);
    KT_RUN(test_module_launch);
    KT_RUN(test_philox_gpu_equals_cpu);
    KT_RUN(test_cublas_sgemm_matches_cpu);
    KT_RUN(test_ceilings);
    kgrl_ctx_destroy(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", cache_dir);
    return kt_finish();
}
