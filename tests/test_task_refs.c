// test_task_refs.c — every task's reference.cu against its cpu_reference.c.
//
// CPU part (runs in CI): every CPU reference compiles (data/cpu_references.inc, regenerate with
// scripts/gen_cpu_ref_table.sh), exists for every task, and at smoke sizes writes every output
// element with a finite value.
// GPU part (skips without a device): the reference runs in process (kgrl_task_run_inprocess, the
// verifier's runner) at smoke sizes and at a mid size (free sizes halved from main until the CPU
// reference is cheap, then made odd), on the inputs of kgrl_task_fill_input_cpu, and must match the
// CPU reference within the task's tolerance. One summary line per level.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"
#include "data/cpu_references.inc"

static kgrl_task_set g_set;

static kgrl_cpu_ref_fn find_ref(const char *id) {
    for (int i = 0; i < kgrl_ncpu_refs; i++)
        if (!strcmp(kgrl_cpu_refs[i].id, id)) return kgrl_cpu_refs[i].fn;
    return NULL;
}

static size_t elem_bytes(kgrl_elem e) { return e == KGRL_ELEM_I64 ? 8 : 4; }

// Inputs filled from the variant, outputs poisoned (NaN / INT_MAX-like bytes); io set up.
static void io_setup(const kgrl_task *t, const kgrl_variant *v, kgrl_task_io *io) {
    memset(io, 0, sizeof *io);
    io->task = t;
    io->sizes = &v->sizes;
    for (int p = 0; p < t->nparams; p++) {
        const kgrl_task_param *q = &t->params[p];
        if (q->kind == KGRL_PARAM_INPUT || q->kind == KGRL_PARAM_OUTPUT) {
            int64_t n = kgrl_task_numel(t, &v->sizes, p);
            io->ptr[p] = kgrl_malloc((size_t)n * elem_bytes(q->elem));
            if (q->kind == KGRL_PARAM_INPUT) kgrl_task_fill_input_cpu(t, v, p, io->ptr[p]);
            else memset(io->ptr[p], 0x7f, (size_t)n * elem_bytes(q->elem)); // 0x7f7f7f7f: a huge float, an odd int
        } else if (q->kind == KGRL_PARAM_SIZE) {
            io->ival[p] = v->sizes.v[p];
        } else {
            io->dval[p] = q->scalar;
            io->ival[p] = (int64_t)q->scalar;
        }
    }
}
static void io_free(const kgrl_task *t, kgrl_task_io *io) {
    for (int p = 0; p < t->nparams; p++) kgrl_free(io->ptr[p]);
}

// Count output elements still holding the poison, or not finite.
static int64_t count_unwritten(const kgrl_task *t, const kgrl_variant *v, const kgrl_task_io *io) {
    int64_t bad = 0;
    for (int p = 0; p < t->nparams; p++) {
        const kgrl_task_param *q = &t->params[p];
        if (q->kind != KGRL_PARAM_OUTPUT) continue;
        int64_t n = kgrl_task_numel(t, &v->sizes, p);
        for (int64_t i = 0; i < n; i++) {
            if (q->elem == KGRL_ELEM_F32) { float x = ((float *)io->ptr[p])[i]; bad += !isfinite(x) || x == 3.3961514e38f; }
            else if (q->elem == KGRL_ELEM_I64) bad += ((int64_t *)io->ptr[p])[i] == 0x7f7f7f7f7f7f7f7fLL;
            else bad += ((int32_t *)io->ptr[p])[i] == 0x7f7f7f7f;
        }
    }
    return bad;
}

static void test_cpu_refs(void) {
    kgrl_err err = {{0}};
    bool ok = kgrl_tasks_load_all("data", &g_set, &err);
    KT_CHECK(ok, "loading data/: %s", err.msg);
    if (!ok) return;
    KT_CHECK(kgrl_ncpu_refs == g_set.n, "%d CPU references for %d tasks: run scripts/gen_cpu_ref_table.sh", kgrl_ncpu_refs, g_set.n);
    int nrun = 0;
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *t = &g_set.tasks[i];
        kgrl_cpu_ref_fn fn = find_ref(t->id);
        KT_CHECK(fn, "%s: no CPU reference in data/cpu_references.inc", t->id);
        if (!fn) continue;
        kgrl_variant v[5];
        kgrl_task_variants(t, 1, 5, v);
        kgrl_task_io io;
        io_setup(t, &v[4], &io);
        fn(&io);
        int64_t bad = count_unwritten(t, &v[4], &io);
        KT_CHECK(bad == 0, "%s: the CPU reference left %lld output elements unwritten or not finite at smoke sizes", t->id, (long long)bad);
        io_free(t, &io);
        nrun++;
    }
    printf("# %d CPU references ran at smoke sizes\n", nrun);
}

