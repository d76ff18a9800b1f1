// Model engine, GPU: the CPU reference of src/12_model.h and src/13_train.h on the device. Every op is
// `kgrl_gpu_<op>_forward/_backward` with the CPU op's argument order, device pointers, the engine
// first and the storage dtype last; kernels live in kernels/engine.cu (NVRTC), GEMMs go to cuBLAS
// (bf16 inputs with fp32 accumulation; fp32 inputs with CUBLAS_COMPUTE_32F_PEDANTIC, so no TF32),
// those with a bias to cuBLASLt with the bias epilogue (fp32: CUBLAS_COMPUTE_32F, no TF32 in Lt).
// The forward fuses what is cheap and exact: q/k rope with the KV-cache writes, each residual add
// with the RMSNorm after it; kgrl_gpu_sample runs its decode steps from device state in a CUDA graph.
// A decode step of <= 16 rows (T = 1, an inference plan) runs its projections on a GEMV kernel instead
// of cuBLAS, which is latency-bound at one row and whose sums depend on the row count (kgrl_k_gemv:
// q/k/v in one launch with the biases, the LoRA B products, the rope and the KV-cache writes in its
// epilogue; o and down with the residual add and the next RMSNorm; gate/up with the swiglu:
// kgrl__decode_fused); in bf16 it rounds the LoRA term together with the product, one rounding fewer
// than the cuBLAS path. Every kernel launches with
// programmatic dependent launch on sm_90+ (kgrl__ek), so a kernel's start overlaps the end of the
// one before it.
//
// Storage: weights and activations in one dtype, bf16 (default) or fp32 (the exactness path);
// LoRA parameters, their gradients and the AdamW moments in fp32, with a bf16 shadow copy of the
// LoRA parameters that the GEMMs read (refreshed by kgrl_gpu_lora_sync after each optimizer step,
// as torch autocast casts them). Reductions run in a fixed order inside one block per row, so a
// row's results do not depend on the batch around it and runs repeat bit for bit, full-parameter
// training too: the embedding's and the norm weights' gradients sum their rows in a fixed order, with
// no atomics (with atomics one seed's pretraining gave another model each run; twentieth session).
//
// Attention has three paths: a training plan's forward and backward run on cuBLAS batched GEMMs (one
// fp32 (T, T) score matrix per row and head, P and dS rounded to the storage dtype as torch's flash
// attention does); a decode step (T = 1) splits the cache into chunks (split-KV); an inference
// prefill walks the slots per query (kgrl_gpu_attention_forward, also the op the tests compare).
//
// Differences from the CPU activations: attention keeps the log-sum-exp of each query row (L, B, NH, T)
// instead of the probabilities (L, B, NH, T, T) and the backward recomputes them, an inference plan
// (desc.training false) keeps one layer's activations, reused by every layer, and so does a training
// plan with desc.checkpoint, whose backward recomputes each layer from its input.
//
// Use:
//     kgrl_engine *e = kgrl_engine_create(ctx);                              // compiles kernels/engine.cu
//     kgrl_gpu_model *gm = kgrl_gpu_model_upload(e, m, KGRL_ENGINE_BF16);    // m from kgrl_model_load
//     kgrl_gpu_lora *gl = kgrl_gpu_lora_upload(e, lora, KGRL_ENGINE_BF16);   // or NULL
//     kgrl_engine_desc d = {.max_batch = B, .max_tokens = T, .training = true};
//     kgrl_gpu_acts *a = kgrl_gpu_acts_create(e, gm, gl, &d);               // the whole memory plan
//     kgrl_gpu_model_forward(e, gm, gl, a, tokens, NULL, mask, B, T);        // host ints; a->logits
//     kgrl_gpu_logprobs_forward(...); loss on the host (13_train.h); kgrl_gpu_logprobs_backward(...)
//     kgrl_gpu_model_backward(e, gm, gl, a, NULL);                           // += into gl->grads
//     kgrl_gpu_lora_step(e, gl, &adamw, lr, max_norm);                       // clip, AdamW, sync, zero

typedef enum kgrl_engine_dtype { KGRL_ENGINE_BF16 = 0, KGRL_ENGINE_F32 } kgrl_engine_dtype;

enum {
    KGRL__EK_EMBED_F, KGRL__EK_EMBED_B, KGRL__EK_RMS_F, KGRL__EK_RMS_B, KGRL__EK_ADD_RMS_F, KGRL__EK_COLSUM,
    KGRL__EK_SWIGLU_F, KGRL__EK_SWIGLU_B, KGRL__EK_DROPOUT, KGRL__EK_CAST, KGRL__EK_TO_F32,
    KGRL__EK_ROPE, KGRL__EK_ATT_F, KGRL__EK_ATT_PRE, KGRL__EK_LP_F,
    KGRL__EK_LP_B, KGRL__EK_ADAMW, KGRL__EK_SUMSQ, KGRL__EK_SCALE, KGRL__EK_SAMPLE, KGRL__EK_ROPE_QKV,
    KGRL__EK_DECODE_ADVANCE, KGRL__EK_ATT_DEC,
    KGRL__EK_ATT_PTRS, KGRL__EK_ATT_SM_F, KGRL__EK_ATT_SM_B, KGRL__EK_ATT_DKV_SUM, KGRL__EK_GEMV, KGRL__EK_GEMV1, KGRL__EK_GEMV1_NORM, KGRL__EK_GEMV_LOOP, KGRL__EK_GEMV_STREAM, KGRL__EK_GEMV_COPY, KGRL__EK_GEMV_MMA, KGRL__EK_SAMPLE_GREEDY,
    KGRL__EK_GEMV16, KGRL__EK_GEMV16_LOOP, KGRL__EK_GEMV16_COPY, KGRL__EK_GEMV16_MMA, KGRL__EK_GEMV_MMA_WIDE, KGRL__EK_GEMV16_MMA_WIDE, KGRL__EK_GEMV_MMA_GLU, KGRL__EK_GEMV16_MMA_GLU,
    KGRL__EK_GEMV32_MMA, KGRL__EK_GEMV32_MMA_WIDE, KGRL__EK_GEMV32_MMA_GLU, KGRL__EK_GEMV64_MMA, KGRL__EK_GEMV64_MMA_GLU, KGRL__EK_COUNT
};

// A cuBLASLt algorithm of a bias GEMM for key (N, C, OC, bf16, the alignments of W, inp, out, bias).
typedef struct kgrl__lt_algo { int key[8]; cublasLtMatmulAlgo_t algo; } kgrl__lt_algo;

// The engine: a ctx plus the compiled kernels/engine.cu module (one NVRTC compile, cached on disk).
typedef struct kgrl_engine {
    kgrl_ctx *ctx;
    kgrl_module mod;
    cudaKernel_t k[KGRL__EK_COUNT];
    double *partials;        // (256) device scratch of kgrl_gpu_clip_grad_norm
    int *groups;             // (groups_cap) device scratch of kgrl_gpu_embedding_backward: ids, start, pos
    size_t groups_cap;
    // the bias GEMMs' cuBLASLt heuristics (a query costs ~10 us of host time, a decode step makes
    // three per layer): a ring of the last 64 keys
    kgrl__lt_algo lt[64];
    int n_lt;                // keys ever stored
    // launch the kernels with programmatic dependent launch (kernels/engine.cu, kgrl_dep_wait): on by
    // kgrl_engine_create where the GPU has it (sm_90+); exp04 turns it off to measure what it gives
    bool pdl;
} kgrl_engine;

// The kernel source as NVRTC sees it: kernels/philox.cuh + kernels/engine.cu (free with kgrl_free).
KGRL_API char *kgrl_engine_source(void);
// The extern "C" names of every engine kernel (for tests that compile the source without a GPU).
KGRL_API const char *kgrl_engine_kernel_name(int i);
KGRL_API kgrl_engine *kgrl_engine_create(kgrl_ctx *ctx);   // aborts without a GPU
KGRL_API void kgrl_engine_destroy(kgrl_engine *e);

// ---------------------------------------------------------------------------------------------
// Ops (device pointers; `bf16` = tensors stored as bf16, else fp32). Same contracts as the CPU ops:
// forward overwrites, backward accumulates (+=); gradients of LoRA/weights/biases/norm weights are
// fp32 whatever the storage dtype.
KGRL_API void kgrl_gpu_embedding_forward(kgrl_engine *e, void *out, const int *tokens, const void *wte, int N, int C, bool bf16);
// h_tokens is a host array: the positions are grouped by token on the host, so each row of dwte sums
// its positions in order, without atomics (the same bits every run)
KGRL_API void kgrl_gpu_embedding_backward(kgrl_engine *e, float *dwte, const void *dout, const int *h_tokens, int N, int C, bool bf16);
KGRL_API void kgrl_gpu_rmsnorm_forward(kgrl_engine *e, void *out, float *rstd, const void *inp, const void *weight, float eps,
                                       int N, int C, bool bf16);
KGRL_API void kgrl_gpu_rmsnorm_backward(kgrl_engine *e, void *dinp, float *dweight, const void *dout, const void *inp,
                                        const void *weight, const float *rstd, int N, int C, bool bf16);
// out (N, OC) = inp (N, C) @ weight (OC, C)^T + bias (cuBLASLt's bias epilogue: the sum is rounded to
// the storage dtype once, as torch's addmm); dweight/dbias fp32 (may be NULL)
KGRL_API void kgrl_gpu_matmul_forward(kgrl_engine *e, void *out, const void *inp, const void *weight, const void *bias,
                                      int N, int C, int OC, bool bf16);
KGRL_API void kgrl_gpu_matmul_backward(kgrl_engine *e, void *dinp, float *dweight, float *dbias, const void *dout,
                                       const void *inp, const void *weight, int N, int C, int OC, bool bf16);
// LoRA: A (R, C), B (OC, R) in the storage dtype (the shadow); xa (N, R). scratch: (N, C) elements.
KGRL_API void kgrl_gpu_lora_forward(kgrl_engine *e, void *out, void *xa, const void *inp, const void *A, const void *B,
                                    float scaling, float p, uint64_t seed, uint64_t stream, int N, int C, int OC, int R,
                                    void *scratch, bool bf16);
// dA, dB fp32 (may be NULL); dxa (N, R) and scratch (N, C) are scratch.
KGRL_API void kgrl_gpu_lora_backward(kgrl_engine *e, void *dinp, float *dA, float *dB, void *dxa, const void *dout,
                                     const void *xa, const void *inp, const void *A, const void *B, float scaling, float p,
                                     uint64_t seed, uint64_t stream, int N, int C, int OC, int R, void *scratch, bool bf16);
KGRL_API void kgrl_gpu_rope_forward(kgrl_engine *e, void *out, const void *inp, const int *pos, const float *inv_freq,
                                    int N, int NH, int HS, bool bf16);
KGRL_API void kgrl_gpu_rope_backward(kgrl_engine *e, void *dinp, const void *dout, const int *pos, const float *inv_freq,
                                     int N, int NH, int HS, bool bf16);
// As kgrl_attention_forward, with lse (B, NH, Tq) fp32 in place of the probabilities. HS <= 256.
KGRL_API void kgrl_gpu_attention_forward(kgrl_engine *e, void *out, float *lse, const void *q, const void *k, const void *v,
                                         const int *kmask, int B, int Tq, int Tk, int t0, int NH, int KVH, int HS, bool bf16);
KGRL_API void kgrl_gpu_swiglu_forward(kgrl_engine *e, void *out, const void *gate, const void *up, size_t n, bool bf16);
KGRL_API void kgrl_gpu_swiglu_backward(kgrl_engine *e, void *dgate, void *dup, const void *dout, const void *gate,
                                       const void *up, size_t n, bool bf16);
// lp, lse (N) fp32; logits (N, V) in the storage dtype
KGRL_API void kgrl_gpu_logprobs_forward(kgrl_engine *e, float *lp, float *lse, const void *logits, const int *targets,
                                        float temperature, int N, int V, bool bf16);
KGRL_API void kgrl_gpu_logprobs_backward(kgrl_engine *e, void *dlogits, const float *dlp, const void *logits,
                                         const float *lse, const int *targets, float temperature, int N, int V, bool bf16);
KGRL_API void kgrl_gpu_adamw_step(kgrl_engine *e, const kgrl_adamw_desc *d, float lr, int step, float *p, const float *g,
                                  float *m, float *v, size_t n);
KGRL_API double kgrl_gpu_clip_grad_norm(kgrl_engine *e, float *const *grads, const size_t *n, int nblocks, float max_norm);
// Conversions between the storage dtype and fp32 (device to device).
KGRL_API void kgrl_gpu_to_f32(kgrl_engine *e, float *out, const void *inp, size_t n, bool bf16);
KGRL_API void kgrl_gpu_from_f32(kgrl_engine *e, void *out, const float *inp, size_t n, bool bf16);

// ---------------------------------------------------------------------------------------------
// Model and LoRA on the device
typedef struct kgrl_gpu_model {
    kgrl_model_config cfg;
    bool bf16;
    size_t esize;            // bytes per stored element
    size_t n_params;
    void *params;            // (n_params) the host model's block, same offsets
    size_t *layer_off;       // (L, KGRL_W_COUNT) host copy of the offsets
    size_t embed_off, norm_off, lm_head_off;
    float *rope_inv_freq;    // device (HS/2)
    // full-parameter training only (kgrl_gpu_model_train_init), else NULL: fp32 master weights (the
    // stored weights themselves in fp32 storage; a separate copy under bf16, cast after each step),
    // their gradients and AdamW moments, all (n_params) on the device
    float *master, *grads, *adam_m, *adam_v;
    int step;                // optimizer steps taken
} kgrl_gpu_model;
KGRL_API kgrl_gpu_model *kgrl_gpu_model_upload(kgrl_engine *e, const kgrl_model *m, kgrl_engine_dtype dtype);
KGRL_API void kgrl_gpu_model_free(kgrl_gpu_model *gm);
// Device pointer to a layer tensor (NULL when the config has none).
KGRL_API void *kgrl_gpu_model_tensor(const kgrl_gpu_model *gm, int layer, int which);
// Full-parameter training: the master weights from host (n_params fp32, the weights the model was
// uploaded from, so bf16 storage starts from them and not from their rounding), the gradients
// (zeroed) and AdamW moments.
KGRL_API void kgrl_gpu_model_train_init(kgrl_engine *e, kgrl_gpu_model *gm, const float *host);
// clip_grad_norm (max_norm <= 0: no clipping), AdamW on the master, cast to the stored weights,
// zero_grad. Returns the norm before clipping.
KGRL_API double kgrl_gpu_model_step(kgrl_engine *e, kgrl_gpu_model *gm, const kgrl_adamw_desc *d, float lr, float max_norm);
KGRL_API void kgrl_gpu_model_zero_grad(kgrl_engine *e, kgrl_gpu_model *gm);
// The master weights to the host (n_params floats) and back (the stored weights follow).
KGRL_API void kgrl_gpu_model_master_download(kgrl_engine *e, const kgrl_gpu_model *gm, float *host);
KGRL_API void kgrl_gpu_model_master_upload(kgrl_engine *e, kgrl_gpu_model *gm, const float *host);

typedef struct kgrl_gpu_lora {
    kgrl_lora_desc desc;
    bool bf16;
    int n_layers, R;
    float scaling;
    int in_dim[KGRL_LORA_NMOD], out_dim[KGRL_LORA_NMOD];
    size_t n_params;
    size_t *a_off, *b_off;   // (L, 7) host copies; KGRL_ABSENT where not targeted
    float *params, *grads;   // device fp32 (n_params)
    float *m, *v;            // AdamW moments, fp32
    void *shadow;            // params in the storage dtype (== params when fp32)
    int step;                // optimizer steps taken
} kgrl_gpu_lora;
KGRL_API kgrl_gpu_lora *kgrl_gpu_lora_upload(kgrl_engine *e, const kgrl_lora *lora, kgrl_engine_dtype dtype);
KGRL_API void kgrl_gpu_lora_download(kgrl_engine *e, const kgrl_gpu_lora *gl, kgrl_lora *lora);  // params to host
KGRL_API void kgrl_gpu_lora_grads_download(kgrl_engine *e, const kgrl_gpu_lora *gl, float *host); // (n_params)
KGRL_API void kgrl_gpu_lora_sync(kgrl_engine *e, kgrl_gpu_lora *gl);          // shadow = params
KGRL_API void kgrl_gpu_lora_zero_grad(kgrl_engine *e, kgrl_gpu_lora *gl);
// clip_grad_norm (max_norm <= 0: no clipping), AdamW, sync, zero_grad. Returns the norm before clipping.
KGRL_API double kgrl_gpu_lora_step(kgrl_engine *e, kgrl_gpu_lora *gl, const kgrl_adamw_desc *d, float lr, float max_norm);
KGRL_API void kgrl_gpu_lora_free(kgrl_gpu_lora *gl);

// ---------------------------------------------------------------------------------------------
// Activations and the memory plan. Zero means default: max_batch 1, max_tokens 1024 (capped at
// max_pos), training false. last_logits (inference): logits only for each sequence's last token,
// (B, V) instead of (B*T, V) — what sampling needs.
typedef struct kgrl_engine_desc {
    int max_batch;           // B rows (sequences)
    int max_tokens;          // T (KV capacity)
    bool training;           // keep every layer's activations for kgrl_gpu_model_backward
    bool checkpoint;         // training: keep only each layer's input; the backward recomputes the rest
    bool last_logits;
} kgrl_engine_desc;

typedef struct kgrl_gpu_acts {
    kgrl_engine_desc desc;   // resolved
    int B, T, L, C, NH, KVH, HS, F, V, R;
    bool bf16;
    size_t esize;
    int len, nb, nt;         // as kgrl_model_acts
    bool full;
    bool lora_dropout;
    uint64_t dropout_seed;
    size_t planned_bytes;    // the plan's total
    size_t measured_bytes;   // device memory taken by the plan (cudaMemGetInfo before/after)
    void *block;             // everything below lives in this one allocation
    // host mirrors
    int *h_tokens, *h_pos, *h_kmask, *h_next_pos;   // (B*T), (B*T), (B*T), (B)
    int *h_start;            // (B) each row's first real slot (kgrl__upload_start)
    // device ints
    int *tokens, *pos, *kmask, *targets, *rows;     // (B*T) x4, rows (B*T) for the sampler
    int *next_pos, *slot;    // (B), (1): device twins of h_next_pos and of the newest token's KV slot,
                             // for the decode step that kgrl_gpu_sample runs without the host
    int *start;              // (B) device twin of h_start: the attention counts a row's slots from there
    bool padded;             // some row's h_start > 0 (else the decode attention is passed NULL: kgrl__att_start)
    // per layer (training) or one layer reused (inference): layer stride ls_* in elements
    size_t ls_c, ls_q, ls_k, ls_f, ls_r, ls_nh, ls_kvh, ls_lse, ls_xa;
    void *res;               // (L+1 or 2, B*T, C)
    void *mid, *ln1, *ln2;   // (L', B*T, C)
    float *ln1_rstd, *ln2_rstd, *lnf_rstd;  // (L', B*T), (B*T)
    void *qr, *kr, *q, *atty; // (L', B*T, QD|KD)
    float *q_rstd, *k_rstd;  // (L', B*T, NH|KVH)
    void *k, *v;             // (L, B, T, KVH, HS) KV cache, slot-indexed
    float *lse;              // (L', B, NH, T)
    void *gate, *up, *hact;  // (L', B*T, F)
    void *lnf;               // (B*T, C)
    void *xa;                // (L', 7, B*T, R)
    void *logits, *dlogits;  // (B*T or B, V); dlogits only when training
    float *lp, *lp_lse, *dlp;// (B*T) fp32 for the losses
    // scratch
    void *d_res, *d_ln;      // (B*T, C)
    void *d_atty, *d_q, *d_k, *d_v, *d_vc;  // (B*T, QD), (B*T, QD), (B, T, KD) x2, (B*T, KD)
    void *d_gate, *d_up, *d_h;             // (B*T, F)
    void *d_xa;              // (B*T, R)
    void *d_norm, *d_qn, *d_kn;            // (B*T, max(QD,KD)), (B*T, QD), (B*T, KD)
    float *d_D;              // (B, NH, T)
    float *att_part;         // (B, NH, kgrl__att_chunks(T), 2 + HS) split-KV decode partials (kernels/engine.cu)
    unsigned int *att_count; // (B, NH) decode attention chunks done (zero between launches)
    // training plans: the batched-GEMM attention (kgrl__attention_fwd_gemm / _bwd_gemm)
    float *att_s, *att_dp;   // (B, NH, T, T) fp32 scores, dP
    void *att_p, *att_ds;    // (B, NH, T, T) storage dtype P, dS
    float *att_dkh, *att_dvh;// (B, NH, T, HS) fp32 per-query-head dK, dV
    void **att_ptrs;         // (3, B*NH) the pointer arrays of one batched GEMM
    void *scratch;           // (B*T, max(C, QD, F)) LoRA dropout scratch
    void *last;              // (B, C) last-token rows of lnf (last_logits)
} kgrl_gpu_acts;
// Bytes the plan would take (no allocation): for choosing B and T before creating.
KGRL_API size_t kgrl_gpu_acts_plan_bytes(const kgrl_model_config *cfg, int lora_rank, bool bf16, const kgrl_engine_desc *desc);
KGRL_API kgrl_gpu_acts *kgrl_gpu_acts_create(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl,
                                             const kgrl_engine_desc *desc);
