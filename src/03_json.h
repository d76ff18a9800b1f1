// JSON: a strict reader (RFC 8259; errors say line:column and what was expected) and a writer.
// Used for config.json, tokenizer.json, safetensors headers, task files, verifier records.

typedef enum kgrl_json_type {
    KGRL_JSON_NULL, KGRL_JSON_BOOL, KGRL_JSON_NUMBER, KGRL_JSON_STRING, KGRL_JSON_ARRAY, KGRL_JSON_OBJECT
} kgrl_json_type;

typedef struct kgrl_json kgrl_json;
struct kgrl_json {
    kgrl_json_type type;
    bool boolean;          // BOOL
    double number;         // NUMBER (integers up to 2^53 are exact)
    char *string;          // STRING: UTF-8, NUL-terminated; may contain NUL bytes (see len)
    size_t len;            // STRING: bytes (without the terminator)
    int count;             // ARRAY, OBJECT: number of children
    kgrl_json *items;      // ARRAY, OBJECT: children (count), in document order
    char **keys;           // OBJECT: keys (count), parallel to items; duplicate keys are an error
    int line, col;         // where this value starts in the text (1-based), for consumers' messages
};

// Parse `len` bytes. Returns NULL and sets err ("line:col: message") on any error: trailing
// garbage, bad escapes, invalid UTF-8, lone surrogates, control characters in strings, leading
// zeros, NaN/Infinity, duplicate keys, depth > KGRL_JSON_MAX_DEPTH, numbers that overflow a
// double. Lines and columns are 1-based; columns count bytes. A leading UTF-8 byte order mark is
// skipped (RFC 8259 §8.1 allows ignoring it). Object keys are C strings, so a key holding U+0000
// is rejected. Numbers are converted with strtod: keep the C locale's "." decimal point (the kit
// never calls setlocale). Free with kgrl_json_free.
#define KGRL_JSON_MAX_DEPTH 512
KGRL_API kgrl_json *kgrl_json_parse(const char *text, size_t len, kgrl_err *err);
KGRL_API kgrl_json *kgrl_json_parse_file(const char *path, kgrl_err *err); // err: "path:line:col: ..."
KGRL_API void kgrl_json_free(kgrl_json *j);

// Lookups; NULL when absent or of the wrong container type.
KGRL_API const kgrl_json *kgrl_json_get(const kgrl_json *obj, const char *key);
KGRL_API const kgrl_json *kgrl_json_at(const kgrl_json *arr, int i);
// Typed getters with a default for absent keys. A present key of the wrong type (or a number that
// is not an integer, for _int) is an error: they return false from kgrl_json_get_*_strict, and
// the plain forms return the default. The strict forms are for required keys: an absent key (or
// obj not an object) is an error too, "missing key \"name\"". Errors name the key and, for a
// wrong type, its line:col. Strings returned point into the document.
KGRL_API double kgrl_json_number_or(const kgrl_json *obj, const char *key, double dflt);
KGRL_API int64_t kgrl_json_int_or(const kgrl_json *obj, const char *key, int64_t dflt);
KGRL_API bool kgrl_json_bool_or(const kgrl_json *obj, const char *key, bool dflt);
KGRL_API const char *kgrl_json_string_or(const kgrl_json *obj, const char *key, const char *dflt);
KGRL_API bool kgrl_json_get_int_strict(const kgrl_json *obj, const char *key, int64_t *out, kgrl_err *err);
KGRL_API bool kgrl_json_get_number_strict(const kgrl_json *obj, const char *key, double *out, kgrl_err *err);
KGRL_API bool kgrl_json_get_string_strict(const kgrl_json *obj, const char *key, const char **out, kgrl_err *err);

