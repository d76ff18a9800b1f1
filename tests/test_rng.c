// Philox4x32-10: known-answer vectors, statistics, stream independence, batch independence.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

static void test_known_answers(void) {
    // Known-answer vectors of Random123 (kat_vectors, philox4x32 with 10 rounds).
    kgrl_u32x4 a = kgrl_philox4x32_10(0, 0, 0, 0, 0, 0);
    KT_CHECK(a.v[0] == 0x6627e8d5u && a.v[1] == 0xe169c58du && a.v[2] == 0xbc57ac4cu && a.v[3] == 0x9b00dbd8u,
             "zero vector: %08x %08x %08x %08x", a.v[0], a.v[1], a.v[2], a.v[3]);
    kgrl_u32x4 b = kgrl_philox4x32_10(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
    KT_CHECK(b.v[0] == 0x408f276du && b.v[1] == 0x41c83b0eu && b.v[2] == 0xa20bc7c6u && b.v[3] == 0x6d5451fdu,
             "ones vector: %08x %08x %08x %08x", b.v[0], b.v[1], b.v[2], b.v[3]);
    kgrl_u32x4 c = kgrl_philox4x32_10(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
    KT_CHECK(c.v[0] == 0xd16cfe09u && c.v[1] == 0x94fdccebu && c.v[2] == 0x5001e420u && c.v[3] == 0x24126ea1u,
             "pi vector: %08x %08x %08x %08x", c.v[0], c.v[1], c.v[2], c.v[3]);
}

static void test_uniform_and_normal_moments(void) {
    int n = 1000000;
    double s = 0, s2 = 0, z = 0, z2 = 0, z4 = 0;
    float lo = 1, hi = 0;
    uint64_t st = kgrl_stream_id("test");
    for (int i = 0; i < n; i++) {
        float u = kgrl_uniform_at(7, st, (uint64_t)i);
        if (u < lo) lo = u;
        if (u > hi) hi = u;
        s += u; s2 += (double)u * u;
        double g = kgrl_normal_at(7, st, (uint64_t)i);
        z += g; z2 += g * g; z4 += g * g * g * g;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    // 5 standard errors: sd(U)/sqrt(n) = 0.289/1000 -> 0.0015; var of U^2 terms similar order.
    KT_CLOSE(mean, 0.5, 0.0015, 0, "uniform mean");
    KT_CLOSE(var, 1.0 / 12, 0.0015, 0, "uniform variance");
    KT_CHECK(lo >= 0.0f && hi < 1.0f, "uniform range [%g, %g]", lo, hi);
    KT_CLOSE(z / n, 0.0, 0.005, 0, "normal mean (5 standard errors of 1/1000)");
    KT_CLOSE(z2 / n, 1.0, 0.007, 0, "normal variance (5 s.e.: sqrt(2)/1000)");
    KT_CLOSE(z4 / n, 3.0, 0.05, 0, "normal 4th moment (5 s.e.: sqrt(96)/1000)");
}

static void test_streams_and_positions(void) {
    // The value at (key, stream, i) is a pure function: drawing sequentially gives the same values,
    // whatever else was drawn before (batch independence), and streams/keys differ.
    uint64_t sa = kgrl_stream_id("sampling"), sb = kgrl_stream_id("lora_init");
    KT_CHECK(sa != sb, "distinct purposes give distinct streams");
    KT_CHECK(kgrl_stream_mix(sa, 1) != kgrl_stream_mix(sa, 2), "mixing item ids");
    kgrl_rng r = kgrl_rng_make(42, sa);
    int same_as_other_stream = 0, same_as_other_key = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        uint32_t x = kgrl_rng_u32(&r);
        KT_CHECK(x == kgrl_u32_at(42, sa, i), "sequential draw %d equals the indexed one", (int)i);
        same_as_other_stream += x == kgrl_u32_at(42, sb, i);
        same_as_other_key += x == kgrl_u32_at(43, sa, i);
    }
    KT_CHECK(same_as_other_stream < 3 && same_as_other_key < 3, "streams and keys are unrelated (%d, %d collisions)",
             same_as_other_stream, same_as_other_key);
}

static void test_below_is_unbiased(void) {
    // chi-square over 7 bins, 70000 draws: df = 6, the 99.9% quantile is 22.46
    kgrl_rng r = kgrl_rng_make(3, kgrl_stream_id("below"));
    int bins[7] = {0};
    for (int i = 0; i < 70000; i++) bins[kgrl_rng_below(&r, 7)]++;
    double chi2 = 0;
    for (int b = 0; b < 7; b++) chi2 += (bins[b] - 10000.0) * (bins[b] - 10000.0) / 10000.0;
    KT_CHECK(chi2 < 22.46, "chi-square %.2f over 7 bins", chi2);
    KT_CHECK(kgrl_rng_below(&r, 1) == 0 && kgrl_rng_below(&r, 0) == 0, "degenerate ranges");
}

int main(void) {
    KT_RUN(test_known_answers);
    KT_RUN(test_uniform_and_normal_moments);
    KT_RUN(test_streams_and_positions);
    KT_RUN(test_below_is_unbiased);
    return kt_finish();
}
