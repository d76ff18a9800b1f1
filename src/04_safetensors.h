// safetensors: reader (mmap; one file, or a directory with model.safetensors or a sharded
// model.safetensors.index.json) and writer. Format: 8-byte little-endian header length N, N bytes
// of JSON {"name": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, "__metadata__":
// {...}}, then the data. Offsets are relative to the end of the header.

typedef enum kgrl_dtype {
    KGRL_DTYPE_F32, KGRL_DTYPE_F16, KGRL_DTYPE_BF16, KGRL_DTYPE_F64,
    KGRL_DTYPE_I64, KGRL_DTYPE_I32, KGRL_DTYPE_I16, KGRL_DTYPE_I8, KGRL_DTYPE_U8, KGRL_DTYPE_BOOL,
    KGRL_DTYPE_COUNT
} kgrl_dtype;
KGRL_API size_t kgrl_dtype_size(kgrl_dtype t);
KGRL_API const char *kgrl_dtype_name(kgrl_dtype t);                  // "F32", "BF16", ...
KGRL_API bool kgrl_dtype_from_name(const char *name, kgrl_dtype *out);

#define KGRL_MAX_DIMS 8
typedef struct kgrl_tensor_view {
    const char *name;              // owned by the container
    kgrl_dtype dtype;
    int ndim;
    int64_t shape[KGRL_MAX_DIMS];
    const void *data;              // points into the mapping (read-only) or the caller's memory
    size_t nbytes;                 // = numel * dtype size
} kgrl_tensor_view;
KGRL_API int64_t kgrl_tensor_numel(const kgrl_tensor_view *t);

typedef struct kgrl_safetensors kgrl_safetensors; // one or more mmapped files
// `path` is a .safetensors file, or a directory holding model.safetensors.index.json (sharded;
// preferred when both exist) or model.safetensors. Every check fails with a clear err naming the
// file, never a crash: truncated files, header length beyond the file or above
// KGRL_ST_MAX_HEADER, bad JSON, a header that is not an object, unknown dtype, negative dims or
// numel overflow, data_offsets not [begin, end] with begin <= end, offsets beyond the data,
// size != numel * dtype size, overlapping tensors, duplicate names across shards, a shard named in
// the index that is missing, a weight_map entry whose shard lacks the tensor. Like the reference
// implementation, the tensors must tile the data region exactly: holes between tensors and bytes
// after the last one are errors too. `__metadata__` must be an object of strings. Tensors are
// listed shard by shard (shards in order of first mention in the weight_map), each shard's in
// header order; a tensor in a shard but absent from the weight_map is accepted. For a sharded
// model kgrl_st_metadata is the first shard's `__metadata__`.
#define KGRL_ST_MAX_HEADER 100000000
KGRL_API kgrl_safetensors *kgrl_st_open(const char *path, kgrl_err *err);
KGRL_API void kgrl_st_close(kgrl_safetensors *st);
KGRL_API int kgrl_st_count(const kgrl_safetensors *st);
KGRL_API const kgrl_tensor_view *kgrl_st_tensor(const kgrl_safetensors *st, int i);
KGRL_API const kgrl_tensor_view *kgrl_st_find(const kgrl_safetensors *st, const char *name); // NULL if absent
KGRL_API const kgrl_json *kgrl_st_metadata(const kgrl_safetensors *st);  // "__metadata__" or NULL
// Parse a safetensors image already in memory (the fuzz target and tests use it). The views point
// into `bytes`, which must outlive the result.
KGRL_API kgrl_safetensors *kgrl_st_open_memory(const void *bytes, size_t len, kgrl_err *err);

// Convert any float or integer tensor to fp32 (dst has numel floats). bf16/fp16 conversions are exact.
KGRL_API void kgrl_tensor_to_f32(const kgrl_tensor_view *t, float *dst);
KGRL_API float kgrl_bf16_to_f32(uint16_t h);
KGRL_API uint16_t kgrl_f32_to_bf16(float f);   // round to nearest even; NaN stays NaN
KGRL_API float kgrl_f16_to_f32(uint16_t h);
KGRL_API uint16_t kgrl_f32_to_f16(float f);    // round to nearest even; overflow to inf

