// kt.h — the tests' tiny harness (not part of kgrl.h).
//
//   #define KGRL_IMPLEMENTATION
//   #include "kgrl.h"
//   #include "tests/kt.h"
//   static void test_something(void) { KT_CHECK(1 + 1 == 2, "arithmetic"); }
//   int main(void) { KT_RUN(test_something); return kt_finish(); }
//
// A case passes when none of its checks failed, fails on the first failed check (the case goes
// on, so every failure prints), and is skipped when it calls kt_skip() before failing. The last
// line printed is "N passed, N failed, N skipped"; the exit code is 1 on any failure.
#ifndef KT_H
#define KT_H
#include <stdio.h>
#include <math.h>

typedef struct { int passed, failed, skipped; int case_failed, case_skipped; const char *case_name; } kt_state_t;
static kt_state_t kt_state;

#define KT_CHECK(cond, ...) do { \
    if (!(cond)) { \
        kt_state.case_failed = 1; \
        fprintf(stderr, "  FAIL %s:%d (%s): ", __FILE__, __LINE__, kt_state.case_name); \
        fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); \
    } } while (0)

// |got - want| <= atol + rtol*|want|, with NaN failing unless both are NaN
#define KT_CLOSE(got, want, atol, rtol, ...) do { \
    double kt_g = (double)(got), kt_w = (double)(want); \
    int kt_ok = (isnan(kt_g) && isnan(kt_w)) || fabs(kt_g - kt_w) <= (atol) + (rtol) * fabs(kt_w); \
    if (!kt_ok) { \
        kt_state.case_failed = 1; \
        fprintf(stderr, "  FAIL %s:%d (%s): got %.9g want %.9g: ", __FILE__, __LINE__, kt_state.case_name, kt_g, kt_w); \
        fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); \
    } } while (0)

static void kt_skip(const char *why) {
    if (!kt_state.case_failed) { kt_state.case_skipped = 1; fprintf(stderr, "  skip %s: %s\n", kt_state.case_name, why); }
}

#define KT_RUN(fn) kt_run_case(#fn, fn)
static void kt_run_case(const char *name, void (*fn)(void)) {
    kt_state.case_failed = 0; kt_state.case_skipped = 0; kt_state.case_name = name;
    fn();
    if (kt_state.case_failed) { kt_state.failed++; printf("not ok %s\n", name); }
    else if (kt_state.case_skipped) { kt_state.skipped++; printf("skip   %s\n", name); }
    else { kt_state.passed++; printf("ok     %s\n", name); }
    fflush(stdout);
}

static int kt_finish(void) {
    printf("%d passed, %d failed, %d skipped\n", kt_state.passed, kt_state.failed, kt_state.skipped);
    return kt_state.failed ? 1 : 0;
}
#endif
