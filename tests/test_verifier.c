// CPU tests of the verifier (src/23_verifier.h) and the rewards (src/24_rewards.h): reward formulas
// against hand-computed values, timing statistics on known data, the adaptive stop rule, record
// JSON, poisoning/guard/compare helpers, and the first two stages of the funnel (format/static and
// NVRTC compile, which need no GPU) through the worker pool, including a compile bomb that the
// watchdog must kill in time, and the retry of a job whose worker's harness ran out of GPU memory.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

// ---- rewards ---------------------------------------------------------------------------------

// A record that passed every stage with the given speedup (or failed at `fail_stage` with `st`).
static kgrl_record make_record(kgrl_status st, int fail_stage, double speedup) {
    kgrl_record r;
    kgrl_record_init(&r, "L9/1");
    r.status = st;
    int last = st == KGRL_STATUS_OK ? KGRL_STAGE_TIMING : fail_stage;
    for (int s = 0; s < KGRL_STAGE_COUNT; s++)
        r.stages[s].outcome = s < last ? KGRL_OUTCOME_PASS : s == last && st == KGRL_STATUS_OK ? KGRL_OUTCOME_PASS
                                                            : s == last ? KGRL_OUTCOME_FAIL : KGRL_OUTCOME_NOT_RUN;
    r.stage = (kgrl_stage)last;
    r.compiled = last > KGRL_STAGE_COMPILE || (last == KGRL_STAGE_COMPILE && st == KGRL_STATUS_OK);
    r.correct = last > KGRL_STAGE_CORRECTNESS || st == KGRL_STATUS_OK;
    if (st == KGRL_STATUS_OK) { r.speedup = speedup; r.t_cand_ms = 1.0; r.t_ref_ms = speedup; }
    return r;
}

static double reward_of(kgrl_reward_preset p, kgrl_record r) {
    kgrl_reward_desc d;
    memset(&d, 0, sizeof d);
    d.preset = p;
    return kgrl_reward_apply(&d, &r, false, 0);
}

static double part(const kgrl_record *r, const char *name) {
    for (int i = 0; i < r->nreward_parts; i++) if (!strcmp(r->reward_part_names[i], name)) return r->reward_parts[i];
    return NAN;
}

