// GPU runtime: the kgrl_ctx (device, stream, cuBLAS/cuBLASLt handles, logger), NVRTC compilation
// with an on-disk cubin cache, module load and kernel launch, and the machine's two ceilings.
//
// Only the CUDA *runtime* API is linked (libcudart), never the driver library: a program built
// with kgrl starts on a machine with no GPU and no driver, reports "no CUDA device" and runs its
// CPU paths. NVRTC compiles without a GPU (give it an arch).

#define KGRL_CUDA_CHECK(call) do { cudaError_t kgrl_e_ = (call); if (kgrl_e_ != cudaSuccess) \
    kgrl__fatal(__FILE__, __LINE__, kgrl__cuda_hint(kgrl_e_), "%s: %s (%s)", #call, cudaGetErrorString(kgrl_e_), cudaGetErrorName(kgrl_e_)); } while (0)
#define KGRL_NVRTC_CHECK(call) do { nvrtcResult kgrl_r_ = (call); if (kgrl_r_ != NVRTC_SUCCESS) \
    kgrl__fatal(__FILE__, __LINE__, NULL, "%s: %s", #call, nvrtcGetErrorString(kgrl_r_)); } while (0)
#define KGRL_CUBLAS_CHECK(call) do { cublasStatus_t kgrl_s_ = (call); if (kgrl_s_ != CUBLAS_STATUS_SUCCESS) \
    kgrl__fatal(__FILE__, __LINE__, NULL, "%s: %s", #call, cublasGetStatusString(kgrl_s_)); } while (0)
KGRL_API const char *kgrl__cuda_hint(cudaError_t e);

// Modules: a loaded cubin in the current device's context (runtime "library").
typedef struct kgrl_module { cudaLibrary_t lib; } kgrl_module;

// One compiled kit kernel; keyed by the source *text* (a private copy), so a caller may free or
// rebuild its source string and a reused address can never return another source's kernel.
typedef struct kgrl__ctx_kernel { char *src; char name[64]; kgrl_module mod; cudaKernel_t kernel; } kgrl__ctx_kernel;

// Defaults (zero means default):
//   device      0. Use desc.cpu_only = true to make no CUDA call at all.
//   cache_dir   $KGRL_CACHE_DIR, else $XDG_CACHE_HOME/kgrl, else $HOME/.cache/kgrl, else ./.kgrl-cache
//   cublas_workspace_bytes  32 MiB
typedef struct kgrl_ctx_desc {
    int device;
    bool cpu_only;
    const char *cache_dir;
    size_t cublas_workspace_bytes;
    uint64_t seed;                  // the run's seed (0 is a valid seed)
    kgrl_logger logger;
} kgrl_ctx_desc;

typedef struct kgrl_ctx {
    kgrl_ctx_desc desc;             // resolved (cache_dir points at cache_dir_buf)
    char cache_dir_buf[1024];
    bool has_gpu;                   // false: CPU paths only; no_gpu_reason says why
    char no_gpu_reason[256];
    int device;
    char device_name[256];
    int cc_major, cc_minor;
    char arch[16];                  // "sm_90"
    size_t total_mem_bytes;
    int sm_count;
    int l2_bytes;
    size_t smem_optin_bytes;        // max dynamic shared memory per block after opt-in
    int nvrtc_major, nvrtc_minor;
    cudaStream_t stream;            // the kit's stream: every kit launch goes here
    cublasHandle_t cublas;
    cublasLtHandle_t cublaslt;
    void *cublas_workspace;         // device, cublas_workspace_bytes
    // the kit's own kernels, compiled on first use (kgrl_ctx_kernel)
    int nkernels;
    kgrl__ctx_kernel kernels[64];
    void *builtins;                 // state of the reference builtins (src/21_builtins.h): cuDNN, plans
} kgrl_ctx;

// Never fails for lack of a GPU or a driver: then has_gpu is false and no_gpu_reason is set.
KGRL_API kgrl_ctx *kgrl_ctx_create(const kgrl_ctx_desc *desc);
KGRL_API void kgrl_ctx_destroy(kgrl_ctx *ctx);
// The NVRTC target for this ctx: the device's arch, else KGRL_DEFAULT_ARCH, else "sm_90".
KGRL_API const char *kgrl_ctx_arch(const kgrl_ctx *ctx);

// NVRTC. Compiles `src` for `arch` ("sm_90") to a cubin. The result is cached on disk under
// cache_dir/cubin/<sha256 of (src, arch, NVRTC version, options, name expressions)>; a hit skips
// NVRTC. `name_exprs` (may be NULL) are kernel names or template instantiations such as
// "k<float, 128>"; their lowered (mangled) names come back in lowered[i]. A compile error is data:
// ok = false and log holds NVRTC's message. Thread-safe (no shared state); cache_dir NULL = no cache.
typedef struct kgrl_cubin {
    bool ok;
    char *log;                      // NVRTC log (may be empty), NUL-terminated
    void *cubin; size_t cubin_size;
    int nnames; char **lowered;     // per name expression; NULL entries if not found
    bool cache_hit;
    double compile_ms;              // wall time of this call
} kgrl_cubin;
KGRL_API bool kgrl_nvrtc_compile(const char *src, const char *arch, const char *const *options, int nopt,
                                 const char *const *name_exprs, int nnames, const char *cache_dir,
                                 kgrl_cubin *out);
KGRL_API void kgrl_cubin_free(kgrl_cubin *c);
KGRL_API void kgrl_nvrtc_version(int *major, int *minor);

// Modules: load/unload a cubin in the current device's context; look kernels up by lowered name.
KGRL_API bool kgrl_module_load(const kgrl_cubin *c, kgrl_module *out, kgrl_err *err);
KGRL_API bool kgrl_module_kernel(const kgrl_module *m, const char *lowered_name, cudaKernel_t *out, kgrl_err *err);
KGRL_API void kgrl_module_unload(kgrl_module *m);

// dim3 for C (which has no constructors) and C++ alike.
static inline dim3 kgrl_dim3(unsigned x, unsigned y, unsigned z) { dim3 d; d.x = x; d.y = y; d.z = z; return d; }
// Launch one of the kit's own kernels on ctx->stream; a launch failure is the kit's bug (aborts).
KGRL_API void kgrl_launch(kgrl_ctx *ctx, cudaKernel_t k, dim3 grid, dim3 block, size_t smem, void **args);

// The kit's own kernels: compile `src` (one of the kernels/ sources, embedded) once per ctx and
// return the kernel named `name` (extern "C"). Aborts with the NVRTC log if the kit's code fails.
KGRL_API cudaKernel_t kgrl_ctx_kernel(kgrl_ctx *ctx, const char *src, const char *name);

// Ceilings (DESIGN §8), measured once per device and cached in cache_dir/ceilings-<name>.json:
// device-to-device copy bandwidth (bytes read + written per second) and bf16 GEMM rate (cuBLAS,
// 8192^3 on random data, fp32 accumulation).
typedef struct kgrl_ceilings { double copy_gbps; double bf16_tflops; double fp32_tflops; bool cached; } kgrl_ceilings;
KGRL_API bool kgrl_measure_ceilings(kgrl_ctx *ctx, bool use_cache, kgrl_ceilings *out, kgrl_err *err);

// kgrl:implementation

const char *kgrl__cuda_hint(cudaError_t e) {
    switch (e) {
    case cudaErrorNoDevice: return "no CUDA device is visible; check nvidia-smi and CUDA_VISIBLE_DEVICES";
    case cudaErrorInsufficientDriver: return "the NVIDIA driver is missing or older than this CUDA runtime";
    case cudaErrorMemoryAllocation: return "out of GPU memory: reduce batch size, sequence length or model size";
    case cudaErrorInvalidDevice: return "the device ordinal is out of range; see `kgrl info`";
    case cudaErrorIllegalAddress: return "a kit kernel read or wrote out of bounds; rerun under compute-sanitizer";
    default: return NULL;
    }
}

static void kgrl__resolve_cache_dir(kgrl_ctx *ctx) {
    const char *d = ctx->desc.cache_dir;
    const char *env = getenv("KGRL_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (d && d[0]) snprintf(ctx->cache_dir_buf, sizeof ctx->cache_dir_buf, "%s", d);
    else if (env && env[0]) snprintf(ctx->cache_dir_buf, sizeof ctx->cache_dir_buf, "%s", env);
    else if (xdg && xdg[0]) snprintf(ctx->cache_dir_buf, sizeof ctx->cache_dir_buf, "%s/kgrl", xdg);
    else if (home && home[0]) snprintf(ctx->cache_dir_buf, sizeof ctx->cache_dir_buf, "%s/.cache/kgrl", home);
    else snprintf(ctx->cache_dir_buf, sizeof ctx->cache_dir_buf, ".kgrl-cache");
    ctx->desc.cache_dir = ctx->cache_dir_buf;
}

kgrl_ctx *kgrl_ctx_create(const kgrl_ctx_desc *desc) {
    kgrl_ctx *ctx = (kgrl_ctx *)kgrl_calloc(1, sizeof *ctx);
    if (desc) ctx->desc = *desc;
    if (!ctx->desc.cublas_workspace_bytes) ctx->desc.cublas_workspace_bytes = (size_t)32 << 20;
    kgrl__resolve_cache_dir(ctx);
    kgrl_nvrtc_version(&ctx->nvrtc_major, &ctx->nvrtc_minor);
    if (ctx->desc.cpu_only) {
        snprintf(ctx->no_gpu_reason, sizeof ctx->no_gpu_reason, "CPU only (desc.cpu_only)");
        return ctx;
    }
    // cudaGetDeviceCount is the first CUDA call: with no driver or no GPU it fails cleanly.
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        snprintf(ctx->no_gpu_reason, sizeof ctx->no_gpu_reason, "no CUDA device (%s)",
                 e != cudaSuccess ? cudaGetErrorString(e) : "device count is 0");
        (void)cudaGetLastError();
        kgrl_log(&ctx->desc.logger, KGRL_LOG_INFO, "%s: CPU paths only", ctx->no_gpu_reason);
        return ctx;
    }
    if (ctx->desc.device < 0 || ctx->desc.device >= count)
        KGRL_FATAL_HINT("pick a device between 0 and the count `kgrl info` shows", "device %d requested, %d visible",
                        ctx->desc.device, count);
    ctx->device = ctx->desc.device;
    KGRL_CUDA_CHECK(cudaSetDevice(ctx->device));
    struct cudaDeviceProp prop;
    KGRL_CUDA_CHECK(cudaGetDeviceProperties(&prop, ctx->device));
    ctx->has_gpu = true;
    snprintf(ctx->device_name, sizeof ctx->device_name, "%s", prop.name);
    ctx->cc_major = prop.major;
    ctx->cc_minor = prop.minor;
    snprintf(ctx->arch, sizeof ctx->arch, "sm_%d%d", prop.major, prop.minor);
    ctx->total_mem_bytes = prop.totalGlobalMem;
    ctx->sm_count = prop.multiProcessorCount;
    ctx->l2_bytes = prop.l2CacheSize;
    ctx->smem_optin_bytes = prop.sharedMemPerBlockOptin;
    KGRL_CUDA_CHECK(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
    KGRL_CUBLAS_CHECK(cublasCreate(&ctx->cublas));
    KGRL_CUBLAS_CHECK(cublasSetStream(ctx->cublas, ctx->stream));
    KGRL_CUDA_CHECK(cudaMalloc(&ctx->cublas_workspace, ctx->desc.cublas_workspace_bytes));
    KGRL_CUBLAS_CHECK(cublasSetWorkspace(ctx->cublas, ctx->cublas_workspace, ctx->desc.cublas_workspace_bytes));
    KGRL_CUBLAS_CHECK(cublasLtCreate(&ctx->cublaslt));
    return ctx;
}

void kgrl_ctx_destroy(kgrl_ctx *ctx) {
    if (!ctx) return;
    kgrl_builtins_release(ctx);
    if (ctx->has_gpu) {
        for (int i = 0; i < ctx->nkernels; i++) { kgrl_module_unload(&ctx->kernels[i].mod); kgrl_free(ctx->kernels[i].src); }
        KGRL_CUBLAS_CHECK(cublasLtDestroy(ctx->cublaslt));
        KGRL_CUBLAS_CHECK(cublasDestroy(ctx->cublas));
        KGRL_CUDA_CHECK(cudaFree(ctx->cublas_workspace));
        KGRL_CUDA_CHECK(cudaStreamDestroy(ctx->stream));
    }
    kgrl_free(ctx);
}

const char *kgrl_ctx_arch(const kgrl_ctx *ctx) {
    if (ctx && ctx->has_gpu) return ctx->arch;
#ifdef KGRL_DEFAULT_ARCH
    return KGRL_DEFAULT_ARCH;
#else
    return "sm_90";
#endif
}

void kgrl_nvrtc_version(int *major, int *minor) {
    if (nvrtcVersion(major, minor) != NVRTC_SUCCESS) { *major = 0; *minor = 0; }
}

// The cache key covers everything that changes the cubin: source, target, compiler, options, names.
static void kgrl__cubin_key(const char *src, const char *arch, const char *const *options, int nopt,
                            const char *const *names, int nnames, char hex[65]) {
    kgrl_sha256 h;
    kgrl_sha256_init(&h);
    int major, minor;
    kgrl_nvrtc_version(&major, &minor);
    char ver[64];
    snprintf(ver, sizeof ver, "kgrl-cubin-v1 nvrtc %d.%d", major, minor);
    kgrl_sha256_update(&h, ver, strlen(ver) + 1);
    kgrl_sha256_update(&h, src, strlen(src) + 1);
    kgrl_sha256_update(&h, arch, strlen(arch) + 1);
    for (int i = 0; i < nopt; i++) kgrl_sha256_update(&h, options[i], strlen(options[i]) + 1);
    kgrl_sha256_update(&h, "\1", 1); // separates options from names
    for (int i = 0; i < nnames; i++) kgrl_sha256_update(&h, names[i], strlen(names[i]) + 1);
    uint8_t d[32];
    kgrl_sha256_final(&h, d);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

// A cache entry is one file: "KGRLCUBIN1\n", one lowered name per line ("-" for not found), a blank
// line, then the cubin bytes. Written atomically, so concurrent writers are harmless.
static bool kgrl__cubin_cache_read(const char *path, int nnames, kgrl_cubin *out) {
    size_t len;
    char *data = kgrl_read_file(path, &len, NULL);
    if (!data) return false;
    const char *magic = "KGRLCUBIN1\n";
    size_t pos = strlen(magic);
    bool ok = len > pos && memcmp(data, magic, pos) == 0;
    out->lowered = (char **)kgrl_calloc((size_t)(nnames > 0 ? nnames : 1), sizeof(char *));
    out->nnames = nnames;
    for (int i = 0; ok && i < nnames; i++) {
        char *nl = (char *)memchr(data + pos, '\n', len - pos);
        if (!nl) { ok = false; break; }
        *nl = 0;
        if (strcmp(data + pos, "-") != 0) out->lowered[i] = kgrl_strdup(data + pos);
        pos = (size_t)(nl - data) + 1;
    }
    if (ok && (pos >= len || data[pos] != '\n')) ok = false;
    if (ok) {
        pos++;
        out->cubin_size = len - pos;
        out->cubin = kgrl_malloc(out->cubin_size);
        memcpy(out->cubin, data + pos, out->cubin_size);
        out->ok = true;
        out->log = kgrl_strdup("");
        out->cache_hit = true;
    }
    kgrl_free(data);
    if (!ok) kgrl_cubin_free(out);
    return ok;
}

static void kgrl__cubin_cache_write(const char *path, const kgrl_cubin *c) {
    kgrl_buf b = KGRL_ZERO;
    kgrl_buf_puts(&b, "KGRLCUBIN1\n");
    for (int i = 0; i < c->nnames; i++) kgrl_buf_printf(&b, "%s\n", c->lowered[i] ? c->lowered[i] : "-");
    kgrl_buf_puts(&b, "\n");
    kgrl_buf_append(&b, c->cubin, c->cubin_size);
    (void)kgrl_write_file_atomic(path, b.data, b.len, NULL); // the cache is an optimization: a failed write only costs a recompile
    kgrl_buf_free(&b);
}

bool kgrl_nvrtc_compile(const char *src, const char *arch, const char *const *options, int nopt,
                        const char *const *name_exprs, int nnames, const char *cache_dir, kgrl_cubin *out) {
    memset(out, 0, sizeof *out);
    double t0 = kgrl_now_s();
    char key[65], path[1200];
    path[0] = 0;
    if (cache_dir) {
        kgrl__cubin_key(src, arch, options, nopt, name_exprs, nnames, key);
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/cubin", cache_dir);
        if (kgrl_mkdirs(dir, NULL)) snprintf(path, sizeof path, "%s/%s.bin", dir, key);
        if (path[0] && kgrl__cubin_cache_read(path, nnames, out)) {
            out->compile_ms = 1e3 * (kgrl_now_s() - t0);
            return true;
        }
    }
    nvrtcProgram prog;
    KGRL_NVRTC_CHECK(nvrtcCreateProgram(&prog, src, "candidate.cu", 0, NULL, NULL));
    // a bad name expression is the candidate's problem (data), not the kit's
    for (int i = 0; i < nnames; i++) {
        nvrtcResult ne = nvrtcAddNameExpression(prog, name_exprs[i]);
        if (ne != NVRTC_SUCCESS) {
            kgrl_buf b = KGRL_ZERO;
            kgrl_buf_printf(&b, "invalid kernel name expression \"%s\": %s", name_exprs[i], nvrtcGetErrorString(ne));
            out->log = b.data;
            out->nnames = nnames;
            out->lowered = (char **)kgrl_calloc((size_t)nnames, sizeof(char *));
            KGRL_NVRTC_CHECK(nvrtcDestroyProgram(&prog));
            out->compile_ms = 1e3 * (kgrl_now_s() - t0);
            return false;
        }
    }
    // the target, the C++ dialect, and the toolkit's headers (cuda_fp16.h, cuda/std, ...) when present
    const char *opts[64];
    int n = 0;
    char arch_opt[64], inc_opt[1100];
    snprintf(arch_opt, sizeof arch_opt, "--gpu-architecture=%s", arch);
    opts[n++] = arch_opt;
    opts[n++] = "--std=c++17";
    const char *cuda_home = getenv("CUDA_HOME") ? getenv("CUDA_HOME") : "/usr/local/cuda";
    snprintf(inc_opt, sizeof inc_opt, "--include-path=%s/include", cuda_home);
    if (kgrl_file_exists(inc_opt + strlen("--include-path="))) opts[n++] = inc_opt;
    for (int i = 0; i < nopt && n < 64; i++) opts[n++] = options[i];
    nvrtcResult r = nvrtcCompileProgram(prog, n, opts);
    size_t log_size = 0;
    KGRL_NVRTC_CHECK(nvrtcGetProgramLogSize(prog, &log_size));
    kgrl_buf logb = KGRL_ZERO;
    if (r != NVRTC_SUCCESS && r != NVRTC_ERROR_COMPILATION)  // e.g. a name expression NVRTC could not instantiate
        kgrl_buf_printf(&logb, "NVRTC: %s\n", nvrtcGetErrorString(r));
    char *nvlog = (char *)kgrl_malloc(log_size + 1);
    KGRL_NVRTC_CHECK(nvrtcGetProgramLog(prog, nvlog));
    nvlog[log_size] = 0;
    kgrl_buf_puts(&logb, nvlog);
    kgrl_free(nvlog);
    out->log = logb.data;
    out->nnames = nnames;
    out->lowered = (char **)kgrl_calloc((size_t)(nnames > 0 ? nnames : 1), sizeof(char *));
    if (r == NVRTC_SUCCESS) {
        KGRL_NVRTC_CHECK(nvrtcGetCUBINSize(prog, &out->cubin_size));
        out->cubin = kgrl_malloc(out->cubin_size);
        KGRL_NVRTC_CHECK(nvrtcGetCUBIN(prog, (char *)out->cubin));
        for (int i = 0; i < nnames; i++) {
            const char *lowered = NULL;
            if (nvrtcGetLoweredName(prog, name_exprs[i], &lowered) == NVRTC_SUCCESS && lowered)
                out->lowered[i] = kgrl_strdup(lowered);
        }
        out->ok = true;
    }
    KGRL_NVRTC_CHECK(nvrtcDestroyProgram(&prog));
    if (out->ok && path[0]) kgrl__cubin_cache_write(path, out);
    out->compile_ms = 1e3 * (kgrl_now_s() - t0);
    return out->ok;
}

void kgrl_cubin_free(kgrl_cubin *c) {
    kgrl_free(c->log);
    kgrl_free(c->cubin);
    for (int i = 0; i < c->nnames && c->lowered; i++) kgrl_free(c->lowered[i]);
    kgrl_free(c->lowered);
    memset(c, 0, sizeof *c);
}

bool kgrl_module_load(const kgrl_cubin *c, kgrl_module *out, kgrl_err *err) {
    memset(out, 0, sizeof *out);
    cudaError_t e = cudaLibraryLoadData(&out->lib, c->cubin, NULL, NULL, 0, NULL, NULL, 0);
    if (e != cudaSuccess) {
        kgrl_err_set(err, "loading the cubin failed: %s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
        (void)cudaGetLastError();
        return false;
    }
    return true;
}

bool kgrl_module_kernel(const kgrl_module *m, const char *lowered_name, cudaKernel_t *out, kgrl_err *err) {
    cudaError_t e = cudaLibraryGetKernel(out, m->lib, lowered_name);
    if (e != cudaSuccess) {
        kgrl_err_set(err, "kernel \"%s\" not found in the module: %s", lowered_name, cudaGetErrorString(e));
        (void)cudaGetLastError();
        return false;
    }
    return true;
}

void kgrl_module_unload(kgrl_module *m) {
    if (m->lib) (void)cudaLibraryUnload(m->lib);
    m->lib = NULL;
}

cudaKernel_t kgrl_ctx_kernel(kgrl_ctx *ctx, const char *src, const char *name) {
    KGRL_CHECK(ctx->has_gpu, "kgrl_ctx_kernel(%s) needs a GPU: %s", name, ctx->no_gpu_reason);
    for (int i = 0; i < ctx->nkernels; i++)
        if (strcmp(ctx->kernels[i].name, name) == 0 && strcmp(ctx->kernels[i].src, src) == 0) return ctx->kernels[i].kernel;
    KGRL_CHECK(ctx->nkernels < 64, "more than 64 kit kernels in one ctx");
    kgrl_cubin c;
    const char *opts[] = {"-lineinfo"};
    if (!kgrl_nvrtc_compile(src, ctx->arch, opts, 1, NULL, 0, ctx->desc.cache_dir, &c))
        KGRL_FATAL_HINT("this is a bug in the kit's own kernels/", "NVRTC failed on the kit kernel %s:\n%s", name, c.log);
    kgrl__ctx_kernel *k = &ctx->kernels[ctx->nkernels];
    kgrl_err err;
    if (!kgrl_module_load(&c, &k->mod, &err) || !kgrl_module_kernel(&k->mod, name, &k->kernel, &err))
        KGRL_FATAL("%s", err.msg);
    kgrl_cubin_free(&c);
    k->src = kgrl_strdup(src);
    snprintf(k->name, sizeof k->name, "%s", name);
    ctx->nkernels++;
    return k->kernel;
}

void kgrl_launch(kgrl_ctx *ctx, cudaKernel_t k, dim3 grid, dim3 block, size_t smem, void **args) {
    KGRL_CUDA_CHECK(cudaLaunchKernel((const void *)k, grid, block, args, smem, ctx->stream));
}

// --- ceilings ----------------------------------------------------------------------------------

// The util kernels need the Philox source in front of them: build that text once per call site.
static char *kgrl__util_src(void) {
    kgrl_buf b = KGRL_ZERO;
    kgrl_buf_puts(&b, kgrl__kernel_philox_cuh);
    kgrl_buf_puts(&b, kgrl__kernel_util_cu);
    return b.data;
}

static double kgrl__time_copy_gbps(kgrl_ctx *ctx) {
    size_t bytes = (size_t)1 << 30; // 1 GiB each way: far beyond L2
    void *a, *b;
    KGRL_CUDA_CHECK(cudaMalloc(&a, bytes));
    KGRL_CUDA_CHECK(cudaMalloc(&b, bytes));
    KGRL_CUDA_CHECK(cudaMemsetAsync(a, 1, bytes, ctx->stream));
    cudaEvent_t e0, e1;
    KGRL_CUDA_CHECK(cudaEventCreate(&e0));
    KGRL_CUDA_CHECK(cudaEventCreate(&e1));
    KGRL_CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, ctx->stream)); // warm-up
    int reps = 20;
    KGRL_CUDA_CHECK(cudaEventRecord(e0, ctx->stream));
    for (int i = 0; i < reps; i++)
        KGRL_CUDA_CHECK(cudaMemcpyAsync(i % 2 ? a : b, i % 2 ? b : a, bytes, cudaMemcpyDeviceToDevice, ctx->stream));
    KGRL_CUDA_CHECK(cudaEventRecord(e1, ctx->stream));
    KGRL_CUDA_CHECK(cudaEventSynchronize(e1));
    float ms;
    KGRL_CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    KGRL_CUDA_CHECK(cudaEventDestroy(e0));
    KGRL_CUDA_CHECK(cudaEventDestroy(e1));
    KGRL_CUDA_CHECK(cudaFree(a));
    KGRL_CUDA_CHECK(cudaFree(b));
    return 2.0 * (double)bytes * reps / (ms * 1e-3) / 1e9; // bytes read + bytes written
}

// cuBLAS GEMM rate at 8192^3 on random data (zeros run faster on Hopper, METHOD.md).
static double kgrl__time_gemm_tflops(kgrl_ctx *ctx, bool bf16) {
    int n = 8192;
    size_t elems = (size_t)n * n, esize = bf16 ? 2 : 4;
    void *a, *b, *c;
    KGRL_CUDA_CHECK(cudaMalloc(&a, elems * esize));
    KGRL_CUDA_CHECK(cudaMalloc(&b, elems * esize));
    KGRL_CUDA_CHECK(cudaMalloc(&c, elems * 4));
    char *src = kgrl__util_src();
    cudaKernel_t fill = kgrl_ctx_kernel(ctx, src, bf16 ? "kgrl_fill_uniform_bf16" : "kgrl_fill_uniform_f32");
    uint64_t key = 1234, stream = kgrl_stream_id("ceilings");
    float lo = -1.0f, hi = 1.0f;
    unsigned long long nn = elems;
    void *args_a[] = {&a, &nn, &key, &stream, &lo, &hi};
    void *args_b[] = {&b, &nn, &key, &stream, &lo, &hi};
    kgrl_launch(ctx, fill, kgrl_dim3(1024, 1, 1), kgrl_dim3(256, 1, 1), 0, args_a);
    kgrl_launch(ctx, fill, kgrl_dim3(1024, 1, 1), kgrl_dim3(256, 1, 1), 0, args_b);
    float alpha = 1.0f, beta = 0.0f;
    KGRL_CUBLAS_CHECK(cublasSetMathMode(ctx->cublas, bf16 ? CUBLAS_DEFAULT_MATH : CUBLAS_PEDANTIC_MATH));
    cudaEvent_t e0, e1;
    KGRL_CUDA_CHECK(cudaEventCreate(&e0));
    KGRL_CUDA_CHECK(cudaEventCreate(&e1));
    int reps = 10;
    for (int i = -3; i < reps; i++) { // 3 warm-ups
        if (i == 0) KGRL_CUDA_CHECK(cudaEventRecord(e0, ctx->stream));
        KGRL_CUBLAS_CHECK(cublasGemmEx(ctx->cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha,
                                       a, bf16 ? CUDA_R_16BF : CUDA_R_32F, n, b, bf16 ? CUDA_R_16BF : CUDA_R_32F, n,
                                       &beta, c, CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
    KGRL_CUDA_CHECK(cudaEventRecord(e1, ctx->stream));
    KGRL_CUDA_CHECK(cudaEventSynchronize(e1));
    float ms;
    KGRL_CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    KGRL_CUBLAS_CHECK(cublasSetMathMode(ctx->cublas, CUBLAS_DEFAULT_MATH));
    KGRL_CUDA_CHECK(cudaEventDestroy(e0));
    KGRL_CUDA_CHECK(cudaEventDestroy(e1));
    KGRL_CUDA_CHECK(cudaFree(a));
    KGRL_CUDA_CHECK(cudaFree(b));
    KGRL_CUDA_CHECK(cudaFree(c));
    kgrl_free(src);
    return 2.0 * n * (double)n * n * reps / (ms * 1e-3) / 1e12;
}

// A device name as a file-name part: spaces and slashes become '_' ("NVIDIA_H200").
static void kgrl__gpu_file_name(const char *device_name, char *out, size_t cap) {
    size_t j = 0;
    for (const char *p = device_name; *p && j + 1 < cap; p++) out[j++] = (char)((*p == ' ' || *p == '/') ? '_' : *p);
    out[j] = 0;
}

static void kgrl__ceilings_path(const kgrl_ctx *ctx, char *path, size_t cap) {
    char name[256];
    kgrl__gpu_file_name(ctx->device_name, name, sizeof name);
    snprintf(path, cap, "%s/ceilings-%s.json", ctx->desc.cache_dir, name);
}

bool kgrl_measure_ceilings(kgrl_ctx *ctx, bool use_cache, kgrl_ceilings *out, kgrl_err *err) {
    memset(out, 0, sizeof *out);
    if (!ctx->has_gpu) { kgrl_err_set(err, "%s", ctx->no_gpu_reason); return false; }
    char path[1400];
    kgrl__ceilings_path(ctx, path, sizeof path);
    if (use_cache) {
        kgrl_json *j = kgrl_json_parse_file(path, NULL);
        if (j) {
            out->copy_gbps = kgrl_json_number_or(j, "copy_gbps", 0);
            out->bf16_tflops = kgrl_json_number_or(j, "bf16_tflops", 0);
            out->fp32_tflops = kgrl_json_number_or(j, "fp32_tflops", 0);
            kgrl_json_free(j);
            if (out->copy_gbps > 0 && out->bf16_tflops > 0 && out->fp32_tflops > 0) { out->cached = true; return true; }
        }
    }
    out->copy_gbps = kgrl__time_copy_gbps(ctx);
    out->bf16_tflops = kgrl__time_gemm_tflops(ctx, true);
    out->fp32_tflops = kgrl__time_gemm_tflops(ctx, false);
    kgrl_buf b = KGRL_ZERO;
    kgrl_json_writer w = KGRL_ZERO;
    w.out = &b;
    kgrl_jw_begin_object(&w);
    kgrl_jw_key(&w, "device"); kgrl_jw_string(&w, ctx->device_name);
    kgrl_jw_key(&w, "copy_gbps"); kgrl_jw_number(&w, out->copy_gbps);
    kgrl_jw_key(&w, "bf16_tflops"); kgrl_jw_number(&w, out->bf16_tflops);
    kgrl_jw_key(&w, "fp32_tflops"); kgrl_jw_number(&w, out->fp32_tflops);
    kgrl_jw_end_object(&w);
    kgrl_mkdirs(ctx->desc.cache_dir, NULL);
    bool ok = kgrl_write_file_atomic(path, b.data, b.len, err);
    kgrl_buf_free(&b);
    return ok;
}