// Writer: appends compact JSON to a kgrl_buf; commas and nesting are tracked for you.
// Numbers are written in the shortest of %.15g/%.16g/%.17g that reads back exactly; NaN/Inf,
// which JSON cannot hold, as null. Strings are escaped; invalid UTF-8 is written as U+FFFD so the
// output is always valid JSON. Nesting deeper than KGRL_JSON_MAX_DEPTH, a key outside an object or
// a value where a key is due aborts (a bug in the caller). Zero-initialize: {.out = &buf}.
typedef struct kgrl_json_writer {
    kgrl_buf *out;
    int depth;
    bool need_comma[KGRL_JSON_MAX_DEPTH + 1];
    bool in_object[KGRL_JSON_MAX_DEPTH + 1];
    bool after_key;
} kgrl_json_writer;
KGRL_API void kgrl_jw_begin_object(kgrl_json_writer *w);
KGRL_API void kgrl_jw_end_object(kgrl_json_writer *w);
KGRL_API void kgrl_jw_begin_array(kgrl_json_writer *w);
KGRL_API void kgrl_jw_end_array(kgrl_json_writer *w);
KGRL_API void kgrl_jw_key(kgrl_json_writer *w, const char *key);
KGRL_API void kgrl_jw_string(kgrl_json_writer *w, const char *s);
KGRL_API void kgrl_jw_string_n(kgrl_json_writer *w, const char *s, size_t n);
KGRL_API void kgrl_jw_number(kgrl_json_writer *w, double x);
KGRL_API void kgrl_jw_int(kgrl_json_writer *w, int64_t x);
KGRL_API void kgrl_jw_bool(kgrl_json_writer *w, bool b);
KGRL_API void kgrl_jw_null(kgrl_json_writer *w);
// Re-serialize a parsed value (compact).
KGRL_API void kgrl_jw_value(kgrl_json_writer *w, const kgrl_json *j);

// kgrl:implementation

// ---- reader ---------------------------------------------------------------------------------
// Recursive descent over the bytes; each container collects its children in a growing array and
// keeps it. Position = byte offset; line/col are tracked as we pass newlines so every value can
// record where it starts.
typedef struct kgrl__jp {
    const unsigned char *s;
    size_t len, pos;
    int line;
    size_t line_start;     // offset of the current line's first byte
    kgrl_err *err;
    bool failed;
} kgrl__jp;

static int kgrl__jp_col(const kgrl__jp *p, size_t pos) { return (int)(pos - p->line_start) + 1; }

// Describe the byte at `pos` for "found ..." in messages.
static void kgrl__jp_found(const kgrl__jp *p, size_t pos, char *out, size_t n) {
    if (pos >= p->len) { snprintf(out, n, "end of input"); return; }
    unsigned char c = p->s[pos];
    if (c == '\'') snprintf(out, n, "\"'\"");
    else if (c > 0x20 && c < 0x7f) snprintf(out, n, "'%c'", c);
    else if (c == '\n') snprintf(out, n, "a newline");
    else if (c == '\t') snprintf(out, n, "a tab");
    else if (c == ' ') snprintf(out, n, "a space");
    else snprintf(out, n, "byte 0x%02x", c);
}

// Report an error at `pos` (on the current line: callers never point past a newline).
static bool kgrl__jp_fail(kgrl__jp *p, size_t pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static bool kgrl__jp_fail(kgrl__jp *p, size_t pos, const char *fmt, ...) {
    if (p->failed) return false;
    p->failed = true;
    char msg[KGRL_ERR_MAX - 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kgrl_err_set(p->err, "%d:%d: %s", p->line, kgrl__jp_col(p, pos), msg);
    return false;
}

static bool kgrl__jp_expected(kgrl__jp *p, const char *what) {
    char f[32];
    kgrl__jp_found(p, p->pos, f, sizeof f);
    return kgrl__jp_fail(p, p->pos, "expected %s, found %s", what, f);
}

static void kgrl__jp_ws(kgrl__jp *p) {
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c == '\n') { p->pos++; p->line++; p->line_start = p->pos; }
        else if (c == ' ' || c == '\t' || c == '\r') p->pos++;
        else break;
    }
}

static int kgrl__hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Four hex digits at p->pos (after "\u"); -1 with the error set when malformed.
static long kgrl__jp_hex4(kgrl__jp *p) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = p->pos + (size_t)i < p->len ? kgrl__hexval(p->s[p->pos + (size_t)i]) : -1;
        if (h < 0) {
            char f[32];
            kgrl__jp_found(p, p->pos + (size_t)i, f, sizeof f);
            kgrl__jp_fail(p, p->pos + (size_t)i, "expected 4 hex digits after \\u, found %s", f);
            return -1;
        }
        v = v * 16 + h;
    }
    p->pos += 4;
    return v;
}