static void test_reward_presets(void) {
    kgrl_record ok2 = make_record(KGRL_STATUS_OK, 0, 2.0);          // correct, 2x faster
    kgrl_record ok5 = make_record(KGRL_STATUS_OK, 0, 5.0);          // correct, 5x (above r_max 3)
    kgrl_record slow = make_record(KGRL_STATUS_OK, 0, 0.5);         // correct, 2x slower
    kgrl_record ce = make_record(KGRL_STATUS_COMPILE_ERROR, KGRL_STAGE_COMPILE, 0);
    kgrl_record wo = make_record(KGRL_STATUS_WRONG_OUTPUT, KGRL_STAGE_CORRECTNESS, 0);   // compiled, smoke passed
    kgrl_record sm = make_record(KGRL_STATUS_WRONG_OUTPUT, KGRL_STAGE_SMOKE, 0);         // compiled only
    // exact arithmetic on these values: tolerance 1e-12 only absorbs double rounding
    const double eps = 1e-12;
    // frontend: -10 / +1
    KT_CLOSE(reward_of(KGRL_REWARD_FRONTEND, ok2), 1.0, eps, 0, "frontend ok");
    KT_CLOSE(reward_of(KGRL_REWARD_FRONTEND, ce), -10.0, eps, 0, "frontend compile error");
    KT_CLOSE(reward_of(KGRL_REWARD_FRONTEND, wo), -10.0, eps, 0, "frontend wrong");
    // midend: -10 / 1 + speedup
    KT_CLOSE(reward_of(KGRL_REWARD_MIDEND, ok2), 3.0, eps, 0, "midend 2x");
    KT_CLOSE(reward_of(KGRL_REWARD_MIDEND, slow), 1.5, eps, 0, "midend 0.5x");
    KT_CLOSE(reward_of(KGRL_REWARD_MIDEND, wo), -10.0, eps, 0, "midend wrong");
    // composite (α .5, β 1, γ .5, r_max 3): ok 2x = .5 + 1 + .5*2 = 2.5; 5x caps at 3 -> 3.0
    KT_CLOSE(reward_of(KGRL_REWARD_COMPOSITE, ok2), 2.5, eps, 0, "composite 2x");
    KT_CLOSE(reward_of(KGRL_REWARD_COMPOSITE, ok5), 3.0, eps, 0, "composite 5x capped");
    KT_CLOSE(reward_of(KGRL_REWARD_COMPOSITE, wo), 0.5, eps, 0, "composite compiled only");
    KT_CLOSE(reward_of(KGRL_REWARD_COMPOSITE, ce), 0.0, eps, 0, "composite nothing");
    // tritonrl: .7 + .3 * min(s, 2)/2 -> 2x: 1.0; 0.5x: .7 + .3*.25 = .775; wrong: 0
    KT_CLOSE(reward_of(KGRL_REWARD_TRITONRL, ok2), 1.0, eps, 0, "tritonrl 2x");
    KT_CLOSE(reward_of(KGRL_REWARD_TRITONRL, slow), 0.775, eps, 0, "tritonrl 0.5x");
    KT_CLOSE(reward_of(KGRL_REWARD_TRITONRL, wo), 0.0, eps, 0, "tritonrl wrong");
    // staged: furthest stage passed
    KT_CLOSE(reward_of(KGRL_REWARD_STAGED, ok2), 1.0, eps, 0, "staged ok");
    KT_CLOSE(reward_of(KGRL_REWARD_STAGED, wo), 0.5, eps, 0, "staged smoke passed");
    KT_CLOSE(reward_of(KGRL_REWARD_STAGED, sm), 0.3, eps, 0, "staged compiled");
    KT_CLOSE(reward_of(KGRL_REWARD_STAGED, ce), 0.0, eps, 0, "staged format passed only");
    // ladder: -1 wrong, 1 correct, 2 > 1x, 3 > 1.2x
    KT_CLOSE(reward_of(KGRL_REWARD_LADDER, wo), -1.0, eps, 0, "ladder wrong");
    KT_CLOSE(reward_of(KGRL_REWARD_LADDER, slow), 1.0, eps, 0, "ladder correct, slower");
    KT_CLOSE(reward_of(KGRL_REWARD_LADDER, make_record(KGRL_STATUS_OK, 0, 1.1)), 2.0, eps, 0, "ladder 1.1x");
    KT_CLOSE(reward_of(KGRL_REWARD_LADDER, ok2), 3.0, eps, 0, "ladder 2x");
    kgrl_reward_desc d;
    memset(&d, 0, sizeof d);
    d.preset = KGRL_REWARD_LADDER;
    d.ladder_t2 = 2.5;                               // tunable threshold: 2x is no longer "much faster"
    kgrl_record r = ok2;
    KT_CLOSE(kgrl_reward_apply(&d, &r, false, 0), 2.0, eps, 0, "ladder with t2 = 2.5");
}

static void test_reward_components_and_judge(void) {
    kgrl_record r = make_record(KGRL_STATUS_OK, 0, 2.0);
    kgrl_reward_desc d;
    memset(&d, 0, sizeof d);                         // composite defaults, λ 0.5
    double v = kgrl_reward_apply(&d, &r, true, 0.6);
    KT_CLOSE(v, 2.5 + 0.5 * 0.6, 1e-12, 0, "r' = r + λJ");
    KT_CHECK(!strcmp(r.reward_preset, "composite"), "preset name %s", r.reward_preset);
    KT_CLOSE(part(&r, "compiled"), 0.5, 1e-12, 0, "compiled part");
    KT_CLOSE(part(&r, "correct"), 1.0, 1e-12, 0, "correct part");
    KT_CLOSE(part(&r, "speed"), 1.0, 1e-12, 0, "speed part");
    KT_CLOSE(part(&r, "judge"), 0.6, 1e-12, 0, "judge part");
    KT_CLOSE(part(&r, "judge_term"), 0.3, 1e-12, 0, "judge term");
    KT_CLOSE(r.reward, v, 0, 0, "stored reward");
    // a judge score out of [0, 1] is clamped; judge_off ignores it
    kgrl_record r2 = make_record(KGRL_STATUS_WRONG_OUTPUT, KGRL_STAGE_CORRECTNESS, 0);
    KT_CLOSE(kgrl_reward_apply(&d, &r2, true, 7.0), 0.5 + 0.5, 1e-12, 0, "clamped judge");
    d.judge_off = true;
    KT_CLOSE(kgrl_reward_apply(&d, &r2, true, 1.0), 0.5, 1e-12, 0, "judge off");
    // explicit zero weights
    memset(&d, 0, sizeof d);
    d.alpha_zero = true; d.gamma = 1.0; d.r_max = 10;
    kgrl_record r3 = make_record(KGRL_STATUS_OK, 0, 4.0);
    KT_CLOSE(kgrl_reward_apply(&d, &r3, false, 0), 0 + 1 + 4, 1e-12, 0, "alpha 0, gamma 1, r_max 10");
    // impossible_speed earns no correctness credit anywhere
    kgrl_record hack = make_record(KGRL_STATUS_OK, 0, 50.0);
    hack.status = KGRL_STATUS_IMPOSSIBLE_SPEED;
    hack.stages[KGRL_STAGE_TIMING].outcome = KGRL_OUTCOME_FAIL;
    KT_CLOSE(reward_of(KGRL_REWARD_MIDEND, hack), -10.0, 1e-12, 0, "hack midend");
    KT_CLOSE(reward_of(KGRL_REWARD_COMPOSITE, hack), 0.5, 1e-12, 0, "hack composite");
    KT_CLOSE(reward_of(KGRL_REWARD_STAGED, hack), 0.5, 1e-12, 0, "hack staged");
    kgrl_reward_preset p;
    KT_CHECK(kgrl_reward_preset_from_name("tritonrl", &p) && p == KGRL_REWARD_TRITONRL, "preset from name");
    KT_CHECK(!kgrl_reward_preset_from_name("best", &p), "unknown preset");
}