// Write tensors (views whose data is in host memory) to one file, atomically (temp + fsync +
// rename). Tensors are written in the given order, data packed back to back; the header is padded
// with spaces to a multiple of 8 bytes (as the reference implementation does, so data starts
// 8-aligned). metadata_json is a JSON object of string values or NULL. Bad views (duplicate or
// reserved names, nbytes != numel * dtype size, ...) return false with err.
KGRL_API bool kgrl_st_write(const char *path, const kgrl_tensor_view *tensors, int n,
                            const char *metadata_json, kgrl_err *err);

// kgrl:implementation

static const char *const kgrl__dtype_names[KGRL_DTYPE_COUNT] = {
    "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL",
};
static const size_t kgrl__dtype_sizes[KGRL_DTYPE_COUNT] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1};

size_t kgrl_dtype_size(kgrl_dtype t) { return (unsigned)t < KGRL_DTYPE_COUNT ? kgrl__dtype_sizes[t] : 0; }
const char *kgrl_dtype_name(kgrl_dtype t) { return (unsigned)t < KGRL_DTYPE_COUNT ? kgrl__dtype_names[t] : "?"; }
bool kgrl_dtype_from_name(const char *name, kgrl_dtype *out) {
    for (int i = 0; i < KGRL_DTYPE_COUNT; i++)
        if (strcmp(name, kgrl__dtype_names[i]) == 0) { *out = (kgrl_dtype)i; return true; }
    return false;
}

int64_t kgrl_tensor_numel(const kgrl_tensor_view *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

// ---- bf16 / f16 -----------------------------------------------------------------------------
static uint32_t kgrl__f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float kgrl__bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float kgrl_bf16_to_f32(uint16_t h) { return kgrl__bits_f32((uint32_t)h << 16); }

uint16_t kgrl_f32_to_bf16(float f) {
    uint32_t u = kgrl__f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040); // NaN: keep sign, force quiet
    // round to nearest even on the 16 dropped bits; a carry may roll into the exponent (to inf)
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

float kgrl_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0x1f) return kgrl__bits_f32(sign | 0x7f800000u | (m << 13)); // inf, NaN (payload kept)
    if (e == 0) {
        // zero or subnormal: m * 2^-24, exact in f32
        float x = (float)m * (1.0f / 16777216.0f);
        return sign ? -x : x;
    }
    return kgrl__bits_f32(sign | ((e + 112) << 23) | (m << 13)); // rebias 15 -> 127
}

uint16_t kgrl_f32_to_f16(float f) {
    uint32_t u = kgrl__f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t exp = (u >> 23) & 0xff, mant = u & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0)); // NaN stays NaN
    int e = (int)exp - 127 + 15;                       // f16 biased exponent
    if (e >= 31) return (uint16_t)(sign | 0x7c00);     // overflow to inf
    if (e <= 0) {
        // f16 subnormal (units of 2^-24) or zero; below 2^-25 everything rounds to 0
        if (e < -10) return sign;
        uint32_t m = mant | 0x800000;
        int shift = 126 - (int)exp;                    // 14..24
        uint32_t q = m >> shift, r = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (r > half || (r == half && (q & 1))) q++;   // 0x400 = smallest normal, correctly encoded
        return (uint16_t)(sign | q);
    }
    uint32_t q = ((uint32_t)e << 10) | (mant >> 13), r = mant & 0x1fff;
    if (r > 0x1000 || (r == 0x1000 && (q & 1))) q++;  // a carry into the exponent may give inf: right
    return (uint16_t)(sign | q);
}

