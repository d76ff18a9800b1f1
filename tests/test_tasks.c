// test_tasks.c — the task suite and its machinery (src/22_tasks.h), CPU only except the last case.
//
// Loads every task under data/ (both levels) and checks it for consistency: signature against
// params, every shape at main/smoke/each variant's sizes, costs, tolerance, the files it names, the
// expected statuses; parses every .cu with the candidate parser and compiles its device code with
// NVRTC for sm_90 (no GPU needed; cubins cached under build/nvrtc-cache). Then the size-expression
// evaluator's edge cases, loader errors, CPU input fill (determinism, every dist and post),
// variants, prompts, splits, the sampler; and with a GPU, GPU fill == CPU fill for every dist.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

static kgrl_task_set g_set; // loaded once by test_load_all, used by the later cases

// ---- a synthetic task, built in memory --------------------------------------------------------
static int syn_param(kgrl_task *t, const char *name, kgrl_param_kind kind) {
    kgrl_task_param *q = &t->params[t->nparams];
    memset(q, 0, sizeof *q);
    snprintf(q->name, sizeof q->name, "%s", name);
    q->kind = kind;
    q->min = 1; q->multiple_of = 1;
    return t->nparams++;
}
static int syn_size(kgrl_task *t, const char *name, int64_t value, int64_t smoke, bool is_free) {
    int i = syn_param(t, name, KGRL_PARAM_SIZE);
    t->params[i].value = value; t->params[i].smoke = smoke; t->params[i].free = is_free;
    snprintf(t->params[i].ctype, sizeof t->params[i].ctype, "int");
    return i;
}
static int syn_input(kgrl_task *t, const char *name, kgrl_elem e, const char *d0, const char *d1, const char *dist) {
    int i = syn_param(t, name, KGRL_PARAM_INPUT);
    kgrl_task_param *q = &t->params[i];
    q->elem = e;
    q->ndim = 2;
    snprintf(q->shape[0], sizeof q->shape[0], "%s", d0);
    snprintf(q->shape[1], sizeof q->shape[1], "%s", d1);
    snprintf(q->dist, sizeof q->dist, "%s", dist);
    return i;
}
static void syn_init(kgrl_task *t, const char *id) {
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    t->atol = t->rtol = 1e-4;
}

