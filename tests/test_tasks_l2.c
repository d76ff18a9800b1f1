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

// Runs one fixture through the CPU reference; returns false when the file is absent.
static bool check_fixture(int number) {
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
    int seen = 0;
    for (int number = 1; number <= 100; number++) {
        bool found = check_fixture(number);
        KT_CHECK(found, FIXTURES "/L2_%03d.json missing", number);
        seen += found;
    }
    printf("# %d CPU references of L2 checked against PyTorch fixtures\n", seen);
}

int main(void) {
    KT_RUN(test_cpu_references_vs_pytorch);
    return kt_finish();
}