// Mid sizes: from main, halve the largest free size until the CPU reference is cheap (flops and
// bytes), then make each changed size odd where the constraints allow.
static kgrl_sizes mid_sizes(const kgrl_task *t) {
    kgrl_sizes s = kgrl_task_main_sizes(t), smoke = kgrl_task_smoke_sizes(t);
    for (int iter = 0; iter < 200; iter++) {
        double in = 0;
        for (int p = 0; p < t->nparams; p++)
            if (t->params[p].kind == KGRL_PARAM_INPUT || t->params[p].kind == KGRL_PARAM_OUTPUT)
                in += (double)kgrl_task_numel(t, &s, p) * elem_bytes(t->params[p].elem);
        if (kgrl_task_flops(t, &s) <= 2e8 && in <= 32e6) break;
        int best = -1;
        for (int p = 0; p < t->nparams; p++) {
            const kgrl_task_param *q = &t->params[p];
            if (q->kind != KGRL_PARAM_SIZE || !q->free) continue;
            int64_t h = s.v[p] / 2;
            h -= h % q->multiple_of;
            if (h < q->min || h < smoke.v[p]) continue;
            if (best < 0 || s.v[p] > s.v[best]) best = p;
        }
        if (best < 0) break;
        int64_t h = s.v[best] / 2;
        s.v[best] = h - h % t->params[best].multiple_of;
    }
    for (int p = 0; p < t->nparams; p++) {
        const kgrl_task_param *q = &t->params[p];
        if (q->kind == KGRL_PARAM_SIZE && q->free && q->multiple_of == 1 && s.v[p] != q->value && s.v[p] % 2 == 0) s.v[p] += 1;
    }
    return s;
}

#if defined(KGRL_HAS_TASK_RUN_INPROCESS)
// Compare output p: |got - want| <= atol + rtol*|want| (NaN/Inf where want is finite fails); ints exact.
static int64_t count_mismatch(const kgrl_task *t, int p, int64_t n, const void *got, const void *want, double *worst) {
    int64_t bad = 0;
    *worst = 0;
    for (int64_t i = 0; i < n; i++) {
        if (t->params[p].elem == KGRL_ELEM_F32) {
            double g = ((const float *)got)[i], w = ((const float *)want)[i];
            double err = fabs(g - w), lim = t->atol + t->rtol * fabs(w);
            if (!(err <= lim)) { bad++; if (!(err / lim <= *worst)) *worst = err / lim; }
        } else if (t->params[p].elem == KGRL_ELEM_I64) bad += ((const int64_t *)got)[i] != ((const int64_t *)want)[i];
        else bad += ((const int32_t *)got)[i] != ((const int32_t *)want)[i];
    }
    return bad;
}
#endif

static void test_gpu_refs(void) {
    if (!g_set.n) { kt_skip("no tasks loaded"); return; }
    kgrl_ctx_desc cd;
    memset(&cd, 0, sizeof cd);
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    if (!ctx->has_gpu) { kgrl_ctx_destroy(ctx); kt_skip("no CUDA device"); return; }
#if !defined(KGRL_HAS_TASK_RUN_INPROCESS)
    kgrl_ctx_destroy(ctx);
    kt_skip("kgrl.h has no kgrl_task_run_inprocess yet (the verifier part defines KGRL_HAS_TASK_RUN_INPROCESS with it)");
#else
    int pass[3] = {0}, fail[3] = {0};
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *t = &g_set.tasks[i];
        kgrl_cpu_ref_fn fn = find_ref(t->id);
        if (!fn) continue;
        kgrl_variant v[5];
        kgrl_task_variants(t, 1, 5, v);
        kgrl_variant sizes_to_run[2] = {v[4], v[0]};
        sizes_to_run[1].sizes = mid_sizes(t);
        snprintf(sizes_to_run[1].name, sizeof sizes_to_run[1].name, "mid");
        bool task_ok = true;
        for (int k = 0; k < 2; k++) {
            const kgrl_variant *var = &sizes_to_run[k];
            kgrl_task_io io;
            io_setup(t, var, &io);
            fn(&io);
            void *outs[KGRL_TASK_MAX_PARAMS] = {0};
            for (int p = 0; p < t->nparams; p++)
                if (t->params[p].kind == KGRL_PARAM_OUTPUT)
                    outs[p] = kgrl_malloc((size_t)kgrl_task_numel(t, &var->sizes, p) * elem_bytes(t->params[p].elem));
            kgrl_err err = {{0}};
            bool ran = kgrl_task_run_inprocess(ctx, t, var, t->reference_src, true, outs, &err);
            KT_CHECK(ran, "%s (%s sizes): the reference did not run: %s", t->id, var->name, err.msg);
            if (!ran) task_ok = false;
            for (int p = 0; ran && p < t->nparams; p++) {
                if (t->params[p].kind != KGRL_PARAM_OUTPUT) continue;
                int64_t n = kgrl_task_numel(t, &var->sizes, p);
                double worst;
                int64_t bad = count_mismatch(t, p, n, outs[p], io.ptr[p], &worst);
                KT_CHECK(bad == 0, "%s (%s sizes): %s: %lld of %lld elements outside atol %g rtol %g (worst %.3g x the bound)",
                         t->id, var->name, t->params[p].name, (long long)bad, (long long)n, t->atol, t->rtol, worst);
                if (bad) task_ok = false;
            }
            for (int p = 0; p < t->nparams; p++) kgrl_free(outs[p]);
            io_free(t, &io);
        }
        if (task_ok) pass[t->level]++; else fail[t->level]++;
    }
    for (int l = 1; l <= 2; l++) printf("# level %d: %d references match their CPU reference (smoke and mid sizes), %d do not\n", l, pass[l], fail[l]);
    kgrl_ctx_destroy(ctx);
