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

// Modules: a loaded cubin in the current device's context (runtime "library").
typedef struct kgrl_module { cudaLibrary_t lib; } kgrl_module;
KGRL_API bool kgrl_module_load(const kgrl_cubin *c, kgrl_module *out, kgrl_err *err);
KGRL_API bool kgrl_module_kernel(const kgrl_module *m, const char *lowered_name, cudaKernel_t *out, kgrl_err *err);
KGRL_API void kgrl_module_unload(kgrl_module *m);

// The kit's own kernels: compile `src` (one of the kernels/ sources, embedded) once per ctx and
// return the kernel named `name` (extern "C"). Aborts with the NVRTC log if the kit's code fails.
KGRL_API cudaKernel_t kgrl_ctx_kernel(kgrl_ctx *ctx, const char *src, const char *name);

// Ceilings (DESIGN §8), measured once per device and cached in cache_dir/ceilings-<name>.json:
// device-to-device copy bandwidth (bytes read + written per second) and bf16 GEMM rate (cuBLAS,
// 8192^3 on random data, fp32 accumulation).
typedef struct kgrl_ceilings { double copy_gbps; double bf16_tflops; double fp32_tflops; bool cached; } kgrl_ceilings;
KGRL_API bool kgrl_measure_ceilings(kgrl_ctx *ctx, bool use_cache, kgrl_ceilings *out, kgrl_err *err);

// kgrl:implementation
