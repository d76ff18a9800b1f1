// The verifier's own device code (src/23_verifier.h).

// The correctness checks run here, on the GPU, so a candidate on a GB-sized task costs milliseconds
// per check instead of host copies and a CPU loop (src/23_verifier.h, kgrl_compare_gpu and
// kgrl_first_diff_gpu; CPU references: kgrl_compare_f32/kgrl_compare_ints, kgrl_guard_first_bad).

// Results of one comparison. max_abs_bits: the bits of a non-negative double, which order like
// unsigned integers, so atomicMax on them is a max on the doubles.
struct kgrl_cmp_out {
    unsigned long long nbad, nnonfinite, max_abs_bits, nnote;
    long long idx[8];
    double got[8], want[8];
};

__device__ void kgrl_cmp_note(kgrl_cmp_out* o, long long i, double g, double w) {
    if (*(volatile unsigned long long*)&o->nnote >= 8) return;
    unsigned long long slot = atomicAdd(&o->nnote, 1ull);
    if (slot < 8) { o->idx[slot] = i; o->got[slot] = g; o->want[slot] = w; }
}

// Sum a per-thread count over the warp; lane 0 adds it to *dst (one atomic per warp).
__device__ void kgrl_warp_add(unsigned long long* dst, unsigned long long v) {
    for (int s = 16; s > 0; s >>= 1) v += __shfl_down_sync(0xffffffffu, v, s);
    if ((threadIdx.x & 31) == 0 && v) atomicAdd(dst, v);
}

// got/want: n elements of `elem` (0 f32, 1 i64, 2 i32: kgrl_elem's order). Floats:
// |got - want| <= atol + rtol*|want| in double; where want is not finite, got must be the same
// (NaN, or the same infinity); NaN/Inf where want is finite is bad and counted apart. Ints: exact.
// The same rule as kgrl_compare_f32 / kgrl_compare_ints. Grid-stride; blockDim a multiple of 32.
extern "C" __global__ void kgrl_compare(const void* got, const void* want, long long n, int elem, double atol, double rtol,
                                        kgrl_cmp_out* o) {
    unsigned long long nbad = 0, nnonfinite = 0;
    double max_abs = 0.0;
    long long stride = (long long)gridDim.x * blockDim.x;
    // every lane runs the same trip count so the warp sums below see all 32 lanes
    for (long long base = (long long)blockIdx.x * blockDim.x; base < n; base += stride) {
        long long i = base + threadIdx.x;
        if (i >= n) continue;
        double g, w;
        bool ok;
        if (elem == 0) {
            g = ((const float*)got)[i]; w = ((const float*)want)[i];
            if (!isfinite(w)) ok = isnan(w) ? isnan(g) : (g == w);
            else if (!isfinite(g)) { ok = false; nnonfinite++; }
            else {
                double d = fabs(g - w);
                max_abs = fmax(max_abs, d);
                ok = d <= atol + rtol * fabs(w);
            }
        } else {
            long long a = elem == 1 ? ((const long long*)got)[i] : ((const int*)got)[i];
            long long b = elem == 1 ? ((const long long*)want)[i] : ((const int*)want)[i];
            g = (double)a; w = (double)b;
            ok = a == b;
            if (!ok) max_abs = fmax(max_abs, fabs(g - w));
        }
        if (!ok) { nbad++; kgrl_cmp_note(o, i, g, w); }
    }
    kgrl_warp_add(&o->nbad, nbad);
    kgrl_warp_add(&o->nnonfinite, nnonfinite);
    for (int s = 16; s > 0; s >>= 1) max_abs = fmax(max_abs, __shfl_down_sync(0xffffffffu, max_abs, s));
    if ((threadIdx.x & 31) == 0 && max_abs > 0.0)
        atomicMax(&o->max_abs_bits, (unsigned long long)__double_as_longlong(max_abs));
}

// The first byte index where a[0..n) differs from b[0..n), or from `pattern` when b is NULL, into
// *first (atomicMin; the caller sets it to ~0 first). 16 bytes per step where both are 16-byte
// aligned (cudaMalloc gives 256), bytes otherwise and for the tail.
extern "C" __global__ void kgrl_first_diff(const unsigned char* a, const unsigned char* b, unsigned int pattern, long long n,
                                           unsigned long long* first) {
    long long stride = (long long)gridDim.x * blockDim.x;
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    unsigned int p4 = 0x01010101u * (pattern & 0xffu);
    bool vec = ((unsigned long long)a % 16 == 0) && (b == 0 || (unsigned long long)b % 16 == 0);
    long long nvec = vec ? n / 16 : 0;
    for (long long v = t; v < nvec; v += stride) {
        uint4 x = ((const uint4*)a)[v];
        uint4 y = b ? ((const uint4*)b)[v] : make_uint4(p4, p4, p4, p4);
        if (x.x == y.x && x.y == y.y && x.z == y.z && x.w == y.w) continue;
        for (long long i = v * 16; i < v * 16 + 16; i++) {
            unsigned char want = b ? b[i] : (unsigned char)pattern;
            if (a[i] != want) { atomicMin(first, (unsigned long long)i); break; }
        }
        return;                                      // a later index of this thread cannot be smaller
    }
    for (long long i = nvec * 16 + t; i < n; i += stride) {
        unsigned char want = b ? b[i] : (unsigned char)pattern;
        if (a[i] != want) { atomicMin(first, (unsigned long long)i); return; }
    }
}
