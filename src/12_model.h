// Model engine, CPU reference: the transformer families kgrl loads (Qwen2/Qwen2.5, Qwen3, Llama 2/3),
// LoRA, forward over (B, T) batches with padding, a KV cache for incremental decoding, and the full
// backward (to the LoRA parameters and optionally to every base weight). fp32, plain loops.
//
// This is the readable specification and the test oracle of the engine (DESIGN §2, §5): every op is a
// `kgrl_<op>_forward` / `kgrl_<op>_backward` pair over plain float arrays with shape comments, and the
// GPU engine mirrors each one with the same argument order. Backward ops *accumulate* (+=) into their
// gradient outputs, so a caller zeroes gradients once per step; any gradient pointer may be NULL.
// Numerics follow transformers: fp32 everywhere; RMSNorm's mean of squares, softmax sums and RoPE
// angles in fp32 exactly as torch computes them; matmuls accumulate in fp32 (as cuBLAS does).
//
// The model: x = embed[tokens]; per layer
//     h = rmsnorm(x); q,k,v = h W^T (+ b) (+ LoRA); [Qwen3: q,k = rmsnorm over each head];
//     q,k = rope(q,k); a = causal GQA attention(q,k,v); x = x + a Wo^T (+ LoRA)
//     h = rmsnorm(x); x = x + (silu(h Wg^T) * (h Wu^T)) Wd^T      (each projection with its LoRA)
// then logits = rmsnorm(x) Wlm^T (Wlm = embed when tied). LoRA adds s * B(A(dropout(x))), s = alpha/R
// (alpha/sqrt(R) with rsLoRA), as peft does.
//
// Typical use (one LoRA SFT step; 13_train.h has the losses and the optimizer):
//     kgrl_model *m = kgrl_model_load("models/tiny", &err);            // HF directory
//     kgrl_lora *lora = kgrl_lora_create(&m->cfg, &desc);               // or kgrl_lora_load(peft dir)
//     kgrl_model_acts *a = kgrl_model_acts_create(&m->cfg, lora, B, T); // everything, up front
//     kgrl_model_forward(m, lora, a, tokens, NULL, mask, B, T);         // a->logits (B, T, V)
//     ... loss: kgrl_logprobs_forward, kgrl_sft_loss, kgrl_logprobs_backward into a->dlogits ...
//     kgrl_model_backward(m, lora, a, NULL, lora_grads);                // += into lora_grads
// The activations keep every layer's attention probabilities, (L, B, NH, T, T) floats: this CPU path
// is for tiny models and for tests, not for real checkpoints at long context.

// ---------------------------------------------------------------------------------------------
// Configuration (from an HF config.json; see kgrl_model_config_from_json below the I/O section)
typedef enum kgrl_model_family {
    KGRL_FAMILY_QWEN2 = 1,   // Qwen2ForCausalLM: q/k/v bias, no o bias
    KGRL_FAMILY_QWEN3,       // Qwen3ForCausalLM: q_norm/k_norm RMSNorm over head_dim, explicit head_dim
    KGRL_FAMILY_LLAMA        // LlamaForCausalLM: attention_bias (q,k,v,o), mlp_bias, rope_scaling llama3
} kgrl_model_family;

typedef enum kgrl_rope_type {
    KGRL_ROPE_DEFAULT = 0,   // inv_freq[i] = theta^(-2i/HS)
    KGRL_ROPE_LINEAR,        // inv_freq / factor
    KGRL_ROPE_LLAMA3         // Llama 3.1 frequency-dependent scaling (factor, low/high_freq_factor, original_max_pos)
} kgrl_rope_type;

typedef struct kgrl_model_config {
    kgrl_model_family family;
    int vocab_size;          // V
    int hidden_size;         // C
    int n_layers;            // L
    int n_heads;             // NH
    int n_kv_heads;          // KVH (grouped-query attention: NH % KVH == 0)
    int head_dim;            // HS
    int ffn_size;            // F (intermediate_size)
    int max_pos;             // max_position_embeddings
    float rms_eps;           // rms_norm_eps
    float rope_theta;
    kgrl_rope_type rope_type;
    float rope_factor, rope_low_freq_factor, rope_high_freq_factor;
    int rope_original_max_pos;
    bool qkv_bias;           // q/k/v projections have a bias
    bool o_bias;             // o_proj has a bias
    bool mlp_bias;           // gate/up/down have biases
    bool qk_norm;            // per-head RMSNorm of q and k before RoPE (Qwen3)
    bool tie_embeddings;     // lm_head.weight is model.embed_tokens.weight
    int bos_token_id, eos_token_id;   // -1 when absent
    float initializer_range; // std of the normal init (HF default 0.02)
} kgrl_model_config;

// Per-layer tensors, in the order they are stored in a model's parameter block.
enum {
    KGRL_W_LN1, KGRL_W_Q, KGRL_W_QB, KGRL_W_K, KGRL_W_KB, KGRL_W_V, KGRL_W_VB, KGRL_W_O, KGRL_W_OB,
    KGRL_W_QNORM, KGRL_W_KNORM, KGRL_W_LN2, KGRL_W_GATE, KGRL_W_GATEB, KGRL_W_UP, KGRL_W_UPB,
    KGRL_W_DOWN, KGRL_W_DOWNB, KGRL_W_COUNT
};
#define KGRL_ABSENT ((size_t)-1)

// A model: every weight in one fp32 block, addressed by offsets. A gradient block has the same layout
// (n_params floats), so kgrl_model_tensor(m, grads, l, KGRL_W_Q) is the gradient of layer l's Wq.
typedef struct kgrl_model {
    kgrl_model_config cfg;
    size_t n_params;
    float *params;           // (n_params)
    size_t *layer_off;       // (L, KGRL_W_COUNT) offsets into a block; KGRL_ABSENT where the config has none
    size_t embed_off;        // (V, C)
    size_t norm_off;         // (C)
    size_t lm_head_off;      // (V, C); == embed_off when tied
    float *rope_inv_freq;    // (HS/2) the RoPE frequencies after scaling
} kgrl_model;

// Checks a config (sizes positive, NH % KVH == 0, HS even, ...); false with a message naming the field.
KGRL_API bool kgrl_model_config_check(const kgrl_model_config *cfg, kgrl_err *err);
// A model with zeroed weights (aborts on an invalid config: check it first).
KGRL_API kgrl_model *kgrl_model_create(const kgrl_model_config *cfg);
KGRL_API void kgrl_model_free(kgrl_model *m);
// HF's _init_weights: linear and embedding weights N(0, initializer_range), biases 0, norms 1.
// Philox stream "model_init" under `seed`.
KGRL_API void kgrl_model_init_random(kgrl_model *m, uint64_t seed);
// Pointer to a layer tensor inside `block` (m->params or a gradient block); NULL when absent.
KGRL_API float *kgrl_model_tensor(const kgrl_model *m, float *block, int layer, int which);
// The RoPE inverse frequencies (HS/2) for a config, computed in fp32 as transformers does.
KGRL_API void kgrl_rope_inv_freq(const kgrl_model_config *cfg, float *inv_freq);

// ---------------------------------------------------------------------------------------------
// Ops. N = rows (B*T tokens). Forward ops overwrite their outputs; backward ops accumulate (+=).

// out (N, C) = wte[tokens] ; wte (V, C)
KGRL_API void kgrl_embedding_forward(float *out, const int *tokens, const float *wte, int N, int C);
KGRL_API void kgrl_embedding_backward(float *dwte, const float *dout, const int *tokens, int N, int C);

// out (N, C) = weight * inp / sqrt(mean(inp^2) + eps); rstd (N) kept for the backward
KGRL_API void kgrl_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, float eps, int N, int C);
KGRL_API void kgrl_rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                                    const float *weight, const float *rstd, int N, int C);

// out (N, OC) = inp (N, C) @ weight (OC, C)^T + bias (OC) (bias may be NULL)
KGRL_API void kgrl_matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N, int C, int OC);
KGRL_API void kgrl_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                   const float *weight, int N, int C, int OC);

// LoRA on one projection: out (N, OC) += scaling * (drop(inp) A^T) B^T, with A (R, C), B (OC, R);
// xa (N, R) = drop(inp) A^T is kept for the backward. Dropout (probability p, scale 1/(1-p)) keeps
// element (n, c) iff kgrl_uniform_at(seed, stream, n*C + c) >= p, so the backward regenerates it.
KGRL_API void kgrl_lora_forward(float *out, float *xa, const float *inp, const float *A, const float *B,
                                float scaling, float p, uint64_t seed, uint64_t stream, int N, int C, int OC, int R);
// dxa (N, R) is scratch.
KGRL_API void kgrl_lora_backward(float *dinp, float *dA, float *dB, float *dxa, const float *dout, const float *xa,
                                 const float *inp, const float *A, const float *B, float scaling, float p,
                                 uint64_t seed, uint64_t stream, int N, int C, int OC, int R);

// RoPE (HF rotate_half convention) on x (N, NH, HS) at positions pos (N), in place allowed:
//   out[i] = x[i] cos - x[i+HS/2] sin,  out[i+HS/2] = x[i+HS/2] cos + x[i] sin,  angle = pos * inv_freq[i]
KGRL_API void kgrl_rope_forward(float *out, const float *inp, const int *pos, const float *inv_freq, int N, int NH, int HS);
KGRL_API void kgrl_rope_backward(float *dinp, const float *dout, const int *pos, const float *inv_freq, int N, int NH, int HS);

// Causal grouped-query attention with a key mask. q (B, Tq, NH, HS); k, v (B, Tk, KVH, HS) are slot
// buffers (a KV cache of capacity Tk); query i sits in slot t0 + i and attends to slots s <= t0 + i
// with kmask[b, s] != 0. Query head h uses kv head h / (NH/KVH). A query whose own slot is masked
// (padding) gets out = 0. out (B, Tq, NH, HS); att (B, NH, Tq, Tk) the softmax probabilities.
KGRL_API void kgrl_attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                                     const int *kmask, int B, int Tq, int Tk, int t0, int NH, int KVH, int HS);
// Backward of a forward call with t0 = 0. datt (B, NH, Tq, Tk) is scratch; dk, dv (B, Tk, KVH, HS).
KGRL_API void kgrl_attention_backward(float *dq, float *dk, float *dv, float *datt, const float *dout,
                                      const float *att, const float *q, const float *k, const float *v,
                                      int B, int Tq, int Tk, int NH, int KVH, int HS);

// SwiGLU: out (N, F) = silu(gate) * up
KGRL_API void kgrl_swiglu_forward(float *out, const float *gate, const float *up, int n);
KGRL_API void kgrl_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int n);

// ---------------------------------------------------------------------------------------------
// LoRA (peft semantics). Modules in peft's order of names; targets are bits (1 << KGRL_LORA_Q) ...
enum { KGRL_LORA_Q, KGRL_LORA_K, KGRL_LORA_V, KGRL_LORA_O, KGRL_LORA_GATE, KGRL_LORA_UP, KGRL_LORA_DOWN, KGRL_LORA_NMOD };
#define KGRL_LORA_ALL 0x7fu
// peft's module names, indexed by KGRL_LORA_*: "q_proj", ..., "down_proj"
KGRL_API const char *kgrl_lora_module_name(int mod);

// Defaults (zero means default): rank 8, alpha 8 (peft's r and lora_alpha), dropout 0, targets all
// seven, seed 0 (a valid seed). base_model is written into adapter_config.json (may be NULL).
typedef struct kgrl_lora_desc {
    int rank;                // R
    float alpha;
    float dropout;
    uint32_t targets;
    bool use_rslora;         // scaling alpha/sqrt(R) instead of alpha/R
    uint64_t seed;           // init: Philox stream "lora_init" mixed with layer*7 + module
    const char *base_model;
} kgrl_lora_desc;

typedef struct kgrl_lora {
    kgrl_lora_desc desc;     // resolved; desc.base_model points at base_model
    char base_model[512];
    int n_layers;
    float scaling;           // alpha/R or alpha/sqrt(R)
    int in_dim[KGRL_LORA_NMOD], out_dim[KGRL_LORA_NMOD];
    size_t n_params;
    float *params;           // (n_params): A then B for each targeted (layer, module)
    size_t *a_off, *b_off;   // (L, 7) offsets into a block; KGRL_ABSENT where not targeted
} kgrl_lora;

// peft's init: A ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)), B = 0.
KGRL_API kgrl_lora *kgrl_lora_create(const kgrl_model_config *cfg, const kgrl_lora_desc *desc);
KGRL_API void kgrl_lora_free(kgrl_lora *l);
// A (R, in) and B (out, R) of (layer, module) inside `block` (l->params or a gradient block); NULL if absent.
KGRL_API float *kgrl_lora_A(const kgrl_lora *l, float *block, int layer, int mod);
KGRL_API float *kgrl_lora_B(const kgrl_lora *l, float *block, int layer, int mod);

