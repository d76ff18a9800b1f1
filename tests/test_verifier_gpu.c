// GPU tests of the verifier (src/23_verifier.h): the whole funnel on the verifier's own tasks
// (tests/vtasks), the adversarial suite (tests/adversarial/<task>__<name>.cu, expected status on
// each file's first line, `|` between acceptable ones), worker replacement after a fault, the
// watchdog's time limit, and the caller's CUDA context surviving a faulting candidate.
// Skips without a GPU (CI); the lead runs it on the GPU machine:
//   ./build.sh amalgamate && ./build.sh test_verifier_gpu && ./test_verifier_gpu
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"
#include <dirent.h>

#define NVT 5
static const char *const vt_dirs[NVT] = {"tests/vtasks/level9/001_VectorAdd", "tests/vtasks/level9/002_ReLU",
                                          "tests/vtasks/level9/003_RowSoftmax", "tests/vtasks/level9/004_SmallMatmul",
                                          "tests/vtasks/level9/005_SumReduction"};
static const char *const vt_short[NVT] = {"add", "relu", "softmax", "matmul", "sum"};   // adversarial file prefixes
static kgrl_task vt[NVT];
static bool have_gpu;
static char cache_dir[256];

static bool setup(void) {
    kgrl_ctx_desc cd;
    memset(&cd, 0, sizeof cd);
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    have_gpu = ctx->has_gpu;
    kgrl_ctx_destroy(ctx);
    for (int i = 0; i < NVT; i++) {
        kgrl_err err;
        if (!kgrl_task_load(vt_dirs[i], &vt[i], &err)) { fprintf(stderr, "%s\n", err.msg); return false; }
    }
    snprintf(cache_dir, sizeof cache_dir, "build/test_verifier_gpu_cache");
    return true;
}

static kgrl_verifier *make_pool(int workers_per_gpu) {
    kgrl_verifier_desc d;
    memset(&d, 0, sizeof d);
    d.seed = 1234;
    d.workers_per_gpu = workers_per_gpu;
    d.max_gpus = 1;                                  // timings below assume one GPU's pool
    d.run_timeout_s = 1.0;
    d.compile_timeout_s = 5.0;
    d.cache_dir = cache_dir;
    d.logger.min_level = KGRL_LOG_WARN;
    return kgrl_verifier_create(&d);
}

static bool status_in(kgrl_status s, const char *alternatives) {
    char padded[200], key[64];
    snprintf(padded, sizeof padded, "|%.150s|", alternatives);
    snprintf(key, sizeof key, "|%.40s|", kgrl_status_name(s));
    return strstr(padded, key) != NULL;
}