KGRL_API void kgrl_gpu_acts_free(kgrl_gpu_acts *a);
KGRL_API void kgrl_gpu_acts_reset(kgrl_gpu_acts *a);

// As kgrl_model_forward / _decode / _backward; tokens, pos, mask are host arrays (B, T).
// The backward accumulates into gl->grads (and model_grads) from a->dlogits.
KGRL_API void kgrl_gpu_model_forward(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                     const int *tokens, const int *pos, const int *mask, int B, int T);
KGRL_API void kgrl_gpu_model_decode(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                    const int *tokens, const int *pos, const int *mask, int B, int T);
// model_grads: NULL (base weights frozen) or a device block of gm->n_params fp32 gradients at the
// weights' offsets (full-parameter training; tied embeddings get both uses' gradients).
KGRL_API void kgrl_gpu_model_backward(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                      float *model_grads);
// Logits of the last call as fp32 on the host: (nb*nt or nb, V) floats.
KGRL_API void kgrl_gpu_logits_download(kgrl_engine *e, const kgrl_gpu_acts *a, float *host);
// Copies the KV cache and slot state of sequence row `src` to row `dst` (shared prompt prefill).
KGRL_API void kgrl_gpu_acts_copy_row(kgrl_engine *e, kgrl_gpu_acts *a, int dst, int src);

// kgrl:implementation

static const char *const kgrl__engine_kernel_names[KGRL__EK_COUNT] = {
    "kgrl_k_embedding_fwd", "kgrl_k_embedding_bwd", "kgrl_k_rmsnorm_fwd", "kgrl_k_rmsnorm_bwd", "kgrl_k_add_rmsnorm_fwd",
    "kgrl_k_colsum", "kgrl_k_swiglu_fwd", "kgrl_k_swiglu_bwd", "kgrl_k_dropout", "kgrl_k_cast",
    "kgrl_k_to_f32", "kgrl_k_rope", "kgrl_k_attention_fwd", "kgrl_k_attention_bwd_pre",
    "kgrl_k_logprobs_fwd", "kgrl_k_logprobs_bwd", "kgrl_k_adamw", "kgrl_k_sumsq",
    "kgrl_k_scale", "kgrl_k_sample", "kgrl_k_rope_qkv", "kgrl_k_decode_advance", "kgrl_k_attention_decode",
    "kgrl_k_attention_ptrs", "kgrl_k_attention_softmax_fwd",
    "kgrl_k_attention_softmax_bwd", "kgrl_k_attention_dkv_sum", "kgrl_k_gemv", "kgrl_k_gemv1", "kgrl_k_gemv1_norm", "kgrl_k_gemv_loop", "kgrl_k_gemv_stream", "kgrl_k_gemv_copy", "kgrl_k_gemv_mma", "kgrl_k_sample_greedy",
    "kgrl_k_gemv16", "kgrl_k_gemv16_loop", "kgrl_k_gemv16_copy", "kgrl_k_gemv16_mma", "kgrl_k_gemv_mma_wide", "kgrl_k_gemv16_mma_wide", "kgrl_k_gemv_mma_glu", "kgrl_k_gemv16_mma_glu",
    "kgrl_k_gemv32_mma", "kgrl_k_gemv32_mma_wide", "kgrl_k_gemv32_mma_glu", "kgrl_k_gemv64_mma", "kgrl_k_gemv64_mma_glu"};

const char *kgrl_engine_kernel_name(int i) { return (i >= 0 && i < KGRL__EK_COUNT) ? kgrl__engine_kernel_names[i] : NULL; }

char *kgrl_engine_source(void) {
    kgrl_buf b = KGRL_ZERO;
    kgrl_buf_puts(&b, kgrl__kernel_philox_cuh);
    kgrl_buf_puts(&b, kgrl__kernel_engine_cu);
    return b.data;
}

#define KGRL__ATT_DEC_THREADS 256   // KGRL_ATT_DEC_THREADS in kernels/engine.cu
// The decode attention's dynamic shared memory at most: a chunk's keys and values, CH rows of HS + 2
// bf16 or HS + 1 fp32 values (kgrl_att_row in kernels/engine.cu) with CH * HS of at most 32 KiB
// (kgrl__att_chunk), so 2 * (32 KiB + 256 * 4 bytes); the combine's 2 * nchunk floats are less.
#define KGRL__ATT_DEC_SMEM (2 * (32768 + KGRL__ATT_DEC_THREADS * 4))
#define KGRL__GEMV_XS_BYTES (48 * 1024)   // the most x a staged multi-row GEMV holds (kgrl__gemv; opted in)
// kgrl_k_gemv_loop's blocks an SM, all resident at once on sm_90: its launch bounds (128 registers
// a thread) and 4 x (48 KiB + its static shared memory) of the SM's 228 KiB. kgrl_k_gemv16_loop may
// hold twice the x, at fewer blocks an SM (kgrl__gemv_launch)
#define KGRL__GEMV_LOOP_BLOCKS 4
#define KGRL__GEMV_BLOCKS 4   // kgrl_k_gemv's blocks an SM, all resident at once: its launch bounds
// kgrl_k_gemv_copy's x in shared memory: what a block may hold beside its static shared memory (3 KiB,
// kgrl_k_gemv16_copy's 6 KiB: ptxas -v, sm_90)
#define KGRL__GEMV_COPY_BYTES(ctx) ((ctx)->smem_optin_bytes - 8192)
#define KGRL__GEMV_GLU_SMEM(ctx) ((ctx)->smem_optin_bytes - 24576)   // kgrl__gemv_mma's GLU x: 16 KiB of parts static
kgrl_engine *kgrl_engine_create(kgrl_ctx *ctx) {
    KGRL_CHECK(ctx && ctx->has_gpu, "kgrl_engine_create needs a GPU: %s", ctx ? ctx->no_gpu_reason : "no ctx");
    kgrl_engine *e = (kgrl_engine *)kgrl_calloc(1, sizeof *e);
    e->ctx = ctx;
    char *src = kgrl_engine_source();
    kgrl_cubin c;
    const char *opts[] = {"-lineinfo"};
    if (!kgrl_nvrtc_compile(src, ctx->arch, opts, 1, NULL, 0, ctx->desc.cache_dir, &c))
        KGRL_FATAL_HINT("this is a bug in kernels/engine.cu", "NVRTC failed on kernels/engine.cu:\n%s", c.log);
    kgrl_free(src);
    kgrl_err err;
    if (!kgrl_module_load(&c, &e->mod, &err)) KGRL_FATAL("%s", err.msg);
    kgrl_cubin_free(&c);
    for (int i = 0; i < KGRL__EK_COUNT; i++)
        if (!kgrl_module_kernel(&e->mod, kgrl__engine_kernel_names[i], &e->k[i], &err)) KGRL_FATAL("%s", err.msg);
    KGRL_CUDA_CHECK(cudaMalloc((void **)&e->partials, 256 * sizeof(double)));
    // the decode attention's chunks need more than the 48 KiB a block gets without opting in
    KGRL_CHECK(ctx->smem_optin_bytes >= KGRL__ATT_DEC_SMEM + 8192, "the GPU's %zu bytes of shared memory a block are too few "
               "for the decode attention's %d (and its static 4 KiB)", ctx->smem_optin_bytes, KGRL__ATT_DEC_SMEM);
    KGRL_CUDA_CHECK(cudaKernelSetAttributeForDevice(e->k[KGRL__EK_ATT_DEC], cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                    KGRL__ATT_DEC_SMEM, ctx->device));
    // the multi-row GEMVs' staged or copied x beside their ~1-6 KiB of static shared memory (the GLU
    // tensor-core launches' normalized x beside 16 KiB)
    // (kgrl__gemv_launch; kgrl_k_gemv16_loop stages up to twice KGRL__GEMV_XS_BYTES)
    const int gemv_k[10] = {KGRL__EK_GEMV, KGRL__EK_GEMV_LOOP, KGRL__EK_GEMV16, KGRL__EK_GEMV16_LOOP, KGRL__EK_GEMV_COPY,
                            KGRL__EK_GEMV16_COPY, KGRL__EK_GEMV_MMA_GLU, KGRL__EK_GEMV16_MMA_GLU, KGRL__EK_GEMV32_MMA_GLU,
                            KGRL__EK_GEMV64_MMA_GLU};
    // (the 16-row ones up to the copy kernel's most: their chunk-major x's pads, kgrl__gemv_cm_bytes)
    const int gemv_smem[10] = {KGRL__GEMV_XS_BYTES, KGRL__GEMV_XS_BYTES, (int)KGRL__GEMV_COPY_BYTES(ctx), (int)KGRL__GEMV_COPY_BYTES(ctx),
                               (int)KGRL__GEMV_COPY_BYTES(ctx), (int)KGRL__GEMV_COPY_BYTES(ctx), (int)KGRL__GEMV_GLU_SMEM(ctx),
                               (int)KGRL__GEMV_GLU_SMEM(ctx), (int)KGRL__GEMV_GLU_SMEM(ctx), (int)KGRL__GEMV_GLU_SMEM(ctx)};
    for (int i = 0; i < 10; i++)
        KGRL_CUDA_CHECK(cudaKernelSetAttributeForDevice(e->k[gemv_k[i]], cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                        gemv_smem[i], ctx->device));
    e->pdl = ctx->cc_major >= 9;
    return e;
}

void kgrl_engine_destroy(kgrl_engine *e) {
    if (!e) return;
    KGRL_CUDA_CHECK(cudaFree(e->partials));
    if (e->groups) KGRL_CUDA_CHECK(cudaFree(e->groups));
    kgrl_module_unload(&e->mod);
    kgrl_free(e);
}

// grid for a grid-stride loop over n elements
static unsigned kgrl__grid(size_t n, unsigned block) {
    size_t g = (n + block - 1) / block;
    if (g > 65535 * 4) g = 65535 * 4;
    return (unsigned)(g ? g : 1);
}
// Every engine kernel launches here: with programmatic dependent launch where e->pdl (the kernel's
// blocks may start while the kernel before it in the stream finishes; each waits in kgrl_dep_wait
// before it touches what that kernel writes).
// smem: bytes of dynamic shared memory (0 but for the decode attention).
static void kgrl__ek_smem(kgrl_engine *e, int k, unsigned gx, unsigned gy, unsigned gz, unsigned block, size_t smem,
                          void **args) {
    cudaLaunchAttribute at = KGRL_ZERO;
    at.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    at.val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t cfg = KGRL_ZERO;
    cfg.gridDim = kgrl_dim3(gx, gy, gz);
    cfg.blockDim = kgrl_dim3(block, 1, 1);
    cfg.dynamicSmemBytes = smem;
    cfg.stream = e->ctx->stream;
    cfg.attrs = &at;
    cfg.numAttrs = e->pdl ? 1 : 0;
    KGRL_CUDA_CHECK(cudaLaunchKernelExC(&cfg, (const void *)e->k[k], args));
}
static void kgrl__ek(kgrl_engine *e, int k, unsigned gx, unsigned gy, unsigned gz, unsigned block, void **args) {
    kgrl__ek_smem(e, k, gx, gy, gz, block, 0, args);
}

// Copies on the kit's stream, waited for. ctx->stream is non-blocking, so the legacy default stream's
// cudaMemcpy/cudaMemset would not be ordered with the kernels: every copy of the engine goes here.
static void kgrl__ecopy(kgrl_engine *e, void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind) {
    if (!bytes) return;
    KGRL_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, e->ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(e->ctx->stream));
}
static void kgrl__ezero(kgrl_engine *e, void *dst, size_t bytes) {
    KGRL_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, e->ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(e->ctx->stream));
}

// Column-major cuBLAS call for row-major tensors. Inputs share one dtype; C is fp32 when c_f32.
static void kgrl__gemm(kgrl_engine *e, bool ta, bool tb, int m, int n, int k, float alpha, const void *A, int lda,
                       const void *B, int ldb, float beta, void *C, int ldc, bool bf16, bool c_f32) {
    if (m <= 0 || n <= 0) return;
    cudaDataType_t in = bf16 ? CUDA_R_16BF : CUDA_R_32F, out = c_f32 ? CUDA_R_32F : in;
    cublasComputeType_t ct = bf16 ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_PEDANTIC; // fp32: no TF32
    KGRL_CUBLAS_CHECK(cublasGemmEx(e->ctx->cublas, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k,
                                   &alpha, A, in, lda, B, in, ldb, &beta, C, out, ldc, ct, CUBLAS_GEMM_DEFAULT));
}
// out (N, OC) = alpha * inp (N, C) @ W (OC, C)^T + beta * out
static void kgrl__mm(kgrl_engine *e, void *out, const void *inp, const void *W, int N, int C, int OC, float alpha, float beta, bool bf16) {
    kgrl__gemm(e, true, false, OC, N, C, alpha, W, C, inp, C, beta, out, OC, bf16, false);
}
// dinp (N, C) = alpha * dout (N, OC) @ W (OC, C) + beta * dinp
static void kgrl__mm_dinp(kgrl_engine *e, void *dinp, const void *dout, const void *W, int N, int C, int OC, float alpha, float beta, bool bf16) {
    kgrl__gemm(e, false, false, C, N, OC, alpha, W, C, dout, OC, beta, dinp, C, bf16, false);
}
// dW (OC, C) fp32 += alpha * dout (N, OC)^T @ inp (N, C)
static void kgrl__mm_dw(kgrl_engine *e, float *dW, const void *dout, const void *inp, int N, int C, int OC, float alpha, bool bf16) {
    kgrl__gemm(e, false, true, C, OC, N, alpha, inp, C, dout, OC, 1.0f, dW, C, bf16, true);
}

// the largest power of two (<= 256) that divides the address: cuBLASLt's heuristic must know it
static int kgrl__align(const void *p) {
    int a = 256;
    while (a > 1 && (uintptr_t)p % (uintptr_t)a) a >>= 1;
    return a;
}
// The algorithm for a bias GEMM (cached by key: shape, dtype and the pointers' alignments).
static cublasLtMatmulAlgo_t kgrl__lt_algo_for(kgrl_engine *e, cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t la,
                                              cublasLtMatrixLayout_t lb, cublasLtMatrixLayout_t ld, const int key[8]) {
    int n = e->n_lt < 64 ? e->n_lt : 64;
    for (int i = 0; i < n; i++)
        if (!memcmp(e->lt[i].key, key, sizeof e->lt[i].key)) return e->lt[i].algo;
    cublasLtMatmulPreference_t pref;
    KGRL_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    uint64_t ws = e->ctx->desc.cublas_workspace_bytes;
    KGRL_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
    const cublasLtMatmulPreferenceAttributes_t al[4] = {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                                                        CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
    for (int i = 0; i < 4; i++) {
        uint32_t v = (uint32_t)key[4 + (i < 2 ? i : 2)];   // A = W, B = inp, C = D = out
        KGRL_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, al[i], &v, sizeof v));
    }
    cublasLtMatmulHeuristicResult_t r;
    int found = 0;
    KGRL_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(e->ctx->cublaslt, op, la, lb, ld, ld, pref, 1, &r, &found));
    KGRL_CUBLAS_CHECK(cublasLtMatmulPreferenceDestroy(pref));
    KGRL_CHECK(found > 0, "cuBLASLt has no bias GEMM for N=%d C=%d OC=%d (%s)", key[0], key[1], key[2], key[3] ? "bf16" : "fp32");
    kgrl__lt_algo *slot = &e->lt[e->n_lt++ % 64];
    memcpy(slot->key, key, sizeof slot->key);
    slot->algo = r.algo;
    return r.algo;
}
// out (N, OC) = inp (N, C) @ W (OC, C)^T + bias (OC) in one cuBLASLt call with the bias epilogue
// (column-major: D (OC, N) = W^T inp^T, the bias broadcast along D's rows). fp32 computes in
// CUBLAS_COMPUTE_32F, which cuBLASLt never runs on TF32 (only the _FAST_TF32 types do). The
// workspace is the ctx's cuBLAS one: both libraries run on the one stream, so uses never overlap.
static void kgrl__mm_bias(kgrl_engine *e, void *out, const void *inp, const void *W, const void *bias, int N, int C, int OC, bool bf16) {
    if (N <= 0 || OC <= 0) return;
    cudaDataType_t t = bf16 ? CUDA_R_16BF : CUDA_R_32F;
    cublasLtMatmulDesc_t op;
    KGRL_CUBLAS_CHECK(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    cublasOperation_t ta = CUBLAS_OP_T;
    cublasLtEpilogue_t ep = CUBLASLT_EPILOGUE_BIAS;
    int32_t bt = (int32_t)t;
    KGRL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
    KGRL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_EPILOGUE, &ep, sizeof ep));
    KGRL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias));
    KGRL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof bt));
    cublasLtMatrixLayout_t la, lb, ld;   // W as stored (C, OC), inp (C, N), out (OC, N); leading dims C, C, OC
    KGRL_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&la, t, (uint64_t)C, (uint64_t)OC, C));
    KGRL_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&lb, t, (uint64_t)C, (uint64_t)N, C));
    KGRL_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&ld, t, (uint64_t)OC, (uint64_t)N, OC));
    int key[8] = {N, C, OC, bf16, kgrl__align(W), kgrl__align(inp), kgrl__align(out), kgrl__align(bias)};
    cublasLtMatmulAlgo_t algo = kgrl__lt_algo_for(e, op, la, lb, ld, key);
    float alpha = 1.0f, beta = 0.0f;
    KGRL_CUBLAS_CHECK(cublasLtMatmul(e->ctx->cublaslt, op, &alpha, W, la, inp, lb, &beta, out, ld, out, ld, &algo,
                                     e->ctx->cublas_workspace, e->ctx->desc.cublas_workspace_bytes, e->ctx->stream));
    KGRL_CUBLAS_CHECK(cublasLtMatrixLayoutDestroy(la));
    KGRL_CUBLAS_CHECK(cublasLtMatrixLayoutDestroy(lb));
    KGRL_CUBLAS_CHECK(cublasLtMatrixLayoutDestroy(ld));
    KGRL_CUBLAS_CHECK(cublasLtMatmulDescDestroy(op));
}

