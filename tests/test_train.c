// test_train: training math of src/13_train.h against hand-computed values and finite differences:
// log-softmax/gather and its backward, the SFT loss, GRPO advantages and every loss option, AdamW,
// clip_grad_norm_ and the LR schedules. (Model-level fixtures from transformers/TRL are in test_model.)
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

static void fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * kgrl_uniform_at(seed, 99, i);
}

static void test_logprobs(void) {
    enum { N = 3, V = 7 };
    float logits[N * V], lp[N], lse[N];
    fill_uniform(logits, N * V, -3, 3, 1);
    int targets[N] = {0, 6, 3};
    for (int ti = 0; ti < 2; ti++) {
        float temp = ti ? 0.7f : 1.0f;
        kgrl_logprobs_forward(lp, lse, logits, targets, temp, N, V);
        for (int n = 0; n < N; n++) {
            double s = 0.0;
            for (int v = 0; v < V; v++) s += exp((double)logits[n * V + v] / temp);
            // fp32 logits / T and log: a few ulps of values O(1-10)
            KT_CLOSE(lp[n], logits[n * V + targets[n]] / temp - log(s), 1e-5, 1e-6, "log_softmax gather (T=%g)", (double)temp);
        }
        // backward against central differences of sum(w * lp): step 1e-2 on O(1) logits; truncation
        // h^2/6 * (third derivative, <= ~3 with 1/T^3) ~ 5e-5; fp32 rounding of lp ~2.4e-7 / 2e-2 per
        // term -> 5e-4 absolute + 1e-3 relative
        float w[N] = {0.3f, -1.2f, 0.8f}, dlog[N * V];
        memset(dlog, 0, sizeof dlog);
        kgrl_logprobs_backward(dlog, w, logits, lse, targets, temp, N, V);
        for (int i = 0; i < N * V; i++) {
            float keep = logits[i];
            double lpp = 0.0, lpm = 0.0;
            logits[i] = keep + 1e-2f; kgrl_logprobs_forward(lp, lse, logits, targets, temp, N, V);
            for (int n = 0; n < N; n++) lpp += w[n] * lp[n];
            logits[i] = keep - 1e-2f; kgrl_logprobs_forward(lp, lse, logits, targets, temp, N, V);
            for (int n = 0; n < N; n++) lpm += w[n] * lp[n];
            logits[i] = keep;
            KT_CLOSE(dlog[i], (lpp - lpm) / 2e-2, 5e-4, 1e-3, "dlogits[%d] (T=%g)", i, (double)temp);
        }
        kgrl_logprobs_forward(lp, lse, logits, targets, temp, N, V);
    }
}

static void test_sft_loss_and_shift(void) {
    int tokens[2 * 4] = {10, 11, 12, 13, 20, 21, 22, 23};
    float cmask[2 * 4] = {0, 0, 1, 1, 0, 1, 1, 0};
    int targets[8]; float tmask[8];
    kgrl_shift_targets(targets, tmask, tokens, cmask, 2, 4);
    KT_CHECK(targets[0] == 11 && targets[2] == 13 && targets[3] == 0 && targets[4] == 21, "targets are the next tokens");
    float want_m[8] = {0, 1, 1, 0, 1, 1, 0, 0};
    for (int i = 0; i < 8; i++) KT_CHECK(tmask[i] == want_m[i], "tmask[%d] = %g, want %g", i, (double)tmask[i], (double)want_m[i]);
    float lp[8] = {-1, -2, -3, -4, -0.5f, -1.5f, -9, -9}, dlp[8];
    double loss = kgrl_sft_loss(dlp, lp, tmask, 8);
    KT_CLOSE(loss, (2 + 3 + 0.5 + 1.5) / 4.0, 1e-12, 0, "mean NLL over the 4 completion targets");
    KT_CLOSE(dlp[1], -0.25, 0, 0, "dlp of a masked-in token");
    KT_CLOSE(dlp[0], 0.0, 0, 0, "dlp of a masked-out token");
    float none[8] = {0};
    KT_CLOSE(kgrl_sft_loss(dlp, lp, none, 8), 0.0, 0, 0, "empty mask: loss 0");
}