// ---- expressions ----------------------------------------------------------------------------
static void test_expr(void) {
    kgrl_task t;
    syn_init(&t, "L0/1");
    int H = syn_size(&t, "H", 224, 7, true);
    int K = syn_size(&t, "K", 11, 11, false);
    syn_size(&t, "zero", 0, 0, false);
    kgrl_sizes s = kgrl_task_main_sizes(&t);
    (void)H; (void)K;
    struct { const char *e; int64_t want; } ok[] = {
        {"1", 1}, {"H", 224}, {"H+2*2-K", 217}, {"(H+2*2-K)/4+1", 55}, {"  ( H ) ", 224},
        {"-3/2", -1}, {"7%3", 1}, {"-7%3", -1}, {"2*(3+4)*5", 70}, {"H-K-K", 202}, {"--4", 4}, {"+5", 5},
        {"9223372036854775807", INT64_MAX}, {"H*H*H*H", 224LL * 224 * 224 * 224},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = 0;
        kgrl_err err = {{0}};
        bool good = kgrl_task_eval_expr(&t, &s, ok[i].e, &v, &err);
        KT_CHECK(good && v == ok[i].want, "\"%s\" = %lld (want %lld) %s", ok[i].e, (long long)v, (long long)ok[i].want, good ? "" : err.msg);
    }
    struct { const char *e; const char *msg; } bad[] = {
        {"H/zero", "division by zero"}, {"H%zero", "modulo by zero"}, {"W+1", "unknown name \"W\""},
        {"(H+1", "expected ')'"}, {"H+", "unexpected end"}, {"H 2", "unexpected character"}, {"", "unexpected end"},
        {"9223372036854775807*2", "overflow"}, {"99999999999999999999", "too large"}, {"H$", "unexpected character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 0;
        kgrl_err err = {{0}};
        bool good = kgrl_task_eval_expr(&t, &s, bad[i].e, &v, &err);
        KT_CHECK(!good && strstr(err.msg, bad[i].msg) && strstr(err.msg, bad[i].e), "\"%s\" should fail with \"%s\", got %s \"%s\"", bad[i].e, bad[i].msg, good ? "success" : "error", err.msg);
    }
}

// ---- loader errors --------------------------------------------------------------------------
static const char *k_good_json =
    "{\"id\": \"L9/1\", \"level\": 9, \"number\": 1, \"name\": \"Copy\", \"description\": \"out = x\",\n"
    " \"signature\": \"void forward(const float* x, float* out, int n)\",\n"
    " \"params\": [{\"name\": \"x\", \"kind\": \"input\", \"dtype\": \"f32\", \"shape\": [\"n\"], \"dist\": \"rand\"},\n"
    "            {\"name\": \"out\", \"kind\": \"output\", \"dtype\": \"f32\", \"shape\": [\"n\"]},\n"
    "            {\"name\": \"n\", \"kind\": \"size\", \"value\": 1000, \"smoke\": 5, \"free\": true}],\n"
    " \"tolerance\": {\"atol\": 1e-4, \"rtol\": 1e-4}, \"min_bytes\": \"8*n\", \"flops\": \"0\", \"excluded\": null,\n"
    " \"solutions\": [], \"wrong\": []}\n";

static bool write_task(const char *dir, const char *json) {
    kgrl_err err;
    if (!kgrl_mkdirs(dir, &err)) return false;
    char p[512];
    snprintf(p, sizeof p, "%s/task.json", dir);
    FILE *f = fopen(p, "wb");
    if (!f) return false;
    fputs(json, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/reference.cu", dir);
    f = fopen(p, "wb");
    if (!f) return false;
    fputs("__global__ void k(const float* x, float* o, int n) { int i = threadIdx.x; if (i < n) o[i] = x[i]; }\n"
          "void forward(const float* x, float* out, int n) { k<<<1, 32>>>(x, out, n); }\n", f);
    fclose(f);
    return true;
}

// Replace the first occurrence of `from` in k_good_json by `to`.
static char *mutate(const char *from, const char *to) {
    const char *at = strstr(k_good_json, from);
    if (!at) return NULL;
    kgrl_buf b = KGRL_ZERO;
    kgrl_buf_append(&b, k_good_json, (size_t)(at - k_good_json));
    kgrl_buf_puts(&b, to);
    kgrl_buf_puts(&b, at + strlen(from));
    return b.data;
}

static void test_load_errors(void) {
    const char *dir = "build/tests/task_errors/level9/001_Copy";
    KT_CHECK(write_task(dir, k_good_json), "cannot write %s", dir);
    kgrl_task t;
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_task_load(dir, &t, &err), "the good task must load: %s", err.msg);
    if (!err.msg[0]) {
        KT_CHECK(t.nparams == 3 && t.params[2].value == 1000 && t.params[2].smoke == 5 && t.params[2].free, "params parsed");
        KT_CHECK(!strcmp(t.params[0].ctype, "const float*") && !strcmp(t.params[2].ctype, "int"), "ctypes %s %s", t.params[0].ctype, t.params[2].ctype);
        kgrl_sizes s = kgrl_task_main_sizes(&t);
        KT_CHECK(kgrl_task_min_bytes(&t, &s) == 8000.0, "min_bytes");
        KT_CHECK(kgrl_task_numel(&t, &s, 0) == 1000, "numel");
        kgrl_task_free(&t);
    }
    struct { const char *from, *to, *want; } cases[] = {
        {"\"name\": \"Copy\", ", "", "missing field \"name\""},
        {"int n)", "long long* n)", "parameter \"n\" has type"},
        {"float* out, int n", "float* out, int m", "signature parameter 3 is \"m\""},
        {"\"shape\": [\"n\"], \"dist\"", "\"shape\": [\"n+q\"], \"dist\"", "unknown name \"q\""},
        {"\"dist\": \"rand\"", "\"dist\": \"gauss\"", "unknown dist \"gauss\""},
        {"\"dist\": \"rand\"", "\"dist\": \"rand\", \"post\": [\"softmax\", \"abs\"]", "\"softmax\" must come last"},
        {"\"kind\": \"output\"", "\"kind\": \"outptu\"", "kind \"outptu\""},
        {"\"id\": \"L9/1\"", "\"id\": \"L9/2\"", "does not match level 9 and number 1"},
        {"\"rtol\": 1e-4}", "\"rtol\": 1e-2}", "needs a \"reason\""},
        {"\"min_bytes\": \"8*n\"", "\"min_bytes\": \"8*n/0\"", "division by zero"},
        {"\"smoke\": 5", "\"smoke\": 0", "must be >= min"},
        {"\"level\": 9,", "\"level\": 9,,", "task.json:1:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *j = mutate(cases[i].from, cases[i].to);
        KT_CHECK(j, "case %zu: pattern not found", i);
        if (!j) continue;
        write_task(dir, j);
        memset(&err, 0, sizeof err);
        bool ok = kgrl_task_load(dir, &t, &err);
        KT_CHECK(!ok && strstr(err.msg, cases[i].want) && strstr(err.msg, "task.json"),
                 "case %zu should fail with \"%s\" naming the file; got %s: %s", i, cases[i].want, ok ? "loaded" : "error", err.msg);
        if (ok) kgrl_task_free(&t);
        kgrl_free(j);
    }
    write_task(dir, k_good_json); // leave the good one behind
}

// ---- the suite ------------------------------------------------------------------------------
static double input_bytes(const kgrl_task *t, const kgrl_sizes *s) {
    double b = 0;
    for (int p = 0; p < t->nparams; p++)
        if (t->params[p].kind == KGRL_PARAM_INPUT) b += (double)kgrl_task_numel(t, s, p) * (t->params[p].elem == KGRL_ELEM_I64 ? 8 : 4);
    return b;
}

static bool shapes_ok(const kgrl_task *t, const kgrl_sizes *s, const char *which) {
    bool ok = true;
    for (int p = 0; p < t->nparams; p++) {
        const kgrl_task_param *q = &t->params[p];
        if (q->kind != KGRL_PARAM_INPUT && q->kind != KGRL_PARAM_OUTPUT) continue;
        for (int d = 0; d < q->ndim; d++) {
            int64_t v = 0;
            kgrl_err err = {{0}};
            bool good = kgrl_task_eval_expr(t, s, q->shape[d], &v, &err);
            KT_CHECK(good && v > 0, "%s: %s shape[%d] \"%s\" at %s sizes: %s%lld", t->id, q->name, d, q->shape[d], which, good ? "" : err.msg, (long long)v);
            if (!good || v <= 0) ok = false;
        }
    }
    int64_t v;
    kgrl_err err;
    KT_CHECK(kgrl_task_eval_expr(t, s, t->min_bytes, &v, &err) && v > 0, "%s: min_bytes at %s sizes", t->id, which);
    KT_CHECK(kgrl_task_eval_expr(t, s, t->flops, &v, &err) && v >= 0, "%s: flops at %s sizes", t->id, which);
    return ok;
}

static void test_load_all(void) {
    kgrl_err err = {{0}};
    bool ok = kgrl_tasks_load_all("data", &g_set, &err);
    KT_CHECK(ok, "loading data/: %s", err.msg);
    if (!ok) {
        // name every task that does not load, not just the first
        for (int level = 1; level <= 2; level++) {
            char ld[64];
            snprintf(ld, sizeof ld, "data/level%d", level);
            DIR *d = opendir(ld);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.') continue;
                char td[600];
                kgrl_task t;
                snprintf(td, sizeof td, "%s/%s", ld, e->d_name);
                if (kgrl_task_load(td, &t, &err)) kgrl_task_free(&t);
                else KT_CHECK(0, "%s", err.msg);
            }
            if (d) closedir(d);
        }
        return;
    }
    int n1 = 0, n2 = 0, nexcl = 0;
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *t = &g_set.tasks[i];
        if (t->level == 1) n1++; else n2++;
        if (t->excluded) nexcl++;
        kgrl_sizes main_s = kgrl_task_main_sizes(t), smoke_s = kgrl_task_smoke_sizes(t);
        shapes_ok(t, &main_s, "main");
        shapes_ok(t, &smoke_s, "smoke");
        double ib = input_bytes(t, &main_s);
        KT_CHECK(ib <= 2.2e9, "%s: %.2f GB of input at main sizes (cap 2.2)", t->id, ib / 1e9);
        KT_CHECK(t->atol >= 0 && t->rtol >= 0 && t->atol <= 1 && t->rtol <= 1, "%s: tolerance %g/%g", t->id, t->atol, t->rtol);
        KT_CHECK(t->description && strlen(t->description) > 10, "%s: description", t->id);
        int nout = 0;
        for (int p = 0; p < t->nparams; p++) nout += t->params[p].kind == KGRL_PARAM_OUTPUT;
        KT_CHECK(nout >= 1, "%s: no output", t->id);
        // every variant's sizes
        kgrl_variant v[KGRL_MAX_VARIANTS];
        int nv = kgrl_task_variants(t, 1234, 5, v);
        KT_CHECK(nv == 5, "%s: %d variants", t->id, nv);
        for (int k = 0; k < nv; k++) {
            if (!shapes_ok(t, &v[k].sizes, v[k].name)) continue;
            for (int p = 0; p < t->nparams; p++) {
                const kgrl_task_param *q = &t->params[p];
                if (q->kind != KGRL_PARAM_SIZE) continue;
                int64_t s = v[k].sizes.v[p];
                KT_CHECK(s >= q->min && s % q->multiple_of == 0, "%s: variant %s size %s = %lld", t->id, v[k].name, q->name, (long long)s);
                if (k == 3 && q->free && q->multiple_of % 32 != 0)
                    KT_CHECK(s % 32 != 0 && (s != q->value || s % 2 == 1), "%s: odd variant left %s = %lld", t->id, q->name, (long long)s);
            }
        }
        // named files
        char path[1024];
        for (int s = 0; s < t->nsolutions; s++) {
            snprintf(path, sizeof path, "%s/%s", t->dir, t->solution_files[s]);
            KT_CHECK(kgrl_file_exists(path), "%s: solution %s missing", t->id, path);
        }
        for (int w = 0; w < t->nwrong; w++) {
            snprintf(path, sizeof path, "%s/%s", t->dir, t->wrong_files[w]);
            KT_CHECK(kgrl_file_exists(path), "%s: wrong variant %s missing", t->id, path);
            char alts[32];                           // "wrong_output|runtime_fault": each a failing status
            snprintf(alts, sizeof alts, "%s", t->wrong_expect[w]);
            for (char *sv = NULL, *tok = strtok_r(alts, "|", &sv); tok; tok = strtok_r(NULL, "|", &sv)) {
                kgrl_status st;
                KT_CHECK(kgrl_status_from_name(tok, &st) && st != KGRL_STATUS_OK, "%s: %s expects \"%s\", not a failing status", t->id, t->wrong_files[w], tok);
            }
        }
        snprintf(path, sizeof path, "%s/cpu_reference.c", t->dir);
        KT_CHECK(kgrl_file_exists(path), "%s: cpu_reference.c missing", t->id);
    }
    printf("# %d tasks: %d level 1, %d level 2, %d excluded\n", g_set.n, n1, n2, nexcl);
    KT_CHECK(g_set.n > 0, "no tasks under data/");
    KT_CHECK(kgrl_tasks_find(&g_set, g_set.tasks[0].id) == &g_set.tasks[0], "find by id");
    char id3[32];
    snprintf(id3, sizeof id3, "L%d/%03d", g_set.tasks[0].level, g_set.tasks[0].number);
    KT_CHECK(kgrl_tasks_find(&g_set, id3) == &g_set.tasks[0], "find by zero-padded id %s", id3);
    KT_CHECK(!kgrl_tasks_find(&g_set, "L7/999") && !kgrl_tasks_find(&g_set, "nonsense"), "unknown ids");
}