// ---------------------------------------------------------------------------------------------
// Activations: everything one forward keeps for its backward, plus the KV cache (the k, v slot
// buffers) and the backward's scratch, allocated up front for at most B sequences of T tokens.
typedef struct kgrl_model_acts {
    int B, T;                // capacity
    int L, C, NH, KVH, HS, F, V, R;
    int len;                 // KV slots filled (kgrl_model_forward sets T; kgrl_model_decode adds)
    int nb, nt;              // batch and tokens of the last call: the per-token buffers hold nb*nt rows
    bool full;               // the last call was kgrl_model_forward: backward is possible
    // LoRA dropout for this forward (training): set before the call; the backward regenerates the mask
    bool lora_dropout;
    uint64_t dropout_seed;
    int *tokens, *pos;       // (B, T) of the last call (nb*nt used)
    int *kmask;              // (B, T) KV slot holds a real token
    int *next_pos;           // (B) position of each sequence's next token
    float *res;              // (L+1, B*T, C) residual stream: res[0] embeddings, res[l+1] output of layer l
    float *mid;              // (L, B*T, C) residual after attention
    float *ln1, *ln1_rstd;   // (L, B*T, C), (L, B*T)
    float *qr, *kr;          // (L, B*T, NH*HS), (L, B*T, KVH*HS) projections before qk-norm and rope
    float *q_rstd, *k_rstd;  // (L, B*T, NH), (L, B*T, KVH) (qk-norm only)
    float *q;                // (L, B*T, NH*HS) after qk-norm and rope
    float *k, *v;            // (L, B, T, KVH, HS) the KV cache, slot-indexed
    float *att;              // (L, B, NH, T, T) attention probabilities (rows nt, columns T)
    float *atty;             // (L, B*T, NH*HS) attention output
    float *ln2, *ln2_rstd;   // (L, B*T, C), (L, B*T)
    float *gate, *up, *hact; // (L, B*T, F)
    float *lnf, *lnf_rstd;   // (B*T, C), (B*T)
    float *xa;               // (L, 7, B*T, R) LoRA intermediates (R = 0: none)
    float *logits;           // (B, T, V) of the last call (nb*nt rows)
    float *dlogits;          // (B, T, V) the loss's gradient w.r.t. logits: input of kgrl_model_backward
    // backward scratch
    float *d_res, *d_ln;     // (B*T, C)
    float *d_atty, *d_q;     // (B*T, NH*HS)
    float *d_k, *d_v;        // (B, T, KVH*HS)
    float *d_gate, *d_up, *d_h; // (B*T, F)
    float *d_att;            // (B, NH, T, T)
    float *d_xa;             // (B*T, R)
    float *d_norm;           // (B*T, max(NH, KVH)*HS) scratch (normed k in the forward, d(kr) in the backward)
    float *d_qn, *d_kn;      // (B*T, NH*HS), (B*T, KVH*HS) qk-norm backward scratch
} kgrl_model_acts;

// lora may be NULL (then the acts can run only the base model; R = 0).
KGRL_API kgrl_model_acts *kgrl_model_acts_create(const kgrl_model_config *cfg, const kgrl_lora *lora, int B, int T);
KGRL_API void kgrl_model_acts_free(kgrl_model_acts *a);

// Full forward over tokens (B, T) (B, T within the acts' capacity). mask (B, T): 1 = real token,
// 0 = padding (left or right); NULL = all real. pos (B, T): position ids; NULL = each sequence's own
// count of real tokens before it (HF generate's cumsum(mask) - 1; equals arange without padding).
// lora NULL = the base model (for GRPO that is the reference model). Logits land in a->logits (B, T, V).
KGRL_API void kgrl_model_forward(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                                 const int *tokens, const int *pos, const int *mask, int B, int T);
// Incremental decoding: appends T tokens per sequence after the a->len slots already cached (a->len
// = 0: prefill; call kgrl_model_acts_reset first). Same mask/pos conventions (pos NULL continues each
// sequence's count). Logits of the new tokens in a->logits (B, T, V). Same logits as a full forward.
KGRL_API void kgrl_model_decode(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                                const int *tokens, const int *pos, const int *mask, int B, int T);
KGRL_API void kgrl_model_acts_reset(kgrl_model_acts *a);
// Backward of the last kgrl_model_forward from a->dlogits. Accumulates into model_grads (a block of
// m->n_params floats, NULL = base weights frozen) and lora_grads (lora->n_params floats, NULL = none).
// The lora must be the one given to the forward.
KGRL_API void kgrl_model_backward(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                                  float *model_grads, float *lora_grads);

// ---------------------------------------------------------------------------------------------
// Checkpoints (HF format). A model directory holds config.json and model.safetensors (or shards
// with model.safetensors.index.json); weights in fp32, fp16 or bf16 are converted to fp32.
// config.json: architectures Qwen2ForCausalLM, Qwen3ForCausalLM or LlamaForCausalLM (or model_type
// qwen2/qwen3/llama); rope from "rope_parameters" (transformers 5) or "rope_theta" + "rope_scaling"
// (transformers 4) with rope_type default, linear or llama3; hidden_act silu only. Anything else
// (another architecture, dynamic/yarn rope, sliding-window attention, attention dropout) is an error
// that names it. A missing tensor, a wrong shape or an unexpected tensor is an error naming it.
KGRL_API bool kgrl_model_config_from_json(const kgrl_json *j, kgrl_model_config *cfg, kgrl_err *err);
KGRL_API bool kgrl_model_config_load(const char *dir, kgrl_model_config *cfg, kgrl_err *err);
// config.json text for a config (transformers 4 and 5 both read it)
KGRL_API void kgrl_model_config_to_json(const kgrl_model_config *cfg, kgrl_dtype dtype, kgrl_buf *out);
// The HF name of tensor `which` of `layer` ("model.layers.3.self_attn.q_proj.weight").
KGRL_API void kgrl_model_tensor_name(int layer, int which, char *buf, size_t cap);
KGRL_API kgrl_model *kgrl_model_load(const char *dir, kgrl_err *err);
// Writes dir/config.json and dir/model.safetensors (dtype KGRL_DTYPE_F32 or KGRL_DTYPE_BF16),
// creating dir. Files are written atomically.
KGRL_API bool kgrl_model_save(const kgrl_model *m, const char *dir, kgrl_dtype dtype, kgrl_err *err);

// peft adapters: dir/adapter_config.json + dir/adapter_model.safetensors with peft's names
// base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight (R, in) and ...lora_B.weight (out, R).
// Loading checks the adapter against the model config and rejects what kgrl does not implement
// (DoRA, bias != "none", fan_in_fan_out, per-layer patterns, modules_to_save, regex targets).
KGRL_API kgrl_lora *kgrl_lora_load(const char *dir, const kgrl_model_config *cfg, kgrl_err *err);
KGRL_API bool kgrl_lora_save(const kgrl_lora *l, const char *dir, kgrl_err *err);
// peft's tensor name of A (is_b false) or B of (layer, module).
KGRL_API void kgrl_lora_tensor_name(int layer, int mod, bool is_b, char *buf, size_t cap);

// kgrl:implementation

// ---------------------------------------------------------------------------------------------
// ops

void kgrl_embedding_forward(float *out, const int *tokens, const float *wte, int N, int C) {
    for (int n = 0; n < N; n++) memcpy(out + (size_t)n * C, wte + (size_t)tokens[n] * C, sizeof(float) * (size_t)C);
}

void kgrl_embedding_backward(float *dwte, const float *dout, const int *tokens, int N, int C) {
    for (int n = 0; n < N; n++) {
        float *d = dwte + (size_t)tokens[n] * C;
        const float *g = dout + (size_t)n * C;
        for (int c = 0; c < C; c++) d[c] += g[c];
    }
}

void kgrl_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, float eps, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float ss = 0.0f; // fp32 like transformers' hidden_states.pow(2).mean(-1)
        for (int c = 0; c < C; c++) ss += x[c] * x[c];
        float r = 1.0f / sqrtf(ss / (float)C + eps);
        float *y = out + (size_t)n * C;
        for (int c = 0; c < C; c++) y[c] = weight[c] * (x[c] * r);
        rstd[n] = r;
    }
}

void kgrl_rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                           const float *weight, const float *rstd, int N, int C) {
    // y = w * x * r, r = (mean(x^2) + eps)^-1/2:  dx = r * (w dy) - x * r^3 / C * sum(w dy x)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *dy = dout + (size_t)n * C;
        float r = rstd[n];
        float dot = 0.0f;
        for (int c = 0; c < C; c++) dot += weight[c] * dy[c] * x[c];
        float k = dot * r * r * r / (float)C;
        if (dinp) {
            float *dx = dinp + (size_t)n * C;
            for (int c = 0; c < C; c++) dx[c] += r * weight[c] * dy[c] - k * x[c];
        }
        if (dweight) for (int c = 0; c < C; c++) dweight[c] += dy[c] * x[c] * r;
    }
}

void kgrl_matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N, int C, int OC) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *y = out + (size_t)n * OC;
        for (int o = 0; o < OC; o++) {
            const float *w = weight + (size_t)o * C;
            float s = bias ? bias[o] : 0.0f;
            for (int c = 0; c < C; c++) s += x[c] * w[c];
            y[o] = s;
        }
    }
}

void kgrl_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *weight, int N, int C, int OC) {
    if (dinp) {
        for (int n = 0; n < N; n++) {
            const float *dy = dout + (size_t)n * OC;
            float *dx = dinp + (size_t)n * C;
            for (int o = 0; o < OC; o++) {
                const float *w = weight + (size_t)o * C;
                float g = dy[o];
                for (int c = 0; c < C; c++) dx[c] += g * w[c];
            }
        }
    }
    if (dweight || dbias) {
        for (int o = 0; o < OC; o++) {
            float *dw = dweight ? dweight + (size_t)o * C : NULL;
            float db = 0.0f;
            for (int n = 0; n < N; n++) {
                float g = dout[(size_t)n * OC + o];
                db += g;
                if (dw) { const float *x = inp + (size_t)n * C; for (int c = 0; c < C; c++) dw[c] += g * x[c]; }
            }
            if (dbias) dbias[o] += db;
        }
    }
}

// Dropout mask value (0 or 1/(1-p)) for element i of a LoRA input.
static float kgrl__dropout_scale(float p, uint64_t seed, uint64_t stream, uint64_t i) {
    if (p <= 0.0f) return 1.0f;
    return kgrl_uniform_at(seed, stream, i) >= p ? 1.0f / (1.0f - p) : 0.0f;
}

void kgrl_lora_forward(float *out, float *xa, const float *inp, const float *A, const float *B,
                       float scaling, float p, uint64_t seed, uint64_t stream, int N, int C, int OC, int R) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *h = xa + (size_t)n * R;
        for (int r = 0; r < R; r++) {
            const float *a = A + (size_t)r * C;
            float s = 0.0f;
            if (p > 0.0f) {
                for (int c = 0; c < C; c++) s += x[c] * kgrl__dropout_scale(p, seed, stream, (uint64_t)n * C + c) * a[c];
            } else {
                for (int c = 0; c < C; c++) s += x[c] * a[c];
            }
            h[r] = s;
        }
        float *y = out + (size_t)n * OC;
        for (int o = 0; o < OC; o++) {
            const float *b = B + (size_t)o * R;
            float s = 0.0f;
            for (int r = 0; r < R; r++) s += h[r] * b[r];
            y[o] += scaling * s;
        }
    }
}

void kgrl_lora_backward(float *dinp, float *dA, float *dB, float *dxa, const float *dout, const float *xa,
                        const float *inp, const float *A, const float *B, float scaling, float p,
                        uint64_t seed, uint64_t stream, int N, int C, int OC, int R) {
    for (int n = 0; n < N; n++) {
        const float *dy = dout + (size_t)n * OC;
        const float *h = xa + (size_t)n * R;
        float *dh = dxa + (size_t)n * R;
        for (int r = 0; r < R; r++) dh[r] = 0.0f;
        for (int o = 0; o < OC; o++) {
            float g = scaling * dy[o];
            const float *b = B + (size_t)o * R;
            for (int r = 0; r < R; r++) dh[r] += g * b[r];
            if (dB) { float *db = dB + (size_t)o * R; for (int r = 0; r < R; r++) db[r] += g * h[r]; }
        }
        const float *x = inp + (size_t)n * C;
        float *dx = dinp ? dinp + (size_t)n * C : NULL;
        for (int c = 0; c < C; c++) {
            float m = kgrl__dropout_scale(p, seed, stream, (uint64_t)n * C + c);
            if (m == 0.0f) continue;
            float xd = x[c] * m, dxd = 0.0f;
            for (int r = 0; r < R; r++) {
                if (dA) dA[(size_t)r * C + c] += dh[r] * xd;
                dxd += dh[r] * A[(size_t)r * C + c];
            }
            if (dx) dx[c] += dxd * m;
        }
    }
}

