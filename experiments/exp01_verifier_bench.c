// exp01_verifier_bench — the cost of the reward (DESIGN §3, §8): what verifying one candidate
// costs, stage by stage, and how many candidates one GPU verifies per minute.
//
// Reproduces: the verifier-cost table of the report (per-candidate cost by stage, candidates per
// minute on one GPU, NVRTC compile p50/p90 cold and cached, single-candidate latency cold and warm)
// and the timing-noise figure (CV of repeated measurements of one >= 100 us kernel, single-shot vs
// calibrated). The KernelBench-harness side of the ratios comes from tests/oracles/verifier_comparator.py
// run on the same candidates (the list this program writes).
//
// Build and run (GPU machine):
//   ./build.sh amalgamate && ./build.sh exp01_verifier_bench && ./exp01_verifier_bench
//   python3 tests/oracles/verifier_comparator.py --list results/exp01_verifier_candidates.txt
// Flags: --quick (8 data tasks, 5 repetitions), --seed S, --out PATH, --tasks N, --reps N.
// Expected time on one H100: ~2-4 min (quick: < 1 min). Without a GPU it runs the compile-only
// funnel (stages 1-2) and says so in the CSV metadata.
// Inputs: tests/vtasks/ (the verifier's own tasks), tests/adversarial/*.cu, and data/level1,
// data/level2 tasks with their solution_*.cu and wrong_*.cu files.
// Output: results/exp01_verifier_bench.csv, tidy long format:
//   section,task,candidate,stage,metric,value
//   section = candidate (per candidate and stage: ms, plus its status), summary (batch figures),
//   timing_cv (repeated measurements: one row per repetition and the CV per method).
// Also results/exp01_verifier_candidates.txt: one "task_dir<TAB>candidate_file" per line.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include <dirent.h>