// The launcher's arguments for a task at some sizes: tensors are symbolic buffers (param index).
static void launcher_args(const kgrl_task *t, const kgrl_sizes *s, kgrl_value *args) {
    for (int p = 0; p < t->nparams; p++) {
        const kgrl_task_param *q = &t->params[p];
        kgrl_value *a = &args[p];
        memset(a, 0, sizeof *a);
        if (q->kind == KGRL_PARAM_INPUT || q->kind == KGRL_PARAM_OUTPUT) { a->type = KGRL_VT_PTR; a->buf = p; a->offset = 0; }
        else if (q->kind == KGRL_PARAM_SIZE) { a->type = !strcmp(q->ctype, "int") ? KGRL_VT_INT : KGRL_VT_LONG; a->i = s->v[p]; }
        else if (!strcmp(q->ctype, "float")) { a->type = KGRL_VT_FLOAT; a->d = (float)q->scalar; }
        else if (!strcmp(q->ctype, "double")) { a->type = KGRL_VT_DOUBLE; a->d = q->scalar; }
        else { a->type = !strcmp(q->ctype, "int") ? KGRL_VT_INT : KGRL_VT_LONG; a->i = (int64_t)q->scalar; }
    }
}

// Every .cu of every task parses (references with builtins) and its device code compiles for sm_90.
static void test_sources(void) {
    if (!g_set.n) { kt_skip("no tasks loaded"); return; }
    int nfiles = 0, ncompiled = 0, nhits = 0, nrecorded = 0;
    double t0 = kgrl_now_s();
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *t = &g_set.tasks[i];
        const char *files[1 + 8 + 16];
        int nf = 0;
        files[nf++] = "reference.cu";
        for (int s = 0; s < t->nsolutions; s++) files[nf++] = t->solution_files[s];
        for (int w = 0; w < t->nwrong; w++) files[nf++] = t->wrong_files[w];
        for (int f = 0; f < nf; f++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", t->dir, files[f]);
            kgrl_err err = {{0}};
            char *src = kgrl_read_file(path, NULL, &err);
            KT_CHECK(src, "%s", err.msg);
            if (!src) continue;
            nfiles++;
            kgrl_candidate c;
            kgrl_candidate_parse(src, t->signature, f == 0, &c);
            // a wrong variant may be meant to fail at the static stage
            bool expect_static = false;
            for (int w = 0; w < t->nwrong; w++)
                if (!strcmp(files[f], t->wrong_files[w]) && (!strcmp(t->wrong_expect[w], "static_reject") || !strcmp(t->wrong_expect[w], "format_error"))) expect_static = true;
            if (expect_static) {
                KT_CHECK(c.status != KGRL_STATUS_OK, "%s: expected a static failure but it parsed", path);
            } else {
                KT_CHECK(c.status == KGRL_STATUS_OK, "%s: parse: %s: %s", path, kgrl_status_name(c.status), c.message);
            }
            if (c.status == KGRL_STATUS_OK) {
                // the launcher interprets at main, odd and smoke sizes (grid limits, arg types, ...)
                bool expect_launch_error = false;
                for (int w = 0; w < t->nwrong; w++)
                    if (!strcmp(files[f], t->wrong_files[w]) && !strcmp(t->wrong_expect[w], "launch_error")) expect_launch_error = true;
                kgrl_variant v[5];
                kgrl_task_variants(t, 1, 5, v);
                if (expect_launch_error) {
                    kgrl_value args[KGRL_TASK_MAX_PARAMS];
                    launcher_args(t, &v[0].sizes, args);
                    kgrl_launch_seq seq;
                    memset(&seq, 0, sizeof seq);
                    kgrl_status st = KGRL_STATUS_OK;
                    char msg[1024] = "";
                    bool rec = kgrl_candidate_record(&c, args, t->nparams, &seq, &st, msg, sizeof msg);
                    KT_CHECK(!rec && st == KGRL_STATUS_LAUNCH_ERROR, "%s: expected launch_error when recording, got %s", path, rec ? "success" : kgrl_status_name(st));
                    kgrl_launch_seq_free(&seq);
                }
                for (int k = 0; k < 5 && !expect_launch_error; k += k == 0 ? 3 : 1) {
                    kgrl_value args[KGRL_TASK_MAX_PARAMS];
                    launcher_args(t, &v[k].sizes, args);
                    kgrl_launch_seq seq;
                    memset(&seq, 0, sizeof seq);
                    kgrl_status st = KGRL_STATUS_OK;
                    char msg[1024] = "";
                    bool rec = kgrl_candidate_record(&c, args, t->nparams, &seq, &st, msg, sizeof msg);
                    KT_CHECK(rec, "%s: forward at %s sizes: %s: %s", path, v[k].name, kgrl_status_name(st), msg);
                    nrecorded += rec;
                    kgrl_launch_seq_free(&seq);
                }
                kgrl_cubin cub;
                bool ok = kgrl_nvrtc_compile(c.device_src, "sm_90", NULL, 0, (const char *const *)c.name_exprs, c.nname_exprs, "build/nvrtc-cache", &cub);
                bool expect_compile_error = false;
                for (int w = 0; w < t->nwrong; w++)
                    if (!strcmp(files[f], t->wrong_files[w]) && !strcmp(t->wrong_expect[w], "compile_error")) expect_compile_error = true;
                if (expect_compile_error) KT_CHECK(!ok, "%s: expected a compile error", path);
                else KT_CHECK(ok, "%s: NVRTC failed:\n%s", path, cub.log ? cub.log : "");
                if (ok) {
                    ncompiled++;
                    nhits += cub.cache_hit;
                    for (int k = 0; k < c.nname_exprs; k++)
                        KT_CHECK(cub.lowered && cub.lowered[k], "%s: kernel %s has no lowered name", path, c.name_exprs[k]);
                }
                kgrl_cubin_free(&cub);
            }
            kgrl_candidate_free(&c);
            kgrl_free(src);
        }
    }
    printf("# %d sources parsed, %d launchers recorded at main/odd/smoke sizes, %d compiled with NVRTC for sm_90 (%d from the cubin cache) in %.1f s\n",
           nfiles, nrecorded / 2, ncompiled, nhits, kgrl_now_s() - t0);
}

