// test_tasks_l1_054_100.c — the CPU references of level-1 problems 54-100 against PyTorch itself.
//
// tests/oracles/tasks_l1_054_100.py (run on the GPU machine, where torch is) draws inputs at each
// task's smoke sizes, runs KernelBench's module for it and writes tests/fixtures/tasks_l1_054_100/
// L1_NNN.json. Here every task's cpu_reference.c runs on those inputs and must match PyTorch within
// the task's tolerance. Without the fixtures the cases skip, saying how to make them.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

#include "data/level1/054_conv_standard_3D__square_input__square_kernel/cpu_reference.c"
#include "data/level1/055_conv_standard_2D__asymmetric_input__square_kernel/cpu_reference.c"
#include "data/level1/056_conv_standard_2D__asymmetric_input__asymmetric_kernel/cpu_reference.c"
#include "data/level1/057_conv_transposed_2D__square_input__square_kernel/cpu_reference.c"
#include "data/level1/058_conv_transposed_3D__asymmetric_input__asymmetric_kernel/cpu_reference.c"
#include "data/level1/059_conv_standard_3D__asymmetric_input__square_kernel/cpu_reference.c"
#include "data/level1/060_conv_standard_3D__square_input__asymmetric_kernel/cpu_reference.c"
#include "data/level1/061_conv_transposed_3D__square_input__square_kernel/cpu_reference.c"
#include "data/level1/062_conv_standard_2D__square_input__asymmetric_kernel/cpu_reference.c"
#include "data/level1/063_conv_standard_2D__square_input__square_kernel/cpu_reference.c"
#include "data/level1/064_conv_transposed_1D/cpu_reference.c"
#include "data/level1/065_conv_transposed_2D__square_input__asymmetric_kernel/cpu_reference.c"
#include "data/level1/066_conv_standard_3D__asymmetric_input__asymmetric_kernel/cpu_reference.c"
#include "data/level1/067_conv_standard_1D/cpu_reference.c"
#include "data/level1/068_conv_transposed_3D__square_input__asymmetric_kernel/cpu_reference.c"
#include "data/level1/069_conv_transposed_2D__asymmetric_input__asymmetric_kernel/cpu_reference.c"
#include "data/level1/070_conv_transposed_3D__asymmetric_input__square_kernel/cpu_reference.c"
#include "data/level1/071_conv_transposed_2D__asymmetric_input__square_kernel/cpu_reference.c"
#include "data/level1/072_conv_transposed_3D_asymmetric_input_asymmetric_kernel___strided_padded_grouped_/cpu_reference.c"
#include "data/level1/073_conv_transposed_3D_asymmetric_input_square_kernel__strided_padded__grouped/cpu_reference.c"
#include "data/level1/074_conv_transposed_1D_dilated/cpu_reference.c"
#include "data/level1/075_conv_transposed_2D_asymmetric_input_asymmetric_kernel_strided__grouped____padded____dilated__/cpu_reference.c"
#include "data/level1/076_conv_standard_1D_dilated_strided__/cpu_reference.c"
#include "data/level1/077_conv_transposed_3D_square_input_square_kernel___padded____dilated____strided__/cpu_reference.c"
#include "data/level1/078_conv_transposed_2D_asymmetric_input_asymmetric_kernel___padded__/cpu_reference.c"
#include "data/level1/079_conv_transposed_1D_asymmetric_input_square_kernel___padded____strided____dilated__/cpu_reference.c"
#include "data/level1/080_conv_standard_2D_square_input_asymmetric_kernel___dilated____padded__/cpu_reference.c"
#include "data/level1/081_conv_transposed_2D_asymmetric_input_square_kernel___dilated____padded____strided__/cpu_reference.c"
#include "data/level1/082_conv_depthwise_2D_square_input_square_kernel/cpu_reference.c"
#include "data/level1/083_conv_depthwise_2D_square_input_asymmetric_kernel/cpu_reference.c"
#include "data/level1/084_conv_depthwise_2D_asymmetric_input_square_kernel/cpu_reference.c"
#include "data/level1/085_conv_depthwise_2D_asymmetric_input_asymmetric_kernel/cpu_reference.c"
#include "data/level1/086_conv_depthwise_separable_2D/cpu_reference.c"
#include "data/level1/087_conv_pointwise_2D/cpu_reference.c"
#include "data/level1/088_MinGPTNewGelu/cpu_reference.c"
#include "data/level1/089_cumsum/cpu_reference.c"
#include "data/level1/090_cumprod/cpu_reference.c"
#include "data/level1/091_cumsum_reverse/cpu_reference.c"
#include "data/level1/092_cumsum_exclusive/cpu_reference.c"
#include "data/level1/093_masked_cumsum/cpu_reference.c"
#include "data/level1/094_MSELoss/cpu_reference.c"
#include "data/level1/095_CrossEntropyLoss/cpu_reference.c"
#include "data/level1/096_HuberLoss/cpu_reference.c"
#include "data/level1/097_ScaledDotProductAttention/cpu_reference.c"
#include "data/level1/098_KLDivLoss/cpu_reference.c"
#include "data/level1/099_TripletMarginLoss/cpu_reference.c"
#include "data/level1/100_HingeLoss/cpu_reference.c"