// ---- timing statistics -----------------------------------------------------------------------

static void test_tstats(void) {
    // 1..10: median 5.5, mean 5.5, sample std sqrt(82.5/9), trimmed (drop 1 each end) mean of 2..9 = 5.5
    double x[10] = {10, 3, 1, 7, 2, 9, 4, 8, 6, 5};
    kgrl_tstats s;
    kgrl_tstats_compute(x, 10, &s);
    KT_CLOSE(s.median, 5.5, 1e-12, 0, "median");
    KT_CLOSE(s.mean, 5.5, 1e-12, 0, "mean");
    KT_CLOSE(s.std, sqrt(82.5 / 9.0), 1e-12, 0, "std");
    KT_CLOSE(s.cv, sqrt(82.5 / 9.0) / 5.5, 1e-12, 0, "cv");
    KT_CLOSE(s.trimmed_mean, 5.5, 1e-12, 0, "trimmed mean");
    KT_CLOSE(s.se_median, 1.2533141373155 * sqrt(82.5 / 9.0) / sqrt(10.0), 1e-12, 0, "se of the median");
    KT_CHECK(s.min == 1 && s.max == 10, "min/max");
    KT_CHECK(x[0] == 10 && x[2] == 1, "input untouched");
    // the trimmed mean drops outliers: 9 values of 1 and one of 1000 with n = 10 -> trim 1 each end
    double y[10] = {1, 1, 1, 1, 1000, 1, 1, 1, 1, 1};
    kgrl_tstats_compute(y, 10, &s);
    KT_CLOSE(s.trimmed_mean, 1.0, 1e-12, 0, "trimmed mean without the outlier");
    KT_CLOSE(s.median, 1.0, 1e-12, 0, "median without the outlier");
    KT_CLOSE(s.mean, 100.9, 1e-12, 0, "mean with the outlier");
    // odd n
    double z[3] = {3, 1, 2};
    kgrl_tstats_compute(z, 3, &s);
    KT_CLOSE(s.median, 2.0, 0, 0, "odd median");
    KT_CLOSE(s.trimmed_mean, 2.0, 1e-12, 0, "n=3: nothing trimmed");
}