static void kgrl__utf8_put(kgrl_buf *b, uint32_t cp) {
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (unsigned char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (unsigned char)(0xC0 | cp >> 6); u[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12); u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18); u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (unsigned char)(0x80 | (cp & 0x3F)); n = 4;
    }
    kgrl_buf_append(b, u, n);
}

// Length of the well-formed UTF-8 sequence at s[0..n), or 0 if it is not one (Unicode 15,
// Table 3-7: no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF).
static size_t kgrl__utf8_seq_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t k;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) k = 2;
    else if (c >= 0xE0 && c <= 0xEF) { k = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { k = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (n < k) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < k; i++) if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return k;
}

// A string starting at the opening quote. The decoded bytes go to `out`.
static bool kgrl__jp_string(kgrl__jp *p, kgrl_buf *out) {
    p->pos++; // opening quote
    kgrl_buf_append(out, "", 0);
    for (;;) {
        if (p->pos >= p->len) return kgrl__jp_fail(p, p->pos, "unterminated string: expected '\"', found end of input");
        // copy a run of plain ASCII in one go (most of any real document)
        size_t run = p->pos;
        while (run < p->len && p->s[run] >= 0x20 && p->s[run] < 0x80 && p->s[run] != '"' && p->s[run] != '\\') run++;
        if (run > p->pos) { kgrl_buf_append(out, p->s + p->pos, run - p->pos); p->pos = run; continue; }
        unsigned char c = p->s[p->pos];
        if (c == '"') { p->pos++; return true; }
        if (c < 0x20)
            return kgrl__jp_fail(p, p->pos, "control character U+%04X in string must be escaped (\\n, \\t, \\u00XX)", c);
        if (c == '\\') {
            size_t esc = p->pos;
            if (p->pos + 1 >= p->len) return kgrl__jp_fail(p, p->pos + 1, "unterminated escape: expected a character after '\\', found end of input");
            unsigned char e = p->s[p->pos + 1];
            p->pos += 2;
            const char *simple = NULL;
            switch (e) {
            case '"': simple = "\""; break;
            case '\\': simple = "\\"; break;
            case '/': simple = "/"; break;
            case 'b': simple = "\b"; break;
            case 'f': simple = "\f"; break;
            case 'n': simple = "\n"; break;
            case 'r': simple = "\r"; break;
            case 't': simple = "\t"; break;
            case 'u': break;
            default: {
                char f[32];
                kgrl__jp_found(p, esc + 1, f, sizeof f);
                return kgrl__jp_fail(p, esc, "invalid escape: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u after '\\', found %s", f);
            }
            }
            if (simple) { kgrl_buf_append(out, simple, 1); continue; }
            long u = kgrl__jp_hex4(p);
            if (u < 0) return false;
            uint32_t cp = (uint32_t)u;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return kgrl__jp_fail(p, esc, "lone surrogate \\u%04lX: a low surrogate must follow a high one (\\uD800-\\uDBFF)", u);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->pos + 1 >= p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    return kgrl__jp_fail(p, esc, "lone surrogate \\u%04lX: a high surrogate must be followed by a \\uDC00-\\uDFFF escape", u);
                size_t esc2 = p->pos;
                p->pos += 2;
                long lo = kgrl__jp_hex4(p);
                if (lo < 0) return false;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return kgrl__jp_fail(p, esc2, "lone surrogate \\u%04lX: expected a low surrogate \\uDC00-\\uDFFF after it, found \\u%04lX", u, lo);
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
            }
            kgrl__utf8_put(out, cp);
            continue;
        }
        size_t k = kgrl__utf8_seq_len(p->s + p->pos, p->len - p->pos);
        if (k == 0) {
            if (c >= 0xC2 && c <= 0xF4) {
                size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
                if (p->len - p->pos < need) {
                    bool prefix_ok = true; // all that is left are continuation bytes: cut by the end
                    for (size_t i = p->pos + 1; i < p->len; i++) if (p->s[i] < 0x80 || p->s[i] > 0xBF) prefix_ok = false;
                    if (prefix_ok) return kgrl__jp_fail(p, p->pos, "invalid UTF-8 in string: the sequence starting with byte 0x%02x is cut off by the end of input", c);
                }
                return kgrl__jp_fail(p, p->pos, "invalid UTF-8 in string: byte 0x%02x starts a malformed sequence (bad continuation byte, overlong form, surrogate or above U+10FFFF)", c);
            }
            if (c >= 0x80 && c <= 0xBF) return kgrl__jp_fail(p, p->pos, "invalid UTF-8 in string: unexpected continuation byte 0x%02x", c);
            return kgrl__jp_fail(p, p->pos, "invalid UTF-8 in string: byte 0x%02x never occurs in UTF-8", c);
        }
        kgrl_buf_append(out, p->s + p->pos, k);
        p->pos += k;
    }
}