#define MAXC 512
typedef struct cand { char task_dir[512]; char file[700]; int task; char *text; } cand;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double pct(double *x, int n, double p) {            // nearest-rank percentile of n values
    if (n <= 0) return NAN;
    qsort(x, (size_t)n, sizeof(double), cmp_double);
    int k = (int)ceil(p * n) - 1;
    return x[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static int cmp_name(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static bool uses_builtin(const char *src) { return strstr(src, "kgrl_gemm") || strstr(src, "kgrl_conv"); }

static int add_cand(cand *c, int n, const char *task_dir, const char *file, int task) {
    if (n >= MAXC) return n;
    char *t = kgrl_read_file(file, NULL, NULL);
    if (!t) return n;
    snprintf(c[n].task_dir, sizeof c[n].task_dir, "%s", task_dir);
    snprintf(c[n].file, sizeof c[n].file, "%s", file);
    c[n].task = task;
    c[n].text = t;
    return n + 1;
}

int main(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    bool quick = kgrl_flag_bool(&f, "--quick", "8 data tasks, 5 timing repetitions");
    int64_t seed = kgrl_flag_int(&f, "--seed", 1234, "verifier input seed");
    const char *out = kgrl_flag_str(&f, "--out", "results/exp01_verifier_bench.csv", "output CSV");
    int64_t max_tasks = kgrl_flag_int(&f, "--tasks", 0, "data tasks to use (0: 24, quick 8)");
    int64_t reps = kgrl_flag_int(&f, "--reps", 0, "timing repetitions (0: 10, quick 5)");
    if (!kgrl_flags_finish(&f)) { fprintf(stderr, "exp01: %s\n", f.err.msg); kgrl_flags_usage(&f, stderr); return 2; }
    if (max_tasks <= 0) max_tasks = quick ? 8 : 24;       // >= 8 tasks (the brief's floor)
    if (reps <= 0) reps = quick ? 5 : 10;

    // ---- the candidates: vtasks + adversarial suite, then data tasks' solutions and wrong variants
    static kgrl_task tasks[64];
    static cand c[MAXC];
    int ntasks = 0, n = 0;
    static const char *const vt[5] = {"tests/vtasks/level9/001_VectorAdd", "tests/vtasks/level9/002_ReLU",
                                      "tests/vtasks/level9/003_RowSoftmax", "tests/vtasks/level9/004_SmallMatmul",
                                      "tests/vtasks/level9/005_SumReduction"};
    static const char *const vshort[5] = {"add__", "relu__", "softmax__", "matmul__", "sum__"};
    for (int i = 0; i < 5; i++) {
        kgrl_err err;
        if (!kgrl_task_load(vt[i], &tasks[ntasks], &err)) KGRL_FATAL("%s", err.msg);
        char p[700];
        snprintf(p, sizeof p, "%s/reference.cu", vt[i]);
        if (!uses_builtin(tasks[ntasks].reference_src)) n = add_cand(c, n, vt[i], p, ntasks);
        DIR *d = opendir("tests/adversarial");
        for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
            if (strncmp(e->d_name, vshort[i], strlen(vshort[i])) != 0) continue;
            if (strstr(e->d_name, "spin_forever") || strstr(e->d_name, "compile_bomb")) continue;  // cost = the limits, not the verifier
            snprintf(p, sizeof p, "tests/adversarial/%s", e->d_name);
            n = add_cand(c, n, vt[i], p, ntasks);
        }
        if (d) closedir(d);
        ntasks++;
    }
    int ndata = 0;
    for (int level = 1; level <= 2 && ndata < max_tasks; level++) {
        char ld[64];
        snprintf(ld, sizeof ld, "data/level%d", level);
        DIR *d = opendir(ld);
        if (!d) continue;
        char names[256][256];
        int nn = 0;
        for (struct dirent *e; (e = readdir(d)) != NULL && nn < 256;)
            if (e->d_name[0] != '.') snprintf(names[nn++], sizeof names[0], "%s", e->d_name);
        closedir(d);
        qsort(names, (size_t)nn, sizeof names[0], cmp_name);
        for (int k = 0; k < nn && ndata < max_tasks && ntasks < 64; k++) {
            char dir[512];
            snprintf(dir, sizeof dir, "%s/%.400s", ld, names[k]);
            kgrl_err err;
            if (!kgrl_task_load(dir, &tasks[ntasks], &err)) { fprintf(stderr, "exp01: skipping %s: %s\n", dir, err.msg); continue; }
            kgrl_task *t = &tasks[ntasks];
            if (t->excluded || (uses_builtin(t->reference_src) && t->nsolutions == 0 && t->nwrong == 0)) { kgrl_task_free(t); continue; }
            char p[700];
            for (int s = 0; s < t->nsolutions; s++) { snprintf(p, sizeof p, "%s/%s", dir, t->solution_files[s]); n = add_cand(c, n, dir, p, ntasks); }
            for (int s = 0; s < t->nwrong; s++) { snprintf(p, sizeof p, "%s/%s", dir, t->wrong_files[s]); n = add_cand(c, n, dir, p, ntasks); }
            if (!uses_builtin(t->reference_src)) { snprintf(p, sizeof p, "%s/reference.cu", dir); n = add_cand(c, n, dir, p, ntasks); }
            ntasks++; ndata++;
        }
    }
    fprintf(stderr, "exp01: %d candidates over %d tasks\n", n, ntasks);
    KGRL_CHECK(n >= 1, "no candidates found (run from the repository root)");
    kgrl_err err;
    if (!kgrl_mkdirs("results", &err)) KGRL_FATAL("%s", err.msg);
    {
        kgrl_buf lst;
        memset(&lst, 0, sizeof lst);
        for (int i = 0; i < n; i++) kgrl_buf_printf(&lst, "%s\t%s\n", c[i].task_dir, c[i].file);
        if (!kgrl_write_file_atomic("results/exp01_verifier_candidates.txt", lst.data, lst.len, &err)) KGRL_FATAL("%s", err.msg);
        kgrl_buf_free(&lst);
    }

    // ---- pools: fresh cache dir, so the first pass compiles with NVRTC (cold)
    char cache[256];
    snprintf(cache, sizeof cache, "build/exp01_cache_%d", (int)getpid());   // fresh: the first pass is a cold NVRTC compile
    kgrl_verifier_desc vd;
    memset(&vd, 0, sizeof vd);                           // defaults: 4 workers per GPU, 5 variants
    vd.seed = (uint64_t)seed;
    vd.max_gpus = 1;                                     // "per GPU" figures
    vd.cache_dir = cache;
    vd.logger.min_level = KGRL_LOG_WARN;
    // Equal rigor with the comparator (KernelBench: 5 correctness trials, 100 timed runs): at least
    // 100 timed trials (each times the reference and the candidate), and a budget that lets them
    // finish on the slowest kernels here (~3 ms); correctness is 5 variants x 2 runs already.
    vd.timing.min_trials = 100;
    vd.timing.budget_s = 10.0;

    kgrl_verify_job *jobs = (kgrl_verify_job *)kgrl_calloc((size_t)n, sizeof *jobs);
    for (int i = 0; i < n; i++) { jobs[i].task = &tasks[c[i].task]; jobs[i].completion = c[i].text; }
    kgrl_record *rec = (kgrl_record *)kgrl_calloc((size_t)n, sizeof *rec);
    kgrl_record *rec2 = (kgrl_record *)kgrl_calloc((size_t)n, sizeof *rec2);

    // single-candidate latency, cold: pool start + one candidate + shutdown (what `kgrl eval` costs)
    double t0 = kgrl_now_s();
    kgrl_verifier *v = kgrl_verifier_create(&vd);
    kgrl_verify_batch(v, jobs, 1, rec);
    double lat_cold = kgrl_now_s() - t0;
    bool gpu = kgrl_verifier_ngpus(v) > 0;
    // the batch, cold compile cache (the first candidate's cubin and reference outputs are cached now)
    t0 = kgrl_now_s();
    kgrl_verify_batch(v, jobs, n, rec);
    double wall1 = kgrl_now_s() - t0;
    // the batch again: cubins and reference outputs cached (the steady state of RL, where prompts repeat)
    t0 = kgrl_now_s();
    kgrl_verify_batch(v, jobs, n, rec2);
    double wall2 = kgrl_now_s() - t0;
    // single-candidate latency, warm pool and caches
    t0 = kgrl_now_s();
    kgrl_record one;
    kgrl_verify_batch(v, jobs, 1, &one);
    double lat_warm = kgrl_now_s() - t0;
    kgrl_verifier_destroy(v);

    kgrl_csv *csv = kgrl_csv_open(out, &err);
    if (!csv) KGRL_FATAL("%s", err.msg);
    kgrl_csv_meta(csv, "experiment", "exp01_verifier_bench");
    kgrl_csv_meta(csv, "kgrl_version", "%s", KGRL_VERSION_STRING);
    {
        char sha[64] = "unknown";
        FILE *p = popen("git rev-parse --short HEAD 2>/dev/null", "r");
        if (p) { if (fgets(sha, sizeof sha, p)) sha[strcspn(sha, "\n")] = 0; pclose(p); }
        kgrl_csv_meta(csv, "git_sha", "%s", sha);
    }
    {
        kgrl_ctx_desc cd;
        memset(&cd, 0, sizeof cd);
        kgrl_ctx *ctx = kgrl_ctx_create(&cd);
        kgrl_csv_meta(csv, "device", "%s", ctx->has_gpu ? ctx->device_name : ctx->no_gpu_reason);
        kgrl_ctx_destroy(ctx);
    }
    kgrl_csv_meta(csv, "mode", "%s", gpu ? "full funnel, 1 GPU" : "compile only (no GPU)");
    kgrl_csv_meta(csv, "seed", "%lld", (long long)seed);
    kgrl_csv_meta(csv, "verifier", "workers_per_gpu 4, nvariants 5, timing warmup 3, trials 100..200, se_target 0.005, budget 10 s");
    kgrl_csv_meta(csv, "candidates", "%d over %d tasks", n, ntasks);
    static const char *const cols[] = {"section", "task", "candidate", "stage", "metric", "value"};
    kgrl_csv_header(csv, cols, 6);
#define ROW(sec, task, cand, stage, metric, val) do { kgrl_csv_field_str(csv, sec); kgrl_csv_field_str(csv, task); \
    kgrl_csv_field_str(csv, cand); kgrl_csv_field_str(csv, stage); kgrl_csv_field_str(csv, metric); \
    kgrl_csv_field_num(csv, val); kgrl_csv_end_row(csv); } while (0)

    double *comp = (double *)kgrl_calloc((size_t)n, sizeof(double)), *comp2 = (double *)kgrl_calloc((size_t)n, sizeof(double));
    int ncomp = 0, ncomp2 = 0, nstatus[KGRL_STATUS_COUNT] = {0};
    double stage_sum[KGRL_STAGE_COUNT] = {0};
    int stage_n[KGRL_STAGE_COUNT] = {0};
    for (int i = 0; i < n; i++) {
        const kgrl_record *r = &rec[i];
        const char *tid = tasks[c[i].task].id;
        for (int s = 0; s < KGRL_STAGE_COUNT; s++) {
            if (r->stages[s].outcome == KGRL_OUTCOME_NOT_RUN || r->stages[s].outcome == KGRL_OUTCOME_SKIPPED) continue;
            ROW("candidate", tid, c[i].file, kgrl_stage_name((kgrl_stage)s), "ms_cold", r->stages[s].ms);
            ROW("candidate", tid, c[i].file, kgrl_stage_name((kgrl_stage)s), "ms_cached", rec2[i].stages[s].ms);
            stage_sum[s] += r->stages[s].ms; stage_n[s]++;
        }
        ROW("candidate", tid, c[i].file, kgrl_status_name(r->status), "total_ms", r->total_ms);
        ROW("candidate", tid, c[i].file, kgrl_status_name(r->status), "speedup", r->speedup);
        nstatus[r->status]++;
        // NVRTC cost: compile-stage times of candidates that reached NVRTC (not cache hits)
        if (r->stages[KGRL_STAGE_COMPILE].outcome != KGRL_OUTCOME_NOT_RUN && !(r->flags & KGRL_FLAG_CUBIN_CACHED) && r->status != KGRL_STATUS_TIMEOUT)
            comp[ncomp++] = r->stages[KGRL_STAGE_COMPILE].ms;
        if (rec2[i].stages[KGRL_STAGE_COMPILE].outcome == KGRL_OUTCOME_PASS) comp2[ncomp2++] = rec2[i].stages[KGRL_STAGE_COMPILE].ms;
    }
    for (int s = 0; s < KGRL_STAGE_COUNT; s++)
        if (stage_n[s]) ROW("summary", "", "", kgrl_stage_name((kgrl_stage)s), "mean_ms_per_candidate_reaching", stage_sum[s] / stage_n[s]);
    for (int s = 0; s < KGRL_STATUS_COUNT; s++) if (nstatus[s]) ROW("summary", "", "", kgrl_status_name((kgrl_status)s), "count", nstatus[s]);
    ROW("summary", "", "", "", "candidates", n);
    ROW("summary", "", "", "", "tasks", ntasks);
    ROW("summary", "", "", "", "batch_wall_s_cold", wall1);
    ROW("summary", "", "", "", "batch_wall_s_cached", wall2);
    ROW("summary", "", "", "", "candidates_per_min_cold", 60.0 * n / wall1);
    ROW("summary", "", "", "", "candidates_per_min_cached", 60.0 * n / wall2);
    ROW("summary", "", "", "", "single_latency_s_cold_pool", lat_cold);
    ROW("summary", "", "", "", "single_latency_s_warm_pool", lat_warm);
    ROW("summary", "", "", "compile", "nvrtc_p50_ms", pct(comp, ncomp, 0.5));
    ROW("summary", "", "", "compile", "nvrtc_p90_ms", pct(comp, ncomp, 0.9));
    ROW("summary", "", "", "compile", "cached_p50_ms", pct(comp2, ncomp2, 0.5));
    fprintf(stderr, "exp01: %d candidates: %.1f s cold (%.0f/min), %.1f s cached (%.0f/min); NVRTC p50 %.1f ms p90 %.1f ms; latency %.2f s cold, %.3f s warm\n",
            n, wall1, 60.0 * n / wall1, wall2, 60.0 * n / wall2, pct(comp, ncomp, 0.5), pct(comp, ncomp, 0.9), lat_cold, lat_warm);

    // ---- timing noise: one >= 100 us kernel (tiled 1024x1024x512 matmul), measured `reps` times
    if (gpu) {
        char *mm = kgrl_read_file("tests/adversarial/matmul__ok_tiled.cu", NULL, &err);
        if (!mm) KGRL_FATAL("%s", err.msg);
        kgrl_verify_job *rj = (kgrl_verify_job *)kgrl_calloc((size_t)reps, sizeof *rj);
        kgrl_record *rr = (kgrl_record *)kgrl_calloc((size_t)reps, sizeof *rr);
        for (int i = 0; i < reps; i++) { rj[i].task = &tasks[3]; rj[i].completion = mm; }
        for (int method = 0; method < 2; method++) {
            kgrl_verifier_desc d2 = vd;
            d2.timing.single_shot = method == 0;
            kgrl_verifier *v2 = kgrl_verifier_create(&d2);
            kgrl_verify_batch(v2, rj, (int)reps, rr);
            kgrl_verifier_destroy(v2);
            const char *name = method == 0 ? "single_shot" : "calibrated";
            double sum = 0, ss = 0;
            int m = 0;
            for (int i = 0; i < reps; i++) {
                if (rr[i].status != KGRL_STATUS_OK) { fprintf(stderr, "exp01: timing rep %d: %s\n", i, rr[i].message); continue; }
                ROW("timing_cv", tasks[3].id, "tests/adversarial/matmul__ok_tiled.cu", name, "t_cand_ms", rr[i].t_cand_ms);
                ROW("timing_cv", tasks[3].id, "tests/adversarial/matmul__ok_tiled.cu", name, "trials", rr[i].trials);
                sum += rr[i].t_cand_ms; m++;
            }
            double mean = m ? sum / m : NAN;
            for (int i = 0; i < reps; i++) if (rr[i].status == KGRL_STATUS_OK) ss += (rr[i].t_cand_ms - mean) * (rr[i].t_cand_ms - mean);
            double cv = m > 1 ? sqrt(ss / (m - 1)) / mean : NAN;
            ROW("timing_cv", tasks[3].id, "tests/adversarial/matmul__ok_tiled.cu", name, "cv_across_reps", cv);
            ROW("timing_cv", tasks[3].id, "tests/adversarial/matmul__ok_tiled.cu", name, "mean_ms", mean);
            fprintf(stderr, "exp01: timing %s: mean %.4f ms, CV across %d repetitions %.4f\n", name, mean, m, cv);
        }
        kgrl_free(rj); kgrl_free(rr); kgrl_free(mm);
    }
    if (!kgrl_csv_close(csv, &err)) KGRL_FATAL("%s", err.msg);
    fprintf(stderr, "exp01: wrote %s\n", out);
    for (int i = 0; i < n; i++) kgrl_free(c[i].text);
    for (int i = 0; i < ntasks; i++) kgrl_task_free(&tasks[i]);
    kgrl_free(jobs); kgrl_free(rec); kgrl_free(rec2); kgrl_free(comp); kgrl_free(comp2);
    kgrl_flags_free(&f);
    return 0;
}