static void test_timing_stop(void) {
    kgrl_timing_desc d;
    memset(&d, 0, sizeof d);
    kgrl_timing_desc r = kgrl_timing_desc_resolve(&d);
    KT_CHECK(r.warmup == 3 && r.min_trials == 10 && r.max_trials == 200 && r.se_target == 0.005, "defaults");
    kgrl_tstats a, b;
    bool budget;
    // perfectly stable timings: stop as soon as min_trials are in
    double flat[200];
    for (int i = 0; i < 200; i++) flat[i] = 1.0;
    kgrl_tstats_compute(flat, 9, &a);
    KT_CHECK(!kgrl_timing_should_stop(&d, &a, &a, 0.1, &budget), "9 < min_trials");
    kgrl_tstats_compute(flat, 10, &a);
    KT_CHECK(kgrl_timing_should_stop(&d, &a, &a, 0.1, &budget) && !budget, "stable: stop at 10");
    // noisy: 1 +- 10% alternating -> std ~0.1, SE/median = 1.2533*0.1/sqrt(n) < 0.005 needs n > 628
    double noisy[200];
    for (int i = 0; i < 200; i++) noisy[i] = i % 2 ? 1.1 : 0.9;
    kgrl_tstats_compute(noisy, 50, &b);
    KT_CHECK(!kgrl_timing_should_stop(&d, &a, &b, 0.5, &budget), "noisy: go on");
    KT_CHECK(kgrl_timing_should_stop(&d, &a, &b, 2.5, &budget) && budget, "noisy: wall budget");
    kgrl_tstats_compute(noisy, 200, &b);
    kgrl_tstats_compute(flat, 200, &a);
    KT_CHECK(kgrl_timing_should_stop(&d, &a, &b, 0.5, &budget) && !budget, "noisy: max trials");
    // the stop needs both the reference and the candidate precise
    kgrl_tstats_compute(flat, 20, &a);
    kgrl_tstats_compute(noisy, 20, &b);
    KT_CHECK(!kgrl_timing_should_stop(&d, &b, &a, 0.1, &budget), "reference noisy: go on");
    d.single_shot = true;
    kgrl_tstats_compute(noisy, 1, &b);
    KT_CHECK(kgrl_timing_should_stop(&d, &b, &b, 0.0, &budget), "single shot stops after one");
}

// ---- poisoning, guards, comparison -----------------------------------------------------------

static void test_poison_and_compare(void) {
    float f[4];
    memset(f, kgrl_poison_byte(KGRL_ELEM_F32, 0), sizeof f);
    KT_CHECK(isnan(f[0]) && isnan(f[3]), "pattern 0 is NaN for fp32");
    memset(f, kgrl_poison_byte(KGRL_ELEM_F32, 1), sizeof f);
    KT_CHECK(isfinite(f[0]) && f[0] > 1e38f, "pattern 1 is a huge finite fp32 (%g)", f[0]);
    int32_t i32;
    memset(&i32, kgrl_poison_byte(KGRL_ELEM_I32, 0), 4);
    KT_CHECK(i32 == 0x7f7f7f7f, "int pattern 0");
    KT_CHECK(kgrl_poison_byte(KGRL_ELEM_I64, 1) != kgrl_poison_byte(KGRL_ELEM_I64, 0), "two int patterns");

    uint8_t g[64];
    memset(g, kgrl_guard_byte(0), sizeof g);
    KT_CHECK(kgrl_guard_first_bad(g, sizeof g, kgrl_guard_byte(0)) == -1, "clean guard");
    g[17] = 0;
    KT_CHECK(kgrl_guard_first_bad(g, sizeof g, kgrl_guard_byte(0)) == 17, "guard written at 17");

    float want[6] = {1.0f, -2.0f, 100.0f, 0.0f, NAN, INFINITY};
    float got[6] = {1.00005f, -2.0f, 100.009f, 0.0f, NAN, INFINITY};
    kgrl_compare c;
    kgrl_compare_f32(got, want, 6, 1e-4, 1e-4, &c);
    // 1.00005: |d| 5e-5 <= 1e-4 + 1e-4; 100.009: |d| ~9e-3 <= 1e-4 + 1e-2 -> all pass
    KT_CHECK(c.nbad == 0, "within tolerance (%lld bad)", (long long)c.nbad);
    got[0] = 1.0003f;                                // |d| 3e-4 > 2e-4
    got[3] = NAN;                                    // NaN where the reference is finite
    got[5] = -INFINITY;                              // wrong infinity
    kgrl_compare_f32(got, want, 6, 1e-4, 1e-4, &c);
    KT_CHECK(c.nbad == 3, "3 mismatches, got %lld", (long long)c.nbad);
    KT_CHECK(c.nnonfinite == 1, "one non-finite where finite expected");
    KT_CHECK(c.nshow == 3 && c.idx[0] == 0 && c.idx[1] == 3 && c.idx[2] == 5, "first mismatches listed in order");
    char d[512];
    kgrl_compare_describe(&c, d, sizeof d);
    KT_CHECK(strstr(d, "3 of 6 differ") && strstr(d, "[3] got nan want 0"), "describe: %s", d);
    // an unwritten (poisoned) output fails everywhere
    float poisoned[3];
    memset(poisoned, 0xFF, sizeof poisoned);
    float ref3[3] = {0, 1, 2};
    kgrl_compare_f32(poisoned, ref3, 3, 1e-4, 1e-4, &c);
    KT_CHECK(c.nbad == 3, "poison fails");
    int64_t ia[3] = {1, 2, 3}, ib[3] = {1, 5, 3};
    kgrl_compare_ints(ia, ib, 3, KGRL_ELEM_I64, &c);
    KT_CHECK(c.nbad == 1 && c.idx[0] == 1, "ints compare exactly");
}