static bool kgrl__jp_number(kgrl__jp *p, kgrl_json *v) {
    size_t start = p->pos, i = p->pos;
    const unsigned char *s = p->s;
    if (i < p->len && s[i] == '-') i++;
    if (i < p->len && s[i] == 'I') { p->pos = i; return kgrl__jp_fail(p, start, "-Infinity is not a JSON number"); }
    if (i >= p->len || s[i] < '0' || s[i] > '9') { p->pos = i; return kgrl__jp_expected(p, "a digit after '-'"); }
    if (s[i] == '0') {
        i++;
        if (i < p->len && s[i] >= '0' && s[i] <= '9') return kgrl__jp_fail(p, start, "leading zeros are not allowed in numbers");
    } else {
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && s[i] == '.') {
        i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9') { p->pos = i; return kgrl__jp_expected(p, "a digit after the decimal point"); }
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9') { p->pos = i; return kgrl__jp_expected(p, "a digit in the exponent"); }
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    // strtod needs a NUL-terminated copy (the input is not terminated)
    size_t n = i - start;
    char small[64];
    char *buf = n < sizeof small ? small : (char *)kgrl_malloc(n + 1);
    memcpy(buf, s + start, n);
    buf[n] = 0;
    double x = strtod(buf, NULL);
    if (buf != small) kgrl_free(buf);
    if (isinf(x)) {
        int show = n > 40 ? 40 : (int)n;
        return kgrl__jp_fail(p, start, "number %.*s%s is out of range for a double", show, (const char *)s + start, n > 40 ? "..." : "");
    }
    v->type = KGRL_JSON_NUMBER;
    v->number = x;
    p->pos = i;
    return true;
}

static bool kgrl__jp_literal(kgrl__jp *p, const char *word) {
    size_t n = strlen(word);
    for (size_t k = 0; k < n; k++) {
        if (p->pos + k >= p->len || p->s[p->pos + k] != (unsigned char)word[k]) {
            char f[32];
            kgrl__jp_found(p, p->pos + k, f, sizeof f);
            return kgrl__jp_fail(p, p->pos + k, "invalid literal: expected '%s', found %s", word, f);
        }
    }
    p->pos += n;
    return true;
}

static bool kgrl__jp_value(kgrl__jp *p, kgrl_json *v, int depth);

static uint64_t kgrl__fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 0x100000001b3ull; }
    return h;
}

// Duplicate keys: pairwise for small objects, a hash set for big ones (tokenizer vocabularies have
// ~150k keys). Returns the index of the first key that repeats an earlier one, or -1.
static int kgrl__jp_find_dup(char **keys, int n) {
    if (n <= 16) {
        for (int i = 1; i < n; i++)
            for (int j = 0; j < i; j++) if (strcmp(keys[i], keys[j]) == 0) return i;
        return -1;
    }
    size_t cap = 32;
    while (cap < (size_t)n * 2) cap *= 2;
    int *slot = (int *)kgrl_malloc(cap * sizeof(int));
    for (size_t i = 0; i < cap; i++) slot[i] = -1;
    int dup = -1;
    for (int i = 0; i < n && dup < 0; i++) {
        size_t h = (size_t)kgrl__fnv1a(keys[i]) & (cap - 1);
        while (slot[h] >= 0) {
            if (strcmp(keys[slot[h]], keys[i]) == 0) { dup = i; break; }
            h = (h + 1) & (cap - 1);
        }
        if (dup < 0) slot[h] = i;
    }
    kgrl_free(slot);
    return dup;
}