#endif
}

// Mid sizes stay within the CPU budget and are valid shapes.
static void test_mid_sizes(void) {
    if (!g_set.n) { kt_skip("no tasks loaded"); return; }
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *t = &g_set.tasks[i];
        kgrl_sizes s = mid_sizes(t);
        for (int p = 0; p < t->nparams; p++) {
            const kgrl_task_param *q = &t->params[p];
            if (q->kind != KGRL_PARAM_INPUT && q->kind != KGRL_PARAM_OUTPUT) continue;
            for (int d = 0; d < q->ndim; d++) {
                int64_t v = 0;
                kgrl_err err;
                bool ok = kgrl_task_eval_expr(t, &s, q->shape[d], &v, &err);
                KT_CHECK(ok && v > 0, "%s: mid sizes make %s shape[%d] = %lld", t->id, q->name, d, (long long)v);
            }
        }
    }
}

// PyTorch's own answers at smoke sizes (tests/oracles/tasks_l1_001_053.py, run on the GPU machine):
// the CPU references of L1/1-53, run on the fixture's inputs, must match them under the task's
// tolerance. Skips while the fixtures have not been generated.
static void test_torch_fixtures(void) {
    if (!g_set.n) { kt_skip("no tasks loaded"); return; }
    int nfix = 0;
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *t = &g_set.tasks[i];
        if (t->level != 1 || t->number > 53) continue;
        char path[256];
        snprintf(path, sizeof path, "tests/fixtures/tasks_l1_001_053/L1_%03d.json", t->number);
        if (!kgrl_file_exists(path)) continue;
        kgrl_err err = {{0}};
        kgrl_json *j = kgrl_json_parse_file(path, &err);
        KT_CHECK(j, "%s", err.msg);
        if (!j) continue;
        const kgrl_json *params = kgrl_json_get(j, "params"), *outs = kgrl_json_get(j, "outputs");
        KT_CHECK(params && params->count == t->nparams && outs, "%s: params do not match the task", path);
        if (!params || params->count != t->nparams || !outs) { kgrl_json_free(j); continue; }
        kgrl_sizes sz;
        memset(&sz, 0, sizeof sz);
        kgrl_task_io io;
        memset(&io, 0, sizeof io);
        io.task = t;
        io.sizes = &sz;
        for (int p = 0; p < t->nparams; p++) {
            const kgrl_task_param *q = &t->params[p];
            const kgrl_json *e = &params->items[p];
            if (q->kind == KGRL_PARAM_SIZE) { sz.v[p] = kgrl_json_int_or(e, "value", 0); io.ival[p] = sz.v[p]; }
            else if (q->kind == KGRL_PARAM_SCALAR) { io.dval[p] = kgrl_json_number_or(e, "value", 0); io.ival[p] = (int64_t)io.dval[p]; }
        }
        bool ok = true;
        for (int p = 0; p < t->nparams; p++) {
            const kgrl_task_param *q = &t->params[p];
            if (q->kind != KGRL_PARAM_INPUT && q->kind != KGRL_PARAM_OUTPUT) continue;
            int64_t n = kgrl_task_numel(t, &sz, p);
            io.ptr[p] = kgrl_calloc((size_t)n, elem_bytes(q->elem));
            if (q->kind == KGRL_PARAM_OUTPUT) continue;
            const kgrl_json *d = kgrl_json_get(&params->items[p], "data");
            if (!d || d->count != n) { KT_CHECK(0, "%s: input %s has %d values, want %lld", path, q->name, d ? d->count : -1, (long long)n); ok = false; continue; }
            for (int64_t k = 0; k < n; k++) {
                double v = d->items[k].number;
                if (q->elem == KGRL_ELEM_F32) ((float *)io.ptr[p])[k] = (float)v;
                else if (q->elem == KGRL_ELEM_I64) ((int64_t *)io.ptr[p])[k] = (int64_t)v;
                else ((int32_t *)io.ptr[p])[k] = (int32_t)v;
            }
        }
        kgrl_cpu_ref_fn fn = find_ref(t->id);
        if (ok && fn) {
            fn(&io);
            for (int p = 0; p < t->nparams; p++) {
                const kgrl_task_param *q = &t->params[p];
                if (q->kind != KGRL_PARAM_OUTPUT) continue;
                const kgrl_json *want = kgrl_json_get(outs, q->name);
                int64_t n = kgrl_task_numel(t, &sz, p), bad = 0;
                KT_CHECK(want && want->count == n, "%s: output %s has %d values, want %lld", path, q->name, want ? want->count : -1, (long long)n);
                if (!want || want->count != n) continue;
                for (int64_t k = 0; k < n; k++) {
                    double w = want->items[k].number;
                    if (q->elem == KGRL_ELEM_F32) {
                        double g = ((float *)io.ptr[p])[k];
                        if (!(fabs(g - w) <= t->atol + t->rtol * fabs(w))) bad++;
                    } else if (q->elem == KGRL_ELEM_I64) bad += ((int64_t *)io.ptr[p])[k] != (int64_t)w;
                    else bad += ((int32_t *)io.ptr[p])[k] != (int32_t)w;
                }
                KT_CHECK(bad == 0, "%s: CPU reference differs from PyTorch on %lld of %lld elements of %s", t->id, (long long)bad, (long long)n, q->name);
            }
            nfix++;
        }
        for (int p = 0; p < t->nparams; p++) kgrl_free(io.ptr[p]);
        kgrl_json_free(j);
    }
    if (!nfix) { kt_skip("no fixtures in tests/fixtures/tasks_l1_001_053 (run tests/oracles/tasks_l1_001_053.py on the GPU machine)"); return; }
    printf("# %d CPU references of L1/1-53 checked against PyTorch fixtures\n", nfix);
}