// The decode GEMV (kgrl_k_gemv; kgrl_k_gemv1 and kgrl_k_gemv1_norm for one row): y (N, OC_s) = x (N, K) W_s^T + bias_s +
// scale * xa_s lb_s^T for up to KGRL__GEMV_SEGS weights of one input in one launch, or h = silu(gate) *
// up (swiglu: segments 0, 1); the io adds the RMSNorm of the input before (folded into the dot
// products), the residual add, the rope and the KV-cache writes after (kernels/engine.cu says how each
// rounds). The segments and the io go to
// the kernel by value: the layouts of struct kgrl_gemv_segs and kgrl_gemv_io in kernels/engine.cu.
// Rows a launch: at most KGRL__GEMV_MAX_ROWS (KGRL_GEMV_MAX_ROWS in kernels/engine.cu); up to
// KGRL__GEMV_WIDE_ROWS on the 8-row kernels, more on their 16-row twins (kgrl_k_gemv16*)
#define KGRL__GEMV_MAX_ROWS 16
#define KGRL__GEMV_WIDE_ROWS 8
#define KGRL__GEMV_SEGS 3       // KGRL_GEMV_SEGS
#define KGRL__GEMV_WARPS 4      // KGRL_GEMV_WARPS: warps per block (the kernel's launch bounds)
#define KGRL__GEMV_COPY_WARPS 16   // KGRL_GEMV_COPY_WARPS: kgrl_k_gemv_copy's
#define KGRL__GEMV_MMA_WARPS 8     // KGRL_GEMV_MMA_WARPS, KGRL_GEMV_MMA_PARTS: kgrl_k_gemv_mma's
#define KGRL__GEMV_MMA_PARTS 4
#define KGRL__GEMV_MMA_BLOCKS 4    // blocks an SM: kgrl_k_gemv_mma's launch bounds
#define KGRL__GEMV_MMA_ROWS 16384  // the fewest rows kgrl_k_gemv_mma takes: a vocabulary's (kgrl__gemv)
#define KGRL__GEMV_GROUP_ROWS 4    // rows of x a group of blocks in kgrl_k_gemv's staged norm launches (kgrl__gemv)
#define KGRL__GEMV_ROPE 1       // KGRL_GEMV_ROPE, KGRL_GEMV_CACHE: kgrl__gemv_seg.flags
#define KGRL__GEMV_CACHE 2
// Weights per launch above which a decode step outside the fused layer path (kgrl__decode_fused)
// and its LM head run on cuBLAS instead: it streamed large matrices faster than the first GEMV
// (exp04 decode_split, H100, us GEMV / cuBLAS: 0.5B gate/up 17.4 MB 13.5 / 12.0, down 8.7 MB
// 9.8 / 7.5, LM head 272 MB 111 / 98; 1.5B down 27.5 MB 17.3 / 13.7), while the GEMV wins where
// launches dominate (q/k/v in one launch: 0.5B 2.1 MB 4.0 / 12.0, 1.5B 6.3 MB 5.7 / 15.0; o ties).
#define KGRL__GEMV_MAX_BYTES ((size_t)8 << 20)
typedef struct kgrl__gemv_seg {
    const void *W;           // (OC, K)
    const void *bias;        // (OC) or NULL
    const void *lb;          // LoRA B (OC, R) or NULL
    const void *xa;          // (N, R) the LoRA A output of this segment, read where lb != NULL
    void *out;               // (N, OC); a cache segment's KV cache (N, Tk, OC); swiglu: segment 1's unused
    int OC, flags;           // flags: KGRL__GEMV_ROPE | KGRL__GEMV_CACHE
} kgrl__gemv_seg;
typedef struct kgrl__gemv_segs { kgrl__gemv_seg s[KGRL__GEMV_SEGS]; int n; } kgrl__gemv_segs;
typedef struct kgrl__gemv_io {
    const void *x;           // (N, K) the input
    const void *resid;       // (N, OC) added after the rounding (one plain segment) or NULL
    const void *norm_w;      // (K) the input's RMSNorm weight: x is the residual stream, the launch reads its norm; or NULL
    const int *pos;          // (N) positions of the rope segments
    const float *inv_freq;   // (HS / 2)
    const int *t0p;          // the cache segments' slot on the device, or NULL: t0
    float eps, scale;        // RMSNorm epsilon; LoRA scale
    int N, K, R, S, swiglu, bf, t0, Tk, HS, staged;   // S, staged, pairs, rows: set by kgrl__gemv
    int pairs;
    int rows;                // rows of x a group of blocks (the grid's y), or 0: all
    int xa_late;             // the launch just before is this one's LoRA A launch (kgrl__gemv_proj)
} kgrl__gemv_io;
#ifdef __cplusplus
static_assert(sizeof(kgrl__gemv_segs) == 152, "kgrl__gemv_segs must match struct kgrl_gemv_segs of kernels/engine.cu");
static_assert(sizeof(kgrl__gemv_io) == 112, "kgrl__gemv_io must match struct kgrl_gemv_io of kernels/engine.cu");
#else
_Static_assert(sizeof(kgrl__gemv_segs) == 152, "kgrl__gemv_segs must match struct kgrl_gemv_segs of kernels/engine.cu");
_Static_assert(sizeof(kgrl__gemv_io) == 112, "kgrl__gemv_io must match struct kgrl_gemv_io of kernels/engine.cu");
#endif
// The kernel's layout contract: K % 8 == 0 and every row of p (rows of K elements) 16-byte aligned.
static bool kgrl__gemv_fits(const void *p, int K) { return K % 8 == 0 && (uintptr_t)p % 16 == 0; }
// The 16-row kernels' x in shared memory, chunk-major (kgrl_gemv_cs in kernels/engine.cu): K / E chunks
// of N rows of Q 16-byte entries each, the stride (Q * N + 1) | 1 entries, and KGRL__GEMV_CM_TAIL
// entries of tail. Q: 2 for x staged as fp32 from bf16, else 1 (E: 8 bf16 or 4 fp32 values a chunk)
#define KGRL__GEMV_CM_TAIL 32   // KGRL_GEMV_CM_TAIL
static size_t kgrl__gemv_cm_bytes(int N, int K, int bf, int Q) {
    size_t nch = (size_t)K / (bf ? 8 : 4), cs = (size_t)((Q * N + 1) | 1);
    return (nch * cs + KGRL__GEMV_CM_TAIL) * 16;
}
// The warps that share a row (the kernel's S), from K, the launch's units and the GPU, never from N,
// so that a row's bits do not depend on N: a lane's loads of a row fit one round where they can (up to
// 4 chunks of 16 bytes a lane and weight), except that 4 warps a row drop to 2 when one unit a block
// would take more than one wave of resident blocks (8 an SM, kgrl_k_gemv1's launch bounds). The 1.5B
// down projection (1536 rows of K 8960) ran 1536 blocks for 1056 resident, a second wave: at S 2,
// 768 blocks, its batch-1 step took 1896.2 us against 1964.5 (H100, scratch probe of the graph-launched
// step, twelfth session). At 0.5B (896 rows, one wave) S 2 was slower: 943.2 against 923.4 us.
static int kgrl__gemv_split(int K, int units, int sm_count, bool bf16) {
    int nch = bf16 ? K / 8 : K / 4;
    if (nch <= 128) return 1;
    if (nch <= 256 || units > 8 * sm_count) return 2;
    return 4;
}
// The launch's work units, as kgrl_gemv_find counts them: a row, a swiglu or rope pair, and with
// pairs (the kernel of 2..8 rows) two rows of a plain segment
static int kgrl__gemv_units(const kgrl__gemv_segs *sg, const kgrl__gemv_io *io, bool pairs) {
    int units = 0;
    for (int s = 0; s < (io->swiglu ? 1 : sg->n); s++) {
        int OC = sg->s[s].OC;
        units += (sg->s[s].flags & KGRL__GEMV_ROPE) ? OC / 2 : pairs && !io->swiglu ? (OC + 1) / 2 : OC;
    }
    return units;
}
// The bf16 decode launches on tensor cores (kgrl_gemv_mma_run; K a multiple of 32), at every N, so that a
// row's bits do not depend on N; false where the CUDA-core kernels take the launch. Their sums are the
// tensor cores', so their bits differ from the other GEMVs' (kernels/engine.cu). Three uses:
//   - the LM head: one plain segment of at least KGRL__GEMV_MMA_ROWS rows, one wave of blocks taking
//     tiles of 16 rows two at a time;
//   - a plain one-segment launch (a residual allowed) whose weights are at least KGRL__GEMV_MMA_BYTES:
//     one tile a block, its steps of 32 k in P parts, P the power of two that leaves a part at most a
//     round (KGRL__GEMV_MMA_ROUND steps), at most 32;
//   - gate/up of the norm with the swiglu, weights at least KGRL__GEMV_MMA_BYTES, x's normalized rows in
//     the block's shared memory: blocks of KGRL__GEMV_GLU_WARPS, one wave looping over the tiles.
// The last two add a LoRA term (xa from the launch's A launch, waited for before the stores). Not with
// a rope or a cache segment (the CUDA-core epilogues), nor below sm_80. With LoRA on the 1.5B bench
// model (rank 16, 7 modules; H100, against 2dd57b5, where LoRA kept these launches on CUDA cores, in one
// call, fifty-second session): exp04 decode_split's step sums at 16 rows 3209 us against 5501 (cuBLAS
// with LoRA 3644), at 8 rows 2164 against 2993 (cuBLAS 3587), at one row 1687 against 1650 (gate/up
// 24.6 against 23.6 us); tools/decode_sweep at 16 rows 3.62 against 5.99 ms a step, 8 rows 2.45
// against 3.31, one row 1.892 against 1.875.
// A launch takes up to 64 rows (COLS 8; the plain one 32: its 1024 threads leave 64 registers a
// thread, which COLS 4 fills), where the CUDA-core kernels take 16, so that past 16 rows
// (kgrl__gemv_step) the weights are read once for up to 64. H100, exp04 decode_split at 64 rows, us
// (fifty-third session, two calls): 1.5B gate/up 96.8 as two launches of 32 against 66.6 in one, the LM
// head 369.8 against 233.9 (cuBLAS 177.5), down 44.4 as two of 32 (cuBLAS 14.6); 0.5B LM head 232.3
// against 154.8 (cuBLAS 108.8); tools/decode_sweep at 64 rows, 1.5B 8.72 against 7.88 ms a step.
// Why a size: on tensor cores the 9..16-row launches stop being bound by the products' instructions,
// but a small launch at one row is slower there. H100, against the CUDA-core kernels in the same calls
// (fifty-first session; exp04 decode_split nodes in us, steps from exp04 and tools/decode_sweep):
//   - the 0.5B o (1.6 MB) and down (8.7 MB) as wide plain launches: at one row o 3.2-3.9 against 2.3,
//     down 6.1-8.3 against 4.2, the batch-1 step 0.72-0.78 against 0.65 ms a token. So the 0.5B
//     launches (issue 6's batch-1 roofline target) stay on CUDA cores;
//   - the 1.5B bench model, main (8cf95e6) / down on tensor cores / down and gate/up on tensor cores,
//     one call: down (27.5 MB) at one row 11.9 / 11.9 / 11.8 us, 8 rows 16.4 / 12.2 / 12.1 (cuBLAS
//     13.5), 16 rows 33.5 / 15.3 / 15.3 (cuBLAS 13.7); gate/up (55 MB) at one row 19.3 / 19.2 / 21.4,
//     8 rows 37.8 / 37.3 / 23.6 (cuBLAS 26.5), 16 rows 77.5 / 74.5 / 29.4 (cuBLAS 26.6); the
//     decode_split step sums at 16 rows 4065 / 3460 / 2211 (cuBLAS 2333), at 8 rows 2182 / 2043 / 1656
//     (cuBLAS 2246); the batch-1 step 1.537 / 1.495 / 1.574 ms a token (66.4 / 68.3 / 64.9% of the
//     roofline); batch 8 2930 / 2919 / 3073 tok/s; tools/decode_sweep at 16 rows 4.13 (down only) /
//     2.55 ms a step (main: 4.49 in an earlier call). So gate/up on tensor cores costs the 1.5B batch 1
//     ~2% and takes 9..16 rows from ~3x cuBLAS's gate/up to ~1.1x.
#define KGRL__GEMV_MMA_BYTES ((size_t)24 << 20)
#define KGRL__GEMV_MMA_ROUND 2    // KGRL_GEMV_MMA_ROUND
#define KGRL__GEMV_GLU_WARPS 16   // KGRL_GEMV_GLU_WARPS; 2 blocks an SM (kgrl_k_gemv_mma_glu's launch bounds)
#define KGRL__GEMV_MMA_MAX_ROWS 64   // KGRL_GEMV_MMA_MAX_ROWS: a tensor-core launch's most rows (8 tiles of 8 columns)
#define KGRL__GEMV_WIDE_MMA_ROWS 32  // the plain launch's (kgrl_k_gemv32_mma_wide: none at COLS 8)
enum { KGRL__MMA_NONE, KGRL__MMA_HEAD, KGRL__MMA_WIDE, KGRL__MMA_GLU };
// The GLU launch's shared x: 8 COLS rows of kgrl_gemv_mma_xst 16-byte chunks (kgrl_gemv_mma_stage's
// sums of squares, a float a chunk, go there first). COLS: the fewest tiles of 8 columns, a power of two,
// that hold N rows (1, 2, 4 or 8 for up to 8, 16, 32 or 64).
static int kgrl__gemv_mma_cols(int N) {
    int cols = 1;
    while (8 * cols < N) cols *= 2;
    return cols;
}
static size_t kgrl__gemv_glu_smem(int N, int K) {
    int nch = K / 8, xst = nch + (12 - nch % 8) % 8;
    return (size_t)8 * kgrl__gemv_mma_cols(N) * xst * 16;
}
// Which tensor-core launch takes the launch, whatever its N (so a row's bits do not depend on N)
static int kgrl__gemv_mma_kind(const kgrl_engine *e, const kgrl__gemv_segs *sg, const kgrl__gemv_io *o) {
    const kgrl__gemv_seg *s = &sg->s[0];
    if (!o->bf || o->K % 32 || e->ctx->cc_major < 8) return KGRL__MMA_NONE;
    size_t bytes = 0;
    bool lora = false;
    for (int i = 0; i < sg->n; i++) {
        if (sg->s[i].flags) return KGRL__MMA_NONE;
        lora = lora || sg->s[i].lb;
        bytes += (size_t)sg->s[i].OC * o->K * 2;
    }
    bool plain = sg->n == 1 && !o->swiglu && !o->norm_w;
    if (plain && !o->resid && !s->bias && !lora && s->OC >= KGRL__GEMV_MMA_ROWS) return KGRL__MMA_HEAD;
    if (bytes < KGRL__GEMV_MMA_BYTES) return KGRL__MMA_NONE;
    if (plain) return KGRL__MMA_WIDE;
    bool glu = sg->n == 2 && o->swiglu && o->norm_w;
    return glu && kgrl__gemv_glu_smem(1, o->K) <= KGRL__GEMV_GLU_SMEM(e->ctx) ? KGRL__MMA_GLU : KGRL__MMA_NONE;
}
// The most rows of one launch (kgrl__gemv cuts the rest): 16 on CUDA cores, 64 on tensor cores (32 for a
// plain launch past KGRL__GEMV_MMA_BYTES), less for a GLU launch whose x would not fit its shared memory
static int kgrl__gemv_most_rows(const kgrl_engine *e, const kgrl__gemv_segs *sg, const kgrl__gemv_io *o) {
    int kind = kgrl__gemv_mma_kind(e, sg, o);
    if (kind == KGRL__MMA_NONE) return KGRL__GEMV_MAX_ROWS;
    int most = kind == KGRL__MMA_WIDE ? KGRL__GEMV_WIDE_MMA_ROWS : KGRL__GEMV_MMA_MAX_ROWS;
    while (kind == KGRL__MMA_GLU && most > KGRL__GEMV_WIDE_ROWS && kgrl__gemv_glu_smem(most, o->K) > KGRL__GEMV_GLU_SMEM(e->ctx))
        most /= 2;
    return most;
}
static bool kgrl__gemv_mma(kgrl_engine *e, const kgrl__gemv_segs *sg, kgrl__gemv_io *o) {
    int kind = kgrl__gemv_mma_kind(e, sg, o), cols = kgrl__gemv_mma_cols(o->N), ci = 0;   // ci: log2 cols
    if (kind == KGRL__MMA_NONE) return false;
    while ((1 << ci) < cols) ci++;
    const int head_k[4] = {KGRL__EK_GEMV_MMA, KGRL__EK_GEMV16_MMA, KGRL__EK_GEMV32_MMA, KGRL__EK_GEMV64_MMA};
    const int wide_k[3] = {KGRL__EK_GEMV_MMA_WIDE, KGRL__EK_GEMV16_MMA_WIDE, KGRL__EK_GEMV32_MMA_WIDE};
    const int glu_k[4] = {KGRL__EK_GEMV_MMA_GLU, KGRL__EK_GEMV16_MMA_GLU, KGRL__EK_GEMV32_MMA_GLU, KGRL__EK_GEMV64_MMA_GLU};
    KGRL_CHECK(kind != KGRL__MMA_WIDE || cols <= 4, "decode GEMV: %d rows in one plain tensor-core launch", o->N);
    const kgrl__gemv_seg *s = &sg->s[0];
    void *args[] = {(void *)sg, (void *)o};
    int sm = e->ctx->sm_count;
    if (kind == KGRL__MMA_HEAD) {   // the LM head
        // one wave: KGRL__GEMV_MMA_BLOCKS an SM, 2 at COLS 4 and 8 (kgrl_k_gemv32_mma's launch bounds)
        int tiles = (s->OC + 15) / 16, slots = KGRL__GEMV_MMA_WARPS / KGRL__GEMV_MMA_PARTS, bps = cols >= 4 ? 2 : KGRL__GEMV_MMA_BLOCKS;
        int blocks = (tiles + slots - 1) / slots;
        if (blocks > bps * sm) blocks = bps * sm;
        kgrl__ek_smem(e, head_k[ci], (unsigned)blocks, 1, 1, 32 * KGRL__GEMV_MMA_WARPS, 0, args);
    } else if (kind == KGRL__MMA_WIDE) {
        int P = 1;
        while (P < 32 && KGRL__GEMV_MMA_ROUND * P < o->K / 32) P *= 2;
        o->S = P;
        kgrl__ek_smem(e, wide_k[ci], (unsigned)((s->OC + 15) / 16), 1, 1, (unsigned)(32 * P), 0, args);
    } else {
        // as many tiles a slot everywhere (k): with the grid at 2 blocks an SM, the 1.5B gate/up's 1120
        // tiles took 1056 slots one each and 64 a second, a tail of their own
        size_t smem = kgrl__gemv_glu_smem(o->N, o->K);
        KGRL_CHECK(smem <= KGRL__GEMV_GLU_SMEM(e->ctx), "decode GEMV: %d rows of x at K %d past the GLU launch's shared memory",
                   o->N, o->K);
        // 2 blocks an SM, 1 at COLS 8 (kgrl_k_gemv64_mma_glu's launch bounds: 121 registers, ptxas)
        int tiles = (s->OC + 7) / 8, slots = KGRL__GEMV_GLU_WARPS / KGRL__GEMV_MMA_PARTS, most = slots * (cols == 8 ? 1 : 2) * sm;
        int k = (tiles + most - 1) / most, blocks = (tiles + slots * k - 1) / (slots * k);
        kgrl__ek_smem(e, glu_k[ci], (unsigned)blocks, 1, 1, 32 * KGRL__GEMV_GLU_WARPS, smem, args);
    }
    return true;
}
static void kgrl__gemv_cut(kgrl_engine *e, const kgrl__gemv_segs *sg, const kgrl__gemv_io *io, int most);
// One launch of at most kgrl__gemv_most_rows rows (kgrl__gemv)
static void kgrl__gemv_launch(kgrl_engine *e, const kgrl__gemv_segs *sg, const kgrl__gemv_io *io) {
    KGRL_CHECK(io->N >= 1 && io->N <= kgrl__gemv_most_rows(e, sg, io) && kgrl__gemv_fits(io->x, io->K) &&
               (!io->swiglu || (sg->n == 2 && sg->s[0].OC == sg->s[1].OC)) &&
               (!io->resid || (sg->n == 1 && !io->swiglu && !sg->s[0].flags)) && (!io->norm_w || kgrl__gemv_fits(io->norm_w, io->K)),
               "decode GEMV: N %d, K %d, the swiglu, residual or norm segments outside the kernel's contract", io->N, io->K);
    kgrl__gemv_segs segs = *sg;
    kgrl__gemv_io o = *io;
    if (kgrl__gemv_mma(e, &segs, &o)) return;
    int units = kgrl__gemv_units(sg, io, false);
    o.S = kgrl__gemv_split(o.K, units, e->ctx->sm_count, o.bf);   // from the units at N = 1: the same bits
    int per = KGRL__GEMV_WARPS / o.S, k = o.N > 1 ? KGRL__EK_GEMV : o.norm_w ? KGRL__EK_GEMV1_NORM : KGRL__EK_GEMV1;
    // 2..16 rows: a plain segment's rows two a warp (kgrl_gemv_find), where that leaves a block an SM or
    // more. H100, 0.5B, 8 rows, against one a warp: LM head 192-194 against 290 us, down 11.9 against
    // 20.5; o (112 blocks) 5.87 against 5.50 (forty-second session)
    int paired = kgrl__gemv_units(sg, io, true);
    o.pairs = o.N > 1 && (paired + per - 1) / per >= e->ctx->sm_count;
    if (o.pairs) units = paired;
    int blocks = (units + per - 1) / per;
    // 2..16 rows of x in shared memory as fp32 (kgrl_gemv_stage) where they fit KGRL__GEMV_XS_BYTES
    // (K <= 1536 at 8 rows) and the launch is at most 32 blocks an SM: each block unpacks x and
    // applies the norm weight once instead of each unit. H100, 0.5B, 8 rows: q/k/v 6.7 against 9.7 us,
    // o 5.4 against 7.9, gate/up 20.8 against 26.1 (1216 blocks); the LM head (37984 blocks, 288 an SM
    // with 4 resident) took 350.8 against 285.2 us staged, each block's staging a phase that the few
    // resident blocks did not hide (forty-first session)
    // 9..16 rows of the norm past one wave (gate/up at K 896 and more): x may take up to twice
    // KGRL__GEMV_XS_BYTES, at the blocks an SM that leaves (kgrl_k_gemv16_loop). H100, 0.5B shape, 16
    // rows, decode step against the 16-row norm unstaged (tools/decode_sweep, forty-eighth session):
    // 1.70 against 2.22 ms
    bool wide = o.N > KGRL__GEMV_WIDE_ROWS;
    size_t xs_bytes = (size_t)o.N * o.K * sizeof(float), xs_most = KGRL__GEMV_XS_BYTES;
    if (wide && o.norm_w && blocks > KGRL__GEMV_LOOP_BLOCKS * e->ctx->sm_count) xs_most = 2 * KGRL__GEMV_XS_BYTES;
    bool fits = o.N > 1 && xs_bytes <= xs_most;
    // what the 16-row kernels hold: x chunk-major, with pads (kgrl__gemv_cm_bytes)
    size_t xs_smem = wide ? kgrl__gemv_cm_bytes(o.N, o.K, o.bf, o.bf ? 2 : 1) : xs_bytes;
    int loop_blocks = KGRL__GEMV_LOOP_BLOCKS;
    if (xs_smem > KGRL__GEMV_XS_BYTES) loop_blocks = (int)(e->ctx->smem_optin_bytes / (xs_smem + 8192));
    if (loop_blocks < 1) loop_blocks = 1;
    o.staged = fits && blocks <= 32 * e->ctx->sm_count;
    // 2..16 rows of the norm with more blocks than one wave: KGRL__GEMV_LOOP_BLOCKS an SM, each staging x
    // once and looping over units (kgrl_k_gemv_loop), so that the norm and the unpacking of x leave the
    // units' loops everywhere. H100, 8 rows, against 180edf0 in the same calls: gate/up 0.5B 17.7 against
    // 20.8 us (1216 blocks, staged a block each before), 1.5B 40.1 against 52.1 (4480 blocks, not staged
    // before); batch-8 decode 0.5B 5286 / 5260 against 4814 / 5052 tok/s, 1.5B 2268 against 1840. At 2
    // blocks an SM the 1.5B gate/up took 59.8. Not for plain launches: the 8-row LM head staged and
    // looping took 201.7 against 195.3 us at 0.5B (forty-third session)
    if (fits && o.norm_w && blocks > loop_blocks * e->ctx->sm_count) {
        o.staged = 2;
        blocks = loop_blocks * e->ctx->sm_count;
        k = KGRL__EK_GEMV_LOOP;
    }
    int threads = 32 * KGRL__GEMV_WARPS;
    // 5..8 rows of the norm (q/k/v) where twice the blocks still run in one wave: x's rows in groups
    // of KGRL__GEMV_GROUP_ROWS over the grid's y, each block staging and summing its group's rows
    // only, so twice the warps take half the chain each (a row's sums do not change: kgrl_gemv_run's
    // comment). H100, 8 rows, against main (983c3cc) in the same call (forty-sixth session): 0.5B
    // q/k/v (320 blocks) 5.4 against 6.6 us, batch-8 decode 6639-6687 against 6408-6444 tok/s; at 1.5B
    // (1152 blocks, three waves) 11.8 against 8.8 us, batch 8 2964 / 2974 against 3074 / 3086, so not
    // there. The same split lost on the other 2..8-row kernels (a scratch build whose loop kernel was
    // slower without it, gate/up 20.2 against main's 16.4 us): gate/up 22.9 against 20.2, down (the copy
    // kernel) 10.6 against 7.5.
    // 9..16 rows of the norm in one wave of blocks, where groups of 4 do not fit one: groups of 8 on the
    // 8-row kernel, staged, whether or not all N rows would fit. H100, decode step against the 16-row
    // kernel (tools/decode_sweep, forty-eighth session): 0.5B shape, 16 rows, 2.23 against 2.53 ms (q/k/v,
    // x unstaged there); the default model shape 12 rows 0.176 against 0.193 ms (gate/up, 256 blocks)
    if (o.N > 1 && o.norm_w && o.staged != 2) {
        int sm = e->ctx->sm_count, g4 = (o.N + KGRL__GEMV_GROUP_ROWS - 1) / KGRL__GEMV_GROUP_ROWS, g8 = (o.N + KGRL__GEMV_WIDE_ROWS - 1) / KGRL__GEMV_WIDE_ROWS;
        if (g4 > 1 && o.staged == 1 && blocks * g4 <= KGRL__GEMV_BLOCKS * sm) o.rows = KGRL__GEMV_GROUP_ROWS;
        else if (wide && blocks <= 32 * sm && blocks * g8 <= KGRL__GEMV_BLOCKS * sm &&
                 KGRL__GEMV_WIDE_ROWS * o.K * sizeof(float) <= KGRL__GEMV_XS_BYTES)
            o.rows = KGRL__GEMV_WIDE_ROWS;
    }
    int gy = 1;
    if (o.rows) {
        o.staged = 1;
        gy = (o.N + o.rows - 1) / o.rows;
        xs_smem = (size_t)o.rows * o.K * sizeof(float);   // the 8-row kernel's
    }
    size_t smem = o.staged ? xs_smem : 0;
    if (o.N > 1 && !o.norm_w) {
        // 2..16 rows of plain launches: where the units fit one block an SM of at most
        // KGRL__GEMV_COPY_WARPS warps and x fits its shared memory, each block copies x there once and
        // takes an even share of the units (kgrl_k_gemv_copy); the rest stay staged as above or, left
        // unstaged, load each round ahead of the round before's arithmetic from x in L1
        // (kgrl_k_gemv_stream, whose comment has its figures). H100, 8 rows, in the same calls:
        //   - down, against the stream kernel (61fc776): 0.5B 7.50 against 11.61 us (cuBLAS 7.64), 1.5B
        //     16.7 / 16.4 against 36.5 / 36.5 (cuBLAS 13.8); batch-8 decode 0.5B 5778 against 5392 tok/s,
        //     1.5B 2799 / 2816 against 2326 / 2314. With 16 warps a block (96 blocks at 1.5B, not 12 in
        //     128): 23.9 against 21.9 us, in a looping build;
        //   - o, against x staged in fp32 (e8f780e): 0.5B 4.13 / 4.10 against 5.42 / 5.40 us (cuBLAS
        //     3.8), 1.5B 5.14 / 5.14 against 7.13 / 7.11 (cuBLAS 5.0); batch-8 decode 0.5B 5989 / 6000
        //     against 5795 / 5767 tok/s, 1.5B 2881 / 2833 against 2814 / 2793;
        //   - the LM head (18992 units at 0.5B) on the copy kernel stays slower: 217.6 against 178.3 us
        //     at 0.5B with 132 blocks looping over the units; in one pass a block, 1187 to 4748 blocks of
        //     16 to 4 warps, 188-204 against 178 us at 0.5B and 322-347 against 287 at 1.5B
        // (forty-fourth session).
        int sm = e->ctx->sm_count, share = (units + sm - 1) / sm;   // units a block
        size_t x_bytes = wide ? kgrl__gemv_cm_bytes(o.N, o.K, o.bf, 1) : (size_t)o.N * o.K * (o.bf ? 2 : 4);
        if (units > 0 && share <= KGRL__GEMV_COPY_WARPS / o.S && x_bytes <= KGRL__GEMV_COPY_BYTES(e->ctx)) {
            k = KGRL__EK_GEMV_COPY;
            o.staged = 0;
            blocks = (units + share - 1) / share;
            threads = 32 * o.S * share;
            smem = x_bytes;
        } else if (!o.staged) {
            k = KGRL__EK_GEMV_STREAM;
        }
    }
    // 9..16 rows in two launches of at most 8 where a plain launch cannot copy x (the stream kernel) or
    // the norm's loop holds x at fewer than 3 blocks an SM. H100, 1.5B shape, 16 rows, exp04
    // decode_split (forty-eighth session), us: down 67.7 in one launch against 33.2 in two (x past the
    // copy's shared memory), gate/up at 2 blocks an SM 83.1 against 77.9; kept in one, q/k/v of the
    // norm unstaged 15.7 against 17.9; at the 0.5B shape gate/up at 3 blocks an SM 28.4 against 2 x 16.4
    if (wide && (k == KGRL__EK_GEMV_STREAM || (o.staged == 2 && loop_blocks < 3))) {
        kgrl__gemv_cut(e, sg, io, KGRL__GEMV_WIDE_ROWS);
        return;
    }
    // the 16-row twin of the kernel where a block takes more than 8 rows (not in groups; the stream
    // kernel's launches were cut above)
    if (wide && !o.rows)
        k = k == KGRL__EK_GEMV ? KGRL__EK_GEMV16 : k == KGRL__EK_GEMV_LOOP ? KGRL__EK_GEMV16_LOOP : KGRL__EK_GEMV16_COPY;
    void *args[] = {&segs, &o};
    if (units > 0) kgrl__ek_smem(e, k, (unsigned)blocks, (unsigned)gy, 1, (unsigned)threads, smem, args);
}
// Any N >= 1: launches of at most `most` rows at a time, each over its rows of x, the residual, the
// positions, the LoRA A outputs and the outputs. A row's bits depend neither on N nor on the rows
// beside it (kgrl_gemv_run, kgrl_k_gemv_mma), so neither on which launch takes it.
static void kgrl__gemv_cut(kgrl_engine *e, const kgrl__gemv_segs *sg, const kgrl__gemv_io *io, int most) {
    KGRL_CHECK(io->N >= 1, "decode GEMV: N %d", io->N);
    size_t es = io->bf ? 2 : 4;
    for (int n0 = 0; n0 < io->N; n0 += most) {
        kgrl__gemv_segs segs = *sg;
        kgrl__gemv_io o = *io;
        o.N = io->N - n0 < most ? io->N - n0 : most;
        o.x = (const char *)io->x + (size_t)n0 * io->K * es;
        if (io->resid) o.resid = (const char *)io->resid + (size_t)n0 * sg->s[0].OC * es;
        if (io->pos) o.pos = io->pos + n0;
        for (int i = 0; i < sg->n; i++) {
            kgrl__gemv_seg *g = &segs.s[i];
            size_t rows = (g->flags & KGRL__GEMV_CACHE) ? (size_t)io->Tk * g->OC : (size_t)g->OC;   // a row of out
            if (g->out) g->out = (char *)g->out + (size_t)n0 * rows * es;
            if (g->lb) g->xa = (const char *)g->xa + (size_t)n0 * io->R * es;
        }
        kgrl__gemv_launch(e, &segs, &o);
    }
}
static void kgrl__gemv(kgrl_engine *e, const kgrl__gemv_segs *sg, const kgrl__gemv_io *io) {
    kgrl__gemv_cut(e, sg, io, kgrl__gemv_most_rows(e, sg, io));
}