void kgrl_rope_forward(float *out, const float *inp, const int *pos, const float *inv_freq, int N, int NH, int HS) {
    int half = HS / 2;
    for (int n = 0; n < N; n++) {
        for (int i = 0; i < half; i++) {
            float ang = (float)pos[n] * inv_freq[i];   // fp32 product, as transformers' freqs matmul
            float cs = cosf(ang), sn = sinf(ang);
            for (int h = 0; h < NH; h++) {
                size_t base = ((size_t)n * NH + h) * HS;
                float x1 = inp[base + i], x2 = inp[base + i + half];
                out[base + i] = x1 * cs - x2 * sn;
                out[base + i + half] = x2 * cs + x1 * sn;
            }
        }
    }
}

void kgrl_rope_backward(float *dinp, const float *dout, const int *pos, const float *inv_freq, int N, int NH, int HS) {
    // the rotation's transpose: rotate by -angle
    int half = HS / 2;
    for (int n = 0; n < N; n++) {
        for (int i = 0; i < half; i++) {
            float ang = (float)pos[n] * inv_freq[i];
            float cs = cosf(ang), sn = sinf(ang);
            for (int h = 0; h < NH; h++) {
                size_t base = ((size_t)n * NH + h) * HS;
                float d1 = dout[base + i], d2 = dout[base + i + half];
                dinp[base + i] += d1 * cs + d2 * sn;
                dinp[base + i + half] += d2 * cs - d1 * sn;
            }
        }
    }
}

void kgrl_attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                            const int *kmask, int B, int Tq, int Tk, int t0, int NH, int KVH, int HS) {
    int rep = NH / KVH;
    float scale = 1.0f / sqrtf((float)HS);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            int kh = h / rep;
            for (int i = 0; i < Tq; i++) {
                int slot = t0 + i;
                const float *qv = q + (((size_t)b * Tq + i) * NH + h) * HS;
                float *a = att + (((size_t)b * NH + h) * Tq + i) * Tk;
                float *y = out + (((size_t)b * Tq + i) * NH + h) * HS;
                for (int s = 0; s < Tk; s++) a[s] = 0.0f;
                for (int d = 0; d < HS; d++) y[d] = 0.0f;
                if (!kmask[(size_t)b * Tk + slot]) continue;   // padding query: out = 0
                float mx = -INFINITY;
                for (int s = 0; s <= slot; s++) {
                    if (!kmask[(size_t)b * Tk + s]) continue;
                    const float *kv = k + (((size_t)b * Tk + s) * KVH + kh) * HS;
                    float dot = 0.0f;
                    for (int d = 0; d < HS; d++) dot += qv[d] * kv[d];
                    a[s] = dot * scale;
                    if (a[s] > mx) mx = a[s];
                }
                float sum = 0.0f;
                for (int s = 0; s <= slot; s++) {
                    if (!kmask[(size_t)b * Tk + s]) continue;
                    a[s] = expf(a[s] - mx);
                    sum += a[s];
                }
                float inv = 1.0f / sum;
                for (int s = 0; s <= slot; s++) {
                    if (!kmask[(size_t)b * Tk + s]) continue;
                    a[s] *= inv;
                    const float *vv = v + (((size_t)b * Tk + s) * KVH + kh) * HS;
                    for (int d = 0; d < HS; d++) y[d] += a[s] * vv[d];
                }
            }
        }
    }
}

void kgrl_attention_backward(float *dq, float *dk, float *dv, float *datt, const float *dout,
                             const float *att, const float *q, const float *k, const float *v,
                             int B, int Tq, int Tk, int NH, int KVH, int HS) {
    // masked entries have att = 0, so they carry no gradient without looking at the mask
    int rep = NH / KVH;
    float scale = 1.0f / sqrtf((float)HS);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            int kh = h / rep;
            for (int i = 0; i < Tq; i++) {
                const float *a = att + (((size_t)b * NH + h) * Tq + i) * Tk;
                float *da = datt + (((size_t)b * NH + h) * Tq + i) * Tk;
                const float *dy = dout + (((size_t)b * Tq + i) * NH + h) * HS;
                const float *qv = q + (((size_t)b * Tq + i) * NH + h) * HS;
                float *dqv = dq + (((size_t)b * Tq + i) * NH + h) * HS;
                // y = sum_s a_s v_s: da_s = dy . v_s, dv_s += a_s dy
                float dsum = 0.0f;
                for (int s = 0; s <= i && s < Tk; s++) {
                    da[s] = 0.0f;
                    if (a[s] == 0.0f) continue;
                    const float *vv = v + (((size_t)b * Tk + s) * KVH + kh) * HS;
                    float *dvv = dv + (((size_t)b * Tk + s) * KVH + kh) * HS;
                    float g = 0.0f;
                    for (int d = 0; d < HS; d++) { g += dy[d] * vv[d]; dvv[d] += a[s] * dy[d]; }
                    da[s] = g;
                    dsum += a[s] * g;
                }
                // softmax: dscore_s = a_s (da_s - sum_j a_j da_j); score = scale q.k
                for (int s = 0; s <= i && s < Tk; s++) {
                    if (a[s] == 0.0f) continue;
                    float ds = a[s] * (da[s] - dsum) * scale;
                    const float *kv = k + (((size_t)b * Tk + s) * KVH + kh) * HS;
                    float *dkv = dk + (((size_t)b * Tk + s) * KVH + kh) * HS;
                    for (int d = 0; d < HS; d++) { dqv[d] += ds * kv[d]; dkv[d] += ds * qv[d]; }
                }
            }
        }
    }
}

void kgrl_swiglu_forward(float *out, const float *gate, const float *up, int n) {
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void kgrl_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int n) {
    for (int i = 0; i < n; i++) {
        float g = gate[i], sg = 1.0f / (1.0f + expf(-g));
        float silu = g * sg;
        dgate[i] += dout[i] * up[i] * sg * (1.0f + g * (1.0f - sg));
        dup[i] += dout[i] * silu;
    }
}

// ---------------------------------------------------------------------------------------------
// model

bool kgrl_model_config_check(const kgrl_model_config *c, kgrl_err *err) {
    if (c->family < KGRL_FAMILY_QWEN2 || c->family > KGRL_FAMILY_LLAMA) { kgrl_err_set(err, "model config: unknown family %d", (int)c->family); return false; }
    if (c->vocab_size <= 0) { kgrl_err_set(err, "model config: vocab_size %d must be positive", c->vocab_size); return false; }
    if (c->hidden_size <= 0) { kgrl_err_set(err, "model config: hidden_size %d must be positive", c->hidden_size); return false; }
    if (c->n_layers <= 0) { kgrl_err_set(err, "model config: num_hidden_layers %d must be positive", c->n_layers); return false; }
    if (c->n_heads <= 0 || c->n_kv_heads <= 0 || c->n_heads % c->n_kv_heads != 0) {
        kgrl_err_set(err, "model config: num_attention_heads %d must be a positive multiple of num_key_value_heads %d", c->n_heads, c->n_kv_heads);
        return false;
    }
    if (c->head_dim <= 0 || c->head_dim % 2) { kgrl_err_set(err, "model config: head_dim %d must be positive and even (RoPE)", c->head_dim); return false; }
    if (c->ffn_size <= 0) { kgrl_err_set(err, "model config: intermediate_size %d must be positive", c->ffn_size); return false; }
    if (!(c->rms_eps > 0.0f)) { kgrl_err_set(err, "model config: rms_norm_eps %g must be positive", (double)c->rms_eps); return false; }
    if (!(c->rope_theta > 0.0f)) { kgrl_err_set(err, "model config: rope_theta %g must be positive", (double)c->rope_theta); return false; }
    if (c->rope_type == KGRL_ROPE_LINEAR && !(c->rope_factor > 0.0f)) { kgrl_err_set(err, "model config: rope_scaling linear needs factor > 0"); return false; }
    if (c->rope_type == KGRL_ROPE_LLAMA3 && (!(c->rope_factor > 0.0f) || c->rope_original_max_pos <= 0 ||
                                             !(c->rope_high_freq_factor > c->rope_low_freq_factor))) {
        kgrl_err_set(err, "model config: rope_scaling llama3 needs factor > 0, original_max_position_embeddings > 0 and high_freq_factor > low_freq_factor");
        return false;
    }
    return true;
}

void kgrl_rope_inv_freq(const kgrl_model_config *cfg, float *inv_freq) {
    // transformers: 1.0 / (theta ** (arange(0, HS, 2).float() / HS)), all in fp32
    int HS = cfg->head_dim;
    for (int i = 0; i < HS / 2; i++) {
        float e = (float)(2 * i) / (float)HS;
        float f = (float)(1.0 / (double)(float)pow((double)cfg->rope_theta, (double)e));
        if (cfg->rope_type == KGRL_ROPE_LINEAR) f = f / cfg->rope_factor;
        if (cfg->rope_type == KGRL_ROPE_LLAMA3) {
            // Llama 3.1: keep high frequencies, divide low ones by factor, interpolate in between
            float factor = cfg->rope_factor, lo = cfg->rope_low_freq_factor, hi = cfg->rope_high_freq_factor;
            float old_len = (float)cfg->rope_original_max_pos;
            float low_wavelen = old_len / lo, high_wavelen = old_len / hi;
            float wavelen = (float)(2.0 * 3.141592653589793) / f;
            if (wavelen > low_wavelen) {
                f = f / factor;
            } else if (!(wavelen < high_wavelen)) {
                float smooth = (old_len / wavelen - lo) / (hi - lo);
                f = (1.0f - smooth) * f / factor + smooth * f;
            }
        }
        inv_freq[i] = f;
    }
}

kgrl_model *kgrl_model_create(const kgrl_model_config *cfg) {
    kgrl_err err;
    if (!kgrl_model_config_check(cfg, &err)) KGRL_FATAL("kgrl_model_create: %s", err.msg);
    kgrl_model *m = (kgrl_model *)kgrl_calloc(1, sizeof *m);
    m->cfg = *cfg;
    size_t C = (size_t)cfg->hidden_size, V = (size_t)cfg->vocab_size, HS = (size_t)cfg->head_dim;
    size_t QD = (size_t)cfg->n_heads * HS, KD = (size_t)cfg->n_kv_heads * HS, F = (size_t)cfg->ffn_size;
    int L = cfg->n_layers;
    m->layer_off = (size_t *)kgrl_malloc(sizeof(size_t) * (size_t)L * KGRL_W_COUNT);
    size_t n = 0;
    m->embed_off = n; n += V * C;
    for (int l = 0; l < L; l++) {
        size_t *off = m->layer_off + (size_t)l * KGRL_W_COUNT;
        for (int w = 0; w < KGRL_W_COUNT; w++) off[w] = KGRL_ABSENT;
        off[KGRL_W_LN1] = n; n += C;
        off[KGRL_W_Q] = n; n += QD * C;
        if (cfg->qkv_bias) { off[KGRL_W_QB] = n; n += QD; }
        off[KGRL_W_K] = n; n += KD * C;
        if (cfg->qkv_bias) { off[KGRL_W_KB] = n; n += KD; }
        off[KGRL_W_V] = n; n += KD * C;
        if (cfg->qkv_bias) { off[KGRL_W_VB] = n; n += KD; }
        off[KGRL_W_O] = n; n += C * QD;
        if (cfg->o_bias) { off[KGRL_W_OB] = n; n += C; }
        if (cfg->qk_norm) { off[KGRL_W_QNORM] = n; n += HS; off[KGRL_W_KNORM] = n; n += HS; }
        off[KGRL_W_LN2] = n; n += C;
        off[KGRL_W_GATE] = n; n += F * C;
        if (cfg->mlp_bias) { off[KGRL_W_GATEB] = n; n += F; }
        off[KGRL_W_UP] = n; n += F * C;
        if (cfg->mlp_bias) { off[KGRL_W_UPB] = n; n += F; }
        off[KGRL_W_DOWN] = n; n += C * F;
        if (cfg->mlp_bias) { off[KGRL_W_DOWNB] = n; n += C; }
    }
    m->norm_off = n; n += C;
    if (cfg->tie_embeddings) m->lm_head_off = m->embed_off;
    else { m->lm_head_off = n; n += V * C; }
    m->n_params = n;
    m->params = (float *)kgrl_calloc(n, sizeof(float));
    m->rope_inv_freq = (float *)kgrl_malloc(sizeof(float) * (HS / 2));
    kgrl_rope_inv_freq(cfg, m->rope_inv_freq);
    return m;
}

void kgrl_model_free(kgrl_model *m) {
    if (!m) return;
    kgrl_free(m->params);
    kgrl_free(m->layer_off);
    kgrl_free(m->rope_inv_freq);
    kgrl_free(m);
}

float *kgrl_model_tensor(const kgrl_model *m, float *block, int layer, int which) {
    if (!block) return NULL;
    size_t off = m->layer_off[(size_t)layer * KGRL_W_COUNT + which];
    return off == KGRL_ABSENT ? NULL : block + off;
}