// ---- input generation ------------------------------------------------------------------------
static void test_fill_cpu(void) {
    kgrl_task t;
    syn_init(&t, "L0/2");
    int R = syn_size(&t, "R", 33, 5, true);
    int C = syn_size(&t, "C", 33, 5, true);
    (void)R; (void)C;
    const char *dists[] = {"rand", "randn", "uniform(-3,5)", "randint(-2,7)", "bound(R*9)", "const(2.5)"};
    int nd = (int)(sizeof dists / sizeof dists[0]);
    for (int d = 0; d < nd; d++) syn_input(&t, dists[d], KGRL_ELEM_F32, "R", "C", dists[d]);
    int pi = syn_input(&t, "ints", KGRL_ELEM_I64, "R", "C", "randint(0,10)");
    int pt = syn_input(&t, "triu", KGRL_ELEM_F32, "R", "C", "rand");
    snprintf(t.params[pt].post[0], 32, "triu"); t.params[pt].npost = 1;
    int pl = syn_input(&t, "tril", KGRL_ELEM_F32, "R", "C", "randn");
    snprintf(t.params[pl].post[0], 32, "tril"); t.params[pl].npost = 1;
    int ps = syn_input(&t, "sym", KGRL_ELEM_F32, "R", "R", "rand");
    snprintf(t.params[ps].post[0], 32, "symmetric"); snprintf(t.params[ps].post[1], 32, "add(1)"); t.params[ps].npost = 2;
    int pm = syn_input(&t, "softmax", KGRL_ELEM_F32, "R", "C", "randn");
    snprintf(t.params[pm].post[0], 32, "abs"); snprintf(t.params[pm].post[1], 32, "softmax"); t.params[pm].npost = 2;
    int pg = syn_input(&t, "sign", KGRL_ELEM_F32, "R", "C", "randn");
    snprintf(t.params[pg].post[0], 32, "sign"); t.params[pg].npost = 1;
    int pf = syn_input(&t, "fixed", KGRL_ELEM_F32, "R", "C", "rand");
    t.params[pf].fixed_dist = true;

    kgrl_variant v[5];
    kgrl_task_variants(&t, 42, 5, v);
    int64_t n = 33 * 33;
    float *a = (float *)kgrl_malloc((size_t)n * 8), *b = (float *)kgrl_malloc((size_t)n * 8);
    // determinism, and different seeds give different values
    for (int p = 2; p < t.nparams; p++) {
        kgrl_task_fill_input_cpu(&t, &v[0], p, a);
        kgrl_task_fill_input_cpu(&t, &v[0], p, b);
        KT_CHECK(!memcmp(a, b, (size_t)n * 4), "%s: two fills differ", t.params[p].name);
        if (strncmp(t.params[p].dist, "const", 5)) {
            kgrl_task_fill_input_cpu(&t, &v[1], p, b);
            KT_CHECK(memcmp(a, b, (size_t)n * 4), "%s: variants 0 and 1 drew the same values", t.params[p].name);
        }
    }
    // ranges of every dist, main and alt
    struct { double lo, hi, alo, ahi; } rng[] = {
        {0, 1, -2, 2}, {-7, 7, -14, 14}, {-3, 5, -10, 10}, {-2, 6, -2, 6}, {-1 / sqrt(297.0), 1 / sqrt(297.0), -2 / sqrt(297.0), 2 / sqrt(297.0)}, {2.5, 2.5, 5, 5},
    };
    for (int d = 0; d < nd; d++) {
        int p = 2 + d;
        for (int alt = 0; alt < 2; alt++) {
            kgrl_task_fill_input_cpu(&t, &v[alt ? 2 : 0], p, a);
            double lo = 1e30, hi = -1e30, mean = 0;
            bool ints = true;
            for (int64_t i = 0; i < n; i++) { lo = fmin(lo, a[i]); hi = fmax(hi, a[i]); mean += a[i] / n; ints &= a[i] == floor(a[i]); }
            double wl = alt ? rng[d].alo : rng[d].lo, wh = alt ? rng[d].ahi : rng[d].hi;
            KT_CHECK(lo >= wl && hi <= wh, "%s (alt %d): range [%g, %g] outside [%g, %g]", dists[d], alt, lo, hi, wl, wh);
            // 1089 draws cover most of the range (normals: |x| > 2 appears; uniforms: within 10% of both ends)
            if (d != 1 && d != 5) KT_CHECK(lo <= wl + 0.1 * (wh - wl) && hi >= wh - 0.1 * (wh - wl) - 1, "%s (alt %d): range [%g, %g] too narrow", dists[d], alt, lo, hi);
            if (d == 1) KT_CHECK(lo < -2 * (alt + 1) && hi > 2 * (alt + 1) && fabs(mean) < 0.2 * (alt + 1), "randn (alt %d): lo %g hi %g mean %g", alt, lo, hi, mean);
            if (d == 3) KT_CHECK(ints, "randint gave a non-integer");
            if (d == 0 && alt) KT_CHECK(lo < 0, "alt dist of rand must be signed");
        }
    }
    // int64 randint
    kgrl_task_fill_input_cpu(&t, &v[0], pi, a);
    {
        const long long *ia = (const long long *)a;
        long long lo = 99, hi = -99;
        for (int64_t i = 0; i < n; i++) { lo = ia[i] < lo ? ia[i] : lo; hi = ia[i] > hi ? ia[i] : hi; }
        KT_CHECK(lo == 0 && hi == 9, "randint(0,10) as i64: [%lld, %lld]", lo, hi);
    }
    // posts
    kgrl_task_fill_input_cpu(&t, &v[0], pt, a);
    kgrl_task_fill_input_cpu(&t, &v[0], pl, b);
    bool tri = true;
    for (int r = 0; r < 33; r++) for (int c = 0; c < 33; c++) {
        if (c < r && a[r * 33 + c] != 0) tri = false;
        if (c > r && b[r * 33 + c] != 0) tri = false;
        if (c == r && (a[r * 33 + c] == 0 || b[r * 33 + c] == 0)) tri = false;
    }
    KT_CHECK(tri, "triu/tril");
    kgrl_task_fill_input_cpu(&t, &v[0], ps, a);
    bool sym = true;
    for (int r = 0; r < 33; r++) for (int c = 0; c < 33; c++) sym &= a[r * 33 + c] == a[c * 33 + r] && a[r * 33 + c] >= 1 && a[r * 33 + c] < 2;
    KT_CHECK(sym, "symmetric + add(1)");
    kgrl_task_fill_input_cpu(&t, &v[0], pm, a);
    for (int r = 0; r < 33; r++) {
        double s = 0;
        for (int c = 0; c < 33; c++) s += a[r * 33 + c];
        KT_CLOSE(s, 1.0, 1e-6, 0, "softmax row %d sums to 1 (33 fp32 values: 1e-6)", r);
    }
    kgrl_task_fill_input_cpu(&t, &v[0], pg, a);
    int npos = 0;
    bool pm1 = true;
    for (int64_t i = 0; i < n; i++) { pm1 &= a[i] == 1 || a[i] == -1; npos += a[i] == 1; }
    KT_CHECK(pm1 && npos > n / 4 && npos < 3 * n / 4, "sign: +-1 with both signs (%d of %lld positive)", npos, (long long)n);
    // fixed_dist is not widened
    kgrl_task_fill_input_cpu(&t, &v[2], pf, a);
    bool unit = true;
    for (int64_t i = 0; i < n; i++) unit &= a[i] >= 0 && a[i] < 1;
    KT_CHECK(unit, "fixed_dist must keep U[0,1) in the alt variant");
    // element i depends only on (seed, param, i): a prefix of a larger fill equals a smaller fill
    {
        kgrl_variant big = v[0], small = v[0];
        big.sizes.v[R] = 33; big.sizes.v[C] = 33;
        small.sizes.v[R] = 5; small.sizes.v[C] = 33;
        kgrl_task_fill_input_cpu(&t, &big, 2, a);
        kgrl_task_fill_input_cpu(&t, &small, 2, b);
        KT_CHECK(!memcmp(a, b, 5 * 33 * 4), "the first rows of a larger fill equal a smaller fill");
    }
    kgrl_free(a);
    kgrl_free(b);
}