// ---- records ---------------------------------------------------------------------------------

static void test_record_json(void) {
    kgrl_record r = make_record(KGRL_STATUS_OK, 0, 2.0);
    r.flags = KGRL_FLAG_SUSPICIOUS | KGRL_FLAG_REF_CACHED;
    r.trials = 37;
    snprintf(r.hash, sizeof r.hash, "%064d", 0);
    snprintf(r.stages[KGRL_STAGE_COMPILE].log, sizeof r.stages[0].log, "line 1: \"quoted\"\nnext");
    snprintf(r.message, sizeof r.message, "ok");
    kgrl_reward_apply(NULL, &r, false, 0);
    kgrl_buf b;
    memset(&b, 0, sizeof b);
    kgrl_record_to_json(&r, &b);
    kgrl_err err;
    kgrl_json *j = kgrl_json_parse(b.data, b.len, &err);
    KT_CHECK(j != NULL, "record JSON parses: %s", j ? "" : err.msg);
    if (j) {
        KT_CHECK(!strcmp(kgrl_json_string_or(j, "task", ""), "L9/1"), "task");
        KT_CHECK(!strcmp(kgrl_json_string_or(j, "status", ""), "ok"), "status");
        KT_CHECK(!strcmp(kgrl_json_string_or(j, "stage", ""), "timing"), "stage");
        KT_CHECK(kgrl_json_bool_or(j, "correct", false), "correct");
        KT_CLOSE(kgrl_json_number_or(j, "speedup", 0), 2.0, 0, 0, "speedup");
        KT_CHECK(kgrl_json_int_or(j, "trials", 0) == 37, "trials");
        KT_CHECK(kgrl_json_get(j, "cv")->type == KGRL_JSON_NULL, "NaN cv is null");
        const kgrl_json *fl = kgrl_json_get(j, "flags");
        KT_CHECK(fl && fl->count == 2 && !strcmp(fl->items[0].string, "suspicious") && !strcmp(fl->items[1].string, "ref_cached"), "flags");
        const kgrl_json *st = kgrl_json_get(kgrl_json_get(j, "stages"), "compile");
        KT_CHECK(st && !strcmp(kgrl_json_string_or(st, "outcome", ""), "pass"), "stage outcome");
        KT_CHECK(st && !strcmp(kgrl_json_string_or(st, "log", ""), "line 1: \"quoted\"\nnext"), "stage log round-trips");
        KT_CLOSE(kgrl_json_number_or(j, "reward", 0), 2.5, 1e-12, 0, "reward");
        KT_CLOSE(kgrl_json_number_or(kgrl_json_get(j, "reward_parts"), "speed", 0), 1.0, 1e-12, 0, "reward part");
        kgrl_json_free(j);
    }
    kgrl_buf_free(&b);
}

// ---- the funnel's first two stages, through worker processes -----------------------------------

static char *read_or_null(const char *path) { return kgrl_read_file(path, NULL, NULL); }