// Rows and columns of every layer tensor (cols = 0: a vector of `rows`).
static void kgrl__layer_tensor_shape(const kgrl_model_config *c, int which, int *rows, int *cols) {
    int C = c->hidden_size, QD = c->n_heads * c->head_dim, KD = c->n_kv_heads * c->head_dim, F = c->ffn_size;
    *cols = 0;
    switch (which) {
    case KGRL_W_LN1: case KGRL_W_LN2: case KGRL_W_OB: case KGRL_W_DOWNB: *rows = C; break;
    case KGRL_W_Q: *rows = QD; *cols = C; break;
    case KGRL_W_QB: *rows = QD; break;
    case KGRL_W_K: case KGRL_W_V: *rows = KD; *cols = C; break;
    case KGRL_W_KB: case KGRL_W_VB: *rows = KD; break;
    case KGRL_W_O: *rows = C; *cols = QD; break;
    case KGRL_W_QNORM: case KGRL_W_KNORM: *rows = c->head_dim; break;
    case KGRL_W_GATE: case KGRL_W_UP: *rows = F; *cols = C; break;
    case KGRL_W_GATEB: case KGRL_W_UPB: *rows = F; break;
    case KGRL_W_DOWN: *rows = C; *cols = F; break;
    default: KGRL_FATAL("bad layer tensor %d", which);
    }
}

void kgrl_model_init_random(kgrl_model *m, uint64_t seed) {
    const kgrl_model_config *c = &m->cfg;
    float std = c->initializer_range > 0.0f ? c->initializer_range : 0.02f;
    uint64_t stream = kgrl_stream_id("model_init");
    size_t C = (size_t)c->hidden_size;
    memset(m->params, 0, sizeof(float) * m->n_params);
    // each tensor draws from its own sub-stream, so adding a tensor never shifts another's values
    uint64_t id = 0;
    for (size_t i = 0; i < (size_t)c->vocab_size * C; i++) m->params[m->embed_off + i] = std * kgrl_normal_at(seed, kgrl_stream_mix(stream, id), i);
    id++;
    for (int l = 0; l < c->n_layers; l++) {
        for (int w = 0; w < KGRL_W_COUNT; w++, id++) {
            float *t = kgrl_model_tensor(m, m->params, l, w);
            if (!t) continue;
            int rows, cols;
            kgrl__layer_tensor_shape(c, w, &rows, &cols);
            if (w == KGRL_W_LN1 || w == KGRL_W_LN2 || w == KGRL_W_QNORM || w == KGRL_W_KNORM) {
                for (int i = 0; i < rows; i++) t[i] = 1.0f;
            } else if (cols > 0) {
                for (size_t i = 0; i < (size_t)rows * cols; i++) t[i] = std * kgrl_normal_at(seed, kgrl_stream_mix(stream, id), i);
            } // biases stay 0
        }
    }
    for (size_t i = 0; i < C; i++) m->params[m->norm_off + i] = 1.0f;
    if (!c->tie_embeddings)
        for (size_t i = 0; i < (size_t)c->vocab_size * C; i++) m->params[m->lm_head_off + i] = std * kgrl_normal_at(seed, kgrl_stream_mix(stream, id), i);
}

// ---------------------------------------------------------------------------------------------
// LoRA

const char *kgrl_lora_module_name(int mod) {
    static const char *const names[KGRL_LORA_NMOD] = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
    return (mod >= 0 && mod < KGRL_LORA_NMOD) ? names[mod] : "?";
}

static void kgrl__lora_dims(const kgrl_model_config *c, int *in_dim, int *out_dim) {
    int C = c->hidden_size, QD = c->n_heads * c->head_dim, KD = c->n_kv_heads * c->head_dim, F = c->ffn_size;
    in_dim[KGRL_LORA_Q] = C;     out_dim[KGRL_LORA_Q] = QD;
    in_dim[KGRL_LORA_K] = C;     out_dim[KGRL_LORA_K] = KD;
    in_dim[KGRL_LORA_V] = C;     out_dim[KGRL_LORA_V] = KD;
    in_dim[KGRL_LORA_O] = QD;    out_dim[KGRL_LORA_O] = C;
    in_dim[KGRL_LORA_GATE] = C;  out_dim[KGRL_LORA_GATE] = F;
    in_dim[KGRL_LORA_UP] = C;    out_dim[KGRL_LORA_UP] = F;
    in_dim[KGRL_LORA_DOWN] = F;  out_dim[KGRL_LORA_DOWN] = C;
}

// Allocates the layout for a resolved desc (params zeroed).
static kgrl_lora *kgrl__lora_alloc(const kgrl_model_config *cfg, const kgrl_lora_desc *d) {
    kgrl_lora *l = (kgrl_lora *)kgrl_calloc(1, sizeof *l);
    l->desc = *d;
    snprintf(l->base_model, sizeof l->base_model, "%s", d->base_model ? d->base_model : "");
    l->desc.base_model = l->base_model;
    l->n_layers = cfg->n_layers;
    int R = d->rank;
    l->scaling = d->use_rslora ? d->alpha / sqrtf((float)R) : d->alpha / (float)R;
    kgrl__lora_dims(cfg, l->in_dim, l->out_dim);
    l->a_off = (size_t *)kgrl_malloc(sizeof(size_t) * (size_t)cfg->n_layers * KGRL_LORA_NMOD);
    l->b_off = (size_t *)kgrl_malloc(sizeof(size_t) * (size_t)cfg->n_layers * KGRL_LORA_NMOD);
    size_t n = 0;
    for (int layer = 0; layer < cfg->n_layers; layer++) {
        for (int mod = 0; mod < KGRL_LORA_NMOD; mod++) {
            size_t i = (size_t)layer * KGRL_LORA_NMOD + mod;
            if (!(d->targets & (1u << mod))) { l->a_off[i] = l->b_off[i] = KGRL_ABSENT; continue; }
            l->a_off[i] = n; n += (size_t)R * l->in_dim[mod];
            l->b_off[i] = n; n += (size_t)l->out_dim[mod] * R;
        }
    }
    l->n_params = n;
    l->params = (float *)kgrl_calloc(n ? n : 1, sizeof(float));
    return l;
}

static kgrl_lora_desc kgrl__lora_resolve(const kgrl_lora_desc *desc) {
    kgrl_lora_desc d;
    memset(&d, 0, sizeof d);
    if (desc) d = *desc;
    if (d.rank <= 0) d.rank = 8;                 // peft LoraConfig defaults
    if (!(d.alpha > 0.0f)) d.alpha = 8.0f;
    if (d.targets == 0) d.targets = KGRL_LORA_ALL;
    d.targets &= KGRL_LORA_ALL;
    return d;
}

kgrl_lora *kgrl_lora_create(const kgrl_model_config *cfg, const kgrl_lora_desc *desc) {
    kgrl_lora_desc d = kgrl__lora_resolve(desc);
    if (d.dropout < 0.0f || d.dropout >= 1.0f) KGRL_FATAL("kgrl_lora_create: dropout %g must be in [0, 1)", (double)d.dropout);
    kgrl_lora *l = kgrl__lora_alloc(cfg, &d);
    uint64_t stream = kgrl_stream_id("lora_init");
    for (int layer = 0; layer < l->n_layers; layer++) {
        for (int mod = 0; mod < KGRL_LORA_NMOD; mod++) {
            float *A = kgrl_lora_A(l, l->params, layer, mod);
            if (!A) continue;
            // kaiming_uniform_(a=sqrt(5)): gain sqrt(2/(1+5)), bound = gain*sqrt(3/fan_in) = 1/sqrt(fan_in)
            float bound = 1.0f / sqrtf((float)l->in_dim[mod]);
            uint64_t s = kgrl_stream_mix(stream, (uint64_t)layer * KGRL_LORA_NMOD + mod);
            size_t n = (size_t)d.rank * l->in_dim[mod];
            for (size_t i = 0; i < n; i++) A[i] = (2.0f * kgrl_uniform_at(d.seed, s, i) - 1.0f) * bound;
            // B stays 0: the adapter starts as the identity (peft)
        }
    }
    return l;
}

void kgrl_lora_free(kgrl_lora *l) {
    if (!l) return;
    kgrl_free(l->params);
    kgrl_free(l->a_off);
    kgrl_free(l->b_off);
    kgrl_free(l);
}

float *kgrl_lora_A(const kgrl_lora *l, float *block, int layer, int mod) {
    if (!l || !block) return NULL;
    size_t off = l->a_off[(size_t)layer * KGRL_LORA_NMOD + mod];
    return off == KGRL_ABSENT ? NULL : block + off;
}
float *kgrl_lora_B(const kgrl_lora *l, float *block, int layer, int mod) {
    if (!l || !block) return NULL;
    size_t off = l->b_off[(size_t)layer * KGRL_LORA_NMOD + mod];
    return off == KGRL_ABSENT ? NULL : block + off;
}

// ---------------------------------------------------------------------------------------------
// activations

static float *kgrl__zeros(size_t n) { return (float *)kgrl_calloc(n > 0 ? n : 1, sizeof(float)); }

kgrl_model_acts *kgrl_model_acts_create(const kgrl_model_config *cfg, const kgrl_lora *lora, int B, int T) {
    KGRL_CHECK(B > 0 && T > 0, "kgrl_model_acts_create: B=%d T=%d must be positive", B, T);
    kgrl_model_acts *a = (kgrl_model_acts *)kgrl_calloc(1, sizeof *a);
    a->B = B; a->T = T;
    a->L = cfg->n_layers; a->C = cfg->hidden_size; a->NH = cfg->n_heads; a->KVH = cfg->n_kv_heads;
    a->HS = cfg->head_dim; a->F = cfg->ffn_size; a->V = cfg->vocab_size; a->R = lora ? lora->desc.rank : 0;
    size_t L = (size_t)a->L, N = (size_t)B * T, C = (size_t)a->C, QD = (size_t)a->NH * a->HS;
    size_t KD = (size_t)a->KVH * a->HS, F = (size_t)a->F, V = (size_t)a->V, R = (size_t)a->R;
    size_t ATT = (size_t)B * a->NH * T * T;
#define KGRL__F(n) kgrl__zeros(n)
    a->tokens = (int *)kgrl_calloc(N, sizeof(int));
    a->pos = (int *)kgrl_calloc(N, sizeof(int));
    a->kmask = (int *)kgrl_calloc(N, sizeof(int));
    a->next_pos = (int *)kgrl_calloc((size_t)B, sizeof(int));
    a->res = KGRL__F((L + 1) * N * C);
    a->mid = KGRL__F(L * N * C);
    a->ln1 = KGRL__F(L * N * C);      a->ln1_rstd = KGRL__F(L * N);
    a->qr = KGRL__F(L * N * QD);      a->kr = KGRL__F(L * N * KD);
    a->q_rstd = KGRL__F(L * N * a->NH); a->k_rstd = KGRL__F(L * N * a->KVH);
    a->q = KGRL__F(L * N * QD);
    a->k = KGRL__F(L * N * KD);       a->v = KGRL__F(L * N * KD);
    a->att = KGRL__F(L * ATT);
    a->atty = KGRL__F(L * N * QD);
    a->ln2 = KGRL__F(L * N * C);      a->ln2_rstd = KGRL__F(L * N);
    a->gate = KGRL__F(L * N * F);     a->up = KGRL__F(L * N * F);   a->hact = KGRL__F(L * N * F);
    a->lnf = KGRL__F(N * C);          a->lnf_rstd = KGRL__F(N);
    a->xa = KGRL__F(L * KGRL_LORA_NMOD * N * R);
    a->logits = KGRL__F(N * V);       a->dlogits = KGRL__F(N * V);
    a->d_res = KGRL__F(N * C);        a->d_ln = KGRL__F(N * C);
    a->d_atty = KGRL__F(N * QD);      a->d_q = KGRL__F(N * QD);
    a->d_k = KGRL__F(N * KD);         a->d_v = KGRL__F(N * KD);
    a->d_gate = KGRL__F(N * F);       a->d_up = KGRL__F(N * F);     a->d_h = KGRL__F(N * F);
    a->d_att = KGRL__F(ATT);
    a->d_xa = KGRL__F(N * R);
    a->d_norm = KGRL__F(N * (QD > KD ? QD : KD));
    a->d_qn = KGRL__F(N * QD);        a->d_kn = KGRL__F(N * KD);
#undef KGRL__F
    return a;
}

void kgrl_model_acts_free(kgrl_model_acts *a) {
    if (!a) return;
    void *ptrs[] = {a->tokens, a->pos, a->kmask, a->next_pos, a->res, a->mid, a->ln1, a->ln1_rstd, a->qr, a->kr,
                    a->q_rstd, a->k_rstd, a->q, a->k, a->v, a->att, a->atty, a->ln2, a->ln2_rstd, a->gate, a->up,
                    a->hact, a->lnf, a->lnf_rstd, a->xa, a->logits, a->dlogits, a->d_res, a->d_ln, a->d_atty,
                    a->d_q, a->d_k, a->d_v, a->d_gate, a->d_up, a->d_h, a->d_att, a->d_xa, a->d_norm,
                    a->d_qn, a->d_kn};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) kgrl_free(ptrs[i]);
    kgrl_free(a);
}

