// kgrl eval — verify candidate kernels for one task: the staged funnel of DESIGN §3 (format/static,
// compile, smoke, correctness, timing) in verifier worker processes, then the reward.
//
//   kgrl eval --task L1/19 [--json] [--seed S] [--variants N] [--reward PRESET] [--arch sm_XX]
//             [--tasks-root DIR] [--compile-only] [--no-timing] FILE...
//   kgrl eval --suite [--level L] [--first N] [--last N] [--out FILE.jsonl] [same options]
//
// --suite verifies every task's solution_*.cu (each must be ok) and wrong_*.cu (each must get the
// status its task.json names) in one batch, prints one line per file and a summary per level, and
// exits 1 when any verdict differs from the expectation (the task suite's acceptance check).
//
// One JSON record per file with --json (one line each), a table otherwise. Without a GPU the
// candidates are compiled for --arch (default: the build's KGRL_DEFAULT_ARCH) and stages smoke,
// correctness and timing are reported as skipped. --task also accepts a task directory.
// Tasks are looked up under data/ and tests/vtasks/ (the verifier's own small tasks), or under
// --tasks-root. Exit status: 0 when every file was verified (whatever the verdicts), 1 when a file
// could not be read, 2 on bad usage.
static bool kgrl__eval_find_task(const char *id, const char *root_flag, kgrl_task *out, kgrl_err *err) {
    char tj[1100];
    snprintf(tj, sizeof tj, "%s/task.json", id);
    if (kgrl_file_exists(tj)) return kgrl_task_load(id, out, err);   // a task directory
    const char *roots[2] = {root_flag, NULL};
    int nroots = 1;
    if (!root_flag || !root_flag[0]) { roots[0] = "data"; roots[1] = "tests/vtasks"; nroots = 2; }
    for (int i = 0; i < nroots; i++) {
        char dir[1400];
        if (kgrl_task_dir_of(roots[i], id, dir, sizeof dir)) return kgrl_task_load(dir, out, err);
    }
    kgrl_err_set(err, "no task \"%s\" under %s (ids look like L1/19; `kgrl tasks` lists them)", id,
                 nroots == 1 ? roots[0] : "data/ or tests/vtasks/");
    return false;
}

static void kgrl__eval_table(const char *const *files, const kgrl_record *r, int n) {
    printf("%-36s %-17s %-11s %9s %9s %8s %8s %8s  %s\n", "file", "status", "stage", "t_ref_ms", "t_cand_ms", "speedup",
           "vs_torch", "reward", "message");
    for (int i = 0; i < n; i++) {
        const char *f = files[i];
        size_t len = strlen(f);
        if (len > 36) f += len - 36;
        char msg[121];                               // one line: NVRTC logs span several
        snprintf(msg, sizeof msg, "%s", r[i].message);
        for (char *c = msg; *c; c++) if (*c == '\n' || *c == '\r' || *c == '\t') *c = ' ';
        printf("%-36s %-17s %-11s %9.4g %9.4g %8.3g %8.3g %8.3g  %s\n", f, kgrl_status_name(r[i].status),
               kgrl_stage_name(r[i].stage), r[i].t_ref_ms, r[i].t_cand_ms, r[i].speedup, r[i].speedup_vs_torch, r[i].reward, msg);
    }
}

// Does status `got` match an expectation like "wrong_output" or "wrong_output|nondeterministic"?
static bool kgrl__eval_expect_match(const char *expect, const char *got) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", expect);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
        if (!strcmp(tok, got)) return true;
    return false;
}

typedef struct kgrl__suite_item { const kgrl_task *task; char file[1400]; char expect[64]; bool is_solution; } kgrl__suite_item;