static const struct { int number; kgrl_cpu_ref_fn fn; } refs[] = {
    {54, cpu_ref_L1_054},
    {55, cpu_ref_L1_055},
    {56, cpu_ref_L1_056},
    {57, cpu_ref_L1_057},
    {58, cpu_ref_L1_058},
    {59, cpu_ref_L1_059},
    {60, cpu_ref_L1_060},
    {61, cpu_ref_L1_061},
    {62, cpu_ref_L1_062},
    {63, cpu_ref_L1_063},
    {64, cpu_ref_L1_064},
    {65, cpu_ref_L1_065},
    {66, cpu_ref_L1_066},
    {67, cpu_ref_L1_067},
    {68, cpu_ref_L1_068},
    {69, cpu_ref_L1_069},
    {70, cpu_ref_L1_070},
    {71, cpu_ref_L1_071},
    {72, cpu_ref_L1_072},
    {73, cpu_ref_L1_073},
    {74, cpu_ref_L1_074},
    {75, cpu_ref_L1_075},
    {76, cpu_ref_L1_076},
    {77, cpu_ref_L1_077},
    {78, cpu_ref_L1_078},
    {79, cpu_ref_L1_079},
    {80, cpu_ref_L1_080},
    {81, cpu_ref_L1_081},
    {82, cpu_ref_L1_082},
    {83, cpu_ref_L1_083},
    {84, cpu_ref_L1_084},
    {85, cpu_ref_L1_085},
    {86, cpu_ref_L1_086},
    {87, cpu_ref_L1_087},
    {88, cpu_ref_L1_088},
    {89, cpu_ref_L1_089},
    {90, cpu_ref_L1_090},
    {91, cpu_ref_L1_091},
    {92, cpu_ref_L1_092},
    {93, cpu_ref_L1_093},
    {94, cpu_ref_L1_094},
    {95, cpu_ref_L1_095},
    {96, cpu_ref_L1_096},
    {97, cpu_ref_L1_097},
    {98, cpu_ref_L1_098},
    {99, cpu_ref_L1_099},
    {100, cpu_ref_L1_100},
};

#define FIXTURES "tests/fixtures/tasks_l1_054_100"

