// Training math, CPU reference: token log-probabilities (log-softmax and gather), the SFT loss on
// completion tokens, the GRPO objective of TRL's GRPOTrainer with its options and its gradient,
// AdamW with PyTorch's semantics, clip_grad_norm_, and LR schedules as transformers' get_scheduler.
//
// The chain for one step: kgrl_model_forward -> kgrl_logprobs_forward (per-token logp) -> loss
// (kgrl_sft_loss or kgrl_grpo_loss: loss and dloss/dlogp) -> kgrl_logprobs_backward (into
// a->dlogits) -> kgrl_model_backward -> kgrl_clip_grad_norm -> kgrl_adamw_step. Targets are the
// next tokens: position t of a row predicts token t+1 (kgrl_shift_targets).

// ---------------------------------------------------------------------------------------------
// Token log-probabilities
// targets (B, T) = tokens shifted left by one; tmask (B, T) = completion_mask shifted the same way
// (the last position predicts nothing: target 0, mask 0). completion_mask marks completion tokens.
KGRL_API void kgrl_shift_targets(int *targets, float *tmask, const int *tokens, const float *completion_mask, int B, int T);
// lp (N) = log_softmax(logits / temperature)[targets]; lse (N) = logsumexp(logits / temperature),
// kept for the backward. logits (N, V). temperature <= 0 means 1 (TRL divides by its temperature).
KGRL_API void kgrl_logprobs_forward(float *lp, float *lse, const float *logits, const int *targets,
                                    float temperature, int N, int V);
// dlogits (N, V) += dlp[n] * (onehot(target) - softmax(logits / temperature)) / temperature.
// Rows with dlp[n] == 0 are left untouched.
KGRL_API void kgrl_logprobs_backward(float *dlogits, const float *dlp, const float *logits, const float *lse,
                                     const int *targets, float temperature, int N, int V);

// ---------------------------------------------------------------------------------------------
// SFT: token cross-entropy averaged over the masked tokens (transformers' ForCausalLMLoss with the
// prompt labelled -100). loss = -sum(mask*lp)/sum(mask); dlp (N) = -mask/sum(mask). Returns 0 (and
// zero gradient) when the mask is empty.
KGRL_API double kgrl_sft_loss(float *dlp, const float *lp, const float *mask, int N);

// ---------------------------------------------------------------------------------------------
// GRPO (TRL GRPOTrainer: _generate_and_score_completions for the advantages, _compute_loss for the
// objective). Sequences are B*G completions in group order (group g = rows g*G .. g*G+G-1).
typedef enum kgrl_grpo_loss_type {
    KGRL_GRPO_LOSS_DEFAULT = 0,  // = DAPO (TRL's default loss_type)
    KGRL_GRPO_LOSS_GRPO,         // per-sequence token mean, then mean over sequences
    KGRL_GRPO_LOSS_BNPO,         // sum over active tokens / active tokens of this batch
    KGRL_GRPO_LOSS_DR_GRPO,      // sum / (sequences * max_completion_length)
    KGRL_GRPO_LOSS_DAPO          // sum / active tokens of the whole generation batch (num_items_in_batch)
} kgrl_grpo_loss_type;
typedef enum kgrl_grpo_scale {
    KGRL_GRPO_SCALE_DEFAULT = 0, // = GROUP
    KGRL_GRPO_SCALE_GROUP,       // (r - group mean) / (group std + 1e-4)
    KGRL_GRPO_SCALE_BATCH,       // (r - group mean) / (batch std + 1e-4)
    KGRL_GRPO_SCALE_NONE         // r - group mean
} kgrl_grpo_scale;

// Zero means the default (TRL's GRPOConfig defaults): group_size 8, loss DAPO, scale GROUP,
// epsilon_low 0.2, epsilon_high = epsilon_low, beta 0 (no KL term), delta 0 (no upper clamp of the
// ratio). max_completion_length is needed by DR_GRPO only.
typedef struct kgrl_grpo_desc {
    int group_size;                   // G
    kgrl_grpo_loss_type loss_type;
    kgrl_grpo_scale scale_rewards;
    float epsilon_low, epsilon_high;  // ratio clipped to [1 - epsilon_low, 1 + epsilon_high]
    float beta;                       // KL coefficient (k3 estimator against the reference logprobs)
    float delta;                      // two-sided clipping: ratio clamped at delta (0 = off)
    int max_completion_length;
    bool mask_truncated_completions;  // completions without EOS drop out of the loss
    bool skip_zero_variance_groups;   // groups whose rewards all tie drop out of the loss
} kgrl_grpo_desc;
KGRL_API kgrl_grpo_desc kgrl_grpo_desc_resolve(const kgrl_grpo_desc *d);