static void test_grpo_advantages(void) {
    float r[4] = {1.0f, 0.0f, 0.5f, 0.5f}, adv[4];
    bool z[4];
    kgrl_grpo_desc d;
    memset(&d, 0, sizeof d);
    d.group_size = 2;
    int zg = kgrl_grpo_advantages(&d, r, 4, adv, z);
    // group std is unbiased: std([1, 0]) = 0.70711; adv = 0.5 / (0.70711 + 1e-4)
    KT_CLOSE(adv[0], 0.7070067953266834, 1e-7, 1e-6, "group-scaled advantage");
    KT_CLOSE(adv[1], -0.7070067953266834, 1e-7, 1e-6, "group-scaled advantage");
    KT_CHECK(adv[2] == 0.0f && adv[3] == 0.0f, "zero-variance group: advantage 0");
    KT_CHECK(zg == 1 && !z[0] && !z[1] && z[2] && z[3], "one zero-std group reported (%d)", zg);
    d.scale_rewards = KGRL_GRPO_SCALE_BATCH;
    zg = kgrl_grpo_advantages(&d, r, 4, adv, z);
    // batch std (unbiased) of [1, 0, .5, .5] = 0.40825; the mean is still the group's
    KT_CLOSE(adv[0], 1.2244449448582857, 1e-7, 1e-6, "batch-scaled advantage");
    KT_CHECK(zg == 1 && !z[2], "batch scaling: std_zero follows the batch std, the count the group std");
    d.scale_rewards = KGRL_GRPO_SCALE_NONE;
    kgrl_grpo_advantages(&d, r, 4, adv, z);
    KT_CLOSE(adv[0], 0.5, 0, 0, "unscaled advantage");
    KT_CLOSE(adv[1], -0.5, 0, 0, "unscaled advantage");
}

// Two sequences of T = 3: logp, mask and advantages of the hand computations below.
static const float G_LOGP[6] = {-1.0f, -2.0f, -0.5f, -1.5f, -0.7f, -3.0f};
static const float G_MASK[6] = {1, 1, 0, 1, 1, 1};
static const float G_ADV[2] = {1.0f, -0.5f};

static double grpo(kgrl_grpo_loss_type type, float beta, const float *old, const float *ref, float *dlp,
                   kgrl_grpo_stats *st, double num_items, int max_len) {
    kgrl_grpo_desc d;
    memset(&d, 0, sizeof d);
    d.group_size = 2; d.loss_type = type; d.beta = beta; d.max_completion_length = max_len;
    return kgrl_grpo_loss(&d, G_LOGP, old, ref, G_MASK, G_ADV, NULL, NULL, 2, 3, num_items, dlp, st);
}

static void test_grpo_aggregations(void) {
    float dlp[6];
    kgrl_grpo_stats st;
    // ratio 1 (old = logp): per-token loss = -A. Sums: seq0 -1 * 2 tokens, seq1 +0.5 * 3 tokens
    KT_CLOSE(grpo(KGRL_GRPO_LOSS_GRPO, 0, NULL, NULL, dlp, &st, 0, 0), (-1.0 + 0.5) / 2, 1e-12, 0, "grpo: token mean, then mean");
    KT_CLOSE(dlp[0], -1.0 / (2 * 2), 1e-7, 0, "grpo gradient, sequence 0");
    KT_CLOSE(dlp[3], 0.5 / (3 * 2), 1e-7, 0, "grpo gradient, sequence 1");
    KT_CHECK(dlp[2] == 0.0f, "masked token: no gradient");
    KT_CLOSE(grpo(KGRL_GRPO_LOSS_BNPO, 0, NULL, NULL, dlp, &st, 0, 0), -0.5 / 5, 1e-12, 0, "bnpo: sum / active tokens");
    KT_CLOSE(dlp[0], -1.0 / 5, 1e-7, 0, "bnpo gradient");
    KT_CLOSE(grpo(KGRL_GRPO_LOSS_DR_GRPO, 0, NULL, NULL, dlp, &st, 0, 4), -0.5 / (2 * 4), 1e-12, 0, "dr_grpo: sum / (B * max_len)");
    KT_CLOSE(grpo(KGRL_GRPO_LOSS_DAPO, 0, NULL, NULL, dlp, &st, 10, 0), -0.5 / 10, 1e-12, 0, "dapo: sum / num_items_in_batch");
    KT_CLOSE(grpo(KGRL_GRPO_LOSS_DEFAULT, 0, NULL, NULL, dlp, &st, 0, 0), -0.5 / 5, 1e-12, 0, "default is dapo over local tokens");
    KT_CLOSE(st.active_tokens, 5, 0, 0, "active tokens");
    // KL (k3) against ref = logp + 0.1: kl = e^0.1 - 0.1 - 1 on every token
    float ref[6];
    for (int i = 0; i < 6; i++) ref[i] = G_LOGP[i] + 0.1f;
    double kl = exp(0.1) - 0.1 - 1.0;
    double loss = grpo(KGRL_GRPO_LOSS_BNPO, 0.5f, NULL, ref, dlp, &st, 0, 0);
    // ref - logp is 0.1 only up to fp32 rounding of the inputs (~1e-7 relative): 1e-7 absolute
    KT_CLOSE(loss, -0.1 + 0.5 * kl, 1e-7, 0, "bnpo with beta: + beta * mean kl");
    KT_CLOSE(st.kl_mean, kl, 1e-7, 0, "kl metric");
    KT_CLOSE(dlp[0], (-1.0 + 0.5 * (1.0 - exp(0.1))) / 5, 1e-7, 0, "kl gradient: beta (1 - e^(ref - logp))");
}