static int kgrl__eval_suite(kgrl_verifier_desc *vd, const char *root, int level, int first, int last, const char *match,
                            const char *out_path) {
    kgrl_task_set set;
    kgrl_err err = KGRL_ZERO;
    if (!kgrl_tasks_load_all(root, &set, &err)) { fprintf(stderr, "kgrl eval --suite: %s\n", err.msg); return 2; }
    int cap = 0, n = 0;
    for (int i = 0; i < set.n; i++) cap += set.tasks[i].nsolutions + set.tasks[i].nwrong;
    kgrl__suite_item *items = (kgrl__suite_item *)kgrl_calloc((size_t)(cap ? cap : 1), sizeof *items);
    for (int i = 0; i < set.n; i++) {
        const kgrl_task *t = &set.tasks[i];
        if ((level && t->level != level) || t->number < first || t->number > last || t->excluded) continue;
        for (int k = 0; k < t->nsolutions + t->nwrong; k++) {
            kgrl__suite_item *it = &items[n++];
            it->task = t;
            it->is_solution = k < t->nsolutions;
            snprintf(it->file, sizeof it->file, "%s/%s", t->dir, it->is_solution ? t->solution_files[k] : t->wrong_files[k - t->nsolutions]);
            snprintf(it->expect, sizeof it->expect, "%s", it->is_solution ? "ok" : t->wrong_expect[k - t->nsolutions]);
            if (match[0] && !strstr(strrchr(it->file, '/') + 1, match)) n--;
        }
    }
    kgrl_verify_job *jobs = (kgrl_verify_job *)kgrl_calloc((size_t)(n ? n : 1), sizeof *jobs);
    char **texts = (char **)kgrl_calloc((size_t)(n ? n : 1), sizeof(char *));
    for (int i = 0; i < n; i++) {
        texts[i] = kgrl_read_file(items[i].file, NULL, &err);
        if (!texts[i]) { fprintf(stderr, "kgrl eval --suite: %s\n", err.msg); texts[i] = kgrl_strdup(""); }
        jobs[i].task = items[i].task;
        jobs[i].completion = texts[i];
    }
    fprintf(stderr, "kgrl eval --suite: %d files of %d tasks\n", n, set.n);
    double t0 = kgrl_now_s();
    kgrl_verifier *v = kgrl_verifier_create(vd);
    kgrl_record *recs = (kgrl_record *)kgrl_calloc((size_t)(n ? n : 1), sizeof *recs);
    FILE *out = out_path && out_path[0] ? fopen(out_path, "w") : NULL;
    int files[3] = {0}, matched[3] = {0}, sols[3] = {0}, sols_ok[3] = {0}, wrongs[3] = {0}, wrongs_ok[3] = {0};
    // in chunks, so that results stream out (and survive an interrupted run); a chunk is still
    // verified in parallel over every worker
    const int chunk = 64;
    for (int c0 = 0; c0 < n; c0 += chunk) {
    int c1 = c0 + chunk < n ? c0 + chunk : n;
    kgrl_verify_batch(v, jobs + c0, c1 - c0, recs + c0);
    for (int i = c0; i < c1; i++) {
        const char *got = kgrl_status_name(recs[i].status);
        bool ok = kgrl__eval_expect_match(items[i].expect, got);
        int L = items[i].task->level >= 1 && items[i].task->level <= 2 ? items[i].task->level : 0;
        files[L]++; matched[L] += ok;
        if (items[i].is_solution) { sols[L]++; sols_ok[L] += ok; } else { wrongs[L]++; wrongs_ok[L] += ok; }
        char msg[161];
        snprintf(msg, sizeof msg, "%s", recs[i].message);
        for (char *c = msg; *c; c++) if (*c == '\n' || *c == '\r' || *c == '\t') *c = ' ';
        const kgrl_stage_record *sg = recs[i].stages;
        printf("%-8s %-7s %-40s expect %-16s got %-16s t_ref %8.4g ms speedup %7.3g vs_torch %7.3g | ms: format %.0f compile %.0f smoke %.0f "
               "correct %.0f timing %.0f total %.0f  %s\n", ok ? "ok" : "MISMATCH",
               items[i].task->id, strrchr(items[i].file, '/') + 1, items[i].expect, got, recs[i].t_ref_ms, recs[i].speedup,
               recs[i].speedup_vs_torch, sg[KGRL_STAGE_FORMAT].ms, sg[KGRL_STAGE_COMPILE].ms, sg[KGRL_STAGE_SMOKE].ms, sg[KGRL_STAGE_CORRECTNESS].ms,
               sg[KGRL_STAGE_TIMING].ms, recs[i].total_ms, ok ? "" : msg);
        if (out) {
            kgrl_buf b = KGRL_ZERO;
            kgrl_record_to_json(&recs[i], &b);
            fprintf(out, "{\"file\":\"%s\",\"expect\":\"%s\",\"record\":%s}\n", items[i].file, items[i].expect, b.data);
            kgrl_buf_free(&b);
        }
    }
    fflush(stdout);
    if (out) fflush(out);
    }
    double wall = kgrl_now_s() - t0;
    kgrl_verifier_destroy(v);
    if (out) fclose(out);
    int total = 0, total_ok = 0;
    for (int L = 0; L < 3; L++) {
        if (!files[L]) continue;
        printf("level %d: %d files, %d as expected; solutions ok %d/%d; wrong variants with the expected status %d/%d\n", L,
               files[L], matched[L], sols_ok[L], sols[L], wrongs_ok[L], wrongs[L]);
        total += files[L]; total_ok += matched[L];
    }
    printf("suite: %d/%d verdicts as expected in %.1f s (%.0f candidates/min)\n", total_ok, total, wall, n ? 60.0 * n / wall : 0.0);
    for (int i = 0; i < n; i++) kgrl_free(texts[i]);
    kgrl_free(texts); kgrl_free(jobs); kgrl_free(recs); kgrl_free(items);
    kgrl_tasks_free(&set);
    return total_ok == total ? 0 : 1;
}