void kgrl_tensor_to_f32(const kgrl_tensor_view *t, float *dst) {
    int64_t n = kgrl_tensor_numel(t);
    const unsigned char *p = (const unsigned char *)t->data;
    // memcpy per element: data in a safetensors file need not be aligned to its dtype
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *e = p + (size_t)i * kgrl_dtype_size(t->dtype);
        switch (t->dtype) {
        case KGRL_DTYPE_F32: { float v; memcpy(&v, e, 4); dst[i] = v; break; }
        case KGRL_DTYPE_F16: { uint16_t v; memcpy(&v, e, 2); dst[i] = kgrl_f16_to_f32(v); break; }
        case KGRL_DTYPE_BF16: { uint16_t v; memcpy(&v, e, 2); dst[i] = kgrl_bf16_to_f32(v); break; }
        case KGRL_DTYPE_F64: { double v; memcpy(&v, e, 8); dst[i] = (float)v; break; }
        case KGRL_DTYPE_I64: { int64_t v; memcpy(&v, e, 8); dst[i] = (float)v; break; }
        case KGRL_DTYPE_I32: { int32_t v; memcpy(&v, e, 4); dst[i] = (float)v; break; }
        case KGRL_DTYPE_I16: { int16_t v; memcpy(&v, e, 2); dst[i] = (float)v; break; }
        case KGRL_DTYPE_I8: dst[i] = (float)(int8_t)*e; break;
        case KGRL_DTYPE_U8: dst[i] = (float)*e; break;
        case KGRL_DTYPE_BOOL: dst[i] = *e ? 1.0f : 0.0f; break;
        default: KGRL_FATAL("kgrl_tensor_to_f32: bad dtype %d", (int)t->dtype);
        }
    }
}

// ---- reader ---------------------------------------------------------------------------------
typedef struct kgrl__st_shard {
    char *path;            // for messages ("<memory>" for an in-memory image)
    void *map; size_t map_len; // munmap on close (NULL for memory images)
    kgrl_json *header;     // owns the tensor names
} kgrl__st_shard;

struct kgrl_safetensors {
    kgrl_tensor_view *tensors; int count, cap;
    int *shard_of;         // count: which shard each tensor came from
    kgrl__st_shard *shards; int nshards;
    int *table; size_t table_cap; // open-addressing name index into tensors (-1 = empty)
};

