// The verifier (DESIGN §3): the reward's ground truth. A pool of worker processes over every
// visible GPU runs each candidate through the staged funnel
//
//   1 format/static (the interpreter)  2 compile (NVRTC, every name resolves)  3 smoke (tiny sizes)
//   4 correctness (all variants, poisoned outputs, guards, pristine inputs, two runs)  5 timing
//
// and returns one record per candidate; a candidate stops at its first failing stage.
//
// Isolation (§3.5). Candidates never run in the caller's process or CUDA context: workers
// re-execute /proc/self/exe with KGRL_VERIFIER_WORKER=<fd> in the environment, and a constructor in
// this implementation catches that variable and runs the worker loop before the host program's
// main, so any program built with KGRL_IMPLEMENTATION is its own worker. Each worker sees one GPU
// (CUDA_VISIBLE_DEVICES) and creates its context when it starts. The scheduler (in the caller, one
// thread, inside kgrl_verify_batch) talks to workers over socketpairs and keeps the watchdog: a
// job past its limit (compile, each forward run, the whole job) gets its worker SIGKILLed and the
// verdict `timeout`; a worker that dies (fault, abort, OOM kill) gives `runtime_fault`; a worker
// whose context took a sticky error reports `runtime_fault` and exits. A worker whose own GPU
// allocation (inputs, answers, comparison results, scratch within budget) runs out of memory —
// another process filled the GPU — reports that and exits: the job runs once more on a fresh
// worker, and a second such failure is recorded with the flag infra_error. Dead workers are replaced
// and the batch goes on. Per GPU the scheduler holds a readers-writer lock: smoke and correctness
// runs of several workers share the GPU, timing takes it exclusively (no other verifier work on
// that GPU while timing). NVRTC runs in the workers, in parallel, under the compile watchdog, with
// the on-disk cubin cache.
//
// Correctness (§3.3), per variant: inputs generated on the GPU with a pristine device copy; the
// candidate runs twice, each in a fresh module instance, with two poison patterns (outputs,
// scratch, and shared memory: smoke and correctness run a build of the candidate whose every kernel
// first fills its block's shared window with the pattern, kgrl__vf_checked_src; timing runs the
// plain build, compiled after correctness passes); after each run the checks run on the GPU: inputs
// against the pristine copies (`input_mutated`), the guard regions after every input, output and
// scratch buffer (out-of-bounds write -> `wrong_output`, flag oob_write), then the outputs with
// |out - ref| <= atol + rtol·|ref| (first run: `wrong_output`, second: `nondeterministic`) against
// the reference's answer. The answer exists in device memory only between the candidate's run and
// the comparison: it is written after the run (uploaded from the host copy that small outputs keep,
// read from the disk cache or computed once; large outputs are recomputed by the reference on the
// pristine inputs) and poisoned before any candidate code runs again. Scratch (cudaMalloc in
// forward) is allocated by the kit before the run, poisoned, guarded, and bounded: every allocation
// of one forward call counts toward the budget (`out_of_memory`). Kernel arguments are marshalled
// by the interpreter's types and checked against the kernel's parameter layout
// (cudaFuncGetParamInfo) on correctness runs.
//
// Timing (§3.4), under the exclusive lock: warm-up, then iterations of [fresh input values (a
// cache keyed by pointer or value never hits), L2 flush (memset of 2x L2), reference timed by
// events, outputs poisoned, L2 flush, candidate timed] on two alternating buffer sets; on check
// iterations (the first two, then every 16th) the inputs get pristine copies and the candidate's
// outputs, inputs and guards are checked as above (the answer recomputed on those inputs). Adaptive stop: median SE
// (1.2533·σ/√n) below 0.5% for both, or 200 trials, or the wall budget. Median, 10% trimmed mean,
// CV. `impossible_speed` below 0.75x the physical floor; `suspicious` flag above 10x.
//
// NVRTC gets -D definitions of INFINITY, NAN, FLT_MAX, FLT_MIN and FLT_EPSILON for every
// candidate and reference: nvcc-compiled CUDA sees them from math.h/cfloat, NVRTC has neither.
//
// Typical use (trainer):
//   kgrl_verifier *v = kgrl_verifier_create(&(kgrl_verifier_desc){.seed = 1234});
//   kgrl_verify_job jobs[n] = {{task, completion_text}, ...};
//   kgrl_record recs[n];
//   kgrl_verify_batch(v, jobs, n, recs);       // returns when every job has a record
//   ... recs[i].reward, recs[i].status ...
//   kgrl_verifier_destroy(v);
// One kgrl_verify_batch at a time per verifier (it is the scheduler); not thread-safe.

typedef enum kgrl_stage {
    KGRL_STAGE_FORMAT, KGRL_STAGE_COMPILE, KGRL_STAGE_SMOKE, KGRL_STAGE_CORRECTNESS, KGRL_STAGE_TIMING,
    KGRL_STAGE_COUNT
} kgrl_stage;
KGRL_API const char *kgrl_stage_name(kgrl_stage s);   // "format", "compile", "smoke", "correctness", "timing"

typedef enum kgrl_outcome { KGRL_OUTCOME_NOT_RUN, KGRL_OUTCOME_PASS, KGRL_OUTCOME_FAIL, KGRL_OUTCOME_SKIPPED } kgrl_outcome;
KGRL_API const char *kgrl_outcome_name(kgrl_outcome o); // "not_run", "pass", "fail", "skipped"

// Record flags: facts worth keeping that are not a status of their own.
#define KGRL_FLAG_SUSPICIOUS        (1u << 0)  // speedup > 10x (KernelBench's excessive_speedup)
#define KGRL_FLAG_OOB_WRITE         (1u << 1)  // a guard region after an output/scratch buffer was written
#define KGRL_FLAG_COMPILE_ONLY      (1u << 2)  // no GPU: stages 3-5 skipped
#define KGRL_FLAG_TIMING_BUDGET     (1u << 3)  // timing stopped at its budget before the SE target
#define KGRL_FLAG_CUBIN_CACHED      (1u << 4)  // NVRTC was skipped (on-disk cubin cache hit)
#define KGRL_FLAG_REF_CACHED        (1u << 5)  // some reference outputs came from the disk cache
#define KGRL_FLAG_WORKER_REPLACED   (1u << 6)  // the worker died or was killed on this job
#define KGRL_FLAG_REFERENCE_FAILED  (1u << 7)  // the task's reference failed: a task-suite bug, not the candidate's
#define KGRL_FLAG_TIMED_CHECKED     (1u << 8)  // outputs of timed runs were checked
#define KGRL_FLAG_INFRA_ERROR       (1u << 9)  // the harness failed (its GPU allocation, twice): not the candidate's
#define KGRL_FLAG_COUNT 10
KGRL_API const char *kgrl_flag_name(int bit);  // "suspicious", "oob_write", ...

typedef struct kgrl_stage_record {
    kgrl_outcome outcome;
    double ms;                      // wall time of the stage
    char log[768];                  // excerpt: NVRTC log, first mismatches, fault, ...
} kgrl_stage_record;

#define KGRL_REWARD_MAX_PARTS 8
// One verdict (DESIGN §3.6). Plain old data: it travels between processes as bytes.
typedef struct kgrl_record {
    char task[16];                  // "L1/19"
    char hash[65];                  // SHA-256 of the extracted code (of the completion when none was found)
    kgrl_status status;
    kgrl_stage stage;               // furthest stage reached: the failing one, or TIMING when ok
    bool compiled, correct;
    double t_ref_ms, t_cand_ms;     // medians over the timed trials; NaN when not timed
    double t_ref_trimmed_ms, t_cand_trimmed_ms;  // 10% trimmed means
    double speedup;                 // t_ref_ms / t_cand_ms; NaN when not timed
    double speedup_vs_torch;        // PyTorch eager's time (data/baselines/<gpu>.csv) / t_cand_ms; NaN without one
    double cv;                      // coefficient of variation of the candidate's trials
    double se_rel;                  // standard error of the candidate's median / median
    double floor_ms;                // physical floor max(bytes/bandwidth, flops/peak); NaN if unknown
    int trials;                     // timed trials (each: one reference and one candidate run)
    uint32_t flags;                 // KGRL_FLAG_*
    kgrl_stage_record stages[KGRL_STAGE_COUNT];
    double reward;
    char reward_preset[16];
    int nreward_parts;
    char reward_part_names[KGRL_REWARD_MAX_PARTS][24];
    double reward_parts[KGRL_REWARD_MAX_PARTS];
    char message[512];              // one line: why it failed, or a summary
    double total_ms;                // wall time of the job in its worker (or until it was killed)
    int gpu;                        // pool GPU index that ran it (-1: none)
} kgrl_record;
KGRL_API void kgrl_record_init(kgrl_record *r, const char *task_id);
// Appends one compact JSON object (no newline).
KGRL_API void kgrl_record_to_json(const kgrl_record *r, kgrl_buf *out);

// ---- timing statistics (CPU; used by the timing stage, tested on known data) ----
typedef struct kgrl_tstats {
    int n;
    double median, trimmed_mean, mean, std, cv, min, max;
    double se_median;               // 1.2533·σ/√n: the large-sample SE of a median of normal data
} kgrl_tstats;
KGRL_API void kgrl_tstats_compute(const double *x, int n, kgrl_tstats *out);  // x is not modified

// Defaults: warmup 3 (KernelBench), min_trials 10, max_trials 200, se_target 0.005 (0.5% of the
// median), budget_s 2.0 s of wall time for the timing stage, check_every 5 trials.
typedef struct kgrl_timing_desc {
    int warmup, min_trials, max_trials, check_every;
    double se_target, budget_s;
    bool single_shot;               // one trial, no adaptation (for the benchmark's comparison)
} kgrl_timing_desc;
KGRL_API kgrl_timing_desc kgrl_timing_desc_resolve(const kgrl_timing_desc *d);
// Should the timing loop stop after the trials summarized in ref and cand (same n)? budget_hit
// (may be NULL) is set when it stops for the wall budget before the SE target was met.
KGRL_API bool kgrl_timing_should_stop(const kgrl_timing_desc *d, const kgrl_tstats *ref, const kgrl_tstats *cand,
                                      double elapsed_s, bool *budget_hit);

// ---- poisoning, guards and comparison (host-side helpers of the correctness stage) ----
// Outputs are filled with a byte pattern before every candidate run (cudaMemset): pattern 0 gives
// fp32 NaN (0xFF bytes) and ints 0x7f7f...; pattern 1 gives fp32 3.39e38 (0x7F bytes, finite but
// far from any honest value) and ints 0x8080.... Two different patterns expose races and reads
// of unwritten memory (nondeterministic).
KGRL_API uint8_t kgrl_poison_byte(kgrl_elem e, int pattern);
#define KGRL_GUARD_BYTES 4096       // after every output and scratch buffer
// The guard region after buffer k (tensors: the param index; scratch i: nparams + i) is filled with
// kgrl_guard_byte(k), a different byte per buffer, so an out-of-bounds write that copies one guard
// into another (an elementwise op that maps the tiny float 0xA5A5A5A5 to itself, run past the end
// of both its input and its output) still changes the destination guard.
KGRL_API uint8_t kgrl_guard_byte(int k);
// Index of the first byte of g[0..n) that is not `pattern`, or -1.
KGRL_API int64_t kgrl_guard_first_bad(const uint8_t *g, size_t n, uint8_t pattern);

typedef struct kgrl_compare {
    int64_t n, nbad;
    int64_t nnonfinite;             // bad because got is NaN/Inf where want is finite
    double max_abs;                 // over finite pairs
    int nshow; int64_t idx[8]; double got[8], want[8];   // the first mismatches
} kgrl_compare;
// |got − want| <= atol + rtol·|want| elementwise; NaN/Inf where want is finite fails; where want is
// not finite, got must be the same (NaN, or the same infinity). Ints compare exactly.
KGRL_API void kgrl_compare_f32(const float *got, const float *want, int64_t n, double atol, double rtol, kgrl_compare *out);
KGRL_API void kgrl_compare_ints(const void *got, const void *want, int64_t n, kgrl_elem e, kgrl_compare *out);
// "3 of 1024 differ (max |diff| 0.5): [5] got nan want 0.25, ..." into out.
KGRL_API void kgrl_compare_describe(const kgrl_compare *c, char *out, size_t cap);
// The same checks on the GPU (kernels/verifier.cu), on device pointers, synchronous on ctx->stream;
// what the verifier runs. kgrl_compare_gpu gives the same counts and max_abs as the CPU functions;
// the mismatches it shows are up to 8 of them (the first ones found, not the lowest indices), sorted.
KGRL_API void kgrl_compare_gpu(kgrl_ctx *ctx, const void *got, const void *want, int64_t n, kgrl_elem e, double atol,
                               double rtol, kgrl_compare *out);
// Index of the first byte where a[0..n) differs from b[0..n), or from `pattern` when b is NULL; -1 if none.
KGRL_API int64_t kgrl_first_diff_gpu(kgrl_ctx *ctx, const void *a, const void *b, uint8_t pattern, size_t n);

// ---- the pool ----
typedef struct kgrl_reward_desc kgrl_reward_desc;   // src/24_rewards.h
// Zero means default:
//   workers_per_gpu      4 (correctness overlaps on a GPU; timing is exclusive per GPU)
//   compile_workers      the online CPU count (capped at 16); used when there is no GPU
//   max_gpus             every visible GPU
//   arch                 the GPUs' arch; with no GPU, KGRL_DEFAULT_ARCH (else "sm_90") and compile only
//   nvariants            5 (DESIGN §3.3)
//   compile_timeout_s    5 s: far above NVRTC on any honest candidate (tens to hundreds of ms); a bomb
//                        costs at most this much of one worker
//   run_timeout_s        1 s per forward run (its launch sequence plus a sync)
//   job_timeout_s        300 s per job (the first job on a device also measures the ceilings)
//   scratch_budget_bytes min(4 GiB, max(256 MiB, 8x the task's tensor bytes))
//   cache_dir            like kgrl_ctx: cubins, reference outputs, ceilings
//   reward               NULL: composite defaults
typedef struct kgrl_verifier_desc {
    int workers_per_gpu, compile_workers, max_gpus;
    const char *arch;
    bool compile_only;              // stop after stage 2 even with GPUs
    uint64_t seed;                  // the verifier's input seed (variants derive from it)
    int nvariants;
    double compile_timeout_s, run_timeout_s, job_timeout_s;
    uint64_t scratch_budget_bytes;
    kgrl_timing_desc timing;
    const kgrl_reward_desc *reward;
    const char *cache_dir;
    kgrl_logger logger;
} kgrl_verifier_desc;

typedef struct kgrl_verify_job {
    const kgrl_task *task;
    const char *completion;         // model output (any text) or a bare .cu file
    bool has_judge; double judge;   // optional judge score J in [0, 1] for the reward
} kgrl_verify_job;

typedef struct kgrl_verifier kgrl_verifier;
// Spawns the workers (they start CUDA lazily, on their first job). Never loads candidate code here.
KGRL_API kgrl_verifier *kgrl_verifier_create(const kgrl_verifier_desc *desc);
// Verifies n jobs in parallel across workers and GPUs; records[i] belongs to jobs[i]. Returns when
// all are done. Rewards are applied (desc.reward) before it returns.
KGRL_API void kgrl_verify_batch(kgrl_verifier *v, const kgrl_verify_job *jobs, int n, kgrl_record *records);
KGRL_API void kgrl_verifier_destroy(kgrl_verifier *v);
// The resolved desc, the GPUs in the pool, and the number of worker (re)starts so far.
KGRL_API const kgrl_verifier_desc *kgrl_verifier_resolved(const kgrl_verifier *v);
KGRL_API int kgrl_verifier_ngpus(const kgrl_verifier *v);
KGRL_API int kgrl_verifier_worker_starts(const kgrl_verifier *v);

// Trusted code only (references, the kit's tests): run `src` (candidate format; builtins allowed
// when allow_builtins) once in *this* process on the task's inputs for variant v (the values of
// kgrl_task_fill_input_cpu, generated on the GPU) and copy each OUTPUT param p to outputs_host[p]
// (caller-allocated, numel elements). No isolation, no poisoning checks: never give it a candidate.
#define KGRL_HAS_TASK_RUN_INPROCESS 1
KGRL_API bool kgrl_task_run_inprocess(kgrl_ctx *ctx, const kgrl_task *t, const kgrl_variant *v, const char *src,
                                      bool allow_builtins, void **outputs_host, kgrl_err *err);
// The same, timed: after one run, `trials` replays each preceded by an L2 flush and bracketed by
// events on ctx->stream (the verifier's method without the interleaving); the median goes to
// *median_ms. outputs_host may be NULL. For baselines of the kit's own references.
KGRL_API bool kgrl_task_time_inprocess(kgrl_ctx *ctx, const kgrl_task *t, const kgrl_variant *v, const char *src,
                                       bool allow_builtins, int trials, double *median_ms, kgrl_err *err);

// kgrl:implementation
// Implementation-only system headers of this part (process pool).
extern char **environ;                               // POSIX; declared by unistd.h only under _GNU_SOURCE

static const char *const kgrl__vf_stage_names[KGRL_STAGE_COUNT] = {"format", "compile", "smoke", "correctness", "timing"};
const char *kgrl_stage_name(kgrl_stage s) { return (s >= 0 && s < KGRL_STAGE_COUNT) ? kgrl__vf_stage_names[s] : "unknown"; }