// Advantages (n_seq) from rewards (n_seq), n_seq a multiple of G. std is torch's default (unbiased,
// n-1). std_zero (n_seq, may be NULL) marks sequences whose std (group or batch, as scaled) is 0 as
// torch.isclose(std, 0) does (|std| <= 1e-8). Returns the number of zero-std groups (by group std).
KGRL_API int kgrl_grpo_advantages(const kgrl_grpo_desc *d, const float *rewards, int n_seq, float *adv, bool *std_zero);

typedef struct kgrl_grpo_stats {
    double loss;
    double kl_mean;                   // masked mean of the per-token KL (0 when beta = 0)
    double clip_low, clip_high, clip_region;  // masked means of TRL's is_low/high/region_clipped
    double active_tokens;             // tokens left in the loss after every mask
    int masked_truncated;             // sequences removed by mask_truncated_completions
    int masked_zero_std;              // sequences removed by skip_zero_variance_groups
} kgrl_grpo_stats;

// The loss over n_seq completions of T tokens. logp, old_logp, ref_logp, mask, dlogp: (n_seq, T);
// adv (n_seq). old_logp NULL = logp (one iteration per batch: ratio 1); ref_logp is needed iff
// beta != 0. truncated (n_seq, may be NULL): the completion has no EOS. std_zero (n_seq, may be NULL)
// from kgrl_grpo_advantages. num_items_in_batch: the DAPO normalizer (active tokens in the global
// generation batch); <= 0 means this batch's active tokens. dlogp (may be NULL) = dloss/dlogp.
// Gradient accumulation over micro-batches is the caller's (divide as TRL does).
KGRL_API double kgrl_grpo_loss(const kgrl_grpo_desc *d, const float *logp, const float *old_logp, const float *ref_logp,
                               const float *mask, const float *adv, const bool *truncated, const bool *std_zero,
                               int n_seq, int T, double num_items_in_batch, float *dlogp, kgrl_grpo_stats *stats);

// ---------------------------------------------------------------------------------------------
// AdamW (torch.optim.AdamW, single-tensor semantics), fp32 moments. Zero means default: beta1 0.9,
// beta2 0.999, eps 1e-8; weight_decay 0 (transformers' TrainingArguments default).
typedef struct kgrl_adamw_desc { float beta1, beta2, eps, weight_decay; } kgrl_adamw_desc;
// One step over n parameters. step is 1 for the first step (bias correction 1 - beta^step).
//   p *= 1 - lr*wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   p -= lr/(1-b1^step) * m / (sqrt(v)/sqrt(1-b2^step) + eps)
KGRL_API void kgrl_adamw_step(const kgrl_adamw_desc *d, float lr, int step, float *p, const float *g,
                              float *m, float *v, size_t n);

// torch.nn.utils.clip_grad_norm_: total L2 norm over every block; when max_norm > 0 scale all grads by
// min(1, max_norm / (norm + 1e-6)). Returns the norm before clipping.
KGRL_API double kgrl_clip_grad_norm(float *const *grads, const size_t *n, int nblocks, float max_norm);

// LR schedules (transformers' get_scheduler, LambdaLR): `step` is the number of optimizer steps
// already taken (0 for the first), so a warmup starts at lr 0 as in transformers.
typedef enum kgrl_lr_schedule {
    KGRL_LR_CONSTANT = 0,   // lr (with warmup_steps > 0: linear warmup, then constant)
    KGRL_LR_LINEAR,         // linear warmup, then linear decay to 0 at total_steps
    KGRL_LR_COSINE          // linear warmup, then half a cosine to 0 at total_steps
} kgrl_lr_schedule;
typedef struct kgrl_lr_desc { kgrl_lr_schedule schedule; float lr; int warmup_steps, total_steps; } kgrl_lr_desc;
KGRL_API float kgrl_lr_at(const kgrl_lr_desc *d, int step);

// kgrl:implementation