// One tensor's extent, for the overlap/hole check.
typedef struct kgrl__st_span { uint64_t begin, end; int idx; } kgrl__st_span;
static int kgrl__st_span_cmp(const void *a, const void *b) {
    const kgrl__st_span *x = (const kgrl__st_span *)a, *y = (const kgrl__st_span *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->idx - y->idx;
}

// A non-negative integer no larger than 2^53 (exact in the double the JSON reader holds).
static bool kgrl__st_uint(const kgrl_json *v, uint64_t *out) {
    if (!v || v->type != KGRL_JSON_NUMBER || v->number < 0 || v->number > 9007199254740992.0 || v->number != floor(v->number)) return false;
    *out = (uint64_t)v->number;
    return true;
}

// Parse one tensor entry `name` of the header into view t (data not yet set); begin/end out.
static bool kgrl__st_entry(const char *what, const char *name, const kgrl_json *e, uint64_t data_len,
                           kgrl_tensor_view *t, uint64_t *begin, uint64_t *end, kgrl_err *err) {
    if (e->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "%s: tensor \"%s\": entry must be an object", what, name); return false; }
    const kgrl_json *dt = kgrl_json_get(e, "dtype"), *sh = kgrl_json_get(e, "shape"), *off = kgrl_json_get(e, "data_offsets");
    if (!dt || dt->type != KGRL_JSON_STRING) { kgrl_err_set(err, "%s: tensor \"%s\": missing \"dtype\" string", what, name); return false; }
    if (!kgrl_dtype_from_name(dt->string, &t->dtype)) {
        kgrl_err_set(err, "%s: tensor \"%s\": unknown dtype \"%.32s\" (kgrl reads F32 F16 BF16 F64 I64 I32 I16 I8 U8 BOOL)", what, name, dt->string);
        return false;
    }
    if (!sh || sh->type != KGRL_JSON_ARRAY) { kgrl_err_set(err, "%s: tensor \"%s\": missing \"shape\" array", what, name); return false; }
    if (sh->count > KGRL_MAX_DIMS) { kgrl_err_set(err, "%s: tensor \"%s\": %d dims, at most %d supported", what, name, sh->count, KGRL_MAX_DIMS); return false; }
    t->ndim = sh->count;
    uint64_t numel = 1;
    bool overflow = false;
    for (int d = 0; d < sh->count; d++) {
        const kgrl_json *v = &sh->items[d];
        if (v->type != KGRL_JSON_NUMBER || v->number != floor(v->number)) {
            kgrl_err_set(err, "%s: tensor \"%s\": shape[%d] is not an integer", what, name, d);
            return false;
        }
        if (v->number < 0) { kgrl_err_set(err, "%s: tensor \"%s\": shape[%d] = %.0f is negative", what, name, d, v->number); return false; }
        uint64_t dim;
        if (!kgrl__st_uint(v, &dim)) overflow = true;
        else {
            t->shape[d] = (int64_t)dim;
            if (dim && numel > ((uint64_t)INT64_MAX / kgrl_dtype_size(t->dtype)) / dim) overflow = true;
            else numel *= dim;
        }
    }
    if (overflow) { kgrl_err_set(err, "%s: tensor \"%s\": shape is absurd (element count overflows 64 bits)", what, name); return false; }
    if (!off || off->type != KGRL_JSON_ARRAY || off->count != 2 || !kgrl__st_uint(&off->items[0], begin) || !kgrl__st_uint(&off->items[1], end)) {
        kgrl_err_set(err, "%s: tensor \"%s\": \"data_offsets\" must be [begin, end] of two non-negative integers", what, name);
        return false;
    }
    if (*begin > *end) { kgrl_err_set(err, "%s: tensor \"%s\": data_offsets [%llu, %llu] has begin > end", what, name, (unsigned long long)*begin, (unsigned long long)*end); return false; }
    if (*end > data_len) {
        kgrl_err_set(err, "%s: tensor \"%s\": data_offsets end %llu is beyond the data region (%llu bytes; file truncated?)",
                     what, name, (unsigned long long)*end, (unsigned long long)data_len);
        return false;
    }
    uint64_t nbytes = numel * kgrl_dtype_size(t->dtype);
    if (*end - *begin != nbytes) {
        kgrl_err_set(err, "%s: tensor \"%s\": data_offsets span %llu bytes, but %s shape needs %llu", what, name,
                     (unsigned long long)(*end - *begin), t->dtype < KGRL_DTYPE_COUNT ? kgrl__dtype_names[t->dtype] : "?", (unsigned long long)nbytes);
        return false;
    }
    t->nbytes = (size_t)nbytes;
    return true;
}

