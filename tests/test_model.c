// test_model: the CPU reference model engine (src/12_model.h).
//   - finite-difference checks of every backward op and of the whole model (LoRA and base weights)
//   - KV-cache decoding equals the full forward; a sequence's logits do not depend on its batch
//   - LoRA init as peft; config checks
//   - checkpoints and peft adapters: round trips, sharded/fp16/bf16 files, errors that name the problem
//   - build/peft_from_kgrl/: a kgrl-saved model + adapter + logits for tests/oracles/peft_check_kgrl_adapter.py
//   - against fixtures from tests/oracles/model_fixtures.py (transformers/peft, skipped until generated;
//     KGRL_MODEL_FIXTURES=dir reads them from elsewhere)
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

// ---------------------------------------------------------------------------------------------
// helpers

static void fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * kgrl_uniform_at(seed, 77, i);
}
static float *alloc_uniform(size_t n, float lo, float hi, uint64_t seed) {
    float *x = (float *)kgrl_malloc(sizeof(float) * (n ? n : 1));
    fill_uniform(x, n, lo, hi, seed);
    return x;
}
static double dot_d(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

// Finite differences. Every op check uses the scalar L = sum(out * W) with a fixed random W, so the
// analytic gradient is the op's backward with dout = W; the model check uses the SFT loss. Central
// differences with step h = 2e-3 on O(1) inputs: truncation error ~h^2 |f'''| / 6 <= ~1e-5 for the
// curvatures here, and the fp32 rounding of L (~6e-8 |L|, |L| <= ~5) divided by 2h is <= ~1e-4. So
// |fd - analytic| <= 5e-4 + 5e-3 |analytic| holds with margin (the run prints the worst error /
// tolerance) while a wrong formula (a missing term, a transposed index) is off by O(1).
#define FD_H 2e-3f
#define FD_ATOL 5e-4
#define FD_RTOL 5e-3

static double fd_worst_ratio;   // largest err / tolerance seen (printed at the end)
typedef double (*fd_loss_fn)(void *ctx);
// Checks d loss / d x[i] for every i in [0, n) (or `stride`-spaced samples) against grad[i].
static int fd_check(const char *what, fd_loss_fn f, void *ctx, float *x, const float *grad, size_t n, size_t stride) {
    int bad = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i += stride) {
        float keep = x[i];
        x[i] = keep + FD_H; double lp = f(ctx);
        x[i] = keep - FD_H; double lm = f(ctx);
        x[i] = keep;
        double fd = (lp - lm) / (2.0 * FD_H);
        double err = fabs(fd - grad[i]);
        double tol = FD_ATOL + FD_RTOL * fabs(grad[i]);
        double excess = err - tol;
        if (err / tol > fd_worst_ratio) fd_worst_ratio = err / tol;
        if (excess > 0.0) {
            if (bad < 5) fprintf(stderr, "    %s[%zu]: fd %.6g analytic %.6g\n", what, i, fd, (double)grad[i]);
            bad++;
        }
        if (err > worst) worst = err;
    }
    KT_CHECK(bad == 0, "%s: %d of %zu finite-difference checks failed (worst abs err %.3g)", what, bad, (n + stride - 1) / stride, worst);
    return bad;
}

// ---------------------------------------------------------------------------------------------
// op checks

typedef struct { int N, C, OC; float *inp, *w, *b, *out, *W; } mm_ctx;
static double mm_loss(void *p) {
    mm_ctx *c = (mm_ctx *)p;
    kgrl_matmul_forward(c->out, c->inp, c->w, c->b, c->N, c->C, c->OC);
    return dot_d(c->out, c->W, (size_t)c->N * c->OC);
}
static void test_matmul_backward(void) {
    mm_ctx c = {5, 7, 6, NULL, NULL, NULL, NULL, NULL};
    c.inp = alloc_uniform(35, -1, 1, 1); c.w = alloc_uniform(42, -1, 1, 2); c.b = alloc_uniform(6, -1, 1, 3);
    c.out = alloc_uniform(30, 0, 0, 4); c.W = alloc_uniform(30, -1, 1, 5);
    float *di = (float *)kgrl_calloc(35, 4), *dw = (float *)kgrl_calloc(42, 4), *db = (float *)kgrl_calloc(6, 4);
    kgrl_matmul_backward(di, dw, db, c.W, c.inp, c.w, c.N, c.C, c.OC);
    fd_check("matmul dinp", mm_loss, &c, c.inp, di, 35, 1);
    fd_check("matmul dweight", mm_loss, &c, c.w, dw, 42, 1);
    fd_check("matmul dbias", mm_loss, &c, c.b, db, 6, 1);
    // accumulation: a second backward doubles the gradients
    float before = dw[3];
    kgrl_matmul_backward(NULL, dw, NULL, c.W, c.inp, c.w, c.N, c.C, c.OC);
    // the second pass adds the same fp32 sums: equal up to one rounding of the addition
    KT_CLOSE(dw[3], 2.0 * before, 1e-6, 1e-6, "backward accumulates");
    kgrl_free(c.inp); kgrl_free(c.w); kgrl_free(c.b); kgrl_free(c.out); kgrl_free(c.W);
    kgrl_free(di); kgrl_free(dw); kgrl_free(db);
}

typedef struct { int N, C; float *inp, *w, *out, *rstd, *W; } rn_ctx;
static double rn_loss(void *p) {
    rn_ctx *c = (rn_ctx *)p;
    kgrl_rmsnorm_forward(c->out, c->rstd, c->inp, c->w, 1e-5f, c->N, c->C);
    return dot_d(c->out, c->W, (size_t)c->N * c->C);
}
static void test_rmsnorm(void) {
    rn_ctx c = {4, 9, NULL, NULL, NULL, NULL, NULL};
    c.inp = alloc_uniform(36, -2, 2, 11); c.w = alloc_uniform(9, 0.5f, 1.5f, 12);
    c.out = alloc_uniform(36, 0, 0, 0); c.rstd = alloc_uniform(4, 0, 0, 0); c.W = alloc_uniform(36, -1, 1, 13);
    // forward against the definition, in double
    rn_loss(&c);
    for (int n = 0; n < c.N; n++) {
        double ss = 0.0;
        for (int i = 0; i < c.C; i++) ss += (double)c.inp[n * c.C + i] * c.inp[n * c.C + i];
        double r = 1.0 / sqrt(ss / c.C + 1e-5);
        // fp32 forward vs double definition: a few ulps
        for (int i = 0; i < c.C; i++) KT_CLOSE(c.out[n * c.C + i], c.w[i] * c.inp[n * c.C + i] * r, 1e-6, 1e-6, "rmsnorm value");
    }
    float *di = (float *)kgrl_calloc(36, 4), *dw = (float *)kgrl_calloc(9, 4);
    kgrl_rmsnorm_backward(di, dw, c.W, c.inp, c.w, c.rstd, c.N, c.C);
    fd_check("rmsnorm dinp", rn_loss, &c, c.inp, di, 36, 1);
    fd_check("rmsnorm dweight", rn_loss, &c, c.w, dw, 9, 1);
    kgrl_free(c.inp); kgrl_free(c.w); kgrl_free(c.out); kgrl_free(c.rstd); kgrl_free(c.W); kgrl_free(di); kgrl_free(dw);
}

typedef struct { int N, C, OC, R; float p; float *inp, *A, *B, *out, *xa, *W; } lo_ctx;
static double lo_loss(void *pc) {
    lo_ctx *c = (lo_ctx *)pc;
    memset(c->out, 0, sizeof(float) * (size_t)c->N * c->OC);
    kgrl_lora_forward(c->out, c->xa, c->inp, c->A, c->B, 2.0f, c->p, 9, 1234, c->N, c->C, c->OC, c->R);
    return dot_d(c->out, c->W, (size_t)c->N * c->OC);
}
static void test_lora_op(void) {
    for (int with_dropout = 0; with_dropout < 2; with_dropout++) {
        lo_ctx c = {6, 8, 5, 3, with_dropout ? 0.3f : 0.0f, NULL, NULL, NULL, NULL, NULL, NULL};
        c.inp = alloc_uniform(48, -1, 1, 21); c.A = alloc_uniform(24, -1, 1, 22); c.B = alloc_uniform(15, -1, 1, 23);
        c.out = alloc_uniform(30, 0, 0, 0); c.xa = alloc_uniform(18, 0, 0, 0); c.W = alloc_uniform(30, -1, 1, 24);
        lo_loss(&c);
        float *di = (float *)kgrl_calloc(48, 4), *dA = (float *)kgrl_calloc(24, 4), *dB = (float *)kgrl_calloc(15, 4);
        float *dxa = (float *)kgrl_calloc(18, 4);
        kgrl_lora_backward(di, dA, dB, dxa, c.W, c.xa, c.inp, c.A, c.B, 2.0f, c.p, 9, 1234, c.N, c.C, c.OC, c.R);
        fd_check(with_dropout ? "lora(dropout) dinp" : "lora dinp", lo_loss, &c, c.inp, di, 48, 1);
        fd_check(with_dropout ? "lora(dropout) dA" : "lora dA", lo_loss, &c, c.A, dA, 24, 1);
        fd_check(with_dropout ? "lora(dropout) dB" : "lora dB", lo_loss, &c, c.B, dB, 15, 1);
        if (with_dropout) {
            // about 30% of the input gradient entries are dropped (exactly zero)
            int zeros = 0;
            for (int i = 0; i < 48; i++) zeros += di[i] == 0.0f;
            KT_CHECK(zeros >= 5 && zeros <= 28, "dropout p=0.3 zeroed %d of 48 input gradients", zeros);
        }
        kgrl_free(c.inp); kgrl_free(c.A); kgrl_free(c.B); kgrl_free(c.out); kgrl_free(c.xa); kgrl_free(c.W);
        kgrl_free(di); kgrl_free(dA); kgrl_free(dB); kgrl_free(dxa);
    }
}