// ---------------------------------------------------------------------------------------------
// ops

void kgrl_gpu_embedding_forward(kgrl_engine *e, void *out, const int *tokens, const void *wte, int N, int C, bool bf16) {
    int bf = bf16;
    void *args[] = {&out, &tokens, &wte, &N, &C, &bf};
    if (N > 0) kgrl__ek(e, KGRL__EK_EMBED_F, (unsigned)N, 1, 1, 256, args);
}
// The positions grouped by token (a counting sort, positions ascending within a group): h (2U + 1 + N)
// = ids (U), start (U + 1), pos (N); returns U
static int kgrl__token_groups(const int *tokens, int N, int *h) {
    int V = 0;
    for (int n = 0; n < N; n++) {
        KGRL_CHECK(tokens[n] >= 0, "embedding backward: token %d at position %d is negative", tokens[n], n);
        if (tokens[n] + 1 > V) V = tokens[n] + 1;
    }
    int *count = (int *)kgrl_calloc((size_t)V + 1, sizeof(int));   // (V + 1) then each token's next slot
    for (int n = 0; n < N; n++) count[tokens[n] + 1]++;
    int U = 0;
    for (int v = 0; v < V; v++) U += count[v + 1] > 0;
    int *ids = h, *start = h + U, *pos = h + 2 * U + 1, u = 0;
    for (int v = 0; v < V; v++) {
        if (count[v + 1] > 0) { ids[u] = v; start[u] = count[v]; u++; }
        count[v + 1] += count[v];
    }
    start[U] = N;
    for (int n = 0; n < N; n++) pos[count[tokens[n]]++] = n;
    kgrl_free(count);
    return U;
}
void kgrl_gpu_embedding_backward(kgrl_engine *e, float *dwte, const void *dout, const int *h_tokens, int N, int C, bool bf16) {
    if (N <= 0) return;
    size_t need = 3 * (size_t)N + 1;   // U <= N
    if (need > e->groups_cap) {
        if (e->groups) KGRL_CUDA_CHECK(cudaFree(e->groups));
        KGRL_CUDA_CHECK(cudaMalloc((void **)&e->groups, need * sizeof(int)));
        e->groups_cap = need;
    }
    int *h = (int *)kgrl_malloc(need * sizeof(int));
    int U = kgrl__token_groups(h_tokens, N, h), bf = bf16;
    kgrl__ecopy(e, e->groups, h, (2 * (size_t)U + 1 + N) * sizeof(int), cudaMemcpyHostToDevice);
    kgrl_free(h);
    int *ids = e->groups, *start = ids + U, *pos = ids + 2 * U + 1;
    void *args[] = {&dwte, &dout, &ids, &start, &pos, &U, &C, &bf};
    kgrl__ek(e, KGRL__EK_EMBED_B, (unsigned)U, 1, 1, 256, args);
}
void kgrl_gpu_rmsnorm_forward(kgrl_engine *e, void *out, float *rstd, const void *inp, const void *weight, float eps,
                              int N, int C, bool bf16) {
    int bf = bf16;
    void *args[] = {&out, &rstd, &inp, &weight, &eps, &N, &C, &bf};
    if (N > 0) kgrl__ek(e, KGRL__EK_RMS_F, (unsigned)N, 1, 1, 256, args);
}
// sum = a + b, then out = RMSNorm(sum): a residual add and the norm after it in one launch, with the
// float results of kgrl__add then kgrl_gpu_rmsnorm_forward (sum may alias a)
static void kgrl__add_rmsnorm(kgrl_engine *e, void *out, float *rstd, void *sum, const void *a, const void *b,
                              const void *weight, float eps, int N, int C, bool bf16) {
    int bf = bf16;
    void *args[] = {&out, &rstd, &sum, &a, &b, &weight, &eps, &N, &C, &bf};
    if (N > 0) kgrl__ek(e, KGRL__EK_ADD_RMS_F, (unsigned)N, 1, 1, 256, args);
}
// column sums (kgrl_k_colsum): sum (OC) += a (N, OC), or a * b * row_scale[n] where b is given
static void kgrl__colsum(kgrl_engine *e, float *sum, const void *a, const void *b, const float *row_scale, int N, int OC, bool bf16) {
    int bf = bf16;
    void *args[] = {&sum, &a, &b, &row_scale, &N, &OC, &bf};
    if (N > 0) kgrl__ek(e, KGRL__EK_COLSUM, (unsigned)((OC + 31) / 32), 1, 1, 1024, args);
}
void kgrl_gpu_rmsnorm_backward(kgrl_engine *e, void *dinp, float *dweight, const void *dout, const void *inp,
                               const void *weight, const float *rstd, int N, int C, bool bf16) {
    int bf = bf16;
    void *args[] = {&dinp, &dout, &inp, &weight, &rstd, &N, &C, &bf};
    if (N > 0 && dinp) kgrl__ek(e, KGRL__EK_RMS_B, (unsigned)N, 1, 1, 256, args);
    if (dweight) kgrl__colsum(e, dweight, dout, inp, rstd, N, C, bf16);   // rows in a fixed order: no atomics
}
void kgrl_gpu_matmul_forward(kgrl_engine *e, void *out, const void *inp, const void *weight, const void *bias,
                             int N, int C, int OC, bool bf16) {
    if (bias) kgrl__mm_bias(e, out, inp, weight, bias, N, C, OC, bf16);
    else kgrl__mm(e, out, inp, weight, N, C, OC, 1.0f, 0.0f, bf16);
}
void kgrl_gpu_matmul_backward(kgrl_engine *e, void *dinp, float *dweight, float *dbias, const void *dout,
                              const void *inp, const void *weight, int N, int C, int OC, bool bf16) {
    if (dinp) kgrl__mm_dinp(e, dinp, dout, weight, N, C, OC, 1.0f, 1.0f, bf16);
    if (dweight) kgrl__mm_dw(e, dweight, dout, inp, N, C, OC, 1.0f, bf16);
    if (dbias) kgrl__colsum(e, dbias, dout, NULL, NULL, N, OC, bf16);
}
static void kgrl__dropout(kgrl_engine *e, void *out, const void *inp, float p, uint64_t seed, uint64_t stream, size_t n, bool acc, bool bf16) {
    int bf = bf16, ac = acc;
    unsigned long long sd = seed, st = stream, nn = n;
    void *args[] = {&out, &inp, &p, &sd, &st, &nn, &ac, &bf};
    kgrl__ek(e, KGRL__EK_DROPOUT, kgrl__grid(n, 256), 1, 1, 256, args);
}
void kgrl_gpu_lora_forward(kgrl_engine *e, void *out, void *xa, const void *inp, const void *A, const void *B,
                           float scaling, float p, uint64_t seed, uint64_t stream, int N, int C, int OC, int R,
                           void *scratch, bool bf16) {
    const void *x = inp;
    if (p > 0.0f) { kgrl__dropout(e, scratch, inp, p, seed, stream, (size_t)N * C, false, bf16); x = scratch; }
    kgrl__mm(e, xa, x, A, N, C, R, 1.0f, 0.0f, bf16);            // xa (N, R) = drop(x) A^T
    kgrl__mm(e, out, xa, B, N, R, OC, scaling, 1.0f, bf16);      // out += s * xa B^T
}
void kgrl_gpu_lora_backward(kgrl_engine *e, void *dinp, float *dA, float *dB, void *dxa, const void *dout,
                            const void *xa, const void *inp, const void *A, const void *B, float scaling, float p,
                            uint64_t seed, uint64_t stream, int N, int C, int OC, int R, void *scratch, bool bf16) {
    kgrl__mm_dinp(e, dxa, dout, B, N, R, OC, scaling, 0.0f, bf16);   // dxa (N, R) = s * dout B
    if (dB) kgrl__mm_dw(e, dB, dout, xa, N, R, OC, scaling, bf16);  // dB (OC, R) += s * dout^T xa
    const void *x = inp;
    if (p > 0.0f && dA) { kgrl__dropout(e, scratch, inp, p, seed, stream, (size_t)N * C, false, bf16); x = scratch; }
    if (dA) kgrl__mm_dw(e, dA, dxa, x, N, C, R, 1.0f, bf16);        // dA (R, C) += dxa^T drop(x)
    if (!dinp) return;
    if (p > 0.0f) {
        kgrl__mm_dinp(e, scratch, dxa, A, N, C, R, 1.0f, 0.0f, bf16); // (dxa A) then the same mask
        kgrl__dropout(e, dinp, scratch, p, seed, stream, (size_t)N * C, true, bf16);
    } else {
        kgrl__mm_dinp(e, dinp, dxa, A, N, C, R, 1.0f, 1.0f, bf16);
    }
}
// RoPE with row addressing (see kgrl_k_rope): T tokens per sequence
static void kgrl__rope(kgrl_engine *e, void *out, const void *inp, const int *pos, const float *inv_freq, int N, int T,
                       int inT, int in0, int outT, int out0, int NH, int HS, bool bwd, bool bf16) {
    int bf = bf16, bw = bwd;
    void *args[] = {&out, &inp, &pos, &inv_freq, &N, &T, &inT, &in0, &outT, &out0, &NH, &HS, &bw, &bf};
    if (N > 0) kgrl__ek(e, KGRL__EK_ROPE, (unsigned)N, 1, 1, 128, args);
}
// The forward's q rope, k rope into the cache and v copy into the cache (kgrl_k_rope_qkv): q_out, q (N, NH, HS);
// k, v (N, KVH, HS) into kc, vc (B, Tk, KVH, HS) slots t0.. (t0 read from t0p when not NULL)
static void kgrl__rope_qkv(kgrl_engine *e, void *q_out, const void *q, void *kc, const void *k, void *vc, const void *v,
                           const int *pos, const float *inv_freq, const int *t0p, int N, int T, int Tk, int t0, int NH,
                           int KVH, int HS, bool bf16) {
    int bf = bf16;
    void *args[] = {&q_out, &q, &kc, &k, &vc, &v, &pos, &inv_freq, &t0p, &N, &T, &Tk, &t0, &NH, &KVH, &HS, &bf};
    if (N > 0) kgrl__ek(e, KGRL__EK_ROPE_QKV, (unsigned)N, 1, 1, 128, args);
}
void kgrl_gpu_rope_forward(kgrl_engine *e, void *out, const void *inp, const int *pos, const float *inv_freq,
                           int N, int NH, int HS, bool bf16) {
    kgrl__rope(e, out, inp, pos, inv_freq, N, N, N, 0, N, 0, NH, HS, false, bf16);
}
void kgrl_gpu_rope_backward(kgrl_engine *e, void *dinp, const void *dout, const int *pos, const float *inv_freq,
                            int N, int NH, int HS, bool bf16) {
    kgrl__rope(e, dinp, dout, pos, inv_freq, N, N, N, 0, N, 0, NH, HS, true, bf16);
}
#define KGRL__ATT_THREADS 128   // KGRL_ATT_WARPS (4) warps in kernels/engine.cu
// t0p != NULL: the kernel reads t0 from the device (the decode step of kgrl_gpu_sample)
static void kgrl__attention_fwd(kgrl_engine *e, void *out, float *lse, const void *q, const void *k, const void *v,
                                const int *kmask, const int *start, const int *t0p, int B, int Tq, int Tk, int t0, int NH,
                                int KVH, int HS, bool bf16) {
    KGRL_CHECK(HS <= 256 && NH % KVH == 0, "gpu attention: head_dim %d > 256 or NH %d not a multiple of KVH %d", HS, NH, KVH);
    int bf = bf16;
    void *args[] = {&out, &lse, &q, &k, &v, &kmask, &start, &t0p, &B, &Tq, &Tk, &t0, &NH, &KVH, &HS, &bf};
    kgrl__ek(e, KGRL__EK_ATT_F, (unsigned)Tq, (unsigned)NH, (unsigned)B, KGRL__ATT_THREADS, args);
}
// Slots a chunk of the decode attention: one a thread when scoring (<= 256) and at most 32 KiB of
// stored keys (a thread holds its pieces of the chunk in registers: KGRL_ATT_DEC_U). 256 slots at HS 64
// in bf16, 128 in fp32 or at HS 128 in bf16.
static int kgrl__att_chunk(int HS, bool bf16) {
    int ch = 32768 / (HS * (bf16 ? 2 : 4));
    return ch < KGRL__ATT_DEC_THREADS ? ch : KGRL__ATT_DEC_THREADS;
}
static size_t kgrl__att_chunks(int Tk, int HS, bool bf16) {
    size_t ch = (size_t)kgrl__att_chunk(HS, bf16);
    return ((size_t)Tk + ch - 1) / ch;
}
// One query per row (decode): split-KV in one launch (kgrl_k_attention_decode), partials in part
// (B, NH, chunks of Tk, 2 + HS), count (B, NH) zero before and after. The grid covers Tk (the
// plan's capacity), so a captured graph serves every step; chunks past t0 return at once.
static void kgrl__attention_decode(kgrl_engine *e, void *out, float *lse, float *part, unsigned int *count, const void *q,
                                   const void *k, const void *v, const int *kmask, const int *start, const int *t0p, int B,
                                   int Tk, int t0, int NH, int KVH, int HS, bool bf16) {
    // HS <= 256: checked at upload
    int bf = bf16, CH = kgrl__att_chunk(HS, bf16), nchunk = (int)kgrl__att_chunks(Tk, HS, bf16);
    KGRL_CHECK(nchunk <= 2048, "decode attention: %d slots make %d chunks, more than the combine's 2048", Tk, nchunk);
    size_t smem = 2 * (size_t)CH * (HS + (bf16 ? 2 : 1)) * (bf16 ? 2 : 4);
    if (smem < 8 * (size_t)nchunk) smem = 8 * (size_t)nchunk;
    void *args[] = {&out, &lse, &part, &count, &q, &k, &v, &kmask, &start, &t0p, &Tk, &t0, &NH, &KVH, &HS, &CH, &bf};
    kgrl__ek_smem(e, KGRL__EK_ATT_DEC, (unsigned)nchunk, (unsigned)NH, (unsigned)B, KGRL__ATT_DEC_THREADS, smem, args);
}
// One batched GEMM over the B*NH (row, head) pairs of a training plan, column-major as cuBLAS:
// C_i = op(A_i) op(B_i) + beta C_i. An operand is a base pointer, its layout kind (kgrl_k_attention_ptrs:
// 0 (B, T, NH, HS), 1 (B, Tk, KVH, HS) slots, 2 (B, NH, T, T), 3 (B, NH, T, HS)), its leading
// dimension, and whether it is fp32 (else the storage dtype). A and B are always in the storage dtype.
typedef struct kgrl__att_operand { const void *p; int kind, ld; bool f32; } kgrl__att_operand;
static void kgrl__att_gemm(kgrl_engine *e, kgrl_gpu_acts *a, bool ta, bool tb, int m, int n, int k, kgrl__att_operand A,
                           kgrl__att_operand Bo, float beta, kgrl__att_operand C, int B, int T) {
    int nbh = B * a->NH, es = (int)a->esize, NH = a->NH, KVH = a->KVH, Tk = a->T, HS = a->HS;
    int ea = A.f32 ? 4 : es, eb = Bo.f32 ? 4 : es, ec = C.f32 ? 4 : es;
    void **pa = a->att_ptrs, **pb = pa + nbh, **pc = pb + nbh;
    void *ap = (void *)A.p, *bp = (void *)Bo.p, *cp = (void *)C.p;
    void *args[] = {&pa, &pb, &pc, &ap, &A.kind, &ea, &bp, &Bo.kind, &eb, &cp, &C.kind, &ec, &B, &NH, &KVH, &T, &Tk, &HS};
    kgrl__ek(e, KGRL__EK_ATT_PTRS, (unsigned)((nbh + 127) / 128), 1, 1, 128, args);
    cudaDataType_t in = a->bf16 ? CUDA_R_16BF : CUDA_R_32F, out = C.f32 ? CUDA_R_32F : in;
    cublasComputeType_t ct = a->bf16 ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_PEDANTIC;   // fp32: no TF32
    float alpha = 1.0f;
    KGRL_CUBLAS_CHECK(cublasGemmBatchedEx(e->ctx->cublas, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                          m, n, k, &alpha, (const void *const *)pa, in, A.ld, (const void *const *)pb, in,
                                          Bo.ld, &beta, pc, out, C.ld, nbh, ct, CUBLAS_GEMM_DEFAULT));
}
// Attention of a t0 = 0 forward of T tokens on a training plan: out (B, T, NH, HS), lse (B, NH, T);
// q (B, T, NH, HS); k, v the slot buffers (B, Tk, KVH, HS). Row-major (T, T) S = q k^T is the
// column-major k q^T, so op(A) = T on the k buffer; out = P v likewise.
static void kgrl__attention_fwd_gemm(kgrl_engine *e, kgrl_gpu_acts *a, void *out, float *lse, const void *q,
                                     const void *k, const void *v, int B, int T) {
    int NH = a->NH, KVH = a->KVH, HS = a->HS, Tk = a->T, bf = a->bf16;
    kgrl__att_operand Q = {q, 0, NH * HS, false}, K = {k, 1, KVH * HS, false}, V = {v, 1, KVH * HS, false};
    kgrl__att_operand S = {a->att_s, 2, T, true}, P = {a->att_p, 2, T, false}, O = {out, 0, NH * HS, false};
    kgrl__att_gemm(e, a, true, false, T, T, HS, K, Q, 0.0f, S, B, T);
    void *args[] = {&a->att_p, &lse, &a->att_s, &a->kmask, &T, &Tk, &NH, &HS, &bf};
    kgrl__ek(e, KGRL__EK_ATT_SM_F, (unsigned)T, (unsigned)NH, (unsigned)B, 256, args);
    kgrl__att_gemm(e, a, false, false, HS, T, T, V, P, 0.0f, O, B, T);
}
// Its backward: dq (B, T, NH, HS), dk, dv (B, Tk, KVH, HS) += the gradients; recomputes S and P.
static void kgrl__attention_bwd_gemm(kgrl_engine *e, kgrl_gpu_acts *a, void *dq, void *dk, void *dv, const void *dout,
                                     const void *out, const float *lse, const void *q, const void *k, const void *v,
                                     int B, int T) {
    int NH = a->NH, KVH = a->KVH, HS = a->HS, Tk = a->T, bf = a->bf16;
    float *D = a->d_D;
    void *pre[] = {&D, &dout, &out, &T, &NH, &HS, &bf};
    kgrl__ek(e, KGRL__EK_ATT_PRE, (unsigned)T, (unsigned)NH, (unsigned)B, 32, pre);   // D_i = dout_i . out_i
    kgrl__att_operand Q = {q, 0, NH * HS, false}, K = {k, 1, KVH * HS, false}, V = {v, 1, KVH * HS, false};
    kgrl__att_operand dO = {dout, 0, NH * HS, false}, dQ = {dq, 0, NH * HS, false};
    kgrl__att_operand S = {a->att_s, 2, T, true}, dP = {a->att_dp, 2, T, true};
    kgrl__att_operand P = {a->att_p, 2, T, false}, dS = {a->att_ds, 2, T, false};
    kgrl__att_operand dKh = {a->att_dkh, 3, HS, true}, dVh = {a->att_dvh, 3, HS, true};
    kgrl__att_gemm(e, a, true, false, T, T, HS, K, Q, 0.0f, S, B, T);     // S = q k^T
    kgrl__att_gemm(e, a, true, false, T, T, HS, V, dO, 0.0f, dP, B, T);   // dP = dout v^T
    void *args[] = {&a->att_p, &a->att_ds, &a->att_s, &a->att_dp, &lse, &D, &a->kmask, &T, &Tk, &NH, &HS, &bf};
    kgrl__ek(e, KGRL__EK_ATT_SM_B, (unsigned)T, (unsigned)NH, (unsigned)B, 256, args);
    kgrl__att_gemm(e, a, false, false, HS, T, T, K, dS, 1.0f, dQ, B, T);  // dq += dS k
    kgrl__att_gemm(e, a, false, true, HS, T, T, Q, dS, 0.0f, dKh, B, T);  // dK_h = dS^T q
    kgrl__att_gemm(e, a, false, true, HS, T, T, dO, P, 0.0f, dVh, B, T);  // dV_h = P^T dout
    size_t n = (size_t)B * T * KVH * HS;
    void *sum[] = {&dk, &dv, &a->att_dkh, &a->att_dvh, &B, &T, &Tk, &NH, &KVH, &HS, &bf};
    kgrl__ek(e, KGRL__EK_ATT_DKV_SUM, (unsigned)((n + 255) / 256 < 65535 ? (n + 255) / 256 : 65535), 1, 1, 256, sum);
}
void kgrl_gpu_attention_forward(kgrl_engine *e, void *out, float *lse, const void *q, const void *k, const void *v,
                                const int *kmask, int B, int Tq, int Tk, int t0, int NH, int KVH, int HS, bool bf16) {
    kgrl__attention_fwd(e, out, lse, q, k, v, kmask, NULL, NULL, B, Tq, Tk, t0, NH, KVH, HS, bf16);
}
void kgrl_gpu_swiglu_forward(kgrl_engine *e, void *out, const void *gate, const void *up, size_t n, bool bf16) {
    int bf = bf16;
    unsigned long long nn = n;
    void *args[] = {&out, &gate, &up, &nn, &bf};
    kgrl__ek(e, KGRL__EK_SWIGLU_F, kgrl__grid(n, 256), 1, 1, 256, args);
}
void kgrl_gpu_swiglu_backward(kgrl_engine *e, void *dgate, void *dup, const void *dout, const void *gate,
                              const void *up, size_t n, bool bf16) {
    int bf = bf16;
    unsigned long long nn = n;
    void *args[] = {&dgate, &dup, &dout, &gate, &up, &nn, &bf};
    kgrl__ek(e, KGRL__EK_SWIGLU_B, kgrl__grid(n, 256), 1, 1, 256, args);
}
void kgrl_gpu_logprobs_forward(kgrl_engine *e, float *lp, float *lse, const void *logits, const int *targets,
                               float temperature, int N, int V, bool bf16) {
    int bf = bf16;
    float inv_t = temperature > 0.0f ? 1.0f / temperature : 1.0f;
    void *args[] = {&lp, &lse, &logits, &targets, &inv_t, &N, &V, &bf};
    if (N > 0) kgrl__ek(e, KGRL__EK_LP_F, (unsigned)N, 1, 1, 1024, args);
}
void kgrl_gpu_logprobs_backward(kgrl_engine *e, void *dlogits, const float *dlp, const void *logits,
                                const float *lse, const int *targets, float temperature, int N, int V, bool bf16) {
    int bf = bf16;
    float inv_t = temperature > 0.0f ? 1.0f / temperature : 1.0f;
    void *args[] = {&dlogits, &dlp, &logits, &lse, &targets, &inv_t, &N, &V, &bf};
    if (N > 0) kgrl__ek(e, KGRL__EK_LP_B, (unsigned)N, 1, 1, 256, args);
}
void kgrl_gpu_adamw_step(kgrl_engine *e, const kgrl_adamw_desc *desc, float lr, int step, float *p, const float *g,
                         float *m, float *v, size_t n) {
    kgrl_adamw_desc d = KGRL_ZERO;
    if (desc) d = *desc;
    float b1 = d.beta1 > 0.0f ? d.beta1 : 0.9f, b2 = d.beta2 > 0.0f ? d.beta2 : 0.999f, eps = d.eps > 0.0f ? d.eps : 1e-8f;
    KGRL_CHECK(step >= 1, "kgrl_gpu_adamw_step: step %d must start at 1", step);
    // as the CPU reference: bias corrections in double (torch's Python floats), updates in fp32
    double bc1 = 1.0 - pow((double)b1, step), bc2 = 1.0 - pow((double)b2, step);
    float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2), decay = (float)(1.0 - (double)lr * d.weight_decay);
    unsigned long long nn = n;
    void *args[] = {&p, &g, &m, &v, &nn, &b1, &b2, &eps, &decay, &step_size, &bc2_sqrt};
    if (n) kgrl__ek(e, KGRL__EK_ADAMW, kgrl__grid(n, 256), 1, 1, 256, args);
}
double kgrl_gpu_clip_grad_norm(kgrl_engine *e, float *const *grads, const size_t *n, int nblocks, float max_norm) {
    double total = 0.0, part[256];
    for (int b = 0; b < nblocks; b++) {
        if (!n[b]) continue;
        unsigned long long nn = n[b];
        const float *g = grads[b];
        void *args[] = {&e->partials, &g, &nn};
        kgrl__ek(e, KGRL__EK_SUMSQ, 256, 1, 1, 256, args);
        KGRL_CUDA_CHECK(cudaMemcpyAsync(part, e->partials, sizeof part, cudaMemcpyDeviceToHost, e->ctx->stream));
        KGRL_CUDA_CHECK(cudaStreamSynchronize(e->ctx->stream));
        for (int i = 0; i < 256; i++) total += part[i];
    }
    double norm = sqrt(total);
    if (max_norm > 0.0f) {
        double coef = (double)max_norm / (norm + 1e-6);
        float s = (float)coef;
        if (coef < 1.0)
            for (int b = 0; b < nblocks; b++) {
                unsigned long long nn = n[b];
                float *g = grads[b];
                void *args[] = {&g, &s, &nn};
                if (nn) kgrl__ek(e, KGRL__EK_SCALE, kgrl__grid(nn, 256), 1, 1, 256, args);
            }
    }
    return norm;
}
void kgrl_gpu_to_f32(kgrl_engine *e, float *out, const void *inp, size_t n, bool bf16) {
    int bf = bf16;
    unsigned long long nn = n;
    void *args[] = {&out, &inp, &nn, &bf};
    if (n) kgrl__ek(e, KGRL__EK_TO_F32, kgrl__grid(n, 256), 1, 1, 256, args);
}
void kgrl_gpu_from_f32(kgrl_engine *e, void *out, const float *inp, size_t n, bool bf16) {
    int bf = bf16;
    unsigned long long nn = n;
    void *args[] = {&out, &inp, &nn, &bf};
    if (n) kgrl__ek(e, KGRL__EK_CAST, kgrl__grid(n, 256), 1, 1, 256, args);
}

