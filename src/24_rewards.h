// Rewards (DESIGN §3.7): the scalar a verifier record is worth to the trainer. Every preset of the
// three seed reports, switchable, and every component of the sum kept in the record, so a run's
// CSV can be re-scored under another preset without re-verifying anything.
//
// Common rule for all presets: a candidate counts as correct only if the record says correct AND its
// status is ok (a record with status impossible_speed passed the tests but its timing proves it did
// not compute honestly, so it earns no correctness credit). The speedup t_ref/t_cand only counts when
// the candidate was correct and timed; a compile-only record (no GPU, flag compile_only) is neither.
//
//   frontend   (seed 000, eq. 2)  −10 if compile or correctness fails, +1 if correct
//   midend     (seed 000, eq. 3)  −10 if it fails, 1 + t_ref/t_cand if correct (1 + 0 if not timed)
//   composite  (seed 001, eq. 1)  α·1[compiled] + β·1[correct] + γ·min(t_ref/t_cand, r_max)·1[correct]
//   tritonrl   (seed 002, §3.1)   0.7·1[correct] + 0.3·speedup_score, where we define
//              speedup_score = min(speedup, s_max)/s_max for a correct, timed candidate, else 0
//              (s_max = 2: the clip at 2.0 of the TritonRL re-implementation, research notes §2.1),
//              so the score is in [0, 1] and a 2× kernel earns the full 1.0
//   staged     (seed 002, Table 1) the partial credit of the furthest stage passed:
//              format 0.0, compile 0.3, smoke 0.5, correctness 0.7, timing 1.0
//   ladder     (CUDA Agent)       −1 if not correct, 1 correct, 2 faster than ref (speedup > t1 = 1.0),
//              3 faster than t2 = 1.2× (thresholds tunable)
//   judge      (seed 001, §3.5)   any preset: r' = r + λ·J, J = mean of the judge's three scores in
//              [0, 1], applied only when the job carries a judge score and λ != 0
#define KGRL_REWARD_PRESETS "frontend, midend, composite, tritonrl, staged, ladder"
typedef enum kgrl_reward_preset {
    KGRL_REWARD_COMPOSITE = 0,      // the default (zero)
    KGRL_REWARD_FRONTEND,
    KGRL_REWARD_MIDEND,
    KGRL_REWARD_TRITONRL,
    KGRL_REWARD_STAGED,
    KGRL_REWARD_LADDER,
    KGRL_REWARD_PRESET_COUNT
} kgrl_reward_preset;
KGRL_API const char *kgrl_reward_preset_name(kgrl_reward_preset p);
KGRL_API bool kgrl_reward_preset_from_name(const char *name, kgrl_reward_preset *out);

// Zero means the documented default for every field (sokol). A weight that must really be zero
// (α = 0, ...) is asked for with its *_zero flag.
struct kgrl_reward_desc {
    kgrl_reward_preset preset;      // default composite
    double fail_penalty;            // frontend, midend: default −10 (seed 000)
    // composite: seed 001 gives no numbers in eq. 1; its §5 describes the signal as "0.5 for
    // compilation, 1.0 for correctness, 1.5 for optimal", i.e. α = 0.5, β = 1.0 and γ = 0.5 with
    // r_max = 3 (γ·r_max = 1.5). Those are the defaults.
    double alpha, beta, gamma, r_max;
    bool alpha_zero, beta_zero, gamma_zero;   // set to make the corresponding weight exactly 0
    double tritonrl_s_max;          // default 2.0
    double staged_credit[5];        // per stage passed (format..timing); default 0, .3, .5, .7, 1
    bool staged_set;                // true: use staged_credit as given (zeros included)
    double ladder_wrong, ladder_correct, ladder_faster, ladder_much_faster; // default −1, 1, 2, 3
    double ladder_t1, ladder_t2;    // speedup thresholds; default 1.0 and 1.2
    double judge_lambda;            // λ; default 0.5 (seed 001) — used only for jobs with a judge score
    bool judge_off;                 // true: ignore judge scores
};

// Fill the defaults of a desc (NULL gives the composite defaults).
KGRL_API kgrl_reward_desc kgrl_reward_desc_resolve(const kgrl_reward_desc *d);

// Compute the reward of `r` under `d` (NULL = composite defaults) and store it, with its named
// components, in r->reward, r->reward_preset, r->reward_part_names/reward_parts. `judge` is the
// judge's mean score J in [0, 1] (values outside are clamped); pass has_judge = false when none.
KGRL_API double kgrl_reward_apply(const kgrl_reward_desc *d, kgrl_record *r, bool has_judge, double judge);

// kgrl:implementation

static const char *const kgrl__reward_names[KGRL_REWARD_PRESET_COUNT] = {
    "composite", "frontend", "midend", "tritonrl", "staged", "ladder"};

const char *kgrl_reward_preset_name(kgrl_reward_preset p) {
    return (p >= 0 && p < KGRL_REWARD_PRESET_COUNT) ? kgrl__reward_names[p] : "unknown";
}

bool kgrl_reward_preset_from_name(const char *name, kgrl_reward_preset *out) {
    for (int i = 0; i < KGRL_REWARD_PRESET_COUNT; i++)
        if (strcmp(name, kgrl__reward_names[i]) == 0) { *out = (kgrl_reward_preset)i; return true; }
    return false;
}