static bool kgrl__jp_container(kgrl__jp *p, kgrl_json *v, int depth) {
    bool is_obj = p->s[p->pos] == '{';
    char close = is_obj ? '}' : ']';
    if (depth >= KGRL_JSON_MAX_DEPTH)
        return kgrl__jp_fail(p, p->pos, "nesting deeper than %d levels", KGRL_JSON_MAX_DEPTH);
    v->type = is_obj ? KGRL_JSON_OBJECT : KGRL_JSON_ARRAY;
    p->pos++;
    int cap = 0;
    size_t *key_pos = NULL; // where each key starts, for the duplicate-key message
    int *key_line = NULL;
    kgrl__jp_ws(p);
    if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) { p->pos++; return true; }
    for (;;) {
        if (v->count == cap) {
            cap = cap ? cap * 2 : 4;
            v->items = (kgrl_json *)kgrl_realloc(v->items, (size_t)cap * sizeof(kgrl_json));
            if (is_obj) {
                v->keys = (char **)kgrl_realloc(v->keys, (size_t)cap * sizeof(char *));
                key_pos = (size_t *)kgrl_realloc(key_pos, (size_t)cap * sizeof(size_t));
                key_line = (int *)kgrl_realloc(key_line, (size_t)cap * sizeof(int));
            }
        }
        kgrl_json *item = &v->items[v->count];
        memset(item, 0, sizeof *item);
        if (is_obj) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                kgrl__jp_expected(p, v->count ? "a string key after ','" : "a string key or '}'");
                break;
            }
            size_t kp = p->pos;
            int kl = p->line;
            kgrl_buf key = {NULL, 0, 0};
            if (!kgrl__jp_string(p, &key)) { kgrl_buf_free(&key); break; }
            if (memchr(key.data, 0, key.len)) {
                kgrl_buf_free(&key);
                p->line = kl; // the key is on one line (raw newlines are rejected in strings)
                kgrl__jp_fail(p, kp, "object key contains U+0000, which kgrl does not support in keys");
                break;
            }
            v->keys[v->count] = (char *)kgrl_realloc(key.data, key.len + 1); // shrink: vocabularies hold 100k+ keys
            key_pos[v->count] = kp;
            key_line[v->count] = kl;
            v->count++; // the key is owned now; the item stays a zeroed null until parsed
            kgrl__jp_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') { kgrl__jp_expected(p, "':' after the object key"); break; }
            p->pos++;
            kgrl__jp_ws(p);
            if (!kgrl__jp_value(p, item, depth + 1)) break;
        } else {
            v->count++;
            if (!kgrl__jp_value(p, item, depth + 1)) break;
        }
        kgrl__jp_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; kgrl__jp_ws(p); continue; }
        if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) { p->pos++; break; }
        kgrl__jp_expected(p, is_obj ? "',' or '}' after an object member" : "',' or ']' after an array element");
        break;
    }
    if (!p->failed && is_obj) {
        int d = kgrl__jp_find_dup(v->keys, v->count);
        if (d >= 0) {
            p->line = key_line[d];
            p->line_start = 0;
            // recompute the key's line start for its column
            for (size_t i = key_pos[d]; i > 0; i--) if (p->s[i - 1] == '\n') { p->line_start = i; break; }
            int show = (int)strlen(v->keys[d]);
            kgrl__jp_fail(p, key_pos[d], "duplicate key \"%.*s%s\"", show > 60 ? 60 : show, v->keys[d], show > 60 ? "..." : "");
        }
    }
    kgrl_free(key_pos);
    kgrl_free(key_line);
    return !p->failed;
}