// ---------------------------------------------------------------------------------------------
// model and LoRA

kgrl_gpu_model *kgrl_gpu_model_upload(kgrl_engine *e, const kgrl_model *m, kgrl_engine_dtype dtype) {
    kgrl_gpu_model *g = (kgrl_gpu_model *)kgrl_calloc(1, sizeof *g);
    g->cfg = m->cfg;
    g->bf16 = dtype == KGRL_ENGINE_BF16;
    g->esize = g->bf16 ? 2 : 4;
    g->n_params = m->n_params;
    size_t nl = (size_t)m->cfg.n_layers * KGRL_W_COUNT;
    g->layer_off = (size_t *)kgrl_malloc(sizeof(size_t) * nl);
    memcpy(g->layer_off, m->layer_off, sizeof(size_t) * nl);
    g->embed_off = m->embed_off; g->norm_off = m->norm_off; g->lm_head_off = m->lm_head_off;
    KGRL_CUDA_CHECK(cudaMalloc(&g->params, g->esize * m->n_params));
    if (g->bf16) {
        // convert in 64 MiB pieces so a 7B model does not need a second full host copy
        size_t chunk = (size_t)32 << 20;
        uint16_t *tmp = (uint16_t *)kgrl_malloc(sizeof(uint16_t) * chunk);
        for (size_t at = 0; at < m->n_params; at += chunk) {
            size_t n = m->n_params - at < chunk ? m->n_params - at : chunk;
            for (size_t i = 0; i < n; i++) tmp[i] = kgrl_f32_to_bf16(m->params[at + i]);
            kgrl__ecopy(e, (uint16_t *)g->params + at, tmp, n * 2, cudaMemcpyHostToDevice);
        }
        kgrl_free(tmp);
    } else {
        kgrl__ecopy(e, g->params, m->params, 4 * m->n_params, cudaMemcpyHostToDevice);
    }
    size_t half = (size_t)m->cfg.head_dim / 2;
    KGRL_CUDA_CHECK(cudaMalloc((void **)&g->rope_inv_freq, sizeof(float) * half));
    kgrl__ecopy(e, g->rope_inv_freq, m->rope_inv_freq, sizeof(float) * half, cudaMemcpyHostToDevice);
    return g;
}

void kgrl_gpu_model_free(kgrl_gpu_model *g) {
    if (!g) return;
    if (g->master != g->params) KGRL_CUDA_CHECK(cudaFree(g->master));
    KGRL_CUDA_CHECK(cudaFree(g->grads));
    KGRL_CUDA_CHECK(cudaFree(g->adam_m));
    KGRL_CUDA_CHECK(cudaFree(g->adam_v));
    KGRL_CUDA_CHECK(cudaFree(g->params));
    KGRL_CUDA_CHECK(cudaFree(g->rope_inv_freq));
    kgrl_free(g->layer_off);
    kgrl_free(g);
}

void *kgrl_gpu_model_tensor(const kgrl_gpu_model *g, int layer, int which) {
    size_t off = g->layer_off[(size_t)layer * KGRL_W_COUNT + which];
    return off == KGRL_ABSENT ? NULL : (char *)g->params + off * g->esize;
}
static void *kgrl__gpu_at(const kgrl_gpu_model *g, size_t off) { return (char *)g->params + off * g->esize; }