void kgrl_model_acts_reset(kgrl_model_acts *a) {
    a->len = 0; a->nb = a->nt = 0; a->full = false;
    memset(a->kmask, 0, sizeof(int) * (size_t)a->B * a->T);
    memset(a->next_pos, 0, sizeof(int) * (size_t)a->B);
}

// Philox stream of the LoRA dropout mask of (layer, module).
static uint64_t kgrl__lora_dropout_stream(int layer, int mod) {
    return kgrl_stream_mix(kgrl_stream_id("lora_dropout"), (uint64_t)layer * KGRL_LORA_NMOD + mod);
}

// One projection with its LoRA: out (N, OC) = inp W^T + b + lora. xa: this (layer, module)'s (N, R).
static void kgrl__proj_forward(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a, float *out,
                               const float *inp, int layer, int w, int wb, int mod, int N) {
    int rows, cols;
    kgrl__layer_tensor_shape(&m->cfg, w, &rows, &cols);
    kgrl_matmul_forward(out, inp, kgrl_model_tensor(m, m->params, layer, w), kgrl_model_tensor(m, m->params, layer, wb), N, cols, rows);
    const float *A = kgrl_lora_A(lora, lora ? lora->params : NULL, layer, mod);
    if (!A) return;
    float p = a->lora_dropout ? lora->desc.dropout : 0.0f;
    float *xa = a->xa + ((size_t)layer * KGRL_LORA_NMOD + mod) * (size_t)a->B * a->T * a->R;
    kgrl_lora_forward(out, xa, inp, A, kgrl_lora_B(lora, lora->params, layer, mod), lora->scaling, p,
                      a->dropout_seed, kgrl__lora_dropout_stream(layer, mod), N, cols, rows, a->R);
}

static void kgrl__proj_backward(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a, float *dinp,
                                const float *dout, const float *inp, int layer, int w, int wb, int mod, int N,
                                float *model_grads, float *lora_grads) {
    int rows, cols;
    kgrl__layer_tensor_shape(&m->cfg, w, &rows, &cols);
    kgrl_matmul_backward(dinp, kgrl_model_tensor(m, model_grads, layer, w), kgrl_model_tensor(m, model_grads, layer, wb),
                         dout, inp, kgrl_model_tensor(m, m->params, layer, w), N, cols, rows);
    const float *A = kgrl_lora_A(lora, lora ? lora->params : NULL, layer, mod);
    if (!A) return;
    float p = a->lora_dropout ? lora->desc.dropout : 0.0f;
    const float *xa = a->xa + ((size_t)layer * KGRL_LORA_NMOD + mod) * (size_t)a->B * a->T * a->R;
    kgrl_lora_backward(dinp, kgrl_lora_A(lora, lora_grads, layer, mod), kgrl_lora_B(lora, lora_grads, layer, mod), a->d_xa,
                       dout, xa, inp, A, kgrl_lora_B(lora, lora->params, layer, mod), lora->scaling, p,
                       a->dropout_seed, kgrl__lora_dropout_stream(layer, mod), N, cols, rows, a->R);
}

// The forward of B sequences of T new tokens placed in KV slots [t0, t0 + T).
static void kgrl__forward(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                          const int *tokens, const int *pos, const int *mask, int B, int T, int t0) {
    const kgrl_model_config *c = &m->cfg;
    KGRL_CHECK(B > 0 && B <= a->B, "model forward: batch %d exceeds the acts' capacity %d", B, a->B);
    KGRL_CHECK(T > 0 && t0 + T <= a->T, "model forward: %d cached + %d new tokens exceed the acts' capacity %d", t0, T, a->T);
    KGRL_CHECK(a->L == c->n_layers && a->C == c->hidden_size && a->V == c->vocab_size, "model forward: acts were made for another config");
    KGRL_CHECK(!lora || (lora->desc.rank == a->R && lora->n_layers == c->n_layers), "model forward: acts were made for another LoRA rank (%d)", a->R);
    int N = B * T, C = c->hidden_size, NH = c->n_heads, KVH = c->n_kv_heads, HS = c->head_dim, F = c->ffn_size;
    int QD = NH * HS, KD = KVH * HS, Tk = a->T;
    size_t NC = (size_t)a->B * a->T * C;                   // layer stride of (B*T, C) buffers
    size_t NQ = (size_t)a->B * a->T * QD, NK = (size_t)a->B * a->T * KD, NF = (size_t)a->B * a->T * F;
    size_t NR = (size_t)a->B * a->T, ATT = (size_t)a->B * NH * a->T * a->T;
    a->nb = B; a->nt = T;
    // tokens, slot mask and positions
    for (int b = 0; b < B; b++) {
        int p = t0 == 0 ? 0 : a->next_pos[b];
        for (int i = 0; i < T; i++) {
            int n = b * T + i, tok = tokens[n], real = mask ? (mask[n] != 0) : 1;
            KGRL_CHECK(tok >= 0 && tok < c->vocab_size, "model forward: token %d at (%d, %d) is outside the vocabulary [0, %d)", tok, b, i, c->vocab_size);
            a->tokens[n] = tok;
            a->kmask[(size_t)b * Tk + t0 + i] = real;
            a->pos[n] = pos ? pos[n] : p;
            if (real) p++;
        }
        a->next_pos[b] = pos ? pos[b * T + T - 1] + 1 : p;
    }
    kgrl_embedding_forward(a->res, a->tokens, m->params + m->embed_off, N, C);
    for (int l = 0; l < c->n_layers; l++) {
        float *x = a->res + l * NC, *mid = a->mid + l * NC, *xo = a->res + (l + 1) * NC;
        float *ln1 = a->ln1 + l * NC, *ln2 = a->ln2 + l * NC;
        float *qr = a->qr + l * NQ, *kr = a->kr + l * NK, *q = a->q + l * NQ, *atty = a->atty + l * NQ;
        float *kc = a->k + l * NK, *vc = a->v + l * NK;     // (B, Tk, KVH, HS)
        float *att = a->att + l * ATT;
        float *gate = a->gate + l * NF, *up = a->up + l * NF, *hact = a->hact + l * NF;
        kgrl_rmsnorm_forward(ln1, a->ln1_rstd + l * NR, x, kgrl_model_tensor(m, m->params, l, KGRL_W_LN1), c->rms_eps, N, C);
        kgrl__proj_forward(m, lora, a, qr, ln1, l, KGRL_W_Q, KGRL_W_QB, KGRL_LORA_Q, N);
        kgrl__proj_forward(m, lora, a, kr, ln1, l, KGRL_W_K, KGRL_W_KB, KGRL_LORA_K, N);
        // v goes straight to its cache slots, k after norm and rope; use atty as scratch for v
        kgrl__proj_forward(m, lora, a, atty, ln1, l, KGRL_W_V, KGRL_W_VB, KGRL_LORA_V, N);
        for (int b = 0; b < B; b++)
            memcpy(vc + ((size_t)b * Tk + t0) * KD, atty + (size_t)b * T * KD, sizeof(float) * (size_t)T * KD);
        const float *qn = qr, *kn = kr;
        if (c->qk_norm) {
            kgrl_rmsnorm_forward(q, a->q_rstd + (size_t)l * NR * NH, qr, kgrl_model_tensor(m, m->params, l, KGRL_W_QNORM), c->rms_eps, N * NH, HS);
            kgrl_rmsnorm_forward(a->d_norm, a->k_rstd + (size_t)l * NR * KVH, kr, kgrl_model_tensor(m, m->params, l, KGRL_W_KNORM), c->rms_eps, N * KVH, HS);
            qn = q; kn = a->d_norm;
        }
        kgrl_rope_forward(q, qn, a->pos, m->rope_inv_freq, N, NH, HS);
        for (int b = 0; b < B; b++)
            kgrl_rope_forward(kc + ((size_t)b * Tk + t0) * KD, kn + (size_t)b * T * KD, a->pos + b * T, m->rope_inv_freq, T, KVH, HS);
        kgrl_attention_forward(atty, att, q, kc, vc, a->kmask, B, T, Tk, t0, NH, KVH, HS);
        kgrl__proj_forward(m, lora, a, mid, atty, l, KGRL_W_O, KGRL_W_OB, KGRL_LORA_O, N);
        for (size_t i = 0; i < (size_t)N * C; i++) mid[i] += x[i];
        kgrl_rmsnorm_forward(ln2, a->ln2_rstd + l * NR, mid, kgrl_model_tensor(m, m->params, l, KGRL_W_LN2), c->rms_eps, N, C);
        kgrl__proj_forward(m, lora, a, gate, ln2, l, KGRL_W_GATE, KGRL_W_GATEB, KGRL_LORA_GATE, N);
        kgrl__proj_forward(m, lora, a, up, ln2, l, KGRL_W_UP, KGRL_W_UPB, KGRL_LORA_UP, N);
        kgrl_swiglu_forward(hact, gate, up, N * F);
        kgrl__proj_forward(m, lora, a, xo, hact, l, KGRL_W_DOWN, KGRL_W_DOWNB, KGRL_LORA_DOWN, N);
        for (size_t i = 0; i < (size_t)N * C; i++) xo[i] += mid[i];
    }
    float *xl = a->res + (size_t)c->n_layers * NC;
    kgrl_rmsnorm_forward(a->lnf, a->lnf_rstd, xl, m->params + m->norm_off, c->rms_eps, N, C);
    kgrl_matmul_forward(a->logits, a->lnf, m->params + m->lm_head_off, NULL, N, C, c->vocab_size);
    a->len = t0 + T;
}

void kgrl_model_forward(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                        const int *tokens, const int *pos, const int *mask, int B, int T) {
    kgrl_model_acts_reset(a);
    kgrl__forward(m, lora, a, tokens, pos, mask, B, T, 0);
    a->full = true;
}

void kgrl_model_decode(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                       const int *tokens, const int *pos, const int *mask, int B, int T) {
    KGRL_CHECK(a->len == 0 || B == a->nb, "model decode: batch %d differs from the cached batch %d", B, a->nb);
    kgrl__forward(m, lora, a, tokens, pos, mask, B, T, a->len);
    a->full = false;
}