// The GPU checks against their CPU references (kgrl_compare_f32/_ints, kgrl_guard_first_bad, memcmp):
// the same counts and max |diff| on data with NaN, infinities and near-tolerance values, and the
// same first differing byte, including unaligned starts and tails.
static void test_gpu_checks_match_cpu(void) {
    if (!have_gpu) { kt_skip("no CUDA device"); return; }
    kgrl_ctx_desc cd;
    memset(&cd, 0, sizeof cd);
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    const int64_t n = 1000003;                       // odd: exercises the tails
    float *got = (float *)kgrl_malloc(n * sizeof(float)), *want = (float *)kgrl_malloc(n * sizeof(float));
    kgrl_rng rng = kgrl_rng_make(7, 0);
    for (int64_t i = 0; i < n; i++) {
        want[i] = kgrl_rng_normal(&rng);
        got[i] = want[i] + 1e-4f * kgrl_rng_normal(&rng);   // straddles atol + rtol|want| = 1e-4(1+|w|)
    }
    got[5] = NAN; got[77] = INFINITY; want[99] = NAN; got[99] = NAN; want[100] = NAN; got[100] = 1.0f;
    want[200] = -INFINITY; got[200] = -INFINITY; want[201] = INFINITY; got[201] = -INFINITY;
    void *dg, *dw;
    KGRL_CUDA_CHECK(cudaMalloc(&dg, n * sizeof(float)));
    KGRL_CUDA_CHECK(cudaMalloc(&dw, n * sizeof(float)));
    KGRL_CUDA_CHECK(cudaMemcpy(dg, got, n * sizeof(float), cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaMemcpy(dw, want, n * sizeof(float), cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaDeviceSynchronize());        // pageable H2D may land after return; the kit's stream is non-blocking
    kgrl_compare c_cpu, c_gpu;
    kgrl_compare_f32(got, want, n, 1e-4, 1e-4, &c_cpu);
    kgrl_compare_gpu(ctx, dg, dw, n, KGRL_ELEM_F32, 1e-4, 1e-4, &c_gpu);
    KT_CHECK(c_cpu.nbad > 1000 && c_cpu.nbad < n / 2, "the data straddles the tolerance (%lld bad)", (long long)c_cpu.nbad);
    KT_CHECK(c_gpu.nbad == c_cpu.nbad && c_gpu.nnonfinite == c_cpu.nnonfinite, "counts: gpu %lld/%lld cpu %lld/%lld",
             (long long)c_gpu.nbad, (long long)c_gpu.nnonfinite, (long long)c_cpu.nbad, (long long)c_cpu.nnonfinite);
    KT_CHECK(c_gpu.max_abs == c_cpu.max_abs, "max |diff| gpu %.9g cpu %.9g", c_gpu.max_abs, c_cpu.max_abs);  // same doubles, same max
    KT_CHECK(c_gpu.nshow == 8, "8 mismatches shown");
    for (int i = 0; i < c_gpu.nshow; i++) {
        int64_t j = c_gpu.idx[i];
        kgrl_compare one;
        kgrl_compare_f32(got + j, want + j, 1, 1e-4, 1e-4, &one);
        KT_CHECK(one.nbad == 1 && (i == 0 || c_gpu.idx[i - 1] < j), "shown mismatch %lld is a mismatch, sorted", (long long)j);
    }
    kgrl_compare_gpu(ctx, dw, dw, n, KGRL_ELEM_F32, 0, 0, &c_gpu);
    KT_CHECK(c_gpu.nbad == 0 && c_gpu.nshow == 0, "equal arrays compare clean");
    int64_t ia[5] = {1, -2, 3, 1LL << 40, 5}, ib[5] = {1, -2, 4, 1LL << 40, 6};
    KGRL_CUDA_CHECK(cudaMemcpy(dg, ia, sizeof ia, cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaMemcpy(dw, ib, sizeof ib, cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaDeviceSynchronize());
    kgrl_compare_ints(ia, ib, 5, KGRL_ELEM_I64, &c_cpu);
    kgrl_compare_gpu(ctx, dg, dw, 5, KGRL_ELEM_I64, 0, 0, &c_gpu);
    KT_CHECK(c_gpu.nbad == 2 && c_cpu.nbad == 2 && c_gpu.max_abs == c_cpu.max_abs && c_gpu.idx[0] == 2 && c_gpu.idx[1] == 4, "i64 compare");
    // first differing byte: equal buffers, one flipped byte at several places, unaligned views
    KGRL_CUDA_CHECK(cudaMemcpy(dg, want, n * sizeof(float), cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaMemcpy(dw, want, n * sizeof(float), cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaDeviceSynchronize());
    size_t nb = (size_t)n * sizeof(float);
    KT_CHECK(kgrl_first_diff_gpu(ctx, dg, dw, 0, nb) == -1, "equal buffers");
    const size_t at[4] = {0, 17, nb / 2 + 3, nb - 1};
    for (int k = 0; k < 4; k++) {
        unsigned char b = 0;
        KGRL_CUDA_CHECK(cudaMemcpy(&b, (char *)dg + at[k], 1, cudaMemcpyDeviceToHost));
        b ^= 0x10;
        KGRL_CUDA_CHECK(cudaMemcpy((char *)dg + at[k], &b, 1, cudaMemcpyHostToDevice));
        KGRL_CUDA_CHECK(cudaDeviceSynchronize());
        KT_CHECK(kgrl_first_diff_gpu(ctx, dg, dw, 0, nb) == (int64_t)at[0], "first diff with flips up to %zu", at[k]);
        KT_CHECK(kgrl_first_diff_gpu(ctx, (char *)dg + 1, (char *)dw + 1, 0, nb - 1) == (k == 0 ? -1 : (int64_t)at[1] - 1),
                 "unaligned view");
    }
    unsigned char guard[4096 + 5];
    memset(guard, kgrl_guard_byte(0), sizeof guard);
    guard[4000] = 0;
    KGRL_CUDA_CHECK(cudaMemcpy(dg, guard, sizeof guard, cudaMemcpyHostToDevice));
    KGRL_CUDA_CHECK(cudaDeviceSynchronize());
    KT_CHECK(kgrl_first_diff_gpu(ctx, dg, NULL, kgrl_guard_byte(0), sizeof guard) == kgrl_guard_first_bad(guard, sizeof guard, kgrl_guard_byte(0)),
             "pattern mode equals kgrl_guard_first_bad");
    KGRL_CUDA_CHECK(cudaFree(dg));
    KGRL_CUDA_CHECK(cudaFree(dw));
    kgrl_free(got); kgrl_free(want);
    kgrl_ctx_destroy(ctx);
}

// The references themselves as candidates (the matmul one calls a builtin, so the tiled solution
// stands in): everything passes, and a kernel timed against itself is ~1x.
static void test_funnel_vtasks(void) {
    if (!have_gpu) { kt_skip("no CUDA device"); return; }
    char *texts[NVT];
    kgrl_verify_job jobs[NVT];
    for (int i = 0; i < NVT; i++) {
        char p[300];
        if (i == 3) snprintf(p, sizeof p, "tests/adversarial/matmul__ok_tiled.cu");
        else snprintf(p, sizeof p, "%s/reference.cu", vt_dirs[i]);
        texts[i] = kgrl_read_file(p, NULL, NULL);
        KT_CHECK(texts[i], "read %s", p);
        if (!texts[i]) return;
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].task = &vt[i];
        jobs[i].completion = texts[i];
    }
    kgrl_verifier *v = make_pool(4);
    kgrl_record r[NVT];
    kgrl_verify_batch(v, jobs, NVT, r);
    for (int i = 0; i < NVT; i++) {
        KT_CHECK(r[i].status == KGRL_STATUS_OK, "%s: %s (%s)", vt[i].id, kgrl_status_name(r[i].status), r[i].message);
        KT_CHECK(r[i].compiled && r[i].correct, "%s: compiled and correct", vt[i].id);
        for (int s = 0; s < KGRL_STAGE_COUNT; s++)
            KT_CHECK(r[i].stages[s].outcome == KGRL_OUTCOME_PASS, "%s: stage %s %s", vt[i].id, kgrl_stage_name((kgrl_stage)s),
                     kgrl_outcome_name(r[i].stages[s].outcome));
        KT_CHECK(r[i].trials >= 10 && r[i].trials <= 200, "%s: %d trials", vt[i].id, r[i].trials);
        KT_CHECK(r[i].flags & KGRL_FLAG_TIMED_CHECKED, "%s: timed outputs checked", vt[i].id);
        KT_CHECK(r[i].t_ref_ms > 0 && r[i].t_cand_ms > 0 && isfinite(r[i].cv), "%s: times", vt[i].id);
        KT_CHECK(r[i].floor_ms > 0 && r[i].t_cand_ms > r[i].floor_ms, "%s: above the physical floor (%g > %g)", vt[i].id,
                 r[i].t_cand_ms, r[i].floor_ms);
        if (i != 3)   // same kernel both sides: interleaved medians agree within ±20% (event noise on ~0.1-1 ms kernels)
            KT_CHECK(r[i].speedup > 0.8 && r[i].speedup < 1.25, "%s: self speedup %.3f", vt[i].id, r[i].speedup);
        else
            KT_CHECK(r[i].speedup < 1.0, "tiled matmul slower than cuBLAS: %.3f", r[i].speedup);
        printf("  %s: ref %.4f ms cand %.4f ms speedup %.3f cv %.3f trials %d total %.0f ms\n", vt[i].id, r[i].t_ref_ms,
               r[i].t_cand_ms, r[i].speedup, r[i].cv, r[i].trials, r[i].total_ms);
    }
    // again: reference outputs now come from the disk cache, cubins too
    kgrl_record r2[NVT];
    kgrl_verify_batch(v, jobs, NVT, r2);
    for (int i = 0; i < NVT; i++) {
        KT_CHECK(r2[i].status == KGRL_STATUS_OK, "%s again: %s", vt[i].id, r2[i].message);
        KT_CHECK((r2[i].flags & KGRL_FLAG_REF_CACHED) && (r2[i].flags & KGRL_FLAG_CUBIN_CACHED), "%s: caches hit", vt[i].id);
    }
    kgrl_verifier_destroy(v);
    for (int i = 0; i < NVT; i++) kgrl_free(texts[i]);
}

// Every tests/adversarial/*.cu in one batch; each must get one of its expected statuses.
static void test_adversarial_suite(void) {
    if (!have_gpu) { kt_skip("no CUDA device"); return; }
    DIR *d = opendir("tests/adversarial");
    KT_CHECK(d, "tests/adversarial exists");
    if (!d) return;
    char names[64][128], expect[64][128];
    char *texts[64];
    kgrl_verify_job jobs[64];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 64;) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".cu")) continue;
        const char *sep = strstr(e->d_name, "__");
        int t = -1;
        for (int k = 0; sep && k < NVT; k++)
            if ((size_t)(sep - e->d_name) == strlen(vt_short[k]) && !strncmp(e->d_name, vt_short[k], strlen(vt_short[k]))) t = k;
        KT_CHECK(t >= 0, "%s: name must be <add|relu|softmax|matmul|sum>__<name>.cu", e->d_name);
        if (t < 0) continue;
        char p[400];
        snprintf(p, sizeof p, "tests/adversarial/%s", e->d_name);
        texts[n] = kgrl_read_file(p, NULL, NULL);
        KT_CHECK(texts[n], "read %s", p);
        if (!texts[n]) continue;
        expect[n][0] = 0;
        KT_CHECK(sscanf(texts[n], "// expect: %127s", expect[n]) == 1, "%s: first line must be // expect: STATUS", e->d_name);
        snprintf(names[n], sizeof names[n], "%s", e->d_name);
        memset(&jobs[n], 0, sizeof jobs[n]);
        jobs[n].task = &vt[t];
        jobs[n].completion = texts[n];
        n++;
    }
    closedir(d);
    KT_CHECK(n >= 25, "the suite has %d files", n);
    kgrl_verifier *v = make_pool(4);
    kgrl_record *r = (kgrl_record *)kgrl_calloc((size_t)n, sizeof *r);
    double t0 = kgrl_now_s();
    kgrl_verify_batch(v, jobs, n, r);
    double wall = kgrl_now_s() - t0;
    for (int i = 0; i < n; i++) {
        KT_CHECK(status_in(r[i].status, expect[i]), "%s: got %s, want %s — %s", names[i], kgrl_status_name(r[i].status),
                 expect[i], r[i].message);
        printf("  %-40s %-16s %-11s %8.0f ms  %s\n", names[i], kgrl_status_name(r[i].status), kgrl_stage_name(r[i].stage),
               r[i].total_ms, r[i].message);
        if (strstr(names[i], "spin_forever")) {
            // the watchdog: run limit 1 s; the kill and reap add little. 2 s is the budget (brief)
            double ms = r[i].stages[r[i].stage].ms;
            KT_CHECK(ms < 2000.0, "spin: the hang cost %.0f ms in its stage", ms);
            KT_CHECK(r[i].flags & KGRL_FLAG_WORKER_REPLACED, "spin: worker replaced");
        }
        if (strstr(names[i], "oob_write") && r[i].status == KGRL_STATUS_WRONG_OUTPUT)
            KT_CHECK(r[i].flags & KGRL_FLAG_OOB_WRITE, "oob write flagged");
    }
    printf("  %d adversarial candidates in %.1f s (%d worker starts)\n", n, wall, kgrl_verifier_worker_starts(v));
    kgrl_verifier_destroy(v);
    for (int i = 0; i < n; i++) kgrl_free(texts[i]);
    kgrl_free(r);
}

// One worker: a fault kills its context; the next candidate on the same pool must still be fine,
// and the caller's own CUDA context (in this process) is untouched.
static void test_fault_isolation(void) {
    if (!have_gpu) { kt_skip("no CUDA device"); return; }
    kgrl_ctx_desc cd;
    memset(&cd, 0, sizeof cd);
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    float *mine = NULL;
    KGRL_CUDA_CHECK(cudaMalloc((void **)&mine, 1 << 20));
    KGRL_CUDA_CHECK(cudaMemsetAsync(mine, 0, 1 << 20, ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    char *fault = kgrl_read_file("tests/adversarial/add__fault.cu", NULL, NULL);
    char *spin = kgrl_read_file("tests/adversarial/add__spin_forever.cu", NULL, NULL);
    char *good = kgrl_read_file("tests/vtasks/level9/001_VectorAdd/reference.cu", NULL, NULL);
    KT_CHECK(fault && spin && good, "read candidates");
    if (!fault || !spin || !good) return;
    kgrl_verify_job jobs[4];
    memset(jobs, 0, sizeof jobs);
    const char *order[4] = {fault, good, spin, good};
    for (int i = 0; i < 4; i++) { jobs[i].task = &vt[0]; jobs[i].completion = order[i]; }
    kgrl_verifier *v = make_pool(1);
    int starts0 = kgrl_verifier_worker_starts(v);
    kgrl_record r[4];
    kgrl_verify_batch(v, jobs, 4, r);
    KT_CHECK(r[0].status == KGRL_STATUS_RUNTIME_FAULT, "fault: %s (%s)", kgrl_status_name(r[0].status), r[0].message);
    KT_CHECK(r[1].status == KGRL_STATUS_OK, "after the fault: %s (%s)", kgrl_status_name(r[1].status), r[1].message);
    KT_CHECK(r[2].status == KGRL_STATUS_TIMEOUT, "spin: %s (%s)", kgrl_status_name(r[2].status), r[2].message);
    KT_CHECK(r[3].status == KGRL_STATUS_OK, "after the hang: %s (%s)", kgrl_status_name(r[3].status), r[3].message);
    KT_CHECK(kgrl_verifier_worker_starts(v) >= starts0 + 2, "workers replaced (%d starts)", kgrl_verifier_worker_starts(v));
    kgrl_verifier_destroy(v);
    // the caller's context still works
    KT_CHECK(cudaGetLastError() == cudaSuccess, "no error pending in the caller");
    KT_CHECK(cudaMemsetAsync(mine, 1, 1 << 20, ctx->stream) == cudaSuccess, "caller memset");
    KT_CHECK(cudaStreamSynchronize(ctx->stream) == cudaSuccess, "caller sync");
    unsigned char h[16];
    KT_CHECK(cudaMemcpy(h, mine, sizeof h, cudaMemcpyDeviceToHost) == cudaSuccess && h[0] == 1 && h[15] == 1, "caller data");
    KGRL_CUDA_CHECK(cudaFree(mine));
    kgrl_ctx_destroy(ctx);
    kgrl_free(fault); kgrl_free(spin); kgrl_free(good);
}

// The harness's own allocation running out of GPU memory (another process filled the GPU) is not the
// candidate's fault: the job runs again on a fresh worker, and when that fails too the record carries
// the flag infra_error and says how full the GPU was. VectorAdd with n = 2^28 (1 GiB a tensor) needs
// ~5 GiB of harness buffers in the main stage; this process leaves 3 GiB free, room for a fresh
// worker's context (a few hundred MiB) but not for those buffers. Then it frees them: the same job is ok.
static void test_harness_oom(void) {
    if (!have_gpu) { kt_skip("no CUDA device"); return; }
    char dir[] = "/tmp/kgrl_oom_XXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    kgrl_task big = vt[0];
    for (int i = 0; i < big.nparams; i++) if (!strcmp(big.params[i].name, "n")) big.params[i].value = 1 << 28;
    kgrl_err err = KGRL_ZERO;
    kgrl_task t;
    KT_CHECK(kgrl_task_save(&big, dir, &err) && kgrl_task_load(dir, &t, &err), "big task: %s", err.msg);
    char *good = kgrl_read_file("tests/vtasks/level9/001_VectorAdd/reference.cu", NULL, NULL);
    kgrl_verifier *v = make_pool(1);
    kgrl_verify_job job;
    memset(&job, 0, sizeof job);
    job.task = &t; job.completion = good;
    kgrl_record r;
    kgrl_verify_batch(v, &job, 1, &r);   // the worker's context exists before the GPU fills
    KT_CHECK(r.status == KGRL_STATUS_OK, "before: %s (%s)", kgrl_status_name(r.status), r.message);
    void *fill[256];
    int nfill = 0;
    size_t free_b = 0, total_b = 0, leave = (size_t)3 << 30, chunk = (size_t)1 << 30;
    while (nfill < 256 && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess && free_b > leave + (64 << 20)) {
        size_t want = free_b - leave < chunk ? free_b - leave : chunk;
        if (cudaMalloc(&fill[nfill], want) != cudaSuccess) { (void)cudaGetLastError(); break; }
        nfill++;
    }
    int starts0 = kgrl_verifier_worker_starts(v);
    kgrl_verify_batch(v, &job, 1, &r);
    KT_CHECK((r.flags & KGRL_FLAG_INFRA_ERROR) && strstr(r.message, "GPU free"), "full GPU: %s, flags %#x (%s)",
             kgrl_status_name(r.status), r.flags, r.message);
    KT_CHECK(kgrl_verifier_worker_starts(v) >= starts0 + 2, "the job ran on a second worker (%d starts)", kgrl_verifier_worker_starts(v) - starts0);
    for (int i = 0; i < nfill; i++) KGRL_CUDA_CHECK(cudaFree(fill[i]));
    kgrl_verify_batch(v, &job, 1, &r);
    KT_CHECK(r.status == KGRL_STATUS_OK && !(r.flags & KGRL_FLAG_INFRA_ERROR), "after: %s (%s)", kgrl_status_name(r.status), r.message);
    kgrl_verifier_destroy(v);
    kgrl_task_free(&t);
    kgrl_free(good);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    KT_CHECK(system(cmd) == 0, "%s", cmd);
}

int main(void) {
    if (!setup()) { printf("0 passed, 1 failed, 0 skipped\n"); return 1; }
    KT_RUN(test_gpu_checks_match_cpu);
    KT_RUN(test_funnel_vtasks);
    KT_RUN(test_adversarial_suite);
    KT_RUN(test_fault_isolation);
    KT_RUN(test_harness_oom);
    for (int i = 0; i < NVT; i++) kgrl_task_free(&vt[i]);
    return kt_finish();
}