void kgrl_gpu_model_train_init(kgrl_engine *e, kgrl_gpu_model *g, const float *host) {
    KGRL_CHECK(!g->grads, "kgrl_gpu_model_train_init: already initialized");
    size_t bytes = 4 * g->n_params;
    float **bufs[3] = {&g->grads, &g->adam_m, &g->adam_v};
    for (int i = 0; i < 3; i++) {
        KGRL_CUDA_CHECK(cudaMalloc((void **)bufs[i], bytes));
        kgrl__ezero(e, *bufs[i], bytes);
    }
    if (!g->bf16) { g->master = (float *)g->params; return; }   // uploaded from host already
    KGRL_CUDA_CHECK(cudaMalloc((void **)&g->master, bytes));
    kgrl__ecopy(e, g->master, host, bytes, cudaMemcpyHostToDevice);
}
void kgrl_gpu_model_zero_grad(kgrl_engine *e, kgrl_gpu_model *g) { kgrl__ezero(e, g->grads, 4 * g->n_params); }
double kgrl_gpu_model_step(kgrl_engine *e, kgrl_gpu_model *g, const kgrl_adamw_desc *d, float lr, float max_norm) {
    KGRL_CHECK(g->grads, "kgrl_gpu_model_step: call kgrl_gpu_model_train_init first");
    float *blocks[1] = {g->grads};
    size_t ns[1] = {g->n_params};
    double norm = kgrl_gpu_clip_grad_norm(e, blocks, ns, 1, max_norm);
    g->step++;
    kgrl_gpu_adamw_step(e, d, lr, g->step, g->master, g->grads, g->adam_m, g->adam_v, g->n_params);
    if (g->bf16) kgrl_gpu_from_f32(e, g->params, g->master, g->n_params, true);
    kgrl_gpu_model_zero_grad(e, g);
    return norm;
}
void kgrl_gpu_model_master_download(kgrl_engine *e, const kgrl_gpu_model *g, float *host) {
    KGRL_CHECK(g->master, "kgrl_gpu_model_master_download: no master weights (kgrl_gpu_model_train_init)");
    kgrl__ecopy(e, host, g->master, 4 * g->n_params, cudaMemcpyDeviceToHost);
}
void kgrl_gpu_model_master_upload(kgrl_engine *e, kgrl_gpu_model *g, const float *host) {
    KGRL_CHECK(g->master, "kgrl_gpu_model_master_upload: no master weights (kgrl_gpu_model_train_init)");
    kgrl__ecopy(e, g->master, host, 4 * g->n_params, cudaMemcpyHostToDevice);
    if (g->bf16) kgrl_gpu_from_f32(e, g->params, g->master, g->n_params, true);
}

kgrl_gpu_lora *kgrl_gpu_lora_upload(kgrl_engine *e, const kgrl_lora *l, kgrl_engine_dtype dtype) {
    kgrl_gpu_lora *g = (kgrl_gpu_lora *)kgrl_calloc(1, sizeof *g);
    g->desc = l->desc;
    g->desc.base_model = NULL;
    g->bf16 = dtype == KGRL_ENGINE_BF16;
    g->n_layers = l->n_layers; g->R = l->desc.rank; g->scaling = l->scaling;
    memcpy(g->in_dim, l->in_dim, sizeof g->in_dim);
    memcpy(g->out_dim, l->out_dim, sizeof g->out_dim);
    g->n_params = l->n_params;
    size_t no = (size_t)l->n_layers * KGRL_LORA_NMOD, n = l->n_params ? l->n_params : 1;
    g->a_off = (size_t *)kgrl_malloc(sizeof(size_t) * no);
    g->b_off = (size_t *)kgrl_malloc(sizeof(size_t) * no);
    memcpy(g->a_off, l->a_off, sizeof(size_t) * no);
    memcpy(g->b_off, l->b_off, sizeof(size_t) * no);
    KGRL_CUDA_CHECK(cudaMalloc((void **)&g->params, 4 * n));
    KGRL_CUDA_CHECK(cudaMalloc((void **)&g->grads, 4 * n));
    KGRL_CUDA_CHECK(cudaMalloc((void **)&g->m, 4 * n));
    KGRL_CUDA_CHECK(cudaMalloc((void **)&g->v, 4 * n));
    kgrl__ecopy(e, g->params, l->params, 4 * l->n_params, cudaMemcpyHostToDevice);
    kgrl__ezero(e, g->grads, 4 * n);
    kgrl__ezero(e, g->m, 4 * n);
    kgrl__ezero(e, g->v, 4 * n);
    if (g->bf16) {
        KGRL_CUDA_CHECK(cudaMalloc(&g->shadow, 2 * n));
        kgrl_gpu_lora_sync(e, g);
    } else {
        g->shadow = g->params;
    }
    return g;
}

void kgrl_gpu_lora_sync(kgrl_engine *e, kgrl_gpu_lora *g) {
    if (g->bf16) kgrl_gpu_from_f32(e, g->shadow, g->params, g->n_params, true);
}
void kgrl_gpu_lora_zero_grad(kgrl_engine *e, kgrl_gpu_lora *g) {
    KGRL_CUDA_CHECK(cudaMemsetAsync(g->grads, 0, 4 * g->n_params, e->ctx->stream));
}
void kgrl_gpu_lora_download(kgrl_engine *e, const kgrl_gpu_lora *g, kgrl_lora *l) {
    KGRL_CHECK(l->n_params == g->n_params, "kgrl_gpu_lora_download: the host LoRA has another layout");
    kgrl__ecopy(e, l->params, g->params, 4 * g->n_params, cudaMemcpyDeviceToHost);
}
void kgrl_gpu_lora_grads_download(kgrl_engine *e, const kgrl_gpu_lora *g, float *host) {
    kgrl__ecopy(e, host, g->grads, 4 * g->n_params, cudaMemcpyDeviceToHost);
}
double kgrl_gpu_lora_step(kgrl_engine *e, kgrl_gpu_lora *g, const kgrl_adamw_desc *d, float lr, float max_norm) {
    float *blocks[1] = {g->grads};
    size_t ns[1] = {g->n_params};
    double norm = kgrl_gpu_clip_grad_norm(e, blocks, ns, 1, max_norm);
    g->step++;
    kgrl_gpu_adamw_step(e, d, lr, g->step, g->params, g->grads, g->m, g->v, g->n_params);
    kgrl_gpu_lora_sync(e, g);
    kgrl_gpu_lora_zero_grad(e, g);
    return norm;
}
void kgrl_gpu_lora_free(kgrl_gpu_lora *g) {
    if (!g) return;
    if (g->bf16) KGRL_CUDA_CHECK(cudaFree(g->shadow));
    KGRL_CUDA_CHECK(cudaFree(g->params));
    KGRL_CUDA_CHECK(cudaFree(g->grads));
    KGRL_CUDA_CHECK(cudaFree(g->m));
    KGRL_CUDA_CHECK(cudaFree(g->v));
    kgrl_free(g->a_off);
    kgrl_free(g->b_off);
    kgrl_free(g);
}
// A (R, in) / B (out, R) of (layer, mod): the storage-dtype shadow (w = 0) or fp32 grads (w = 1)
static void *kgrl__gl_ptr(const kgrl_gpu_lora *g, int layer, int mod, bool is_b, int w) {
    if (!g) return NULL;
    size_t off = (is_b ? g->b_off : g->a_off)[(size_t)layer * KGRL_LORA_NMOD + mod];
    if (off == KGRL_ABSENT) return NULL;
    if (w == 1) return g->grads + off;
    return (char *)g->shadow + off * (g->bf16 ? 2 : 4);
}

// ---------------------------------------------------------------------------------------------
// activations: the memory plan

typedef struct kgrl__plan { size_t total; } kgrl__plan;
// reserves n bytes (256-aligned) at the plan's end; with base != NULL returns the address
static void *kgrl__take(kgrl__plan *p, void *base, size_t n) {
    size_t at = p->total;
    p->total += (n + 255) & ~(size_t)255;
    return base ? (char *)base + at : NULL;
}

static kgrl_engine_desc kgrl__engine_desc_resolve(const kgrl_model_config *cfg, const kgrl_engine_desc *in) {
    kgrl_engine_desc d = KGRL_ZERO;
    if (in) d = *in;
    if (d.max_batch <= 0) d.max_batch = 1;
    if (d.max_tokens <= 0) d.max_tokens = cfg->max_pos > 0 && cfg->max_pos < 1024 ? cfg->max_pos : 1024;
    if (d.training) d.last_logits = false;
    return d;
}

// Lays out every buffer of the acts from `base` (NULL: only count). Returns the total bytes.
static size_t kgrl__acts_layout(kgrl_gpu_acts *a, void *base) {
    kgrl__plan p = {0};
    size_t es = a->esize, B = (size_t)a->B, N = (size_t)a->B * a->T, C = (size_t)a->C;
    size_t QD = (size_t)a->NH * a->HS, KD = (size_t)a->KVH * a->HS, F = (size_t)a->F, V = (size_t)a->V, R = (size_t)a->R;
    bool keep = a->desc.training && !a->desc.checkpoint;   // every layer keeps its own activations
    size_t L = (size_t)a->L, LL = keep ? L : 1;
    size_t MX = C > QD ? C : QD;
    if (F > MX) MX = F;
    a->ls_c = keep ? N * C : 0;  a->ls_q = keep ? N * QD : 0;
    a->ls_k = keep ? N * KD : 0; a->ls_f = keep ? N * F : 0;
    a->ls_r = keep ? N : 0;      a->ls_nh = keep ? N * a->NH : 0;
    a->ls_kvh = keep ? N * a->KVH : 0;
    a->ls_lse = keep ? B * a->NH * a->T : 0;
    a->ls_xa = keep ? KGRL_LORA_NMOD * N * R : 0;
#define KGRL__T(ptr, type, count) ptr = (type)kgrl__take(&p, base, (count) * sizeof(*(ptr)) > 0 ? (count) * sizeof(*(ptr)) : 1)
#define KGRL__E(ptr, count) ptr = kgrl__take(&p, base, (count) * es > 0 ? (count) * es : 1)
    KGRL__T(a->tokens, int *, N); KGRL__T(a->pos, int *, N); KGRL__T(a->kmask, int *, N);
    KGRL__T(a->targets, int *, N); KGRL__T(a->rows, int *, N);
    KGRL__T(a->next_pos, int *, B); KGRL__T(a->slot, int *, 1); KGRL__T(a->start, int *, B);
    KGRL__E(a->res, (a->desc.training ? L + 1 : 2) * N * C);
    KGRL__E(a->mid, LL * N * C); KGRL__E(a->ln1, LL * N * C); KGRL__E(a->ln2, LL * N * C);
    KGRL__T(a->ln1_rstd, float *, LL * N); KGRL__T(a->ln2_rstd, float *, LL * N); KGRL__T(a->lnf_rstd, float *, N);
    KGRL__E(a->qr, LL * N * QD); KGRL__E(a->kr, LL * N * KD); KGRL__E(a->q, LL * N * QD); KGRL__E(a->atty, LL * N * QD);
    KGRL__T(a->q_rstd, float *, LL * N * a->NH); KGRL__T(a->k_rstd, float *, LL * N * a->KVH);
    KGRL__E(a->k, L * N * KD); KGRL__E(a->v, L * N * KD);
    KGRL__T(a->lse, float *, LL * B * a->NH * a->T);
    KGRL__E(a->gate, LL * N * F); KGRL__E(a->up, LL * N * F); KGRL__E(a->hact, LL * N * F);
    KGRL__E(a->lnf, N * C);
    KGRL__E(a->xa, LL * KGRL_LORA_NMOD * N * R);
    size_t LR = a->desc.last_logits ? B : N;
    KGRL__E(a->logits, LR * V);
    KGRL__T(a->lp, float *, N); KGRL__T(a->lp_lse, float *, N); KGRL__T(a->dlp, float *, N);
    KGRL__E(a->d_norm, N * (QD > KD ? QD : KD));
    KGRL__E(a->scratch, N * MX);
    KGRL__E(a->last, B * C);
    KGRL__T(a->att_part, float *, B * a->NH * kgrl__att_chunks(a->T, a->HS, a->esize == 2) * (2 + (size_t)a->HS));
    KGRL__T(a->att_count, unsigned int *, B * a->NH);
    if (a->desc.training) {
        KGRL__E(a->dlogits, N * V);
        KGRL__E(a->d_res, N * C); KGRL__E(a->d_ln, N * C);
        KGRL__E(a->d_atty, N * QD); KGRL__E(a->d_q, N * QD);
        KGRL__E(a->d_k, N * KD); KGRL__E(a->d_v, N * KD); KGRL__E(a->d_vc, N * KD);
        KGRL__E(a->d_gate, N * F); KGRL__E(a->d_up, N * F); KGRL__E(a->d_h, N * F);
        KGRL__E(a->d_xa, N * (R ? R : 1));
        KGRL__E(a->d_qn, N * QD); KGRL__E(a->d_kn, N * KD);
        KGRL__T(a->d_D, float *, B * a->NH * a->T);
        size_t SQ = B * a->NH * (size_t)a->T * a->T, HD = B * a->NH * (size_t)a->T * a->HS;
        KGRL__T(a->att_s, float *, SQ); KGRL__T(a->att_dp, float *, SQ);
        KGRL__E(a->att_p, SQ); KGRL__E(a->att_ds, SQ);
        KGRL__T(a->att_dkh, float *, HD); KGRL__T(a->att_dvh, float *, HD);
        KGRL__T(a->att_ptrs, void **, 3 * B * a->NH);
    }
#undef KGRL__T
#undef KGRL__E
    return p.total;
}

static void kgrl__acts_dims(kgrl_gpu_acts *a, const kgrl_model_config *cfg, int R, bool bf16, const kgrl_engine_desc *desc) {
    a->desc = kgrl__engine_desc_resolve(cfg, desc);
    a->B = a->desc.max_batch; a->T = a->desc.max_tokens;
    a->L = cfg->n_layers; a->C = cfg->hidden_size; a->NH = cfg->n_heads; a->KVH = cfg->n_kv_heads;
    a->HS = cfg->head_dim; a->F = cfg->ffn_size; a->V = cfg->vocab_size; a->R = R;
    a->bf16 = bf16; a->esize = bf16 ? 2 : 4;
}

size_t kgrl_gpu_acts_plan_bytes(const kgrl_model_config *cfg, int lora_rank, bool bf16, const kgrl_engine_desc *desc) {
    kgrl_gpu_acts a;
    memset(&a, 0, sizeof a);
    kgrl__acts_dims(&a, cfg, lora_rank, bf16, desc);
    return kgrl__acts_layout(&a, NULL);
}

kgrl_gpu_acts *kgrl_gpu_acts_create(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, const kgrl_engine_desc *desc) {
    kgrl_gpu_acts *a = (kgrl_gpu_acts *)kgrl_calloc(1, sizeof *a);
    kgrl__acts_dims(a, &gm->cfg, gl ? gl->R : 0, gm->bf16, desc);
    KGRL_CHECK(!gl || gl->bf16 == gm->bf16, "kgrl_gpu_acts_create: the LoRA and the model have different dtypes");
    KGRL_CHECK(gm->cfg.head_dim <= 256, "the GPU attention supports head_dim <= 256 (got %d)", gm->cfg.head_dim);
    a->planned_bytes = kgrl__acts_layout(a, NULL);
    size_t free0, free1, total;
    KGRL_CUDA_CHECK(cudaStreamSynchronize(e->ctx->stream));
    KGRL_CUDA_CHECK(cudaMemGetInfo(&free0, &total));
    cudaError_t err = cudaMalloc(&a->block, a->planned_bytes);
    if (err != cudaSuccess)
        KGRL_FATAL_HINT("reduce max_batch or max_tokens (kgrl_gpu_acts_plan_bytes gives the plan's size)",
                        "the activation plan needs %.2f GiB but cudaMalloc failed: %s (%.2f GiB free)",
                        a->planned_bytes / 1073741824.0, cudaGetErrorString(err), free0 / 1073741824.0);
    KGRL_CUDA_CHECK(cudaMemGetInfo(&free1, &total));
    a->measured_bytes = free0 - free1;
    kgrl__acts_layout(a, a->block);
    kgrl__ezero(e, a->block, a->planned_bytes);
    size_t N = (size_t)a->B * a->T;
    a->h_tokens = (int *)kgrl_calloc(N, sizeof(int));
    a->h_pos = (int *)kgrl_calloc(N, sizeof(int));
    a->h_kmask = (int *)kgrl_calloc(N, sizeof(int));
    a->h_next_pos = (int *)kgrl_calloc((size_t)a->B, sizeof(int));
    a->h_start = (int *)kgrl_calloc((size_t)a->B, sizeof(int));
    kgrl_log(&e->ctx->desc.logger, KGRL_LOG_DEBUG, "engine plan: B=%d T=%d %s %s: planned %.1f MiB, measured %.1f MiB",
             a->B, a->T, a->bf16 ? "bf16" : "fp32", a->desc.training ? "training" : "inference",
             a->planned_bytes / 1048576.0, a->measured_bytes / 1048576.0);
    return a;
}

void kgrl_gpu_acts_free(kgrl_gpu_acts *a) {
    if (!a) return;
    KGRL_CUDA_CHECK(cudaFree(a->block));
    kgrl_free(a->h_tokens); kgrl_free(a->h_pos); kgrl_free(a->h_kmask); kgrl_free(a->h_next_pos); kgrl_free(a->h_start);
    kgrl_free(a);
}

void kgrl_gpu_acts_reset(kgrl_gpu_acts *a) {
    a->len = 0; a->nb = a->nt = 0; a->full = false;
    memset(a->h_kmask, 0, sizeof(int) * (size_t)a->B * a->T);
    memset(a->h_next_pos, 0, sizeof(int) * (size_t)a->B);
}

void kgrl_gpu_acts_copy_row(kgrl_engine *e, kgrl_gpu_acts *a, int dst, int src) {
    KGRL_CHECK(dst >= 0 && src >= 0 && dst < a->B && src < a->B, "kgrl_gpu_acts_copy_row: rows %d, %d outside [0, %d)", dst, src, a->B);
    if (dst == src) return;
    size_t row = (size_t)a->T * a->KVH * a->HS * a->esize;   // one sequence's slots of one layer
    for (int l = 0; l < a->L; l++) {
        size_t lo = (size_t)l * a->B * row;
        KGRL_CUDA_CHECK(cudaMemcpyAsync((char *)a->k + lo + dst * row, (char *)a->k + lo + src * row, row, cudaMemcpyDeviceToDevice, e->ctx->stream));
        KGRL_CUDA_CHECK(cudaMemcpyAsync((char *)a->v + lo + dst * row, (char *)a->v + lo + src * row, row, cudaMemcpyDeviceToDevice, e->ctx->stream));
    }
    memcpy(a->h_kmask + (size_t)dst * a->T, a->h_kmask + (size_t)src * a->T, sizeof(int) * (size_t)a->T);
    a->h_next_pos[dst] = a->h_next_pos[src];
}

// Rows 0..B-1's first real slots from the host's slot mask (a row with none: 0), copied to the device
// on the stream; the caller waits for the copy before h_start changes (pageable memory). The
// attention counts a row's slots from there, so its sums do not depend on the left padding that a
// longer prompt beside it puts in front of it.
static void kgrl__upload_start(kgrl_engine *e, kgrl_gpu_acts *a, int B) {
    for (int b = 0; b < B; b++) {
        const int *m = a->h_kmask + (size_t)b * a->T;
        int s = 0;
        while (s < a->T && !m[s]) s++;
        a->h_start[b] = s < a->T ? s : 0;
    }
    a->padded = false;
    for (int b = 0; b < B; b++) a->padded = a->padded || a->h_start[b] > 0;
    KGRL_CUDA_CHECK(cudaMemcpyAsync(a->start, a->h_start, sizeof(int) * (size_t)B, cudaMemcpyHostToDevice, e->ctx->stream));
}

// The decode attention's start argument: NULL where no row is padded (its faster bodies)
static const int *kgrl__att_start(const kgrl_gpu_acts *a) { return a->padded ? a->start : NULL; }

// Row b of the acts as a plan of its own for a forward of one row: the state a row keeps between
// calls (its KV cache slots, slot mask, first slot, next position, last logits) at row b; the rest is
// scratch that a one-row forward uses from its start. a->B stays, so the caches' layer stride holds.
static kgrl_gpu_acts kgrl__acts_row(const kgrl_gpu_acts *a, int b) {
    kgrl_gpu_acts r = *a;
    size_t kv = (size_t)b * a->T * a->KVH * a->HS, slots = (size_t)b * a->T;
    r.k = (char *)a->k + kv * a->esize; r.v = (char *)a->v + kv * a->esize;
    r.kmask = a->kmask + slots; r.h_kmask = a->h_kmask + slots;
    r.start = a->start + b; r.h_start = a->h_start + b;
    r.next_pos = a->next_pos + b; r.h_next_pos = a->h_next_pos + b;
    if (a->desc.last_logits) r.logits = (char *)a->logits + (size_t)b * a->V * a->esize;
    return r;
}

// ---------------------------------------------------------------------------------------------
// model forward / backward