int kgrl_cmd_eval(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    const char *task_id = kgrl_flag_str(&f, "--task", "", "task id (L1/19) or task directory");
    bool json = kgrl_flag_bool(&f, "--json", "print one JSON record per file");
    int64_t seed = kgrl_flag_int(&f, "--seed", 1234, "verifier input seed");
    int64_t nvariants = kgrl_flag_int(&f, "--variants", 5, "input variants for correctness (DESIGN §3.3)");
    const char *reward = kgrl_flag_str(&f, "--reward", "composite", "reward preset: " KGRL_REWARD_PRESETS);
    const char *arch = kgrl_flag_str(&f, "--arch", "", "NVRTC target (sm_90); without a GPU: compile only");
    const char *root = kgrl_flag_str(&f, "--tasks-root", "", "where tasks live (default data/ and tests/vtasks/)");
    bool compile_only = kgrl_flag_bool(&f, "--compile-only", "stop after stage 2 (compile) even with a GPU");
    bool no_timing = kgrl_flag_bool(&f, "--no-timing", "stop after stage 4 (correctness)");
    int64_t workers = kgrl_flag_int(&f, "--workers-per-gpu", 0, "verifier workers per GPU (0: default 4)");
    double run_timeout = kgrl_flag_num(&f, "--run-timeout", 0, "seconds one forward run may take before it is a timeout (0: default 1)");
    double timing_budget = kgrl_flag_num(&f, "--timing-budget", 0, "wall seconds for the timing stage of one candidate (0: default 2)");
    bool suite = kgrl_flag_bool(&f, "--suite", "verify every task's solutions and wrong variants against their expectations");
    int64_t level = kgrl_flag_int(&f, "--level", 0, "with --suite: only this level (0: all)");
    int64_t first = kgrl_flag_int(&f, "--first", 1, "with --suite: first task number");
    int64_t last = kgrl_flag_int(&f, "--last", 1000, "with --suite: last task number");
    const char *out_path = kgrl_flag_str(&f, "--out", "", "with --suite: write the records as JSON lines here");
    const char *match = kgrl_flag_str(&f, "--match", "", "with --suite: only files whose name contains this (solution_fast, wrong_)");
    bool help = kgrl_flag_bool(&f, "--help", "show this help");
    kgrl_reward_preset preset = KGRL_REWARD_COMPOSITE;
    bool bad = !kgrl_flags_finish(&f);
    if (!bad && !help && !suite && !task_id[0]) { kgrl_err_set(&f.err, "--task (or --suite) is required"); bad = true; }
    if (!bad && !help && !suite && f.npositional == 0) { kgrl_err_set(&f.err, "no candidate files given"); bad = true; }
    if (!bad && !help && !kgrl_reward_preset_from_name(reward, &preset)) {
        kgrl_err_set(&f.err, "--reward %s is not one of %s", reward, KGRL_REWARD_PRESETS);
        bad = true;
    }
    if (!bad && !help && (nvariants < 1 || nvariants > KGRL_MAX_VARIANTS)) {
        kgrl_err_set(&f.err, "--variants must be in 1..%d", KGRL_MAX_VARIANTS);
        bad = true;
    }
    if (help || bad) {
        if (bad) fprintf(stderr, "kgrl eval: %s\n", f.err.msg);
        fprintf(stderr, "usage: kgrl eval --task ID [options] FILE...\n");
        kgrl_flags_usage(&f, stderr);
        kgrl_flags_free(&f);
        return help ? 0 : 2;
    }
    kgrl_reward_desc rd;
    memset(&rd, 0, sizeof rd);
    rd.preset = preset;
    kgrl_verifier_desc vd;
    memset(&vd, 0, sizeof vd);
    vd.seed = (uint64_t)seed;
    vd.nvariants = (int)nvariants;
    vd.arch = arch;
    vd.compile_only = compile_only;
    vd.workers_per_gpu = (int)workers;
    vd.reward = &rd;
    vd.logger.min_level = KGRL_LOG_WARN;
    if (no_timing) vd.timing.max_trials = -1;
    vd.timing.budget_s = timing_budget;
    vd.run_timeout_s = run_timeout;
    if (suite) {
        int src = kgrl__eval_suite(&vd, root[0] ? root : "data", (int)level, (int)first, (int)last, match, out_path);
        kgrl_flags_free(&f);
        return src;
    }
    kgrl_task task;
    kgrl_err err = KGRL_ZERO;
    if (!kgrl__eval_find_task(task_id, root, &task, &err)) {
        fprintf(stderr, "kgrl eval: %s\n", err.msg);
        kgrl_flags_free(&f);
        return 2;
    }
    int n = f.npositional;
    kgrl_verify_job *jobs = (kgrl_verify_job *)kgrl_calloc((size_t)n, sizeof *jobs);
    char **texts = (char **)kgrl_calloc((size_t)n, sizeof(char *));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        texts[i] = kgrl_read_file(f.positional[i], NULL, &err);
        if (!texts[i]) { fprintf(stderr, "kgrl eval: %s\n", err.msg); rc = 1; texts[i] = kgrl_strdup(""); }
        jobs[i].task = &task;
        jobs[i].completion = texts[i];
    }
    kgrl_verifier *v = kgrl_verifier_create(&vd);
    kgrl_record *recs = (kgrl_record *)kgrl_calloc((size_t)n, sizeof *recs);
    kgrl_verify_batch(v, jobs, n, recs);
    if (json) {
        for (int i = 0; i < n; i++) {
            kgrl_buf b = KGRL_ZERO;
            kgrl_record_to_json(&recs[i], &b);
            printf("%s\n", b.data);
            kgrl_buf_free(&b);
        }
    } else {
        kgrl__eval_table((const char *const *)f.positional, recs, n);
    }
    fflush(stdout);
    kgrl_verifier_destroy(v);
    for (int i = 0; i < n; i++) kgrl_free(texts[i]);
    kgrl_free(texts); kgrl_free(jobs); kgrl_free(recs);
    kgrl_task_free(&task);
    kgrl_flags_free(&f);
    return rc;
}
