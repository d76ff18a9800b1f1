// Batched sampling: B prompts x G completions. Each prompt is prefilled once and its KV cache copied
// to its G sequences; then all B*G sequences decode one token per step. Per token: temperature,
// top-k, top-p, min-p (in that order, as transformers' warpers), stop tokens, max new tokens, and
// two log-probabilities of the sampled token: under the sampling distribution (after temperature
// and filters) and under the raw model (temperature 1, no filter; what GRPO's old/ref logprobs use).
//
// Determinism: the uniform of sequence s at step t is kgrl_uniform_at(seed,
// kgrl_stream_mix(kgrl_stream_id("sampling"), seq_id[s]), t), and each row is sampled by one block
// in a fixed order, so a sequence's tokens do not depend on the batch around it (same seq_id, same
// prompt, same tokens; exact when the model's logits for the row are the same). On the GPU they are,
// bit for bit, at any batch size (B*G) in fp32 and bf16 (test_gpu_sampling_batch_invariant: 6, 12 and 36
// rows): each prompt prefills in a forward of its own (kgrl_gpu_prefill), the attention counts a row's
// slots from its first real one (left padding moves no sum), and every decode step runs on the GEMVs,
// whose sums do not depend on the row count (kgrl__gemv_step; cuBLAS, which took the steps past 16 rows
// until the fifty-third session, picks its GEMM for the row count: a logit moves by an ulp, and a
// sampled token can follow). Not so for weights over the GEMV's 8 MiB outside the fused layers
// (Qwen3's q/k norms), which stay on cuBLAS.
//
// GPU loop: the prompts prefill through the host-driven forward; every later step needs no host data
// (kgrl__gsample_step: an advance kernel turns the sampled tokens into the forward's inputs, the
// forward reads its KV slot from the device, then the sampler), so it is captured once per call as a
// CUDA graph, on the second step (the first runs eagerly, which loads every kernel and warms cuBLAS).
// A step is then one graph launch and one D2H of (token, logprob, raw logprob) per sequence into
// pinned memory; the host reads step t's tokens (streaming callback, stop detection) while step t + 1
// runs. Waiting for each step before launching the next cost the 0.5B batch-1 loop ~22 us a step
// (1052.9 against 1031.0 us with the graph launched back to back; H100, eleventh session).
//
// One row (kgrl_sample_row, the CPU reference the GPU kernel kgrl_k_sample follows step by step):
//   greedy (desc.greedy): the argmax (lowest id among ties).
//   x_i = logit_i / T; e_i = exp(x_i - max x) (fp32)
//   top-k: keep logit_i >= the k-th largest logit (ties kept, as transformers)
//   top-p: keep the largest-logit tokens whose mass reaches top_p of the kept mass: the highest
//          threshold t with sum(e_i : logit_i >= t) >= top_p * sum(kept e_i)
//   min-p: keep e_i >= min_p (i.e. p_i >= min_p * p_max)
//   Z = sum of kept e_i (double); the token is the first kept i (in id order) whose running sum
//   exceeds u * Z. Thresholds are exact (bisection over the order-preserving integer image of the
//   floats), so CPU and GPU keep the same set.

typedef struct kgrl_sample_desc {
    bool greedy;             // argmax, ignores the rest
    float temperature;       // default 1
    int top_k;               // 0 = off
    float top_p;             // 0 or >= 1 = off
    float min_p;             // 0 = off
    int max_new_tokens;      // default 256
    const int *stop_ids;     // a sequence ends after sampling one of these (kept in its tokens)
    int n_stop;
    uint64_t seed;
} kgrl_sample_desc;

typedef struct kgrl_sample_result {
    int n_seq, max_new;      // B*G sequences in group order (prompt b: rows b*G .. b*G+G-1)
    int *tokens;             // (n_seq, max_new)
    float *logprobs;         // (n_seq, max_new) under the sampling distribution
    float *raw_logprobs;     // (n_seq, max_new) under the model at temperature 1
    int *lengths;            // (n_seq) tokens generated, the stop token included
    bool *stopped;           // (n_seq) ended on a stop token (false: cut at max_new_tokens)
} kgrl_sample_result;