// Degenerate-task audit (DESIGN §3.3, KernelBench issue #165), on the CPU at the mid sizes: a task
// is degenerate when one constant, the median of an output, passes the task's tolerance on 99% or
// more of that output's elements (a constant-output candidate would pass or nearly pass). Excluded
// tasks are expected to be degenerate and are skipped; every other task must not be.
static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}
static void test_not_degenerate(void) {
    if (!g_set.n) { kt_skip("no tasks loaded"); return; }
    int nchecked = 0;
    for (int i = 0; i < g_set.n; i++) {
        const kgrl_task *t = &g_set.tasks[i];
        kgrl_cpu_ref_fn fn = find_ref(t->id);
        if (t->excluded || !fn) continue;
        kgrl_variant v[5];
        kgrl_task_variants(t, 1, 5, v);
        v[0].sizes = mid_sizes(t);
        kgrl_task_io io;
        io_setup(t, &v[0], &io);
        fn(&io);
        for (int p = 0; p < t->nparams; p++) {
            const kgrl_task_param *q = &t->params[p];
            if (q->kind != KGRL_PARAM_OUTPUT || q->elem != KGRL_ELEM_F32) continue;   // index outputs are never constant here
            int64_t n = kgrl_task_numel(t, &v[0].sizes, p);
            float *sorted = (float *)kgrl_malloc((size_t)n * sizeof(float));
            memcpy(sorted, io.ptr[p], (size_t)n * sizeof(float));
            qsort(sorted, (size_t)n, sizeof(float), cmp_float);
            double med = sorted[n / 2];
            int64_t close = 0;
            for (int64_t k = 0; k < n; k++) close += fabs(sorted[k] - med) <= t->atol + t->rtol * fabs(sorted[k]);
            KT_CHECK(n < 2 || close < n * 0.99, "%s: output %s is degenerate at the mid sizes: %lld of %lld elements equal the median %g within tolerance",
                     t->id, q->name, (long long)close, (long long)n, med);
            kgrl_free(sorted);
        }
        io_free(t, &io);
        nchecked++;
    }
    printf("# degenerate audit: %d non-excluded tasks checked at mid sizes on the CPU\n", nchecked);
}

int main(void) {
    KT_RUN(test_cpu_refs);
    KT_RUN(test_mid_sizes);
    KT_RUN(test_not_degenerate);
    KT_RUN(test_torch_fixtures);
    KT_RUN(test_gpu_refs);
    kgrl_tasks_free(&g_set);
    return kt_finish();
}