#define KGRL__EP(base, off) ((void *)((char *)(base) + (size_t)(off) * a->esize))   // element offset into a storage buffer
// Layer l's KV cache (B, T, KVH * HS) inside cache (a->k or a->v: (L, B, T, KVH * HS))
static void *kgrl__layer_cache(const kgrl_gpu_acts *a, void *cache, int l) {
    return KGRL__EP(cache, (size_t)l * a->B * a->T * a->KVH * a->HS);
}

// The LoRA A output xa (B*T, R) of (layer, mod): a slot per module (and per layer in training plans)
static void *kgrl__xa_slot(const kgrl_gpu_acts *a, int layer, int mod) {
    return KGRL__EP(a->xa, (size_t)layer * a->ls_xa + (size_t)mod * a->B * a->T * a->R);
}

static void kgrl__gproj_forward(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                void *out, const void *inp, int layer, int w, int wb, int mod, int N) {
    int rows, cols;
    kgrl__layer_tensor_shape(&gm->cfg, w, &rows, &cols);
    kgrl_gpu_matmul_forward(e, out, inp, kgrl_gpu_model_tensor(gm, layer, w), kgrl_gpu_model_tensor(gm, layer, wb), N, cols, rows, a->bf16);
    void *A = kgrl__gl_ptr(gl, layer, mod, false, 0);
    if (!A) return;
    float p = a->lora_dropout ? gl->desc.dropout : 0.0f;
    void *xa = kgrl__xa_slot(a, layer, mod);
    kgrl_gpu_lora_forward(e, out, xa, inp, A, kgrl__gl_ptr(gl, layer, mod, true, 0), gl->scaling, p, a->dropout_seed,
                          kgrl__lora_dropout_stream(layer, mod), N, cols, rows, a->R, a->scratch, a->bf16);
}

// Gradient of a layer tensor inside a model_grads block (NULL: no block, or the config has no such tensor).
static float *kgrl__gpu_grad(const kgrl_gpu_model *gm, float *model_grads, int layer, int w) {
    size_t off = gm->layer_off[(size_t)layer * KGRL_W_COUNT + w];
    return model_grads && off != KGRL_ABSENT ? model_grads + off : NULL;
}

static void kgrl__gproj_backward(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                 void *dinp, const void *dout, const void *inp, int layer, int w, int wb, int mod, int N,
                                 float *model_grads) {
    int rows, cols;
    kgrl__layer_tensor_shape(&gm->cfg, w, &rows, &cols);
    kgrl_gpu_matmul_backward(e, dinp, kgrl__gpu_grad(gm, model_grads, layer, w), kgrl__gpu_grad(gm, model_grads, layer, wb),
                             dout, inp, kgrl_gpu_model_tensor(gm, layer, w), N, cols, rows, a->bf16);
    void *A = kgrl__gl_ptr(gl, layer, mod, false, 0);
    if (!A) return;
    float p = a->lora_dropout ? gl->desc.dropout : 0.0f;
    const void *xa = kgrl__xa_slot(a, layer, mod);
    kgrl_gpu_lora_backward(e, dinp, (float *)kgrl__gl_ptr(gl, layer, mod, false, 1), (float *)kgrl__gl_ptr(gl, layer, mod, true, 1),
                           a->d_xa, dout, xa, inp, A, kgrl__gl_ptr(gl, layer, mod, true, 0), gl->scaling, p, a->dropout_seed,
                           kgrl__lora_dropout_stream(layer, mod), N, cols, rows, a->R, a->scratch, a->bf16);
}

// ---------------------------------------------------------------------------------------------
// decode GEMVs: a forward of T == 1 (an inference plan's decode step, any rows)
// runs its projections and LM head on kgrl_k_gemv instead of cuBLAS, which is latency-bound at
// one row and whose sums depend on the row count. Where
// every piece applies (kgrl__decode_fused), a layer is five launches: q/k/v of the first RMSNorm
// (folded into the dot products) with the rope and the KV-cache writes after, the split-KV attention,
// o with the residual add, gate/up of the second RMSNorm with the swiglu, down with the residual add;
// after the last layer the final norm and the LM head's GEMV. Otherwise
// each projection group runs on the GEMV where its weights are at most KGRL__GEMV_MAX_BYTES, with the
// separate norm, rope and add kernels of a prefill.

// A projection of a layer: weight w, bias wb (may be absent), LoRA module mod
typedef struct kgrl__proj { int w, wb, mod; } kgrl__proj;
static const kgrl__proj kgrl__qkv_proj[3] = {{KGRL_W_Q, KGRL_W_QB, KGRL_LORA_Q}, {KGRL_W_K, KGRL_W_KB, KGRL_LORA_K}, {KGRL_W_V, KGRL_W_VB, KGRL_LORA_V}};
static const kgrl__proj kgrl__mlp_proj[2] = {{KGRL_W_GATE, KGRL_W_GATEB, KGRL_LORA_GATE}, {KGRL_W_UP, KGRL_W_UPB, KGRL_LORA_UP}};
static const kgrl__proj kgrl__o_proj = {KGRL_W_O, KGRL_W_OB, KGRL_LORA_O}, kgrl__down_proj = {KGRL_W_DOWN, KGRL_W_DOWNB, KGRL_LORA_DOWN};

// Every decode step of an inference plan runs on the GEMVs, whatever its rows: kgrl__gemv cuts them into
// launches of 16 (32 or 64 on tensor cores), and a row's bits depend neither on N nor on the launch that
// takes it, so a sequence's tokens do not depend on the batch around it (kgrl_gpu_sample) at any batch
// size. cuBLAS takes many rows at once in less time, but picks its GEMM for the row count: on it 12 of 12
// sequences (B 2 x G 6) differed from the same sequence sampled alone by their second token, and 64 of 64
// at 64 rows (forty-seventh and fifty-second sessions). It took every step past 16 rows until the
// fifty-third session. The price, H100, fifty-third session: batch-64 decode (exp04, 128 new tokens, 64
// prompts prefilled one by one) at 0.5B 9967 / 9960 against main's 27757 / 27749 tokens/s on cuBLAS,
// interleaved in one call; in the full run 9940 at 0.5B and 6366 at 1.5B (14355 the session before),
// 12.9x and 7.1x HF generate in the same call (issue 6's target 5x); tools/decode_sweep at 64 rows 5.15
// against 1.89 ms a step (0.5B), 7.88 against 3.79 (1.5B). Up to 16 rows nothing changed (batch 1 0.6454
// / 0.6462 against 0.6532 / 0.6500 ms a token, batch 8 6230 against 6216 tokens/s, interleaved in one
// call). NOTES.md has the rest (forty-ninth, fifty-second and fifty-third sessions).
// tools/decode_sweep, ms a step (median of 5 pairs, two rounds), H100, forty-eighth session: these GEMVs
// / the 8-row launches of before (16 rows in two) / cuBLAS, in the same call:
//   - the kit's default model (C 384, 6 layers), LoRA on 7 modules: 12 rows 0.280 / 0.383 / 0.419,
//     16 rows 0.298 / 0.433 / 0.417; without LoRA 12 rows 0.182 / 0.213 / 0.228, 16 rows 0.197 / 0.230 / 0.208;
//   - the 0.5B shape: 12 rows 1.48 / 1.93 / 1.38, 16 rows 1.71 / 2.15 / 1.39; LoRA 12 rows 2.14 / 3.04 /
//     2.46, 16 rows 2.57 / 2.84 / 2.41.
// With x chunk-major in the 16-row kernels (kgrl_gemv_cs, fiftieth session; H100, against 243880c in
// one call): the 0.5B shape 12 rows 1.240 / 1.409 ms a step, 16 rows 1.439 / 1.651, LoRA 12 rows
// 1.997 / 2.090, 16 rows 2.453 / 2.526; exp04 decode_split at 16 rows 1286 us on the GEMVs against
// 1259 on cuBLAS (1490 / 1255 before). The 1.5B bench model's gate/up and down, past
// KGRL__GEMV_MMA_BYTES, run on tensor cores at every N since the fifty-first session (kgrl__gemv_mma):
// exp04 decode_split's step sums at 16 rows 2211 us against 4065 before and 2333 on cuBLAS, at 8 rows
// 1656 against 2182 and 2246 (H100, one call; its figures at kgrl__gemv_mma).
static bool kgrl__gemv_step(const kgrl_gpu_acts *a, int T) { return T == 1 && !a->desc.training; }
static bool kgrl__gemv_pays(size_t weight_bytes) { return weight_bytes <= KGRL__GEMV_MAX_BYTES; }
// The weights of the projections p[0..nseg), in bytes
static size_t kgrl__proj_bytes(const kgrl_gpu_model *gm, const kgrl__proj *p, int nseg) {
    size_t bytes = 0;
    for (int s = 0; s < nseg; s++) {
        int rows, cols;
        kgrl__layer_tensor_shape(&gm->cfg, p[s].w, &rows, &cols);
        bytes += (size_t)rows * cols * gm->esize;
    }
    return bytes;
}
// The io of a launch over x (N, K) as it is: no norm, no residual, no rope
static kgrl__gemv_io kgrl__gemv_plain(const void *x, int N, int K, bool bf16) {
    kgrl__gemv_io io = KGRL_ZERO;
    io.x = x; io.N = N; io.K = K; io.bf = bf16;
    return io;
}
// out (N, OC) = x W^T + bias as one GEMV segment over the io's input; false
// (nothing launched) where the kernel's layout contract does not hold
static bool kgrl__gemv_forward(kgrl_engine *e, void *out, const kgrl__gemv_io *io, const void *W, const void *bias, int OC) {
    if (!kgrl__gemv_fits(io->x, io->K) || !kgrl__gemv_fits(W, io->K)) return false;
    kgrl__gemv_segs sg = KGRL_ZERO;
    sg.n = 1;
    sg.s[0].W = W; sg.s[0].bias = bias; sg.s[0].out = out; sg.s[0].OC = OC;
    kgrl__gemv(e, &sg, io);
    return true;
}
// The projections p[0..nseg) of layer `layer` over the io's input as GEMVs into outs[s] with segment
// flags flags[s] (NULL: none; swiglu: p = {gate, up} and outs[0] = h = silu(gate) * up). LoRA: one
// launch for the A projections of the targeted modules into their xa slots, then the B products in
// the main launch's epilogue. False (nothing launched) where the
// kernel's contract does not hold or LoRA dropout is on (the cuBLAS path applies its masks).
static bool kgrl__gemv_proj(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                            void *const *outs, const int *flags, const kgrl__gemv_io *in, int layer, const kgrl__proj *p,
                            int nseg, bool swiglu) {
    kgrl__gemv_segs sg = KGRL_ZERO, sa = KGRL_ZERO;   // the projections; the LoRA A projections
    kgrl__gemv_io io = *in;
    bool ok = true;
    for (int s = 0; s < nseg; s++) {
        kgrl__gemv_seg *g = &sg.s[sg.n++];
        kgrl__layer_tensor_shape(&gm->cfg, p[s].w, &g->OC, &io.K);
        g->W = kgrl_gpu_model_tensor(gm, layer, p[s].w);
        g->bias = kgrl_gpu_model_tensor(gm, layer, p[s].wb);
        g->out = swiglu && s == 1 ? NULL : outs[s];
        g->flags = flags ? flags[s] : 0;
        ok = ok && kgrl__gemv_fits(g->W, io.K);
        const void *A = kgrl__gl_ptr(gl, layer, p[s].mod, false, 0);   // (R, K)
        if (!A) continue;
        void *xa = kgrl__xa_slot(a, layer, p[s].mod);
        g->lb = kgrl__gl_ptr(gl, layer, p[s].mod, true, 0);
        g->xa = xa;
        kgrl__gemv_seg *ga = &sa.s[sa.n++];
        ga->W = A; ga->out = xa; ga->OC = a->R;
        ok = ok && kgrl__gemv_fits(A, io.K);
    }
    io.R = a->R; io.scale = gl ? gl->scaling : 0.0f; io.swiglu = swiglu; io.bf = a->bf16;
    if (!ok || !kgrl__gemv_fits(io.x, io.K) || (sa.n && a->lora_dropout && gl->desc.dropout > 0.0f)) return false;
    if (sa.n) {   // xa = x A^T (of the norm where the launch reads one), rounded as the cuBLAS path's
        kgrl__gemv_io ia = kgrl__gemv_plain(io.x, io.N, io.K, a->bf16);
        ia.norm_w = io.norm_w; ia.eps = io.eps;
        kgrl__gemv(e, &sa, &ia);
        // the main launch waits for it only before its epilogue, which reads xa (kgrl_gemv_run): the
        // A launch runs beside the dot products instead of ahead of them in the step's chain. H100,
        // decode_sweep with LoRA on 7 modules, ms a step, against 9b9acea in one call (two rounds): the
        // default model 12 rows (exp03's rollouts) 0.220 / 0.216 against 0.265 / 0.267, 16 rows 0.226 /
        // 0.253 against 0.290 / 0.296, 1 row 0.136 / 0.136 against 0.145 / 0.147; the 0.5B shape 16 rows
        // 1.912 against 2.462, 1 row 0.889 against 0.901; without LoRA unchanged (fiftieth session)
        io.xa_late = 1;
    }
    kgrl__gemv(e, &sg, &io);
    return true;
}
// The projections p[0..nseg) of one input inp (N, K) into outs[s]; swiglu: outs = {gate, up, h} with h =
// silu(gate) * up. A decode step (gemv) over weights the GEMV pays for runs them as GEMVs, writing h
// directly (gate and up untouched); otherwise, or where the GEMV does not apply, one cuBLAS
// projection (and LoRA) each, as before.
static void kgrl__proj_group(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                             void *const *outs, const void *inp, int layer, const kgrl__proj *p, int nseg, bool swiglu,
                             int N, bool gemv) {
    kgrl__gemv_io io = kgrl__gemv_plain(inp, N, 0, a->bf16);
    if (gemv && kgrl__gemv_pays(kgrl__proj_bytes(gm, p, nseg)) &&
        kgrl__gemv_proj(e, gm, gl, a, swiglu ? outs + 2 : outs, NULL, &io, layer, p, nseg, swiglu))
        return;
    for (int s = 0; s < nseg; s++) kgrl__gproj_forward(e, gm, gl, a, outs[s], inp, layer, p[s].w, p[s].wb, p[s].mod, N);
    if (swiglu) kgrl_gpu_swiglu_forward(e, outs[2], outs[0], outs[1], (size_t)N * gm->cfg.ffn_size, a->bf16);
}
// Whether a decode step runs the fused layers: the GEMV path, no q/k norms (Qwen3 norms
// between the projection and the rope), no LoRA dropout, and every weight, norm weight and LoRA A
// matrix in the kernel's layout (checked before any launch, so a step never stops half fused).
static bool kgrl__decode_fused(const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, const kgrl_gpu_acts *a, int T) {
    const kgrl_model_config *c = &gm->cfg;
    if (!kgrl__gemv_step(a, T) || c->qk_norm || c->head_dim % 2) return false;
    if (gl && a->lora_dropout && gl->desc.dropout > 0.0f) return false;
    const kgrl__proj *all[7] = {&kgrl__qkv_proj[0], &kgrl__qkv_proj[1], &kgrl__qkv_proj[2], &kgrl__o_proj,
                                &kgrl__mlp_proj[0], &kgrl__mlp_proj[1], &kgrl__down_proj};
    for (int l = 0; l < c->n_layers; l++) {
        if (!kgrl__gemv_fits(kgrl_gpu_model_tensor(gm, l, KGRL_W_LN1), c->hidden_size) ||
            !kgrl__gemv_fits(kgrl_gpu_model_tensor(gm, l, KGRL_W_LN2), c->hidden_size))
            return false;
        for (int i = 0; i < 7; i++) {
            int rows, K;
            kgrl__layer_tensor_shape(c, all[i]->w, &rows, &K);
            const void *A = kgrl__gl_ptr(gl, l, all[i]->mod, false, 0);
            if (!kgrl__gemv_fits(kgrl_gpu_model_tensor(gm, l, all[i]->w), K) || (A && !kgrl__gemv_fits(A, K))) return false;
        }
    }
    return true;
}
// The four GEMV launches of a fused decode layer (kgrl__decode_fused), each with its LoRA A launch
// where targeted; false where the GEMV does not apply. x: the layer's residual stream in.
// The io of a launch that reads RMSNorm(x) with layer l's norm weight w
static kgrl__gemv_io kgrl__gemv_normed(const kgrl_gpu_model *gm, const kgrl_gpu_acts *a, const void *x, int l, int w, int N) {
    kgrl__gemv_io io = kgrl__gemv_plain(x, N, 0, a->bf16);
    io.norm_w = kgrl_gpu_model_tensor(gm, l, w); io.eps = gm->cfg.rms_eps;
    return io;
}
// q/k/v of RMSNorm(x): q rotated into a->q, k rotated and v into their cache slots
static bool kgrl__fused_qkv(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a, int l, int N,
                            int t0, const int *slot, const void *x) {
    kgrl__gemv_io io = kgrl__gemv_normed(gm, a, x, l, KGRL_W_LN1, N);
    io.pos = a->pos; io.inv_freq = gm->rope_inv_freq; io.t0p = slot; io.t0 = t0; io.Tk = a->T; io.HS = gm->cfg.head_dim;
    void *out[3] = {a->q, kgrl__layer_cache(a, a->k, l), kgrl__layer_cache(a, a->v, l)};
    const int flags[3] = {KGRL__GEMV_ROPE, KGRL__GEMV_ROPE | KGRL__GEMV_CACHE, KGRL__GEMV_CACHE};
    return kgrl__gemv_proj(e, gm, gl, a, out, flags, &io, l, kgrl__qkv_proj, 3, false);
}
// a->mid = x + o(a->atty)
static bool kgrl__fused_o(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a, int l, int N, const void *x) {
    kgrl__gemv_io io = kgrl__gemv_plain(a->atty, N, 0, a->bf16);
    io.resid = x;
    return kgrl__gemv_proj(e, gm, gl, a, &a->mid, NULL, &io, l, &kgrl__o_proj, 1, false);
}
// a->hact = silu(gate) * up of RMSNorm(a->mid)
static bool kgrl__fused_gate_up(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a, int l, int N) {
    kgrl__gemv_io io = kgrl__gemv_normed(gm, a, a->mid, l, KGRL_W_LN2, N);
    return kgrl__gemv_proj(e, gm, gl, a, &a->hact, NULL, &io, l, kgrl__mlp_proj, 2, true);
}
// xo = a->mid + down(a->hact)
static bool kgrl__fused_down(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a, int l, int N, void *xo) {
    kgrl__gemv_io io = kgrl__gemv_plain(a->hact, N, 0, a->bf16);
    io.resid = a->mid;
    return kgrl__gemv_proj(e, gm, gl, a, &xo, NULL, &io, l, &kgrl__down_proj, 1, false);
}
// One fused decode layer: x (N, C) the residual stream in, xo out
static void kgrl__gforward_layer_fused(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                       int l, int N, int t0, const int *slot, const void *x, void *xo) {
    const kgrl_model_config *c = &gm->cfg;
    bool ok = kgrl__fused_qkv(e, gm, gl, a, l, N, t0, slot, x);
    kgrl__attention_decode(e, a->atty, a->lse, a->att_part, a->att_count, a->q, kgrl__layer_cache(a, a->k, l),
                           kgrl__layer_cache(a, a->v, l), a->kmask, kgrl__att_start(a), slot, N, a->T, t0, c->n_heads,
                           c->n_kv_heads, c->head_dim, a->bf16);
    ok = ok && kgrl__fused_o(e, gm, gl, a, l, N, x) && kgrl__fused_gate_up(e, gm, gl, a, l, N) &&
         kgrl__fused_down(e, gm, gl, a, l, N, xo);
    KGRL_CHECK(ok, "fused decode layer %d: a GEMV did not apply after kgrl__decode_fused said it would", l);
}

// The weight of the norm after layer l: the next layer's first norm, or the final norm after the last
static const void *kgrl__next_norm_w(const kgrl_gpu_model *gm, int l) {
    return l + 1 == gm->cfg.n_layers ? kgrl__gpu_at(gm, gm->norm_off) : kgrl_gpu_model_tensor(gm, l + 1, KGRL_W_LN1);
}