// Called for every new token as soon as it is known (streaming); may be NULL.
typedef void (*kgrl_sample_callback)(int seq, int step, int token, void *user);

// One row of logits (V) with the uniform u; returns the token, its sampling and raw logprobs.
KGRL_API int kgrl_sample_row(const float *logits, int V, const kgrl_sample_desc *d, float u, float *lp, float *raw_lp);
// The uniform for (seed, seq_id, step).
KGRL_API float kgrl_sample_uniform(uint64_t seed, uint64_t seq_id, int step);

// CPU reference of the whole loop (prefills every sequence itself). prompts[b] has prompt_lens[b]
// ids; seq_ids (B*G, NULL = 0..B*G-1). The acts need B*G rows and max prompt + max_new_tokens slots.
KGRL_API bool kgrl_sample_cpu(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                              const int *const *prompts, const int *prompt_lens, int B, int G, const uint64_t *seq_ids,
                              const kgrl_sample_desc *d, kgrl_sample_callback cb, void *user,
                              kgrl_sample_result *out, kgrl_err *err);
// GPU: acts planned with training = false, last_logits = true, max_batch >= B*G and max_tokens >=
// max prompt + max_new_tokens. Returns false (err set) for inputs that do not fit.
KGRL_API bool kgrl_gpu_sample(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                              const int *const *prompts, const int *prompt_lens, int B, int G, const uint64_t *seq_ids,
                              const kgrl_sample_desc *d, kgrl_sample_callback cb, void *user,
                              kgrl_sample_result *out, kgrl_err *err);
KGRL_API void kgrl_sample_result_free(kgrl_sample_result *r);
// kgrl_gpu_sample's prefill: each of the B prompts in a forward of its own (its length's rows, as if
// it were alone), left-padded to the longest, P (slots P - len .. P - 1 of row b), then copied into its
// G rows b*G .. b*G+G-1; prompt b's last logits stay in row b. So no prompt's cache or logits depend on
// the prompts beside it (one forward of all B would give cuBLAS B*P rows, whose sums depend on that
// count). Returns P. The acts then hold B*G sequences (needs B*G rows, P slots).
KGRL_API int kgrl_gpu_prefill(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                              const int *const *prompts, const int *prompt_lens, int B, int G);
// Seconds of one greedy kgrl_gpu_sample of the B prompts (G = 1) with n new tokens and no stop ids,
// the device idle before and after: the benchmarks' timer (exp04, tools/decode_sweep). Aborts on
// inputs kgrl_gpu_sample refuses.
KGRL_API double kgrl_gpu_sample_seconds(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                                        const int *const *prompts, const int *prompt_lens, int B, int n);

// kgrl:implementation

static kgrl_sample_desc kgrl__sample_resolve(const kgrl_sample_desc *in) {
    kgrl_sample_desc d;
    memset(&d, 0, sizeof d);
    if (in) d = *in;
    if (!(d.temperature > 0.0f)) d.temperature = 1.0f;
    if (d.max_new_tokens <= 0) d.max_new_tokens = 256;
    if (d.top_p >= 1.0f) d.top_p = 0.0f;
    return d;
}

float kgrl_sample_uniform(uint64_t seed, uint64_t seq_id, int step) {
    return kgrl_uniform_at(seed, kgrl_stream_mix(kgrl_stream_id("sampling"), seq_id), (uint64_t)step);
}