static void test_grpo_clipping(void) {
    float old[6], dlp[6];
    kgrl_grpo_stats st;
    kgrl_grpo_desc d;
    memset(&d, 0, sizeof d);
    d.group_size = 2; d.loss_type = KGRL_GRPO_LOSS_BNPO; d.epsilon_low = 0.2f; d.epsilon_high = 0.28f;
    memcpy(old, G_LOGP, sizeof old);
    old[0] = G_LOGP[0] - 0.5f;   // seq0 (A > 0), ratio e^0.5 = 1.65 > 1.28: clipped (high), no gradient
    old[1] = G_LOGP[1] + 0.5f;   // seq0 (A > 0), ratio e^-0.5 = 0.61: min keeps the ratio, gradient flows
    old[3] = G_LOGP[3] + 0.5f;   // seq1 (A < 0), ratio 0.61 < 0.8: clipped (low), no gradient
    old[4] = G_LOGP[4] - 0.1f;   // seq1 (A < 0), ratio 1.105 inside: gradient -A * ratio
    double loss = kgrl_grpo_loss(&d, G_LOGP, old, NULL, G_MASK, G_ADV, NULL, NULL, 2, 3, 0, dlp, &st);
    double r0 = 1.28, r1 = exp(-0.5), r3 = 0.8, r4 = exp(0.1), r5 = 1.0;
    double want = (-(1.0 * r0) - (1.0 * r1) + 0.5 * r3 + 0.5 * r4 + 0.5 * r5) / 5;
    // the ratios come from fp32 logprob differences (~1e-7 relative)
    KT_CLOSE(loss, want, 1e-6, 0, "clipped surrogate");
    KT_CHECK(dlp[0] == 0.0f && dlp[3] == 0.0f, "clipped tokens carry no gradient (%g, %g)", (double)dlp[0], (double)dlp[3]);
    KT_CLOSE(dlp[1], -1.0 * exp(-0.5) / 5, 1e-7, 1e-6, "pessimistic side keeps the ratio's gradient");
    KT_CLOSE(dlp[4], 0.5 * exp(0.1) / 5, 1e-7, 1e-6, "inside the clip range");
    KT_CLOSE(st.clip_high, 1.0 / 5, 1e-12, 0, "one high-clipped token");
    KT_CLOSE(st.clip_low, 1.0 / 5, 1e-12, 0, "one low-clipped token");
    KT_CLOSE(st.clip_region, 2.0 / 5, 1e-12, 0, "two clipped tokens");
    // two-sided clipping (delta): seq1 token 4 (A < 0) with ratio e^0.6 = 1.82 above 1 + eps_high.
    // Without delta the unclipped side -A * 1.82 is the max and its gradient flows; with delta 1.5
    // the ratio is capped: loss -A * 1.5 and no gradient
    old[4] = G_LOGP[4] - 0.6f;
    double base = -(1.0 * r0) - (1.0 * r1) + 0.5 * r3 + 0.5 * r5;
    loss = kgrl_grpo_loss(&d, G_LOGP, old, NULL, G_MASK, G_ADV, NULL, NULL, 2, 3, 0, dlp, &st);
    KT_CLOSE(loss, (base + 0.5 * exp(0.6)) / 5, 1e-6, 0, "large ratio, negative advantage, no delta");
    KT_CLOSE(dlp[4], 0.5 * exp(0.6) / 5, 1e-7, 1e-6, "its gradient flows");
    d.delta = 1.5f;
    loss = kgrl_grpo_loss(&d, G_LOGP, old, NULL, G_MASK, G_ADV, NULL, NULL, 2, 3, 0, dlp, &st);
    KT_CLOSE(loss, (base + 0.5 * 1.5) / 5, 1e-6, 0, "delta caps the ratio");
    KT_CHECK(dlp[4] == 0.0f, "capped ratio: no gradient (%g)", (double)dlp[4]);
}