typedef struct { int N, NH, HS; int *pos; float *inv, *inp, *out, *W; } rp_ctx;
static double rp_loss(void *p) {
    rp_ctx *c = (rp_ctx *)p;
    kgrl_rope_forward(c->out, c->inp, c->pos, c->inv, c->N, c->NH, c->HS);
    return dot_d(c->out, c->W, (size_t)c->N * c->NH * c->HS);
}
static void test_rope(void) {
    rp_ctx c = {4, 2, 6, NULL, NULL, NULL, NULL, NULL};
    int pos[4] = {0, 1, 5, 17};
    c.pos = pos;
    float inv[3] = {1.0f, 0.1f, 0.01f};
    c.inv = inv;
    c.inp = alloc_uniform(48, -1, 1, 31); c.out = alloc_uniform(48, 0, 0, 0); c.W = alloc_uniform(48, -1, 1, 32);
    rp_loss(&c);
    // rotate_half convention: pairs (i, i + HS/2); position 0 is the identity; the norm is kept
    for (int i = 0; i < 12; i++) KT_CLOSE(c.out[i], c.inp[i], 0, 0, "rope at position 0 is the identity");
    // against double cos/sin of the double angle: fp32 angle (17 * 0.1f) and cosf/sinf are within
    // ~1e-7 relative, so 1e-6 absolute + 1e-5 relative
    double a = c.inp[3 * 12 + 1], b = c.inp[3 * 12 + 4], ang = 17.0 * 0.1;
    KT_CLOSE(c.out[3 * 12 + 1], a * cos(ang) - b * sin(ang), 1e-6, 1e-5, "rope first half");
    KT_CLOSE(c.out[3 * 12 + 4], b * cos(ang) + a * sin(ang), 1e-6, 1e-5, "rope second half");
    float *di = (float *)kgrl_calloc(48, 4);
    kgrl_rope_backward(di, c.W, c.pos, c.inv, c.N, c.NH, c.HS);
    fd_check("rope dinp", rp_loss, &c, c.inp, di, 48, 1);
    kgrl_free(c.inp); kgrl_free(c.out); kgrl_free(c.W); kgrl_free(di);
}

