// Randomness: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11),
// a counter-based generator. The value at (key, stream, index) is a pure function, so the CPU and
// the GPU (kernels/philox.cuh implements the same function) produce identical streams, and a
// sequence's samples never depend on the batch around it.
//
// Conventions used everywhere in the kit:
//   key    = the run's seed
//   stream = kgrl_stream_id("purpose") (data order, sampling, lora init, verifier inputs, ...),
//            optionally mixed with a per-item id via kgrl_stream_mix
//   index  = element or draw number
// Element i of a uniform fill is kgrl_uniform_at(key, stream, i); nothing else is consumed.

typedef struct kgrl_u32x4 { uint32_t v[4]; } kgrl_u32x4;
// One Philox4x32-10 block: counter (c0..c3) under key (k0, k1).
KGRL_API kgrl_u32x4 kgrl_philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1);

// Stream ids derived from a purpose string (FNV-1a 64 of the text), and mixing in an item id.
KGRL_API uint64_t kgrl_stream_id(const char *purpose);
KGRL_API uint64_t kgrl_stream_mix(uint64_t stream, uint64_t item);

// Pure functions of (key, stream, index):
//   uniform in [0, 1) with 24 random bits;  normal N(0, 1) by Box-Muller on one block.
KGRL_API uint32_t kgrl_u32_at(uint64_t key, uint64_t stream, uint64_t index);
KGRL_API float kgrl_uniform_at(uint64_t key, uint64_t stream, uint64_t index);
KGRL_API float kgrl_normal_at(uint64_t key, uint64_t stream, uint64_t index);

// A sequential generator over the same function, for CPU loops that draw one value at a time.
typedef struct kgrl_rng { uint64_t key, stream, index; } kgrl_rng;
KGRL_API kgrl_rng kgrl_rng_make(uint64_t key, uint64_t stream);
KGRL_API uint32_t kgrl_rng_u32(kgrl_rng *r);
KGRL_API float kgrl_rng_uniform(kgrl_rng *r);                   // [0, 1)
KGRL_API float kgrl_rng_normal(kgrl_rng *r);
KGRL_API uint32_t kgrl_rng_below(kgrl_rng *r, uint32_t n);      // uniform in [0, n), unbiased

// kgrl:implementation

kgrl_u32x4 kgrl_philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
    // round constants from the Random123 paper
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)M0 * c0, p1 = (uint64_t)M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += W0; k1 += W1;
    }
    kgrl_u32x4 r = {{c0, c1, c2, c3}};
    return r;
}

uint64_t kgrl_stream_id(const char *purpose) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)purpose; *p; p++) { h ^= *p; h *= 0x100000001b3ull; }
    return h;
}

uint64_t kgrl_stream_mix(uint64_t stream, uint64_t item) {
    // splitmix64 finalizer over the pair: distinct items give unrelated streams
    uint64_t z = stream ^ (item + 0x9E3779B97F4A7C15ull + (stream << 6) + (stream >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Block for draw `index`: counter = (index/4 lo, index/4 hi, stream lo, stream hi), key = seed.
static kgrl_u32x4 kgrl__philox_block(uint64_t key, uint64_t stream, uint64_t block) {
    return kgrl_philox4x32_10((uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream,
                              (uint32_t)(stream >> 32), (uint32_t)key, (uint32_t)(key >> 32));
}

uint32_t kgrl_u32_at(uint64_t key, uint64_t stream, uint64_t index) {
    return kgrl__philox_block(key, stream, index >> 2).v[index & 3];
}

float kgrl_uniform_at(uint64_t key, uint64_t stream, uint64_t index) {
    return (float)(kgrl_u32_at(key, stream, index) >> 8) * (1.0f / 16777216.0f);
}

float kgrl_normal_at(uint64_t key, uint64_t stream, uint64_t index) {
    // one block per normal: u1 in (0, 1] from v[0], u2 in [0, 1) from v[1]; computed in double and
    // rounded once so CPU and GPU (which also computes in double) agree bit for bit
    kgrl_u32x4 b = kgrl__philox_block(key, stream, index);
    double u1 = ((double)(b.v[0] >> 8) + 1.0) * (1.0 / 16777216.0);
    double u2 = (double)(b.v[1] >> 8) * (1.0 / 16777216.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

kgrl_rng kgrl_rng_make(uint64_t key, uint64_t stream) { kgrl_rng r = {key, stream, 0}; return r; }
uint32_t kgrl_rng_u32(kgrl_rng *r) { return kgrl_u32_at(r->key, r->stream, r->index++); }
float kgrl_rng_uniform(kgrl_rng *r) { return kgrl_uniform_at(r->key, r->stream, r->index++); }
float kgrl_rng_normal(kgrl_rng *r) { return kgrl_normal_at(r->key, r->stream, r->index++); }
uint32_t kgrl_rng_below(kgrl_rng *r, uint32_t n) {
    if (n <= 1) return 0;
    uint32_t limit = (uint32_t)(0x100000000ull - (0x100000000ull % n)); // reject the biased tail
    for (;;) {
        uint32_t x = kgrl_rng_u32(r);
        if (limit == 0 || x < limit) return x % n;
    }
}