// order-preserving map of floats to unsigned ints (the kernel's kgrl_fkey)
static uint32_t kgrl__fkey(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

int kgrl_sample_row(const float *x, int V, const kgrl_sample_desc *desc, float u, float *lp, float *raw_lp) {
    kgrl_sample_desc d = kgrl__sample_resolve(desc);
    float mx = -INFINITY;
    for (int i = 0; i < V; i++) if (x[i] > mx) mx = x[i];
    double se = 0.0;
    for (int i = 0; i < V; i++) se += (double)expf(x[i] - mx);   // float exponentials, a double sum (the GPU's)
    float raw_lse = mx + (float)log(se);
    if (d.greedy) {
        int t = 0;
        for (int i = 0; i < V; i++) if (x[i] == mx) { t = i; break; }
        if (lp) *lp = 0.0f;
        if (raw_lp) *raw_lp = x[t] - raw_lse;
        return t;
    }
    float inv_t = 1.0f / d.temperature, smx = mx * inv_t;
    uint32_t kmin = 0;
    if (d.top_k > 0 && d.top_k < V) {
        uint32_t lo = 0, hi = 0xffffffffu;
        while (lo < hi) {
            uint32_t mid = (uint32_t)(lo + ((uint64_t)hi - lo + 1) / 2);   // 64-bit: hi - lo + 1 can be 2^32
            int c = 0;
            for (int i = 0; i < V; i++) c += kgrl__fkey(x[i]) >= mid;
            if (c >= d.top_k) lo = mid; else hi = mid - 1;
        }
        kmin = lo;
    }
    if (d.top_p > 0.0f) {
        double tot = 0.0;
        for (int i = 0; i < V; i++) if (kgrl__fkey(x[i]) >= kmin) tot += expf(x[i] * inv_t - smx);
        uint32_t lo = kmin, hi = 0xffffffffu;
        while (lo < hi) {
            uint32_t mid = (uint32_t)(lo + ((uint64_t)hi - lo + 1) / 2);   // 64-bit: hi - lo + 1 can be 2^32
            double m = 0.0;
            for (int i = 0; i < V; i++) if (kgrl__fkey(x[i]) >= mid) m += expf(x[i] * inv_t - smx);
            if (m >= (double)d.top_p * tot) lo = mid; else hi = mid - 1;
        }
        kmin = lo;
    }
    double z = 0.0;
    for (int i = 0; i < V; i++) {
        float e = expf(x[i] * inv_t - smx);
        if (kgrl__fkey(x[i]) >= kmin && e >= d.min_p) z += e;
    }
    double target = (double)u * z, run = 0.0;
    int tok = -1, last = -1;
    for (int i = 0; i < V && tok < 0; i++) {
        float e = expf(x[i] * inv_t - smx);
        if (!(kgrl__fkey(x[i]) >= kmin && e >= d.min_p)) continue;
        last = i;
        run += e;
        if (run > target) tok = i;
    }
    if (tok < 0) tok = last;   // rounding put the target past the end
    if (lp) *lp = (float)((double)(x[tok] * inv_t - smx) - log(z));
    if (raw_lp) *raw_lp = x[tok] - raw_lse;
    return tok;
}

static bool kgrl__sample_check(const int *const *prompts, const int *prompt_lens, int B, int G, const kgrl_sample_desc *d,
                               int cap_rows, int cap_tokens, int V, int *P, kgrl_err *err) {
    if (B <= 0 || G <= 0) { kgrl_err_set(err, "sampling: B=%d and G=%d must be positive", B, G); return false; }
    if (B * G > cap_rows) { kgrl_err_set(err, "sampling: B*G = %d sequences exceed the plan's %d rows", B * G, cap_rows); return false; }
    *P = 0;
    for (int b = 0; b < B; b++) {
        if (prompt_lens[b] <= 0) { kgrl_err_set(err, "sampling: prompt %d is empty", b); return false; }
        for (int i = 0; i < prompt_lens[b]; i++)
            if (prompts[b][i] < 0 || prompts[b][i] >= V) { kgrl_err_set(err, "sampling: prompt %d token %d (id %d) is outside the vocabulary [0, %d)", b, i, prompts[b][i], V); return false; }
        if (prompt_lens[b] > *P) *P = prompt_lens[b];
    }
    if (*P + d->max_new_tokens > cap_tokens) {
        kgrl_err_set(err, "sampling: prompt %d + max_new_tokens %d exceed the plan's %d tokens", *P, d->max_new_tokens, cap_tokens);
        return false;
    }
    if (d->top_k < 0 || d->top_p < 0.0f || d->min_p < 0.0f || d->min_p > 1.0f) {
        kgrl_err_set(err, "sampling: top_k %d, top_p %g, min_p %g out of range", d->top_k, (double)d->top_p, (double)d->min_p);
        return false;
    }
    return true;
}

static void kgrl__result_alloc(kgrl_sample_result *r, int n_seq, int max_new) {
    memset(r, 0, sizeof *r);
    r->n_seq = n_seq; r->max_new = max_new;
    r->tokens = (int *)kgrl_calloc((size_t)n_seq * max_new, sizeof(int));
    r->logprobs = (float *)kgrl_calloc((size_t)n_seq * max_new, sizeof(float));
    r->raw_logprobs = (float *)kgrl_calloc((size_t)n_seq * max_new, sizeof(float));
    r->lengths = (int *)kgrl_calloc((size_t)n_seq, sizeof(int));
    r->stopped = (bool *)kgrl_calloc((size_t)n_seq, sizeof(bool));
}

void kgrl_sample_result_free(kgrl_sample_result *r) {
    if (!r) return;
    kgrl_free(r->tokens); kgrl_free(r->logprobs); kgrl_free(r->raw_logprobs); kgrl_free(r->lengths); kgrl_free(r->stopped);
    memset(r, 0, sizeof *r);
}

static bool kgrl__is_stop(const kgrl_sample_desc *d, int tok) {
    for (int i = 0; i < d->n_stop; i++) if (d->stop_ids[i] == tok) return true;
    return false;
}

// Records token t of sequence s; returns whether the sequence is still running.
static bool kgrl__sample_record(kgrl_sample_result *r, const kgrl_sample_desc *d, int s, int t, int tok, float lp, float raw,
                                kgrl_sample_callback cb, void *user) {
    size_t i = (size_t)s * r->max_new + t;
    r->tokens[i] = tok; r->logprobs[i] = lp; r->raw_logprobs[i] = raw;
    r->lengths[s] = t + 1;
    if (cb) cb(s, t, tok, user);
    if (kgrl__is_stop(d, tok)) { r->stopped[s] = true; return false; }
    return true;
}

bool kgrl_sample_cpu(const kgrl_model *m, const kgrl_lora *lora, kgrl_model_acts *a,
                     const int *const *prompts, const int *prompt_lens, int B, int G, const uint64_t *seq_ids,
                     const kgrl_sample_desc *desc, kgrl_sample_callback cb, void *user,
                     kgrl_sample_result *out, kgrl_err *err) {
    kgrl_sample_desc d = kgrl__sample_resolve(desc);
    int P, V = m->cfg.vocab_size, S = B * G;
    if (!kgrl__sample_check(prompts, prompt_lens, B, G, &d, a->B, a->T, V, &P, err)) return false;
    // every sequence prefills its own (left-padded) copy of its prompt
    int *toks = (int *)kgrl_calloc((size_t)S * P, sizeof(int)), *mask = (int *)kgrl_calloc((size_t)S * P, sizeof(int));
    for (int s = 0; s < S; s++) {
        int b = s / G, pad = P - prompt_lens[b];
        for (int i = 0; i < prompt_lens[b]; i++) { toks[s * P + pad + i] = prompts[b][i]; mask[s * P + pad + i] = 1; }
    }
    kgrl_model_acts_reset(a);
    kgrl_model_decode(m, lora, a, toks, NULL, mask, S, P);
    kgrl__result_alloc(out, S, d.max_new_tokens);
    bool *active = (bool *)kgrl_malloc(sizeof(bool) * (size_t)S);
    int *next = (int *)kgrl_calloc((size_t)S, sizeof(int)), *nmask = (int *)kgrl_calloc((size_t)S, sizeof(int));
    for (int s = 0; s < S; s++) active[s] = true;
    int row_stride = P;   // logits rows of the prefill: s*P + P-1; of a decode step: s
    for (int t = 0; t < d.max_new_tokens; t++) {
        int n_active = 0;
        for (int s = 0; s < S; s++) {
            nmask[s] = 0;
            if (!active[s]) continue;
            const float *row = a->logits + ((size_t)s * row_stride + row_stride - 1) * V;
            float lp, raw;
            uint64_t id = seq_ids ? seq_ids[s] : (uint64_t)s;
            int tok = kgrl_sample_row(row, V, &d, kgrl_sample_uniform(d.seed, id, t), &lp, &raw);
            active[s] = kgrl__sample_record(out, &d, s, t, tok, lp, raw, cb, user);
            next[s] = tok;
            nmask[s] = active[s];
            n_active += active[s];
        }
        if (!n_active || t + 1 == d.max_new_tokens) break;
        kgrl_model_decode(m, lora, a, next, NULL, nmask, S, 1);
        row_stride = 1;
    }
    kgrl_free(active); kgrl_free(next); kgrl_free(nmask); kgrl_free(toks); kgrl_free(mask);
    return true;
}

// The sampler's device state for one kgrl_gpu_sample call: one allocation, nothing per step.
#define KGRL__GREEDY_SLICE 2048   // logits a block of kgrl_k_sample_greedy reduces (256 threads x 8 loads)
typedef struct kgrl__gsampler {
    int S, n_stop, nblk;     // nblk: greedy slices a row (kgrl_k_sample_greedy)
    void *block;
    uint64_t *streams;       // (S) Philox stream of each sequence
    void *part;              // (S, nblk) 16-byte slice results of the greedy kernel (struct kgrl_greedy_part)
    int *tok;                // (S) sampled tokens, followed by lp (S) and raw (S): one D2H per step
    float *lp, *raw;         // (S) logprobs under the sampling distribution and under the raw model
    int *rows, *steps, *active, *count, *stop_ids;   // (S) x4: logits row, step, live, greedy counter; (n_stop)
    char *h_ring, *ring;     // (2, 3, S) pinned host memory mapped into the device: step t's tok, lp, raw in slot t % 2
    unsigned long long seed;
    float temp, top_p, min_p;   // temp 0: greedy
    int top_k;
} kgrl__gsampler;

static void kgrl__gsampler_create(kgrl_engine *e, kgrl__gsampler *g, const kgrl_sample_desc *d, const uint64_t *seq_ids, int S, int G,
                                  int V) {
    size_t nS = (size_t)S;
    memset(g, 0, sizeof *g);
    g->S = S; g->n_stop = d->n_stop; g->nblk = (V + KGRL__GREEDY_SLICE - 1) / KGRL__GREEDY_SLICE;
    g->seed = d->seed; g->temp = d->greedy ? 0.0f : d->temperature; g->top_p = d->top_p; g->min_p = d->min_p; g->top_k = d->top_k;
    size_t part_bytes = nS * (size_t)g->nblk * 16;
    size_t bytes = nS * sizeof(uint64_t) + part_bytes + (7 * nS + (size_t)d->n_stop) * sizeof(int);
    KGRL_CUDA_CHECK(cudaMalloc(&g->block, bytes));
    g->streams = (uint64_t *)g->block;
    g->part = g->streams + nS;
    g->tok = (int *)((char *)g->part + part_bytes);
    g->lp = (float *)(g->tok + nS); g->raw = g->lp + nS;
    g->rows = (int *)(g->raw + nS); g->steps = g->rows + nS; g->active = g->steps + nS; g->count = g->active + nS;
    g->stop_ids = g->count + nS;
    // host image of the block: streams, parts and out (zero), rows = the prefill's logits row of the
    // sequence's prompt, steps 0, active 1, counters 0, the stop ids
    char *h = (char *)kgrl_calloc(1, bytes);
    uint64_t *hs = (uint64_t *)h;
    int *hr = (int *)(h + ((char *)g->rows - (char *)g->block)), *ha = (int *)(h + ((char *)g->active - (char *)g->block));
    uint64_t sampling = kgrl_stream_id("sampling");
    for (int s = 0; s < S; s++) {
        hs[s] = kgrl_stream_mix(sampling, seq_ids ? seq_ids[s] : (uint64_t)s);
        hr[s] = s / G;
        ha[s] = 1;
    }
    if (d->n_stop) memcpy(h + ((char *)g->stop_ids - (char *)g->block), d->stop_ids, sizeof(int) * (size_t)d->n_stop);
    kgrl__ecopy(e, g->block, h, bytes, cudaMemcpyHostToDevice);
    kgrl_free(h);
    KGRL_CUDA_CHECK(cudaHostAlloc((void **)&g->h_ring, 2 * 12 * nS, cudaHostAllocMapped));
    KGRL_CUDA_CHECK(cudaHostGetDevicePointer((void **)&g->ring, g->h_ring, 0));
}
static void kgrl__gsampler_free(kgrl__gsampler *g) {
    KGRL_CUDA_CHECK(cudaFree(g->block));
    KGRL_CUDA_CHECK(cudaFreeHost(g->h_ring));
}

// The sampling kernel over the S rows of a->logits that g->rows names: greedy, nblk blocks of 256 a
// row (kgrl_k_sample_greedy); otherwise one block of 1024 a row (kgrl_k_sample)
static void kgrl__gsample_launch(kgrl_engine *e, const kgrl_gpu_acts *a, kgrl__gsampler *g) {
    int V = a->V, bf = a->bf16;
    void *logits = a->logits;
    if (g->temp <= 0.0f) {
        KGRL_CHECK((V + KGRL__GREEDY_SLICE - 1) / KGRL__GREEDY_SLICE == g->nblk, "greedy sampler: made for another vocabulary than %d", V);
        void *args[] = {&g->tok, &g->lp, &g->raw, &logits, &g->rows, &g->active, &g->part, &g->count, &V, &bf, &g->steps, &g->ring};
        kgrl__ek(e, KGRL__EK_SAMPLE_GREEDY, (unsigned)g->nblk, (unsigned)g->S, 1, 256, args);
        return;
    }
    void *args[] = {&g->tok, &g->lp, &g->raw, &logits, &g->rows, &g->streams, &g->steps, &g->active, &g->seed, &g->temp,
                    &g->top_k, &g->top_p, &g->min_p, &V, &bf, &g->ring};
    kgrl__ek(e, KGRL__EK_SAMPLE, (unsigned)g->S, 1, 1, 1024, args);
}

// One decode step driven by the device alone: the advance kernel turns the last sampled tokens into
// the forward's inputs (kgrl_k_decode_advance), the forward runs with its KV slot read from
// a->slot, then the sampler. The same launches with the same arguments every step, so the step is
// captured once as a CUDA graph. The host's a->len is the caller's to move.
static void kgrl__gsample_step(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a, kgrl__gsampler *g) {
    int Tk = a->T;
    void *args[] = {&a->tokens, &a->pos, &a->kmask, &a->next_pos, &a->slot, &g->active, &g->rows, &g->steps, &g->tok,
                    &g->stop_ids, &g->n_stop, &g->S, &Tk};
    kgrl__ek(e, KGRL__EK_DECODE_ADVANCE, 1, 1, 1, 256, args);
    kgrl__gforward_layers(e, gm, gl, a, g->S, 1, a->len, a->slot);
    kgrl__gsample_launch(e, a, g);
}

// Step t of kgrl_gpu_sample onto the stream, then the event after it (its sampler wrote the step's
// tokens into slot t % 2 of g->h_ring). Step 0 samples the prefill's last rows; step 1 runs eagerly (it loads every kernel and
// warms cuBLAS before the capture); step 2 is captured as a CUDA graph, which every later step replays.
typedef struct kgrl__gstep_graph { cudaGraph_t graph; cudaGraphExec_t exec; } kgrl__gstep_graph;
static void kgrl__gsample_issue(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a, kgrl__gsampler *g,
                                kgrl__gstep_graph *gr, int t, cudaEvent_t done) {
    cudaStream_t st = e->ctx->stream;
    if (t == 0) {
        kgrl__gsample_launch(e, a, g);
    } else if (t == 1) {
        kgrl__gsample_step(e, gm, gl, a, g);
    } else {
        if (!gr->exec) {
            KGRL_CUDA_CHECK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
            kgrl__gsample_step(e, gm, gl, a, g);
            KGRL_CUDA_CHECK(cudaStreamEndCapture(st, &gr->graph));
            KGRL_CUDA_CHECK(cudaGraphInstantiate(&gr->exec, gr->graph, 0));
        }
        KGRL_CUDA_CHECK(cudaGraphLaunch(gr->exec, st));
    }
    KGRL_CUDA_CHECK(cudaEventRecord(done, st));
}

double kgrl_gpu_sample_seconds(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                               const int *const *prompts, const int *prompt_lens, int B, int n) {
    kgrl_sample_desc sd = KGRL_ZERO;
    sd.greedy = true; sd.max_new_tokens = n;
    kgrl_sample_result r;
    kgrl_err err;
    KGRL_CUDA_CHECK(cudaDeviceSynchronize());
    double t0 = kgrl_now_s();
    if (!kgrl_gpu_sample(e, gm, gl, a, prompts, prompt_lens, B, 1, NULL, &sd, NULL, NULL, &r, &err)) KGRL_FATAL("%s", err.msg);
    KGRL_CUDA_CHECK(cudaDeviceSynchronize());
    double dt = kgrl_now_s() - t0;
    kgrl_sample_result_free(&r);
    return dt;
}

int kgrl_gpu_prefill(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                     const int *const *prompts, const int *prompt_lens, int B, int G) {
    int P = 0;
    for (int b = 0; b < B; b++) {
        KGRL_CHECK(prompt_lens[b] > 0, "gpu prefill: prompt %d is empty", b);
        if (prompt_lens[b] > P) P = prompt_lens[b];
    }
    KGRL_CHECK(B > 0 && G > 0 && B * G <= a->B && P <= a->T, "gpu prefill: %d x %d rows of %d tokens exceed the plan's %d x %d",
               B, G, P, a->B, a->T);
    kgrl_gpu_acts_reset(a);
    // prompt b alone into row b, after its left padding, at any B (a 0.5B forward of 128 tokens costs
    // ~3 ms alone: exp04's batch 64 prefills 64 of them in 174 ms, H100, fifty-third session)
    for (int b = 0; b < B; b++) {
        kgrl_gpu_acts row = kgrl__acts_row(a, b);
        kgrl__gforward(e, gm, gl, &row, prompts[b], NULL, NULL, 1, prompt_lens[b], P - prompt_lens[b]);
    }
    // share each prompt's cache with its G sequences: row b -> rows b*G+g, highest first, so a
    // source row is never overwritten before it is read (b*G + g >= b)
    for (int b = B - 1; b >= 0; b--)
        for (int g = G - 1; g >= 0; g--) kgrl_gpu_acts_copy_row(e, a, b * G + g, b);
    a->len = P; a->nb = B * G; a->nt = P; a->full = false;
    return P;
}

bool kgrl_gpu_sample(kgrl_engine *e, const kgrl_gpu_model *gm, const kgrl_gpu_lora *gl, kgrl_gpu_acts *a,
                     const int *const *prompts, const int *prompt_lens, int B, int G, const uint64_t *seq_ids,
                     const kgrl_sample_desc *desc, kgrl_sample_callback cb, void *user,
                     kgrl_sample_result *out, kgrl_err *err) {
    kgrl_sample_desc d = kgrl__sample_resolve(desc);
    int P, V = gm->cfg.vocab_size, S = B * G, Tk = a->T;
    if (a->desc.training || !a->desc.last_logits) { kgrl_err_set(err, "sampling: plan the acts with training = false and last_logits = true"); return false; }
    if (!kgrl__sample_check(prompts, prompt_lens, B, G, &d, a->B, a->T, V, &P, err)) return false;
    cudaStream_t st = e->ctx->stream;
    kgrl_gpu_prefill(e, gm, gl, a, prompts, prompt_lens, B, G);
    kgrl__gforward_check(gm, gl, a, S, 1, a->len);   // config and LoRA (sample_check counted the tokens)
    // from here on the device holds the step state: slot mask and next positions of the S rows as
    // the host mirrors have them after the copies, and the slot of the newest token
    size_t nS = (size_t)S;
    int slot = a->len - 1;
    kgrl__upload_start(e, a, S);   // waited for by the copies below
    kgrl__ecopy(e, a->kmask, a->h_kmask, sizeof(int) * nS * Tk, cudaMemcpyHostToDevice);
    kgrl__ecopy(e, a->next_pos, a->h_next_pos, sizeof(int) * nS, cudaMemcpyHostToDevice);
    kgrl__ecopy(e, a->slot, &slot, sizeof(int), cudaMemcpyHostToDevice);
    a->nb = S; a->nt = 1;
    kgrl__gsampler g;
    kgrl__gsampler_create(e, &g, &d, seq_ids, S, G, a->V);
    kgrl__result_alloc(out, S, d.max_new_tokens);
    // The host reads step t's tokens while the device runs step t + 1: the sampler writes each step's
    // tokens into their own slot of the mapped ring (no copy on the stream between two steps), with
    // an event behind each step. The device needs nothing from the host between steps (the advance
    // kernel ends a sequence at its stop id, as kgrl__sample_record does here), so running one step
    // ahead changes no token. The step after the last is launched only when the last ends on stop
    // ids: then every row is inactive in it, it writes slot mask 0 and moves no position, so the host
    // mirrors read back below are those of the loop without it.
    cudaEvent_t ev[2];
    for (int i = 0; i < 2; i++) KGRL_CUDA_CHECK(cudaEventCreateWithFlags(&ev[i], cudaEventDisableTiming));
    bool *live = (bool *)kgrl_malloc(sizeof(bool) * nS);
    for (int s = 0; s < S; s++) live[s] = true;
    kgrl__gstep_graph gr = {NULL, NULL};
    kgrl__gsample_issue(e, gm, gl, a, &g, &gr, 0, ev[0]);
    for (int t = 0; t < d.max_new_tokens; t++) {
        if (t + 1 < d.max_new_tokens) kgrl__gsample_issue(e, gm, gl, a, &g, &gr, t + 1, ev[(t + 1) % 2]);
        KGRL_CUDA_CHECK(cudaEventSynchronize(ev[t % 2]));
        const char *h_out = g.h_ring + 12 * nS * (t % 2);
        const int *h_tok = (const int *)h_out;
        const float *h_lp = (const float *)(h_out + 4 * nS), *h_raw = (const float *)(h_out + 8 * nS);
        int n_active = 0;
        for (int s = 0; s < S; s++) {
            if (!live[s]) continue;
            live[s] = kgrl__sample_record(out, &d, s, t, h_tok[s], h_lp[s], h_raw[s], cb, user);
            n_active += live[s];
        }
        if (!n_active) break;
        if (t + 1 < d.max_new_tokens) a->len++;   // step t + 1, already launched, wrote its slot
    }
    KGRL_CUDA_CHECK(cudaStreamSynchronize(st));
    if (gr.exec) { KGRL_CUDA_CHECK(cudaGraphExecDestroy(gr.exec)); KGRL_CUDA_CHECK(cudaGraphDestroy(gr.graph)); }
    for (int i = 0; i < 2; i++) KGRL_CUDA_CHECK(cudaEventDestroy(ev[i]));
    // the host mirrors follow the device again, so kgrl_gpu_model_decode may go on from here
    kgrl__ecopy(e, a->h_kmask, a->kmask, sizeof(int) * nS * Tk, cudaMemcpyDeviceToHost);
    kgrl__ecopy(e, a->h_next_pos, a->next_pos, sizeof(int) * nS, cudaMemcpyDeviceToHost);
    kgrl__gsampler_free(&g);
    kgrl_free(live);
    return true;
}