void kgrl_shift_targets(int *targets, float *tmask, const int *tokens, const float *completion_mask, int B, int T) {
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            int n = b * T + t;
            bool last = t == T - 1;
            targets[n] = last ? 0 : tokens[n + 1];
            if (tmask) tmask[n] = last ? 0.0f : (completion_mask ? completion_mask[n + 1] : 1.0f);
        }
    }
}

void kgrl_logprobs_forward(float *lp, float *lse, const float *logits, const int *targets,
                           float temperature, int N, int V) {
    float inv_t = temperature > 0.0f ? 1.0f / temperature : 1.0f;
    for (int n = 0; n < N; n++) {
        const float *x = logits + (size_t)n * V;
        float mx = -INFINITY;
        for (int i = 0; i < V; i++) if (x[i] * inv_t > mx) mx = x[i] * inv_t;
        // double sum: V reaches 152k terms, and GRPO's ratios are differences of nearly equal
        // logprobs, so the sum's own error must stay far below fp32 rounding of the result
        double s = 0.0;
        for (int i = 0; i < V; i++) s += exp((double)(x[i] * inv_t - mx));
        float l = mx + (float)log(s);
        lse[n] = l;
        lp[n] = x[targets[n]] * inv_t - l;
    }
}

void kgrl_logprobs_backward(float *dlogits, const float *dlp, const float *logits, const float *lse,
                            const int *targets, float temperature, int N, int V) {
    float inv_t = temperature > 0.0f ? 1.0f / temperature : 1.0f;
    for (int n = 0; n < N; n++) {
        float g = dlp[n];
        if (g == 0.0f) continue;
        const float *x = logits + (size_t)n * V;
        float *dx = dlogits + (size_t)n * V;
        for (int i = 0; i < V; i++) dx[i] -= g * inv_t * expf(x[i] * inv_t - lse[n]);
        dx[targets[n]] += g * inv_t;
    }
}

double kgrl_sft_loss(float *dlp, const float *lp, const float *mask, int N) {
    double cnt = 0.0, sum = 0.0;
    for (int n = 0; n < N; n++) { cnt += mask[n]; sum += (double)mask[n] * lp[n]; }
    if (dlp) for (int n = 0; n < N; n++) dlp[n] = cnt > 0.0 ? (float)(-(double)mask[n] / cnt) : 0.0f;
    return cnt > 0.0 ? -sum / cnt : 0.0;
}

kgrl_grpo_desc kgrl_grpo_desc_resolve(const kgrl_grpo_desc *in) {
    kgrl_grpo_desc d;
    memset(&d, 0, sizeof d);
    if (in) d = *in;
    if (d.group_size <= 0) d.group_size = 8;
    if (d.loss_type == KGRL_GRPO_LOSS_DEFAULT) d.loss_type = KGRL_GRPO_LOSS_DAPO;
    if (d.scale_rewards == KGRL_GRPO_SCALE_DEFAULT) d.scale_rewards = KGRL_GRPO_SCALE_GROUP;
    if (!(d.epsilon_low > 0.0f)) d.epsilon_low = 0.2f;
    if (!(d.epsilon_high > 0.0f)) d.epsilon_high = d.epsilon_low;
    return d;
}

// torch.std (unbiased) of n values; NaN for n < 2, as torch gives.
static double kgrl__std_unbiased(const float *x, int n) {
    if (n < 2) return NAN;
    double mean = 0.0, ss = 0.0;
    for (int i = 0; i < n; i++) mean += x[i];
    mean /= n;
    for (int i = 0; i < n; i++) ss += ((double)x[i] - mean) * ((double)x[i] - mean);
    return sqrt(ss / (n - 1));
}

int kgrl_grpo_advantages(const kgrl_grpo_desc *desc, const float *rewards, int n_seq, float *adv, bool *std_zero) {
    kgrl_grpo_desc d = kgrl_grpo_desc_resolve(desc);
    int G = d.group_size;
    KGRL_CHECK(n_seq > 0 && n_seq % G == 0, "kgrl_grpo_advantages: %d sequences is not a multiple of the group size %d", n_seq, G);
    // TRL: is_std_zero = isclose(std, 0): |std| <= atol 1e-8 (rtol * 0 vanishes)
    double batch_std = d.scale_rewards == KGRL_GRPO_SCALE_BATCH ? kgrl__std_unbiased(rewards, n_seq) : 0.0;
    int zero_groups = 0;
    for (int g = 0; g < n_seq / G; g++) {
        const float *r = rewards + g * G;
        double mean = 0.0;
        for (int i = 0; i < G; i++) mean += r[i];
        mean /= G;
        double gstd = kgrl__std_unbiased(r, G);
        if (fabs(gstd) <= 1e-8) zero_groups++;
        double std = d.scale_rewards == KGRL_GRPO_SCALE_BATCH ? batch_std : gstd;
        for (int i = 0; i < G; i++) {
            double a = (double)r[i] - mean;
            if (d.scale_rewards != KGRL_GRPO_SCALE_NONE) a /= std + 1e-4;
            adv[g * G + i] = (float)a;
            if (std_zero) std_zero[g * G + i] = fabs(std) <= 1e-8;
        }
    }
    return zero_groups;
}