static void test_variants(void) {
    kgrl_task t;
    syn_init(&t, "L0/3");
    int a = syn_size(&t, "a", 4096, 7, true);
    int b = syn_size(&t, "b", 64, 3, false);
    int c = syn_size(&t, "c", 10, 4, true);
    t.params[c].min = 5;
    int d = syn_size(&t, "d", 256, 8, true);
    t.params[d].multiple_of = 8;
    int e = syn_size(&t, "e", 512, 64, true);
    t.params[e].multiple_of = 64;
    int f = syn_size(&t, "f", 4095, 7, true);
    int g = syn_size(&t, "g", 4, 4, true);
    t.params[g].min = 4;
    kgrl_variant v[KGRL_MAX_VARIANTS], w[KGRL_MAX_VARIANTS];
    int n = kgrl_task_variants(&t, 7, 0, v);
    KT_CHECK(n == 5, "default is 5 variants, got %d", n);
    KT_CHECK(v[0].sizes.v[a] == 4096 && v[1].sizes.v[a] == 4096 && v[2].sizes.v[a] == 4096 && v[2].alt_dist && !v[0].alt_dist, "variants 0-2 at main sizes, 2 alt");
    KT_CHECK(v[4].sizes.v[a] == 7 && v[4].sizes.v[b] == 3, "variant 4 = smoke");
    KT_CHECK(v[3].sizes.v[a] % 32 != 0 && v[3].sizes.v[a] > 4096 && v[3].sizes.v[a] - 4096 < 64, "odd a = %lld: up, off 32", (long long)v[3].sizes.v[a]);
    KT_CHECK(v[3].sizes.v[b] == 64, "fixed sizes stay");
    KT_CHECK(v[3].sizes.v[c] == 11, "odd c = %lld: small sizes move up by 1", (long long)v[3].sizes.v[c]);
    KT_CHECK(v[3].sizes.v[f] == 4102, "odd f = %lld: an odd size moves up too (hard-coded shapes must fail)", (long long)v[3].sizes.v[f]);
    KT_CHECK(v[3].sizes.v[g] == 5, "odd g = %lld: respects min (4 is below it)", (long long)v[3].sizes.v[g]);
    KT_CHECK(v[3].sizes.v[d] % 8 == 0 && v[3].sizes.v[d] % 32 != 0, "odd d = %lld respects multiple_of", (long long)v[3].sizes.v[d]);
    KT_CHECK(v[3].sizes.v[e] % 64 == 0 && v[3].sizes.v[e] != 512, "odd e = %lld (multiple_of 64 forces multiples of 32)", (long long)v[3].sizes.v[e]);
    for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) KT_CHECK(v[i].seed != v[j].seed, "variants %d and %d share a seed", i, j);
    kgrl_task_variants(&t, 7, 5, w);
    KT_CHECK(w[0].seed == v[0].seed && w[3].seed == v[3].seed, "same run seed -> same variant seeds");
    kgrl_task_variants(&t, 8, 5, w);
    KT_CHECK(w[0].seed != v[0].seed, "another run seed -> other variant seeds");
    n = kgrl_task_variants(&t, 7, 99, v);
    KT_CHECK(n == KGRL_MAX_VARIANTS, "clamped to KGRL_MAX_VARIANTS");
}