const char *kgrl_outcome_name(kgrl_outcome o) {
    static const char *const names[] = {"not_run", "pass", "fail", "skipped"};
    return (o >= 0 && o <= KGRL_OUTCOME_SKIPPED) ? names[o] : "unknown";
}

const char *kgrl_flag_name(int bit) {
    static const char *const names[KGRL_FLAG_COUNT] = {"suspicious", "oob_write", "compile_only", "timing_budget",
        "cubin_cached", "ref_cached", "worker_replaced", "reference_failed", "timed_checked", "infra_error"};
    return (bit >= 0 && bit < KGRL_FLAG_COUNT) ? names[bit] : "unknown";
}

void kgrl_record_init(kgrl_record *r, const char *task_id) {
    memset(r, 0, sizeof *r);
    snprintf(r->task, sizeof r->task, "%s", task_id ? task_id : "");
    r->status = KGRL_STATUS_OK;
    r->t_ref_ms = r->t_cand_ms = r->t_ref_trimmed_ms = r->t_cand_trimmed_ms = NAN;
    r->speedup = r->speedup_vs_torch = r->cv = r->se_rel = r->floor_ms = NAN;
    r->gpu = -1;
}

void kgrl_record_to_json(const kgrl_record *r, kgrl_buf *out) {
    kgrl_json_writer w;
    memset(&w, 0, sizeof w);
    w.out = out;
    kgrl_jw_begin_object(&w);
    kgrl_jw_key(&w, "task"); kgrl_jw_string(&w, r->task);
    kgrl_jw_key(&w, "hash"); kgrl_jw_string(&w, r->hash);
    kgrl_jw_key(&w, "status"); kgrl_jw_string(&w, kgrl_status_name(r->status));
    kgrl_jw_key(&w, "stage"); kgrl_jw_string(&w, kgrl_stage_name(r->stage));
    kgrl_jw_key(&w, "compiled"); kgrl_jw_bool(&w, r->compiled);
    kgrl_jw_key(&w, "correct"); kgrl_jw_bool(&w, r->correct);
    kgrl_jw_key(&w, "t_ref_ms"); kgrl_jw_number(&w, r->t_ref_ms);
    kgrl_jw_key(&w, "t_cand_ms"); kgrl_jw_number(&w, r->t_cand_ms);
    kgrl_jw_key(&w, "t_ref_trimmed_ms"); kgrl_jw_number(&w, r->t_ref_trimmed_ms);
    kgrl_jw_key(&w, "t_cand_trimmed_ms"); kgrl_jw_number(&w, r->t_cand_trimmed_ms);
    kgrl_jw_key(&w, "speedup"); kgrl_jw_number(&w, r->speedup);
    kgrl_jw_key(&w, "speedup_vs_torch"); kgrl_jw_number(&w, r->speedup_vs_torch);
    kgrl_jw_key(&w, "cv"); kgrl_jw_number(&w, r->cv);
    kgrl_jw_key(&w, "se_rel"); kgrl_jw_number(&w, r->se_rel);
    kgrl_jw_key(&w, "floor_ms"); kgrl_jw_number(&w, r->floor_ms);
    kgrl_jw_key(&w, "trials"); kgrl_jw_int(&w, r->trials);
    kgrl_jw_key(&w, "flags");
    kgrl_jw_begin_array(&w);
    for (int b = 0; b < KGRL_FLAG_COUNT; b++) if (r->flags & (1u << b)) kgrl_jw_string(&w, kgrl_flag_name(b));
    kgrl_jw_end_array(&w);
    kgrl_jw_key(&w, "stages");
    kgrl_jw_begin_object(&w);
    for (int s = 0; s < KGRL_STAGE_COUNT; s++) {
        kgrl_jw_key(&w, kgrl_stage_name((kgrl_stage)s));
        kgrl_jw_begin_object(&w);
        kgrl_jw_key(&w, "outcome"); kgrl_jw_string(&w, kgrl_outcome_name(r->stages[s].outcome));
        kgrl_jw_key(&w, "ms"); kgrl_jw_number(&w, r->stages[s].ms);
        kgrl_jw_key(&w, "log"); kgrl_jw_string(&w, r->stages[s].log);
        kgrl_jw_end_object(&w);
    }
    kgrl_jw_end_object(&w);
    kgrl_jw_key(&w, "reward"); kgrl_jw_number(&w, r->reward);
    kgrl_jw_key(&w, "reward_preset"); kgrl_jw_string(&w, r->reward_preset);
    kgrl_jw_key(&w, "reward_parts");
    kgrl_jw_begin_object(&w);
    for (int i = 0; i < r->nreward_parts && i < KGRL_REWARD_MAX_PARTS; i++) {
        kgrl_jw_key(&w, r->reward_part_names[i]);
        kgrl_jw_number(&w, r->reward_parts[i]);
    }
    kgrl_jw_end_object(&w);
    kgrl_jw_key(&w, "message"); kgrl_jw_string(&w, r->message);
    kgrl_jw_key(&w, "total_ms"); kgrl_jw_number(&w, r->total_ms);
    kgrl_jw_key(&w, "gpu"); kgrl_jw_int(&w, r->gpu);
    kgrl_jw_end_object(&w);
}

// ---------------------------------------------------------------------------------------------
// timing statistics

static int kgrl__vf_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

void kgrl_tstats_compute(const double *x, int n, kgrl_tstats *out) {
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n <= 0) {
        out->median = out->trimmed_mean = out->mean = out->std = out->cv = out->min = out->max = out->se_median = NAN;
        return;
    }
    double *s = (double *)kgrl_malloc((size_t)n * sizeof(double));
    memcpy(s, x, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), kgrl__vf_cmp_double);
    out->min = s[0];
    out->max = s[n - 1];
    out->median = (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += s[i];
    out->mean = sum / n;
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (s[i] - out->mean) * (s[i] - out->mean);
    out->std = n > 1 ? sqrt(ss / (n - 1)) : 0.0;          // sample std (n-1)
    out->cv = out->mean != 0 ? out->std / out->mean : NAN;
    // 10% trimmed mean: drop floor(0.1 n) from each end (scipy.stats.trim_mean's convention)
    int k = (int)(0.1 * n);
    double tsum = 0;
    for (int i = k; i < n - k; i++) tsum += s[i];
    out->trimmed_mean = tsum / (n - 2 * k);
    // SE of the median of n draws from a normal: sqrt(pi/2)·σ/√n = 1.2533·σ/√n
    out->se_median = 1.2533141373155 * out->std / sqrt((double)n);
    kgrl_free(s);
}

kgrl_timing_desc kgrl_timing_desc_resolve(const kgrl_timing_desc *d) {
    kgrl_timing_desc r;
    memset(&r, 0, sizeof r);
    if (d) r = *d;
    if (r.warmup == 0) r.warmup = 3;             // KernelBench's warm-up count
    if (r.min_trials == 0) r.min_trials = 10;
    if (r.max_trials == 0) r.max_trials = 200;   // 2x KernelBench's fixed 100
    if (r.check_every == 0) r.check_every = 5;
    if (r.se_target == 0) r.se_target = 0.005;   // DESIGN §3.4: 0.5% of the median
    if (r.budget_s == 0) r.budget_s = 2.0;
    if (r.min_trials > r.max_trials) r.min_trials = r.max_trials;
    if (r.single_shot) r.min_trials = r.max_trials = 1;
    return r;
}