static bool kgrl__jp_value(kgrl__jp *p, kgrl_json *v, int depth) {
    v->line = p->line;
    v->col = kgrl__jp_col(p, p->pos);
    if (p->pos >= p->len) return kgrl__jp_expected(p, "a value");
    unsigned char c = p->s[p->pos];
    switch (c) {
    case '{': case '[': return kgrl__jp_container(p, v, depth);
    case '"': {
        kgrl_buf b = {NULL, 0, 0};
        bool ok = kgrl__jp_string(p, &b);
        if (!ok) { kgrl_buf_free(&b); return false; }
        v->type = KGRL_JSON_STRING;
        v->string = (char *)kgrl_realloc(b.data, b.len + 1); // shrink from the buffer's 256-byte start
        v->len = b.len;
        return true;
    }
    case 't': v->type = KGRL_JSON_BOOL; v->boolean = true; return kgrl__jp_literal(p, "true");
    case 'f': v->type = KGRL_JSON_BOOL; v->boolean = false; return kgrl__jp_literal(p, "false");
    case 'n': v->type = KGRL_JSON_NULL; return kgrl__jp_literal(p, "null");
    case 'N': return kgrl__jp_fail(p, p->pos, "NaN is not a JSON value");
    case 'I': return kgrl__jp_fail(p, p->pos, "Infinity is not a JSON number");
    case '+': return kgrl__jp_fail(p, p->pos, "a number may not start with '+'");
    case '.': return kgrl__jp_fail(p, p->pos, "a number may not start with '.' (write 0.5, not .5)");
    case '\'': return kgrl__jp_fail(p, p->pos, "expected a value, found \"'\" (JSON strings use double quotes)");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return kgrl__jp_number(p, v);
        return kgrl__jp_expected(p, "a value");
    }
}

static void kgrl__json_free_children(kgrl_json *j) {
    if (j->type == KGRL_JSON_STRING) kgrl_free(j->string);
    if (j->type == KGRL_JSON_ARRAY || j->type == KGRL_JSON_OBJECT) {
        for (int i = 0; i < j->count; i++) {
            kgrl__json_free_children(&j->items[i]);
            if (j->keys) kgrl_free(j->keys[i]);
        }
        kgrl_free(j->items);
        kgrl_free(j->keys);
    }
}

void kgrl_json_free(kgrl_json *j) {
    if (!j) return;
    kgrl__json_free_children(j);
    kgrl_free(j);
}

kgrl_json *kgrl_json_parse(const char *text, size_t len, kgrl_err *err) {
    kgrl__jp p;
    memset(&p, 0, sizeof p);
    p.s = (const unsigned char *)(text ? text : "");
    p.len = text ? len : 0;
    p.line = 1;
    p.err = err;
    if (p.len >= 3 && p.s[0] == 0xEF && p.s[1] == 0xBB && p.s[2] == 0xBF) p.pos = p.line_start = 3;
    kgrl_json *root = (kgrl_json *)kgrl_calloc(1, sizeof(kgrl_json));
    kgrl__jp_ws(&p);
    if (kgrl__jp_value(&p, root, 0)) {
        kgrl__jp_ws(&p);
        if (p.pos < p.len) {
            char f[32];
            kgrl__jp_found(&p, p.pos, f, sizeof f);
            kgrl__jp_fail(&p, p.pos, "expected end of input after the JSON value, found %s", f);
        }
    }
    if (p.failed) { kgrl_json_free(root); return NULL; }
    return root;
}

kgrl_json *kgrl_json_parse_file(const char *path, kgrl_err *err) {
    size_t n;
    char *text = kgrl_read_file(path, &n, err);
    if (!text) return NULL;
    kgrl_err e;
    kgrl_json *j = kgrl_json_parse(text, n, &e);
    kgrl_free(text);
    if (!j) kgrl_err_set(err, "%s:%s", path, e.msg);
    return j;
}