// The checked build (kgrl__vf_checked_src: the entry hook at every kernel's brace) compiles with
// NVRTC for each arch the hook has a branch for, its kernels keep their names, and NVRTC's line
// numbers stay the candidate's. No GPU needed; the hook's effect is test_verifier_gpu's
// (tests/adversarial/sum__uninit_shared_zeroed.cu and sum__hidden_kernel_body.cu).
static void test_checked_build(void) {
    const char *sig = "void forward(const float* x, float* out, int rows, int cols)";
    char *text = read_or_null("tests/adversarial/sum__uninit_shared_zeroed.cu");
    KT_CHECK(text != NULL, "read the candidate");
    if (!text) return;
    kgrl_candidate c;
    kgrl_candidate_parse(text, sig, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK && c.nkernel_bodies == 2, "parse: %s, %d bodies", c.message, c.nkernel_bodies);
    char *checked = kgrl__vf_checked_src(&c);
    KT_CHECK(strstr(checked, "{ kgrl__entry_hook();") != NULL, "the hook is called");
    const char *archs[3] = {"sm_75", "sm_80", "sm_90"};   // no reserved window; reserved cap; %aggr_smem_size
    for (int a = 0; a < 3; a++) {
        kgrl_cubin cb;
        kgrl_nvrtc_compile(checked, archs[a], kgrl__vf_nvrtc_opts, KGRL__VF_NOPTS, (const char *const *)c.name_exprs, c.nname_exprs, NULL, &cb);
        KT_CHECK(cb.ok, "%s: %s", archs[a], cb.log);
        for (int i = 0; cb.ok && i < c.nname_exprs; i++) KT_CHECK(cb.lowered && cb.lowered[i], "%s: %s lowered", archs[a], c.name_exprs[i]);
        kgrl_cubin_free(&cb);
    }
    kgrl_free(checked);
    kgrl_candidate_free(&c);
    kgrl_free(text);
    // an error on the candidate's line 3 is reported on line 3
    const char *bad = "__global__ void k(const float* x, float* out, int cols) {\n"
                      "    int i = threadIdx.x;\n"
                      "    out[i] = x[i] + undefined_name;\n"
                      "}\n"
                      "void forward(const float* x, float* out, int rows, int cols) { k<<<1, 32>>>(x, out, cols); }\n";
    kgrl_candidate_parse(bad, sig, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "parse: %s", c.message);
    checked = kgrl__vf_checked_src(&c);
    kgrl_cubin cb;
    kgrl_nvrtc_compile(checked, "sm_90", kgrl__vf_nvrtc_opts, KGRL__VF_NOPTS, (const char *const *)c.name_exprs, c.nname_exprs, NULL, &cb);
    KT_CHECK(!cb.ok && cb.log && strstr(cb.log, "(3): error") && strstr(cb.log, "undefined_name"), "the error's line: %s", cb.log);
    kgrl_cubin_free(&cb);
    kgrl_free(checked);
    kgrl_candidate_free(&c);
}