// ---- prompts, splits, sampler ----------------------------------------------------------------
static void test_prompt(void) {
    if (!g_set.n) { kt_skip("no tasks loaded"); return; }
    const kgrl_task *t = &g_set.tasks[0];
    char *p = kgrl_task_prompt(t, KGRL_PROMPT_REFERENCE);
    char *q = kgrl_task_prompt(t, KGRL_PROMPT_DESCRIPTION);
    KT_CHECK(strstr(p, t->signature) && strstr(p, t->reference_src) && strstr(p, "add_kernel"), "reference prompt holds signature, reference and example");
    KT_CHECK(strstr(q, t->signature) && strstr(q, t->description) && !strstr(q, t->reference_src), "description prompt holds signature and description, not the reference");
    KT_CHECK(strstr(p, "cudaMalloc") && strstr(p, "```cuda"), "prompt states the format rules");
    kgrl_free(p);
    kgrl_free(q);
}

// The C spec and the naive port of the CPU reference (kgrl_task_c_spec, kgrl_task_port), and the
// suite's solution_port.cu files: each must equal what the port function writes today (the files are
// written by scripts/add_ports.py and kept only where the verifier passed them on a GPU).
static void test_c_spec_and_port(void) {
    const kgrl_task *t = kgrl_tasks_find(&g_set, "L1/53");
    if (!t) { kt_skip("no tasks loaded"); return; }
    kgrl_err err = KGRL_ZERO;
    char *spec = kgrl_task_c_spec(t, &err);
    KT_CHECK(spec && strstr(spec, "void reference(const float* x, float* out, int batch_size, int dim1, int dim2) {"), "spec has the task's signature");
    KT_CHECK(spec && strstr(spec, "long R = (long)dim1;") && strstr(spec, "float *y = out;") && !strstr(spec, "io->"), "spec spells io->... as the parameters, in 64 bits");
    KT_CHECK(spec && strstr(spec, "if (x[(b * R + r) * I + c] < m) m = x[(b * R + r) * I + c];"), "spec keeps the loop body");
    char *port = kgrl_task_port(t, &err);
    KT_CHECK(port && strstr(port, "__global__ void port_kernel(const float* x, float* out, long batch_size, long dim1, long dim2)"), "port kernel takes sizes as long");
    KT_CHECK(port && strstr(port, "long c = port_i % (I);") && strstr(port, "long b = port_i;") && strstr(port, "long port_n = (B) * (I);"), "one thread per (b, c)");
    KT_CHECK(port && strstr(port, "    for (long r = 1; r < R; r++) if (x[(b * R + r) * I + c] < m)"), "the body is copied, re-indented");
    char *prompt = kgrl_task_prompt(t, KGRL_PROMPT_C);
    KT_CHECK(prompt && strstr(prompt, "```c\nvoid reference(") && strstr(prompt, t->description), "C prompt = description + spec");
    kgrl_free(prompt); kgrl_free(spec); kgrl_free(port);
    // what is not portable says why
    const kgrl_task *conv = kgrl_tasks_find(&g_set, "L1/63"), *l2 = kgrl_tasks_find(&g_set, "L2/1");
    KT_CHECK(conv && !kgrl_task_port(conv, &err) && strstr(err.msg, "calls the kit"), "convolutions (kgrl_calloc) have no port: %s", err.msg);
    KT_CHECK(l2 && !kgrl_task_port(l2, &err) && strstr(err.msg, "helper functions"), "level 2 (helpers) has no port: %s", err.msg);
    char *p2 = l2 ? kgrl_task_prompt(l2, KGRL_PROMPT_C) : NULL;
    KT_CHECK(p2 && !strstr(p2, "```c\n"), "no spec: the C prompt is the description prompt");
    kgrl_free(p2);
    // every committed port is today's port, and parses
    int files = 0, portable = 0;
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *u = &g_set.tasks[i];
        char *code = kgrl_task_port(u, NULL);
        portable += code != NULL;
        for (int s = 0; s < u->nsolutions; s++) {
            if (strcmp(u->solution_files[s], "solution_port.cu")) continue;
            char path[700];
            snprintf(path, sizeof path, "%s/solution_port.cu", u->dir);
            char *file = kgrl_read_file(path, NULL, NULL);
            KT_CHECK(file && code && !strcmp(file, code), "%s: solution_port.cu is stale (rerun scripts/add_ports.py)", u->id);
            KT_CHECK(!strcmp(u->solution_kinds[s], "port"), "%s: kind port", u->id);
            files++;
            kgrl_free(file);
        }
        kgrl_free(code);
    }
    // 50 portable level-1 tasks; 46 ports passed the verifier on an H200 (L1/17, 18, 33, 40 time out)
    KT_CHECK(portable == 50 && files == 46, "portable %d (want 50), committed ports %d (want 46)", portable, files);
}

// kgrl_task_save then kgrl_task_load gives back every task of the suite, field for field (not the
// solution lists, which save does not write, nor the directory).
static bool same_param(const kgrl_task_param *a, const kgrl_task_param *b) {
    bool same = !strcmp(a->name, b->name) && a->kind == b->kind && a->elem == b->elem && !strcmp(a->ctype, b->ctype) &&
                a->ndim == b->ndim && !strcmp(a->dist, b->dist) && a->npost == b->npost && a->fixed_dist == b->fixed_dist &&
                a->value == b->value && a->smoke == b->smoke && a->min == b->min && a->multiple_of == b->multiple_of &&
                a->free == b->free && a->scalar == b->scalar;
    for (int d = 0; same && d < a->ndim; d++) same = !strcmp(a->shape[d], b->shape[d]);
    for (int k = 0; same && k < a->npost; k++) same = !strcmp(a->post[k], b->post[k]);
    return same;
}
static bool same_str(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }
static void test_save_roundtrip(void) {
    if (!g_set.n) { kt_skip("no tasks loaded"); return; }
    char dir[] = "/tmp/kgrl_task_saveXXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    int same = 0;
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *a = &g_set.tasks[i];
        char td[200];
        snprintf(td, sizeof td, "%s/%d", dir, i);
        kgrl_err err = {{0}};
        kgrl_task b;
        bool ok = kgrl_task_save(a, td, &err) && kgrl_task_load(td, &b, &err);
        KT_CHECK(ok, "%s: %s", a->id, err.msg);
        if (!ok) continue;
        bool eq = !strcmp(a->id, b.id) && a->level == b.level && a->number == b.number && !strcmp(a->name, b.name) &&
                  same_str(a->description, b.description) && same_str(a->signature, b.signature) && a->nparams == b.nparams &&
                  a->atol == b.atol && a->rtol == b.rtol && !strcmp(a->min_bytes, b.min_bytes) && !strcmp(a->flops, b.flops) &&
                  same_str(a->excluded, b.excluded) && a->alt_scale2 == b.alt_scale2 &&
                  same_str(a->reference_src, b.reference_src) && same_str(a->cpu_reference_src, b.cpu_reference_src);
        for (int k = 0; eq && k < a->nparams; k++) eq = same_param(&a->params[k], &b.params[k]);
        KT_CHECK(eq, "%s: saved and loaded back, it differs", a->id);
        same += eq;
        kgrl_task_free(&b);
    }
    KT_CHECK(same == g_set.n, "%d of %d tasks came back the same", same, g_set.n);
    kgrl_task no_ref;
    memset(&no_ref, 0, sizeof no_ref);
    snprintf(no_ref.id, sizeof no_ref.id, "L1/1");
    kgrl_err err = {{0}};
    KT_CHECK(!kgrl_task_save(&no_ref, dir, &err) && strstr(err.msg, "L1/1") && strstr(err.msg, "reference"), "a task without a reference: %s", err.msg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    KT_CHECK(system(cmd) == 0, "rm");
}