static void test_grpo_masks(void) {
    float dlp[6];
    kgrl_grpo_stats st;
    kgrl_grpo_desc d;
    memset(&d, 0, sizeof d);
    d.group_size = 2; d.loss_type = KGRL_GRPO_LOSS_BNPO;
    bool trunc[2] = {true, false}, zero[2] = {false, true};
    double loss = kgrl_grpo_loss(&d, G_LOGP, NULL, NULL, G_MASK, G_ADV, trunc, zero, 2, 3, 0, dlp, &st);
    KT_CLOSE(loss, -0.5 / 5, 1e-12, 0, "options off: masks ignored");
    d.mask_truncated_completions = true;
    loss = kgrl_grpo_loss(&d, G_LOGP, NULL, NULL, G_MASK, G_ADV, trunc, zero, 2, 3, 0, dlp, &st);
    KT_CLOSE(loss, 1.5 / 3, 1e-12, 0, "truncated sequence masked out");
    KT_CHECK(dlp[0] == 0.0f && dlp[1] == 0.0f && st.masked_truncated == 1 && st.active_tokens == 3, "truncation mask");
    d.mask_truncated_completions = false; d.skip_zero_variance_groups = true;
    loss = kgrl_grpo_loss(&d, G_LOGP, NULL, NULL, G_MASK, G_ADV, trunc, zero, 2, 3, 0, dlp, &st);
    KT_CLOSE(loss, -2.0 / 2, 1e-12, 0, "zero-variance sequence skipped");
    KT_CHECK(dlp[3] == 0.0f && st.masked_zero_std == 1, "zero-variance skip");
}

// The gradient against central differences of the loss for every option combination, with random
// logprobs away from the clip boundaries (step 1e-3; the loss is smooth there; double loss of fp32
// inputs: error ~1e-7/1e-3 -> 2e-4 absolute + 1e-3 relative).
static void test_grpo_gradient_fd(void) {
    enum { S = 4, T = 5 };
    float logp[S * T], old[S * T], ref[S * T], mask[S * T], adv[S] = {1.3f, -0.4f, 0.7f, -1.6f}, dlp[S * T];
    fill_uniform(logp, S * T, -3, -0.1f, 7);
    fill_uniform(ref, S * T, -3, -0.1f, 8);
    for (int i = 0; i < S * T; i++) {
        float u = kgrl_uniform_at(9, 1, (uint64_t)i);
        // |log ratio| in [0, 0.1] or [0.3, 0.6]: never within 0.04 of log(1 +- 0.2), log(1.28)
        float mag = u < 0.5f ? 0.1f * u * 2 : 0.3f + 0.3f * (u - 0.5f) * 2;
        old[i] = logp[i] - ((i % 3) ? mag : -mag);
        mask[i] = (i % T) < 3 + (i / T) % 2 ? 1.0f : 0.0f;
    }
    kgrl_grpo_loss_type types[4] = {KGRL_GRPO_LOSS_GRPO, KGRL_GRPO_LOSS_BNPO, KGRL_GRPO_LOSS_DR_GRPO, KGRL_GRPO_LOSS_DAPO};
    for (int ti = 0; ti < 4; ti++) for (int bi = 0; bi < 2; bi++) {
        kgrl_grpo_desc d;
        memset(&d, 0, sizeof d);
        d.group_size = 2; d.loss_type = types[ti]; d.beta = bi ? 0.04f : 0.0f;
        d.epsilon_low = 0.2f; d.epsilon_high = 0.28f; d.max_completion_length = 6;
        kgrl_grpo_loss(&d, logp, old, ref, mask, adv, NULL, NULL, S, T, 37, dlp, NULL);
        for (int i = 0; i < S * T; i++) {
            float keep = logp[i];
            logp[i] = keep + 1e-3f; double lp = kgrl_grpo_loss(&d, logp, old, ref, mask, adv, NULL, NULL, S, T, 37, NULL, NULL);
            logp[i] = keep - 1e-3f; double lm = kgrl_grpo_loss(&d, logp, old, ref, mask, adv, NULL, NULL, S, T, 37, NULL, NULL);
            logp[i] = keep;
            KT_CLOSE(dlp[i], (lp - lm) / 2e-3, 2e-4, 1e-3, "loss %d beta %d: dlogp[%d]", ti, bi, i);
        }
    }
}