void kgrl_model_backward(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                         float *model_grads, float *lora_grads) {
    KGRL_CHECK(a->full, "kgrl_model_backward: the acts do not hold a full forward (call kgrl_model_forward first)");
    const kgrl_model_config *c = &m->cfg;
    int B = a->nb, T = a->nt, N = B * T, C = c->hidden_size, NH = c->n_heads, KVH = c->n_kv_heads, HS = c->head_dim;
    int F = c->ffn_size, QD = NH * HS, KD = KVH * HS, Tk = a->T;
    size_t NC = (size_t)a->B * a->T * C, NQ = (size_t)a->B * a->T * QD, NK = (size_t)a->B * a->T * KD;
    size_t NF = (size_t)a->B * a->T * F, NR = (size_t)a->B * a->T, ATT = (size_t)a->B * NH * a->T * a->T;
    float *d_res = a->d_res, *d_ln = a->d_ln;
    // head and final norm
    memset(d_ln, 0, sizeof(float) * (size_t)N * C);
    kgrl_matmul_backward(d_ln, model_grads ? model_grads + m->lm_head_off : NULL, NULL, a->dlogits, a->lnf,
                         m->params + m->lm_head_off, N, C, c->vocab_size);
    memset(d_res, 0, sizeof(float) * (size_t)N * C);
    kgrl_rmsnorm_backward(d_res, model_grads ? model_grads + m->norm_off : NULL, d_ln, a->res + (size_t)c->n_layers * NC,
                          m->params + m->norm_off, a->lnf_rstd, N, C);
    for (int l = c->n_layers - 1; l >= 0; l--) {
        float *x = a->res + l * NC, *mid = a->mid + l * NC, *ln1 = a->ln1 + l * NC, *ln2 = a->ln2 + l * NC;
        float *qr = a->qr + l * NQ, *kr = a->kr + l * NK, *q = a->q + l * NQ, *atty = a->atty + l * NQ;
        float *kc = a->k + l * NK, *vc = a->v + l * NK, *att = a->att + l * ATT;
        float *gate = a->gate + l * NF, *up = a->up + l * NF, *hact = a->hact + l * NF;
        // MLP: xo = mid + down(silu(gate) * up); d_res holds d(xo) and becomes d(mid)
        memset(a->d_h, 0, sizeof(float) * (size_t)N * F);
        kgrl__proj_backward(m, lora, a, a->d_h, d_res, hact, l, KGRL_W_DOWN, KGRL_W_DOWNB, KGRL_LORA_DOWN, N, model_grads, lora_grads);
        memset(a->d_gate, 0, sizeof(float) * (size_t)N * F);
        memset(a->d_up, 0, sizeof(float) * (size_t)N * F);
        kgrl_swiglu_backward(a->d_gate, a->d_up, a->d_h, gate, up, N * F);
        memset(d_ln, 0, sizeof(float) * (size_t)N * C);
        kgrl__proj_backward(m, lora, a, d_ln, a->d_gate, ln2, l, KGRL_W_GATE, KGRL_W_GATEB, KGRL_LORA_GATE, N, model_grads, lora_grads);
        kgrl__proj_backward(m, lora, a, d_ln, a->d_up, ln2, l, KGRL_W_UP, KGRL_W_UPB, KGRL_LORA_UP, N, model_grads, lora_grads);
        kgrl_rmsnorm_backward(d_res, kgrl_model_tensor(m, model_grads, l, KGRL_W_LN2), d_ln, mid,
                              kgrl_model_tensor(m, m->params, l, KGRL_W_LN2), a->ln2_rstd + l * NR, N, C);
        // attention: mid = x + o(atty); d_res holds d(mid) and becomes d(x)
        memset(a->d_atty, 0, sizeof(float) * (size_t)N * QD);
        kgrl__proj_backward(m, lora, a, a->d_atty, d_res, atty, l, KGRL_W_O, KGRL_W_OB, KGRL_LORA_O, N, model_grads, lora_grads);
        memset(a->d_q, 0, sizeof(float) * (size_t)N * QD);
        memset(a->d_k, 0, sizeof(float) * (size_t)B * Tk * KD);
        memset(a->d_v, 0, sizeof(float) * (size_t)B * Tk * KD);
        kgrl_attention_backward(a->d_q, a->d_k, a->d_v, a->d_att, a->d_atty, att, q, kc, vc, B, T, Tk, NH, KVH, HS);
        // d_k, d_v are slot-indexed with stride Tk; make them row-compact (B*T, KD) in place (T <= Tk)
        for (int b = 1; b < B; b++) {
            memmove(a->d_k + (size_t)b * T * KD, a->d_k + (size_t)b * Tk * KD, sizeof(float) * (size_t)T * KD);
            memmove(a->d_v + (size_t)b * T * KD, a->d_v + (size_t)b * Tk * KD, sizeof(float) * (size_t)T * KD);
        }
        // rope (and qk-norm) backward: d_q -> d(qr) in d_atty, d_k -> d(kr) in d_norm
        float *dqr = a->d_atty, *dkr = a->d_norm;
        memset(dqr, 0, sizeof(float) * (size_t)N * QD);
        memset(dkr, 0, sizeof(float) * (size_t)N * KD);
        if (c->qk_norm) {
            float *dqn = a->d_qn, *dkn = a->d_kn;   // gradients of the normed, un-roped q and k
            memset(dqn, 0, sizeof(float) * (size_t)N * QD);
            memset(dkn, 0, sizeof(float) * (size_t)N * KD);
            kgrl_rope_backward(dqn, a->d_q, a->pos, m->rope_inv_freq, N, NH, HS);
            kgrl_rope_backward(dkn, a->d_k, a->pos, m->rope_inv_freq, N, KVH, HS);
            kgrl_rmsnorm_backward(dqr, kgrl_model_tensor(m, model_grads, l, KGRL_W_QNORM), dqn, qr,
                                  kgrl_model_tensor(m, m->params, l, KGRL_W_QNORM), a->q_rstd + (size_t)l * NR * NH, N * NH, HS);
            kgrl_rmsnorm_backward(dkr, kgrl_model_tensor(m, model_grads, l, KGRL_W_KNORM), dkn, kr,
                                  kgrl_model_tensor(m, m->params, l, KGRL_W_KNORM), a->k_rstd + (size_t)l * NR * KVH, N * KVH, HS);
        } else {
            kgrl_rope_backward(dqr, a->d_q, a->pos, m->rope_inv_freq, N, NH, HS);
            kgrl_rope_backward(dkr, a->d_k, a->pos, m->rope_inv_freq, N, KVH, HS);
        }
        memset(d_ln, 0, sizeof(float) * (size_t)N * C);
        kgrl__proj_backward(m, lora, a, d_ln, dqr, ln1, l, KGRL_W_Q, KGRL_W_QB, KGRL_LORA_Q, N, model_grads, lora_grads);
        kgrl__proj_backward(m, lora, a, d_ln, dkr, ln1, l, KGRL_W_K, KGRL_W_KB, KGRL_LORA_K, N, model_grads, lora_grads);
        kgrl__proj_backward(m, lora, a, d_ln, a->d_v, ln1, l, KGRL_W_V, KGRL_W_VB, KGRL_LORA_V, N, model_grads, lora_grads);
        kgrl_rmsnorm_backward(d_res, kgrl_model_tensor(m, model_grads, l, KGRL_W_LN1), d_ln, x,
                              kgrl_model_tensor(m, m->params, l, KGRL_W_LN1), a->ln1_rstd + l * NR, N, C);
    }
    if (model_grads) kgrl_embedding_backward(model_grads + m->embed_off, d_res, a->tokens, N, C);
}

// ---------------------------------------------------------------------------------------------
// checkpoints

// A number/bool/string member that may also be JSON null (HF writes null for "not set").
static const kgrl_json *kgrl__json_member(const kgrl_json *o, const char *key) {
    const kgrl_json *v = kgrl_json_get(o, key);
    return (v && v->type != KGRL_JSON_NULL) ? v : NULL;
}

// An integer member: absent or null gives dflt (required: dflt < 0 means the key must be there).
static bool kgrl__cfg_int(const kgrl_json *j, const char *key, int dflt, int *out, kgrl_err *err) {
    const kgrl_json *v = kgrl__json_member(j, key);
    if (!v) {
        if (dflt < 0) { kgrl_err_set(err, "config.json: missing \"%s\"", key); return false; }
        *out = dflt;
        return true;
    }
    if (v->type != KGRL_JSON_NUMBER || v->number != floor(v->number) || v->number < 0 || v->number > 2147483647.0) {
        kgrl_err_set(err, "config.json:%d:%d: \"%s\" must be a non-negative integer", v->line, v->col, key);
        return false;
    }
    *out = (int)v->number;
    return true;
}
static bool kgrl__cfg_num(const kgrl_json *j, const char *key, double dflt, double *out, kgrl_err *err) {
    const kgrl_json *v = kgrl__json_member(j, key);
    if (!v) { *out = dflt; return true; }
    if (v->type != KGRL_JSON_NUMBER) { kgrl_err_set(err, "config.json:%d:%d: \"%s\" must be a number", v->line, v->col, key); return false; }
    *out = v->number;
    return true;
}
static bool kgrl__cfg_bool(const kgrl_json *j, const char *key, bool dflt, bool *out, kgrl_err *err) {
    const kgrl_json *v = kgrl__json_member(j, key);
    if (!v) { *out = dflt; return true; }
    if (v->type != KGRL_JSON_BOOL) { kgrl_err_set(err, "config.json:%d:%d: \"%s\" must be true or false", v->line, v->col, key); return false; }
    *out = v->boolean;
    return true;
}
// A token id that may be a list (Llama 3 lists several EOS ids): the first one; -1 when absent.
static int kgrl__cfg_token(const kgrl_json *j, const char *key) {
    const kgrl_json *v = kgrl__json_member(j, key);
    if (v && v->type == KGRL_JSON_ARRAY && v->count > 0) v = kgrl_json_at(v, 0);
    return (v && v->type == KGRL_JSON_NUMBER) ? (int)v->number : -1;
}

bool kgrl_model_config_from_json(const kgrl_json *j, kgrl_model_config *c, kgrl_err *err) {
    memset(c, 0, sizeof *c);
    if (!j || j->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "config.json: not a JSON object"); return false; }
    const kgrl_json *arch = kgrl__json_member(j, "architectures");
    const char *name = NULL;
    if (arch && arch->type == KGRL_JSON_ARRAY && arch->count > 0 && arch->items[0].type == KGRL_JSON_STRING) name = arch->items[0].string;
    const char *mt = kgrl_json_string_or(j, "model_type", "");
    if (name ? !strcmp(name, "Qwen2ForCausalLM") : !strcmp(mt, "qwen2")) c->family = KGRL_FAMILY_QWEN2;
    else if (name ? !strcmp(name, "Qwen3ForCausalLM") : !strcmp(mt, "qwen3")) c->family = KGRL_FAMILY_QWEN3;
    else if (name ? !strcmp(name, "LlamaForCausalLM") : !strcmp(mt, "llama")) c->family = KGRL_FAMILY_LLAMA;
    else {
        kgrl_err_set(err, "config.json: unsupported architecture \"%s\" (model_type \"%s\"); kgrl supports "
                     "Qwen2ForCausalLM, Qwen3ForCausalLM and LlamaForCausalLM", name ? name : "", mt);
        return false;
    }
    const char *act = kgrl_json_string_or(j, "hidden_act", "silu");
    if (strcmp(act, "silu") != 0) { kgrl_err_set(err, "config.json: hidden_act \"%s\" is not supported (only silu)", act); return false; }
    if (!kgrl__cfg_int(j, "vocab_size", -1, &c->vocab_size, err) || !kgrl__cfg_int(j, "hidden_size", -1, &c->hidden_size, err) ||
        !kgrl__cfg_int(j, "num_hidden_layers", -1, &c->n_layers, err) || !kgrl__cfg_int(j, "num_attention_heads", -1, &c->n_heads, err) ||
        !kgrl__cfg_int(j, "intermediate_size", -1, &c->ffn_size, err) ||
        !kgrl__cfg_int(j, "num_key_value_heads", c->n_heads, &c->n_kv_heads, err) ||
        !kgrl__cfg_int(j, "head_dim", c->n_heads > 0 ? c->hidden_size / c->n_heads : 0, &c->head_dim, err) ||
        !kgrl__cfg_int(j, "max_position_embeddings", 2048, &c->max_pos, err))
        return false;
    double eps, init, drop, prf;
    if (!kgrl__cfg_num(j, "rms_norm_eps", 1e-6, &eps, err) || !kgrl__cfg_num(j, "initializer_range", 0.02, &init, err) ||
        !kgrl__cfg_num(j, "attention_dropout", 0.0, &drop, err) || !kgrl__cfg_num(j, "partial_rotary_factor", 1.0, &prf, err))
        return false;
    c->rms_eps = (float)eps;
    c->initializer_range = (float)init;
    if (drop != 0.0) { kgrl_err_set(err, "config.json: attention_dropout %g is not supported (only 0)", drop); return false; }
    if (prf != 1.0) { kgrl_err_set(err, "config.json: partial_rotary_factor %g is not supported (only 1)", prf); return false; }
    bool sliding;
    if (!kgrl__cfg_bool(j, "use_sliding_window", false, &sliding, err)) return false;
    if (sliding) { kgrl_err_set(err, "config.json: use_sliding_window is not supported"); return false; }
    const kgrl_json *lt = kgrl__json_member(j, "layer_types");
    for (int i = 0; lt && lt->type == KGRL_JSON_ARRAY && i < lt->count; i++) {
        const kgrl_json *t = kgrl_json_at(lt, i);
        if (t->type == KGRL_JSON_STRING && strcmp(t->string, "full_attention") != 0) {
            kgrl_err_set(err, "config.json: layer_types[%d] \"%s\" is not supported (only full_attention)", i, t->string);
            return false;
        }
    }
    bool attn_bias, mlp_bias;
    if (!kgrl__cfg_bool(j, "tie_word_embeddings", false, &c->tie_embeddings, err) ||
        !kgrl__cfg_bool(j, "attention_bias", false, &attn_bias, err) || !kgrl__cfg_bool(j, "mlp_bias", false, &mlp_bias, err))
        return false;
    if (c->family == KGRL_FAMILY_QWEN2) { c->qkv_bias = true; c->o_bias = false; }   // Qwen2Attention: bias on q/k/v only
    else { c->qkv_bias = c->o_bias = attn_bias; }
    if (c->family == KGRL_FAMILY_LLAMA) c->mlp_bias = mlp_bias;
    c->qk_norm = c->family == KGRL_FAMILY_QWEN3;
    // rope: transformers 5 "rope_parameters" {rope_type, rope_theta, ...}; transformers 4 "rope_theta" + "rope_scaling"
    const kgrl_json *rp = kgrl__json_member(j, "rope_parameters");
    const kgrl_json *rs = kgrl__json_member(j, "rope_scaling");
    if (rp && rp->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "config.json: rope_parameters must be an object"); return false; }
    if (rs && rs->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "config.json: rope_scaling must be an object"); return false; }
    const kgrl_json *sc = rp ? rp : rs;
    double theta;
    if (!kgrl__cfg_num(j, "rope_theta", 10000.0, &theta, err)) return false;
    if (rp && !kgrl__cfg_num(rp, "rope_theta", theta, &theta, err)) return false;
    c->rope_theta = (float)theta;
    c->rope_type = KGRL_ROPE_DEFAULT;
    if (sc) {
        const char *type = kgrl_json_string_or(sc, "rope_type", kgrl_json_string_or(sc, "type", "default"));
        double f, lo, hi;
        int orig;
        if (!kgrl__cfg_num(sc, "factor", 1.0, &f, err) || !kgrl__cfg_num(sc, "low_freq_factor", 1.0, &lo, err) ||
            !kgrl__cfg_num(sc, "high_freq_factor", 4.0, &hi, err) || !kgrl__cfg_int(sc, "original_max_position_embeddings", c->max_pos, &orig, err))
            return false;
        if (!strcmp(type, "default")) c->rope_type = KGRL_ROPE_DEFAULT;
        else if (!strcmp(type, "linear")) { c->rope_type = KGRL_ROPE_LINEAR; c->rope_factor = (float)f; }
        else if (!strcmp(type, "llama3")) {
            c->rope_type = KGRL_ROPE_LLAMA3;
            c->rope_factor = (float)f; c->rope_low_freq_factor = (float)lo; c->rope_high_freq_factor = (float)hi;
            c->rope_original_max_pos = orig;
        } else {
            kgrl_err_set(err, "config.json: rope scaling type \"%s\" is not supported (default, linear, llama3)", type);
            return false;
        }
    }
    c->bos_token_id = kgrl__cfg_token(j, "bos_token_id");
    c->eos_token_id = kgrl__cfg_token(j, "eos_token_id");
    return kgrl_model_config_check(c, err);
}