double kgrl_grpo_loss(const kgrl_grpo_desc *desc, const float *logp, const float *old_logp, const float *ref_logp,
                      const float *mask, const float *adv, const bool *truncated, const bool *std_zero,
                      int n_seq, int T, double num_items_in_batch, float *dlogp, kgrl_grpo_stats *stats) {
    kgrl_grpo_desc d = kgrl_grpo_desc_resolve(desc);
    KGRL_CHECK(d.beta == 0.0f || ref_logp, "kgrl_grpo_loss: beta = %g needs the reference logprobs", (double)d.beta);
    KGRL_CHECK(d.loss_type != KGRL_GRPO_LOSS_DR_GRPO || d.max_completion_length > 0,
               "kgrl_grpo_loss: loss dr_grpo needs max_completion_length");
    kgrl_grpo_stats st;
    memset(&st, 0, sizeof st);
    // the effective mask of each sequence (truncation and zero-variance removal zero whole rows)
    double active = 0.0;
    for (int s = 0; s < n_seq; s++) {
        bool drop = false;
        if (d.mask_truncated_completions && truncated && truncated[s]) { drop = true; st.masked_truncated++; }
        else if (d.skip_zero_variance_groups && std_zero && std_zero[s]) { drop = true; st.masked_zero_std++; }
        if (drop) continue;
        for (int t = 0; t < T; t++) active += mask[(size_t)s * T + t];
    }
    st.active_tokens = active;
    double denom_all = 0.0;   // the normalizer of the token-level aggregations
    switch (d.loss_type) {
    case KGRL_GRPO_LOSS_BNPO: denom_all = active > 1.0 ? active : 1.0; break;
    case KGRL_GRPO_LOSS_DR_GRPO: denom_all = (double)n_seq * d.max_completion_length; break;
    case KGRL_GRPO_LOSS_DAPO: denom_all = num_items_in_batch > 0.0 ? num_items_in_batch : (active > 1.0 ? active : 1.0); break;
    default: break;
    }
    double loss = 0.0, kl_sum = 0.0, lo_sum = 0.0, hi_sum = 0.0, reg_sum = 0.0;
    for (int s = 0; s < n_seq; s++) {
        bool drop = (d.mask_truncated_completions && truncated && truncated[s]) ||
                    (d.skip_zero_variance_groups && std_zero && std_zero[s]);
        double seq_tokens = 0.0;
        for (int t = 0; t < T; t++) seq_tokens += mask[(size_t)s * T + t];
        double w_seq;   // weight of one active token of this sequence in the loss
        if (d.loss_type == KGRL_GRPO_LOSS_GRPO) w_seq = 1.0 / ((seq_tokens > 1.0 ? seq_tokens : 1.0) * n_seq);
        else w_seq = 1.0 / denom_all;
        double A = adv[s];
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)s * T + t;
            double mk = drop ? 0.0 : mask[i];
            double lp = logp[i], old = old_logp ? old_logp[i] : logp[i];
            double c1 = exp(lp - old);
            double c2 = c1 < 1.0 - d.epsilon_low ? 1.0 - d.epsilon_low : (c1 > 1.0 + d.epsilon_high ? 1.0 + d.epsilon_high : c1);
            bool c1_capped = d.delta > 0.0f && c1 > d.delta;   // coef_1 = clamp(coef_1, max=delta)
            double c1e = c1_capped ? (double)d.delta : c1;
            double l1 = c1e * A, l2 = c2 * A;
            double per_tok = -(l1 < l2 ? l1 : l2);
            // d(per_tok)/d(lp): torch.min passes the gradient to the smaller side (half to each on a
            // tie); clamp passes it inside [lo, hi] (bounds included). On a tie both sides are c1 A.
            double g;
            if (l1 < l2) g = c1_capped ? 0.0 : -A * c1;
            else if (l2 < l1) g = (c1 >= 1.0 - d.epsilon_low && c1 <= 1.0 + d.epsilon_high) ? -A * c1 : 0.0;
            else {
                double g1 = c1_capped ? 0.0 : -A * c1;
                double g2 = (c1 >= 1.0 - d.epsilon_low && c1 <= 1.0 + d.epsilon_high) ? -A * c1 : 0.0;
                g = 0.5 * (g1 + g2);
            }
            if (d.beta != 0.0f) {
                double r = (double)ref_logp[i] - lp;
                double kl = exp(r) - r - 1.0;       // k3 estimator
                per_tok += d.beta * kl;
                g += d.beta * (1.0 - exp(r));
                kl_sum += mk * kl;
            }
            loss += mk * w_seq * per_tok;
            if (dlogp) dlogp[i] = (float)(mk * w_seq * g);
            bool lo = c1 < 1.0 - d.epsilon_low && A < 0.0, hi = c1 > 1.0 + d.epsilon_high && A > 0.0;
            lo_sum += mk * lo; hi_sum += mk * hi; reg_sum += mk * (lo || hi);
        }
    }
    double denom = active > 1.0 ? active : 1.0;   // TRL's masked_batch_mean: completion_mask.sum().clamp(min=1)
    st.loss = loss;
    st.kl_mean = kl_sum / denom;
    st.clip_low = lo_sum / denom;
    st.clip_high = hi_sum / denom;
    st.clip_region = reg_sum / denom;
    if (stats) *stats = st;
    return loss;
}