typedef struct { int B, T, NH, KVH, HS; int *kmask; float *q, *k, *v, *out, *att, *W; } at_ctx;
static double at_loss(void *p) {
    at_ctx *c = (at_ctx *)p;
    kgrl_attention_forward(c->out, c->att, c->q, c->k, c->v, c->kmask, c->B, c->T, c->T, 0, c->NH, c->KVH, c->HS);
    return dot_d(c->out, c->W, (size_t)c->B * c->T * c->NH * c->HS);
}
static void test_attention(void) {
    at_ctx c = {2, 5, 4, 2, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int kmask[10] = {1, 1, 1, 1, 1, 0, 0, 1, 1, 1};   // sequence 1 left-padded by 2
    c.kmask = kmask;
    size_t nq = 2 * 5 * 4 * 3, nk = 2 * 5 * 2 * 3;
    c.q = alloc_uniform(nq, -1, 1, 41); c.k = alloc_uniform(nk, -1, 1, 42); c.v = alloc_uniform(nk, -1, 1, 43);
    c.out = alloc_uniform(nq, 0, 0, 0); c.att = alloc_uniform(2 * 4 * 5 * 5, 0, 0, 0); c.W = alloc_uniform(nq, -1, 1, 44);
    at_loss(&c);
    // rows sum to 1 over allowed slots; masked and future slots get 0; padding queries give 0
    for (int b = 0; b < 2; b++) for (int h = 0; h < 4; h++) for (int i = 0; i < 5; i++) {
        const float *a = c.att + ((b * 4 + h) * 5 + i) * 5;
        double s = 0.0;
        for (int j = 0; j < 5; j++) {
            s += a[j];
            if (j > i || !kmask[b * 5 + j]) KT_CHECK(a[j] == 0.0f, "att[%d,%d,%d,%d] must be 0", b, h, i, j);
        }
        if (kmask[b * 5 + i]) KT_CLOSE(s, 1.0, 1e-6, 0, "softmax row sums to 1");   // <= 5 fp32 terms
        else KT_CHECK(s == 0.0, "a padding query attends nowhere");
    }
    // GQA: query heads 0,1 share kv head 0. Query (0,0) head 0 attends to slot 0 only: out = v[0, kv 0]
    // (probability exactly 1, so out = v up to 1e-7 absolute)
    for (int d = 0; d < 3; d++) KT_CLOSE(c.out[d], c.v[d], 1e-7, 0, "first query copies v");
    for (int d = 0; d < 3; d++) KT_CLOSE(c.out[3 + d], c.v[d], 1e-7, 0, "head 1 uses kv head 0");
    for (int d = 0; d < 3; d++) KT_CLOSE(c.out[6 + d], c.v[3 + d], 1e-7, 0, "head 2 uses kv head 1");
    float *dq = (float *)kgrl_calloc(nq, 4), *dk = (float *)kgrl_calloc(nk, 4), *dv = (float *)kgrl_calloc(nk, 4);
    float *datt = (float *)kgrl_calloc(2 * 4 * 25, 4);
    kgrl_attention_backward(dq, dk, dv, datt, c.W, c.att, c.q, c.k, c.v, c.B, c.T, c.T, c.NH, c.KVH, c.HS);
    fd_check("attention dq", at_loss, &c, c.q, dq, nq, 1);
    fd_check("attention dk", at_loss, &c, c.k, dk, nk, 1);
    fd_check("attention dv", at_loss, &c, c.v, dv, nk, 1);
    kgrl_free(c.q); kgrl_free(c.k); kgrl_free(c.v); kgrl_free(c.out); kgrl_free(c.att); kgrl_free(c.W);
    kgrl_free(dq); kgrl_free(dk); kgrl_free(dv); kgrl_free(datt);
}

typedef struct { int n; float *g, *u, *out, *W; } sw_ctx;
static double sw_loss(void *p) {
    sw_ctx *c = (sw_ctx *)p;
    kgrl_swiglu_forward(c->out, c->g, c->u, c->n);
    return dot_d(c->out, c->W, (size_t)c->n);
}
static void test_swiglu_embedding(void) {
    sw_ctx c = {20, NULL, NULL, NULL, NULL};
    c.g = alloc_uniform(20, -4, 4, 51); c.u = alloc_uniform(20, -1, 1, 52);
    c.out = alloc_uniform(20, 0, 0, 0); c.W = alloc_uniform(20, -1, 1, 53);
    sw_loss(&c);
    KT_CLOSE(c.out[0], c.g[0] / (1.0 + exp(-c.g[0])) * c.u[0], 1e-6, 1e-6, "silu(g) * u");   // fp32 expf: a few ulps
    float *dg = (float *)kgrl_calloc(20, 4), *du = (float *)kgrl_calloc(20, 4);
    kgrl_swiglu_backward(dg, du, c.W, c.g, c.u, 20);
    fd_check("swiglu dgate", sw_loss, &c, c.g, dg, 20, 1);
    fd_check("swiglu dup", sw_loss, &c, c.u, du, 20, 1);
    kgrl_free(c.g); kgrl_free(c.u); kgrl_free(c.out); kgrl_free(c.W); kgrl_free(dg); kgrl_free(du);
    // embedding: gather rows; backward scatters (repeated tokens add up)
    float wte[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, out[9], dwte[12] = {0};
    int tok[3] = {2, 0, 2};
    kgrl_embedding_forward(out, tok, wte, 3, 3);
    KT_CHECK(out[0] == 6 && out[3] == 0 && out[8] == 8, "embedding gathers rows");
    float dout[9] = {1, 1, 1, 2, 2, 2, 3, 3, 3};
    kgrl_embedding_backward(dwte, dout, tok, 3, 3);
    KT_CHECK(dwte[6] == 4 && dwte[0] == 2 && dwte[3] == 0, "embedding backward scatters and adds");
}

// ---------------------------------------------------------------------------------------------
// tiny models of each family (random weights, big enough to make every term matter)

static kgrl_model_config tiny_config(kgrl_model_family fam) {
    kgrl_model_config c;
    memset(&c, 0, sizeof c);
    c.family = fam;
    c.vocab_size = 23; c.hidden_size = 16; c.n_layers = 2; c.n_heads = 4; c.n_kv_heads = 2; c.head_dim = 4;
    c.ffn_size = 24; c.max_pos = 64; c.rms_eps = 1e-6f; c.rope_theta = 10000.0f;
    c.bos_token_id = -1; c.eos_token_id = -1; c.initializer_range = 0.02f;
    if (fam == KGRL_FAMILY_QWEN2) c.qkv_bias = true;
    if (fam == KGRL_FAMILY_QWEN3) { c.qk_norm = true; c.head_dim = 6; }   // NH*HS = 24 != C
    if (fam == KGRL_FAMILY_LLAMA) {
        c.qkv_bias = c.o_bias = c.mlp_bias = true; c.tie_embeddings = true;
        c.rope_type = KGRL_ROPE_LLAMA3; c.rope_factor = 4.0f; c.rope_low_freq_factor = 1.0f;
        c.rope_high_freq_factor = 4.0f; c.rope_original_max_pos = 8;
    }
    return c;
}

// Weights with O(1) effects: every tensor uniform, norms around 1.
static void randomize_model(kgrl_model *m, uint64_t seed) {
    fill_uniform(m->params, m->n_params, -0.5f, 0.5f, seed);
    for (int l = 0; l < m->cfg.n_layers; l++) {
        int norms[4] = {KGRL_W_LN1, KGRL_W_LN2, KGRL_W_QNORM, KGRL_W_KNORM};
        for (int i = 0; i < 4; i++) {
            float *w = kgrl_model_tensor(m, m->params, l, norms[i]);
            if (!w) continue;
            int n = (norms[i] == KGRL_W_QNORM || norms[i] == KGRL_W_KNORM) ? m->cfg.head_dim : m->cfg.hidden_size;
            fill_uniform(w, (size_t)n, 0.7f, 1.3f, seed + 100 + (uint64_t)(l * 4 + i));
        }
    }
    fill_uniform(m->params + m->norm_off, (size_t)m->cfg.hidden_size, 0.7f, 1.3f, seed + 7);
}

typedef struct {
    const kgrl_model *m; kgrl_lora *lora; kgrl_model_acts *a;
    const int *tokens, *mask; int B, T;
    int *targets; float *tmask, *lp, *lse, *dlp;
} ml_ctx;

// SFT loss of the model on the batch; with grads != NULL also runs the backward.
static double ml_loss_grad(ml_ctx *c, float *model_grads, float *lora_grads) {
    kgrl_model_forward(c->m, c->lora, c->a, c->tokens, NULL, c->mask, c->B, c->T);
    int N = c->B * c->T;
    kgrl_logprobs_forward(c->lp, c->lse, c->a->logits, c->targets, 1.0f, N, c->m->cfg.vocab_size);
    double loss = kgrl_sft_loss(c->dlp, c->lp, c->tmask, N);
    if (model_grads || lora_grads) {
        memset(c->a->dlogits, 0, sizeof(float) * (size_t)N * c->m->cfg.vocab_size);
        kgrl_logprobs_backward(c->a->dlogits, c->dlp, c->a->logits, c->lse, c->targets, 1.0f, N, c->m->cfg.vocab_size);
        kgrl_model_backward(c->m, c->lora, c->a, model_grads, lora_grads);
    }
    return loss;
}
static double ml_loss(void *p) { return ml_loss_grad((ml_ctx *)p, NULL, NULL); }

static void test_model_backward_fd(void) {
    kgrl_model_family fams[3] = {KGRL_FAMILY_QWEN2, KGRL_FAMILY_QWEN3, KGRL_FAMILY_LLAMA};
    const char *names[3] = {"qwen2", "qwen3", "llama3(tied, biases)"};
    for (int f = 0; f < 3; f++) {
        kgrl_model_config cfg = tiny_config(fams[f]);
        kgrl_model *m = kgrl_model_create(&cfg);
        randomize_model(m, 100 + (uint64_t)f);
        kgrl_lora_desc ld;
        memset(&ld, 0, sizeof ld);
        ld.rank = 2; ld.alpha = 4.0f; ld.seed = 5;
        kgrl_lora *lora = kgrl_lora_create(&cfg, &ld);
        fill_uniform(lora->params, lora->n_params, -0.4f, 0.4f, 200 + (uint64_t)f);   // B != 0 so A gets gradients
        enum { B = 2, T = 6 };
        int tokens[B * T] = {1, 5, 9, 2, 22, 7, 0, 0, 3, 11, 4, 19};
        int mask[B * T] = {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1};            // second sequence left-padded
        float cmask[B * T] = {0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1};
        int targets[B * T]; float tmask[B * T], lp[B * T], lse[B * T], dlp[B * T];
        kgrl_shift_targets(targets, tmask, tokens, cmask, B, T);
        kgrl_model_acts *a = kgrl_model_acts_create(&cfg, lora, B, T + 2);   // capacity > T on purpose
        ml_ctx c = {m, lora, a, tokens, mask, B, T, targets, tmask, lp, lse, dlp};
        float *mg = (float *)kgrl_calloc(m->n_params, sizeof(float));
        float *lg = (float *)kgrl_calloc(lora->n_params, sizeof(float));
        ml_loss_grad(&c, mg, lg);
        char what[128];
        // every LoRA tensor, sampled
        for (int l = 0; l < cfg.n_layers; l++)
            for (int mod = 0; mod < KGRL_LORA_NMOD; mod++) {
                size_t na = (size_t)ld.rank * lora->in_dim[mod], nb = (size_t)lora->out_dim[mod] * ld.rank;
                snprintf(what, sizeof what, "%s L%d %s lora_A", names[f], l, kgrl_lora_module_name(mod));
                fd_check(what, ml_loss, &c, kgrl_lora_A(lora, lora->params, l, mod), kgrl_lora_A(lora, lg, l, mod), na, 3);
                snprintf(what, sizeof what, "%s L%d %s lora_B", names[f], l, kgrl_lora_module_name(mod));
                fd_check(what, ml_loss, &c, kgrl_lora_B(lora, lora->params, l, mod), kgrl_lora_B(lora, lg, l, mod), nb, 3);
            }
        // every base tensor, sampled
        for (int l = 0; l < cfg.n_layers; l++)
            for (int w = 0; w < KGRL_W_COUNT; w++) {
                float *p = kgrl_model_tensor(m, m->params, l, w);
                if (!p) continue;
                int rows, cols;
                kgrl__layer_tensor_shape(&cfg, w, &rows, &cols);
                size_t n = (size_t)rows * (cols ? cols : 1);
                snprintf(what, sizeof what, "%s L%d tensor %d", names[f], l, w);
                fd_check(what, ml_loss, &c, p, kgrl_model_tensor(m, mg, l, w), n, n > 64 ? 7 : 1);
            }
        snprintf(what, sizeof what, "%s embed", names[f]);
        fd_check(what, ml_loss, &c, m->params + m->embed_off, mg + m->embed_off, (size_t)cfg.vocab_size * cfg.hidden_size, 5);
        snprintf(what, sizeof what, "%s final norm", names[f]);
        fd_check(what, ml_loss, &c, m->params + m->norm_off, mg + m->norm_off, (size_t)cfg.hidden_size, 1);
        if (!cfg.tie_embeddings) {
            snprintf(what, sizeof what, "%s lm_head", names[f]);
            fd_check(what, ml_loss, &c, m->params + m->lm_head_off, mg + m->lm_head_off, (size_t)cfg.vocab_size * cfg.hidden_size, 5);
        }
        kgrl_free(mg); kgrl_free(lg);
        kgrl_model_acts_free(a); kgrl_lora_free(lora); kgrl_model_free(m);
    }
}

// LoRA dropout inside the model: the mask is a pure function of (seed, layer, module, element), so a
// forward is repeatable, changes with the seed, and the backward matches finite differences.
static void test_lora_dropout_model(void) {
    kgrl_model_config cfg = tiny_config(KGRL_FAMILY_QWEN2);
    kgrl_model *m = kgrl_model_create(&cfg);
    randomize_model(m, 150);
    kgrl_lora_desc ld;
    memset(&ld, 0, sizeof ld);
    ld.rank = 2; ld.alpha = 4.0f; ld.dropout = 0.3f;
    kgrl_lora *lora = kgrl_lora_create(&cfg, &ld);
    fill_uniform(lora->params, lora->n_params, -0.4f, 0.4f, 151);
    enum { B = 1, T = 5 };
    int tokens[T] = {4, 8, 15, 16, 22};
    float cmask[T] = {0, 1, 1, 1, 1};
    int targets[T]; float tmask[T], lp[T], lse[T], dlp[T];
    kgrl_shift_targets(targets, tmask, tokens, cmask, B, T);
    kgrl_model_acts *a = kgrl_model_acts_create(&cfg, lora, B, T);
    ml_ctx c = {m, lora, a, tokens, NULL, B, T, targets, tmask, lp, lse, dlp};
    double off = ml_loss(&c);
    a->lora_dropout = true; a->dropout_seed = 77;
    double on1 = ml_loss(&c), on2 = ml_loss(&c);
    a->dropout_seed = 78;
    double on3 = ml_loss(&c);
    a->dropout_seed = 77;
    KT_CHECK(on1 == on2, "same dropout seed, same loss (%.9g vs %.9g)", on1, on2);
    KT_CHECK(on1 != off && on1 != on3, "dropout changes the loss (off %.9g, seed 77 %.9g, seed 78 %.9g)", off, on1, on3);
    float *lg = (float *)kgrl_calloc(lora->n_params, sizeof(float));
    ml_loss_grad(&c, NULL, lg);
    for (int mod = 0; mod < KGRL_LORA_NMOD; mod++) {
        char what[64];
        snprintf(what, sizeof what, "dropout %s lora_A", kgrl_lora_module_name(mod));
        fd_check(what, ml_loss, &c, kgrl_lora_A(lora, lora->params, 1, mod), kgrl_lora_A(lora, lg, 1, mod), (size_t)2 * lora->in_dim[mod], 3);
        snprintf(what, sizeof what, "dropout %s lora_B", kgrl_lora_module_name(mod));
        fd_check(what, ml_loss, &c, kgrl_lora_B(lora, lora->params, 1, mod), kgrl_lora_B(lora, lg, 1, mod), (size_t)2 * lora->out_dim[mod], 3);
    }
    kgrl_free(lg);
    kgrl_model_acts_free(a); kgrl_lora_free(lora); kgrl_model_free(m);
}

// Prefill + one token at a time gives the logits of the full forward, with left padding.
static void test_kv_cache_decode(void) {
    kgrl_model_family fams[3] = {KGRL_FAMILY_QWEN2, KGRL_FAMILY_QWEN3, KGRL_FAMILY_LLAMA};
    for (int f = 0; f < 3; f++) {
        kgrl_model_config cfg = tiny_config(fams[f]);
        kgrl_model *m = kgrl_model_create(&cfg);
        randomize_model(m, 300 + (uint64_t)f);
        kgrl_lora *lora = kgrl_lora_create(&cfg, NULL);
        fill_uniform(lora->params, lora->n_params, -0.2f, 0.2f, 301);
        enum { B = 2, T = 9, P = 5 };
        int tokens[B * T] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 0, 0, 7, 8, 20, 21, 13, 1, 2};
        int mask[B * T] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1};
        kgrl_model_acts *full = kgrl_model_acts_create(&cfg, lora, B, T);
        kgrl_model_acts *dec = kgrl_model_acts_create(&cfg, lora, B, T);
        kgrl_model_forward(m, lora, full, tokens, NULL, mask, B, T);
        int V = cfg.vocab_size;
        // prefill the first P tokens
        int pt[B * P], pm[B * P];
        for (int b = 0; b < B; b++) for (int i = 0; i < P; i++) { pt[b * P + i] = tokens[b * T + i]; pm[b * P + i] = mask[b * T + i]; }
        kgrl_model_acts_reset(dec);
        kgrl_model_decode(m, lora, dec, pt, NULL, pm, B, P);
        double worst = 0.0;
        for (int b = 0; b < B; b++) for (int i = 0; i < P; i++) {
            if (!mask[b * T + i]) continue;
            for (int v = 0; v < V; v++) {
                double d = fabs(dec->logits[(b * P + i) * V + v] - full->logits[(b * T + i) * V + v]);
                if (d > worst) worst = d;
            }
        }
        for (int i = P; i < T; i++) {
            int st[B] = {tokens[i], tokens[T + i]};
            kgrl_model_decode(m, lora, dec, st, NULL, NULL, B, 1);
            for (int b = 0; b < B; b++) for (int v = 0; v < V; v++) {
                double d = fabs(dec->logits[b * V + v] - full->logits[(b * T + i) * V + v]);
                if (d > worst) worst = d;
            }
        }
        // the same ops in the same order on the same values: equal up to fp32 rounding of reordered
        // row loops (none here), so 1e-5 absolute on O(1) logits is generous
        KT_CHECK(worst <= 1e-5, "family %d: decode differs from the full forward by %.3g", (int)fams[f], worst);
        KT_CHECK(dec->len == T, "cache holds %d slots, want %d", dec->len, T);
        kgrl_model_acts_free(full); kgrl_model_acts_free(dec); kgrl_lora_free(lora); kgrl_model_free(m);
    }
}