static void test_splits(void) {
    if (!g_set.n) { kt_skip("no tasks loaded"); return; }
    int cap = g_set.n + 1;
    int *tr = (int *)kgrl_malloc(sizeof(int) * (size_t)cap), *te = (int *)kgrl_malloc(sizeof(int) * (size_t)cap), *te2 = (int *)kgrl_malloc(sizeof(int) * (size_t)cap);
    kgrl_err err;
    int ntr = kgrl_tasks_split(&g_set, "seed001_train", 1, tr, cap, &err);
    int nte = kgrl_tasks_split(&g_set, "seed001_test", 1, te, cap, &err);
    int nl1 = kgrl_tasks_split(&g_set, "level1", 0, NULL, 0, &err);
    KT_CHECK(ntr + nte == nl1 && nte == (nl1 + 2) / 5, "80/20 of %d level-1 tasks: %d + %d", nl1, ntr, nte);
    bool disjoint = true;
    for (int i = 0; i < ntr; i++) for (int j = 0; j < nte; j++) disjoint &= tr[i] != te[j];
    KT_CHECK(disjoint, "train and test overlap");
    int nte2 = kgrl_tasks_split(&g_set, "seed001_test", 1, te2, cap, &err);
    KT_CHECK(nte2 == nte && !memcmp(te, te2, sizeof(int) * (size_t)nte), "same seed, same split");
    if (nl1 >= 10) {
        kgrl_tasks_split(&g_set, "seed001_test", 2, te2, cap, &err);
        KT_CHECK(memcmp(te, te2, sizeof(int) * (size_t)nte), "another seed, another split");
    }
    int nt = kgrl_tasks_split(&g_set, "seed002_test", 0, te, cap, &err);
    for (int i = 0; i < nt; i++) KT_CHECK(g_set.tasks[te[i]].level == 2 && g_set.tasks[te[i]].number <= 20, "seed002_test holds L2/1-20 only");
    int nrl = kgrl_tasks_split(&g_set, "seed002_rl", 0, te, cap, &err);
    KT_CHECK(nrl >= 0 && nrl <= 2, "seed002_rl: %d", nrl);
    KT_CHECK(kgrl_tasks_split(&g_set, "nope", 0, te, cap, &err) == -1 && strstr(err.msg, "unknown split"), "unknown split name");
    kgrl_free(tr);
    kgrl_free(te);
    kgrl_free(te2);
}

static void test_sampler(void) {
    kgrl_task_set s;
    s.n = 4;
    s.tasks = (kgrl_task *)kgrl_calloc(4, sizeof(kgrl_task));
    kgrl_task_sampler ts;
    kgrl_task_sampler_init(&ts, &s, 99);
    kgrl_task_sampler_set(&ts, 0, 0.0);
    kgrl_task_sampler_set(&ts, 1, 1.0);
    kgrl_task_sampler_set(&ts, 2, 3.0);
    kgrl_task_sampler_set(&ts, 3, 0.0);
    int count[4] = {0};
    for (int i = 0; i < 4000; i++) count[kgrl_task_sampler_next(&ts)]++;
    // binomial(4000, 0.25): sd 27; 6 sd = 165
    KT_CHECK(count[0] == 0 && count[3] == 0 && abs(count[1] - 1000) < 165, "weights 0:1:3:0 gave %d %d %d %d", count[0], count[1], count[2], count[3]);
    kgrl_task_sampler ts2;
    kgrl_task_sampler_init(&ts2, &s, 99);
    kgrl_task_sampler_set(&ts2, 0, 0.0);
    kgrl_task_sampler_set(&ts2, 1, 1.0);
    kgrl_task_sampler_set(&ts2, 2, 3.0);
    kgrl_task_sampler_set(&ts2, 3, 0.0);
    kgrl_task_sampler_free(&ts);
    kgrl_task_sampler_init(&ts, &s, 99);
    for (int i = 0; i < 4; i++) kgrl_task_sampler_set(&ts, i, ts2.weight[i]);
    bool same = true;
    for (int i = 0; i < 100; i++) same &= kgrl_task_sampler_next(&ts) == kgrl_task_sampler_next(&ts2);
    KT_CHECK(same, "same seed, same sequence");
    for (int i = 0; i < 4; i++) kgrl_task_sampler_set(&ts, i, 0.0);
    KT_CHECK(kgrl_task_sampler_next(&ts) == -1, "all weights zero -> -1");
    kgrl_task_sampler_free(&ts);
    kgrl_task_sampler_free(&ts2);
    kgrl_free(s.tasks);
}