bool kgrl_model_config_load(const char *dir, kgrl_model_config *cfg, kgrl_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    kgrl_json *j = kgrl_json_parse_file(path, err);
    if (!j) return false;
    bool ok = kgrl_model_config_from_json(j, cfg, err);
    kgrl_json_free(j);
    if (!ok && err) {
        kgrl_buf b; memset(&b, 0, sizeof b);
        kgrl_buf_printf(&b, "%s: %s", dir, err->msg);
        snprintf(err->msg, sizeof err->msg, "%.*s", (int)(sizeof err->msg - 1), b.data);
        kgrl_buf_free(&b);
    }
    return ok;
}

void kgrl_model_config_to_json(const kgrl_model_config *c, kgrl_dtype dtype, kgrl_buf *out) {
    static const char *const archs[] = {"", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "LlamaForCausalLM"};
    static const char *const types[] = {"", "qwen2", "qwen3", "llama"};
    static const char *const ropes[] = {"default", "linear", "llama3"};
    kgrl_json_writer w;
    memset(&w, 0, sizeof w);
    w.out = out;
    kgrl_jw_begin_object(&w);
    kgrl_jw_key(&w, "architectures"); kgrl_jw_begin_array(&w); kgrl_jw_string(&w, archs[c->family]); kgrl_jw_end_array(&w);
    kgrl_jw_key(&w, "model_type"); kgrl_jw_string(&w, types[c->family]);
    kgrl_jw_key(&w, "vocab_size"); kgrl_jw_int(&w, c->vocab_size);
    kgrl_jw_key(&w, "hidden_size"); kgrl_jw_int(&w, c->hidden_size);
    kgrl_jw_key(&w, "num_hidden_layers"); kgrl_jw_int(&w, c->n_layers);
    kgrl_jw_key(&w, "num_attention_heads"); kgrl_jw_int(&w, c->n_heads);
    kgrl_jw_key(&w, "num_key_value_heads"); kgrl_jw_int(&w, c->n_kv_heads);
    kgrl_jw_key(&w, "head_dim"); kgrl_jw_int(&w, c->head_dim);
    kgrl_jw_key(&w, "intermediate_size"); kgrl_jw_int(&w, c->ffn_size);
    kgrl_jw_key(&w, "max_position_embeddings"); kgrl_jw_int(&w, c->max_pos);
    kgrl_jw_key(&w, "rms_norm_eps"); kgrl_jw_number(&w, c->rms_eps);
    kgrl_jw_key(&w, "hidden_act"); kgrl_jw_string(&w, "silu");
    kgrl_jw_key(&w, "initializer_range"); kgrl_jw_number(&w, c->initializer_range > 0.0f ? c->initializer_range : 0.02);
    kgrl_jw_key(&w, "tie_word_embeddings"); kgrl_jw_bool(&w, c->tie_embeddings);
    if (c->family != KGRL_FAMILY_QWEN2) { kgrl_jw_key(&w, "attention_bias"); kgrl_jw_bool(&w, c->qkv_bias); }
    if (c->family == KGRL_FAMILY_LLAMA) { kgrl_jw_key(&w, "mlp_bias"); kgrl_jw_bool(&w, c->mlp_bias); }
    if (c->family == KGRL_FAMILY_QWEN2) { kgrl_jw_key(&w, "use_sliding_window"); kgrl_jw_bool(&w, false); }
    kgrl_jw_key(&w, "attention_dropout"); kgrl_jw_number(&w, 0.0);
    if (c->bos_token_id >= 0) { kgrl_jw_key(&w, "bos_token_id"); kgrl_jw_int(&w, c->bos_token_id); }
    if (c->eos_token_id >= 0) { kgrl_jw_key(&w, "eos_token_id"); kgrl_jw_int(&w, c->eos_token_id); }
    // rope in both formats, with the same values: transformers 5 reads rope_parameters, 4 the rest
    kgrl_jw_key(&w, "rope_theta"); kgrl_jw_number(&w, c->rope_theta);
    for (int fmt = 0; fmt < 2; fmt++) {
        if (fmt == 1 && c->rope_type == KGRL_ROPE_DEFAULT) break;
        kgrl_jw_key(&w, fmt == 0 ? "rope_parameters" : "rope_scaling");
        kgrl_jw_begin_object(&w);
        kgrl_jw_key(&w, "rope_type"); kgrl_jw_string(&w, ropes[c->rope_type]);
        if (fmt == 0) { kgrl_jw_key(&w, "rope_theta"); kgrl_jw_number(&w, c->rope_theta); }
        if (c->rope_type != KGRL_ROPE_DEFAULT) { kgrl_jw_key(&w, "factor"); kgrl_jw_number(&w, c->rope_factor); }
        if (c->rope_type == KGRL_ROPE_LLAMA3) {
            kgrl_jw_key(&w, "low_freq_factor"); kgrl_jw_number(&w, c->rope_low_freq_factor);
            kgrl_jw_key(&w, "high_freq_factor"); kgrl_jw_number(&w, c->rope_high_freq_factor);
            kgrl_jw_key(&w, "original_max_position_embeddings"); kgrl_jw_int(&w, c->rope_original_max_pos);
        }
        kgrl_jw_end_object(&w);
    }
    const char *dt = dtype == KGRL_DTYPE_BF16 ? "bfloat16" : (dtype == KGRL_DTYPE_F16 ? "float16" : "float32");
    kgrl_jw_key(&w, "torch_dtype"); kgrl_jw_string(&w, dt);
    kgrl_jw_key(&w, "dtype"); kgrl_jw_string(&w, dt);
    kgrl_jw_end_object(&w);
}

void kgrl_model_tensor_name(int layer, int which, char *buf, size_t cap) {
    static const char *const names[KGRL_W_COUNT] = {
        "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight",
        "self_attn.k_proj.bias", "self_attn.v_proj.weight", "self_attn.v_proj.bias", "self_attn.o_proj.weight",
        "self_attn.o_proj.bias", "self_attn.q_norm.weight", "self_attn.k_norm.weight", "post_attention_layernorm.weight",
        "mlp.gate_proj.weight", "mlp.gate_proj.bias", "mlp.up_proj.weight", "mlp.up_proj.bias", "mlp.down_proj.weight",
        "mlp.down_proj.bias"};
    snprintf(buf, cap, "model.layers.%d.%s", layer, (which >= 0 && which < KGRL_W_COUNT) ? names[which] : "?");
}

// Every tensor of a model as (name, rows, cols, offset); cols = 0 for vectors. Returns the count.
typedef struct kgrl__named_tensor { char name[128]; int rows, cols; size_t off; } kgrl__named_tensor;
static int kgrl__model_tensors(const kgrl_model *m, kgrl__named_tensor *out) {
    const kgrl_model_config *c = &m->cfg;
    int n = 0;
    snprintf(out[n].name, sizeof out[n].name, "model.embed_tokens.weight");
    out[n].rows = c->vocab_size; out[n].cols = c->hidden_size; out[n].off = m->embed_off; n++;
    for (int l = 0; l < c->n_layers; l++)
        for (int w = 0; w < KGRL_W_COUNT; w++) {
            size_t off = m->layer_off[(size_t)l * KGRL_W_COUNT + w];
            if (off == KGRL_ABSENT) continue;
            kgrl_model_tensor_name(l, w, out[n].name, sizeof out[n].name);
            kgrl__layer_tensor_shape(c, w, &out[n].rows, &out[n].cols);
            out[n].off = off; n++;
        }
    snprintf(out[n].name, sizeof out[n].name, "model.norm.weight");
    out[n].rows = c->hidden_size; out[n].cols = 0; out[n].off = m->norm_off; n++;
    if (!c->tie_embeddings) {
        snprintf(out[n].name, sizeof out[n].name, "lm_head.weight");
        out[n].rows = c->vocab_size; out[n].cols = c->hidden_size; out[n].off = m->lm_head_off; n++;
    }
    return n;
}

static bool kgrl__is_float_dtype(kgrl_dtype t) {
    return t == KGRL_DTYPE_F32 || t == KGRL_DTYPE_F16 || t == KGRL_DTYPE_BF16 || t == KGRL_DTYPE_F64;
}

// Copies tensor `name` of shape (rows[, cols]) from st into dst; false with a message naming it.
static bool kgrl__load_tensor(const kgrl_safetensors *st, const char *where, const char *name, int rows, int cols,
                              float *dst, kgrl_err *err) {
    const kgrl_tensor_view *t = kgrl_st_find(st, name);
    if (!t) { kgrl_err_set(err, "%s: missing tensor %s", where, name); return false; }
    bool shape_ok = cols > 0 ? (t->ndim == 2 && t->shape[0] == rows && t->shape[1] == cols) : (t->ndim == 1 && t->shape[0] == rows);
    if (!shape_ok) {
        char got[128] = "", want[64];
        size_t k = 0;
        for (int d = 0; d < t->ndim && k < sizeof got - 24; d++) k += (size_t)snprintf(got + k, sizeof got - k, d ? ", %lld" : "%lld", (long long)t->shape[d]);
        if (cols > 0) snprintf(want, sizeof want, "[%d, %d]", rows, cols);
        else snprintf(want, sizeof want, "[%d]", rows);
        kgrl_err_set(err, "%s: tensor %s has shape [%s], the config needs %s", where, name, got, want);
        return false;
    }
    if (!kgrl__is_float_dtype(t->dtype)) { kgrl_err_set(err, "%s: tensor %s has dtype %s, not a float type", where, name, kgrl_dtype_name(t->dtype)); return false; }
    kgrl_tensor_to_f32(t, dst);
    return true;
}

kgrl_model *kgrl_model_load(const char *dir, kgrl_err *err) {
    kgrl_model_config cfg;
    if (!kgrl_model_config_load(dir, &cfg, err)) return NULL;
    kgrl_safetensors *st = kgrl_st_open(dir, err);
    if (!st) return NULL;
    kgrl_model *m = kgrl_model_create(&cfg);
    int cap = 3 + cfg.n_layers * KGRL_W_COUNT;
    kgrl__named_tensor *ts = (kgrl__named_tensor *)kgrl_malloc(sizeof *ts * (size_t)cap);
    int n = kgrl__model_tensors(m, ts);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) ok = kgrl__load_tensor(st, dir, ts[i].name, ts[i].rows, ts[i].cols, m->params + ts[i].off, err);
    // a tensor the config does not account for means the config and the weights disagree
    for (int i = 0; i < kgrl_st_count(st) && ok; i++) {
        const char *name = kgrl_st_tensor(st, i)->name;
        bool known = false;
        for (int k = 0; k < n && !known; k++) known = !strcmp(ts[k].name, name);
        if (known || strstr(name, "rotary_emb.inv_freq") || (cfg.tie_embeddings && !strcmp(name, "lm_head.weight"))) continue;
        kgrl_err_set(err, "%s: unexpected tensor %s (the config has no such weight)", dir, name);
        ok = false;
    }
    kgrl_free(ts);
    kgrl_st_close(st);
    if (!ok) { kgrl_model_free(m); return NULL; }
    return m;
}

// Writes views of fp32 data as fp32 or bf16 (converted into one scratch block) to path.
static bool kgrl__write_f32_tensors(const char *path, kgrl_tensor_view *views, int n, kgrl_dtype dtype, kgrl_err *err) {
    uint16_t *scratch = NULL;
    if (dtype == KGRL_DTYPE_BF16) {
        size_t total = 0;
        for (int i = 0; i < n; i++) total += views[i].nbytes / 4;
        scratch = (uint16_t *)kgrl_malloc(sizeof(uint16_t) * (total ? total : 1));
        size_t at = 0;
        for (int i = 0; i < n; i++) {
            size_t cnt = views[i].nbytes / 4;
            const float *src = (const float *)views[i].data;
            for (size_t k = 0; k < cnt; k++) scratch[at + k] = kgrl_f32_to_bf16(src[k]);
            views[i].data = scratch + at;
            views[i].nbytes = cnt * 2;
            views[i].dtype = KGRL_DTYPE_BF16;
            at += cnt;
        }
    }
    bool ok = kgrl_st_write(path, views, n, "{\"format\":\"pt\"}", err);
    kgrl_free(scratch);
    return ok;
}