// run one fixture; returns false (and skips) when it is absent
static void check_fixture(int number, kgrl_cpu_ref_fn fn) {
    char path[256];
    snprintf(path, sizeof path, FIXTURES "/L1_%03d.json", number);
    if (!kgrl_file_exists(path)) return;
    kgrl_err err = {{0}};
    kgrl_json *j = kgrl_json_parse_file(path, &err);
    if (!j) { KT_CHECK(0, "%s", err.msg); return; }
    const kgrl_json *params = kgrl_json_get(j, "params"), *outs = kgrl_json_get(j, "outputs");
    double atol = kgrl_json_number_or(j, "atol", 1e-4), rtol = kgrl_json_number_or(j, "rtol", 1e-4);
    KT_CHECK(params && outs && params->count <= KGRL_TASK_MAX_PARAMS, "%s: malformed", path);
    if (!params || !outs || params->count > KGRL_TASK_MAX_PARAMS) { kgrl_json_free(j); return; }
    kgrl_task_io io;
    memset(&io, 0, sizeof io);
    const kgrl_json *want[KGRL_TASK_MAX_PARAMS] = {0};
    for (int i = 0; i < params->count; i++) {
        const kgrl_json *p = &params->items[i];
        const char *kind = kgrl_json_string_or(p, "kind", ""), *name = kgrl_json_string_or(p, "name", "");
        if (!strcmp(kind, "input")) {
            const kgrl_json *data = kgrl_json_get(p, "data");
            int n = data ? data->count : 0;
            if (!strcmp(kgrl_json_string_or(p, "dtype", "f32"), "i64")) {
                long long *v = (long long *)kgrl_malloc((size_t)(n ? n : 1) * sizeof *v);
                for (int k = 0; k < n; k++) v[k] = (long long)data->items[k].number;
                io.ptr[i] = v;
            } else {
                float *v = (float *)kgrl_malloc((size_t)(n ? n : 1) * sizeof *v);
                for (int k = 0; k < n; k++) v[k] = (float)data->items[k].number;   // written from fp32 values: exact
                io.ptr[i] = v;
            }
        } else if (!strcmp(kind, "output")) {
            want[i] = kgrl_json_get(outs, name);
            int n = want[i] ? want[i]->count : 0;
            float *v = (float *)kgrl_malloc((size_t)(n ? n : 1) * sizeof *v);
            for (int k = 0; k < n; k++) v[k] = NAN;
            io.ptr[i] = v;
        } else if (!strcmp(kind, "size")) {
            io.ival[i] = kgrl_json_int_or(p, "value", 0);
        } else {
            io.dval[i] = kgrl_json_number_or(p, "value", 0);
            io.ival[i] = (int64_t)io.dval[i];
        }
    }
    fn(&io);
    for (int i = 0; i < params->count; i++) {
        if (!want[i]) continue;
        const float *got = (const float *)io.ptr[i];
        int bad = 0;
        for (int k = 0; k < want[i]->count && bad < 5; k++) {
            double w = want[i]->items[k].number;
            // the task's own tolerance: PyTorch's fp32 CPU result vs our fp64-accumulated reference at
            // smoke sizes differ by a few fp32 ulps, far inside it
            if (!(fabs(got[k] - w) <= atol + rtol * fabs(w))) {
                KT_CHECK(0, "L1/%d output %d [%d]: cpu_reference %.9g, PyTorch %.9g", number, i, k, got[k], w);
                bad++;
            }
        }
    }
    for (int i = 0; i < params->count; i++) kgrl_free(io.ptr[i]);
    kgrl_json_free(j);
}

static void test_cpu_references_vs_pytorch(void) {
    if (!kgrl_file_exists(FIXTURES "/L1_054.json")) {
        kt_skip("no fixtures: run tests/oracles/tasks_l1_054_100.py on a machine with torch");
        return;
    }
    int seen = 0;
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, FIXTURES "/L1_%03d.json", refs[i].number);
        KT_CHECK(kgrl_file_exists(path), "%s missing", path);
        check_fixture(refs[i].number, refs[i].fn);
        seen++;
    }
    KT_CHECK(seen == 47, "%d tasks", seen);
}

int main(void) {
    KT_RUN(test_cpu_references_vs_pytorch);
    return kt_finish();
}