kgrl_reward_desc kgrl_reward_desc_resolve(const kgrl_reward_desc *d) {
    kgrl_reward_desc r;
    memset(&r, 0, sizeof r);
    if (d) r = *d;
    if (r.fail_penalty == 0) r.fail_penalty = -10.0;
    if (r.alpha == 0 && !r.alpha_zero) r.alpha = 0.5;
    if (r.beta == 0 && !r.beta_zero) r.beta = 1.0;
    if (r.gamma == 0 && !r.gamma_zero) r.gamma = 0.5;
    if (r.r_max == 0) r.r_max = 3.0;
    if (r.tritonrl_s_max == 0) r.tritonrl_s_max = 2.0;
    if (!r.staged_set) {
        static const double credit[5] = {0.0, 0.3, 0.5, 0.7, 1.0};
        for (int i = 0; i < 5; i++) r.staged_credit[i] = credit[i];
    }
    if (r.ladder_wrong == 0) r.ladder_wrong = -1.0;
    if (r.ladder_correct == 0) r.ladder_correct = 1.0;
    if (r.ladder_faster == 0) r.ladder_faster = 2.0;
    if (r.ladder_much_faster == 0) r.ladder_much_faster = 3.0;
    if (r.ladder_t1 == 0) r.ladder_t1 = 1.0;
    if (r.ladder_t2 == 0) r.ladder_t2 = 1.2;
    if (r.judge_lambda == 0) r.judge_lambda = 0.5;
    return r;
}

static void kgrl__reward_part(kgrl_record *r, const char *name, double v) {
    if (r->nreward_parts >= KGRL_REWARD_MAX_PARTS) KGRL_FATAL("too many reward components");
    snprintf(r->reward_part_names[r->nreward_parts], sizeof r->reward_part_names[0], "%s", name);
    r->reward_parts[r->nreward_parts++] = v;
}

double kgrl_reward_apply(const kgrl_reward_desc *desc, kgrl_record *r, bool has_judge, double judge) {
    kgrl_reward_desc d = kgrl_reward_desc_resolve(desc);
    bool compiled = r->compiled;
    bool correct = r->correct && r->status == KGRL_STATUS_OK;
    bool timed = correct && r->stages[KGRL_STAGE_TIMING].outcome == KGRL_OUTCOME_PASS &&
                 isfinite(r->speedup) && r->speedup > 0;
    double speedup = timed ? r->speedup : 0.0;
    r->nreward_parts = 0;
    snprintf(r->reward_preset, sizeof r->reward_preset, "%s", kgrl_reward_preset_name(d.preset));
    double total = 0;
    switch (d.preset) {
    case KGRL_REWARD_FRONTEND: {
        double base = correct ? 1.0 : d.fail_penalty;
        kgrl__reward_part(r, "base", base);
        total = base;
    } break;
    case KGRL_REWARD_MIDEND: {
        double base = correct ? 1.0 : d.fail_penalty;
        double perf = correct ? speedup : 0.0;
        kgrl__reward_part(r, "base", base);
        kgrl__reward_part(r, "speedup", perf);
        total = base + perf;
    } break;
    case KGRL_REWARD_COMPOSITE: {
        double c = compiled ? d.alpha : 0.0;
        double k = correct ? d.beta : 0.0;
        double s = correct ? d.gamma * fmin(speedup, d.r_max) : 0.0;
        kgrl__reward_part(r, "compiled", c);
        kgrl__reward_part(r, "correct", k);
        kgrl__reward_part(r, "speed", s);
        total = c + k + s;
    } break;
    case KGRL_REWARD_TRITONRL: {
        double score = timed ? fmin(speedup, d.tritonrl_s_max) / d.tritonrl_s_max : 0.0;
        double k = correct ? 0.7 : 0.0;
        kgrl__reward_part(r, "correct", k);
        kgrl__reward_part(r, "speedup_score", score);
        kgrl__reward_part(r, "speed", 0.3 * score);
        total = k + 0.3 * score;
    } break;
    case KGRL_REWARD_STAGED: {
        // furthest stage passed; impossible_speed counts as failing correctness (see the top)
        int passed = -1;
        for (int s = 0; s < KGRL_STAGE_COUNT; s++) {
            if (r->stages[s].outcome != KGRL_OUTCOME_PASS) break;
            passed = s;
        }
        if (r->status == KGRL_STATUS_IMPOSSIBLE_SPEED && passed >= KGRL_STAGE_CORRECTNESS) passed = KGRL_STAGE_SMOKE;
        double credit = passed >= 0 ? d.staged_credit[passed] : 0.0;
        kgrl__reward_part(r, "stage_credit", credit);
        total = credit;
    } break;
    case KGRL_REWARD_LADDER: {
        double v = !correct ? d.ladder_wrong
                 : (timed && speedup > d.ladder_t2) ? d.ladder_much_faster
                 : (timed && speedup > d.ladder_t1) ? d.ladder_faster
                 : d.ladder_correct;
        kgrl__reward_part(r, "rung", v);
        total = v;
    } break;
    default: KGRL_FATAL("unknown reward preset %d", (int)d.preset);
    }
    if (has_judge && !d.judge_off) {
        double j = isnan(judge) ? 0.0 : fmin(fmax(judge, 0.0), 1.0);
        kgrl__reward_part(r, "judge", j);
        kgrl__reward_part(r, "judge_term", d.judge_lambda * j);
        total += d.judge_lambda * j;
    }
    r->reward = total;
    return total;
}