// A left-padded sequence in a batch has the logits it has alone.
static void test_batch_independence(void) {
    kgrl_model_config cfg = tiny_config(KGRL_FAMILY_QWEN2);
    kgrl_model *m = kgrl_model_create(&cfg);
    randomize_model(m, 400);
    int tokens[2 * 7] = {5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 12, 13, 14, 15};
    int mask[2 * 7] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1};
    kgrl_model_acts *a = kgrl_model_acts_create(&cfg, NULL, 2, 7);
    kgrl_model_acts *s = kgrl_model_acts_create(&cfg, NULL, 1, 4);
    kgrl_model_forward(m, NULL, a, tokens, NULL, mask, 2, 7);
    kgrl_model_forward(m, NULL, s, tokens + 10, NULL, NULL, 1, 4);
    double worst = 0.0;
    for (int i = 0; i < 4; i++) for (int v = 0; v < cfg.vocab_size; v++) {
        double d = fabs(a->logits[(7 + 3 + i) * cfg.vocab_size + v] - s->logits[i * cfg.vocab_size + v]);
        if (d > worst) worst = d;
    }
    // identical arithmetic (pads are skipped, positions count real tokens): bitwise equal in practice
    KT_CHECK(worst <= 1e-6, "padded sequence differs from the same sequence alone by %.3g", worst);
    kgrl_model_acts_free(a); kgrl_model_acts_free(s); kgrl_model_free(m);
}

static void test_lora_init_and_config(void) {
    kgrl_model_config cfg = tiny_config(KGRL_FAMILY_QWEN3);
    kgrl_lora_desc d;
    memset(&d, 0, sizeof d);
    d.rank = 4; d.alpha = 8; d.seed = 42; d.targets = (1u << KGRL_LORA_Q) | (1u << KGRL_LORA_DOWN);
    kgrl_lora *l = kgrl_lora_create(&cfg, &d);
    KT_CLOSE(l->scaling, 2.0, 0, 0, "scaling alpha/R");
    KT_CHECK(kgrl_lora_A(l, l->params, 0, KGRL_LORA_K) == NULL, "k_proj not targeted");
    float *A = kgrl_lora_A(l, l->params, 1, KGRL_LORA_DOWN), *B = kgrl_lora_B(l, l->params, 1, KGRL_LORA_DOWN);
    float bound = 1.0f / sqrtf((float)cfg.ffn_size);
    float mx = 0.0f;
    for (int i = 0; i < 4 * cfg.ffn_size; i++) { if (fabsf(A[i]) > mx) mx = fabsf(A[i]); }
    KT_CHECK(mx <= bound && mx > 0.5f * bound, "A ~ U(-1/sqrt(in), 1/sqrt(in)): max |A| %g, bound %g", (double)mx, (double)bound);
    for (int i = 0; i < cfg.hidden_size * 4; i++) KT_CHECK(B[i] == 0.0f, "B starts at zero");
    kgrl_lora *l2 = kgrl_lora_create(&cfg, &d);
    KT_CHECK(memcmp(l->params, l2->params, sizeof(float) * l->n_params) == 0, "same seed, same init");
    d.use_rslora = true;
    kgrl_lora *l3 = kgrl_lora_create(&cfg, &d);
    KT_CLOSE(l3->scaling, 4.0, 0, 0, "rslora scaling alpha/sqrt(R)");
    kgrl_lora_free(l); kgrl_lora_free(l2); kgrl_lora_free(l3);
    // config checks name the field
    kgrl_err err;
    kgrl_model_config bad = cfg;
    bad.n_kv_heads = 3;
    KT_CHECK(!kgrl_model_config_check(&bad, &err) && strstr(err.msg, "num_key_value_heads"), "GQA ratio checked: %s", err.msg);
    bad = cfg; bad.head_dim = 5;
    KT_CHECK(!kgrl_model_config_check(&bad, &err) && strstr(err.msg, "head_dim"), "odd head_dim rejected: %s", err.msg);
    // llama3 rope scaling: high frequencies kept, low ones divided by factor, the middle smoothed
    kgrl_model_config lc = tiny_config(KGRL_FAMILY_LLAMA);
    lc.head_dim = 8;
    float inv[4];
    kgrl_rope_inv_freq(&lc, inv);   // base 1, 0.1, 0.01, 0.001; wavelens 6.28 (medium), 62.8, ... (low)
    // computed in fp32 as transformers does; against double: ~1e-7 relative, so 1e-5 relative
    double smooth = (8.0 / (2 * M_PI) - 1.0) / 3.0;
    KT_CLOSE(inv[0], (1 - smooth) * 1.0 / 4 + smooth * 1.0, 1e-6, 1e-5, "llama3 medium frequency smoothed");
    KT_CLOSE(inv[1], 0.1 / 4, 1e-7, 1e-5, "llama3 low frequency divided by factor");
}

// ---------------------------------------------------------------------------------------------
// checkpoints and adapters

static bool same_floats(const float *a, const float *b, size_t n) { return memcmp(a, b, sizeof(float) * n) == 0; }

static void test_checkpoint_roundtrip(void) {
    kgrl_model_family fams[3] = {KGRL_FAMILY_QWEN2, KGRL_FAMILY_QWEN3, KGRL_FAMILY_LLAMA};
    kgrl_err err;
    for (int f = 0; f < 3; f++) {
        kgrl_model_config cfg = tiny_config(fams[f]);
        kgrl_model *m = kgrl_model_create(&cfg);
        randomize_model(m, 500 + (uint64_t)f);
        char dir[256];
        snprintf(dir, sizeof dir, "build/test_model/ckpt_%d", f);
        KT_CHECK(kgrl_model_save(m, dir, KGRL_DTYPE_F32, &err), "save: %s", err.msg);
        kgrl_model *r = kgrl_model_load(dir, &err);
        KT_CHECK(r != NULL, "load: %s", err.msg);
        if (r) {
            KT_CHECK(r->n_params == m->n_params && same_floats(r->params, m->params, m->n_params), "fp32 round trip is exact");
            KT_CHECK(r->cfg.family == cfg.family && r->cfg.head_dim == cfg.head_dim && r->cfg.qkv_bias == cfg.qkv_bias &&
                     r->cfg.o_bias == cfg.o_bias && r->cfg.mlp_bias == cfg.mlp_bias && r->cfg.qk_norm == cfg.qk_norm &&
                     r->cfg.tie_embeddings == cfg.tie_embeddings && r->cfg.rope_type == cfg.rope_type &&
                     r->cfg.rope_factor == cfg.rope_factor && r->cfg.rope_original_max_pos == cfg.rope_original_max_pos &&
                     r->cfg.rms_eps == cfg.rms_eps && r->cfg.rope_theta == cfg.rope_theta && r->cfg.n_kv_heads == cfg.n_kv_heads,
                     "config round trip (family %d)", (int)cfg.family);
            kgrl_model_free(r);
        }
        snprintf(dir, sizeof dir, "build/test_model/ckpt_bf16_%d", f);
        KT_CHECK(kgrl_model_save(m, dir, KGRL_DTYPE_BF16, &err), "save bf16: %s", err.msg);
        r = kgrl_model_load(dir, &err);
        KT_CHECK(r != NULL, "load bf16: %s", err.msg);
        if (r) {
            int bad = 0;
            for (size_t i = 0; i < m->n_params; i++) bad += r->params[i] != kgrl_bf16_to_f32(kgrl_f32_to_bf16(m->params[i]));
            KT_CHECK(bad == 0, "bf16 checkpoint holds the bf16-rounded weights (%d differ)", bad);
            kgrl_model_free(r);
        }
        kgrl_model_free(m);
    }
}

static void write_text(const char *path, const char *text) {
    kgrl_err err;
    KT_CHECK(kgrl_write_file_atomic(path, text, strlen(text), &err), "write %s: %s", path, err.msg);
}