static void test_adamw(void) {
    // hand computation of torch.optim.AdamW(lr=0.1, weight_decay=0.01) on one parameter (python, double)
    float p = 1.0f, m = 0.0f, v = 0.0f;
    float g[3] = {0.5f, -0.25f, 0.125f};
    double want[3] = {0.899000002, 0.8714672987058463, 0.8365529176159483};
    kgrl_adamw_desc d;
    memset(&d, 0, sizeof d);
    d.weight_decay = 0.01f;
    for (int s = 0; s < 3; s++) {
        kgrl_adamw_step(&d, 0.1f, s + 1, &p, &g[s], &m, &v, 1);
        // fp32 state vs the double hand computation: a few ulps of O(1) values
        KT_CLOSE(p, want[s], 1e-6, 0, "AdamW step %d", s + 1);
    }
}

static void test_clip_and_lr(void) {
    float a[2] = {3, 4}, b[1] = {12};
    float *grads[2] = {a, b};
    size_t n[2] = {2, 1};
    double norm = kgrl_clip_grad_norm(grads, n, 2, 100.0f);
    KT_CLOSE(norm, 13.0, 1e-12, 0, "total L2 norm over blocks");
    KT_CHECK(a[0] == 3 && b[0] == 12, "below max_norm: untouched");
    norm = kgrl_clip_grad_norm(grads, n, 2, 1.0f);
    KT_CLOSE(norm, 13.0, 1e-12, 0, "norm before clipping");
    KT_CLOSE(a[1], 4.0 / (13.0 + 1e-6), 1e-7, 0, "scaled by max_norm / (norm + 1e-6)");
    KT_CLOSE(b[0], 12.0 / (13.0 + 1e-6), 1e-7, 0, "every block scaled");
    kgrl_lr_desc lr = {KGRL_LR_CONSTANT, 1.0f, 0, 10};
    KT_CLOSE(kgrl_lr_at(&lr, 7), 1.0, 0, 0, "constant");
    lr.warmup_steps = 4;
    KT_CLOSE(kgrl_lr_at(&lr, 0), 0.0, 0, 0, "warmup starts at 0 (transformers' LambdaLR)");
    KT_CLOSE(kgrl_lr_at(&lr, 1), 0.25, 0, 0, "constant with warmup");
    KT_CLOSE(kgrl_lr_at(&lr, 5), 1.0, 0, 0, "constant after warmup");
    lr.schedule = KGRL_LR_LINEAR;
    KT_CLOSE(kgrl_lr_at(&lr, 2), 0.5, 0, 0, "linear warmup");
    KT_CLOSE(kgrl_lr_at(&lr, 7), 3.0 / 6.0, 1e-7, 0, "linear decay (10 - 7) / (10 - 4)");
    KT_CLOSE(kgrl_lr_at(&lr, 12), 0.0, 0, 0, "linear past the end");
    lr.schedule = KGRL_LR_COSINE;
    KT_CLOSE(kgrl_lr_at(&lr, 7), 0.5 * (1 + cos(M_PI * 3.0 / 6.0)), 1e-7, 0, "cosine");
    KT_CLOSE(kgrl_lr_at(&lr, 4), 1.0, 1e-7, 0, "cosine starts at lr");
    KT_CLOSE(kgrl_lr_at(&lr, 10), 0.0, 1e-7, 0, "cosine ends at 0");
}

int main(void) {
    KT_RUN(test_logprobs);
    KT_RUN(test_sft_loss_and_shift);
    KT_RUN(test_grpo_advantages);
    KT_RUN(test_grpo_aggregations);
    KT_RUN(test_grpo_clipping);
    KT_RUN(test_grpo_masks);
    KT_RUN(test_grpo_gradient_fd);
    KT_RUN(test_adamw);
    KT_RUN(test_clip_and_lr);
    return kt_finish();
}