// Every adversarial and vtask candidate, compile only (sm_90), through the pool: the static and
// compile verdicts must match the expectations of the files' first lines; everything else compiles.
static void test_compile_stage_pool(void) {
    static const char *const names[][2] = {
        {"add__ok_template.cu", "L9/1"}, {"add__unwritten_output.cu", "L9/1"}, {"add__stream_arg.cu", "L9/1"},
        {"add__host_code.cu", "L9/1"}, {"matmul__builtin_call.cu", "L9/4"}, {"add__compile_bomb.cu", "L9/1"},
        {"relu__ok_dyn_smem_64k.cu", "L9/2"}, {"add__ok_inline_ptx.cu", "L9/1"}, {"sum__fp16_accumulation.cu", "L9/5"},
    };
    const int n = (int)(sizeof names / sizeof names[0]);
    kgrl_task tasks[5];
    static const char *const dirs[5] = {"tests/vtasks/level9/001_VectorAdd", "tests/vtasks/level9/002_ReLU",
                                        "tests/vtasks/level9/003_RowSoftmax", "tests/vtasks/level9/004_SmallMatmul",
                                        "tests/vtasks/level9/005_SumReduction"};
    for (int i = 0; i < 5; i++) {
        kgrl_err err;
        bool ok = kgrl_task_load(dirs[i], &tasks[i], &err);
        KT_CHECK(ok, "load %s: %s", dirs[i], err.msg);
        if (!ok) return;
    }
    kgrl_verify_job jobs[16];
    char *texts[16];
    for (int i = 0; i < n; i++) {
        char p[256];
        snprintf(p, sizeof p, "tests/adversarial/%s", names[i][0]);
        texts[i] = read_or_null(p);
        KT_CHECK(texts[i] != NULL, "read %s", p);
        if (!texts[i]) return;
        int t = names[i][1][3] - '1';
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].task = &tasks[t];
        jobs[i].completion = texts[i];
    }
    char cache[256];
    snprintf(cache, sizeof cache, "build/test_verifier_cache");
    kgrl_verifier_desc d;
    memset(&d, 0, sizeof d);
    d.compile_only = true;
    d.arch = "sm_90";
    d.compile_workers = 2;
    d.compile_timeout_s = 3;                         // the bomb must be gone 3 s after it starts compiling
    d.cache_dir = cache;
    d.logger.min_level = KGRL_LOG_WARN;
    kgrl_verifier *v = kgrl_verifier_create(&d);
    kgrl_record rec[16];
    double t0 = kgrl_now_s();
    kgrl_verify_batch(v, jobs, n, rec);
    double wall = kgrl_now_s() - t0;
    for (int i = 0; i < n; i++) {
        // expected statuses from the first line; in compile-only mode a later-stage verdict shows as ok
        char want[128] = {0};
        sscanf(texts[i], "// expect: %127s", want);
        const char *got = kgrl_status_name(rec[i].status);
        bool early = strstr(want, "static_reject") || strstr(want, "compile_error") || strstr(want, "format_error") ||
                     strstr(want, "timeout");
        if (early) {
            char padded[160];
            snprintf(padded, sizeof padded, "|%s|", want);
            char key[64];
            snprintf(key, sizeof key, "|%s|", got);
            KT_CHECK(strstr(padded, key) != NULL, "%s: got %s, want %s (%s)", names[i][0], got, want, rec[i].message);
        } else {
            KT_CHECK(rec[i].status == KGRL_STATUS_OK && rec[i].compiled && (rec[i].flags & KGRL_FLAG_COMPILE_ONLY),
                     "%s: should compile, got %s (%s)", names[i][0], got, rec[i].message);
            KT_CHECK(rec[i].stages[KGRL_STAGE_SMOKE].outcome == KGRL_OUTCOME_SKIPPED, "%s: smoke skipped", names[i][0]);
        }
        KT_CHECK(rec[i].hash[0] && strlen(rec[i].hash) == 64, "%s: hash", names[i][0]);
        KT_CHECK(!strcmp(rec[i].task, jobs[i].task->id), "%s: task id %s", names[i][0], rec[i].task);
    }
    // the bomb: killed by the watchdog (3 s) or failed by NVRTC; either way the batch went on and
    // finished in far less than the bomb would take (its expansion never ends)
    KT_CHECK(wall < 30.0, "batch took %.1f s", wall);
    // the bomb's worker was replaced if it was killed
    if (rec[5].status == KGRL_STATUS_TIMEOUT) {
        KT_CHECK(rec[5].flags & KGRL_FLAG_WORKER_REPLACED, "bomb: worker replaced");
        KT_CHECK(rec[5].stage == KGRL_STAGE_COMPILE, "bomb: timed out in compile");
        KT_CHECK(kgrl_verifier_worker_starts(v) > d.compile_workers, "a fresh worker was started");
    }
    // a second batch on the same pool works (after a kill), and hits the cubin cache
    kgrl_record rec2[1];
    kgrl_verify_batch(v, jobs, 1, rec2);
    KT_CHECK(rec2[0].status == KGRL_STATUS_OK && (rec2[0].flags & KGRL_FLAG_CUBIN_CACHED), "second batch: %s",
             rec2[0].message);
    KT_CHECK(!strcmp(rec2[0].hash, rec[0].hash), "same code, same hash");
    kgrl_verifier_destroy(v);
    for (int i = 0; i < n; i++) kgrl_free(texts[i]);
    for (int i = 0; i < 5; i++) kgrl_task_free(&tasks[i]);
}

// ---- a harness failure is not the candidate's ---------------------------------------------------

// What a worker does when its own GPU allocation finds the GPU full (kgrl__vf_report_oom), played by
// the test: the worker is gone, and its last message says why. The scheduler reads both.
static void play_harness_oom(kgrl_verifier *v, kgrl__vf_batch *b, int i, const char *line) {
    kgrl__vf_pw *pw = &v->w[i];
    int sv[2];
    KT_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    kill(pw->pid, SIGKILL);                          // the real worker, which compiles meanwhile
    close(pw->fd);
    pw->fd = sv[0];
    KT_CHECK(kgrl__vf_send_msg(sv[1], KGRL__MSG_INFRA, line, (uint32_t)strlen(line) + 1), "send the report");
    close(sv[1]);
    KT_CHECK(kgrl__vf_on_message(v, b, i), "the report is read");
    KT_CHECK(!kgrl__vf_on_message(v, b, i), "then the worker is gone");
    kgrl__vf_reap(v, b, i, false);
}