// ---- GPU fill == CPU fill ---------------------------------------------------------------------
static void test_fill_gpu(void) {
    kgrl_ctx_desc cd;
    memset(&cd, 0, sizeof cd);
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    if (!ctx->has_gpu) { kgrl_ctx_destroy(ctx); kt_skip("no CUDA device"); return; }
    kgrl_task t;
    syn_init(&t, "L0/4");
    syn_size(&t, "R", 67, 5, true);
    syn_size(&t, "C", 1031, 5, true);
    const char *dists[] = {"rand", "randn", "uniform(-3,5)", "randint(-2,7)", "bound(R*9)", "const(2.5)"};
    for (int d = 0; d < 6; d++) syn_input(&t, dists[d], KGRL_ELEM_F32, "R", "C", dists[d]);
    int pi = syn_input(&t, "ints64", KGRL_ELEM_I64, "R", "C", "randint(0,100)");
    int pi32 = syn_input(&t, "ints32", KGRL_ELEM_I32, "R", "C", "randint(-5,5)");
    int pt = syn_input(&t, "triu", KGRL_ELEM_F32, "R", "C", "rand");
    snprintf(t.params[pt].post[0], 32, "triu"); snprintf(t.params[pt].post[1], 32, "add(-0.5)"); t.params[pt].npost = 2;
    int pl = syn_input(&t, "tril", KGRL_ELEM_F32, "R", "C", "randn");
    snprintf(t.params[pl].post[0], 32, "tril"); snprintf(t.params[pl].post[1], 32, "abs"); t.params[pl].npost = 2;
    int ps = syn_input(&t, "sym", KGRL_ELEM_F32, "C", "C", "rand");
    snprintf(t.params[ps].post[0], 32, "symmetric"); t.params[ps].npost = 1;
    int pg = syn_input(&t, "sign", KGRL_ELEM_F32, "R", "C", "randn");
    snprintf(t.params[pg].post[0], 32, "sign"); t.params[pg].npost = 1;
    int pm = syn_input(&t, "softmax", KGRL_ELEM_F32, "R", "C", "randn");
    snprintf(t.params[pm].post[0], 32, "softmax"); t.params[pm].npost = 1;
    (void)pi; (void)pi32; (void)pl; (void)pg;
    kgrl_variant v[5];
    kgrl_task_variants(&t, 5, 5, v);
    for (int vi = 0; vi < 5; vi += 2) { // main, alt dist, smoke
        for (int p = 2; p < t.nparams; p++) {
            int64_t n = kgrl_task_numel(&t, &v[vi].sizes, p);
            size_t bytes = (size_t)n * (t.params[p].elem == KGRL_ELEM_I64 ? 8 : 4);
            void *h = kgrl_malloc(bytes), *g = kgrl_malloc(bytes), *d;
            KGRL_CUDA_CHECK(cudaMalloc(&d, bytes));
            kgrl_task_fill_input_cpu(&t, &v[vi], p, h);
            kgrl_task_fill_input_gpu(ctx, &t, &v[vi], p, d);
            KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
            KGRL_CUDA_CHECK(cudaMemcpy(g, d, bytes, cudaMemcpyDeviceToHost));
            int64_t bad = 0;
            if (p == pm) {
                // softmax sums in another order on the GPU (double): allow 1 float ulp
                for (int64_t i = 0; i < n; i++) {
                    float a = ((float *)h)[i], b = ((float *)g)[i];
                    if (fabsf(a - b) > 1.2e-7f * fabsf(a)) bad++;
                }
            } else {
                // bit for bit (normals: double log/cos on both sides, rounded once to float)
                bad = memcmp(h, g, bytes) != 0;
            }
            KT_CHECK(bad == 0, "%s (variant %s): GPU fill differs from CPU fill (%lld)", t.params[p].name, v[vi].name, (long long)bad);
            KGRL_CUDA_CHECK(cudaFree(d));
            kgrl_free(h);
            kgrl_free(g);
        }
    }
    kgrl_ctx_destroy(ctx);
}

// "alt_dist": "scale2" (the level-1 matmuls): variant 2 draws rand inputs from U[0,2), not signed values.
static void test_alt_scale2(void) {
    kgrl_task t;
    kgrl_err err;
    KT_CHECK(kgrl_task_load("data/level1/001_Square_matrix_multiplication_", &t, &err), "load L1/1: %s", err.msg);
    KT_CHECK(t.alt_scale2, "L1/1 has alt_dist scale2");
    kgrl_variant v[5];
    kgrl_task_variants(&t, 99, 5, v);
    v[2].sizes.v[3] = 64;                            // N (params A, B, C, N): a small draw is enough
    float *a = (float *)kgrl_malloc(64 * 64 * sizeof(float));
    kgrl_task_fill_input_cpu(&t, &v[2], 0, a);
    float lo = 1e9f, hi = -1e9f;
    for (int i = 0; i < 64 * 64; i++) { lo = fminf(lo, a[i]); hi = fmaxf(hi, a[i]); }
    KT_CHECK(lo >= 0.0f && hi < 2.0f && hi > 1.5f, "alt draws in [0, 2): min %g max %g", lo, hi);
    kgrl_free(a);
    kgrl_task_free(&t);
}

// Baseline lookup: the committed H200 file, a row without a time, a missing GPU and a missing task.
static void test_eager_baseline(void) {
    KT_CLOSE(kgrl_task_eager_ms("data", "NVIDIA H200", "L1/19"), 0.507, 0, 0, "L1/19 eager time from data/baselines/H200.csv");
    kgrl_err err;
    KT_CHECK(kgrl_mkdirs("build/test_tasks_baselines/baselines", &err), "mkdir: %s", err.msg);
    const char *csv = "# a test file\ntask,level,number,name,eager_ms,kit_ref_ms,ratio,excluded\nL1/5,1,5,x,,0.5,,\nL1/6,1,6,y,0.25,0.5,2,\n";
    KT_CHECK(kgrl_write_file_atomic("build/test_tasks_baselines/baselines/Test_GPU_9.csv", csv, strlen(csv), &err), "write: %s", err.msg);
    KT_CHECK(isnan(kgrl_task_eager_ms("build/test_tasks_baselines", "NVIDIA Test GPU 9", "L1/5")), "a row without eager_ms gives NaN");
    KT_CLOSE(kgrl_task_eager_ms("build/test_tasks_baselines", "NVIDIA Test GPU 9", "L1/6"), 0.25, 0, 0, "device name to file name");
    KT_CHECK(isnan(kgrl_task_eager_ms("data", "NVIDIA H200", "L1/1999")), "no row");
    KT_CHECK(isnan(kgrl_task_eager_ms("data", "NVIDIA B300", "L1/19")), "no file for that GPU");
    KT_CHECK(isnan(kgrl_task_eager_ms("data", "NVIDIA H200", "L1/1")) == false, "L1/1 is the first row");
}

int main(void) {
    KT_RUN(test_expr);
    KT_RUN(test_load_errors);
    KT_RUN(test_load_all);
    KT_RUN(test_sources);
    KT_RUN(test_fill_cpu);
    KT_RUN(test_variants);
    KT_RUN(test_prompt);
    KT_RUN(test_c_spec_and_port);
    KT_RUN(test_save_roundtrip);
    KT_RUN(test_splits);
    KT_RUN(test_sampler);
    KT_RUN(test_eager_baseline);
    KT_RUN(test_alt_scale2);
    KT_RUN(test_fill_gpu);
    kgrl_tasks_free(&g_set);
    return kt_finish();
}
