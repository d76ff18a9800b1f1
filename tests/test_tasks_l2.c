// test_tasks_l2.c — the CPU references of the level-2 tasks against PyTorch itself.
//
// tests/oracles/tasks_l2.py (run on the GPU machine, where torch is) draws inputs at each task's
// smoke sizes, runs KernelBench's Model.forward for it (written there by hand with
// torch.nn.functional, in fp64) and writes tests/fixtures/tasks_l2/L2_NNN.json. Here every task's
// cpu_reference.c runs on those inputs and must match PyTorch within the task's tolerance. Without
// the fixtures the case skips, saying how to make them.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"
#include "data/cpu_references.inc"

#define FIXTURES "tests/fixtures/tasks_l2"

static kgrl_cpu_ref_fn find_ref(int number) {
    char id[16];
    snprintf(id, sizeof id, "L2/%d", number);
    for (int i = 0; i < kgrl_ncpu_refs; i++)
        if (!strcmp(kgrl_cpu_refs[i].id, id)) return kgrl_cpu_refs[i].fn;
    return NULL;
}

static const char *kind_name(kgrl_param_kind k) {
    return k == KGRL_PARAM_INPUT ? "input" : k == KGRL_PARAM_OUTPUT ? "output" : k == KGRL_PARAM_SIZE ? "size" : "scalar";
}

// A fixture made before its task changed (a param added, renamed, reshaped: L2/85 gained `scale`)
// would feed the CPU reference the wrong buffers. True when the fixture's params are the task's, in
// order, and every data array has the element count the task's shapes give at the fixture's sizes.
static bool fixture_matches_task(const kgrl_task *t, const kgrl_json *params, const kgrl_json *outs, const char *path) {
    const char *rerun = "stale fixture: rerun tests/oracles/tasks_l2.py";
    KT_CHECK(params->count == t->nparams, "%s: %d params, %s has %d (%s)", path, params->count, t->id, t->nparams, rerun);
    if (params->count != t->nparams) return false;
    kgrl_sizes sz;
    memset(&sz, 0, sizeof sz);
    for (int i = 0; i < t->nparams; i++) {
        const kgrl_json *p = &params->items[i];
        const char *kind = kgrl_json_string_or(p, "kind", ""), *name = kgrl_json_string_or(p, "name", "");
        bool same = !strcmp(name, t->params[i].name) && !strcmp(kind, kind_name(t->params[i].kind));
        KT_CHECK(same, "%s: param %d is %s %s, %s has %s %s (%s)", path, i, kind, name, t->id,
                 kind_name(t->params[i].kind), t->params[i].name, rerun);
        if (!same) return false;
        if (t->params[i].kind == KGRL_PARAM_SIZE) sz.v[i] = kgrl_json_int_or(p, "value", 0);
    }
    for (int i = 0; i < t->nparams; i++) {
        if (t->params[i].kind != KGRL_PARAM_INPUT && t->params[i].kind != KGRL_PARAM_OUTPUT) continue;
        const kgrl_json *data = t->params[i].kind == KGRL_PARAM_INPUT ? kgrl_json_get(&params->items[i], "data")
                                                                       : kgrl_json_get(outs, t->params[i].name);
        int64_t want = kgrl_task_numel(t, &sz, i), got = data ? data->count : -1;
        KT_CHECK(got == want, "%s: %s has %lld values, %s's shape gives %lld (%s)", path, t->params[i].name,
                 (long long)got, t->id, (long long)want, rerun);
        if (got != want) return false;
    }
    return true;
}