// Parse the image of one file and append its tensors to st (the shard's header is kept there).
static bool kgrl__st_parse(kgrl_safetensors *st, const char *what, const unsigned char *bytes, size_t len, kgrl_err *err) {
    if (len < 8) { kgrl_err_set(err, "%s: file is %zu bytes, shorter than the 8-byte header length", what, len); return false; }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | bytes[i]; // little-endian
    if (hlen > KGRL_ST_MAX_HEADER) {
        kgrl_err_set(err, "%s: header length %llu is absurd (limit %d bytes): not a safetensors file?", what, (unsigned long long)hlen, KGRL_ST_MAX_HEADER);
        return false;
    }
    if (hlen > len - 8) {
        kgrl_err_set(err, "%s: header length %llu runs beyond the end of the file (%zu bytes; truncated?)", what, (unsigned long long)hlen, len);
        return false;
    }
    if (hlen == 0 || bytes[8] != '{') { // as the reference reader: no leading whitespace or BOM
        kgrl_err_set(err, "%s: header is not a JSON object (it must start with '{')", what);
        return false;
    }
    kgrl_err jerr;
    kgrl_json *h = kgrl_json_parse((const char *)bytes + 8, (size_t)hlen, &jerr);
    if (!h) { kgrl_err_set(err, "%s: header is not valid JSON: %s", what, jerr.msg); return false; }
    kgrl__st_shard *sh = &st->shards[st->nshards - 1]; // the caller added it
    sh->header = h;
    if (h->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "%s: header is not a JSON object", what); return false; }
    const unsigned char *data = bytes + 8 + hlen;
    uint64_t data_len = len - 8 - hlen;
    int first = st->count;
    kgrl__st_span *spans = (kgrl__st_span *)kgrl_malloc((size_t)(h->count ? h->count : 1) * sizeof(kgrl__st_span));
    int nspans = 0;
    bool ok = true;
    for (int i = 0; i < h->count && ok; i++) {
        const char *name = h->keys[i];
        const kgrl_json *e = &h->items[i];
        if (strcmp(name, "__metadata__") == 0) {
            if (e->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "%s: \"__metadata__\" must be an object of strings", what); ok = false; break; }
            for (int k = 0; k < e->count; k++)
                if (e->items[k].type != KGRL_JSON_STRING) {
                    kgrl_err_set(err, "%s: \"__metadata__\" value of \"%s\" must be a string", what, e->keys[k]);
                    ok = false;
                    break;
                }
            continue;
        }
        if (st->count == st->cap) {
            st->cap = st->cap ? 2 * st->cap : 64;
            st->tensors = (kgrl_tensor_view *)kgrl_realloc(st->tensors, (size_t)st->cap * sizeof(kgrl_tensor_view));
            st->shard_of = (int *)kgrl_realloc(st->shard_of, (size_t)st->cap * sizeof(int));
        }
        kgrl_tensor_view *t = &st->tensors[st->count];
        memset(t, 0, sizeof *t);
        uint64_t b, en;
        if (!kgrl__st_entry(what, name, e, data_len, t, &b, &en, err)) { ok = false; break; }
        t->name = name;
        t->data = data + b;
        st->shard_of[st->count] = st->nshards - 1;
        spans[nspans].begin = b; spans[nspans].end = en; spans[nspans].idx = st->count;
        nspans++;
        st->count++;
    }
    if (ok) {
        // the tensors must tile [0, data_len): sorted by begin, each starts where the last ended
        qsort(spans, (size_t)nspans, sizeof *spans, kgrl__st_span_cmp);
        uint64_t pos = 0;
        int last = -1; // the span that reaches furthest so far
        for (int i = 0; i < nspans && ok; i++) {
            const char *nm = st->tensors[spans[i].idx].name;
            if (spans[i].begin < pos) {
                kgrl_err_set(err, "%s: tensor \"%s\" [%llu, %llu) overlaps tensor \"%s\" (ends at %llu)", what, nm,
                             (unsigned long long)spans[i].begin, (unsigned long long)spans[i].end, st->tensors[spans[last].idx].name, (unsigned long long)pos);
                ok = false;
            } else if (spans[i].begin > pos) {
                kgrl_err_set(err, "%s: hole of %llu bytes before tensor \"%s\" at offset %llu (tensors must be packed)", what,
                             (unsigned long long)(spans[i].begin - pos), nm, (unsigned long long)spans[i].begin);
                ok = false;
            }
            if (last < 0 || spans[i].end > pos) { pos = spans[i].end; last = i; }
        }
        if (ok && pos != data_len) {
            kgrl_err_set(err, "%s: %llu bytes after the last tensor's data (the data region is %llu bytes, tensors cover %llu)", what,
                         (unsigned long long)(data_len - pos), (unsigned long long)data_len, (unsigned long long)pos);
            ok = false;
        }
    }
    kgrl_free(spans);
    if (!ok) st->count = first;
    return ok;
}

static kgrl__st_shard *kgrl__st_add_shard(kgrl_safetensors *st, const char *path) {
    st->shards = (kgrl__st_shard *)kgrl_realloc(st->shards, (size_t)(st->nshards + 1) * sizeof(kgrl__st_shard));
    kgrl__st_shard *sh = &st->shards[st->nshards++];
    memset(sh, 0, sizeof *sh);
    sh->path = kgrl_strdup(path);
    return sh;
}