bool kgrl_model_save(const kgrl_model *m, const char *dir, kgrl_dtype dtype, kgrl_err *err) {
    if (dtype != KGRL_DTYPE_F32 && dtype != KGRL_DTYPE_BF16) { kgrl_err_set(err, "kgrl_model_save: dtype %s (use F32 or BF16)", kgrl_dtype_name(dtype)); return false; }
    if (!kgrl_mkdirs(dir, err)) return false;
    char path[4096];
    kgrl_buf cfg; memset(&cfg, 0, sizeof cfg);
    kgrl_model_config_to_json(&m->cfg, dtype, &cfg);
    snprintf(path, sizeof path, "%s/config.json", dir);
    bool ok = kgrl_write_file_atomic(path, cfg.data, cfg.len, err);
    kgrl_buf_free(&cfg);
    if (!ok) return false;
    int cap = 3 + m->cfg.n_layers * KGRL_W_COUNT;
    kgrl__named_tensor *ts = (kgrl__named_tensor *)kgrl_malloc(sizeof *ts * (size_t)cap);
    kgrl_tensor_view *views = (kgrl_tensor_view *)kgrl_calloc((size_t)cap, sizeof *views);
    int n = kgrl__model_tensors(m, ts);
    for (int i = 0; i < n; i++) {
        views[i].name = ts[i].name;
        views[i].dtype = KGRL_DTYPE_F32;
        views[i].ndim = ts[i].cols > 0 ? 2 : 1;
        views[i].shape[0] = ts[i].rows;
        views[i].shape[1] = ts[i].cols;
        views[i].data = m->params + ts[i].off;
        views[i].nbytes = sizeof(float) * (size_t)ts[i].rows * (size_t)(ts[i].cols > 0 ? ts[i].cols : 1);
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    ok = kgrl__write_f32_tensors(path, views, n, dtype, err);
    kgrl_free(views);
    kgrl_free(ts);
    return ok;
}

// ---------------------------------------------------------------------------------------------
// peft adapters

void kgrl_lora_tensor_name(int layer, int mod, bool is_b, char *buf, size_t cap) {
    const char *block = mod <= KGRL_LORA_O ? "self_attn" : "mlp";
    snprintf(buf, cap, "base_model.model.model.layers.%d.%s.%s.lora_%s.weight", layer, block, kgrl_lora_module_name(mod), is_b ? "B" : "A");
}

// A JSON member that must be absent, null, false, an empty object/array or the given string.
static bool kgrl__peft_unset(const kgrl_json *j, const char *key, const char *allowed, kgrl_err *err) {
    const kgrl_json *v = kgrl__json_member(j, key);
    if (!v) return true;
    if (v->type == KGRL_JSON_BOOL && !v->boolean) return true;
    if ((v->type == KGRL_JSON_OBJECT || v->type == KGRL_JSON_ARRAY) && v->count == 0) return true;
    if (allowed && v->type == KGRL_JSON_STRING && !strcmp(v->string, allowed)) return true;
    kgrl_err_set(err, "adapter_config.json: \"%s\" is set, which kgrl does not implement", key);
    return false;
}

static bool kgrl__peft_targets(const kgrl_json *tm, uint32_t *targets, kgrl_err *err) {
    *targets = 0;
    if (!tm) { kgrl_err_set(err, "adapter_config.json: missing \"target_modules\""); return false; }
    if (tm->type == KGRL_JSON_STRING) {
        if (!strcmp(tm->string, "all-linear")) { *targets = KGRL_LORA_ALL; return true; }
        kgrl_err_set(err, "adapter_config.json: target_modules \"%s\" is a regular expression, which kgrl does not support (give a list)", tm->string);
        return false;
    }
    if (tm->type != KGRL_JSON_ARRAY) { kgrl_err_set(err, "adapter_config.json: target_modules must be a list of module names"); return false; }
    for (int i = 0; i < tm->count; i++) {
        const kgrl_json *s = kgrl_json_at(tm, i);
        int mod = -1;
        for (int k = 0; k < KGRL_LORA_NMOD && s->type == KGRL_JSON_STRING; k++) if (!strcmp(s->string, kgrl_lora_module_name(k))) mod = k;
        if (mod < 0) {
            kgrl_err_set(err, "adapter_config.json: target module \"%s\" is not one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj",
                         s->type == KGRL_JSON_STRING ? s->string : "(not a string)");
            return false;
        }
        *targets |= 1u << mod;
    }
    if (!*targets) { kgrl_err_set(err, "adapter_config.json: target_modules is empty"); return false; }
    return true;
}

kgrl_lora *kgrl_lora_load(const char *dir, const kgrl_model_config *cfg, kgrl_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    kgrl_json *j = kgrl_json_parse_file(path, err);
    if (!j) return NULL;
    kgrl_lora_desc d;
    memset(&d, 0, sizeof d);
    bool ok = true;
    const char *pt = kgrl_json_string_or(j, "peft_type", "");
    if (strcmp(pt, "LORA") != 0) { kgrl_err_set(err, "%s: peft_type \"%s\" is not LORA", path, pt); ok = false; }
    int r = 0;
    double alpha = 0, dropout = 0;
    ok = ok && kgrl__cfg_int(j, "r", -1, &r, err) && kgrl__cfg_num(j, "lora_alpha", 8.0, &alpha, err) &&
         kgrl__cfg_num(j, "lora_dropout", 0.0, &dropout, err) && kgrl__cfg_bool(j, "use_rslora", false, &d.use_rslora, err) &&
         kgrl__peft_targets(kgrl__json_member(j, "target_modules"), &d.targets, err) &&
         kgrl__peft_unset(j, "bias", "none", err) && kgrl__peft_unset(j, "fan_in_fan_out", NULL, err) &&
         kgrl__peft_unset(j, "use_dora", NULL, err) && kgrl__peft_unset(j, "layers_to_transform", NULL, err) &&
         kgrl__peft_unset(j, "rank_pattern", NULL, err) && kgrl__peft_unset(j, "alpha_pattern", NULL, err) &&
         kgrl__peft_unset(j, "modules_to_save", NULL, err) && kgrl__peft_unset(j, "lora_bias", NULL, err) &&
         kgrl__peft_unset(j, "layer_replication", NULL, err) && kgrl__peft_unset(j, "trainable_token_indices", NULL, err) &&
         kgrl__peft_unset(j, "target_parameters", NULL, err) && kgrl__peft_unset(j, "exclude_modules", NULL, err) &&
         kgrl__peft_unset(j, "use_qalora", NULL, err);
    if (ok && r <= 0) { kgrl_err_set(err, "%s: r must be positive", path); ok = false; }
    if (ok && (dropout < 0.0 || dropout >= 1.0)) { kgrl_err_set(err, "%s: lora_dropout %g must be in [0, 1)", path, dropout); ok = false; }
    d.rank = r; d.alpha = (float)alpha; d.dropout = (float)dropout;
    d.base_model = kgrl_json_string_or(j, "base_model_name_or_path", "");
    kgrl_lora *l = ok ? kgrl__lora_alloc(cfg, &d) : NULL;
    kgrl_json_free(j);
    if (!l) return NULL;
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    kgrl_safetensors *st = kgrl_st_open(path, err);
    if (!st) { kgrl_lora_free(l); return NULL; }
    char name[256];
    int expected = 0;
    for (int layer = 0; layer < cfg->n_layers && ok; layer++)
        for (int mod = 0; mod < KGRL_LORA_NMOD && ok; mod++) {
            float *A = kgrl_lora_A(l, l->params, layer, mod);
            if (!A) continue;
            kgrl_lora_tensor_name(layer, mod, false, name, sizeof name);
            ok = kgrl__load_tensor(st, dir, name, r, l->in_dim[mod], A, err);
            kgrl_lora_tensor_name(layer, mod, true, name, sizeof name);
            ok = ok && kgrl__load_tensor(st, dir, name, l->out_dim[mod], r, kgrl_lora_B(l, l->params, layer, mod), err);
            expected += 2;
        }
    if (ok && kgrl_st_count(st) != expected) {
        // name the first tensor we did not read (another layer count, a module or an embedding adapter)
        for (int i = 0; i < kgrl_st_count(st) && ok; i++) {
            const char *tn = kgrl_st_tensor(st, i)->name;
            bool known = false;
            for (int layer = 0; layer < cfg->n_layers && !known; layer++)
                for (int mod = 0; mod < KGRL_LORA_NMOD && !known; mod++)
                    for (int b = 0; b < 2 && !known; b++) {
                        if (!kgrl_lora_A(l, l->params, layer, mod)) continue;
                        kgrl_lora_tensor_name(layer, mod, b != 0, name, sizeof name);
                        known = !strcmp(name, tn);
                    }
            if (!known) { kgrl_err_set(err, "%s: unexpected adapter tensor %s", dir, tn); ok = false; }
        }
    }
    kgrl_st_close(st);
    if (!ok) { kgrl_lora_free(l); return NULL; }
    return l;
}

bool kgrl_lora_save(const kgrl_lora *l, const char *dir, kgrl_err *err) {
    if (!kgrl_mkdirs(dir, err)) return false;
    kgrl_buf cfg; memset(&cfg, 0, sizeof cfg);
    kgrl_json_writer w;
    memset(&w, 0, sizeof w);
    w.out = &cfg;
    kgrl_jw_begin_object(&w);
    kgrl_jw_key(&w, "peft_type"); kgrl_jw_string(&w, "LORA");
    kgrl_jw_key(&w, "task_type"); kgrl_jw_string(&w, "CAUSAL_LM");
    kgrl_jw_key(&w, "base_model_name_or_path"); kgrl_jw_string(&w, l->base_model);
    kgrl_jw_key(&w, "r"); kgrl_jw_int(&w, l->desc.rank);
    kgrl_jw_key(&w, "lora_alpha"); kgrl_jw_number(&w, l->desc.alpha);
    kgrl_jw_key(&w, "lora_dropout"); kgrl_jw_number(&w, l->desc.dropout);
    kgrl_jw_key(&w, "target_modules"); kgrl_jw_begin_array(&w);
    for (int mod = 0; mod < KGRL_LORA_NMOD; mod++) if (l->desc.targets & (1u << mod)) kgrl_jw_string(&w, kgrl_lora_module_name(mod));
    kgrl_jw_end_array(&w);
    kgrl_jw_key(&w, "bias"); kgrl_jw_string(&w, "none");
    kgrl_jw_key(&w, "fan_in_fan_out"); kgrl_jw_bool(&w, false);
    kgrl_jw_key(&w, "use_rslora"); kgrl_jw_bool(&w, l->desc.use_rslora);
    kgrl_jw_key(&w, "use_dora"); kgrl_jw_bool(&w, false);
    kgrl_jw_key(&w, "init_lora_weights"); kgrl_jw_bool(&w, true);
    kgrl_jw_key(&w, "inference_mode"); kgrl_jw_bool(&w, true);
    kgrl_jw_key(&w, "modules_to_save"); kgrl_jw_null(&w);
    kgrl_jw_key(&w, "layers_to_transform"); kgrl_jw_null(&w);
    kgrl_jw_key(&w, "rank_pattern"); kgrl_jw_begin_object(&w); kgrl_jw_end_object(&w);
    kgrl_jw_key(&w, "alpha_pattern"); kgrl_jw_begin_object(&w); kgrl_jw_end_object(&w);
    kgrl_jw_end_object(&w);
    char path[4096];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    bool ok = kgrl_write_file_atomic(path, cfg.data, cfg.len, err);
    kgrl_buf_free(&cfg);
    if (!ok) return false;
    int cap = 2 * l->n_layers * KGRL_LORA_NMOD, n = 0;
    kgrl_tensor_view *views = (kgrl_tensor_view *)kgrl_calloc((size_t)(cap ? cap : 1), sizeof *views);
    char *names = (char *)kgrl_malloc((size_t)(cap ? cap : 1) * 128);
    for (int layer = 0; layer < l->n_layers; layer++)
        for (int mod = 0; mod < KGRL_LORA_NMOD; mod++)
            for (int b = 0; b < 2; b++) {
                float *p = b ? kgrl_lora_B(l, l->params, layer, mod) : kgrl_lora_A(l, l->params, layer, mod);
                if (!p) continue;
                kgrl_lora_tensor_name(layer, mod, b != 0, names + (size_t)n * 128, 128);
                views[n].name = names + (size_t)n * 128;
                views[n].dtype = KGRL_DTYPE_F32;
                views[n].ndim = 2;
                views[n].shape[0] = b ? l->out_dim[mod] : l->desc.rank;
                views[n].shape[1] = b ? l->desc.rank : l->in_dim[mod];
                views[n].data = p;
                views[n].nbytes = sizeof(float) * (size_t)views[n].shape[0] * (size_t)views[n].shape[1];
                n++;
            }
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    ok = kgrl__write_f32_tensors(path, views, n, KGRL_DTYPE_F32, err);
    kgrl_free(names);
    kgrl_free(views);
    return ok;
}