// Runs one fixture through the CPU reference; returns false when the file is absent.
static bool check_fixture(const kgrl_task_set *set, int number) {
    char path[256];
    snprintf(path, sizeof path, FIXTURES "/L2_%03d.json", number);
    if (!kgrl_file_exists(path)) return false;
    kgrl_cpu_ref_fn fn = find_ref(number);
    KT_CHECK(fn, "L2/%d has no CPU reference in data/cpu_references.inc (run scripts/gen_cpu_ref_table.sh)", number);
    if (!fn) return true;
    kgrl_err err = {{0}};
    kgrl_json *j = kgrl_json_parse_file(path, &err);
    if (!j) { KT_CHECK(0, "%s", err.msg); return true; }
    const kgrl_json *params = kgrl_json_get(j, "params"), *outs = kgrl_json_get(j, "outputs");
    double atol = kgrl_json_number_or(j, "atol", 1e-4), rtol = kgrl_json_number_or(j, "rtol", 1e-4);
    KT_CHECK(params && outs && params->count <= KGRL_TASK_MAX_PARAMS, "%s: malformed", path);
    if (!params || !outs || params->count > KGRL_TASK_MAX_PARAMS) { kgrl_json_free(j); return true; }
    char id[16];
    snprintf(id, sizeof id, "L2/%d", number);
    const kgrl_task *t = kgrl_tasks_find(set, id);
    KT_CHECK(t, "%s: no task %s under data/", path, id);
    if (!t || !fixture_matches_task(t, params, outs, path)) { kgrl_json_free(j); return true; }
    kgrl_task_io io;
    memset(&io, 0, sizeof io);
    const kgrl_json *want[KGRL_TASK_MAX_PARAMS] = {0};
    for (int i = 0; i < params->count; i++) {
        const kgrl_json *p = &params->items[i];
        const char *kind = kgrl_json_string_or(p, "kind", ""), *name = kgrl_json_string_or(p, "name", "");
        if (!strcmp(kind, "input") || !strcmp(kind, "output")) {
            const kgrl_json *data = !strcmp(kind, "input") ? kgrl_json_get(p, "data") : kgrl_json_get(outs, name);
            int n = data ? data->count : 0;
            float *v = (float *)kgrl_malloc((size_t)(n ? n : 1) * sizeof *v);
            // inputs were written from fp32 values: exact; outputs start as NaN so unwritten ones fail
            for (int k = 0; k < n; k++) v[k] = !strcmp(kind, "input") ? (float)data->items[k].number : NAN;
            io.ptr[i] = v;
            if (!strcmp(kind, "output")) want[i] = data;
        } else if (!strcmp(kind, "size")) {
            io.ival[i] = kgrl_json_int_or(p, "value", 0);
        }
    }
    fn(&io);
    for (int i = 0; i < params->count; i++) {
        if (!want[i]) continue;
        const float *got = (const float *)io.ptr[i];
        int bad = 0;
        for (int k = 0; k < want[i]->count && bad < 5; k++) {
            double w = want[i]->items[k].number;
            // the task's own tolerance: PyTorch in fp64 (rounded to fp32) against our fp64 reference
            // (rounded to fp32) differ by about one fp32 ulp, far inside it
            if (!(fabs(got[k] - w) <= atol + rtol * fabs(w))) {
                KT_CHECK(0, "L2/%d output [%d]: cpu_reference %.9g, PyTorch %.9g", number, k, got[k], w);
                bad++;
            }
        }
    }
    for (int i = 0; i < params->count; i++) kgrl_free(io.ptr[i]);
    kgrl_json_free(j);
    return true;
}

static void test_cpu_references_vs_pytorch(void) {
    if (!kgrl_file_exists(FIXTURES "/L2_001.json")) {
        kt_skip("no fixtures: run tests/oracles/tasks_l2.py on a machine with torch");
        return;
    }
    kgrl_task_set set;
    kgrl_err err = {{0}};
    bool loaded = kgrl_tasks_load_all("data", &set, &err);
    KT_CHECK(loaded, "loading data/: %s", err.msg);
    if (!loaded) return;
    int seen = 0;
    for (int number = 1; number <= 100; number++) {
        bool found = check_fixture(&set, number);
        KT_CHECK(found, FIXTURES "/L2_%03d.json missing", number);
        seen += found;
    }
    kgrl_tasks_free(&set);
    printf("# %d CPU references of L2 checked against PyTorch fixtures\n", seen);
}

int main(void) {
    KT_RUN(test_cpu_references_vs_pytorch);
    return kt_finish();
}