// mmap one file read-only and parse it as a new shard.
static bool kgrl__st_open_file(kgrl_safetensors *st, const char *path, kgrl_err *err) {
    kgrl__st_shard *sh = kgrl__st_add_shard(st, path);
    int fd = open(path, O_RDONLY);
    if (fd < 0) { kgrl_err_set(err, "%s: %s", path, strerror(errno)); return false; }
    struct stat s;
    if (fstat(fd, &s) != 0 || !S_ISREG(s.st_mode)) {
        kgrl_err_set(err, "%s: not a regular file", path);
        close(fd);
        return false;
    }
    size_t len = (size_t)s.st_size;
    const unsigned char *bytes = (const unsigned char *)"";
    if (len > 0) {
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) { kgrl_err_set(err, "%s: mmap: %s", path, strerror(errno)); close(fd); return false; }
        sh->map = m;
        sh->map_len = len;
        bytes = (const unsigned char *)m;
    }
    close(fd); // the mapping stays valid
    return kgrl__st_parse(st, path, bytes, len, err);
}

// Name index (linear probing over FNV-1a), and the duplicate check across shards.
static bool kgrl__st_index(kgrl_safetensors *st, kgrl_err *err) {
    st->table_cap = 16;
    while (st->table_cap < (size_t)st->count * 2) st->table_cap *= 2;
    st->table = (int *)kgrl_malloc(st->table_cap * sizeof(int));
    for (size_t i = 0; i < st->table_cap; i++) st->table[i] = -1;
    for (int i = 0; i < st->count; i++) {
        size_t h = (size_t)kgrl__fnv1a(st->tensors[i].name) & (st->table_cap - 1);
        while (st->table[h] >= 0) {
            int j = st->table[h];
            if (strcmp(st->tensors[j].name, st->tensors[i].name) == 0) {
                kgrl_err_set(err, "tensor \"%s\" is in two shards: %s and %s", st->tensors[i].name,
                             st->shards[st->shard_of[j]].path, st->shards[st->shard_of[i]].path);
                return false;
            }
            h = (h + 1) & (st->table_cap - 1);
        }
        st->table[h] = i;
    }
    return true;
}

// A directory with model.safetensors.index.json: {"weight_map": {"tensor": "shard file", ...}}.
static bool kgrl__st_open_index(kgrl_safetensors *st, const char *dir, const char *index_path, kgrl_err *err) {
    kgrl_json *idx = kgrl_json_parse_file(index_path, err);
    if (!idx) return false;
    const kgrl_json *wm = kgrl_json_get(idx, "weight_map");
    bool ok = true;
    if (!wm || wm->type != KGRL_JSON_OBJECT) {
        kgrl_err_set(err, "%s: missing \"weight_map\" object", index_path);
        ok = false;
    }
    // distinct shard names, in order of first mention
    const char **files = NULL;
    int nfiles = 0;
    for (int i = 0; ok && i < wm->count; i++) {
        const kgrl_json *v = &wm->items[i];
        if (v->type != KGRL_JSON_STRING || v->len == 0 || v->string[0] == '/' || strstr(v->string, "..") || memchr(v->string, 0, v->len)) {
            kgrl_err_set(err, "%s: weight_map[\"%s\"] must be a shard file name in the same directory", index_path, wm->keys[i]);
            ok = false;
            break;
        }
        bool seen = false;
        for (int k = 0; k < nfiles && !seen; k++) seen = strcmp(files[k], v->string) == 0;
        if (!seen) {
            files = (const char **)kgrl_realloc((void *)files, (size_t)(nfiles + 1) * sizeof(char *));
            files[nfiles++] = v->string;
        }
    }
    if (ok && nfiles == 0) { kgrl_err_set(err, "%s: weight_map is empty", index_path); ok = false; }
    for (int k = 0; ok && k < nfiles; k++) {
        kgrl_buf p = {NULL, 0, 0};
        kgrl_buf_printf(&p, "%s/%s", dir, files[k]);
        if (!kgrl_file_exists(p.data)) {
            kgrl_err_set(err, "%s: shard \"%s\" named in the index is missing (%s)", index_path, files[k], p.data);
            ok = false;
        } else {
            ok = kgrl__st_open_file(st, p.data, err);
        }
        kgrl_buf_free(&p);
    }
    if (ok) ok = kgrl__st_index(st, err);
    // every weight_map entry must be found in the shard it names
    for (int i = 0; ok && i < wm->count; i++) {
        const kgrl_tensor_view *t = kgrl_st_find(st, wm->keys[i]);
        kgrl_buf want = {NULL, 0, 0};
        kgrl_buf_printf(&want, "%s/%s", dir, wm->items[i].string);
        bool same = t && strcmp(st->shards[st->shard_of[t - st->tensors]].path, want.data) == 0;
        kgrl_buf_free(&want);
        if (!same) {
            kgrl_err_set(err, "%s: weight_map puts \"%s\" in %s, but %s", index_path, wm->keys[i], wm->items[i].string,
                         t ? "it is in another shard" : "that shard does not contain it");
            ok = false;
        }
    }
    kgrl_free((void *)files);
    kgrl_json_free(idx);
    return ok;
}