bool kgrl_timing_should_stop(const kgrl_timing_desc *d, const kgrl_tstats *ref, const kgrl_tstats *cand,
                             double elapsed_s, bool *budget_hit) {
    kgrl_timing_desc t = kgrl_timing_desc_resolve(d);
    if (budget_hit) *budget_hit = false;
    int n = cand->n < ref->n ? cand->n : ref->n;
    if (n >= t.max_trials) return true;
    bool precise = n >= t.min_trials && n >= 2 &&
                   ref->se_median <= t.se_target * ref->median && cand->se_median <= t.se_target * cand->median;
    if (precise) return true;
    if (elapsed_s >= t.budget_s && n >= 1) {
        if (budget_hit) *budget_hit = true;
        return true;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// poisoning, guards, comparison

uint8_t kgrl_poison_byte(kgrl_elem e, int pattern) {
    if (e == KGRL_ELEM_F32) return pattern == 0 ? 0xFF : 0x7F;   // NaN ; 3.39e38
    return pattern == 0 ? 0x7F : 0x80;                            // 0x7f7f... ; 0x8080...
}

uint8_t kgrl_guard_byte(int k) {
    // A different byte for every k < 252 (0xA5 + 0x3B·j mod 256 visits all 256 values), skipping
    // 0x00 and 0x80 (zero floats and ints: what a kernel writes most) and 0x7F, 0xFF (the poison).
    // Distinct bytes matter, not just neighbours': an OOB op like 1.8e25 - 1.5e16 (absorbed) copies
    // one guard's value exactly, and must not land on a guard that holds that same value.
    int seen = -1;
    for (int j = 0; j < 256; j++) {
        uint8_t b = (uint8_t)(0xA5 + 0x3B * j);
        if (b == 0x00 || b == 0x80 || b == 0x7F || b == 0xFF) continue;
        if (++seen == (k < 0 ? 0 : k % 252)) return b;
    }
    return 0xA5;
}

int64_t kgrl_guard_first_bad(const uint8_t *g, size_t n, uint8_t pattern) {
    for (size_t i = 0; i < n; i++) if (g[i] != pattern) return (int64_t)i;
    return -1;
}

static void kgrl__vf_compare_note(kgrl_compare *c, int64_t i, double got, double want) {
    if (c->nshow < 8) { c->idx[c->nshow] = i; c->got[c->nshow] = got; c->want[c->nshow] = want; c->nshow++; }
}

void kgrl_compare_f32(const float *got, const float *want, int64_t n, double atol, double rtol, kgrl_compare *out) {
    memset(out, 0, sizeof *out);
    out->n = n;
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        bool ok;
        if (!isfinite(w)) ok = isnan(w) ? isnan(g) : (g == w);
        else if (!isfinite(g)) { ok = false; out->nnonfinite++; }
        else {
            double d = fabs(g - w);
            if (d > out->max_abs) out->max_abs = d;
            ok = d <= atol + rtol * fabs(w);
        }
        if (!ok) { out->nbad++; kgrl__vf_compare_note(out, i, g, w); }
    }
}

void kgrl_compare_ints(const void *got, const void *want, int64_t n, kgrl_elem e, kgrl_compare *out) {
    memset(out, 0, sizeof *out);
    out->n = n;
    for (int64_t i = 0; i < n; i++) {
        int64_t g, w;
        if (e == KGRL_ELEM_I64) { g = ((const int64_t *)got)[i]; w = ((const int64_t *)want)[i]; }
        else { g = ((const int32_t *)got)[i]; w = ((const int32_t *)want)[i]; }
        if (g != w) {
            double d = fabs((double)g - (double)w);
            if (d > out->max_abs) out->max_abs = d;
            out->nbad++;
            kgrl__vf_compare_note(out, i, (double)g, (double)w);
        }
    }
}

void kgrl_compare_describe(const kgrl_compare *c, char *out, size_t cap) {
    if (cap == 0) return;
    int k = snprintf(out, cap, "%lld of %lld differ (%lld not finite, max |diff| %.3g):", (long long)c->nbad,
                     (long long)c->n, (long long)c->nnonfinite, c->max_abs);
    for (int i = 0; i < c->nshow && k > 0 && (size_t)k < cap; i++)
        k += snprintf(out + k, cap - (size_t)k, "%s [%lld] got %.7g want %.7g", i ? "," : "", (long long)c->idx[i],
                      c->got[i], c->want[i]);
}

// kgrl_cmp_out of kernels/verifier.cu, byte for byte
typedef struct kgrl__vf_cmp_out {
    uint64_t nbad, nnonfinite, max_abs_bits, nnote;
    int64_t idx[8];
    double got[8], want[8];
} kgrl__vf_cmp_out;

// Enough blocks to fill the GPU, a grid-stride loop for the rest.
static dim3 kgrl__vf_check_grid(kgrl_ctx *ctx, uint64_t n_items) {
    uint64_t blocks = (n_items + 255) / 256, cap = 8 * (uint64_t)(ctx->sm_count > 0 ? ctx->sm_count : 1);
    return kgrl_dim3((unsigned)(blocks < 1 ? 1 : blocks > cap ? cap : blocks), 1, 1);
}

// KGRL_CUDA_CHECK for the verifier's own GPU allocations: out of memory in a worker is reported as
// the harness's failure, not the candidate's (kgrl__vf_alloc_failed, after the wire protocol).
static void kgrl__vf_alloc_failed(const char *file, int line, const char *func, const char *call, cudaError_t e);
#define KGRL__VF_ALLOC(call) do { cudaError_t kgrl_e_ = (call); if (kgrl_e_ != cudaSuccess) \
    kgrl__vf_alloc_failed(__FILE__, __LINE__, __func__, #call, kgrl_e_); } while (0)

void kgrl_compare_gpu(kgrl_ctx *ctx, const void *got, const void *want, int64_t n, kgrl_elem e, double atol, double rtol,
                      kgrl_compare *out) {
    cudaKernel_t k = kgrl_ctx_kernel(ctx, kgrl__kernel_verifier_cu, "kgrl_compare");
    kgrl__vf_cmp_out h, *d;
    KGRL__VF_ALLOC(cudaMallocAsync((void **)&d, sizeof h, ctx->stream));
    KGRL_CUDA_CHECK(cudaMemsetAsync(d, 0, sizeof h, ctx->stream));
    long long nn = n;
    int elem = e == KGRL_ELEM_F32 ? 0 : e == KGRL_ELEM_I64 ? 1 : 2;
    void *args[] = {(void *)&got, (void *)&want, &nn, &elem, &atol, &rtol, &d};
    kgrl_launch(ctx, k, kgrl__vf_check_grid(ctx, (uint64_t)n), kgrl_dim3(256, 1, 1), 0, args);
    KGRL_CUDA_CHECK(cudaMemcpyAsync(&h, d, sizeof h, cudaMemcpyDeviceToHost, ctx->stream));
    KGRL_CUDA_CHECK(cudaFreeAsync(d, ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    memset(out, 0, sizeof *out);
    out->n = n; out->nbad = (int64_t)h.nbad; out->nnonfinite = (int64_t)h.nnonfinite;
    memcpy(&out->max_abs, &h.max_abs_bits, sizeof(double));
    out->nshow = h.nnote < 8 ? (int)h.nnote : 8;
    for (int i = 0; i < out->nshow; i++) { out->idx[i] = h.idx[i]; out->got[i] = h.got[i]; out->want[i] = h.want[i]; }
    for (int i = 1; i < out->nshow; i++)            // insertion sort by index: at most 8
        for (int j = i; j > 0 && out->idx[j - 1] > out->idx[j]; j--) {
            int64_t ti = out->idx[j]; out->idx[j] = out->idx[j - 1]; out->idx[j - 1] = ti;
            double tg = out->got[j]; out->got[j] = out->got[j - 1]; out->got[j - 1] = tg;
            double tw = out->want[j]; out->want[j] = out->want[j - 1]; out->want[j - 1] = tw;
        }
}

int64_t kgrl_first_diff_gpu(kgrl_ctx *ctx, const void *a, const void *b, uint8_t pattern, size_t n) {
    cudaKernel_t k = kgrl_ctx_kernel(ctx, kgrl__kernel_verifier_cu, "kgrl_first_diff");
    unsigned long long h = ~0ull, *d;
    KGRL__VF_ALLOC(cudaMallocAsync((void **)&d, sizeof h, ctx->stream));
    KGRL_CUDA_CHECK(cudaMemcpyAsync(d, &h, sizeof h, cudaMemcpyHostToDevice, ctx->stream));
    unsigned int pat = pattern;
    long long nn = (long long)n;
    void *args[] = {(void *)&a, (void *)&b, &pat, &nn, &d};
    kgrl_launch(ctx, k, kgrl__vf_check_grid(ctx, (uint64_t)(n / 16 + 1)), kgrl_dim3(256, 1, 1), 0, args);
    KGRL_CUDA_CHECK(cudaMemcpyAsync(&h, d, sizeof h, cudaMemcpyDeviceToHost, ctx->stream));
    KGRL_CUDA_CHECK(cudaFreeAsync(d, ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    return h == ~0ull ? -1 : (int64_t)h;
}

// ---------------------------------------------------------------------------------------------
// wire protocol between the scheduler (caller's process) and its workers: a header and a payload

enum {
    KGRL__MSG_JOB = 1,              // scheduler -> worker: kgrl__vf_job_wire + 4 strings
    KGRL__MSG_PROGRESS,             // worker -> scheduler: kgrl__vf_progress_wire (record snapshot + deadline)
    KGRL__MSG_DEADLINE,             // worker -> scheduler: kgrl__vf_deadline_wire (arm the watchdog)
    KGRL__MSG_LOCK_REQ,             // worker -> scheduler: int32 1 = shared GPU use (smoke, correctness),
                                    //   2 = exclusive (timing: no other verifier work on the GPU)
    KGRL__MSG_LOCK_GRANT,           // scheduler -> worker
    KGRL__MSG_LOCK_DONE,            // worker -> scheduler: lock released
    KGRL__MSG_RESULT,               // worker -> scheduler: kgrl__vf_result_wire
    KGRL__MSG_QUIT,                 // scheduler -> worker
    KGRL__MSG_INFRA                 // worker -> scheduler: a NUL-terminated line; the harness failed, the worker exits
};
typedef struct kgrl__vf_msg_hdr { uint32_t type, len; } kgrl__vf_msg_hdr;
typedef struct kgrl__vf_deadline_wire { double ms; int32_t stage, pad; } kgrl__vf_deadline_wire;
typedef struct kgrl__vf_progress_wire { kgrl__vf_deadline_wire d; kgrl_record rec; } kgrl__vf_progress_wire;
// exiting: the worker's context is broken and it exits after this message (no new job for it)
typedef struct kgrl__vf_result_wire { kgrl_record rec; int32_t exiting, pad; } kgrl__vf_result_wire;
typedef struct kgrl__vf_job_wire {
    int32_t job, nvariants, compile_only, gpu;
    uint64_t seed, scratch_budget;
    double compile_timeout_s, run_timeout_s;
    kgrl_timing_desc timing;
    uint32_t n_task_dir, n_arch, n_cache_dir, n_completion;   // string lengths including the NUL
} kgrl__vf_job_wire;

static bool kgrl__vf_send_all(int fd, const void *p, size_t n) {
    const char *c = (const char *)p;
    while (n > 0) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);    // no SIGPIPE when the peer is gone
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        c += k; n -= (size_t)k;
    }
    return true;
}

static bool kgrl__vf_recv_all(int fd, void *p, size_t n) {
    char *c = (char *)p;
    while (n > 0) {
        ssize_t k = read(fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        c += k; n -= (size_t)k;
    }
    return true;
}

// One message = one buffer = one send, so a reader never sees half of a small message.
static bool kgrl__vf_send_msg(int fd, uint32_t type, const void *payload, uint32_t len) {
    char *b = (char *)kgrl_malloc(sizeof(kgrl__vf_msg_hdr) + len);
    kgrl__vf_msg_hdr h = {type, len};
    memcpy(b, &h, sizeof h);
    if (len) memcpy(b + sizeof h, payload, len);
    bool ok = kgrl__vf_send_all(fd, b, sizeof h + len);
    kgrl_free(b);
    return ok;
}

// Reads one message; *payload (kgrl_free it) holds len bytes plus a NUL.
static bool kgrl__vf_recv_msg(int fd, uint32_t *type, char **payload, uint32_t *len) {
    kgrl__vf_msg_hdr h;
    if (!kgrl__vf_recv_all(fd, &h, sizeof h)) return false;
    if (h.len > (64u << 20)) return false;          // no honest message is this large
    char *p = (char *)kgrl_malloc((size_t)h.len + 1);
    if (!kgrl__vf_recv_all(fd, p, h.len)) { kgrl_free(p); return false; }
    p[h.len] = 0;
    *type = h.type; *payload = p; *len = h.len;
    return true;
}

// "<what>: out of memory (cudaErrorMemoryAllocation); GPU free 3 of 81079 MiB": how full the GPU
// was tells another process's memory from an allocation that was simply too large.
static void kgrl__vf_alloc_text(const char *what, cudaError_t e, char *out, size_t cap) {
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
    snprintf(out, cap, "%s: %s (%s); GPU free %.0f of %.0f MiB", what, cudaGetErrorString(e), cudaGetErrorName(e),
             free_b / 1048576.0, total_b / 1048576.0);
}

// In a worker, a kit allocation that ran out of GPU memory is the harness's failure, not the
// candidate's: tell the scheduler (it runs the job again on a fresh worker) and exit, rather than
// abort, which the scheduler must read as the candidate's runtime_fault. Returns otherwise: another
// error, or no worker (kgrl_task_run_inprocess runs trusted code in the caller's process).
static void kgrl__vf_report_oom(cudaError_t e, const char *text) {
    const char *fd = getenv("KGRL_VERIFIER_WORKER");
    if (e != cudaErrorMemoryAllocation || !fd || !fd[0]) return;
    (void)kgrl__vf_send_msg(atoi(fd), KGRL__MSG_INFRA, text, (uint32_t)strlen(text) + 1);
    _exit(0);
}

static void kgrl__vf_alloc_failed(const char *file, int line, const char *func, const char *call, cudaError_t e) {
    char what[300], text[400];
    snprintf(what, sizeof what, "%s: %s", func, call);
    kgrl__vf_alloc_text(what, e, text, sizeof text);
    kgrl__vf_report_oom(e, text);
    kgrl__fatal(file, line, kgrl__cuda_hint(e), "%s", text);
}

// ---------------------------------------------------------------------------------------------
// the worker: runs inside a re-executed copy of the host program, before its main

typedef struct kgrl__wk {
    int fd;
    kgrl_ctx *ctx;                  // created on the first job that needs the GPU
    char ctx_cache_dir[1024];
    bool must_exit;                 // the CUDA context is (possibly) broken: report and exit
    // the current task and its reference, kept across jobs of the same task
    bool task_loaded; char task_dir[512]; kgrl_task task;
    bool ref_parsed; kgrl_candidate ref; char ref_hash[65];
    bool ref_compiled; kgrl_cubin ref_cubin; char ref_arch[32];
    // timing resources
    void *flush; size_t flush_bytes;
    bool have_ceil; kgrl_ceilings ceil;
    int stage;
    int gpu;
} kgrl__wk;

static void kgrl__wk_deadline(kgrl__wk *w, double ms) {
    kgrl__vf_deadline_wire d = {ms, w->stage, 0};
    if (!kgrl__vf_send_msg(w->fd, KGRL__MSG_DEADLINE, &d, sizeof d)) _exit(0);   // scheduler gone
}

static void kgrl__wk_progress(kgrl__wk *w, const kgrl_record *r, kgrl_stage stage, double deadline_ms) {
    kgrl__vf_progress_wire p;
    memset(&p, 0, sizeof p);
    w->stage = (int)stage;
    p.d.ms = deadline_ms; p.d.stage = (int32_t)stage;
    p.rec = *r;
    p.rec.stage = stage;
    if (!kgrl__vf_send_msg(w->fd, KGRL__MSG_PROGRESS, &p, sizeof p)) _exit(0);
}

static size_t kgrl__vf_elem_size(kgrl_elem e) { return e == KGRL_ELEM_I64 ? 8 : 4; }
static bool kgrl__vf_is_tensor(const kgrl_task_param *p) { return p->kind == KGRL_PARAM_INPUT || p->kind == KGRL_PARAM_OUTPUT; }

// A scalar/size parameter as the interpreter's value, by the C type the signature gives it.
static kgrl_value kgrl__vf_param_value(const kgrl_task_param *p, int64_t size_value) {
    kgrl_value v;
    memset(&v, 0, sizeof v);
    const char *t = p->ctype;
    bool is_size = p->kind == KGRL_PARAM_SIZE;
    if (strstr(t, "float")) { v.type = KGRL_VT_FLOAT; v.d = (float)p->scalar; }
    else if (strstr(t, "double")) { v.type = KGRL_VT_DOUBLE; v.d = p->scalar; }
    else {
        int64_t x = is_size ? size_value : (int64_t)p->scalar;
        if (strstr(t, "bool")) v.type = KGRL_VT_BOOL, x = x != 0;
        else if (strstr(t, "size_t") || strstr(t, "unsigned long")) v.type = KGRL_VT_ULONG;
        else if (strstr(t, "long") || strstr(t, "int64")) v.type = KGRL_VT_LONG;
        else if (strstr(t, "unsigned")) v.type = KGRL_VT_UINT;
        else v.type = KGRL_VT_INT;
        v.i = x;
    }
    return v;
}

// The memory of one variant. Every tensor has a guard region after it. With `checked` (the
// verifier), inputs get a pristine device copy (the mutation check) and outputs an answer buffer
// that holds the reference's outputs only while they are compared (kgrl__vf_env_check): the
// answer is written after the candidate's run and scrubbed before any candidate code runs again.
typedef struct kgrl__vf_env {
    const kgrl_task *t;
    kgrl_variant var;
    char *dev[KGRL_TASK_MAX_PARAMS];        // bytes[p] + KGRL_GUARD_BYTES: what forward gets
    size_t bytes[KGRL_TASK_MAX_PARAMS];     // 0 for non-tensors
    char *pristine[KGRL_TASK_MAX_PARAMS];   // inputs: device copy as generated (checked only)
    char *answer[KGRL_TASK_MAX_PARAMS];     // outputs: device, bytes + guard (checked only)
    char *ref_host[KGRL_TASK_MAX_PARAMS];   // outputs: the reference's answer on the host, when kept (small)
    kgrl_value args[KGRL_TASK_MAX_PARAMS];
    uint64_t tensor_bytes, output_bytes;
} kgrl__vf_env;

static void kgrl__vf_env_free(kgrl__vf_env *e) {
    for (int p = 0; p < KGRL_TASK_MAX_PARAMS; p++) {
        if (e->dev[p]) KGRL_CUDA_CHECK(cudaFree(e->dev[p]));
        if (e->pristine[p]) KGRL_CUDA_CHECK(cudaFree(e->pristine[p]));
        if (e->answer[p]) KGRL_CUDA_CHECK(cudaFree(e->answer[p]));
        kgrl_free(e->ref_host[p]);
    }
    memset(e, 0, sizeof *e);
}

// Fresh input values (from var's seed), and their pristine copies when asked for (checked envs).
static void kgrl__vf_env_fill(kgrl__wk *w, kgrl__vf_env *e, const kgrl_variant *var, bool keep_pristine) {
    for (int p = 0; p < e->t->nparams; p++) {
        if (e->t->params[p].kind != KGRL_PARAM_INPUT || !e->bytes[p]) continue;
        kgrl_task_fill_input_gpu(w->ctx, e->t, var, p, e->dev[p]);
        if (keep_pristine && e->pristine[p]) KGRL_CUDA_CHECK(cudaMemcpyAsync(e->pristine[p], e->dev[p], e->bytes[p], cudaMemcpyDeviceToDevice, w->ctx->stream));
    }
    KGRL_CUDA_CHECK(cudaStreamSynchronize(w->ctx->stream));
}

static void kgrl__vf_env_setup(kgrl__wk *w, const kgrl_task *t, const kgrl_variant *var, bool checked, kgrl__vf_env *e) {
    memset(e, 0, sizeof *e);
    e->t = t; e->var = *var;
    for (int p = 0; p < t->nparams; p++) {
        const kgrl_task_param *tp = &t->params[p];
        if (!kgrl__vf_is_tensor(tp)) { e->args[p] = kgrl__vf_param_value(tp, var->sizes.v[p]); continue; }
        e->args[p].type = KGRL_VT_PTR; e->args[p].buf = p; e->args[p].offset = 0;
        int64_t n = kgrl_task_numel(t, &var->sizes, p);
        KGRL_CHECK(n >= 0, "task %s: param %s has a negative element count", t->id, tp->name);
        e->bytes[p] = (size_t)n * kgrl__vf_elem_size(tp->elem);
        e->tensor_bytes += e->bytes[p];
        if (tp->kind == KGRL_PARAM_OUTPUT) e->output_bytes += e->bytes[p];
        KGRL__VF_ALLOC(cudaMalloc((void **)&e->dev[p], e->bytes[p] + KGRL_GUARD_BYTES));
        if (!checked) continue;
        if (tp->kind == KGRL_PARAM_INPUT) KGRL__VF_ALLOC(cudaMalloc((void **)&e->pristine[p], e->bytes[p] + 1));
        else KGRL__VF_ALLOC(cudaMalloc((void **)&e->answer[p], e->bytes[p] + KGRL_GUARD_BYTES));
    }
    kgrl__vf_env_fill(w, e, var, checked);
}

// Kit-managed scratch of one launch sequence: allocated up front (so timed replays never call
// cudaMalloc), bounded by the budget, poisoned before every run, with a guard after each.
typedef struct kgrl__vf_scratch { int n; char **p; uint64_t *bytes; } kgrl__vf_scratch;

static void kgrl__vf_scratch_free(kgrl__vf_scratch *s) {
    for (int i = 0; i < s->n; i++) if (s->p[i]) KGRL_CUDA_CHECK(cudaFree(s->p[i]));
    kgrl_free(s->p); kgrl_free(s->bytes);
    memset(s, 0, sizeof *s);
}

static kgrl_status kgrl__vf_scratch_alloc(const kgrl_launch_seq *seq, uint64_t budget, kgrl__vf_scratch *s, char *msg, size_t cap) {
    memset(s, 0, sizeof *s);
    s->n = seq->nscratch;
    s->p = (char **)kgrl_calloc((size_t)(s->n > 0 ? s->n : 1), sizeof(char *));
    s->bytes = (uint64_t *)kgrl_calloc((size_t)(s->n > 0 ? s->n : 1), sizeof(uint64_t));
    uint64_t total = 0;
    for (int i = 0; i < seq->nops; i++) {
        const kgrl_op *op = &seq->ops[i];
        if (op->kind != KGRL_OP_MALLOC) continue;
        int id = op->buf - KGRL_SCRATCH_BASE;
        if (id < 0 || id >= s->n || s->p[id]) { snprintf(msg, cap, "line %d: bad scratch buffer id %d", op->line, op->buf); return KGRL_STATUS_LAUNCH_ERROR; }
        total += op->bytes;
        if (total > budget) {
            snprintf(msg, cap, "line %d: scratch allocations reach %llu bytes, over the budget of %llu bytes", op->line,
                     (unsigned long long)total, (unsigned long long)budget);
            return KGRL_STATUS_OUT_OF_MEMORY;
        }
        cudaError_t e = cudaMalloc((void **)&s->p[id], op->bytes + KGRL_GUARD_BYTES);
        if (e != cudaSuccess) {
            (void)cudaGetLastError();
            s->p[id] = NULL;
            // within the budget: the GPU, not the candidate, is out of memory
            char what[64];
            snprintf(what, sizeof what, "line %d: cudaMalloc(%llu)", op->line, (unsigned long long)op->bytes);
            kgrl__vf_alloc_text(what, e, msg, cap);
            kgrl__vf_report_oom(e, msg);
            return KGRL_STATUS_OUT_OF_MEMORY;
        }
        s->bytes[id] = op->bytes;
    }
    return KGRL_STATUS_OK;
}

// Resolve a symbolic pointer; false when buf+offset lies outside its buffer.
static bool kgrl__vf_resolve_ptr(const kgrl__vf_env *e, const kgrl__vf_scratch *s, int buf, int64_t offset, char **out, uint64_t *size) {
    char *base = NULL; uint64_t n = 0;
    if (buf == -1 && offset == 0) { *out = NULL; if (size) *size = 0; return true; } // nullptr / NULL
    if (buf >= 0 && buf < KGRL_TASK_MAX_PARAMS && e->dev[buf]) { base = e->dev[buf]; n = e->bytes[buf]; }
    else if (buf >= KGRL_SCRATCH_BASE && buf - KGRL_SCRATCH_BASE < s->n && s->p[buf - KGRL_SCRATCH_BASE]) {
        base = s->p[buf - KGRL_SCRATCH_BASE]; n = s->bytes[buf - KGRL_SCRATCH_BASE];
    }
    if (!base || offset < 0 || (uint64_t)offset > n) return false;
    *out = base + offset;
    if (size) *size = n - (uint64_t)offset;
    return true;
}

// Replay a recorded launch sequence on the kit's stream. `check`: validate every argument against
// the kernel's parameter sizes (cudaFuncGetParamInfo) — done on correctness runs; timed replays
// skip it so that no host work sits between the timing events.
static kgrl_status kgrl__vf_replay(kgrl__wk *w, const kgrl_launch_seq *seq, const cudaKernel_t *kern, const kgrl__vf_env *e,
                                const kgrl__vf_scratch *s, bool allow_builtins, bool check, char *msg, size_t cap) {
    for (int i = 0; i < seq->nops; i++) {
        const kgrl_op *op = &seq->ops[i];
        switch (op->kind) {
        case KGRL_OP_MALLOC: case KGRL_OP_FREE: break;   // scratch lives for the whole run
        case KGRL_OP_MEMSET: {
            char *p; uint64_t room;
            if (!kgrl__vf_resolve_ptr(e, s, op->buf, op->offset, &p, &room) || op->bytes > room) {
                snprintf(msg, cap, "line %d: cudaMemset of %llu bytes outside its buffer", op->line, (unsigned long long)op->bytes);
                return KGRL_STATUS_LAUNCH_ERROR;
            }
            cudaError_t err = cudaMemsetAsync(p, op->memset_value, op->bytes, w->ctx->stream);
            if (err != cudaSuccess) { (void)cudaGetLastError(); snprintf(msg, cap, "line %d: cudaMemset: %s", op->line, cudaGetErrorName(err)); return KGRL_STATUS_LAUNCH_ERROR; }
        } break;
        case KGRL_OP_SET_MAX_DSMEM: {
            int dev = 0;
            KGRL_CUDA_CHECK(cudaGetDevice(&dev));
            cudaError_t err = cudaKernelSetAttributeForDevice(kern[op->name_expr], cudaFuncAttributeMaxDynamicSharedMemorySize, (int)op->bytes, dev);
            if (err != cudaSuccess) {
                (void)cudaGetLastError();
                snprintf(msg, cap, "line %d: cudaFuncSetAttribute(MaxDynamicSharedMemorySize, %llu): %s", op->line,
                         (unsigned long long)op->bytes, cudaGetErrorName(err));
                return KGRL_STATUS_LAUNCH_ERROR;
            }
        } break;
        case KGRL_OP_BUILTIN: {
            if (!allow_builtins) { snprintf(msg, cap, "line %d: %s is a reference-only builtin", op->line, op->builtin); return KGRL_STATUS_STATIC_REJECT; }
            void *ptrs[KGRL_MAX_KERNEL_PARAMS] = {0};
            if (op->nargs > KGRL_MAX_KERNEL_PARAMS) { snprintf(msg, cap, "line %d: too many builtin args", op->line); return KGRL_STATUS_LAUNCH_ERROR; }
            for (int a = 0; a < op->nargs; a++) {
                if (op->args[a].type != KGRL_VT_PTR) continue;
                char *p;
                if (!kgrl__vf_resolve_ptr(e, s, op->args[a].buf, op->args[a].offset, &p, NULL)) {
                    snprintf(msg, cap, "line %d: %s argument %d points outside its buffer", op->line, op->builtin, a);
                    return KGRL_STATUS_LAUNCH_ERROR;
                }
                ptrs[a] = p;
            }
            kgrl_err err = {{0}};
            if (!kgrl_builtin_exec(w->ctx, op->builtin, op->args, ptrs, op->nargs, &err)) {
                snprintf(msg, cap, "line %d: %s: %.400s", op->line, op->builtin, err.msg);
                return KGRL_STATUS_LAUNCH_ERROR;
            }
        } break;
        case KGRL_OP_LAUNCH: {
            cudaKernel_t k = kern[op->name_expr];
            uint64_t slot[KGRL_MAX_KERNEL_PARAMS];
            void *argp[KGRL_MAX_KERNEL_PARAMS];
            if (op->nargs > KGRL_MAX_KERNEL_PARAMS) { snprintf(msg, cap, "line %d: too many kernel arguments", op->line); return KGRL_STATUS_LAUNCH_ERROR; }
            // the parameter layout check needs cudaFuncGetParamInfo to accept a library kernel handle;
            // if it does not answer for parameter 0 of a kernel given arguments, the interpreter's
            // check against the parsed declaration stands alone
            size_t off0 = 0, size0 = 0;
            bool layout = check && op->nargs > 0 && cudaFuncGetParamInfo((const void *)k, 0, &off0, &size0) == cudaSuccess;
            if (check && !layout) (void)cudaGetLastError();
            for (int a = 0; a < op->nargs; a++) {
                const kgrl_value *v = &op->args[a];
                size_t vsize = 8;
                slot[a] = 0;
                switch (v->type) {
                case KGRL_VT_PTR: {
                    char *p;
                    if (!kgrl__vf_resolve_ptr(e, s, v->buf, v->offset, &p, NULL)) {
                        snprintf(msg, cap, "line %d: argument %d points %lld bytes into buffer %d, outside it", op->line, a,
                                 (long long)v->offset, v->buf);
                        return KGRL_STATUS_LAUNCH_ERROR;
                    }
                    memcpy(&slot[a], &p, sizeof p);
                } break;
                case KGRL_VT_BOOL: { uint8_t b = v->i != 0; memcpy(&slot[a], &b, 1); vsize = 1; } break;
                case KGRL_VT_INT: case KGRL_VT_UINT: { int32_t x = (int32_t)v->i; memcpy(&slot[a], &x, 4); vsize = 4; } break;
                case KGRL_VT_LONG: case KGRL_VT_ULONG: memcpy(&slot[a], &v->i, 8); break;
                case KGRL_VT_FLOAT: { float f = (float)v->d; memcpy(&slot[a], &f, 4); vsize = 4; } break;
                case KGRL_VT_DOUBLE: memcpy(&slot[a], &v->d, 8); break;
                default: snprintf(msg, cap, "line %d: argument %d has no value", op->line, a); return KGRL_STATUS_LAUNCH_ERROR;
                }
                argp[a] = &slot[a];
                if (layout) {
                    size_t off = 0, psize = 0;
                    cudaError_t err = cudaFuncGetParamInfo((const void *)k, (size_t)a, &off, &psize);
                    if (err != cudaSuccess) {
                        (void)cudaGetLastError();
                        snprintf(msg, cap, "line %d: the kernel takes fewer than the %d arguments given", op->line, op->nargs);
                        return KGRL_STATUS_LAUNCH_ERROR;
                    }
                    if (psize != vsize) {
                        snprintf(msg, cap, "line %d: argument %d is %zu bytes but the kernel parameter is %zu bytes", op->line, a, vsize, psize);
                        return KGRL_STATUS_LAUNCH_ERROR;
                    }
                }
            }
            if (layout) {
                size_t off = 0, psize = 0;
                if (cudaFuncGetParamInfo((const void *)k, (size_t)op->nargs, &off, &psize) == cudaSuccess) {
                    snprintf(msg, cap, "line %d: the kernel takes more than the %d arguments given", op->line, op->nargs);
                    return KGRL_STATUS_LAUNCH_ERROR;
                }
                (void)cudaGetLastError();
            }
            dim3 g = kgrl_dim3(op->grid[0], op->grid[1], op->grid[2]);
            dim3 b = kgrl_dim3(op->block[0], op->block[1], op->block[2]);
            cudaError_t err = cudaLaunchKernel((const void *)k, g, b, argp, (size_t)op->smem, w->ctx->stream);
            if (err != cudaSuccess) {
                (void)cudaGetLastError();
                snprintf(msg, cap, "line %d: launch <<<(%u,%u,%u), (%u,%u,%u), %llu>>> failed: %s (%s)", op->line, g.x, g.y, g.z,
                         b.x, b.y, b.z, (unsigned long long)op->smem, cudaGetErrorName(err), cudaGetErrorString(err));
                return KGRL_STATUS_LAUNCH_ERROR;
            }
        } break;
        default: snprintf(msg, cap, "op %d: unknown kind %d", i, (int)op->kind); return KGRL_STATUS_LAUNCH_ERROR;
        }
    }
    return KGRL_STATUS_OK;
}

// After a failed replay or sync: is the context still usable? A sticky error (illegal address,
// trap, misaligned access, ...) poisons the whole context: the worker reports and exits.
static bool kgrl__vf_ctx_healthy(kgrl__wk *w) {
    (void)cudaGetLastError();
    cudaError_t e = cudaStreamSynchronize(w->ctx->stream);
    if (e == cudaSuccess) e = cudaDeviceSynchronize();
    if (e != cudaSuccess) w->must_exit = true;
    return e == cudaSuccess;
}

// Load a module instance and look up every name expression's kernel.
static kgrl_status kgrl__vf_load_kernels(const kgrl_cubin *cb, int nnames, kgrl_module *m, cudaKernel_t *kern, char *msg, size_t cap) {
    kgrl_err err = {{0}};
    if (!kgrl_module_load(cb, m, &err)) { snprintf(msg, cap, "%.400s", err.msg); return KGRL_STATUS_LAUNCH_ERROR; }
    for (int i = 0; i < nnames; i++) {
        if (!cb->lowered || !cb->lowered[i] || !kgrl_module_kernel(m, cb->lowered[i], &kern[i], &err)) {
            snprintf(msg, cap, "kernel %d not found in the module: %.400s", i, err.msg);
            kgrl_module_unload(m);
            return KGRL_STATUS_COMPILE_ERROR;
        }
    }
    return KGRL_STATUS_OK;
}

// Poison the outputs (pattern), reset every guard, poison scratch; synchronously. (Shared memory is
// poisoned by the candidate's own kernels: kgrl__vf_checked_src.)
static void kgrl__vf_env_poison(kgrl__wk *w, kgrl__vf_env *e, const kgrl__vf_scratch *s, int pattern) {
    for (int p = 0; p < e->t->nparams; p++) {
        if (!e->dev[p]) continue;
        if (e->t->params[p].kind == KGRL_PARAM_OUTPUT && e->bytes[p])
            KGRL_CUDA_CHECK(cudaMemsetAsync(e->dev[p], kgrl_poison_byte(e->t->params[p].elem, pattern), e->bytes[p], w->ctx->stream));
        KGRL_CUDA_CHECK(cudaMemsetAsync(e->dev[p] + e->bytes[p], kgrl_guard_byte(p), KGRL_GUARD_BYTES, w->ctx->stream));
    }
    for (int i = 0; s && i < s->n; i++) {
        if (!s->p[i]) continue;
        if (s->bytes[i]) KGRL_CUDA_CHECK(cudaMemsetAsync(s->p[i], kgrl_poison_byte(KGRL_ELEM_F32, pattern), s->bytes[i], w->ctx->stream));
        KGRL_CUDA_CHECK(cudaMemsetAsync(s->p[i] + s->bytes[i], kgrl_guard_byte(e->t->nparams + i), KGRL_GUARD_BYTES, w->ctx->stream));
    }
    KGRL_CUDA_CHECK(cudaStreamSynchronize(w->ctx->stream));
}

// The smoke and correctness build of a candidate: its device code with a call to the entry hook
// (kernels/verifier_hook.cuh) at the opening brace of every kernel it defines, which fills the
// block's whole shared window with the run's poison word before the kernel's own code runs, and
// counts the blocks. On the same line as the brace, after the hook and a #line, so NVRTC's line
// numbers are the candidate's. Timed runs use the plain device_src.
static char *kgrl__vf_checked_src(const kgrl_candidate *c) {
    kgrl_buf b;
    memset(&b, 0, sizeof b);
    kgrl_buf_puts(&b, kgrl__kernel_verifier_hook_cuh);
    kgrl_buf_puts(&b, "#line 1\n");
    const char *src = c->device_src;
    int done = 0;
    for (int i = 0; i < c->nkernel_bodies; i++) {
        int at = c->kernel_body_at[i] + 1;           // just after the '{'
        kgrl_buf_append(&b, src + done, (size_t)(at - done));
        kgrl_buf_puts(&b, " kgrl__entry_hook();");
        done = at;
    }
    kgrl_buf_puts(&b, src + done);
    return b.data;
}

// Blocks a launch sequence starts: what the hook's count must come to.
static uint64_t kgrl__vf_seq_blocks(const kgrl_launch_seq *seq) {
    uint64_t n = 0;
    for (int i = 0; i < seq->nops; i++)
        if (seq->ops[i].kind == KGRL_OP_LAUNCH) n += (uint64_t)seq->ops[i].grid[0] * seq->ops[i].grid[1] * seq->ops[i].grid[2];
    return n;
}

// A module global of the hook, by name.
static void *kgrl__vf_hook_global(const kgrl_module *m, const char *name) {
    void *p = NULL;
    size_t bytes = 0;
    KGRL_CUDA_CHECK(cudaLibraryGetGlobal(&p, &bytes, m->lib, name));
    return p;
}

// One run of a launch sequence in a fresh module instance, under the watchdog. A candidate's run
// (not is_ref) is of its checked build: its hook poisons shared memory with `pattern`'s word, and
// every block launched must have run the hook.
static kgrl_status kgrl__vf_run_seq(kgrl__wk *w, const kgrl_cubin *cb, int nnames, const kgrl_launch_seq *seq, kgrl__vf_env *e,
                                 kgrl__vf_scratch *s, bool is_ref, int pattern, double run_timeout_s, char *msg, size_t cap) {
    kgrl_module m;
    cudaKernel_t kern[256];
    if (nnames > 256) { snprintf(msg, cap, "more than 256 distinct kernels"); return KGRL_STATUS_COMPILE_ERROR; }
    kgrl_status st = kgrl__vf_load_kernels(cb, nnames, &m, kern, msg, cap);
    if (st != KGRL_STATUS_OK) return st;
    unsigned long long *hook_blocks = NULL;
    if (!is_ref) {
        uint32_t word = 0x01010101u * kgrl_poison_byte(KGRL_ELEM_F32, pattern);
        KGRL_CUDA_CHECK(cudaMemcpyAsync(kgrl__vf_hook_global(&m, "kgrl__hook_poison_word"), &word, sizeof word, cudaMemcpyHostToDevice, w->ctx->stream));
        hook_blocks = (unsigned long long *)kgrl__vf_hook_global(&m, "kgrl__hook_blocks");
        KGRL_CUDA_CHECK(cudaMemsetAsync(hook_blocks, 0, sizeof *hook_blocks, w->ctx->stream));
    }
    kgrl__wk_deadline(w, run_timeout_s * 1e3);
    st = kgrl__vf_replay(w, seq, kern, e, s, is_ref, true, msg, cap);
    if (st == KGRL_STATUS_OK) {
        cudaError_t err = cudaStreamSynchronize(w->ctx->stream);
        if (err != cudaSuccess) {
            snprintf(msg, cap, "%s (%s)", cudaGetErrorName(err), cudaGetErrorString(err));
            st = KGRL_STATUS_RUNTIME_FAULT;
            w->must_exit = true;
        }
    } else if (!kgrl__vf_ctx_healthy(w)) {
        st = KGRL_STATUS_RUNTIME_FAULT;
    }
    kgrl__wk_deadline(w, 0);
    if (st == KGRL_STATUS_OK && hook_blocks) {
        unsigned long long ran = 0, want = kgrl__vf_seq_blocks(seq);
        KGRL_CUDA_CHECK(cudaMemcpy(&ran, hook_blocks, sizeof ran, cudaMemcpyDeviceToHost));
        if (ran != want) {
            snprintf(msg, cap, "%llu blocks were launched but %llu ran the verifier's entry hook: a kernel body the parse did not see "
                     "(hidden by the preprocessor?)", want, ran);
            st = KGRL_STATUS_STATIC_REJECT;
        }
    }
    if (!w->must_exit) kgrl_module_unload(&m);
    return st;
}

// The reference is trusted: its scratch is bounded only by this (an unfused eager chain can need
// several times the task's tensor bytes for intermediates).
#define KGRL__VF_REF_BUDGET (64ull << 30)

// The env as the reference sees it when it computes the answer: its outputs are the answer buffers.
static kgrl__vf_env kgrl__vf_answer_view(const kgrl__vf_env *e) {
    kgrl__vf_env v = *e;                             // shallow: never freed
    for (int p = 0; p < e->t->nparams; p++) if (e->t->params[p].kind == KGRL_PARAM_OUTPUT) v.dev[p] = e->answer[p];
    return v;
}

static bool kgrl__vf_have_ref_host(const kgrl__vf_env *e) {
    for (int p = 0; p < e->t->nparams; p++) if (e->ref_host[p]) return true;
    return false;
}

// Write the reference's outputs for the current inputs (pristine: checked before) into the answer
// buffers: from the host copy when the variant keeps one, else by running the reference (trusted,
// but in a fresh module instance under the same watchdog). Candidate code does not run until
// kgrl__vf_answer_scrub.
static kgrl_status kgrl__vf_answer(kgrl__wk *w, kgrl__vf_env *e, double run_timeout_s, char *msg, size_t cap) {
    const kgrl_task *t = e->t;
    if (kgrl__vf_have_ref_host(e)) {
        // on the kit's stream, then a sync: the stream is non-blocking, so a plain cudaMemcpy (legacy
        // stream; from pageable memory it returns before the DMA lands) would race the comparison
        for (int p = 0; p < t->nparams; p++)
            if (e->ref_host[p] && e->bytes[p])
                KGRL_CUDA_CHECK(cudaMemcpyAsync(e->answer[p], e->ref_host[p], e->bytes[p], cudaMemcpyHostToDevice, w->ctx->stream));
        KGRL_CUDA_CHECK(cudaStreamSynchronize(w->ctx->stream));
        return KGRL_STATUS_OK;
    }
    kgrl_launch_seq seq;
    memset(&seq, 0, sizeof seq);
    kgrl_status st = KGRL_STATUS_OK;
    char m[512] = {0};
    if (!kgrl_candidate_record(&w->ref, e->args, t->nparams, &seq, &st, m, sizeof m)) {
        snprintf(msg, cap, "reference launcher: %s", m);
        return st == KGRL_STATUS_OK ? KGRL_STATUS_LAUNCH_ERROR : st;
    }
    kgrl__vf_env view = kgrl__vf_answer_view(e);
    kgrl__vf_scratch s;
    st = kgrl__vf_scratch_alloc(&seq, KGRL__VF_REF_BUDGET, &s, m, sizeof m);
    if (st == KGRL_STATUS_OK) {
        kgrl__vf_env_poison(w, &view, &s, 0);
        st = kgrl__vf_run_seq(w, &w->ref_cubin, w->ref.nname_exprs, &seq, &view, &s, true, 0, run_timeout_s * 10, m, sizeof m);
    }
    // a reference that writes its inputs would make every candidate look like it did
    for (int p = 0; p < t->nparams && st == KGRL_STATUS_OK; p++) {
        if (t->params[p].kind != KGRL_PARAM_INPUT || !e->bytes[p]) continue;
        if (kgrl_first_diff_gpu(w->ctx, e->dev[p], e->pristine[p], 0, e->bytes[p]) >= 0) {
            snprintf(m, sizeof m, "the reference modified input %s", t->params[p].name);
            st = KGRL_STATUS_INPUT_MUTATED;
        }
    }
    if (!w->must_exit) kgrl__vf_scratch_free(&s);
    kgrl_launch_seq_free(&seq);
    if (st != KGRL_STATUS_OK) snprintf(msg, cap, "reference failed on variant %s: %s", e->var.name, m);
    return st;
}

// Poison the answer buffers: no reference output stays in device memory while candidate code runs.
static void kgrl__vf_answer_scrub(kgrl__wk *w, kgrl__vf_env *e) {
    for (int p = 0; p < e->t->nparams; p++)
        if (e->answer[p] && e->bytes[p]) KGRL_CUDA_CHECK(cudaMemsetAsync(e->answer[p], 0xFF, e->bytes[p], w->ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(w->ctx->stream));
}

// Check the last run, on the GPU: inputs against their pristine copies, the guards after every
// input, output and scratch buffer, then the outputs against the reference's answer. fail_status
// is what a mismatch means (wrong_output on the first run, nondeterministic on the second).
static kgrl_status kgrl__vf_env_check(kgrl__wk *w, kgrl__vf_env *e, const kgrl__vf_scratch *s, kgrl_status fail_status,
                                   double run_timeout_s, uint32_t *flags, char *msg, size_t cap) {
    const kgrl_task *t = e->t;
    for (int p = 0; p < t->nparams; p++) {          // inputs first: mutation is the most specific verdict
        if (t->params[p].kind != KGRL_PARAM_INPUT) continue;
        int64_t i = kgrl_first_diff_gpu(w->ctx, e->dev[p], e->pristine[p], 0, e->bytes[p]);
        if (i >= 0) {
            snprintf(msg, cap, "input %s was modified (first changed byte %lld of %zu)", t->params[p].name, (long long)i, e->bytes[p]);
            return KGRL_STATUS_INPUT_MUTATED;
        }
    }
    for (int p = 0; p < t->nparams; p++) {
        if (!kgrl__vf_is_tensor(&t->params[p])) continue;
        int64_t g = kgrl_first_diff_gpu(w->ctx, e->dev[p] + e->bytes[p], NULL, kgrl_guard_byte(p), KGRL_GUARD_BYTES);
        if (g >= 0) {
            *flags |= KGRL_FLAG_OOB_WRITE;
            snprintf(msg, cap, "write past the end of %s %s (byte +%lld)", t->params[p].kind == KGRL_PARAM_INPUT ? "input" : "output",
                     t->params[p].name, (long long)g);
            return KGRL_STATUS_WRONG_OUTPUT;
        }
    }
    for (int i = 0; s && i < s->n; i++) {
        if (!s->p[i]) continue;
        int64_t b = kgrl_first_diff_gpu(w->ctx, s->p[i] + s->bytes[i], NULL, kgrl_guard_byte(t->nparams + i), KGRL_GUARD_BYTES);
        if (b >= 0) {
            *flags |= KGRL_FLAG_OOB_WRITE;
            snprintf(msg, cap, "write past the end of scratch buffer %d (byte +%lld)", i, (long long)b);
            return KGRL_STATUS_WRONG_OUTPUT;
        }
    }
    kgrl_status st = kgrl__vf_answer(w, e, run_timeout_s, msg, cap);
    if (st != KGRL_STATUS_OK) { *flags |= KGRL_FLAG_REFERENCE_FAILED; return st; }
    for (int p = 0; p < t->nparams && st == KGRL_STATUS_OK; p++) {
        if (t->params[p].kind != KGRL_PARAM_OUTPUT) continue;
        kgrl_compare c;
        int64_t n = (int64_t)(e->bytes[p] / kgrl__vf_elem_size(t->params[p].elem));
        kgrl_compare_gpu(w->ctx, e->dev[p], e->answer[p], n, t->params[p].elem, t->atol, t->rtol, &c);
        if (c.nbad) {
            char d[600];
            kgrl_compare_describe(&c, d, sizeof d);
            snprintf(msg, cap, "output %s (variant %s): %.400s", t->params[p].name, e->var.name, d);
            st = fail_status;
        }
    }
    kgrl__vf_answer_scrub(w, e);
    return st;
}

// ---------------------------------------------------------------------------------------------
// the funnel, inside the worker

static void kgrl__vf_stage_end(kgrl_record *r, kgrl_stage s, kgrl_outcome o, double t0, const char *log) {
    r->stages[s].outcome = o;
    r->stages[s].ms = (kgrl_now_s() - t0) * 1e3;
    if (log && log[0]) snprintf(r->stages[s].log, sizeof r->stages[s].log, "%s", log);
    r->stage = s;
}

static void kgrl__vf_fail(kgrl_record *r, kgrl_stage s, kgrl_status st, double t0, const char *msg) {
    kgrl__vf_stage_end(r, s, KGRL_OUTCOME_FAIL, t0, msg);
    r->status = st;
    snprintf(r->message, sizeof r->message, "%s: %s", kgrl_stage_name(s), msg);
}

// NVRTC has no <math.h>/<cfloat>; nvcc-compiled CUDA (what candidates are written for) sees these
// macros from them, so every candidate and reference gets the same definitions.
static const char *const kgrl__vf_nvrtc_opts[] = {
    "-DINFINITY=(__int_as_float(0x7f800000))", "-DNAN=(__int_as_float(0x7fffffff))",
    "-DFLT_MAX=3.402823466e+38F", "-DFLT_MIN=1.175494351e-38F", "-DFLT_EPSILON=1.192092896e-07F"};
#define KGRL__VF_NOPTS 5

static void kgrl__vf_ensure_ctx(kgrl__wk *w, const char *cache_dir, bool in_job) {
    if (w->ctx) return;
    if (in_job) kgrl__wk_deadline(w, 60e3);          // creating a context can take seconds on a busy node
    kgrl_ctx_desc d;
    memset(&d, 0, sizeof d);
    snprintf(w->ctx_cache_dir, sizeof w->ctx_cache_dir, "%s", cache_dir);
    d.cache_dir = w->ctx_cache_dir[0] ? w->ctx_cache_dir : NULL;
    w->ctx = kgrl_ctx_create(&d);
    if (!w->ctx->has_gpu) KGRL_FATAL("verifier worker for GPU %d has no GPU: %s", w->gpu, w->ctx->no_gpu_reason);
}

// The task and its parsed reference, kept across jobs of the same task.
static bool kgrl__vf_load_task(kgrl__wk *w, const char *dir, char *msg, size_t cap) {
    if (!w->task_loaded || strcmp(w->task_dir, dir) != 0) {
        if (w->task_loaded) kgrl_task_free(&w->task);
        if (w->ref_parsed) kgrl_candidate_free(&w->ref);
        if (w->ref_compiled) kgrl_cubin_free(&w->ref_cubin);
        w->task_loaded = w->ref_parsed = w->ref_compiled = false;
        kgrl_err err = {{0}};
        if (!kgrl_task_load(dir, &w->task, &err)) { snprintf(msg, cap, "cannot load task %.200s: %.400s", dir, err.msg); return false; }
        w->task_loaded = true;
        snprintf(w->task_dir, sizeof w->task_dir, "%s", dir);
        kgrl_sha256_hex(w->task.reference_src, strlen(w->task.reference_src), w->ref_hash);
        kgrl_candidate_parse(w->task.reference_src, w->task.signature, true, &w->ref);
        w->ref_parsed = true;
    }
    if (w->ref.status != KGRL_STATUS_OK) { snprintf(msg, cap, "reference of %s: %.500s", w->task.id, w->ref.message); return false; }
    return true;
}

// The reference's cubin, compiled once per task and arch per worker (only GPU stages need it).
static bool kgrl__vf_ref_compile(kgrl__wk *w, const char *arch, const char *cache_dir, char *msg, size_t cap) {
    if (!w->ref_compiled || strcmp(w->ref_arch, arch) != 0) {
        if (w->ref_compiled) kgrl_cubin_free(&w->ref_cubin);
        kgrl_nvrtc_compile(w->ref.device_src, arch, kgrl__vf_nvrtc_opts, KGRL__VF_NOPTS, (const char *const *)w->ref.name_exprs, w->ref.nname_exprs,
                           cache_dir[0] ? cache_dir : NULL, &w->ref_cubin);
        w->ref_compiled = true;
        snprintf(w->ref_arch, sizeof w->ref_arch, "%s", arch);
    }
    if (!w->ref_cubin.ok) { snprintf(msg, cap, "reference of %s does not compile: %.400s", w->task.id, w->ref_cubin.log); return false; }
    return true;
}

// Per variant, before any candidate run. Reference outputs of up to 64 MiB are kept on the host
// for the checks: from the disk cache (key: task, variant, seed, sizes, reference hash) or from
// one reference run, then cached. Larger ones are recomputed on the GPU at every check: the
// reference writes a GB in about a millisecond, moving it across PCIe takes tens, and 200 tasks x
// 5 variants of GB-sized outputs would fill any disk.
static kgrl_status kgrl__vf_ref_prepare(kgrl__wk *w, kgrl__vf_env *e, const char *cache_dir, kgrl_record *r,
                                        double run_timeout_s, char *msg, size_t cap) {
    const kgrl_task *t = e->t;
    if (e->output_bytes > (64ull << 20)) return KGRL_STATUS_OK;
    kgrl_buf key;
    memset(&key, 0, sizeof key);
    kgrl_buf_printf(&key, "refout|%s|%d|%llu|%s", t->id, e->var.index, (unsigned long long)e->var.seed, w->ref_hash);
    for (int p = 0; p < t->nparams; p++) kgrl_buf_printf(&key, "|%lld", (long long)e->var.sizes.v[p]);
    char hex[65], path[1400] = {0};
    kgrl_sha256_hex(key.data, key.len, hex);
    kgrl_buf_free(&key);
    size_t len = 0;
    char *data = NULL;
    if (cache_dir[0]) {
        snprintf(path, sizeof path, "%s/refout/%s.bin", cache_dir, hex);
        if (kgrl_file_exists(path)) data = kgrl_read_file(path, &len, NULL);
    }
    bool hit = data && len == e->output_bytes;
    if (!hit) {
        kgrl_status st = kgrl__vf_answer(w, e, run_timeout_s, msg, cap);
        if (st != KGRL_STATUS_OK) { kgrl_free(data); return st; }
    }
    size_t off = 0;
    for (int p = 0; p < t->nparams; p++) {
        if (t->params[p].kind != KGRL_PARAM_OUTPUT) continue;
        e->ref_host[p] = (char *)kgrl_malloc(e->bytes[p] + 1);
        if (hit) memcpy(e->ref_host[p], data + off, e->bytes[p]);
        else if (e->bytes[p]) KGRL_CUDA_CHECK(cudaMemcpyAsync(e->ref_host[p], e->answer[p], e->bytes[p], cudaMemcpyDeviceToHost, w->ctx->stream));
        off += e->bytes[p];
    }
    kgrl_free(data);
    KGRL_CUDA_CHECK(cudaStreamSynchronize(w->ctx->stream));
    if (hit) { r->flags |= KGRL_FLAG_REF_CACHED; return KGRL_STATUS_OK; }
    kgrl__vf_answer_scrub(w, e);
    if (path[0]) {                                   // a failed write only costs a recompute
        char dir[1200];
        snprintf(dir, sizeof dir, "%s/refout", cache_dir);
        kgrl_buf all;
        memset(&all, 0, sizeof all);
        for (int p = 0; p < t->nparams; p++) if (e->ref_host[p]) kgrl_buf_append(&all, e->ref_host[p], e->bytes[p]);
        kgrl_err err = {{0}};
        if (kgrl_mkdirs(dir, &err)) (void)kgrl_write_file_atomic(path, all.data ? all.data : "", all.len, &err);
        kgrl_buf_free(&all);
    }
    return KGRL_STATUS_OK;
}


static uint64_t kgrl__vf_budget(uint64_t desc_budget, uint64_t tensor_bytes) {
    if (desc_budget) return desc_budget;
    uint64_t b = 8 * tensor_bytes;
    if (b < (256ull << 20)) b = 256ull << 20;
    if (b > (4ull << 30)) b = 4ull << 30;
    return b;
}

// A candidate may always use 5/4 of what the reference allocates for the same sizes: a candidate
// that mirrors the reference's structure must never be out_of_memory where the reference is not.
static uint64_t kgrl__vf_cand_budget(kgrl__wk *w, const kgrl__vf_job_wire *jw, const kgrl__vf_env *e) {
    uint64_t b = kgrl__vf_budget(jw->scratch_budget, e->tensor_bytes), ref = 0;
    kgrl_launch_seq seq;
    memset(&seq, 0, sizeof seq);
    kgrl_status st = KGRL_STATUS_OK;
    char m[256];
    if (kgrl_candidate_record(&w->ref, e->args, e->t->nparams, &seq, &st, m, sizeof m))
        for (int i = 0; i < seq.nops; i++) if (seq.ops[i].kind == KGRL_OP_MALLOC) ref += seq.ops[i].bytes;
    kgrl_launch_seq_free(&seq);
    return ref / 4 * 5 > b ? ref / 4 * 5 : b;
}

// Smoke and correctness trials: one variant, reference first, then the candidate twice (two poison
// patterns), each run in a fresh module instance.
static kgrl_status kgrl__vf_trial(kgrl__wk *w, const kgrl__vf_job_wire *jw, const char *cache_dir, const kgrl_candidate *c,
                                  const kgrl_cubin *cb, const kgrl_variant *var, kgrl_record *r, char *msg, size_t cap) {
    kgrl__vf_env e;
    kgrl__vf_env_setup(w, &w->task, var, true, &e);
    uint64_t budget = kgrl__vf_cand_budget(w, jw, &e);
    kgrl_status st = kgrl__vf_ref_prepare(w, &e, cache_dir, r, jw->run_timeout_s, msg, cap);
    if (st != KGRL_STATUS_OK) {
        r->flags |= KGRL_FLAG_REFERENCE_FAILED;
        if (!w->must_exit) kgrl__vf_env_free(&e);
        return st;
    }
    kgrl_launch_seq seq;
    memset(&seq, 0, sizeof seq);
    char m[512] = {0};
    if (!kgrl_candidate_record(c, e.args, w->task.nparams, &seq, &st, m, sizeof m)) {
        snprintf(msg, cap, "variant %s: %s", var->name, m);
        kgrl__vf_env_free(&e);
        return st == KGRL_STATUS_OK ? KGRL_STATUS_LAUNCH_ERROR : st;
    }
    kgrl__vf_scratch s;
    st = kgrl__vf_scratch_alloc(&seq, budget, &s, m, sizeof m);
    for (int pass = 0; pass < 2 && st == KGRL_STATUS_OK; pass++) {
        kgrl__vf_env_poison(w, &e, &s, pass);
        st = kgrl__vf_run_seq(w, cb, c->nname_exprs, &seq, &e, &s, false, pass, jw->run_timeout_s, m, sizeof m);
        if (st == KGRL_STATUS_OK)
            st = kgrl__vf_env_check(w, &e, &s, pass == 0 ? KGRL_STATUS_WRONG_OUTPUT : KGRL_STATUS_NONDETERMINISTIC,
                                    jw->run_timeout_s, &r->flags, m, sizeof m);
    }
    if (st != KGRL_STATUS_OK) snprintf(msg, cap, "variant %s: %s", var->name, m);
    kgrl_launch_seq_free(&seq);
    if (!w->must_exit) { kgrl__vf_scratch_free(&s); kgrl__vf_env_free(&e); }
    return st;
}

// Stage 5. Runs under the GPU's exclusive lock (granted by the scheduler). Every iteration: fresh
// input values (so a cache keyed by pointer or by value never hits), L2 flush, reference (timed),
// outputs poisoned, L2 flush, candidate (timed), ABAB so drift cancels. Two buffer sets alternate.
// On check iterations the candidate's inputs, guards and outputs are checked (kgrl__vf_env_check:
// the reference recomputes the answer after the candidate's run, untimed).
static kgrl_status kgrl__vf_timing(kgrl__wk *w, const kgrl__vf_job_wire *jw, const kgrl_candidate *c, const kgrl_cubin *cb,
                                   const kgrl_variant *v0, const kgrl_variant *v1, kgrl_record *r, char *msg, size_t cap) {
    kgrl_timing_desc td = kgrl_timing_desc_resolve(&jw->timing);
    const kgrl_task *t = &w->task;
    if (!w->have_ceil) {
        kgrl__wk_deadline(w, 600e3);                // the first measurement on a device runs its GEMM sweep
        kgrl_err err = {{0}};
        if (!kgrl_measure_ceilings(w->ctx, true, &w->ceil, &err)) KGRL_FATAL("measuring the ceilings failed: %s", err.msg);
        w->have_ceil = true;
    }
    if (!w->flush) {                                 // a buffer of 2x L2: writing it evicts every line
        w->flush_bytes = 2 * (size_t)(w->ctx->l2_bytes > 0 ? w->ctx->l2_bytes : (64 << 20));
        KGRL__VF_ALLOC(cudaMalloc(&w->flush, w->flush_bytes));
    }
    kgrl__vf_env e[2];
    kgrl__vf_env_setup(w, t, v0, true, &e[0]);
    kgrl__vf_env_setup(w, t, v1, true, &e[1]);
    uint64_t budget = kgrl__vf_cand_budget(w, jw, &e[0]);
    kgrl_status st = KGRL_STATUS_OK;
    char m[512] = {0};
    kgrl_launch_seq rseq, cseq;
    memset(&rseq, 0, sizeof rseq); memset(&cseq, 0, sizeof cseq);
    kgrl__vf_scratch rs, cs;
    memset(&rs, 0, sizeof rs); memset(&cs, 0, sizeof cs);
    kgrl_module rm, cm;
    memset(&rm, 0, sizeof rm); memset(&cm, 0, sizeof cm);
    cudaKernel_t rk[256], ck[256];
    if (!kgrl_candidate_record(&w->ref, e[0].args, t->nparams, &rseq, &st, m, sizeof m)) {
        r->flags |= KGRL_FLAG_REFERENCE_FAILED;
        if (st == KGRL_STATUS_OK) st = KGRL_STATUS_LAUNCH_ERROR;
    } else if (!kgrl_candidate_record(c, e[0].args, t->nparams, &cseq, &st, m, sizeof m)) {
        if (st == KGRL_STATUS_OK) st = KGRL_STATUS_LAUNCH_ERROR;
    }
    if (st == KGRL_STATUS_OK) st = kgrl__vf_scratch_alloc(&rseq, KGRL__VF_REF_BUDGET, &rs, m, sizeof m);
    if (st == KGRL_STATUS_OK) st = kgrl__vf_scratch_alloc(&cseq, budget, &cs, m, sizeof m);
    if (st == KGRL_STATUS_OK && (w->ref.nname_exprs > 256 || c->nname_exprs > 256)) { snprintf(m, sizeof m, "too many kernels"); st = KGRL_STATUS_COMPILE_ERROR; }
    if (st == KGRL_STATUS_OK) st = kgrl__vf_load_kernels(&w->ref_cubin, w->ref.nname_exprs, &rm, rk, m, sizeof m);
    if (st == KGRL_STATUS_OK) st = kgrl__vf_load_kernels(cb, c->nname_exprs, &cm, ck, m, sizeof m);
    cudaEvent_t ev[4];
    for (int i = 0; i < 4; i++) KGRL_CUDA_CHECK(cudaEventCreate(&ev[i]));
    int nmax = td.max_trials;
    // guards after every tensor and scratch buffer start intact (env_setup leaves them unset)
    if (st == KGRL_STATUS_OK) { kgrl__vf_env_poison(w, &e[0], &cs, 0); kgrl__vf_env_poison(w, &e[1], &cs, 1); }
    double *tr = (double *)kgrl_calloc((size_t)nmax, sizeof(double)), *tc = (double *)kgrl_calloc((size_t)nmax, sizeof(double));
    int n = 0;
    bool budget_hit = false;
    kgrl_tstats sr, sc;
    memset(&sr, 0, sizeof sr); memset(&sc, 0, sizeof sc);
    double t0 = kgrl_now_s();
    cudaStream_t S = w->ctx->stream;
    for (int it = -td.warmup; st == KGRL_STATUS_OK; it++) {
        kgrl__vf_env *x = &e[(it + td.warmup) & 1];
        // the first timed run of each buffer set, then every 16th
        bool check_out = it >= 0 && (it < 2 || it % 16 == 0);
        // the first run may plan the reference's convolutions (cudnnFind* times every algorithm once,
        // seconds for large ones, when correctness took the reference outputs from the disk cache):
        // it gets the reference run's budget (10x) on top
        kgrl__wk_deadline(w, (it == -td.warmup ? 12e3 : 2e3) * jw->run_timeout_s + 1e3);
        kgrl_variant fresh = x->var;
        fresh.seed = kgrl_stream_mix(x->var.seed, (uint64_t)(it + td.warmup) + 1);
        kgrl__vf_env_fill(w, x, &fresh, check_out);
        KGRL_CUDA_CHECK(cudaMemsetAsync(w->flush, it & 0xff, w->flush_bytes, S));
        KGRL_CUDA_CHECK(cudaEventRecord(ev[0], S));
        st = kgrl__vf_replay(w, &rseq, rk, x, &rs, true, it == -td.warmup, m, sizeof m);
        if (st != KGRL_STATUS_OK) { r->flags |= KGRL_FLAG_REFERENCE_FAILED; break; }
        KGRL_CUDA_CHECK(cudaEventRecord(ev[1], S));
        for (int p = 0; p < t->nparams; p++)       // scrub the reference's outputs: poison
            if (t->params[p].kind == KGRL_PARAM_OUTPUT && x->bytes[p])
                KGRL_CUDA_CHECK(cudaMemsetAsync(x->dev[p], kgrl_poison_byte(t->params[p].elem, it & 1), x->bytes[p], S));
        KGRL_CUDA_CHECK(cudaMemsetAsync(w->flush, (it + 1) & 0xff, w->flush_bytes, S));
        KGRL_CUDA_CHECK(cudaEventRecord(ev[2], S));
        st = kgrl__vf_replay(w, &cseq, ck, x, &cs, false, it == -td.warmup, m, sizeof m);
        if (st != KGRL_STATUS_OK) break;
        KGRL_CUDA_CHECK(cudaEventRecord(ev[3], S));
        cudaError_t err = cudaStreamSynchronize(S);
        if (err != cudaSuccess) { snprintf(m, sizeof m, "%s (%s)", cudaGetErrorName(err), cudaGetErrorString(err)); st = KGRL_STATUS_RUNTIME_FAULT; w->must_exit = true; break; }
        if (check_out) {
            st = kgrl__vf_env_check(w, x, &cs, KGRL_STATUS_WRONG_OUTPUT, jw->run_timeout_s, &r->flags, m, sizeof m);
            if (st != KGRL_STATUS_OK) { char m2[512]; snprintf(m2, sizeof m2, "timed run %d: %.480s", it, m); memcpy(m, m2, sizeof m); break; }
            r->flags |= KGRL_FLAG_TIMED_CHECKED;
        }
        if (it < 0) continue;
        float a = 0, b = 0;
        KGRL_CUDA_CHECK(cudaEventElapsedTime(&a, ev[0], ev[1]));
        KGRL_CUDA_CHECK(cudaEventElapsedTime(&b, ev[2], ev[3]));
        tr[n] = a; tc[n] = b; n++;
        if (n % td.check_every == 0 || n >= nmax || n == 1) {
            kgrl_tstats_compute(tr, n, &sr);
            kgrl_tstats_compute(tc, n, &sc);
            if (kgrl_timing_should_stop(&td, &sr, &sc, kgrl_now_s() - t0, &budget_hit)) break;
        }
    }
    if (st != KGRL_STATUS_OK && !w->must_exit && !kgrl__vf_ctx_healthy(w)) {
        snprintf(m + strlen(m), sizeof m - strlen(m), " (then the context failed)");
        st = KGRL_STATUS_RUNTIME_FAULT;
    }
    kgrl__wk_deadline(w, 0);
    if (st == KGRL_STATUS_OK) {
        kgrl_tstats_compute(tr, n, &sr);
        kgrl_tstats_compute(tc, n, &sc);
        r->trials = n;
        r->t_ref_ms = sr.median; r->t_cand_ms = sc.median;
        r->t_ref_trimmed_ms = sr.trimmed_mean; r->t_cand_trimmed_ms = sc.trimmed_mean;
        r->cv = sc.cv;
        r->se_rel = sc.median > 0 ? sc.se_median / sc.median : NAN;
        r->speedup = sc.median > 0 ? sr.median / sc.median : NAN;
        if (budget_hit) r->flags |= KGRL_FLAG_TIMING_BUDGET;
        if (r->speedup > 10.0) r->flags |= KGRL_FLAG_SUSPICIOUS;  // KernelBench's excessive_speedup threshold
        // physical floor: the fewest bytes at the measured copy bandwidth, the flops at the peak
        // (the bf16 tensor-core rate, the highest the GPU has, so honest fp32 kernels are far above it)
        double bytes = kgrl_task_min_bytes(t, &v0->sizes), flops = kgrl_task_flops(t, &v0->sizes);
        double peak = fmax(w->ceil.bf16_tflops, w->ceil.fp32_tflops) * 1e12;
        double floor_s = 0;
        if (w->ceil.copy_gbps > 0 && bytes > 0) floor_s = fmax(floor_s, bytes / (w->ceil.copy_gbps * 1e9));
        if (peak > 0 && flops > 0) floor_s = fmax(floor_s, flops / peak);
        r->floor_ms = floor_s * 1e3;
        // 0.75: a tuned kernel may beat a plain copy kernel's bandwidth by a few percent and event
        // timing resolves ~1 us; 25% below the floor is outside both
        if (floor_s > 0 && sc.median < 0.75 * r->floor_ms) {
            snprintf(m, sizeof m, "t_cand %.4g ms is below the physical floor %.4g ms (%.3g bytes at %.0f GB/s, %.3g flops at %.0f TFLOP/s)",
                     sc.median, r->floor_ms, bytes, w->ceil.copy_gbps, flops, peak / 1e12);
            st = KGRL_STATUS_IMPOSSIBLE_SPEED;
        }
    }
    if (st != KGRL_STATUS_OK) snprintf(msg, cap, "%s", m);
    kgrl_free(tr); kgrl_free(tc);
    if (!w->must_exit) {
        for (int i = 0; i < 4; i++) KGRL_CUDA_CHECK(cudaEventDestroy(ev[i]));
        kgrl_module_unload(&rm); kgrl_module_unload(&cm);
        kgrl__vf_scratch_free(&rs); kgrl__vf_scratch_free(&cs);
        kgrl__vf_env_free(&e[0]); kgrl__vf_env_free(&e[1]);
    }
    kgrl_launch_seq_free(&rseq); kgrl_launch_seq_free(&cseq);
    return st;
}

// The GPU lock, held by the scheduler: shared for smoke and correctness (several workers), exclusive
// for timing. Blocks until granted.
static void kgrl__vf_gpu_lock(kgrl__wk *w, int32_t kind) {
    if (!kgrl__vf_send_msg(w->fd, KGRL__MSG_LOCK_REQ, &kind, sizeof kind)) _exit(0);
    for (;;) {
        uint32_t type, len; char *p;
        if (!kgrl__vf_recv_msg(w->fd, &type, &p, &len)) _exit(0);
        kgrl_free(p);
        if (type == KGRL__MSG_LOCK_GRANT) return;
        if (type == KGRL__MSG_QUIT) _exit(0);
    }
}
static void kgrl__vf_gpu_unlock(kgrl__wk *w) {
    if (!kgrl__vf_send_msg(w->fd, KGRL__MSG_LOCK_DONE, NULL, 0)) _exit(0);
}

static void kgrl__vf_run_job(kgrl__wk *w, const kgrl__vf_job_wire *jw, const char *task_dir, const char *arch_in,
                             const char *cache_dir, const char *completion, kgrl_record *r) {
    double t_job = kgrl_now_s();
    char msg[700] = {0};
    bool locked = false;                             // holding the shared GPU lock
    kgrl_record_init(r, "");
    r->gpu = jw->gpu;
    w->gpu = jw->gpu;
    w->stage = KGRL_STAGE_FORMAT;
    bool gpu = !jw->compile_only;
    if (gpu) kgrl__vf_ensure_ctx(w, cache_dir, true);
    const char *arch = arch_in[0] ? arch_in : gpu ? kgrl_ctx_arch(w->ctx) :
#ifdef KGRL_DEFAULT_ARCH
        KGRL_DEFAULT_ARCH;
#else
        "sm_90";
#endif
    // stage 1: format / static (the interpreter's parse)
    double t0 = kgrl_now_s();
    if (!kgrl__vf_load_task(w, task_dir, msg, sizeof msg)) {
        if (w->task_loaded) snprintf(r->task, sizeof r->task, "%s", w->task.id);
        kgrl_sha256_hex(completion, strlen(completion), r->hash);
        r->flags |= KGRL_FLAG_REFERENCE_FAILED;
        kgrl__vf_fail(r, KGRL_STAGE_FORMAT, KGRL_STATUS_LAUNCH_ERROR, t0, msg);
        goto done;
    }
    snprintf(r->task, sizeof r->task, "%s", w->task.id);
    kgrl_candidate c;
    kgrl_candidate_parse(completion, w->task.signature, false, &c);
    if (c.code) kgrl_sha256_hex(c.code, strlen(c.code), r->hash);
    else kgrl_sha256_hex(completion, strlen(completion), r->hash);
    if (c.status != KGRL_STATUS_OK) {
        kgrl__vf_fail(r, KGRL_STAGE_FORMAT, c.status, t0, c.message);
        kgrl_candidate_free(&c);
        goto done;
    }
    kgrl__vf_stage_end(r, KGRL_STAGE_FORMAT, KGRL_OUTCOME_PASS, t0, NULL);
    // stage 2: compile (under the compile watchdog: a compile bomb is killed with its worker); the
    // checked build, for smoke and correctness; the timed build is compiled before timing
    kgrl__wk_progress(w, r, KGRL_STAGE_COMPILE, jw->compile_timeout_s * 1e3);
    t0 = kgrl_now_s();
    kgrl_cubin cb, cb_timed;
    memset(&cb_timed, 0, sizeof cb_timed);
    char *checked_src;
    checked_src = kgrl__vf_checked_src(&c);
    kgrl_nvrtc_compile(checked_src, arch, kgrl__vf_nvrtc_opts, KGRL__VF_NOPTS, (const char *const *)c.name_exprs, c.nname_exprs,
                       cache_dir[0] ? cache_dir : NULL, &cb);
    kgrl_free(checked_src);
    kgrl__wk_deadline(w, 0);
    if (cb.cache_hit) r->flags |= KGRL_FLAG_CUBIN_CACHED;
    if (!cb.ok) {
        snprintf(msg, sizeof msg, "%.680s", cb.log ? cb.log : "NVRTC failed");
        kgrl__vf_fail(r, KGRL_STAGE_COMPILE, KGRL_STATUS_COMPILE_ERROR, t0, msg);
        goto free_cand;
    }
    for (int i = 0; i < c.nname_exprs; i++) {
        if (!cb.lowered || !cb.lowered[i]) {
            snprintf(msg, sizeof msg, "forward launches %s, which the device code does not define", c.name_exprs[i]);
            kgrl__vf_fail(r, KGRL_STAGE_COMPILE, KGRL_STATUS_COMPILE_ERROR, t0, msg);
            goto free_cubin;
        }
    }
    r->compiled = true;
    kgrl__vf_stage_end(r, KGRL_STAGE_COMPILE, KGRL_OUTCOME_PASS, t0, cb.log);
    if (!gpu) {
        for (int s = KGRL_STAGE_SMOKE; s < KGRL_STAGE_COUNT; s++) {
            r->stages[s].outcome = KGRL_OUTCOME_SKIPPED;
            snprintf(r->stages[s].log, sizeof r->stages[s].log, "no GPU: compile only");
        }
        r->flags |= KGRL_FLAG_COMPILE_ONLY;
        snprintf(r->message, sizeof r->message, "compiled for %s; stages smoke, correctness, timing skipped (no GPU)", arch);
        goto free_cubin;
    }
    {
        // variants: 0..n-1 of kgrl_task_variants; index 4 (smoke) doubles as stage 3
        kgrl_variant vars[KGRL_MAX_VARIANTS];
        int want = jw->nvariants > 5 ? jw->nvariants : 5;
        if (want > KGRL_MAX_VARIANTS) want = KGRL_MAX_VARIANTS;
        int nv = kgrl_task_variants(&w->task, jw->seed, want, vars);
        int smoke = nv > 4 ? 4 : nv - 1;
        kgrl_status st;
        // the reference's cubin (the kit's own code: a failure is a task-suite bug, reported as such)
        kgrl__wk_deadline(w, 60e3);
        if (!kgrl__vf_ref_compile(w, arch, cache_dir, msg, sizeof msg)) {
            r->flags |= KGRL_FLAG_REFERENCE_FAILED;
            kgrl__vf_fail(r, KGRL_STAGE_SMOKE, KGRL_STATUS_LAUNCH_ERROR, kgrl_now_s(), msg);
            goto free_cubin;
        }
        // stage 3: smoke (stages 3 and 4 share the GPU with other workers' correctness runs)
        kgrl__vf_gpu_lock(w, 1);
        locked = true;
        kgrl__wk_progress(w, r, KGRL_STAGE_SMOKE, 0);
        t0 = kgrl_now_s();
        st = kgrl__vf_trial(w, jw, cache_dir, &c, &cb, &vars[smoke], r, msg, sizeof msg);
        if (st != KGRL_STATUS_OK) { kgrl__vf_fail(r, KGRL_STAGE_SMOKE, st, t0, msg); goto free_cubin; }
        kgrl__vf_stage_end(r, KGRL_STAGE_SMOKE, KGRL_OUTCOME_PASS, t0, vars[smoke].name);
        // stage 4: correctness on every other variant
        kgrl__wk_progress(w, r, KGRL_STAGE_CORRECTNESS, 0);
        t0 = kgrl_now_s();
        int ntest = jw->nvariants < nv ? jw->nvariants : nv;
        char done_names[256] = {0};
        for (int i = 0; i < ntest; i++) {
            if (i == smoke) continue;
            st = kgrl__vf_trial(w, jw, cache_dir, &c, &cb, &vars[i], r, msg, sizeof msg);
            if (st != KGRL_STATUS_OK) { kgrl__vf_fail(r, KGRL_STAGE_CORRECTNESS, st, t0, msg); goto free_cubin; }
            size_t k = strlen(done_names);
            snprintf(done_names + k, sizeof done_names - k, "%s%s", k ? " " : "", vars[i].name);
        }
        r->correct = true;
        kgrl__vf_stage_end(r, KGRL_STAGE_CORRECTNESS, KGRL_OUTCOME_PASS, t0, done_names);
        kgrl__vf_gpu_unlock(w);
        locked = false;
        if (jw->timing.max_trials < 0) {              // timing off (negative max_trials)
            r->stages[KGRL_STAGE_TIMING].outcome = KGRL_OUTCOME_SKIPPED;
            goto free_cubin;
        }
        // stage 5: timing, exclusive on this GPU, of the build without the hook (compiled first,
        // under the compile watchdog, outside the lock)
        kgrl__wk_deadline(w, jw->compile_timeout_s * 1e3);
        kgrl_nvrtc_compile(c.device_src, arch, kgrl__vf_nvrtc_opts, KGRL__VF_NOPTS, (const char *const *)c.name_exprs, c.nname_exprs,
                           cache_dir[0] ? cache_dir : NULL, &cb_timed);
        kgrl__wk_deadline(w, 0);
        if (!cb_timed.ok) {                          // it differs from the checked build only by the hook
            snprintf(msg, sizeof msg, "the build without the verifier's hook does not compile: %.600s", cb_timed.log ? cb_timed.log : "NVRTC failed");
            kgrl__vf_fail(r, KGRL_STAGE_TIMING, KGRL_STATUS_COMPILE_ERROR, kgrl_now_s(), msg);
            goto free_cubin;
        }
        kgrl__vf_gpu_lock(w, 2);
        kgrl__wk_progress(w, r, KGRL_STAGE_TIMING, 0);
        t0 = kgrl_now_s();
        st = kgrl__vf_timing(w, jw, &c, &cb_timed, &vars[0], &vars[nv > 1 ? 1 : 0], r, msg, sizeof msg);
        kgrl__vf_gpu_unlock(w);
        if (st != KGRL_STATUS_OK) { kgrl__vf_fail(r, KGRL_STAGE_TIMING, st, t0, msg); goto free_cubin; }
        char tl[200];
        snprintf(tl, sizeof tl, "%d trials: ref %.4g ms, cand %.4g ms, cv %.3g, se %.3g%%", r->trials, r->t_ref_ms, r->t_cand_ms,
                 r->cv, 100 * r->se_rel);
        kgrl__vf_stage_end(r, KGRL_STAGE_TIMING, KGRL_OUTCOME_PASS, t0, tl);
        // the suite's data directory is two levels above the task's: <root>/level<L>/<NNN>_<Name>
        char root[512];
        snprintf(root, sizeof root, "%s/../..", task_dir);
        double eager_ms = kgrl_task_eager_ms(root, w->ctx->device_name, w->task.id);
        if (eager_ms > 0 && r->t_cand_ms > 0) r->speedup_vs_torch = eager_ms / r->t_cand_ms;
        snprintf(r->message, sizeof r->message, "ok: speedup %.3gx over %d trials", r->speedup, r->trials);
    }
free_cubin:
    if (locked) kgrl__vf_gpu_unlock(w);
    kgrl_cubin_free(&cb);
    kgrl_cubin_free(&cb_timed);
free_cand:
    kgrl_candidate_free(&c);
done:
    r->total_ms = (kgrl_now_s() - t_job) * 1e3;
}

static void kgrl__vf_worker_main(int fd) {
    kgrl__wk w;
    memset(&w, 0, sizeof w);
    w.fd = fd;
    w.gpu = -1;
    signal(SIGPIPE, SIG_IGN);
    // a GPU worker starts its context right away, so the first job does not pay for it
    const char *g = getenv("KGRL_VERIFIER_GPU"), *cd = getenv("KGRL_VERIFIER_CACHE");
    if (g && g[0]) { w.gpu = atoi(g); kgrl__vf_ensure_ctx(&w, cd ? cd : "", false); }
    for (;;) {
        uint32_t type, len; char *p;
        if (!kgrl__vf_recv_msg(fd, &type, &p, &len)) break;
        if (type == KGRL__MSG_QUIT) { kgrl_free(p); break; }
        if (type != KGRL__MSG_JOB || len < sizeof(kgrl__vf_job_wire)) { kgrl_free(p); break; }
        kgrl__vf_job_wire jw;
        memcpy(&jw, p, sizeof jw);
        size_t need = sizeof jw + (size_t)jw.n_task_dir + jw.n_arch + jw.n_cache_dir + jw.n_completion;
        if (need != len) { kgrl_free(p); break; }
        const char *task_dir = p + sizeof jw, *arch = task_dir + jw.n_task_dir, *cache_dir = arch + jw.n_arch,
                   *completion = cache_dir + jw.n_cache_dir;
        kgrl__vf_result_wire res;
        memset(&res, 0, sizeof res);
        kgrl__vf_run_job(&w, &jw, task_dir, arch, cache_dir, completion, &res.rec);
        res.exiting = w.must_exit;
        kgrl_free(p);
        if (!kgrl__vf_send_msg(fd, KGRL__MSG_RESULT, &res, sizeof res)) break;
        if (w.must_exit) break;                      // a broken context: the scheduler starts a fresh worker
    }
    _exit(0);                                        // never return into the host program
}

#if defined(__GNUC__)
// Runs before main in every process of a program built with KGRL_IMPLEMENTATION; returns at once
// unless this process is a verifier worker started by kgrl_verifier_create.
__attribute__((constructor)) static void kgrl__vf_worker_entry(void) {
    const char *e = getenv("KGRL_VERIFIER_WORKER");
    if (!e || !e[0]) return;
    int fd = atoi(e);
    prctl(PR_SET_PDEATHSIG, SIGKILL);                // never outlive the scheduler
    if (getppid() == 1) _exit(0);
    kgrl__vf_worker_main(fd);
}
#endif

// ---------------------------------------------------------------------------------------------
// the scheduler (in the caller's process): spawns workers, hands out jobs, watches the clock

enum { KGRL__W_DEAD, KGRL__W_IDLE, KGRL__W_BUSY, KGRL__W_WAIT_LOCK, KGRL__W_EXITING };
typedef struct kgrl__vf_pw {
    pid_t pid; int fd; int gpu;     // gpu -1: a compile-only worker
    int state;
    int job;                        // index in the current batch, -1
    double deadline;                // watchdog (0: none)
    double job_deadline;
    double job_start;
    int stage; double stage_start;
    bool have_partial; kgrl_record partial;
    int deaths_in_row;              // deaths without a result in between
    int lock_want, lock_held;       // GPU lock: 0 none, 1 shared, 2 exclusive
    char infra[400];                // the worker's KGRL__MSG_INFRA line ("" none)
    bool retried;                   // its job is on its second worker after a harness failure
} kgrl__vf_pw;

#define KGRL__VF_MAX_GPUS 64
struct kgrl_verifier {
    kgrl_verifier_desc desc;        // resolved
    kgrl_reward_desc reward;
    char cache_dir[1024];
    char arch[32];
    int ngpus;
    char gpu_env[KGRL__VF_MAX_GPUS][32];   // CUDA_VISIBLE_DEVICES value per pool GPU
    // per GPU: the worker holding it exclusively (timing) or -1, the number of shared holders, and
    // whether the last grant was exclusive (then waiting shared requests go first, so neither starves)
    int gpu_excl[KGRL__VF_MAX_GPUS], gpu_shared[KGRL__VF_MAX_GPUS];
    bool gpu_last_excl[KGRL__VF_MAX_GPUS];
    int nworkers;
    kgrl__vf_pw *w;
    int starts;
};

static void kgrl__vf_spawn(kgrl_verifier *v, int i) {
    kgrl__vf_pw *pw = &v->w[i];
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) KGRL_FATAL("socketpair: %s", strerror(errno));
    if (fcntl(sv[0], F_SETFD, FD_CLOEXEC) != 0) KGRL_FATAL("fcntl: %s", strerror(errno));
    // the environment: ours, minus the two variables we set
    int nenv = 0;
    while (environ[nenv]) nenv++;
    char **envp = (char **)kgrl_calloc((size_t)nenv + 5, sizeof(char *));
    int k = 0;
    for (int j = 0; j < nenv; j++) {
        if (strncmp(environ[j], "KGRL_VERIFIER_", 14) == 0 || strncmp(environ[j], "CUDA_VISIBLE_DEVICES=", 21) == 0) continue;
        envp[k++] = environ[j];
    }
    char e_fd[64], e_dev[64], e_gpu[64], e_cache[1100];
    snprintf(e_fd, sizeof e_fd, "KGRL_VERIFIER_WORKER=%d", sv[1]);
    snprintf(e_dev, sizeof e_dev, "CUDA_VISIBLE_DEVICES=%s", pw->gpu >= 0 ? v->gpu_env[pw->gpu] : "");
    snprintf(e_gpu, sizeof e_gpu, "KGRL_VERIFIER_GPU=%s", pw->gpu >= 0 && !v->desc.compile_only ? "0" : "");
    snprintf(e_cache, sizeof e_cache, "KGRL_VERIFIER_CACHE=%s", v->cache_dir);
    envp[k++] = e_fd;
    envp[k++] = e_dev;
    envp[k++] = e_gpu;
    envp[k++] = e_cache;
    envp[k] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    // candidates' device printf goes to the worker's stdout: keep it out of the caller's output
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char arg0[] = "kgrl-verifier-worker";
    char *argv[] = {arg0, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    kgrl_free(envp);
    close(sv[1]);
    if (rc != 0) KGRL_FATAL_HINT("the verifier re-executes /proc/self/exe; it must exist (Linux)", "posix_spawn: %s", strerror(rc));
    pw->pid = pid; pw->fd = sv[0];
    pw->state = KGRL__W_IDLE; pw->job = -1; pw->deadline = 0; pw->have_partial = false; pw->infra[0] = 0;
    v->starts++;
}

static int kgrl__vf_count_gpus(kgrl_verifier *v) {
    int n = 0;
    if (v->desc.compile_only) return 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) { (void)cudaGetLastError(); return 0; }
    if (v->desc.max_gpus > 0 && n > v->desc.max_gpus) n = v->desc.max_gpus;
    if (n > KGRL__VF_MAX_GPUS) n = KGRL__VF_MAX_GPUS;
    // CUDA_VISIBLE_DEVICES of a worker: the i-th entry of ours, or i
    const char *vis = getenv("CUDA_VISIBLE_DEVICES");
    for (int i = 0; i < n; i++) {
        snprintf(v->gpu_env[i], sizeof v->gpu_env[i], "%d", i);
        if (vis && vis[0]) {
            const char *p = vis;
            for (int j = 0; j < i && p; j++) { p = strchr(p, ','); if (p) p++; }
            if (p) {
                size_t len = strcspn(p, ",");
                if (len >= sizeof v->gpu_env[i]) len = sizeof v->gpu_env[i] - 1;
                memcpy(v->gpu_env[i], p, len);
                v->gpu_env[i][len] = 0;
            }
        }
    }
    return n;
}

kgrl_verifier *kgrl_verifier_create(const kgrl_verifier_desc *desc) {
    kgrl_verifier *v = (kgrl_verifier *)kgrl_calloc(1, sizeof *v);
    if (desc) v->desc = *desc;
    kgrl_verifier_desc *d = &v->desc;
    if (d->workers_per_gpu <= 0) d->workers_per_gpu = 4;
    if (d->compile_workers <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        d->compile_workers = c < 1 ? 1 : c > 16 ? 16 : (int)c;
    }
    if (d->nvariants <= 0) d->nvariants = 5;
    if (d->nvariants > KGRL_MAX_VARIANTS) d->nvariants = KGRL_MAX_VARIANTS;
    if (d->compile_timeout_s <= 0) d->compile_timeout_s = 5;
    if (d->run_timeout_s <= 0) d->run_timeout_s = 1;
    if (d->job_timeout_s <= 0) d->job_timeout_s = 300;
    if (d->timing.max_trials >= 0) d->timing = kgrl_timing_desc_resolve(&d->timing);
    v->reward = kgrl_reward_desc_resolve(d->reward);
    d->reward = &v->reward;
    // cache dir: like kgrl_ctx
    const char *cd = d->cache_dir;
    if (!cd || !cd[0]) cd = getenv("KGRL_CACHE_DIR");
    if (cd && cd[0]) snprintf(v->cache_dir, sizeof v->cache_dir, "%s", cd);
    else if (getenv("XDG_CACHE_HOME") && getenv("XDG_CACHE_HOME")[0]) snprintf(v->cache_dir, sizeof v->cache_dir, "%s/kgrl", getenv("XDG_CACHE_HOME"));
    else if (getenv("HOME") && getenv("HOME")[0]) snprintf(v->cache_dir, sizeof v->cache_dir, "%s/.cache/kgrl", getenv("HOME"));
    else snprintf(v->cache_dir, sizeof v->cache_dir, "./.kgrl-cache");
    d->cache_dir = v->cache_dir;
    v->ngpus = kgrl__vf_count_gpus(v);
    if (v->ngpus == 0) d->compile_only = true;
    if (d->arch && d->arch[0]) snprintf(v->arch, sizeof v->arch, "%s", d->arch);
    d->arch = v->arch;                               // "" = each worker's device arch
    if (!v->arch[0] && v->ngpus == 0) {
#ifdef KGRL_DEFAULT_ARCH
        snprintf(v->arch, sizeof v->arch, "%s", KGRL_DEFAULT_ARCH);
#else
        snprintf(v->arch, sizeof v->arch, "sm_90");
#endif
    }
    for (int g = 0; g < KGRL__VF_MAX_GPUS; g++) v->gpu_excl[g] = -1;
    v->nworkers = v->ngpus > 0 ? v->ngpus * d->workers_per_gpu : d->compile_workers;
    v->w = (kgrl__vf_pw *)kgrl_calloc((size_t)v->nworkers, sizeof(kgrl__vf_pw));
    for (int i = 0; i < v->nworkers; i++) {
        v->w[i].gpu = v->ngpus > 0 ? i % v->ngpus : -1;
        kgrl__vf_spawn(v, i);
    }
    kgrl_log(&d->logger, KGRL_LOG_INFO, "verifier: %d workers on %d GPU(s)%s, arch %s, cache %s", v->nworkers, v->ngpus,
             d->compile_only ? " (compile only)" : "", v->arch[0] ? v->arch : "(device)", v->cache_dir);
    return v;
}

const kgrl_verifier_desc *kgrl_verifier_resolved(const kgrl_verifier *v) { return &v->desc; }
int kgrl_verifier_ngpus(const kgrl_verifier *v) { return v->ngpus; }
int kgrl_verifier_worker_starts(const kgrl_verifier *v) { return v->starts; }

void kgrl_verifier_destroy(kgrl_verifier *v) {
    if (!v) return;
    for (int i = 0; i < v->nworkers; i++) {
        kgrl__vf_pw *pw = &v->w[i];
        if (pw->pid <= 0) continue;
        kgrl__vf_send_msg(pw->fd, KGRL__MSG_QUIT, NULL, 0);
        close(pw->fd);
    }
    for (int i = 0; i < v->nworkers; i++) {
        kgrl__vf_pw *pw = &v->w[i];
        if (pw->pid <= 0) continue;
        // give each worker a moment to exit on its own, then kill it
        int status;
        double t0 = kgrl_now_s();
        while (waitpid(pw->pid, &status, WNOHANG) == 0) {
            if (kgrl_now_s() - t0 > 2.0) { kill(pw->pid, SIGKILL); waitpid(pw->pid, &status, 0); break; }
            usleep(1000);
        }
    }
    kgrl_free(v->w);
    kgrl_free(v);
}

typedef struct kgrl__vf_batch {
    const kgrl_verify_job *jobs;
    kgrl_record *records;
    int n, next, done;
} kgrl__vf_batch;

static void kgrl__vf_finish(kgrl_verifier *v, kgrl__vf_batch *b, int job, kgrl_record *r) {
    b->records[job] = *r;
    kgrl_reward_apply(&v->reward, &b->records[job], b->jobs[job].has_judge, b->jobs[job].judge);
    b->done++;
}

static void kgrl__vf_grant_one(kgrl_verifier *v, int i, int kind) {
    kgrl__vf_pw *pw = &v->w[i];
    if (!kgrl__vf_send_msg(pw->fd, KGRL__MSG_LOCK_GRANT, NULL, 0)) return;   // its death is noticed by poll
    pw->lock_want = 0; pw->lock_held = kind;
    pw->state = KGRL__W_BUSY;
    pw->deadline = kgrl_now_s() + 5.0;               // until the worker arms its own watchdog
    if (kind == 2) v->gpu_excl[pw->gpu] = i; else v->gpu_shared[pw->gpu]++;
    v->gpu_last_excl[pw->gpu] = kind == 2;
}

// Hand out GPU g's lock: exclusive when nobody holds it, shared when nobody holds it exclusively
// and no timing waits (unless the last grant was a timing: then the waiting shared go first).
static void kgrl__vf_schedule(kgrl_verifier *v, int g) {
    if (g < 0 || v->gpu_excl[g] >= 0) return;
    int want_excl = -1; bool want_shared = false;
    for (int i = 0; i < v->nworkers; i++) {
        if (v->w[i].gpu != g || v->w[i].state != KGRL__W_WAIT_LOCK) continue;
        if (v->w[i].lock_want == 2 && want_excl < 0) want_excl = i;
        if (v->w[i].lock_want == 1) want_shared = true;
    }
    bool shared_first = want_shared && (want_excl < 0 || v->gpu_last_excl[g]);
    if (!shared_first) {
        if (want_excl >= 0 && v->gpu_shared[g] == 0) kgrl__vf_grant_one(v, want_excl, 2);
        return;
    }
    for (int i = 0; i < v->nworkers; i++)
        if (v->w[i].gpu == g && v->w[i].state == KGRL__W_WAIT_LOCK && v->w[i].lock_want == 1) kgrl__vf_grant_one(v, i, 1);
    v->gpu_last_excl[g] = false;
}

static void kgrl__vf_release(kgrl_verifier *v, int i) {
    kgrl__vf_pw *pw = &v->w[i];
    int g = pw->gpu;
    if (g < 0) return;
    if (pw->lock_held == 2 && v->gpu_excl[g] == i) v->gpu_excl[g] = -1;
    if (pw->lock_held == 1 && v->gpu_shared[g] > 0) v->gpu_shared[g]--;
    pw->lock_held = 0; pw->lock_want = 0;
    kgrl__vf_schedule(v, g);
}

static bool kgrl__vf_send_job(kgrl_verifier *v, int i, const kgrl_verify_job *job, int index);

// A worker is gone (we killed it, or it died): close out its job and start a replacement. A job
// whose worker reported a harness failure (kgrl__vf_report_oom: the GPU was full) goes to the fresh
// worker once more, since what filled the GPU may be gone; the second time it is closed out.
static void kgrl__vf_reap(kgrl_verifier *v, kgrl__vf_batch *b, int i, bool killed_for_time) {
    kgrl__vf_pw *pw = &v->w[i];
    int status = 0;
    if (pw->pid > 0) waitpid(pw->pid, &status, 0);
    close(pw->fd);
    pw->pid = 0; pw->fd = -1;
    int job = pw->job;
    bool retry = job >= 0 && b && pw->infra[0] && !pw->retried;
    if (job >= 0 && b && pw->infra[0])
        kgrl_log(&v->desc.logger, KGRL_LOG_WARN, "verifier: job %d (%s) on GPU %d: %s; %s", job, b->jobs[job].task->id,
                 pw->gpu, pw->infra, retry ? "running it again on a fresh worker" : "the second time: infra_error");
    if (job >= 0 && b && !retry) {
        kgrl_record r;
        if (pw->have_partial) r = pw->partial;
        else {
            const kgrl_task *t = b->jobs[job].task;
            kgrl_record_init(&r, t ? t->id : "");
            const char *c = b->jobs[job].completion ? b->jobs[job].completion : "";
            kgrl_sha256_hex(c, strlen(c), r.hash);
        }
        kgrl_stage s = (kgrl_stage)(pw->stage >= 0 && pw->stage < KGRL_STAGE_COUNT ? pw->stage : 0);
        char why[400];
        if (pw->infra[0]) {
            // Statuses are verdicts on the candidate (src/20_candidate.h, DESIGN §3.6) and none means
            // "the harness failed", so this one is a flag, like reference_failed. The status stays what
            // any dead worker gets; the trainer gives flagged records no advantage (kgrl__rl_impute_unjudged).
            r.status = KGRL_STATUS_RUNTIME_FAULT;
            r.flags |= KGRL_FLAG_INFRA_ERROR;
            snprintf(why, sizeof why, "the harness failed on two workers, not the candidate: %.300s", pw->infra);
        } else if (killed_for_time) {
            r.status = KGRL_STATUS_TIMEOUT;
            snprintf(why, sizeof why, "killed by the watchdog after %.2f s in stage %s", kgrl_now_s() - pw->job_start, kgrl_stage_name(s));
        } else {
            r.status = KGRL_STATUS_RUNTIME_FAULT;
            if (WIFSIGNALED(status)) snprintf(why, sizeof why, "worker died from signal %d (%s) in stage %s", WTERMSIG(status), strsignal(WTERMSIG(status)), kgrl_stage_name(s));
            else snprintf(why, sizeof why, "worker exited with status %d in stage %s", WIFEXITED(status) ? WEXITSTATUS(status) : -1, kgrl_stage_name(s));
        }
        r.stage = s;
        r.stages[s].outcome = KGRL_OUTCOME_FAIL;
        r.stages[s].ms = (kgrl_now_s() - pw->stage_start) * 1e3;
        snprintf(r.stages[s].log, sizeof r.stages[s].log, "%s", why);
        snprintf(r.message, sizeof r.message, "%s: %s", kgrl_stage_name(s), why);
        r.flags |= KGRL_FLAG_WORKER_REPLACED;
        r.total_ms = (kgrl_now_s() - pw->job_start) * 1e3;
        r.gpu = pw->gpu;
        kgrl__vf_finish(v, b, job, &r);
    }
    pw->deaths_in_row++;                             // reset by the next result this slot delivers
    pw->job = -1;
    pw->state = KGRL__W_DEAD;
    kgrl__vf_release(v, i);
    if (pw->deaths_in_row > 16)
        KGRL_FATAL_HINT("run one candidate with `kgrl eval` to see the worker's stderr",
                        "verifier workers keep dying (%d in a row on GPU %d)", pw->deaths_in_row, pw->gpu);
    kgrl__vf_spawn(v, i);
    if (retry) {
        bool sent = kgrl__vf_send_job(v, i, &b->jobs[job], job);
        pw->retried = true;                          // after send_job, which clears it for a new job
        if (!sent) kgrl__vf_reap(v, b, i, false);
    }
}

static bool kgrl__vf_send_job(kgrl_verifier *v, int i, const kgrl_verify_job *job, int index) {
    kgrl__vf_pw *pw = &v->w[i];
    const kgrl_task *t = job->task;
    const char *comp = job->completion ? job->completion : "";
    kgrl__vf_job_wire jw;
    memset(&jw, 0, sizeof jw);
    jw.job = index; jw.nvariants = v->desc.nvariants; jw.compile_only = v->desc.compile_only || pw->gpu < 0; jw.gpu = pw->gpu;
    jw.seed = v->desc.seed; jw.scratch_budget = v->desc.scratch_budget_bytes;
    jw.compile_timeout_s = v->desc.compile_timeout_s; jw.run_timeout_s = v->desc.run_timeout_s;
    jw.timing = v->desc.timing;
    jw.n_task_dir = (uint32_t)strlen(t->dir) + 1; jw.n_arch = (uint32_t)strlen(v->arch) + 1;
    jw.n_cache_dir = (uint32_t)strlen(v->cache_dir) + 1; jw.n_completion = (uint32_t)strlen(comp) + 1;
    kgrl_buf b;
    memset(&b, 0, sizeof b);
    kgrl_buf_append(&b, &jw, sizeof jw);
    kgrl_buf_append(&b, t->dir, jw.n_task_dir);
    kgrl_buf_append(&b, v->arch, jw.n_arch);
    kgrl_buf_append(&b, v->cache_dir, jw.n_cache_dir);
    kgrl_buf_append(&b, comp, jw.n_completion);
    bool ok = kgrl__vf_send_msg(pw->fd, KGRL__MSG_JOB, b.data, (uint32_t)b.len);
    kgrl_buf_free(&b);
    double now = kgrl_now_s();
    pw->job = index; pw->state = KGRL__W_BUSY; pw->job_start = pw->stage_start = now; pw->stage = KGRL_STAGE_FORMAT;
    pw->have_partial = false; pw->retried = false;
    pw->deadline = now + 60.0;                       // until the worker arms its own watchdog
    pw->job_deadline = now + v->desc.job_timeout_s;
    return ok;
}

// Handle one message from worker i; false when the worker is gone.
static bool kgrl__vf_on_message(kgrl_verifier *v, kgrl__vf_batch *b, int i) {
    kgrl__vf_pw *pw = &v->w[i];
    uint32_t type, len; char *p;
    if (!kgrl__vf_recv_msg(pw->fd, &type, &p, &len)) return false;
    double now = kgrl_now_s();
    bool ok = true;
    switch (type) {
    case KGRL__MSG_PROGRESS:
        if (len != sizeof(kgrl__vf_progress_wire)) { ok = false; break; }
        {
            kgrl__vf_progress_wire pr;
            memcpy(&pr, p, sizeof pr);
            pw->partial = pr.rec; pw->have_partial = true;
            if (pr.d.stage != pw->stage) pw->stage_start = now;
            pw->stage = pr.d.stage;
            pw->deadline = pr.d.ms > 0 ? now + pr.d.ms * 1e-3 : 0;
        }
        break;
    case KGRL__MSG_DEADLINE:
        if (len != sizeof(kgrl__vf_deadline_wire)) { ok = false; break; }
        {
            kgrl__vf_deadline_wire d;
            memcpy(&d, p, sizeof d);
            pw->stage = d.stage;
            pw->deadline = d.ms > 0 ? now + d.ms * 1e-3 : 0;
        }
        break;
    case KGRL__MSG_LOCK_REQ:
        if (len != sizeof(int32_t) || pw->gpu < 0 || pw->lock_held) { ok = false; break; }
        {
            int32_t kind;
            memcpy(&kind, p, sizeof kind);
            if (kind != 1 && kind != 2) { ok = false; break; }
            pw->state = KGRL__W_WAIT_LOCK;
            pw->lock_want = kind;
            pw->deadline = 0;                        // waiting for the lock is not the candidate's time
            kgrl__vf_schedule(v, pw->gpu);
        }
        break;
    case KGRL__MSG_LOCK_DONE:
        kgrl__vf_release(v, i);
        break;
    case KGRL__MSG_RESULT:
        if (len != sizeof(kgrl__vf_result_wire) || pw->job < 0) { ok = false; break; }
        {
            kgrl__vf_result_wire res;
            memcpy(&res, p, sizeof res);
            if (pw->retried) res.rec.flags |= KGRL_FLAG_WORKER_REPLACED;   // its first worker died
            kgrl__vf_finish(v, b, pw->job, &res.rec);
            pw->job = -1; pw->deadline = 0; pw->deaths_in_row = 0;
            pw->state = KGRL__W_IDLE;
            if (res.exiting) {                       // its exit (EOF) gets it replaced; kill it if it lingers
                pw->state = KGRL__W_EXITING;
                pw->deadline = now + 10.0;
                pw->job_deadline = now + 10.0;
            }
            kgrl__vf_release(v, i);
        }
        break;
    case KGRL__MSG_INFRA:                            // the worker exits next: kgrl__vf_reap reads this
        snprintf(pw->infra, sizeof pw->infra, "%s", p);
        break;
    default: ok = false;
    }
    kgrl_free(p);
    return ok;
}

void kgrl_verify_batch(kgrl_verifier *v, const kgrl_verify_job *jobs, int n, kgrl_record *records) {
    kgrl__vf_batch b = {jobs, records, n, 0, 0};
    for (int j = 0; j < n; j++) {
        KGRL_CHECK(jobs[j].task, "kgrl_verify_batch: job %d has no task", j);
        kgrl_record_init(&records[j], jobs[j].task->id);
    }
    struct pollfd *pfd = (struct pollfd *)kgrl_calloc((size_t)v->nworkers, sizeof(struct pollfd));
    while (b.done < n) {
        // hand out jobs to idle workers
        for (int i = 0; i < v->nworkers && b.next < n; i++) {
            if (v->w[i].state != KGRL__W_IDLE) continue;
            int j = b.next++;
            if (!kgrl__vf_send_job(v, i, &jobs[j], j)) kgrl__vf_reap(v, &b, i, false);
        }
        // wait for messages, at most until the nearest deadline
        double now = kgrl_now_s(), wait_s = 0.1;
        for (int i = 0; i < v->nworkers; i++) {
            kgrl__vf_pw *pw = &v->w[i];
            pfd[i].fd = pw->fd; pfd[i].events = POLLIN; pfd[i].revents = 0;
            if (pw->deadline > 0 && pw->deadline - now < wait_s) wait_s = pw->deadline - now;
        }
        if (wait_s < 0) wait_s = 0;
        int rc = poll(pfd, (nfds_t)v->nworkers, (int)(wait_s * 1e3) + 1);
        if (rc < 0 && errno != EINTR) KGRL_FATAL("poll: %s", strerror(errno));
        for (int i = 0; rc > 0 && i < v->nworkers; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (!kgrl__vf_on_message(v, &b, i)) kgrl__vf_reap(v, &b, i, false);
        }
        // the watchdog
        now = kgrl_now_s();
        for (int i = 0; i < v->nworkers; i++) {
            kgrl__vf_pw *pw = &v->w[i];
            if (pw->state == KGRL__W_IDLE || pw->state == KGRL__W_DEAD || pw->state == KGRL__W_WAIT_LOCK) continue;
            if ((pw->deadline > 0 && now > pw->deadline) || now > pw->job_deadline) {
                kill(pw->pid, SIGKILL);
                kgrl__vf_reap(v, &b, i, true);
            }
        }
    }
    kgrl_free(pfd);
}

// ---------------------------------------------------------------------------------------------
// In-process runs of trusted code: the worker's env, scratch and replay, without the worker.
// One run (outputs to outputs_host when given), then `trials` timed replays (median to *median_ms).
static bool kgrl__inproc(kgrl_ctx *ctx, const kgrl_task *t, const kgrl_variant *v, const char *src, bool allow_builtins,
                         void **outputs_host, int trials, double *median_ms, kgrl_err *err) {
    KGRL_CHECK(ctx->has_gpu, "kgrl_task_run_inprocess needs a GPU: %s", ctx->no_gpu_reason);
    kgrl_candidate c;
    kgrl_candidate_parse(src, t->signature, allow_builtins, &c);
    if (c.status != KGRL_STATUS_OK) {
        kgrl_err_set(err, "%s: %s", kgrl_status_name(c.status), c.message);
        kgrl_candidate_free(&c);
        return false;
    }
    kgrl__wk w;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    kgrl__vf_env e;
    kgrl__vf_env_setup(&w, t, v, false, &e);
    kgrl_launch_seq seq;
    kgrl_status st = KGRL_STATUS_OK;
    char msg[1024] = "";
    memset(&seq, 0, sizeof seq);
    kgrl_cubin cb;
    memset(&cb, 0, sizeof cb);
    kgrl__vf_scratch scratch;
    memset(&scratch, 0, sizeof scratch);
    kgrl_module m;
    memset(&m, 0, sizeof m);
    cudaKernel_t kern[256];
    bool loaded = false;
    if (!kgrl_candidate_record(&c, e.args, t->nparams, &seq, &st, msg, sizeof msg)) goto done;
    kgrl_nvrtc_compile(c.device_src, ctx->arch, kgrl__vf_nvrtc_opts, KGRL__VF_NOPTS, (const char *const *)c.name_exprs,
                       c.nname_exprs, ctx->desc.cache_dir, &cb);
    if (!cb.ok) { st = KGRL_STATUS_COMPILE_ERROR; snprintf(msg, sizeof msg, "%.900s", cb.log); goto done; }
    if (c.nname_exprs > 256) { st = KGRL_STATUS_COMPILE_ERROR; snprintf(msg, sizeof msg, "more than 256 kernels"); goto done; }
    st = kgrl__vf_load_kernels(&cb, c.nname_exprs, &m, kern, msg, sizeof msg);
    if (st != KGRL_STATUS_OK) goto done;
    loaded = true;
    st = kgrl__vf_scratch_alloc(&seq, (uint64_t)16 << 30, &scratch, msg, sizeof msg);
    if (st != KGRL_STATUS_OK) goto done;
    st = kgrl__vf_replay(&w, &seq, kern, &e, &scratch, allow_builtins, true, msg, sizeof msg);
    if (st != KGRL_STATUS_OK) goto done;
    KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));  // trusted code: a fault here is the kit's bug
    for (int p = 0; p < t->nparams && outputs_host; p++)
        if (t->params[p].kind == KGRL_PARAM_OUTPUT && e.bytes[p])
            KGRL_CUDA_CHECK(cudaMemcpyAsync(outputs_host[p], e.dev[p], e.bytes[p], cudaMemcpyDeviceToHost, ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    if (trials > 0) {
        size_t flush_bytes = 2 * (size_t)(ctx->l2_bytes > 0 ? ctx->l2_bytes : (64 << 20));
        void *flush;
        KGRL_CUDA_CHECK(cudaMalloc(&flush, flush_bytes));
        cudaEvent_t e0, e1;
        KGRL_CUDA_CHECK(cudaEventCreate(&e0));
        KGRL_CUDA_CHECK(cudaEventCreate(&e1));
        double *ms = (double *)kgrl_calloc((size_t)trials, sizeof(double));
        for (int i = -3; i < trials && st == KGRL_STATUS_OK; i++) {   // 3 warm-ups
            KGRL_CUDA_CHECK(cudaMemsetAsync(flush, i & 0xff, flush_bytes, ctx->stream));
            KGRL_CUDA_CHECK(cudaEventRecord(e0, ctx->stream));
            st = kgrl__vf_replay(&w, &seq, kern, &e, &scratch, allow_builtins, false, msg, sizeof msg);
            KGRL_CUDA_CHECK(cudaEventRecord(e1, ctx->stream));
            KGRL_CUDA_CHECK(cudaEventSynchronize(e1));
            float f = 0;
            KGRL_CUDA_CHECK(cudaEventElapsedTime(&f, e0, e1));
            if (i >= 0) ms[i] = f;
        }
        kgrl_tstats ts;
        kgrl_tstats_compute(ms, trials, &ts);
        if (median_ms) *median_ms = ts.median;
        kgrl_free(ms);
        KGRL_CUDA_CHECK(cudaEventDestroy(e0));
        KGRL_CUDA_CHECK(cudaEventDestroy(e1));
        KGRL_CUDA_CHECK(cudaFree(flush));
    }
done:
    if (st != KGRL_STATUS_OK) kgrl_err_set(err, "%s: %s", kgrl_status_name(st), msg);
    if (loaded) kgrl_module_unload(&m);
    kgrl__vf_scratch_free(&scratch);
    kgrl_cubin_free(&cb);
    kgrl_launch_seq_free(&seq);
    kgrl__vf_env_free(&e);
    kgrl_candidate_free(&c);
    return st == KGRL_STATUS_OK;
}

bool kgrl_task_run_inprocess(kgrl_ctx *ctx, const kgrl_task *t, const kgrl_variant *v, const char *src,
                             bool allow_builtins, void **outputs_host, kgrl_err *err) {
    return kgrl__inproc(ctx, t, v, src, allow_builtins, outputs_host, 0, NULL, err);
}

bool kgrl_task_time_inprocess(kgrl_ctx *ctx, const kgrl_task *t, const kgrl_variant *v, const char *src,
                              bool allow_builtins, int trials, double *median_ms, kgrl_err *err) {
    return kgrl__inproc(ctx, t, v, src, allow_builtins, NULL, trials > 0 ? trials : 1, median_ms, err);
}