// ---- lookups --------------------------------------------------------------------------------
const kgrl_json *kgrl_json_get(const kgrl_json *obj, const char *key) {
    if (!obj || obj->type != KGRL_JSON_OBJECT || !key) return NULL;
    for (int i = 0; i < obj->count; i++) if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

const kgrl_json *kgrl_json_at(const kgrl_json *arr, int i) {
    if (!arr || arr->type != KGRL_JSON_ARRAY || i < 0 || i >= arr->count) return NULL;
    return &arr->items[i];
}

static const char *kgrl__json_type_name(kgrl_json_type t) {
    static const char *names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return (unsigned)t < 6 ? names[t] : "?";
}

// Integral and exactly representable in int64 ([-2^63, 2^63)).
static bool kgrl__json_is_int(double x) {
    return x == floor(x) && x >= -9223372036854775808.0 && x < 9223372036854775808.0;
}

double kgrl_json_number_or(const kgrl_json *obj, const char *key, double dflt) {
    const kgrl_json *v = kgrl_json_get(obj, key);
    return v && v->type == KGRL_JSON_NUMBER ? v->number : dflt;
}
int64_t kgrl_json_int_or(const kgrl_json *obj, const char *key, int64_t dflt) {
    const kgrl_json *v = kgrl_json_get(obj, key);
    return v && v->type == KGRL_JSON_NUMBER && kgrl__json_is_int(v->number) ? (int64_t)v->number : dflt;
}
bool kgrl_json_bool_or(const kgrl_json *obj, const char *key, bool dflt) {
    const kgrl_json *v = kgrl_json_get(obj, key);
    return v && v->type == KGRL_JSON_BOOL ? v->boolean : dflt;
}
const char *kgrl_json_string_or(const kgrl_json *obj, const char *key, const char *dflt) {
    const kgrl_json *v = kgrl_json_get(obj, key);
    return v && v->type == KGRL_JSON_STRING ? v->string : dflt;
}

// The member for a strict getter, or NULL with err set (missing key / wrong type).
static const kgrl_json *kgrl__json_strict(const kgrl_json *obj, const char *key, kgrl_json_type want, kgrl_err *err) {
    const kgrl_json *v = kgrl_json_get(obj, key);
    if (!v) {
        if (!obj || obj->type != KGRL_JSON_OBJECT) kgrl_err_set(err, "missing key \"%s\" (not an object)", key ? key : "");
        else kgrl_err_set(err, "%d:%d: missing key \"%s\"", obj->line, obj->col, key);
        return NULL;
    }
    if (v->type != want) {
        kgrl_err_set(err, "%d:%d: key \"%s\" must be %s, found %s", v->line, v->col, key, kgrl__json_type_name(want), kgrl__json_type_name(v->type));
        return NULL;
    }
    return v;
}

bool kgrl_json_get_int_strict(const kgrl_json *obj, const char *key, int64_t *out, kgrl_err *err) {
    const kgrl_json *v = kgrl__json_strict(obj, key, KGRL_JSON_NUMBER, err);
    if (!v) return false;
    if (!kgrl__json_is_int(v->number)) {
        kgrl_err_set(err, "%d:%d: key \"%s\" must be an integer, found %.17g", v->line, v->col, key, v->number);
        return false;
    }
    *out = (int64_t)v->number;
    return true;
}
bool kgrl_json_get_number_strict(const kgrl_json *obj, const char *key, double *out, kgrl_err *err) {
    const kgrl_json *v = kgrl__json_strict(obj, key, KGRL_JSON_NUMBER, err);
    if (!v) return false;
    *out = v->number;
    return true;
}
bool kgrl_json_get_string_strict(const kgrl_json *obj, const char *key, const char **out, kgrl_err *err) {
    const kgrl_json *v = kgrl__json_strict(obj, key, KGRL_JSON_STRING, err);
    if (!v) return false;
    *out = v->string;
    return true;
}

// ---- writer ---------------------------------------------------------------------------------
// Before any value: a comma if a sibling came before (not after a key, which wrote its own ':').
static void kgrl__jw_pre_value(kgrl_json_writer *w) {
    KGRL_CHECK(w->out, "kgrl_json_writer.out is NULL");
    if (w->after_key) { w->after_key = false; return; }
    KGRL_CHECK(!w->in_object[w->depth], "JSON writer: a value inside an object needs a kgrl_jw_key first");
    if (w->need_comma[w->depth]) kgrl_buf_append(w->out, ",", 1);
    w->need_comma[w->depth] = true;
}

static void kgrl__jw_escaped(kgrl_buf *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    kgrl_buf_append(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') { char e[2] = {'\\', (char)c}; kgrl_buf_append(b, e, 2); i++; }
        else if (c < 0x20) {
            const char *e = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (e) kgrl_buf_puts(b, e);
            else kgrl_buf_printf(b, "\\u%04x", c);
            i++;
        } else {
            size_t k = kgrl__utf8_seq_len(u + i, n - i);
            if (k) { kgrl_buf_append(b, u + i, k); i += k; }
            else { kgrl_buf_puts(b, "\xEF\xBF\xBD"); i++; } // U+FFFD for each invalid byte
        }
    }
    kgrl_buf_append(b, "\"", 1);
}

static void kgrl__jw_open(kgrl_json_writer *w, const char *c, bool obj) {
    kgrl__jw_pre_value(w);
    KGRL_CHECK(w->depth < KGRL_JSON_MAX_DEPTH, "JSON writer: nesting deeper than %d", KGRL_JSON_MAX_DEPTH);
    kgrl_buf_append(w->out, c, 1);
    w->depth++;
    w->need_comma[w->depth] = false;
    w->in_object[w->depth] = obj;
}
static void kgrl__jw_close(kgrl_json_writer *w, const char *c, bool obj) {
    KGRL_CHECK(w->depth > 0 && w->in_object[w->depth] == obj && !w->after_key,
               "JSON writer: '%s' does not close an open %s (or a key has no value)", c, obj ? "object" : "array");
    kgrl_buf_append(w->out, c, 1);
    w->depth--;
}
void kgrl_jw_begin_object(kgrl_json_writer *w) { kgrl__jw_open(w, "{", true); }
void kgrl_jw_end_object(kgrl_json_writer *w) { kgrl__jw_close(w, "}", true); }
void kgrl_jw_begin_array(kgrl_json_writer *w) { kgrl__jw_open(w, "[", false); }
void kgrl_jw_end_array(kgrl_json_writer *w) { kgrl__jw_close(w, "]", false); }

void kgrl_jw_key(kgrl_json_writer *w, const char *key) {
    KGRL_CHECK(w->out, "kgrl_json_writer.out is NULL");
    KGRL_CHECK(w->in_object[w->depth] && !w->after_key, "JSON writer: key \"%s\" outside an object or after another key", key);
    if (w->need_comma[w->depth]) kgrl_buf_append(w->out, ",", 1);
    w->need_comma[w->depth] = true;
    kgrl__jw_escaped(w->out, key, strlen(key));
    kgrl_buf_append(w->out, ":", 1);
    w->after_key = true;
}
void kgrl_jw_string(kgrl_json_writer *w, const char *s) { kgrl_jw_string_n(w, s, strlen(s)); }
void kgrl_jw_string_n(kgrl_json_writer *w, const char *s, size_t n) {
    kgrl__jw_pre_value(w);
    kgrl__jw_escaped(w->out, s, n);
}
void kgrl_jw_number(kgrl_json_writer *w, double x) {
    kgrl__jw_pre_value(w);
    if (isnan(x) || isinf(x)) { kgrl_buf_puts(w->out, "null"); return; }
    char s[40];
    for (int prec = 15; prec <= 17; prec++) { // shortest that reads back bit-exact
        snprintf(s, sizeof s, "%.*g", prec, x);
        if (strtod(s, NULL) == x) break;
    }
    kgrl_buf_puts(w->out, s);
}
void kgrl_jw_int(kgrl_json_writer *w, int64_t x) { kgrl__jw_pre_value(w); kgrl_buf_printf(w->out, "%lld", (long long)x); }
void kgrl_jw_bool(kgrl_json_writer *w, bool b) { kgrl__jw_pre_value(w); kgrl_buf_puts(w->out, b ? "true" : "false"); }
void kgrl_jw_null(kgrl_json_writer *w) { kgrl__jw_pre_value(w); kgrl_buf_puts(w->out, "null"); }

void kgrl_jw_value(kgrl_json_writer *w, const kgrl_json *j) {
    switch (j->type) {
    case KGRL_JSON_NULL: kgrl_jw_null(w); break;
    case KGRL_JSON_BOOL: kgrl_jw_bool(w, j->boolean); break;
    case KGRL_JSON_NUMBER: kgrl_jw_number(w, j->number); break;
    case KGRL_JSON_STRING: kgrl_jw_string_n(w, j->string, j->len); break;
    case KGRL_JSON_ARRAY:
        kgrl_jw_begin_array(w);
        for (int i = 0; i < j->count; i++) kgrl_jw_value(w, &j->items[i]);
        kgrl_jw_end_array(w);
        break;
    case KGRL_JSON_OBJECT:
        kgrl_jw_begin_object(w);
        for (int i = 0; i < j->count; i++) { kgrl_jw_key(w, j->keys[i]); kgrl_jw_value(w, &j->items[i]); }
        kgrl_jw_end_object(w);
        break;
    }
}