static void kgrl__gforward_check(const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, const kgrl_gpu_acts *a, int B, int T, int t0) {
    const kgrl_model_config *c = &gm->cfg;
    KGRL_CHECK(B > 0 && B <= a->B, "gpu model forward: batch %d exceeds the plan's %d", B, a->B);
    KGRL_CHECK(T > 0 && t0 + T <= a->T, "gpu model forward: %d cached + %d new tokens exceed the plan's %d", t0, T, a->T);
    KGRL_CHECK(a->L == c->n_layers && a->C == c->hidden_size && a->V == c->vocab_size && a->bf16 == gm->bf16,
               "gpu model forward: acts were planned for another config or dtype");
    KGRL_CHECK(!gl || (gl->R == a->R && gl->n_layers == c->n_layers), "gpu model forward: acts were planned for LoRA rank %d", a->R);
}

// Tokens, slot mask and positions from host arrays into the host mirrors (as the CPU), then one
// upload each, waited for.
static void kgrl__gforward_inputs(kgrl_engine *e, int V, kgrl_gpu_acts *a, const int *tokens, const int *pos, const int *mask,
                                  int B, int T, int t0) {
    cudaStream_t st = e->ctx->stream;
    int Tk = a->T;
    for (int b = 0; b < B; b++) {
        int p = t0 == 0 ? 0 : a->h_next_pos[b];
        for (int i = 0; i < T; i++) {
            int n = b * T + i, tok = tokens[n], real = mask ? (mask[n] != 0) : 1;
            KGRL_CHECK(tok >= 0 && tok < V, "gpu model forward: token %d at (%d, %d) is outside the vocabulary [0, %d)", tok, b, i, V);
            a->h_tokens[n] = tok;
            a->h_kmask[(size_t)b * Tk + t0 + i] = real;
            a->h_pos[n] = pos ? pos[n] : p;
            if (real) p++;
        }
        a->h_next_pos[b] = pos ? pos[b * T + T - 1] + 1 : p;
    }
    size_t N = (size_t)B * T;
    KGRL_CUDA_CHECK(cudaMemcpyAsync(a->tokens, a->h_tokens, sizeof(int) * N, cudaMemcpyHostToDevice, st));
    KGRL_CUDA_CHECK(cudaMemcpyAsync(a->pos, a->h_pos, sizeof(int) * N, cudaMemcpyHostToDevice, st));
    KGRL_CUDA_CHECK(cudaMemcpyAsync(a->kmask, a->h_kmask, sizeof(int) * (size_t)B * Tk, cudaMemcpyHostToDevice, st));
    kgrl__upload_start(e, a, B);
    // the host arrays are reused by the next call: wait for the copies (pageable memory)
    KGRL_CUDA_CHECK(cudaStreamSynchronize(st));
}

// The launches of a forward of B rows x T new tokens after t0 cached ones, from the device inputs
// a->tokens, a->pos, a->kmask. slot != NULL: t0 is read from the device there instead (the decode
// step of kgrl_gpu_sample, captured once in a CUDA graph and replayed while the slot moves). Nothing
// here reads host data that changes from step to step, copies from the host or waits.
// One layer of the forward: from its first norm's output (ln1 of its slot, ready) to its residual
// output xo = x + attention + MLP, then the norm fused with the last add into next / next_rstd: the
// next layer's first norm, or the final norm (the backward's recomputation passes scratch there).
static void kgrl__gforward_layer(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                 int l, int B, int T, int t0, const int *slot, void *x, void *xo, void *next,
                                 float *next_rstd) {
    const kgrl_model_config *c = &gm->cfg;
    int N = B * T, NH = c->n_heads, KVH = c->n_kv_heads, HS = c->head_dim;
    int Tk = a->T, C = c->hidden_size;
    bool bf = a->bf16;
    size_t li = (size_t)l;   // activation slot: times the layer strides, which are 0 without per-layer slots
    void *mid = KGRL__EP(a->mid, li * a->ls_c), *ln1 = KGRL__EP(a->ln1, li * a->ls_c), *ln2 = KGRL__EP(a->ln2, li * a->ls_c);
    void *qr = KGRL__EP(a->qr, li * a->ls_q), *kr = KGRL__EP(a->kr, li * a->ls_k);
    void *q = KGRL__EP(a->q, li * a->ls_q), *atty = KGRL__EP(a->atty, li * a->ls_q);
    void *kc = kgrl__layer_cache(a, a->k, l), *vc = kgrl__layer_cache(a, a->v, l);
    void *gate = KGRL__EP(a->gate, li * a->ls_f), *up = KGRL__EP(a->up, li * a->ls_f), *hact = KGRL__EP(a->hact, li * a->ls_f);
    float *lse = a->lse + li * a->ls_lse;
    bool gemv = kgrl__gemv_step(a, T);   // a decode step: GEMVs instead of cuBLAS
    void *qkv_out[3] = {qr, kr, atty}, *mlp_out[3] = {gate, up, hact};   // v via atty
    kgrl__proj_group(e, gm, gl, a, qkv_out, ln1, l, kgrl__qkv_proj, 3, false, N, gemv);
    const void *qn = qr, *kn = kr;
    if (c->qk_norm) {
        kgrl_gpu_rmsnorm_forward(e, q, a->q_rstd + li * a->ls_nh, qr, kgrl_gpu_model_tensor(gm, l, KGRL_W_QNORM), c->rms_eps, N * NH, HS, bf);
        kgrl_gpu_rmsnorm_forward(e, a->d_norm, a->k_rstd + li * a->ls_kvh, kr, kgrl_gpu_model_tensor(gm, l, KGRL_W_KNORM), c->rms_eps, N * KVH, HS, bf);
        qn = q; kn = a->d_norm;
    }
    kgrl__rope_qkv(e, q, qn, kc, kn, vc, atty, a->pos, gm->rope_inv_freq, slot, N, T, Tk, t0, NH, KVH, HS, bf);
    if (T == 1)
        kgrl__attention_decode(e, atty, lse, a->att_part, a->att_count, q, kc, vc, a->kmask, kgrl__att_start(a), slot, B, Tk, t0,
                               NH, KVH, HS, bf);
    else if (a->desc.training && t0 == 0) kgrl__attention_fwd_gemm(e, a, atty, lse, q, kc, vc, B, T);
    else kgrl__attention_fwd(e, atty, lse, q, kc, vc, a->kmask, a->start, slot, B, T, Tk, t0, NH, KVH, HS, bf);
    kgrl__proj_group(e, gm, gl, a, &mid, atty, l, &kgrl__o_proj, 1, false, N, gemv);
    kgrl__add_rmsnorm(e, ln2, a->ln2_rstd + li * a->ls_r, mid, mid, x, kgrl_gpu_model_tensor(gm, l, KGRL_W_LN2), c->rms_eps, N, C, bf);
    kgrl__proj_group(e, gm, gl, a, mlp_out, ln2, l, kgrl__mlp_proj, 2, true, N, gemv);
    kgrl__proj_group(e, gm, gl, a, &xo, hact, l, &kgrl__down_proj, 1, false, N, gemv);
    kgrl__add_rmsnorm(e, next, next_rstd, xo, xo, mid, kgrl__next_norm_w(gm, l), c->rms_eps, N, C, bf);
}

static void kgrl__gforward_layers(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                  int B, int T, int t0, const int *slot) {
    const kgrl_model_config *c = &gm->cfg;
    int N = B * T, C = c->hidden_size;
    bool bf = a->bf16;
    size_t es = a->esize;
    size_t NC = (size_t)a->B * a->T * C;
    bool fused = kgrl__decode_fused(gm, gl, a, T);
    kgrl_gpu_embedding_forward(e, a->res, a->tokens, kgrl__gpu_at(gm, gm->embed_off), N, C, bf);
    // layer 0's first norm; every later norm runs in one launch with the residual add before it (fused:
    // in the GEMVs that read it, and the final norm on its own after the last layer)
    if (!fused) kgrl_gpu_rmsnorm_forward(e, a->ln1, a->ln1_rstd, a->res, kgrl_gpu_model_tensor(gm, 0, KGRL_W_LN1), c->rms_eps, N, C, bf);
    for (int l = 0; l < c->n_layers; l++) {
        void *x = KGRL__EP(a->res, (a->desc.training ? (size_t)l : (size_t)(l % 2)) * NC);
        void *xo = KGRL__EP(a->res, (a->desc.training ? (size_t)(l + 1) : (size_t)((l + 1) % 2)) * NC);
        // xo += mid, then the next layer's first norm of it, or the final norm after the last layer
        bool last = l + 1 == c->n_layers;   // layer slot l + 1: offset 0 where the strides are 0
        void *next = last ? a->lnf : KGRL__EP(a->ln1, (size_t)(l + 1) * a->ls_c);
        float *next_rstd = last ? a->lnf_rstd : a->ln1_rstd + (size_t)(l + 1) * a->ls_r;
        if (fused) kgrl__gforward_layer_fused(e, gm, gl, a, l, N, t0, slot, x, xo);
        else kgrl__gforward_layer(e, gm, gl, a, l, B, T, t0, slot, x, xo, next, next_rstd);
        if (fused && last) kgrl_gpu_rmsnorm_forward(e, next, next_rstd, xo, kgrl__next_norm_w(gm, l), c->rms_eps, N, C, bf);
    }
    const void *rows = a->lnf;   // (B*T or B, C): the LM head's input rows
    if (a->desc.last_logits && T > 1) {
        // each sequence's last row only: gather (B, C), then (B, V); with T = 1, lnf is already (B, C)
        KGRL_CUDA_CHECK(cudaMemcpy2DAsync(a->last, (size_t)C * es, (char *)a->lnf + (size_t)(T - 1) * C * es, (size_t)T * C * es,
                                          (size_t)C * es, (size_t)B, cudaMemcpyDeviceToDevice, e->ctx->stream));
        rows = a->last;
    }
    const void *head = kgrl__gpu_at(gm, gm->lm_head_off);
    int nr = a->desc.last_logits ? B : N;
    // a fused step's LM head runs as a GEMV whatever its size: it starts loading before its wait
    // (scratch probe of the graph-launched batch-1 step, H100, against cuBLAS in the same call: 0.5B
    // 761.1 / 761.3 -> 720.7 / 720.7 us, 1.5B 1631.4 / 1632.3 -> 1630.3 / 1629.2; with the final norm
    // folded into it, 726.7 and 1628.0, since that launch keeps fewer loads in flight)
    bool gemv = fused || (kgrl__gemv_step(a, T) && kgrl__gemv_pays((size_t)c->vocab_size * C * es));
    kgrl__gemv_io io = kgrl__gemv_plain(rows, nr, C, bf);
    if (!gemv || !kgrl__gemv_forward(e, a->logits, &io, head, NULL, c->vocab_size))
        kgrl_gpu_matmul_forward(e, a->logits, rows, head, NULL, nr, C, c->vocab_size, bf);
}

static void kgrl__gforward(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                           const int *tokens, const int *pos, const int *mask, int B, int T, int t0) {
    kgrl__gforward_check(gm, gl, a, B, T, t0);
    kgrl__gforward_inputs(e, gm->cfg.vocab_size, a, tokens, pos, mask, B, T, t0);
    a->nb = B; a->nt = T;
    kgrl__gforward_layers(e, gm, gl, a, B, T, t0, NULL);
    a->len = t0 + T;
}

void kgrl_gpu_model_forward(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                            const int *tokens, const int *pos, const int *mask, int B, int T) {
    kgrl_gpu_acts_reset(a);
    kgrl__gforward(e, gm, gl, a, tokens, pos, mask, B, T, 0);
    a->full = a->desc.training;
}

void kgrl_gpu_model_decode(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                           const int *tokens, const int *pos, const int *mask, int B, int T) {
    KGRL_CHECK(a->len == 0 || B == a->nb, "gpu model decode: batch %d differs from the cached batch %d", B, a->nb);
    kgrl__gforward(e, gm, gl, a, tokens, pos, mask, B, T, a->len);
    a->full = false;
}

void kgrl_gpu_logits_download(kgrl_engine *e, const kgrl_gpu_acts *a, float *host) {
    size_t n = (size_t)(a->desc.last_logits ? a->nb : a->nb * a->nt) * a->V;
    float *tmp;
    KGRL_CUDA_CHECK(cudaMalloc((void **)&tmp, 4 * (n ? n : 1)));
    kgrl_gpu_to_f32(e, tmp, a->logits, n, a->bf16);
    KGRL_CUDA_CHECK(cudaMemcpyAsync(host, tmp, 4 * n, cudaMemcpyDeviceToHost, e->ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(e->ctx->stream));
    KGRL_CUDA_CHECK(cudaFree(tmp));
}

void kgrl_gpu_model_backward(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                             float *model_grads) {
    KGRL_CHECK(a->full && a->desc.training, "kgrl_gpu_model_backward: no training forward to differentiate (plan with training = true and call kgrl_gpu_model_forward)");
    const kgrl_model_config *c = &gm->cfg;
    cudaStream_t st = e->ctx->stream;
    int B = a->nb, T = a->nt, N = B * T, C = c->hidden_size, NH = c->n_heads, KVH = c->n_kv_heads, HS = c->head_dim;
    int F = c->ffn_size, QD = NH * HS, KD = KVH * HS, Tk = a->T;
    bool bf = a->bf16;
    size_t es = a->esize, NC = (size_t)a->B * a->T * C;
    void *d_res = a->d_res, *d_ln = a->d_ln;
#define KGRL__Z(ptr, count) KGRL_CUDA_CHECK(cudaMemsetAsync((ptr), 0, (size_t)(count) * es, st))
    KGRL__Z(d_ln, (size_t)N * C);
    float *G = model_grads;
    kgrl_gpu_matmul_backward(e, d_ln, G ? G + gm->lm_head_off : NULL, NULL, a->dlogits, a->lnf, kgrl__gpu_at(gm, gm->lm_head_off),
                             N, C, c->vocab_size, bf);
    KGRL__Z(d_res, (size_t)N * C);
    kgrl_gpu_rmsnorm_backward(e, d_res, G ? G + gm->norm_off : NULL, d_ln, KGRL__EP(a->res, (size_t)c->n_layers * NC),
                              kgrl__gpu_at(gm, gm->norm_off), a->lnf_rstd, N, C, bf);
    for (int l = c->n_layers - 1; l >= 0; l--) {
        void *x = KGRL__EP(a->res, (size_t)l * NC);
        if (a->desc.checkpoint) {
            // this layer's activations again, from its input: the same kernels on the same inputs give
            // the same values (the fused norm at its end writes into free scratch: d_ln, lnf_rstd)
            kgrl_gpu_rmsnorm_forward(e, a->ln1, a->ln1_rstd, x, kgrl_gpu_model_tensor(gm, l, KGRL_W_LN1), c->rms_eps, N, C, bf);
            kgrl__gforward_layer(e, gm, gl, a, l, B, T, 0, NULL, x, KGRL__EP(a->res, (size_t)(l + 1) * NC), d_ln, a->lnf_rstd);
        }
        void *mid = KGRL__EP(a->mid, l * a->ls_c);
        void *ln1 = KGRL__EP(a->ln1, l * a->ls_c), *ln2 = KGRL__EP(a->ln2, l * a->ls_c);
        void *qr = KGRL__EP(a->qr, l * a->ls_q), *kr = KGRL__EP(a->kr, l * a->ls_k);
        void *q = KGRL__EP(a->q, l * a->ls_q), *atty = KGRL__EP(a->atty, l * a->ls_q);
        void *kc = kgrl__layer_cache(a, a->k, l), *vc = kgrl__layer_cache(a, a->v, l);
        void *gate = KGRL__EP(a->gate, l * a->ls_f), *up = KGRL__EP(a->up, l * a->ls_f), *hact = KGRL__EP(a->hact, l * a->ls_f);
        float *lse = a->lse + l * a->ls_lse;
        // MLP
        KGRL__Z(a->d_h, (size_t)N * F);
        kgrl__gproj_backward(e, gm, gl, a, a->d_h, d_res, hact, l, KGRL_W_DOWN, KGRL_W_DOWNB, KGRL_LORA_DOWN, N, G);
        KGRL__Z(a->d_gate, (size_t)N * F);
        KGRL__Z(a->d_up, (size_t)N * F);
        kgrl_gpu_swiglu_backward(e, a->d_gate, a->d_up, a->d_h, gate, up, (size_t)N * F, bf);
        KGRL__Z(d_ln, (size_t)N * C);
        kgrl__gproj_backward(e, gm, gl, a, d_ln, a->d_gate, ln2, l, KGRL_W_GATE, KGRL_W_GATEB, KGRL_LORA_GATE, N, G);
        kgrl__gproj_backward(e, gm, gl, a, d_ln, a->d_up, ln2, l, KGRL_W_UP, KGRL_W_UPB, KGRL_LORA_UP, N, G);
        kgrl_gpu_rmsnorm_backward(e, d_res, kgrl__gpu_grad(gm, G, l, KGRL_W_LN2), d_ln, mid, kgrl_gpu_model_tensor(gm, l, KGRL_W_LN2), a->ln2_rstd + l * a->ls_r, N, C, bf);
        // attention
        KGRL__Z(a->d_atty, (size_t)N * QD);
        kgrl__gproj_backward(e, gm, gl, a, a->d_atty, d_res, atty, l, KGRL_W_O, KGRL_W_OB, KGRL_LORA_O, N, G);
        KGRL__Z(a->d_q, (size_t)N * QD);
        KGRL__Z(a->d_k, (size_t)B * Tk * KD);
        KGRL__Z(a->d_v, (size_t)B * Tk * KD);
        kgrl__attention_bwd_gemm(e, a, a->d_q, a->d_k, a->d_v, a->d_atty, atty, lse, q, kc, vc, B, T);
        // slot-indexed (stride Tk) to row-compact (B*T, KD)
        KGRL_CUDA_CHECK(cudaMemcpy2DAsync(a->d_vc, (size_t)T * KD * es, a->d_v, (size_t)Tk * KD * es, (size_t)T * KD * es,
                                          (size_t)B, cudaMemcpyDeviceToDevice, st));
        void *dqr = a->d_atty, *dkr = a->d_norm;
        KGRL__Z(dqr, (size_t)N * QD);
        KGRL__Z(dkr, (size_t)N * KD);
        if (c->qk_norm) {
            KGRL__Z(a->d_qn, (size_t)N * QD);
            KGRL__Z(a->d_kn, (size_t)N * KD);
            kgrl__rope(e, a->d_qn, a->d_q, a->pos, gm->rope_inv_freq, N, T, T, 0, T, 0, NH, HS, true, bf);
            kgrl__rope(e, a->d_kn, a->d_k, a->pos, gm->rope_inv_freq, N, T, Tk, 0, T, 0, KVH, HS, true, bf);
            kgrl_gpu_rmsnorm_backward(e, dqr, kgrl__gpu_grad(gm, G, l, KGRL_W_QNORM), a->d_qn, qr, kgrl_gpu_model_tensor(gm, l, KGRL_W_QNORM), a->q_rstd + l * a->ls_nh, N * NH, HS, bf);
            kgrl_gpu_rmsnorm_backward(e, dkr, kgrl__gpu_grad(gm, G, l, KGRL_W_KNORM), a->d_kn, kr, kgrl_gpu_model_tensor(gm, l, KGRL_W_KNORM), a->k_rstd + l * a->ls_kvh, N * KVH, HS, bf);
        } else {
            kgrl__rope(e, dqr, a->d_q, a->pos, gm->rope_inv_freq, N, T, T, 0, T, 0, NH, HS, true, bf);
            kgrl__rope(e, dkr, a->d_k, a->pos, gm->rope_inv_freq, N, T, Tk, 0, T, 0, KVH, HS, true, bf);
        }
        KGRL__Z(d_ln, (size_t)N * C);
        kgrl__gproj_backward(e, gm, gl, a, d_ln, dqr, ln1, l, KGRL_W_Q, KGRL_W_QB, KGRL_LORA_Q, N, G);
        kgrl__gproj_backward(e, gm, gl, a, d_ln, dkr, ln1, l, KGRL_W_K, KGRL_W_KB, KGRL_LORA_K, N, G);
        kgrl__gproj_backward(e, gm, gl, a, d_ln, a->d_vc, ln1, l, KGRL_W_V, KGRL_W_VB, KGRL_LORA_V, N, G);
        kgrl_gpu_rmsnorm_backward(e, d_res, kgrl__gpu_grad(gm, G, l, KGRL_W_LN1), d_ln, x, kgrl_gpu_model_tensor(gm, l, KGRL_W_LN1), a->ln1_rstd + l * a->ls_r, N, C, bf);
    }
    if (G) kgrl_gpu_embedding_backward(e, G + gm->embed_off, d_res, a->h_tokens, N, C, bf);
#undef KGRL__Z
}
#undef KGRL__EP
