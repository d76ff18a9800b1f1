// exp05_task_baselines — the kit's reference time for every task at its main shape, joined with
// PyTorch eager's time for the same shapes (DESIGN §4: references must be honest baselines, within
// 0.8-1.25x of eager on the same GPU).
//
//   ./build.sh exp05_task_baselines && ./exp05_task_baselines [--level L] [--tasks L1/58,L2/2] [--trials N] [--out FILE]
//
// --tasks times only the listed tasks (ids as `kgrl tasks` prints them), e.g. after changing a few
// references; the summary then covers only those.
//
// Expected time on one H100/H200: ~2-4 minutes (200 tasks, 30 timed runs each after 3 warm-ups).
// Inputs: data/level*/ and, when present, the eager timings the oracles write with --time:
//   tests/fixtures/tasks_l1_001_053/eager_times.json, tests/fixtures/tasks_l1_054_100/eager_times.json,
//   tests/fixtures/tasks_l2/eager_times.json  ({"L2/5": ms} or {"eager_ms": {"L1/19": ms}}; TF32 off,
//   median of 30 after 5 warm-ups, L2 flush before each).
// Output: results/exp05_task_baselines.csv (tidy: task, level, number, name, t_ref_ms, eager_ms,
//   ratio = t_ref_ms / eager_ms) with # metadata lines, and a summary of the ratio distribution.
// Timing: the reference's launch sequence replayed in process (kgrl_task_time_inprocess): an L2
// flush before each run, events around it, the median of --trials runs.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"

static double eager_ms_of(kgrl_json *const *eager, int n, const char *id) {
    for (int i = 0; i < n; i++) {   // {"L2/5": ms} or {"eager_ms": {"L1/19": ms}, ...}
        const kgrl_json *nested = eager[i] ? kgrl_json_get(eager[i], "eager_ms") : NULL;
        const kgrl_json *x = eager[i] ? kgrl_json_get(nested ? nested : eager[i], id) : NULL;
        if (x && x->type == KGRL_JSON_NUMBER) return x->number;
    }
    return NAN;
}

int main(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    int level = (int)kgrl_flag_int(&f, "--level", 0, "only this level (0: both)");
    const char *only = kgrl_flag_str(&f, "--tasks", "", "only these tasks: a comma list of ids (L1/58,L2/2); empty: all");
    int trials = (int)kgrl_flag_int(&f, "--trials", 30, "timed runs per task");
    const char *out = kgrl_flag_str(&f, "--out", "results/exp05_task_baselines.csv", "output CSV");
    if (!kgrl_flags_finish(&f)) { fprintf(stderr, "%s\n", f.err.msg); kgrl_flags_usage(&f, stderr); return 2; }
    kgrl_task_set set;
    kgrl_err err = KGRL_ZERO;
    if (!kgrl_tasks_load_all("data", &set, &err)) { fprintf(stderr, "exp05: %s\n", err.msg); return 1; }
    // --tasks: mark the listed tasks; every listed id must name one
    bool *chosen = (bool *)kgrl_calloc((size_t)set.n + 1, sizeof(bool));
    for (const char *p = only; *p;) {
        char id[32];
        size_t n = strcspn(p, ",");
        snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), p);
        const kgrl_task *t = kgrl_tasks_find(&set, id);
        if (!t) { fprintf(stderr, "exp05: --tasks: no task %s\n", id); return 2; }
        chosen[t - set.tasks] = true;
        p += n + (p[n] == ',');
    }
    kgrl_ctx_desc cd = KGRL_ZERO;
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    if (!ctx->has_gpu) { fprintf(stderr, "exp05: needs a GPU (%s)\n", ctx->no_gpu_reason); return 1; }
    const char *eager_files[3] = {"tests/fixtures/tasks_l1_001_053/eager_times.json",
                                  "tests/fixtures/tasks_l1_054_100/eager_times.json", "tests/fixtures/tasks_l2/eager_times.json"};
    kgrl_json *eager[3];
    for (int i = 0; i < 3; i++) eager[i] = kgrl_json_parse_file(eager_files[i], NULL);
    kgrl_mkdirs("results", NULL);
    kgrl_csv *csv = kgrl_csv_open(out, &err);
    if (!csv) { fprintf(stderr, "exp05: %s\n", err.msg); return 1; }
    kgrl_csv_meta(csv, "experiment", "exp05_task_baselines");
    kgrl_csv_meta(csv, "kgrl_version", "%s", KGRL_VERSION_STRING);
    kgrl_csv_meta(csv, "device", "%s (%s)", ctx->device_name, ctx->arch);
    if (*only) kgrl_csv_meta(csv, "tasks", "%s", only);
    kgrl_csv_meta(csv, "timing", "median of %d runs after 3 warm-ups, L2 flush before each, events on the kit stream", trials);
    const char *cols[] = {"task", "level", "number", "name", "t_ref_ms", "eager_ms", "ratio"};
    kgrl_csv_header(csv, cols, 7);
    double ratios[256];
    int nratio = 0, nin = 0, failed = 0;
    for (int i = 0; i < set.n; i++) {
        const kgrl_task *t = &set.tasks[i];
        if ((level && t->level != level) || t->excluded || (*only && !chosen[i])) continue;
        kgrl_variant v[KGRL_MAX_VARIANTS];
        kgrl_task_variants(t, 1234, 1, v);   // variant 0: the main shape
        double ms = NAN;
        if (!kgrl_task_time_inprocess(ctx, t, &v[0], t->reference_src, true, trials, &ms, &err)) {
            fprintf(stderr, "%s: %s\n", t->id, err.msg);
            failed++;
        }
        double eg = eager_ms_of(eager, 3, t->id), ratio = ms / eg;
        kgrl_csv_field_str(csv, t->id); kgrl_csv_field_int(csv, t->level); kgrl_csv_field_int(csv, t->number);
        kgrl_csv_field_str(csv, t->name); kgrl_csv_field_num(csv, ms); kgrl_csv_field_num(csv, eg); kgrl_csv_field_num(csv, ratio);
        kgrl_csv_end_row(csv);
        printf("%-7s %-50.50s ref %9.4f ms  eager %9.4f ms  ratio %6.3f%s\n", t->id, t->name, ms, eg, ratio,
               isfinite(ratio) && (ratio < 0.8 || ratio > 1.25) ? "  OUTSIDE 0.8-1.25" : "");
        fflush(stdout);
        if (isfinite(ratio) && nratio < 256) { ratios[nratio++] = ratio; nin += ratio >= 0.8 && ratio <= 1.25; }
    }
    kgrl_tstats st;
    kgrl_tstats_compute(ratios, nratio, &st);
    printf("ratio t_ref/eager over %d tasks: median %.3f, min %.3f, max %.3f; %d within 0.8-1.25; %d references failed\n",
           nratio, st.median, st.min, st.max, nin, failed);
    if (!kgrl_csv_close(csv, &err)) { fprintf(stderr, "exp05: %s\n", err.msg); return 1; }
    for (int i = 0; i < 3; i++) kgrl_json_free(eager[i]);
    kgrl_free(chosen);
    kgrl_tasks_free(&set);
    kgrl_ctx_destroy(ctx);
    kgrl_flags_free(&f);
    return 0;
}