kgrl_safetensors *kgrl_st_open(const char *path, kgrl_err *err) {
    kgrl_safetensors *st = (kgrl_safetensors *)kgrl_calloc(1, sizeof(kgrl_safetensors));
    struct stat s;
    bool ok;
    if (stat(path, &s) != 0) {
        kgrl_err_set(err, "%s: %s", path, strerror(errno));
        ok = false;
    } else if (S_ISDIR(s.st_mode)) {
        kgrl_buf idx = {NULL, 0, 0}, one = {NULL, 0, 0};
        kgrl_buf_printf(&idx, "%s/model.safetensors.index.json", path);
        kgrl_buf_printf(&one, "%s/model.safetensors", path);
        if (kgrl_file_exists(idx.data)) ok = kgrl__st_open_index(st, path, idx.data, err);
        else if (kgrl_file_exists(one.data)) ok = kgrl__st_open_file(st, one.data, err) && kgrl__st_index(st, err);
        else {
            kgrl_err_set(err, "%s: directory has neither model.safetensors nor model.safetensors.index.json", path);
            ok = false;
        }
        kgrl_buf_free(&idx);
        kgrl_buf_free(&one);
    } else {
        ok = kgrl__st_open_file(st, path, err) && kgrl__st_index(st, err);
    }
    if (!ok) { kgrl_st_close(st); return NULL; }
    return st;
}

kgrl_safetensors *kgrl_st_open_memory(const void *bytes, size_t len, kgrl_err *err) {
    kgrl_safetensors *st = (kgrl_safetensors *)kgrl_calloc(1, sizeof(kgrl_safetensors));
    kgrl__st_add_shard(st, "<memory>");
    if (!kgrl__st_parse(st, "<memory>", (const unsigned char *)(bytes ? bytes : ""), bytes ? len : 0, err) || !kgrl__st_index(st, err)) {
        kgrl_st_close(st);
        return NULL;
    }
    return st;
}

void kgrl_st_close(kgrl_safetensors *st) {
    if (!st) return;
    for (int i = 0; i < st->nshards; i++) {
        if (st->shards[i].map) munmap(st->shards[i].map, st->shards[i].map_len);
        kgrl_json_free(st->shards[i].header);
        kgrl_free(st->shards[i].path);
    }
    kgrl_free(st->shards);
    kgrl_free(st->tensors);
    kgrl_free(st->shard_of);
    kgrl_free(st->table);
    kgrl_free(st);
}

int kgrl_st_count(const kgrl_safetensors *st) { return st->count; }
const kgrl_tensor_view *kgrl_st_tensor(const kgrl_safetensors *st, int i) {
    return i >= 0 && i < st->count ? &st->tensors[i] : NULL;
}
const kgrl_tensor_view *kgrl_st_find(const kgrl_safetensors *st, const char *name) {
    if (!st->table) return NULL;
    size_t h = (size_t)kgrl__fnv1a(name) & (st->table_cap - 1);
    for (; st->table[h] >= 0; h = (h + 1) & (st->table_cap - 1))
        if (strcmp(st->tensors[st->table[h]].name, name) == 0) return &st->tensors[st->table[h]];
    return NULL;
}
const kgrl_json *kgrl_st_metadata(const kgrl_safetensors *st) {
    if (st->nshards == 0 || !st->shards[0].header) return NULL;
    const kgrl_json *m = kgrl_json_get(st->shards[0].header, "__metadata__");
    return m;
}