// Run the batch's job on worker i to its end, as kgrl_verify_batch's loop does.
static void run_to_end(kgrl_verifier *v, kgrl__vf_batch *b, int i) {
    double t0 = kgrl_now_s();
    while (b->done < b->n && kgrl_now_s() - t0 < 30) {
        struct pollfd pf = {v->w[i].fd, POLLIN, 0};
        if (poll(&pf, 1, 100) > 0 && !kgrl__vf_on_message(v, b, i)) kgrl__vf_reap(v, b, i, false);
    }
}

// A worker whose harness ran out of GPU memory (another process filled the GPU) gets its job run
// again on a fresh worker; a second failure is recorded with the flag infra_error and the line the
// worker sent (it names the free GPU memory), never as a plain runtime_fault. No GPU is needed:
// the scheduler's side is the same for a compile-only pool.
static void test_harness_oom_retry(void) {
    kgrl_task task;
    kgrl_err err;
    KT_CHECK(kgrl_task_load("tests/vtasks/level9/001_VectorAdd", &task, &err), "load: %s", err.msg);
    char *text = read_or_null("tests/adversarial/add__ok_template.cu");
    KT_CHECK(text != NULL, "read the candidate");
    if (!text) return;
    kgrl_verifier_desc d;
    memset(&d, 0, sizeof d);
    d.compile_only = true;
    d.arch = "sm_90";
    d.compile_workers = 1;
    d.cache_dir = "build/test_verifier_cache";
    d.logger.min_level = KGRL_LOG_ERROR;             // the scheduler warns on each report: expected here
    kgrl_verifier *v = kgrl_verifier_create(&d);
    kgrl_verify_job job;
    memset(&job, 0, sizeof job);
    job.task = &task;
    job.completion = text;
    const char *line = "kgrl_first_diff_gpu: cudaMallocAsync(...): out of memory (cudaErrorMemoryAllocation); GPU free 3 of 81079 MiB";
    kgrl_record rec;
    // twice: the record says infra_error and carries the worker's line
    kgrl__vf_batch b = {&job, &rec, 1, 1, 0};
    KT_CHECK(kgrl__vf_send_job(v, 0, &job, 0), "send the job");
    play_harness_oom(v, &b, 0, line);
    KT_CHECK(b.done == 0 && v->w[0].job == 0 && v->w[0].state == KGRL__W_BUSY, "first failure: job sent again, not recorded");
    KT_CHECK(kgrl_verifier_worker_starts(v) == 2, "to a fresh worker (%d starts)", kgrl_verifier_worker_starts(v));
    play_harness_oom(v, &b, 0, line);
    KT_CHECK(b.done == 1, "second failure: recorded");
    KT_CHECK(rec.flags & KGRL_FLAG_INFRA_ERROR, "flag infra_error (%s)", rec.message);
    KT_CHECK(strstr(rec.message, "GPU free 3 of 81079 MiB") != NULL, "the worker's line: %s", rec.message);
    // once: the fresh worker's verdict stands, marked as having replaced a worker
    kgrl__vf_batch b2 = {&job, &rec, 1, 1, 0};
    KT_CHECK(kgrl__vf_send_job(v, 0, &job, 0), "send the job again");
    play_harness_oom(v, &b2, 0, line);
    run_to_end(v, &b2, 0);
    KT_CHECK(b2.done == 1 && rec.status == KGRL_STATUS_OK && rec.compiled, "retry's verdict: %s (%s)",
             kgrl_status_name(rec.status), rec.message);
    KT_CHECK(!(rec.flags & KGRL_FLAG_INFRA_ERROR) && (rec.flags & KGRL_FLAG_WORKER_REPLACED), "flags %#x", rec.flags);
    kgrl_verifier_destroy(v);
    kgrl_free(text);
    kgrl_task_free(&task);
}

int main(void) {
    KT_RUN(test_reward_presets);
    KT_RUN(test_reward_components_and_judge);
    KT_RUN(test_tstats);
    KT_RUN(test_timing_stop);
    KT_RUN(test_poison_and_compare);
    KT_RUN(test_record_json);
    KT_RUN(test_compile_stage_pool);
    KT_RUN(test_checked_build);
    KT_RUN(test_harness_oom_retry);
    return kt_finish();
}