// A sharded checkpoint (model.safetensors.index.json + two shards) with the first shard in fp16.
static void test_checkpoint_sharded_f16(void) {
    kgrl_err err;
    kgrl_model_config cfg = tiny_config(KGRL_FAMILY_QWEN3);
    kgrl_model *m = kgrl_model_create(&cfg);
    randomize_model(m, 550);
    const char *dir = "build/test_model/sharded";
    KT_CHECK(kgrl_model_save(m, dir, KGRL_DTYPE_F32, &err), "save: %s", err.msg);
    // reuse the saved config; rewrite the weights as two shards
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    remove(path);
    int cap = 3 + cfg.n_layers * KGRL_W_COUNT;
    kgrl__named_tensor *ts = (kgrl__named_tensor *)kgrl_malloc(sizeof *ts * (size_t)cap);
    int n = kgrl__model_tensors(m, ts), half = n / 2;
    kgrl_tensor_view *v = (kgrl_tensor_view *)kgrl_calloc((size_t)n, sizeof *v);
    uint16_t *h16 = (uint16_t *)kgrl_malloc(sizeof(uint16_t) * m->n_params);
    kgrl_buf idx;
    memset(&idx, 0, sizeof idx);
    kgrl_buf_puts(&idx, "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
    for (int i = 0; i < n; i++) {
        size_t cnt = (size_t)ts[i].rows * (size_t)(ts[i].cols ? ts[i].cols : 1);
        v[i].name = ts[i].name;
        v[i].ndim = ts[i].cols ? 2 : 1;
        v[i].shape[0] = ts[i].rows; v[i].shape[1] = ts[i].cols;
        if (i < half) {
            for (size_t k = 0; k < cnt; k++) h16[ts[i].off + k] = kgrl_f32_to_f16(m->params[ts[i].off + k]);
            v[i].dtype = KGRL_DTYPE_F16; v[i].data = h16 + ts[i].off; v[i].nbytes = cnt * 2;
        } else {
            v[i].dtype = KGRL_DTYPE_F32; v[i].data = m->params + ts[i].off; v[i].nbytes = cnt * 4;
        }
        kgrl_buf_printf(&idx, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", i ? ", " : "", ts[i].name, i < half ? 1 : 2);
    }
    kgrl_buf_puts(&idx, "}}");
    snprintf(path, sizeof path, "%s/model-00001-of-00002.safetensors", dir);
    KT_CHECK(kgrl_st_write(path, v, half, NULL, &err), "%s", err.msg);
    snprintf(path, sizeof path, "%s/model-00002-of-00002.safetensors", dir);
    KT_CHECK(kgrl_st_write(path, v + half, n - half, NULL, &err), "%s", err.msg);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    write_text(path, idx.data);
    kgrl_model *r = kgrl_model_load(dir, &err);
    KT_CHECK(r != NULL, "sharded load: %s", err.msg);
    if (r) {
        int bad = 0;
        for (int i = 0; i < n; i++) {
            size_t cnt = (size_t)ts[i].rows * (size_t)(ts[i].cols ? ts[i].cols : 1);
            for (size_t k = 0; k < cnt; k++) {
                float want = i < half ? kgrl_f16_to_f32(h16[ts[i].off + k]) : m->params[ts[i].off + k];
                bad += r->params[ts[i].off + k] != want;
            }
        }
        KT_CHECK(bad == 0, "sharded fp16/fp32 checkpoint loads exactly (%d differ)", bad);
        kgrl_model_free(r);
    }
    kgrl_buf_free(&idx);
    kgrl_free(h16); kgrl_free(v); kgrl_free(ts);
    kgrl_model_free(m);
}

// Loads dir and expects failure with `needle` in the message.
static void expect_load_error(const char *dir, const char *needle) {
    kgrl_err err;
    err.msg[0] = 0;
    kgrl_model *m = kgrl_model_load(dir, &err);
    KT_CHECK(m == NULL && strstr(err.msg, needle), "load of %s should fail naming \"%s\", got: %s", dir, needle, m ? "success" : err.msg);
    kgrl_model_free(m);
}

static void test_checkpoint_errors(void) {
    kgrl_err err;
    kgrl_model_config cfg = tiny_config(KGRL_FAMILY_QWEN2);
    kgrl_model *m = kgrl_model_create(&cfg);
    randomize_model(m, 600);
    const char *dir = "build/test_model/bad";
    KT_CHECK(kgrl_model_save(m, dir, KGRL_DTYPE_F32, &err), "save: %s", err.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", dir);
    const char *base = "\"vocab_size\": 23, \"hidden_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
                       "\"num_key_value_heads\": 2, \"intermediate_size\": 24, \"rms_norm_eps\": 1e-6";
    char text[1024];
    snprintf(text, sizeof text, "{\"architectures\": [\"MistralForCausalLM\"], %s}", base);
    write_text(path, text); expect_load_error(dir, "MistralForCausalLM");
    snprintf(text, sizeof text, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_act\": \"gelu\", %s}", base);
    write_text(path, text); expect_load_error(dir, "gelu");
    snprintf(text, sizeof text, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}, %s}", base);
    write_text(path, text); expect_load_error(dir, "yarn");
    snprintf(text, sizeof text, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2}, %s}", base);
    write_text(path, text); expect_load_error(dir, "dynamic");
    snprintf(text, sizeof text, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"use_sliding_window\": true, %s}", base);
    write_text(path, text); expect_load_error(dir, "use_sliding_window");
    snprintf(text, sizeof text, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"num_hidden_layers\": 2}");
    write_text(path, text); expect_load_error(dir, "vocab_size");
    // a config asking for a bigger FFN than the weights have: wrong shape, named
    snprintf(text, sizeof text, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"vocab_size\": 23, \"hidden_size\": 16, "
             "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"intermediate_size\": 32}");
    write_text(path, text); expect_load_error(dir, "model.layers.0.mlp.gate_proj.weight has shape [24, 16]");
    // Llama config on Qwen2 weights: the q/k/v biases are unexpected
    snprintf(text, sizeof text, "{\"architectures\": [\"LlamaForCausalLM\"], %s}", base);
    write_text(path, text); expect_load_error(dir, "unexpected tensor model.layers.0.self_attn.q_proj.bias");
    // three layers in the config, two in the file: the missing tensor is named
    snprintf(text, sizeof text, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"vocab_size\": 23, \"hidden_size\": 16, "
             "\"num_hidden_layers\": 3, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"intermediate_size\": 24}");
    write_text(path, text); expect_load_error(dir, "missing tensor model.layers.2.input_layernorm.weight");
    // transformers 5 rope_parameters with llama3 scaling parse
    snprintf(text, sizeof text, "{\"architectures\": [\"LlamaForCausalLM\"], \"rope_parameters\": {\"rope_type\": \"llama3\", "
             "\"rope_theta\": 500000.0, \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
             "\"original_max_position_embeddings\": 8192}, \"eos_token_id\": [128001, 128009], %s}", base);
    kgrl_json *j = kgrl_json_parse(text, strlen(text), &err);
    kgrl_model_config c2;
    KT_CHECK(j && kgrl_model_config_from_json(j, &c2, &err), "rope_parameters config: %s", err.msg);
    if (j) {
        KT_CHECK(c2.rope_type == KGRL_ROPE_LLAMA3 && c2.rope_theta == 500000.0f && c2.rope_factor == 8.0f &&
                 c2.rope_original_max_pos == 8192 && c2.eos_token_id == 128001 && c2.head_dim == 4, "llama3 rope_parameters parsed");
        kgrl_json_free(j);
    }
    kgrl_model_free(m);
}

static void test_lora_io(void) {
    kgrl_err err;
    kgrl_model_config cfg = tiny_config(KGRL_FAMILY_QWEN3);
    kgrl_lora_desc d;
    memset(&d, 0, sizeof d);
    d.rank = 3; d.alpha = 6; d.use_rslora = true; d.base_model = "some/base";
    d.targets = (1u << KGRL_LORA_Q) | (1u << KGRL_LORA_V) | (1u << KGRL_LORA_DOWN);
    kgrl_lora *l = kgrl_lora_create(&cfg, &d);
    fill_uniform(l->params, l->n_params, -1, 1, 700);
    const char *dir = "build/test_model/adapter";
    KT_CHECK(kgrl_lora_save(l, dir, &err), "save adapter: %s", err.msg);
    kgrl_lora *r = kgrl_lora_load(dir, &cfg, &err);
    KT_CHECK(r != NULL, "load adapter: %s", err.msg);
    if (r) {
        KT_CHECK(r->n_params == l->n_params && same_floats(r->params, l->params, l->n_params), "adapter round trip is exact");
        KT_CHECK(r->desc.rank == 3 && r->desc.targets == d.targets && r->desc.use_rslora && r->scaling == l->scaling &&
                 !strcmp(r->base_model, "some/base"), "adapter config round trip");
        kgrl_lora_free(r);
    }
    // an adapter for another model shape is rejected, naming the tensor
    kgrl_model_config other = cfg;
    other.ffn_size = 32;
    r = kgrl_lora_load(dir, &other, &err);
    KT_CHECK(r == NULL && strstr(err.msg, "mlp.down_proj.lora_A.weight"), "adapter shape mismatch named: %s", r ? "loaded" : err.msg);
    kgrl_lora_free(r);
    char path[512];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    write_text(path, "{\"peft_type\": \"LORA\", \"r\": 3, \"lora_alpha\": 6, \"target_modules\": [\"q_proj\"], \"use_dora\": true}");
    r = kgrl_lora_load(dir, &cfg, &err);
    KT_CHECK(r == NULL && strstr(err.msg, "use_dora"), "DoRA rejected: %s", r ? "loaded" : err.msg);
    kgrl_lora_free(r);
    write_text(path, "{\"peft_type\": \"LORA\", \"r\": 3, \"lora_alpha\": 6, \"target_modules\": \".*proj\"}");
    r = kgrl_lora_load(dir, &cfg, &err);
    KT_CHECK(r == NULL && strstr(err.msg, "regular expression"), "regex targets rejected: %s", r ? "loaded" : err.msg);
    kgrl_lora_free(r);
    write_text(path, "{\"peft_type\": \"LORA\", \"r\": 3, \"lora_alpha\": 6, \"target_modules\": [\"q_proj\"]}");
    r = kgrl_lora_load(dir, &cfg, &err);
    KT_CHECK(r == NULL && strstr(err.msg, "unexpected adapter tensor"), "tensors of untargeted modules rejected: %s", r ? "loaded" : err.msg);
    kgrl_lora_free(r);
    kgrl_lora_free(l);
}

// Writes build/peft_from_kgrl/ for tests/oracles/peft_check_kgrl_adapter.py (run on a machine with
// transformers + peft): a kgrl-saved Qwen2 model (fp32 and bf16), a kgrl-saved adapter and kgrl's logits.
static void test_peft_export(void) {
    kgrl_err err;
    kgrl_model_config cfg = tiny_config(KGRL_FAMILY_QWEN2);
    cfg.vocab_size = 64; cfg.hidden_size = 32; cfg.head_dim = 8; cfg.ffn_size = 48; cfg.eos_token_id = 2; cfg.bos_token_id = 1;
    kgrl_model *m = kgrl_model_create(&cfg);
    randomize_model(m, 800);
    kgrl_lora_desc d;
    memset(&d, 0, sizeof d);
    d.rank = 4; d.alpha = 8; d.seed = 3; d.base_model = "build/peft_from_kgrl/base";
    kgrl_lora *l = kgrl_lora_create(&cfg, &d);
    fill_uniform(l->params, l->n_params, -0.3f, 0.3f, 801);
    const char *dir = "build/peft_from_kgrl";
    KT_CHECK(kgrl_model_save(m, "build/peft_from_kgrl/base", KGRL_DTYPE_F32, &err), "%s", err.msg);
    KT_CHECK(kgrl_model_save(m, "build/peft_from_kgrl/base_bf16", KGRL_DTYPE_BF16, &err), "%s", err.msg);
    KT_CHECK(kgrl_lora_save(l, "build/peft_from_kgrl/adapter", &err), "%s", err.msg);
    enum { B = 2, T = 10 };
    int64_t ids64[B * T], am64[B * T];
    int ids[B * T], am[B * T];
    for (int i = 0; i < B * T; i++) {
        am[i] = (i >= T && i < T + 4) ? 0 : 1;   // sequence 1 left-padded by 4
        ids[i] = am[i] ? 3 + (int)(kgrl_u32_at(9, 9, (uint64_t)i) % 61) : 0;
        ids64[i] = ids[i]; am64[i] = am[i];
    }
    size_t nl = (size_t)B * T * cfg.vocab_size;
    float *lb = (float *)kgrl_malloc(sizeof(float) * nl), *ll = (float *)kgrl_malloc(sizeof(float) * nl), *l16 = (float *)kgrl_malloc(sizeof(float) * nl);
    kgrl_model_acts *a = kgrl_model_acts_create(&cfg, l, B, T);
    kgrl_model_forward(m, NULL, a, ids, NULL, am, B, T);
    memcpy(lb, a->logits, sizeof(float) * nl);
    kgrl_model_forward(m, l, a, ids, NULL, am, B, T);
    memcpy(ll, a->logits, sizeof(float) * nl);
    kgrl_model *m16 = kgrl_model_load("build/peft_from_kgrl/base_bf16", &err);
    KT_CHECK(m16 != NULL, "%s", err.msg);
    if (m16) { kgrl_model_forward(m16, NULL, a, ids, NULL, am, B, T); memcpy(l16, a->logits, sizeof(float) * nl); kgrl_model_free(m16); }
    kgrl_tensor_view v[5];
    memset(v, 0, sizeof v);
    const char *names[5] = {"input_ids", "attention_mask", "logits_base", "logits_lora", "logits_bf16"};
    const void *data[5] = {ids64, am64, lb, ll, l16};
    for (int i = 0; i < 5; i++) {
        v[i].name = names[i];
        v[i].dtype = i < 2 ? KGRL_DTYPE_I64 : KGRL_DTYPE_F32;
        v[i].ndim = i < 2 ? 2 : 3;
        v[i].shape[0] = B; v[i].shape[1] = T; v[i].shape[2] = cfg.vocab_size;
        v[i].data = data[i];
        v[i].nbytes = i < 2 ? sizeof(int64_t) * B * T : sizeof(float) * nl;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/io.safetensors", dir);
    KT_CHECK(kgrl_st_write(path, v, 5, "{\"format\":\"pt\"}", &err), "%s", err.msg);
    // what peft will load is what kgrl reloads too
    kgrl_lora *r = kgrl_lora_load("build/peft_from_kgrl/adapter", &cfg, &err);
    KT_CHECK(r && same_floats(r->params, l->params, l->n_params), "adapter reloads: %s", r ? "" : err.msg);
    kgrl_lora_free(r);
    kgrl_free(lb); kgrl_free(ll); kgrl_free(l16);
    kgrl_model_acts_free(a); kgrl_lora_free(l); kgrl_model_free(m);
}

// ---------------------------------------------------------------------------------------------
// fixtures from tests/oracles/model_fixtures.py (transformers + peft + TRL's formulas, float64)

// KGRL_MODEL_FIXTURES overrides the directory (to try fixtures generated elsewhere)
static const char *fix_dir(void) {
    const char *e = getenv("KGRL_MODEL_FIXTURES");
    return (e && *e) ? e : "tests/fixtures/model";
}

typedef struct fixture {
    char dir[256];
    kgrl_model *m;
    kgrl_lora *lora;
    kgrl_safetensors *st;
    kgrl_json *meta;
} fixture;

static bool fixture_open(const char *family, fixture *f) {
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/%s", fix_dir(), family);
    char path[512];
    snprintf(path, sizeof path, "%s/golden.json", f->dir);
    if (!kgrl_file_exists(path)) return false;
    kgrl_err err;
    f->meta = kgrl_json_parse_file(path, &err);
    KT_CHECK(f->meta != NULL, "%s", err.msg);
    f->m = kgrl_model_load(f->dir, &err);
    KT_CHECK(f->m != NULL, "kgrl_model_load %s: %s", f->dir, err.msg);
    snprintf(path, sizeof path, "%s/adapter", f->dir);
    if (f->m) {
        f->lora = kgrl_lora_load(path, &f->m->cfg, &err);
        KT_CHECK(f->lora != NULL, "kgrl_lora_load (peft-saved) %s: %s", path, err.msg);
    }
    snprintf(path, sizeof path, "%s/golden.safetensors", f->dir);
    f->st = kgrl_st_open(path, &err);
    KT_CHECK(f->st != NULL, "%s", err.msg);
    return f->meta && f->m && f->lora && f->st;
}
static void fixture_close(fixture *f) {
    kgrl_json_free(f->meta); kgrl_model_free(f->m); kgrl_lora_free(f->lora); kgrl_st_close(f->st);
}
// A golden tensor as fp32 (ints converted); NULL (with a failed check) when absent.
static float *fixture_tensor(fixture *f, const char *name, size_t *n) {
    const kgrl_tensor_view *t = kgrl_st_find(f->st, name);
    KT_CHECK(t != NULL, "%s: golden tensor %s missing", f->dir, name);
    if (!t) return NULL;
    size_t cnt = (size_t)kgrl_tensor_numel(t);
    float *x = (float *)kgrl_malloc(sizeof(float) * (cnt ? cnt : 1));
    kgrl_tensor_to_f32(t, x);
    if (n) *n = cnt;
    return x;
}
static int *to_ints(const float *x, size_t n) {
    int *r = (int *)kgrl_malloc(sizeof(int) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) r[i] = (int)x[i];
    return r;
}

// Norm-wise relative error max|got - want| / max|want| over rows whose mask is set (mask NULL: all).
static double rel_err_rows(const float *got, const float *want, const int *mask, int rows, int width) {
    double md = 0.0, mw = 0.0;
    for (int r = 0; r < rows; r++) {
        if (mask && !mask[r]) continue;
        for (int i = 0; i < width; i++) {
            double d = fabs((double)got[(size_t)r * width + i] - want[(size_t)r * width + i]);
            if (d > md) md = d;
            if (fabs(want[(size_t)r * width + i]) > mw) mw = fabs(want[(size_t)r * width + i]);
        }
    }
    return mw > 0.0 ? md / mw : md;
}

// Compares every LoRA gradient with the golden "<prefix><peft name>" tensors; returns the worst error.
static double check_lora_tensors(fixture *f, const float *block, const char *prefix, double tol, const char *what) {
    double worst = 0.0;
    char name[256], key[300];
    for (int layer = 0; layer < f->lora->n_layers; layer++)
        for (int mod = 0; mod < KGRL_LORA_NMOD; mod++)
            for (int b = 0; b < 2; b++) {
                float *p = b ? kgrl_lora_B(f->lora, (float *)block, layer, mod) : kgrl_lora_A(f->lora, (float *)block, layer, mod);
                if (!p) continue;
                kgrl_lora_tensor_name(layer, mod, b != 0, name, sizeof name);
                snprintf(key, sizeof key, "%s%s", prefix, name);
                size_t n;
                float *want = fixture_tensor(f, key, &n);
                if (!want) continue;
                double e = rel_err_rows(p, want, NULL, 1, (int)n);
                if (e > worst) worst = e;
                KT_CHECK(e <= tol, "%s %s: rel err %.3g > %.0e", f->dir, key, e, tol);
                kgrl_free(want);
            }
    printf("  %s %s: max rel err %.3g\n", f->dir, what, worst);
    return worst;
}

static const char *FAMILIES[4] = {"qwen2", "qwen3", "llama3", "llama2"};

// fp32 logits against float64 transformers. Tolerance 1e-5 norm-wise (DESIGN §5): fp32 rounding
// through two layers of width 32-48 stays ~1e-6 of the largest logit; a wrong op is off by O(1).
static void test_fixture_logits(void) {
    int seen = 0;
    for (int fi = 0; fi < 4; fi++) {
        fixture f;
        if (!fixture_open(FAMILIES[fi], &f)) { fixture_close(&f); continue; }
        seen++;
        size_t n;
        float *ids_f = fixture_tensor(&f, "input_ids", &n), *am_f = fixture_tensor(&f, "attention_mask", NULL);
        float *lb = fixture_tensor(&f, "logits_base", NULL), *ll = fixture_tensor(&f, "logits_lora", NULL);
        if (ids_f && am_f && lb && ll) {
            int *ids = to_ints(ids_f, n), *am = to_ints(am_f, n);
            int B = (int)kgrl_json_int_or(f.meta, "B", 2), T = (int)kgrl_json_int_or(f.meta, "T", 12), V = f.m->cfg.vocab_size;
            kgrl_model_acts *a = kgrl_model_acts_create(&f.m->cfg, f.lora, B, T);
            kgrl_model_forward(f.m, NULL, a, ids, NULL, am, B, T);
            double e1 = rel_err_rows(a->logits, lb, am, B * T, V);
            kgrl_model_forward(f.m, f.lora, a, ids, NULL, am, B, T);
            double e2 = rel_err_rows(a->logits, ll, am, B * T, V);
            printf("  %s logits: base %.3g, peft adapter %.3g (max rel err)\n", FAMILIES[fi], e1, e2);
            KT_CHECK(e1 <= 1e-5, "%s base logits rel err %.3g", FAMILIES[fi], e1);
            KT_CHECK(e2 <= 1e-5, "%s LoRA logits rel err %.3g", FAMILIES[fi], e2);
            kgrl_model_acts_free(a);
            kgrl_free(ids); kgrl_free(am);
        }
        kgrl_free(ids_f); kgrl_free(am_f); kgrl_free(lb); kgrl_free(ll);
        fixture_close(&f);
    }
    if (!seen) kt_skip("no fixtures in tests/fixtures/model (run tests/oracles/model_fixtures.py on the GPU machine)");
}

// One SFT forward/backward of the fixture batch; returns the loss, LoRA grads in lg (zeroed first).
static double fixture_sft(fixture *f, kgrl_model_acts *a, const int *ids, const int *am, const float *cm, int B, int T, float *lg) {
    int N = B * T, V = f->m->cfg.vocab_size;
    int *targets = (int *)kgrl_malloc(sizeof(int) * N);
    float *tmask = (float *)kgrl_malloc(sizeof(float) * N * 4), *lp = tmask + N, *lse = lp + N, *dlp = lse + N;
    kgrl_shift_targets(targets, tmask, ids, cm, B, T);
    kgrl_model_forward(f->m, f->lora, a, ids, NULL, am, B, T);
    kgrl_logprobs_forward(lp, lse, a->logits, targets, 1.0f, N, V);
    double loss = kgrl_sft_loss(dlp, lp, tmask, N);
    memset(a->dlogits, 0, sizeof(float) * (size_t)N * V);
    kgrl_logprobs_backward(a->dlogits, dlp, a->logits, lse, targets, 1.0f, N, V);
    memset(lg, 0, sizeof(float) * f->lora->n_params);
    kgrl_model_backward(f->m, f->lora, a, NULL, lg);
    kgrl_free(targets); kgrl_free(tmask);
    return loss;
}

// SFT loss and every LoRA gradient (tolerance 1e-4 norm-wise per tensor, DESIGN §5: the fp32
// backward accumulates over B*T tokens and two layers), then three AdamW steps with clipping.
static void test_fixture_sft_adamw(void) {
    int seen = 0;
    for (int fi = 0; fi < 4; fi++) {
        fixture f;
        if (!fixture_open(FAMILIES[fi], &f)) { fixture_close(&f); continue; }
        seen++;
        size_t n;
        float *ids_f = fixture_tensor(&f, "input_ids", &n), *am_f = fixture_tensor(&f, "attention_mask", NULL);
        float *cm = fixture_tensor(&f, "completion_mask", NULL);
        if (ids_f && am_f && cm) {
            int *ids = to_ints(ids_f, n), *am = to_ints(am_f, n);
            int B = (int)kgrl_json_int_or(f.meta, "B", 2), T = (int)kgrl_json_int_or(f.meta, "T", 12);
            kgrl_model_acts *a = kgrl_model_acts_create(&f.m->cfg, f.lora, B, T);
            float *lg = (float *)kgrl_calloc(f.lora->n_params, sizeof(float));
            double loss = fixture_sft(&f, a, ids, am, cm, B, T, lg);
            double want = kgrl_json_number_or(f.meta, "sft_loss", NAN);
            printf("  %s sft loss %.9g (transformers %.9g)\n", FAMILIES[fi], loss, want);
            // a mean of O(1) log-probs in fp32 (double sums) against fp64: 1e-5 relative as the logits
            KT_CLOSE(loss, want, 0, 1e-5, "%s SFT loss", FAMILIES[fi]);
            check_lora_tensors(&f, lg, "grad.", 1e-4, "SFT LoRA gradients");
            // AdamW, 3 steps, clip_grad_norm_ first
            const kgrl_json *ad = kgrl_json_get(f.meta, "adamw");
            kgrl_adamw_desc d;
            memset(&d, 0, sizeof d);
            d.beta1 = (float)kgrl_json_number_or(ad, "beta1", 0.9); d.beta2 = (float)kgrl_json_number_or(ad, "beta2", 0.999);
            d.eps = (float)kgrl_json_number_or(ad, "eps", 1e-8); d.weight_decay = (float)kgrl_json_number_or(ad, "weight_decay", 0);
            float lr = (float)kgrl_json_number_or(ad, "lr", 0), max_norm = (float)kgrl_json_number_or(ad, "max_grad_norm", 0);
            const kgrl_json *losses = kgrl_json_get(ad, "losses"), *norms = kgrl_json_get(ad, "grad_norms");
            float *mom = (float *)kgrl_calloc(f.lora->n_params * 2, sizeof(float)), *vel = mom + f.lora->n_params;
            for (int s = 0; s < 3; s++) {
                double l = fixture_sft(&f, a, ids, am, cm, B, T, lg);
                float *blocks[1] = {lg};
                size_t counts[1] = {f.lora->n_params};
                double norm = kgrl_clip_grad_norm(blocks, counts, 1, max_norm);
                kgrl_adamw_step(&d, lr, s + 1, f.lora->params, lg, mom, vel, f.lora->n_params);
                // losses as the SFT loss (1e-5); the gradient norm as the gradients (1e-4)
                KT_CLOSE(l, kgrl_json_at(losses, s) ? kgrl_json_at(losses, s)->number : NAN, 0, 1e-5, "%s AdamW loss %d", FAMILIES[fi], s);
                KT_CLOSE(norm, kgrl_json_at(norms, s) ? kgrl_json_at(norms, s)->number : NAN, 0, 1e-4, "%s grad norm %d", FAMILIES[fi], s);
            }
            // params move by ~lr per step; fp32 vs fp64 state agrees to ~1e-6 of the params
            check_lora_tensors(&f, f.lora->params, "adamw.", 1e-4, "LoRA params after 3 AdamW steps");
            kgrl_free(mom); kgrl_free(lg);
            kgrl_model_acts_free(a);
            kgrl_free(ids); kgrl_free(am);
        }
        kgrl_free(ids_f); kgrl_free(am_f); kgrl_free(cm);
        fixture_close(&f);
    }
    if (!seen) kt_skip("no fixtures in tests/fixtures/model (run tests/oracles/model_fixtures.py on the GPU machine)");
}

static kgrl_grpo_loss_type loss_type_of(const char *s) {
    if (!strcmp(s, "grpo")) return KGRL_GRPO_LOSS_GRPO;
    if (!strcmp(s, "bnpo")) return KGRL_GRPO_LOSS_BNPO;
    if (!strcmp(s, "dr_grpo")) return KGRL_GRPO_LOSS_DR_GRPO;
    return KGRL_GRPO_LOSS_DAPO;
}
static kgrl_grpo_scale scale_of(const char *s) {
    if (!strcmp(s, "batch")) return KGRL_GRPO_SCALE_BATCH;
    if (!strcmp(s, "none")) return KGRL_GRPO_SCALE_NONE;
    return KGRL_GRPO_SCALE_GROUP;
}

// Per-token logprobs (S, CL) of the completion tokens; logits of the last forward in a.
static void completion_logps(kgrl_model_acts *a, const int *ids, int S, int T, int P, float temp, int V, float *out,
                             float *lse_full, int *targets) {
    int N = S * T;
    float *lp = (float *)kgrl_malloc(sizeof(float) * N);
    kgrl_shift_targets(targets, NULL, ids, NULL, S, T);
    kgrl_logprobs_forward(lp, lse_full, a->logits, targets, temp, N, V);
    for (int s = 0; s < S; s++) for (int c = 0; c < T - P; c++) out[s * (T - P) + c] = lp[s * T + P - 1 + c];
    kgrl_free(lp);
}

static void test_fixture_grpo(void) {
    fixture f;
    if (!fixture_open("qwen2", &f) || !kgrl_json_get(f.meta, "grpo")) {
        fixture_close(&f);
        kt_skip("no GRPO fixture in tests/fixtures/model/qwen2 (run tests/oracles/model_fixtures.py on the GPU machine)");
        return;
    }
    const kgrl_json *g = kgrl_json_get(f.meta, "grpo");
    int S = (int)kgrl_json_int_or(g, "n_seq", 4), P = (int)kgrl_json_int_or(g, "prompt_len", 5), CL = (int)kgrl_json_int_or(g, "completion_len", 7);
    int T = P + CL, V = f.m->cfg.vocab_size, N = S * T;
    size_t n;
    float *ids_f = fixture_tensor(&f, "grpo.input_ids", &n), *am_f = fixture_tensor(&f, "grpo.attention_mask", NULL);
    float *cm = fixture_tensor(&f, "grpo.completion_mask", NULL), *rewards = fixture_tensor(&f, "grpo.rewards", NULL);
    float *trunc_f = fixture_tensor(&f, "grpo.truncated", NULL), *old = fixture_tensor(&f, "grpo.old_logp", NULL);
    float *ref_want = fixture_tensor(&f, "grpo.ref_logp", NULL), *logp_want = fixture_tensor(&f, "grpo.logp", NULL);
    if (ids_f && am_f && cm && rewards && trunc_f && old && ref_want && logp_want) {
        int *ids = to_ints(ids_f, n), *am = to_ints(am_f, n), *targets = (int *)kgrl_malloc(sizeof(int) * N);
        bool trunc[16];
        for (int s = 0; s < S; s++) trunc[s] = trunc_f[s] != 0.0f;
        kgrl_model_acts *a = kgrl_model_acts_create(&f.m->cfg, f.lora, S, T);
        float *ref = (float *)kgrl_malloc(sizeof(float) * S * CL), *logp = (float *)kgrl_malloc(sizeof(float) * S * CL);
        float *dlogp = (float *)kgrl_malloc(sizeof(float) * S * CL), *dlp_full = (float *)kgrl_malloc(sizeof(float) * N);
        float *lse = (float *)kgrl_malloc(sizeof(float) * N), *adv = (float *)kgrl_malloc(sizeof(float) * S);
        float *lg = (float *)kgrl_calloc(f.lora->n_params, sizeof(float));
        const kgrl_json *combos = kgrl_json_get(g, "combos");
        float temp = (float)kgrl_json_number_or(kgrl_json_at(combos, 0), "temperature", 1.0);
        // the reference model is the base model: LoRA disabled
        kgrl_model_forward(f.m, NULL, a, ids, NULL, am, S, T);
        completion_logps(a, ids, S, T, P, temp, V, ref, lse, targets);
        double e_ref = 0.0;
        for (int ci = 0; combos && ci < combos->count; ci++) {
            const kgrl_json *c = kgrl_json_at(combos, ci);
            const char *cname = kgrl_json_string_or(c, "name", "?");
            kgrl_grpo_desc d;
            memset(&d, 0, sizeof d);
            d.group_size = (int)kgrl_json_int_or(c, "group_size", 2);
            d.loss_type = loss_type_of(kgrl_json_string_or(c, "loss_type", "dapo"));
            d.scale_rewards = scale_of(kgrl_json_string_or(c, "scale_rewards", "group"));
            d.epsilon_low = (float)kgrl_json_number_or(c, "epsilon_low", 0.2);
            d.epsilon_high = (float)kgrl_json_number_or(c, "epsilon_high", 0.2);
            d.beta = (float)kgrl_json_number_or(c, "beta", 0.0);
            d.delta = (float)kgrl_json_number_or(c, "delta", 0.0);
            d.max_completion_length = (int)kgrl_json_int_or(c, "max_completion_length", CL);
            d.mask_truncated_completions = kgrl_json_bool_or(c, "mask_truncated_completions", false);
            d.skip_zero_variance_groups = kgrl_json_bool_or(c, "skip_zero_variance_groups", false);
            bool std_zero[16];
            kgrl_grpo_advantages(&d, rewards, S, adv, std_zero);
            char key[64];
            snprintf(key, sizeof key, "grpo.%s.adv", cname);
            float *adv_want = fixture_tensor(&f, key, NULL);
            // advantages: fp32 rewards through mean/std in double, rounded once: 1e-6
            for (int s = 0; adv_want && s < S; s++) KT_CLOSE(adv[s], adv_want[s], 1e-6, 1e-6, "%s advantage %d", cname, s);
            kgrl_free(adv_want);
            kgrl_model_forward(f.m, f.lora, a, ids, NULL, am, S, T);
            completion_logps(a, ids, S, T, P, temp, V, logp, lse, targets);
            if (ci == 0) {
                // completion tokens only: logits of padding after EOS differ by design (kgrl's padding
                // queries attend nowhere, eager attention's attend to the real tokens) and are masked
                int *cmi = (int *)kgrl_malloc(sizeof(int) * S * CL);
                for (int i = 0; i < S * CL; i++) cmi[i] = cm[i] != 0.0f;
                double e_lp = rel_err_rows(logp, logp_want, cmi, S * CL, 1);
                e_ref = rel_err_rows(ref, ref_want, cmi, S * CL, 1);
                kgrl_free(cmi);
                printf("  GRPO logprobs: policy %.3g, reference %.3g (max rel err)\n", e_lp, e_ref);
                KT_CHECK(e_lp <= 1e-5 && e_ref <= 1e-5, "GRPO logprobs rel err %.3g / %.3g", e_lp, e_ref);
            }
            kgrl_grpo_stats st;
            double loss = kgrl_grpo_loss(&d, logp, old, ref, cm, adv, trunc, std_zero, S, CL,
                                         kgrl_json_number_or(c, "num_items_in_batch", 0), dlogp, &st);
            double want = kgrl_json_number_or(c, "loss", NAN);
            printf("  GRPO %s (%s): loss %.9g (TRL formulas %.9g), clip %.3f\n", cname, kgrl_json_string_or(c, "loss_type", "?"), loss, want, st.clip_region);
            // a weighted mean (weights sum <= 1) of per-token terms A * ratio + beta * kl with |A|, ratio
            // <= ~1.5; fp32 logprobs (logits up to ~6, ~5e-7 relative error) are off by ~3e-6, so each
            // term by <= ~7e-6: 2e-5 absolute (the advantages cancel, so the loss itself can be small)
            KT_CLOSE(loss, want, 2e-5, 1e-5, "GRPO %s loss", cname);
            memset(dlp_full, 0, sizeof(float) * N);
            for (int s = 0; s < S; s++) for (int cc = 0; cc < CL; cc++) dlp_full[s * T + P - 1 + cc] = dlogp[s * CL + cc];
            memset(a->dlogits, 0, sizeof(float) * (size_t)N * V);
            kgrl_logprobs_backward(a->dlogits, dlp_full, a->logits, lse, targets, temp, N, V);
            memset(lg, 0, sizeof(float) * f.lora->n_params);
            kgrl_model_backward(f.m, f.lora, a, NULL, lg);
            snprintf(key, sizeof key, "grpo.%s.grad.", cname);
            check_lora_tensors(&f, lg, key, 1e-4, cname);
        }
        kgrl_free(ref); kgrl_free(logp); kgrl_free(dlogp); kgrl_free(dlp_full); kgrl_free(lse); kgrl_free(adv); kgrl_free(lg);
        kgrl_model_acts_free(a);
        kgrl_free(ids); kgrl_free(am); kgrl_free(targets);
    }
    kgrl_free(ids_f); kgrl_free(am_f); kgrl_free(cm); kgrl_free(rewards); kgrl_free(trunc_f); kgrl_free(old);
    kgrl_free(ref_want); kgrl_free(logp_want);
    fixture_close(&f);
}

// Greedy decoding with the KV cache reproduces transformers' generate (the oracle picked a prompt
// whose top-1/top-2 logit gap is > 1e-3 at every step, far above fp32 error).
static void test_fixture_greedy(void) {
    fixture f;
    if (!fixture_open("qwen2", &f) || !kgrl_json_get(f.meta, "greedy")) {
        fixture_close(&f);
        kt_skip("no greedy fixture in tests/fixtures/model/qwen2 (run tests/oracles/model_fixtures.py on the GPU machine)");
        return;
    }
    const kgrl_json *g = kgrl_json_get(f.meta, "greedy");
    const kgrl_json *prompt = kgrl_json_get(g, "prompt"), *want = kgrl_json_get(g, "tokens");
    int P = prompt ? prompt->count : 0, NT = want ? want->count : 0;
    KT_CHECK(P > 0 && NT > 0, "greedy fixture has a prompt and tokens");
    if (P > 0 && NT > 0) {
        int V = f.m->cfg.vocab_size;
        kgrl_model_acts *a = kgrl_model_acts_create(&f.m->cfg, NULL, 1, P + NT);
        int *toks = (int *)kgrl_malloc(sizeof(int) * (size_t)(P + NT));
        for (int i = 0; i < P; i++) toks[i] = (int)kgrl_json_at(prompt, i)->number;
        kgrl_model_acts_reset(a);
        kgrl_model_decode(f.m, NULL, a, toks, NULL, NULL, 1, P);
        const float *row = a->logits + (size_t)(P - 1) * V;
        int match = 0;
        for (int i = 0; i < NT; i++) {
            int best = 0;
            for (int v = 1; v < V; v++) if (row[v] > row[best]) best = v;
            int w = (int)kgrl_json_at(want, i)->number;
            KT_CHECK(best == w, "greedy token %d: kgrl %d, transformers %d", i, best, w);
            match += best == w;
            toks[P + i] = best;
            kgrl_model_decode(f.m, NULL, a, &toks[P + i], NULL, NULL, 1, 1);
            row = a->logits;
        }
        printf("  greedy decode: %d of %d tokens match generate\n", match, NT);
        kgrl_free(toks);
        kgrl_model_acts_free(a);
    }
    fixture_close(&f);
}

int main(void) {
    KT_RUN(test_matmul_backward);
    KT_RUN(test_rmsnorm);
    KT_RUN(test_lora_op);
    KT_RUN(test_rope);
    KT_RUN(test_attention);
    KT_RUN(test_swiglu_embedding);
    KT_RUN(test_lora_init_and_config);
    KT_RUN(test_model_backward_fd);
    KT_RUN(test_lora_dropout_model);
    KT_RUN(test_kv_cache_decode);
    KT_RUN(test_batch_independence);
    KT_RUN(test_checkpoint_roundtrip);
    KT_RUN(test_checkpoint_sharded_f16);
    KT_RUN(test_checkpoint_errors);
    KT_RUN(test_lora_io);
    KT_RUN(test_peft_export);
    KT_RUN(test_fixture_logits);
    KT_RUN(test_fixture_sft_adamw);
    KT_RUN(test_fixture_grpo);
    KT_RUN(test_fixture_greedy);
    printf("finite differences: worst error / tolerance = %.3f\n", fd_worst_ratio);
    return kt_finish();
}