// ---- writer ---------------------------------------------------------------------------------
// Defined in 05_io.h's implementation (later in the header).
static FILE *kgrl__open_temp(const char *path, char **tmp_out, kgrl_err *err);
static bool kgrl__commit_temp(FILE *f, char *tmp, const char *path, bool bad, kgrl_err *err);

bool kgrl_st_write(const char *path, const kgrl_tensor_view *tensors, int n, const char *metadata_json, kgrl_err *err) {
    kgrl_json *meta = NULL;
    if (metadata_json) {
        kgrl_err jerr;
        meta = kgrl_json_parse(metadata_json, strlen(metadata_json), &jerr);
        if (!meta) { kgrl_err_set(err, "%s: metadata is not valid JSON: %s", path, jerr.msg); return false; }
        bool strings = meta->type == KGRL_JSON_OBJECT;
        for (int i = 0; strings && i < meta->count; i++) strings = meta->items[i].type == KGRL_JSON_STRING;
        if (!strings) { kgrl_err_set(err, "%s: metadata must be a JSON object of string values", path); kgrl_json_free(meta); return false; }
    }
    kgrl_buf h = {NULL, 0, 0};
    kgrl_json_writer w;
    memset(&w, 0, sizeof w);
    w.out = &h;
    kgrl_jw_begin_object(&w);
    if (meta && meta->count) { kgrl_jw_key(&w, "__metadata__"); kgrl_jw_value(&w, meta); }
    kgrl_json_free(meta);
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        const kgrl_tensor_view *t = &tensors[i];
        const char *bad = NULL;
        if (!t->name || !*t->name || strcmp(t->name, "__metadata__") == 0) bad = "needs a name other than \"\" and \"__metadata__\"";
        else if ((unsigned)t->dtype >= KGRL_DTYPE_COUNT) bad = "has a bad dtype";
        else if (t->ndim < 0 || t->ndim > KGRL_MAX_DIMS) bad = "has a bad ndim";
        for (int d = 0; !bad && d < t->ndim; d++) if (t->shape[d] < 0) bad = "has a negative dim";
        if (!bad && (uint64_t)kgrl_tensor_numel(t) * kgrl_dtype_size(t->dtype) != t->nbytes) bad = "has nbytes != numel * dtype size";
        if (!bad && t->nbytes && !t->data) bad = "has no data";
        for (int k = 0; !bad && k < i; k++) if (strcmp(tensors[k].name, t->name) == 0) bad = "is given twice";
        if (bad) {
            kgrl_err_set(err, "%s: tensor %d (\"%s\") %s", path, i, t->name ? t->name : "(null)", bad);
            kgrl_buf_free(&h);
            return false;
        }
        kgrl_jw_key(&w, t->name);
        kgrl_jw_begin_object(&w);
        kgrl_jw_key(&w, "dtype"); kgrl_jw_string(&w, kgrl_dtype_name(t->dtype));
        kgrl_jw_key(&w, "shape"); kgrl_jw_begin_array(&w);
        for (int d = 0; d < t->ndim; d++) kgrl_jw_int(&w, t->shape[d]);
        kgrl_jw_end_array(&w);
        kgrl_jw_key(&w, "data_offsets"); kgrl_jw_begin_array(&w);
        kgrl_jw_int(&w, (int64_t)off); kgrl_jw_int(&w, (int64_t)(off + t->nbytes));
        kgrl_jw_end_array(&w);
        kgrl_jw_end_object(&w);
        off += t->nbytes;
    }
    kgrl_jw_end_object(&w);
    while (h.len % 8) kgrl_buf_append(&h, " ", 1); // data starts 8-aligned
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
    char *tmp = NULL;
    FILE *f = kgrl__open_temp(path, &tmp, err);
    if (!f) { kgrl_buf_free(&h); return false; }
    bool bad = fwrite(len8, 1, 8, f) != 8 || fwrite(h.data, 1, h.len, f) != h.len;
    for (int i = 0; i < n && !bad; i++)
        if (tensors[i].nbytes) bad = fwrite(tensors[i].data, 1, tensors[i].nbytes, f) != tensors[i].nbytes;
    kgrl_buf_free(&h);
    return kgrl__commit_temp(f, tmp, path, bad, err);
}