void kgrl_adamw_step(const kgrl_adamw_desc *desc, float lr, int step, float *p, const float *g,
                     float *m, float *v, size_t n) {
    float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.0f;
    if (desc) {
        if (desc->beta1 > 0.0f) b1 = desc->beta1;
        if (desc->beta2 > 0.0f) b2 = desc->beta2;
        if (desc->eps > 0.0f) eps = desc->eps;
        wd = desc->weight_decay;
    }
    KGRL_CHECK(step >= 1, "kgrl_adamw_step: step %d must start at 1", step);
    // torch computes the bias corrections as Python floats (double) and the updates in fp32
    double bc1 = 1.0 - pow((double)b1, step), bc2 = 1.0 - pow((double)b2, step);
    float step_size = (float)(lr / bc1);
    float bc2_sqrt = (float)sqrt(bc2);
    float decay = (float)(1.0 - (double)lr * wd);   // param.mul_(1 - lr * weight_decay)
    for (size_t i = 0; i < n; i++) {
        p[i] *= decay;
        m[i] += (g[i] - m[i]) * (1.0f - b1);          // exp_avg.lerp_(grad, 1 - beta1)
        v[i] = v[i] * b2 + (1.0f - b2) * g[i] * g[i];
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] -= step_size * m[i] / denom;
    }
}

double kgrl_clip_grad_norm(float *const *grads, const size_t *n, int nblocks, float max_norm) {
    double ss = 0.0;
    for (int b = 0; b < nblocks; b++)
        for (size_t i = 0; i < n[b]; i++) ss += (double)grads[b][i] * grads[b][i];
    double norm = sqrt(ss);
    if (max_norm > 0.0f) {
        double coef = (double)max_norm / (norm + 1e-6);
        if (coef < 1.0) {
            float cf = (float)coef;
            for (int b = 0; b < nblocks; b++)
                for (size_t i = 0; i < n[b]; i++) grads[b][i] *= cf;
        }
    }
    return norm;
}

float kgrl_lr_at(const kgrl_lr_desc *d, int step) {
    int w = d->warmup_steps, total = d->total_steps;
    if (w > 0 && step < w) return d->lr * (float)step / (float)w;
    if (d->schedule == KGRL_LR_CONSTANT) return d->lr;
    int span = total - w > 1 ? total - w : 1;
    double progress = (double)(step - w) / span;
    if (d->schedule == KGRL_LR_LINEAR) {
        double f = (double)(total - step) / span;
        return d->lr * (float)(f > 0.0 ? f : 0.0);
    }
    // cosine with half a cycle (transformers' num_cycles = 0.5)
    double f = 0.5 * (1.0 + cos(3.141592653589793 * progress));
    return d->lr * (float)(f > 0.0 ? f : 0.0);
}
