// Tokenizer: Hugging Face `tokenizer.json` byte-level BPE (Qwen2/2.5/3, Llama 3, GPT-2 style),
// token for token as the `tokenizers` library encodes; chat templates; a byte-level BPE trainer
// for the kit's own tiny model. Built on the Unicode tables of src/10_unicode.h.
//
// What is supported (anything else in a tokenizer.json is an error that names it):
//   normalizer     null | NFC | Sequence of those
//   pre_tokenizer  null | ByteLevel (add_prefix_space, use_regex) | Split (Regex or String
//                  pattern; behavior Removed, Isolated, MergedWithPrevious, MergedWithNext,
//                  Contiguous; invert) | Sequence of those
//   model          BPE with vocab, merges ("a b" or ["a","b"]), ignore_merges; no dropout,
//                  no byte_fallback, no continuing_subword_prefix / end_of_word_suffix
//   decoder        null | ByteLevel
//   added_tokens   special or not, lstrip, rstrip, normalized, single_word; matched before
//                  pre-tokenization, leftmost-longest, like the library's AddedVocabulary
//   post_processor ignored: encode never adds BOS/EOS unless asked (add_bos)
//
// The pre-tokenizer regexes run on kgrl's own backtracking matcher over code points (Oniguruma
// semantics for what these patterns use): alternation, (...), (?:...), (?i:...), (?!...), (?=...),
// classes with ranges and negation, \p{L} \p{N} \p{M} \p{P} \p{S} \p{Z} \p{C} \p{Nd} (and long
// names such as \p{Letter}), \P{..}, \s \S \d \D \w \W, \r \n \t \f \v \xHH \x{H..} \uHHHH, ^ $ .,
// greedy ? * + {m} {m,} {m,n}. Lazy and possessive quantifiers, backreferences and other
// subcategories (\p{Lu} ...) are rejected at compile time with a message. A repeated single
// character or class backtracks in a loop; a repeated group recurses once per iteration (none of
// the families' patterns repeats a group).
//
// Known differences from the library: the Unicode tables are python's (the version is
// KGRL_UNICODE_VERSION); characters assigned in a later version (e.g. CJK Extension H, Unicode 15)
// count as unassigned here. Inside (?i:...) a class also matches a character whose simple case
// fold it contains, not the full Oniguruma closure. The content of a `normalized` added token is
// not itself normalized (no effect for ASCII tokens). A file whose added-token ids disagree with
// the ids the library would assign is refused (real files agree).
//
//   kgrl_err err = KGRL_ZERO;
//   kgrl_tokenizer *tok = kgrl_tokenizer_load("tokenizer.json", &err);  // NULL: err.msg says why
//   kgrl_tokens ids = KGRL_ZERO;
//   kgrl_tokenizer_encode(tok, text, strlen(text), false, &ids);         // ids.ids[0 .. ids.n)
//   kgrl_buf out = KGRL_ZERO;
//   kgrl_tokenizer_decode(tok, ids.ids, ids.n, true, &out);              // out.data
//   kgrl_buf_free(&out); kgrl_tokens_free(&ids); kgrl_tokenizer_free(tok);

// ---- Unicode lookups (tables in src/10_unicode.h) ----
KGRL_API kgrl_uni_cat kgrl_uni_category(uint32_t cp);   // major category; C for unassigned
KGRL_API bool kgrl_uni_is_space(uint32_t cp);           // White_Space
KGRL_API bool kgrl_uni_is_digit(uint32_t cp);           // Nd
KGRL_API bool kgrl_uni_is_word(uint32_t cp);            // Rust regex \w: Alphabetic, M, Nd, Pc, Join_Control
KGRL_API uint32_t kgrl_uni_fold(uint32_t cp);           // simple case folding
KGRL_API int kgrl_uni_ccc(uint32_t cp);                 // canonical combining class
// Decode one UTF-8 code point at s[0..n); returns its length in bytes (>= 1). An invalid or
// truncated sequence yields U+FFFD and length 1, so every byte is consumed exactly once.
KGRL_API int kgrl_utf8_decode(const char *s, size_t n, uint32_t *cp);
KGRL_API int kgrl_utf8_encode(uint32_t cp, char out[4]);
// NFC of `n` bytes of UTF-8, appended to `out` (invalid bytes pass through unchanged).
KGRL_API void kgrl_nfc(const char *s, size_t n, kgrl_buf *out);

// ---- Regex (the pre-tokenizer's) ----
typedef struct kgrl_regex kgrl_regex;
KGRL_API kgrl_regex *kgrl_regex_compile(const char *pattern, kgrl_err *err);
KGRL_API void kgrl_regex_free(kgrl_regex *re);
// Leftmost match in cps[from..n): true with [*start, *end) (code point indices). Empty matches
// are never returned (the tokenizer's patterns have none; skipping them keeps splitting finite).
KGRL_API bool kgrl_regex_search(const kgrl_regex *re, const uint32_t *cps, int n, int from, int *start, int *end);

// ---- Tokenizer ----
typedef struct kgrl_tokenizer kgrl_tokenizer;
// A growable list of token ids.
typedef struct kgrl_tokens { int32_t *ids; int n, cap; } kgrl_tokens;
KGRL_API void kgrl_tokens_push(kgrl_tokens *t, int32_t id);
KGRL_API void kgrl_tokens_free(kgrl_tokens *t);

KGRL_API kgrl_tokenizer *kgrl_tokenizer_load(const char *path, kgrl_err *err);    // tokenizer.json
KGRL_API kgrl_tokenizer *kgrl_tokenizer_from_json(const char *text, size_t len, kgrl_err *err);
KGRL_API void kgrl_tokenizer_free(kgrl_tokenizer *tok);
// Encode `len` bytes of text, appending ids to `out`. add_bos prepends the BOS token (when the
// tokenizer has one: <|begin_of_text|>, <s>); it is never added otherwise. Special tokens written
// in the text (e.g. "<|im_start|>") become their ids, as in the library. Thread-safe (no caches).
KGRL_API void kgrl_tokenizer_encode(const kgrl_tokenizer *tok, const char *text, size_t len, bool add_bos, kgrl_tokens *out);
// Decode ids to text, appended to `out` (invalid UTF-8 becomes U+FFFD, like the library's
// lossy decode). skip_special drops added tokens marked special. Unknown ids are skipped.
KGRL_API void kgrl_tokenizer_decode(const kgrl_tokenizer *tok, const int32_t *ids, int n, bool skip_special, kgrl_buf *out);
KGRL_API int kgrl_tokenizer_vocab_size(const kgrl_tokenizer *tok);                // max id + 1
KGRL_API const char *kgrl_tokenizer_id_to_token(const kgrl_tokenizer *tok, int32_t id); // NULL if none
KGRL_API int32_t kgrl_tokenizer_token_to_id(const kgrl_tokenizer *tok, const char *token); // -1 if none
KGRL_API bool kgrl_tokenizer_is_special(const kgrl_tokenizer *tok, int32_t id);  // added token, special
// Well-known special tokens (added tokens only), -1 when absent. bos: <|begin_of_text|> or <s>; eos: <|endoftext|>,
// <|end_of_text|> or </s> (the end of a document; chat models stop on kgrl_tokenizer_eot_id too);
// eot: <|im_end|> or <|eot_id|> (end of a chat turn).
KGRL_API int32_t kgrl_tokenizer_bos_id(const kgrl_tokenizer *tok);
KGRL_API int32_t kgrl_tokenizer_eos_id(const kgrl_tokenizer *tok);
KGRL_API int32_t kgrl_tokenizer_eot_id(const kgrl_tokenizer *tok);

// ---- Chat templates ----
// Plain system/user/assistant text messages only. Not supported: tools and tool calls, images,
// video, Qwen3's reasoning_content field, Llama 3.1+'s date/tool system preamble, custom Jinja.
typedef enum kgrl_chat_family {
    KGRL_CHAT_CHATML,   // <|im_start|>role\n...<|im_end|>\n, no default system message
    KGRL_CHAT_QWEN2,    // ChatML; default system "You are a helpful assistant."
    KGRL_CHAT_QWEN2_5,  // ChatML; default system "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
    KGRL_CHAT_QWEN3,    // ChatML, no default system; thinking handled as Qwen3's template does
                        // (an assistant turn after the last user turn gets "<think>\n...\n</think>\n\n";
                        // the generation prompt is "<|im_start|>assistant\n", i.e. enable_thinking=true)
    KGRL_CHAT_LLAMA3    // <|begin_of_text|><|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>
} kgrl_chat_family;
typedef struct kgrl_chat_msg { const char *role, *content; } kgrl_chat_msg;
// "chatml", "qwen2", "qwen2.5", "qwen3", "llama3"; false with err set otherwise.
KGRL_API bool kgrl_chat_family_from_name(const char *name, kgrl_chat_family *out, kgrl_err *err);
// The prompt string (free with kgrl_free), or NULL with err set for an unknown role or family.
KGRL_API char *kgrl_chat_format(kgrl_chat_family family, const kgrl_chat_msg *messages, int n,
                                bool add_generation_prompt, kgrl_err *err);

// ---- BPE trainer ----
// Byte-level BPE as the library's BpeTrainer does it, deterministic: NFC, the Qwen2 split regex,
// byte-level alphabet (all 256 bytes, ids 0..255 in the byte-to-char map's code point order), then
// merges of the most frequent adjacent pair (counted over distinct pre-tokens weighted by their
// frequency; ties go to the pair whose (left id, right id) is smallest), until vocab_size or no
// pair occurs min_frequency times. The special tokens <|endoftext|>, <|im_start|>, <|im_end|> get
// the last ids and are split out of the corpus before counting.
typedef struct kgrl_bpe_train_desc {
    int vocab_size;      // including the 256 bytes and 3 special tokens; default 4096
    int min_frequency;   // default 2
} kgrl_bpe_train_desc;
// Appends a Qwen2-style tokenizer.json (compact JSON) to out.
KGRL_API bool kgrl_bpe_train(const char *text, size_t len, const kgrl_bpe_train_desc *desc, kgrl_buf *out, kgrl_err *err);

// kgrl:implementation
// =============================================================================================
// Unicode lookups, UTF-8, NFC
// =============================================================================================

// binary search over rows (lo, hi, ...) of `cols` uint32 each; returns the row or -1
static int kgrl__uni_find(const uint32_t *rows, int nrows, int cols, uint32_t cp) {
    int lo = 0, hi = nrows - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const uint32_t *r = rows + (size_t)mid * cols;
        if (cp < r[0]) hi = mid - 1;
        else if (cp > r[1]) lo = mid + 1;
        else return mid;
    }
    return -1;
}

kgrl_uni_cat kgrl_uni_category(uint32_t cp) {
    int r = kgrl__uni_find(&kgrl__uni_cats[0][0], (int)(sizeof kgrl__uni_cats / sizeof kgrl__uni_cats[0]), 3, cp);
    return r < 0 ? KGRL_UNI_C : (kgrl_uni_cat)kgrl__uni_cats[r][2];
}
bool kgrl_uni_is_space(uint32_t cp) {
    return kgrl__uni_find(&kgrl__uni_space[0][0], (int)(sizeof kgrl__uni_space / sizeof kgrl__uni_space[0]), 2, cp) >= 0;
}
bool kgrl_uni_is_digit(uint32_t cp) {
    if (cp < 128) return cp >= '0' && cp <= '9';
    return kgrl__uni_find(&kgrl__uni_nd[0][0], (int)(sizeof kgrl__uni_nd / sizeof kgrl__uni_nd[0]), 2, cp) >= 0;
}
bool kgrl_uni_is_word(uint32_t cp) {
    if (cp < 128) return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || cp == '_';
    return kgrl__uni_find(&kgrl__uni_word[0][0], (int)(sizeof kgrl__uni_word / sizeof kgrl__uni_word[0]), 2, cp) >= 0;
}
int kgrl_uni_ccc(uint32_t cp) {
    if (cp < 0x300) return 0;
    int r = kgrl__uni_find(&kgrl__uni_ccc[0][0], (int)(sizeof kgrl__uni_ccc / sizeof kgrl__uni_ccc[0]), 3, cp);
    return r < 0 ? 0 : (int)kgrl__uni_ccc[r][2];
}
uint32_t kgrl_uni_fold(uint32_t cp) {
    if (cp < 128) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    // runs (lo, n, delta, step) sorted by lo: find the last run starting at or before cp
    int lo = 0, hi = (int)(sizeof kgrl__uni_fold / sizeof kgrl__uni_fold[0]) - 1, best = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (kgrl__uni_fold[mid][0] <= cp) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best < 0) return cp;
    const uint32_t *r = kgrl__uni_fold[best];
    uint32_t k = (cp - r[0]) / r[3];
    if (k < r[1] && r[0] + k * r[3] == cp) return cp + r[2]; // delta is mod 2^32
    return cp;
}

int kgrl_utf8_decode(const char *s, size_t n, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0];
    if (c < 0x80) { *cp = c; return 1; }
    int len; uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else { *cp = 0xFFFD; return 1; }
    if ((size_t)len > n) { *cp = 0xFFFD; return 1; }
    for (int i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        v = (v << 6) | (u[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = v;
    return len;
}

int kgrl_utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// Hangul syllable constants (Unicode §3.12)
#define KGRL__HS_BASE 0xAC00u
#define KGRL__HL_BASE 0x1100u
#define KGRL__HV_BASE 0x1161u
#define KGRL__HT_BASE 0x11A7u
#define KGRL__HL_COUNT 19u
#define KGRL__HV_COUNT 21u
#define KGRL__HT_COUNT 28u
#define KGRL__HN_COUNT (KGRL__HV_COUNT * KGRL__HT_COUNT)
#define KGRL__HS_COUNT (KGRL__HL_COUNT * KGRL__HN_COUNT)
// An invalid input byte b travels through NFC as KGRL__RAW|b: class 0, no mappings.
#define KGRL__RAW 0x80000000u

static int kgrl__decomp_row(uint32_t cp) {
    int lo = 0, hi = (int)(sizeof kgrl__uni_decomp / sizeof kgrl__uni_decomp[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        uint32_t c = kgrl__uni_decomp[mid][0] & 0x7FFFFFFFu;
        if (cp < c) hi = mid - 1; else if (cp > c) lo = mid + 1; else return mid;
    }
    return -1;
}

typedef struct kgrl__u32vec { uint32_t *v; int n, cap; } kgrl__u32vec;
static void kgrl__u32_push(kgrl__u32vec *a, uint32_t x) {
    if (a->n == a->cap) { a->cap = a->cap ? 2 * a->cap : 64; a->v = (uint32_t *)kgrl_realloc(a->v, (size_t)a->cap * sizeof(uint32_t)); }
    a->v[a->n++] = x;
}

static void kgrl__decompose(uint32_t cp, kgrl__u32vec *out) {
    if (cp >= KGRL__HS_BASE && cp < KGRL__HS_BASE + KGRL__HS_COUNT) {
        uint32_t s = cp - KGRL__HS_BASE;
        kgrl__u32_push(out, KGRL__HL_BASE + s / KGRL__HN_COUNT);
        kgrl__u32_push(out, KGRL__HV_BASE + (s % KGRL__HN_COUNT) / KGRL__HT_COUNT);
        if (s % KGRL__HT_COUNT) kgrl__u32_push(out, KGRL__HT_BASE + s % KGRL__HT_COUNT);
        return;
    }
    int r = cp < 0xC0 || (cp & KGRL__RAW) ? -1 : kgrl__decomp_row(cp);
    if (r < 0) { kgrl__u32_push(out, cp); return; }
    kgrl__decompose(kgrl__uni_decomp[r][1], out);   // canonical decompositions nest (full decomposition)
    if (kgrl__uni_decomp[r][2]) kgrl__decompose(kgrl__uni_decomp[r][2], out);
}

// the primary composite of (a, b), or 0
static uint32_t kgrl__compose(uint32_t a, uint32_t b) {
    if (a >= KGRL__HL_BASE && a < KGRL__HL_BASE + KGRL__HL_COUNT && b >= KGRL__HV_BASE && b < KGRL__HV_BASE + KGRL__HV_COUNT)
        return KGRL__HS_BASE + ((a - KGRL__HL_BASE) * KGRL__HV_COUNT + (b - KGRL__HV_BASE)) * KGRL__HT_COUNT;
    if (a >= KGRL__HS_BASE && a < KGRL__HS_BASE + KGRL__HS_COUNT && (a - KGRL__HS_BASE) % KGRL__HT_COUNT == 0 &&
        b > KGRL__HT_BASE && b < KGRL__HT_BASE + KGRL__HT_COUNT)
        return a + (b - KGRL__HT_BASE);
    int lo = 0, hi = (int)(sizeof kgrl__uni_comp / sizeof kgrl__uni_comp[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const uint32_t *r = kgrl__uni_decomp[kgrl__uni_comp[mid]];
        if (a < r[1] || (a == r[1] && b < r[2])) hi = mid - 1;
        else if (a > r[1] || b > r[2]) lo = mid + 1;
        else return r[0] & 0x7FFFFFFFu;
    }
    return 0;
}

static int kgrl__ccc_raw(uint32_t cp) { return (cp & KGRL__RAW) ? 0 : kgrl_uni_ccc(cp); }

static void kgrl__nfc_chunk(const char *s, size_t n, kgrl_buf *out);

// An ASCII character followed by another ASCII character (or the end) is its own NFC and
// interacts with nothing around it (ASCII never decomposes, is a starter, and is never the second
// half of a composition), so such runs are copied and only the rest is normalized.
static bool kgrl__nfc_safe(const char *s, size_t n, size_t i) {
    return (unsigned char)s[i] < 0x80 && (i + 1 == n || (unsigned char)s[i + 1] < 0x80);
}
void kgrl_nfc(const char *s, size_t n, kgrl_buf *out) {
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && kgrl__nfc_safe(s, n, j)) j++;
        kgrl_buf_append(out, s + i, j - i);
        size_t k = j;
        while (k < n && !kgrl__nfc_safe(s, n, k)) k++;
        if (k > j) kgrl__nfc_chunk(s + j, k - j, out);
        i = k;
    }
}

static void kgrl__nfc_chunk(const char *s, size_t n, kgrl_buf *out) {
    size_t i;
    // 1. full canonical decomposition
    kgrl__u32vec d = KGRL_ZERO;
    for (i = 0; i < n;) {
        uint32_t cp;
        int len = kgrl_utf8_decode(s + i, n - i, &cp);
        if (cp == 0xFFFD && !(len == 3 && (unsigned char)s[i] == 0xEF)) cp = KGRL__RAW | (unsigned char)s[i];
        kgrl__decompose(cp, &d);
        i += (size_t)len;
    }
    // 2. canonical ordering: stable insertion sort of each run of non-starters by class
    for (int k = 1; k < d.n; k++) {
        int c = kgrl__ccc_raw(d.v[k]);
        if (c == 0) continue;
        for (int j = k; j > 0; j--) {
            int p = kgrl__ccc_raw(d.v[j - 1]);
            if (p <= c) break;
            uint32_t t = d.v[j]; d.v[j] = d.v[j - 1]; d.v[j - 1] = t;
        }
    }
    // 3. canonical composition: a character composes with the last starter unless blocked
    int m = 0, starter = -1, last_cc = -1; // last_cc: class of the last kept char after the starter, -1 none
    for (int k = 0; k < d.n; k++) {
        uint32_t c = d.v[k];
        int cc = kgrl__ccc_raw(c);
        if (starter >= 0 && !(c & KGRL__RAW) && (last_cc == -1 || last_cc < cc)) {
            uint32_t comp = kgrl__compose(d.v[starter], c);
            if (comp) { d.v[starter] = comp; continue; }
        }
        if (cc == 0) { starter = m; last_cc = -1; } else last_cc = cc;
        d.v[m++] = c;
    }
    for (int k = 0; k < m; k++) {
        char u[4];
        if (d.v[k] & KGRL__RAW) { char b = (char)(d.v[k] & 0xFF); kgrl_buf_append(out, &b, 1); continue; }
        kgrl_buf_append(out, u, (size_t)kgrl_utf8_encode(d.v[k], u));
    }
    kgrl_free(d.v);
}

// =============================================================================================
// Regex: a backtracking matcher over code points. The pattern compiles to nodes linked in
// sequences (`next`); matching walks a sequence and keeps what comes after the enclosing groups
// on a stack of continuations, so alternation and backtracking are plain recursion.
// =============================================================================================

enum { KGRL__RX_CHAR, KGRL__RX_ANY, KGRL__RX_CLASS, KGRL__RX_GROUP, KGRL__RX_ALT, KGRL__RX_NLOOK,
       KGRL__RX_PLOOK, KGRL__RX_REPEAT, KGRL__RX_BOL, KGRL__RX_EOL };
// class items
enum { KGRL__RXI_RANGE, KGRL__RXI_CATS, KGRL__RXI_SPACE, KGRL__RXI_DIGIT, KGRL__RXI_WORD };

typedef struct kgrl__rx_item { int kind; bool neg; uint32_t lo, hi; } kgrl__rx_item; // CATS: lo = bit mask of kgrl_uni_cat
typedef struct kgrl__rx_class {
    int first, n;          // items [first, first + n)
    bool negate, icase;
    uint64_t ascii[2];     // precomputed membership of code points < 128 (after negation)
} kgrl__rx_class;
typedef struct kgrl__rx_node {
    int type, next;        // next: the following node of the sequence, -1 at its end
    int child;             // GROUP/NLOOK/PLOOK/REPEAT: head of the inner sequence; ALT: first branch in `branches`
    int nbranch;           // ALT
    uint32_t c;            // CHAR (folded when icase)
    bool icase;            // CHAR
    int cls;               // CLASS
    int min, max;          // REPEAT (max -1: unbounded)
} kgrl__rx_node;
struct kgrl_regex {
    kgrl__rx_node *nodes; int nnodes;
    kgrl__rx_class *classes; int nclasses;
    kgrl__rx_item *items; int nitems;
    int *branches; int nbranches;
    int root;
};

typedef struct kgrl__rx_parser {
    kgrl_regex *re;
    const uint32_t *p; int n, i;   // the pattern as code points
    bool icase;
    kgrl_err *err; bool failed;
} kgrl__rx_parser;

static void kgrl__rx_fail(kgrl__rx_parser *ps, const char *what) {
    if (!ps->failed) kgrl_err_set(ps->err, "regex: %s at pattern position %d", what, ps->i);
    ps->failed = true;
}

static int kgrl__rx_new(kgrl__rx_parser *ps, int type) {
    kgrl_regex *re = ps->re;
    re->nodes = (kgrl__rx_node *)kgrl_realloc(re->nodes, (size_t)(re->nnodes + 1) * sizeof *re->nodes);
    kgrl__rx_node *nd = &re->nodes[re->nnodes];
    memset(nd, 0, sizeof *nd);
    nd->type = type; nd->next = -1; nd->child = -1; nd->max = -1;
    return re->nnodes++;
}

static void kgrl__rx_add_item(kgrl__rx_parser *ps, int kind, bool neg, uint32_t lo, uint32_t hi) {
    kgrl_regex *re = ps->re;
    re->items = (kgrl__rx_item *)kgrl_realloc(re->items, (size_t)(re->nitems + 1) * sizeof *re->items);
    kgrl__rx_item it; it.kind = kind; it.neg = neg; it.lo = lo; it.hi = hi;
    re->items[re->nitems++] = it;
}

static bool kgrl__rx_item_has(const kgrl__rx_item *it, uint32_t c) {
    bool in;
    switch (it->kind) {
    case KGRL__RXI_RANGE: in = c >= it->lo && c <= it->hi; break;
    case KGRL__RXI_CATS: in = (it->lo >> kgrl_uni_category(c)) & 1; break;
    case KGRL__RXI_SPACE: in = kgrl_uni_is_space(c); break;
    case KGRL__RXI_DIGIT: in = kgrl_uni_is_digit(c); break;
    default: { // \w (Oniguruma, Unicode): Letter, Mark, Decimal_Number, Connector_Punctuation
        kgrl_uni_cat k = kgrl_uni_category(c);
        in = k == KGRL_UNI_L || k == KGRL_UNI_M || kgrl_uni_is_digit(c) || c == '_';
    }
    }
    return in != it->neg;
}

static bool kgrl__rx_class_has_slow(const kgrl_regex *re, const kgrl__rx_class *cl, uint32_t c) {
    bool in = false;
    for (int k = 0; k < cl->n && !in; k++) in = kgrl__rx_item_has(&re->items[cl->first + k], c);
    // (?i): also accept when the folded form is in the class (covers [a-z] against 'A')
    if (!in && cl->icase) {
        uint32_t f = kgrl_uni_fold(c);
        for (int k = 0; k < cl->n && !in && f != c; k++) in = kgrl__rx_item_has(&re->items[cl->first + k], f);
    }
    return in != cl->negate;
}

static bool kgrl__rx_one(const kgrl_regex *re, const kgrl__rx_node *nd, uint32_t c) {
    switch (nd->type) {
    case KGRL__RX_CHAR: return nd->icase ? kgrl_uni_fold(c) == nd->c : c == nd->c;
    case KGRL__RX_ANY: return c != '\n';
    default: {
        const kgrl__rx_class *cl = &re->classes[nd->cls];
        if (c < 128) return (cl->ascii[c >> 6] >> (c & 63)) & 1;
        return kgrl__rx_class_has_slow(re, cl, c);
    }
    }
}

// \p{..} name -> mask of major categories (only Nd is finer; it gets its own item kind)
static bool kgrl__rx_prop(const char *name, int *kind, uint32_t *mask) {
    static const struct { const char *name; int cat; } names[] = {
        {"L", KGRL_UNI_L}, {"Letter", KGRL_UNI_L}, {"M", KGRL_UNI_M}, {"Mark", KGRL_UNI_M},
        {"Combining_Mark", KGRL_UNI_M}, {"N", KGRL_UNI_N}, {"Number", KGRL_UNI_N},
        {"P", KGRL_UNI_P}, {"Punctuation", KGRL_UNI_P}, {"S", KGRL_UNI_S}, {"Symbol", KGRL_UNI_S},
        {"Z", KGRL_UNI_Z}, {"Separator", KGRL_UNI_Z}, {"C", KGRL_UNI_C}, {"Other", KGRL_UNI_C},
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcmp(name, names[k].name) == 0) { *kind = KGRL__RXI_CATS; *mask = 1u << names[k].cat; return true; }
    if (strcmp(name, "Nd") == 0 || strcmp(name, "Decimal_Number") == 0) { *kind = KGRL__RXI_DIGIT; *mask = 0; return true; }
    if (strcmp(name, "White_Space") == 0 || strcmp(name, "Space") == 0) { *kind = KGRL__RXI_SPACE; *mask = 0; return true; }
    return false;
}

static int kgrl__rx_hex(kgrl__rx_parser *ps, int ndigits) { // ndigits -1: {...}
    uint32_t v = 0; int k = 0;
    bool braced = ndigits < 0 && ps->i < ps->n && ps->p[ps->i] == '{';
    if (braced) ps->i++;
    while (ps->i < ps->n && (braced ? ps->p[ps->i] != '}' : k < ndigits)) {
        uint32_t c = ps->p[ps->i];
        int d = (c >= '0' && c <= '9') ? (int)(c - '0') : (c >= 'a' && c <= 'f') ? (int)(c - 'a' + 10) :
                (c >= 'A' && c <= 'F') ? (int)(c - 'A' + 10) : -1;
        if (d < 0 || k >= 8) { kgrl__rx_fail(ps, "bad hex escape"); return 0; }
        v = v * 16 + (uint32_t)d; ps->i++; k++;
    }
    if (braced) { if (ps->i >= ps->n) { kgrl__rx_fail(ps, "unterminated \\x{...}"); return 0; } ps->i++; }
    if (k == 0 || (!braced && k != ndigits)) kgrl__rx_fail(ps, "bad hex escape");
    return (int)v;
}

// Parse an escape after '\'. Returns true and a literal in *lit, or false after adding a class
// item (kind/neg) to the current class via *kind etc. For use both inside and outside [].
typedef struct kgrl__rx_esc { bool is_item; int kind; bool neg; uint32_t lo; } kgrl__rx_esc;
static kgrl__rx_esc kgrl__rx_escape(kgrl__rx_parser *ps) {
    kgrl__rx_esc e; memset(&e, 0, sizeof e);
    if (ps->i >= ps->n) { kgrl__rx_fail(ps, "pattern ends with a backslash"); return e; }
    uint32_t c = ps->p[ps->i++];
    switch (c) {
    case 'n': e.lo = '\n'; return e;
    case 'r': e.lo = '\r'; return e;
    case 't': e.lo = '\t'; return e;
    case 'f': e.lo = '\f'; return e;
    case 'v': e.lo = '\v'; return e;
    case 'a': e.lo = 7; return e;
    case 'e': e.lo = 27; return e;
    case '0': e.lo = 0; return e;
    case 'x': e.lo = (uint32_t)kgrl__rx_hex(ps, ps->i < ps->n && ps->p[ps->i] == '{' ? -1 : 2); return e;
    case 'u': e.lo = (uint32_t)kgrl__rx_hex(ps, 4); return e;
    case 's': case 'S': e.is_item = true; e.kind = KGRL__RXI_SPACE; e.neg = c == 'S'; return e;
    case 'd': case 'D': e.is_item = true; e.kind = KGRL__RXI_DIGIT; e.neg = c == 'D'; return e;
    case 'w': case 'W': e.is_item = true; e.kind = KGRL__RXI_WORD; e.neg = c == 'W'; return e;
    case 'p': case 'P': {
        char name[64]; int k = 0;
        if (ps->i < ps->n && ps->p[ps->i] == '{') {
            ps->i++;
            bool neg = false;
            if (ps->i < ps->n && ps->p[ps->i] == '^') { neg = true; ps->i++; }
            while (ps->i < ps->n && ps->p[ps->i] != '}' && k < 63) name[k++] = (char)ps->p[ps->i++];
            if (ps->i >= ps->n || ps->p[ps->i] != '}') { kgrl__rx_fail(ps, "unterminated \\p{...}"); return e; }
            ps->i++;
            e.neg = neg;
        } else if (ps->i < ps->n) {
            name[k++] = (char)ps->p[ps->i++];
        }
        name[k] = 0;
        int kind; uint32_t mask;
        if (!kgrl__rx_prop(name, &kind, &mask)) {
            if (!ps->failed) kgrl_err_set(ps->err, "regex: unsupported property \\p{%s} at pattern position %d "
                                          "(supported: L M N P S Z C Nd White_Space)", name, ps->i);
            ps->failed = true;
            return e;
        }
        e.is_item = true; e.kind = kind; e.lo = mask; e.neg = e.neg != (c == 'P');
        return e;
    }
    default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '1' && c <= '9')) {
            ps->i--;
            kgrl__rx_fail(ps, "unsupported escape (backreferences, \\b, \\A ... are not supported)");
            return e;
        }
        e.lo = c; // escaped punctuation is itself
        return e;
    }
}

static int kgrl__rx_class_new(kgrl__rx_parser *ps) {
    kgrl_regex *re = ps->re;
    re->classes = (kgrl__rx_class *)kgrl_realloc(re->classes, (size_t)(re->nclasses + 1) * sizeof *re->classes);
    kgrl__rx_class *cl = &re->classes[re->nclasses];
    memset(cl, 0, sizeof *cl);
    cl->first = re->nitems; cl->icase = ps->icase;
    return re->nclasses++;
}

static void kgrl__rx_class_done(kgrl__rx_parser *ps, int ci) {
    kgrl_regex *re = ps->re;
    kgrl__rx_class *cl = &re->classes[ci];
    cl->n = re->nitems - cl->first;
    for (uint32_t c = 0; c < 128; c++)
        if (kgrl__rx_class_has_slow(re, cl, c)) cl->ascii[c >> 6] |= (uint64_t)1 << (c & 63);
}

// after '[' : items until ']'
static int kgrl__rx_parse_class(kgrl__rx_parser *ps) {
    int ci = kgrl__rx_class_new(ps);
    bool negate = false;
    if (ps->i < ps->n && ps->p[ps->i] == '^') { negate = true; ps->i++; }
    bool first = true;
    for (;;) {
        if (ps->i >= ps->n) { kgrl__rx_fail(ps, "unterminated character class"); return ci; }
        uint32_t c = ps->p[ps->i];
        if (c == ']' && !first) { ps->i++; break; }
        first = false;
        if (c == '[') { kgrl__rx_fail(ps, "nested classes and POSIX [:name:] are not supported"); return ci; }
        uint32_t lo;
        ps->i++;
        if (c == '\\') {
            kgrl__rx_esc e = kgrl__rx_escape(ps);
            if (ps->failed) return ci;
            if (e.is_item) { kgrl__rx_add_item(ps, e.kind, e.neg, e.lo, e.lo); continue; }
            lo = e.lo;
        } else lo = c;
        uint32_t hi = lo;
        if (ps->i + 1 < ps->n && ps->p[ps->i] == '-' && ps->p[ps->i + 1] != ']') {
            ps->i++;
            uint32_t h = ps->p[ps->i++];
            if (h == '\\') {
                kgrl__rx_esc e = kgrl__rx_escape(ps);
                if (ps->failed) return ci;
                if (e.is_item) { kgrl__rx_fail(ps, "a class escape cannot end a range"); return ci; }
                h = e.lo;
            }
            if (h < lo) { kgrl__rx_fail(ps, "range out of order in character class"); return ci; }
            hi = h;
        }
        kgrl__rx_add_item(ps, KGRL__RXI_RANGE, false, lo, hi);
    }
    ps->re->classes[ci].negate = negate;
    kgrl__rx_class_done(ps, ci);
    return ci;
}

static int kgrl__rx_parse_alt(kgrl__rx_parser *ps);

static int kgrl__rx_parse_int(kgrl__rx_parser *ps, bool *ok) {
    int v = 0; *ok = false;
    while (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') {
        v = v * 10 + (int)(ps->p[ps->i++] - '0'); *ok = true;
        if (v > 100000) { kgrl__rx_fail(ps, "repeat count too large"); return 0; }
    }
    return v;
}

// one atom: its node, -1 on failure, -2 for an inline (?i) flag (no node)
static int kgrl__rx_parse_atom(kgrl__rx_parser *ps) {
    uint32_t c = ps->p[ps->i++];
    int nd;
    switch (c) {
    case '(': {
        int type = KGRL__RX_GROUP;
        bool saved = ps->icase;
        if (ps->i < ps->n && ps->p[ps->i] == '?') {
            ps->i++;
            uint32_t k = ps->i < ps->n ? ps->p[ps->i] : 0;
            if (k == ':') ps->i++;
            else if (k == '!') { ps->i++; type = KGRL__RX_NLOOK; }
            else if (k == '=') { ps->i++; type = KGRL__RX_PLOOK; }
            else if (k == 'i' && ps->i + 1 < ps->n && ps->p[ps->i + 1] == ':') { ps->i += 2; ps->icase = true; }
            else if (k == 'i' && ps->i + 1 < ps->n && ps->p[ps->i + 1] == ')') {
                // (?i) switches case-insensitivity on for the rest of the enclosing group
                ps->i += 2; ps->icase = true; return -2;
            } else { kgrl__rx_fail(ps, "unsupported group syntax (only (?:, (?i:, (?!, (?= )"); return -1; }
        }
        nd = kgrl__rx_new(ps, type);
        int inner = kgrl__rx_parse_alt(ps);
        ps->re->nodes[nd].child = inner;
        ps->icase = saved;
        if (ps->failed) return -1;
        if (ps->i >= ps->n || ps->p[ps->i] != ')') { kgrl__rx_fail(ps, "missing )"); return -1; }
        ps->i++;
        return nd;
    }
    case '[': nd = kgrl__rx_new(ps, KGRL__RX_CLASS); { int ci = kgrl__rx_parse_class(ps); ps->re->nodes[nd].cls = ci; } return nd;
    case '.': return kgrl__rx_new(ps, KGRL__RX_ANY);
    case '^': return kgrl__rx_new(ps, KGRL__RX_BOL);
    case '$': return kgrl__rx_new(ps, KGRL__RX_EOL);
    case '*': case '+': case '?': case '{': kgrl__rx_fail(ps, "quantifier with nothing to repeat"); return -1;
    case '\\': {
        kgrl__rx_esc e = kgrl__rx_escape(ps);
        if (ps->failed) return -1;
        if (e.is_item) {
            nd = kgrl__rx_new(ps, KGRL__RX_CLASS);
            int ci = kgrl__rx_class_new(ps);
            kgrl__rx_add_item(ps, e.kind, e.neg, e.lo, e.lo);
            kgrl__rx_class_done(ps, ci);
            ps->re->nodes[nd].cls = ci;
            return nd;
        }
        c = e.lo;
    } // an escaped literal falls through
    // fallthrough
    default:
        nd = kgrl__rx_new(ps, KGRL__RX_CHAR);
        ps->re->nodes[nd].icase = ps->icase;
        ps->re->nodes[nd].c = ps->icase ? kgrl_uni_fold(c) : c;
        return nd;
    }
}

// a sequence up to '|' or ')' ; returns its head (-1: empty)
static int kgrl__rx_parse_seq(kgrl__rx_parser *ps) {
    int head = -1, tail = -1;
    while (ps->i < ps->n && ps->p[ps->i] != '|' && ps->p[ps->i] != ')' && !ps->failed) {
        int atom = kgrl__rx_parse_atom(ps);
        if (atom == -2) continue; // (?i)
        if (atom < 0) return -1;
        // quantifier?
        if (ps->i < ps->n) {
            uint32_t q = ps->p[ps->i];
            int mn = -1, mx = -1;
            if (q == '?') { mn = 0; mx = 1; ps->i++; }
            else if (q == '*') { mn = 0; mx = -1; ps->i++; }
            else if (q == '+') { mn = 1; mx = -1; ps->i++; }
            else if (q == '{') {
                int save = ps->i; bool ok, ok2;
                ps->i++;
                mn = kgrl__rx_parse_int(ps, &ok);
                mx = mn;
                if (ok && ps->i < ps->n && ps->p[ps->i] == ',') { ps->i++; mx = kgrl__rx_parse_int(ps, &ok2); if (!ok2) mx = -1; }
                if (!ok || ps->i >= ps->n || ps->p[ps->i] != '}') { ps->i = save; mn = -1; } // a literal '{' (Oniguruma)
                else ps->i++;
                if (mn >= 0 && mx >= 0 && mx < mn) { kgrl__rx_fail(ps, "{m,n} with n < m"); return -1; }
                if (mn < 0) { // literal {
                    int lit = kgrl__rx_new(ps, KGRL__RX_CHAR);
                    ps->re->nodes[lit].c = '{'; ps->i++;
                    ps->re->nodes[atom].next = lit;
                    if (tail >= 0) ps->re->nodes[tail].next = atom; else head = atom;
                    tail = lit;
                    continue;
                }
            }
            if (mn >= 0) {
                if (ps->i < ps->n && (ps->p[ps->i] == '?' || ps->p[ps->i] == '+')) {
                    kgrl__rx_fail(ps, "lazy and possessive quantifiers are not supported"); return -1;
                }
                int rep = kgrl__rx_new(ps, KGRL__RX_REPEAT);
                ps->re->nodes[rep].child = atom; ps->re->nodes[rep].min = mn; ps->re->nodes[rep].max = mx;
                atom = rep;
            }
        }
        if (tail >= 0) ps->re->nodes[tail].next = atom; else head = atom;
        tail = atom;
    }
    return head;
}

static int kgrl__rx_parse_alt(kgrl__rx_parser *ps) {
    int first = kgrl__rx_parse_seq(ps);
    if (ps->failed || ps->i >= ps->n || ps->p[ps->i] != '|') return first;
    int heads[1024], nh = 0;
    heads[nh++] = first;
    while (ps->i < ps->n && ps->p[ps->i] == '|' && !ps->failed) {
        ps->i++;
        if (nh == 1024) { kgrl__rx_fail(ps, "more than 1024 alternatives"); return -1; }
        heads[nh++] = kgrl__rx_parse_seq(ps);
    }
    kgrl_regex *re = ps->re;
    int alt = kgrl__rx_new(ps, KGRL__RX_ALT);
    re->nodes[alt].child = re->nbranches; re->nodes[alt].nbranch = nh;
    re->branches = (int *)kgrl_realloc(re->branches, (size_t)(re->nbranches + nh) * sizeof(int));
    for (int k = 0; k < nh; k++) re->branches[re->nbranches++] = heads[k];
    return alt;
}

kgrl_regex *kgrl_regex_compile(const char *pattern, kgrl_err *err) {
    kgrl_regex *re = (kgrl_regex *)kgrl_calloc(1, sizeof *re);
    kgrl__u32vec cps = KGRL_ZERO;
    size_t len = strlen(pattern);
    for (size_t i = 0; i < len;) { uint32_t c; i += (size_t)kgrl_utf8_decode(pattern + i, len - i, &c); kgrl__u32_push(&cps, c); }
    kgrl__rx_parser ps; memset(&ps, 0, sizeof ps);
    ps.re = re; ps.p = cps.v; ps.n = cps.n; ps.err = err;
    re->root = kgrl__rx_parse_alt(&ps);
    if (!ps.failed && ps.i < ps.n) kgrl__rx_fail(&ps, "unmatched )");
    kgrl_free(cps.v);
    if (ps.failed) { kgrl_regex_free(re); return NULL; }
    return re;
}

void kgrl_regex_free(kgrl_regex *re) {
    if (!re) return;
    kgrl_free(re->nodes); kgrl_free(re->classes); kgrl_free(re->items); kgrl_free(re->branches);
    kgrl_free(re);
}

// What to match after the current sequence ends: the rest of an enclosing group (node), or the
// next iteration of a repeat (rep >= 0, iteration `count` started at `start`).
typedef struct kgrl__rx_cont { int node, rep, count, start; const struct kgrl__rx_cont *up; } kgrl__rx_cont;
typedef struct kgrl__rx_run { const kgrl_regex *re; const uint32_t *s; int n; } kgrl__rx_run;

static int kgrl__rx_m(const kgrl__rx_run *x, int nd, int pos, const kgrl__rx_cont *k);

// greedy generic repeat: try one more iteration of the group, else leave
static int kgrl__rx_rep(const kgrl__rx_run *x, int nd, int count, int pos, const kgrl__rx_cont *k) {
    const kgrl__rx_node *r = &x->re->nodes[nd];
    if (r->max < 0 || count < r->max) {
        kgrl__rx_cont c; c.node = -1; c.rep = nd; c.count = count + 1; c.start = pos; c.up = k;
        int e = kgrl__rx_m(x, r->child, pos, &c);
        if (e >= 0) return e;
    }
    if (count >= r->min) return kgrl__rx_m(x, r->next, pos, k);
    return -1;
}

// match the sequence starting at node nd at pos, then the continuations; the end or -1
static int kgrl__rx_m(const kgrl__rx_run *x, int nd, int pos, const kgrl__rx_cont *k) {
    const kgrl_regex *re = x->re;
    for (;;) {
        if (nd < 0) {
            if (!k) return pos;
            if (k->rep >= 0) {
                const kgrl__rx_node *r = &re->nodes[k->rep];
                // an empty iteration would loop forever: count it and leave the repeat
                if (pos == k->start) return k->count >= r->min ? kgrl__rx_m(x, r->next, pos, k->up) : -1;
                return kgrl__rx_rep(x, k->rep, k->count, pos, k->up);
            }
            nd = k->node; k = k->up;
            continue;
        }
        const kgrl__rx_node *p = &re->nodes[nd];
        switch (p->type) {
        case KGRL__RX_CHAR: case KGRL__RX_ANY: case KGRL__RX_CLASS:
            if (pos < x->n && kgrl__rx_one(re, p, x->s[pos])) { pos++; nd = p->next; continue; }
            return -1;
        case KGRL__RX_BOL: if (pos != 0) return -1; nd = p->next; continue;
        case KGRL__RX_EOL: if (pos != x->n) return -1; nd = p->next; continue;
        case KGRL__RX_GROUP: {
            kgrl__rx_cont c; c.node = p->next; c.rep = -1; c.count = 0; c.start = 0; c.up = k;
            return kgrl__rx_m(x, p->child, pos, &c);
        }
        case KGRL__RX_ALT: {
            kgrl__rx_cont c; c.node = p->next; c.rep = -1; c.count = 0; c.start = 0; c.up = k;
            for (int b = 0; b < p->nbranch; b++) {
                int e = kgrl__rx_m(x, re->branches[p->child + b], pos, &c);
                if (e >= 0) return e;
            }
            return -1;
        }
        case KGRL__RX_NLOOK: case KGRL__RX_PLOOK: {
            bool found = kgrl__rx_m(x, p->child, pos, NULL) >= 0;
            if (found != (p->type == KGRL__RX_PLOOK)) return -1;
            nd = p->next;
            continue;
        }
        default: { // REPEAT
            const kgrl__rx_node *ch = &re->nodes[p->child];
            bool single = (ch->type == KGRL__RX_CHAR || ch->type == KGRL__RX_ANY || ch->type == KGRL__RX_CLASS);
            if (!single) return kgrl__rx_rep(x, nd, 0, pos, k);
            // one code point per iteration: count greedily, then give back one at a time
            int cnt = 0;
            while ((p->max < 0 || cnt < p->max) && pos + cnt < x->n && kgrl__rx_one(re, ch, x->s[pos + cnt])) cnt++;
            for (int i = cnt; i >= p->min; i--) {
                int e = kgrl__rx_m(x, p->next, pos + i, k);
                if (e >= 0) return e;
            }
            return -1;
        }
        }
    }
}

bool kgrl_regex_search(const kgrl_regex *re, const uint32_t *cps, int n, int from, int *start, int *end) {
    kgrl__rx_run x; x.re = re; x.s = cps; x.n = n;
    for (int i = from; i < n; i++) {
        int e = kgrl__rx_m(&x, re->root, i, NULL);
        if (e > i) { *start = i; *end = e; return true; }
    }
    return false;
}

// =============================================================================================
// Tokenizer
// =============================================================================================

enum { KGRL__PT_SPLIT, KGRL__PT_BYTELEVEL };
enum { KGRL__SB_REMOVED, KGRL__SB_ISOLATED, KGRL__SB_PREV, KGRL__SB_NEXT, KGRL__SB_CONTIGUOUS };
typedef struct kgrl__pretok {
    int type;
    kgrl_regex *re;          // SPLIT with a Regex pattern; BYTELEVEL with use_regex (GPT-2's)
    char *literal;           // SPLIT with a String pattern
    int behavior;            // SPLIT
    bool invert;             // SPLIT
    bool add_prefix_space;   // BYTELEVEL
} kgrl__pretok;
typedef struct kgrl__added {
    char *content; int len; int32_t id;
    bool special, lstrip, rstrip, normalized, single_word;
} kgrl__added;

typedef struct kgrl__merge { uint64_t key; int32_t rank, out; } kgrl__merge; // one cache line holds four
typedef struct kgrl__vslot { uint32_t hash; int32_t id; } kgrl__vslot;         // the hash spares most string compares

struct kgrl_tokenizer {
    int nvocab;                   // max id + 1 (model vocab and added tokens)
    char **tok; int *toklen;      // (nvocab) the token string of each id, NULL for holes
    uint8_t *flags;               // (nvocab) 1: an added token, 2: special, 4: in the model's vocab
    kgrl__vslot *vhash; uint32_t vmask; // token string -> id, open addressing, id -1 empty
    kgrl__merge *merges; uint32_t mmask; // (left id, right id) -> rank, result; open addressing, rank -1 empty
    bool ignore_merges;
    int32_t unk;
    kgrl__added *added; int nadded;
    bool added_first[256];        // bytes that start some added token (most bytes skip the search)
    bool nfc;
    kgrl__pretok *pre; int npre;
    bool bytelevel_decoder;
    uint32_t byte_char[256];      // byte -> its code point in the byte-level alphabet
    int16_t char_byte[324];       // code point (< 324) -> byte, -1 for none
    int32_t char_id[324];         // code point (< 324) -> vocab id of that one character, -1 for none
    int32_t bos, eos, eot;
};

void kgrl_tokens_push(kgrl_tokens *t, int32_t id) {
    if (t->n == t->cap) { t->cap = t->cap ? 2 * t->cap : 256; t->ids = (int32_t *)kgrl_realloc(t->ids, (size_t)t->cap * sizeof(int32_t)); }
    t->ids[t->n++] = id;
}
void kgrl_tokens_free(kgrl_tokens *t) { kgrl_free(t->ids); t->ids = NULL; t->n = t->cap = 0; }

static uint64_t kgrl__fnv(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ull; }
    return h;
}
static uint64_t kgrl__mix64(uint64_t x) { // splitmix64 finalizer: spreads pair keys over the table
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull; x ^= x >> 27; x *= 0x94d049bb133111ebull; x ^= x >> 31;
    return x;
}

static int32_t kgrl__vocab_find(const kgrl_tokenizer *t, const char *s, size_t n) {
    if (!t->vhash) return -1;
    uint32_t hash = (uint32_t)kgrl__fnv(s, n);
    for (uint32_t h = hash & t->vmask;; h = (h + 1) & t->vmask) {
        const kgrl__vslot *v = &t->vhash[h];
        if (v->id < 0) return -1;
        if (v->hash == hash && (size_t)t->toklen[v->id] == n && memcmp(t->tok[v->id], s, n) == 0) return v->id;
    }
}

// The model sees only its own vocab: an added token ("zzq") is no BPE symbol and no whole-word
// match for ignore_merges, as in the library, where added tokens live outside the model.
static int32_t kgrl__model_find(const kgrl_tokenizer *t, const char *s, size_t n) {
    int32_t id = kgrl__vocab_find(t, s, n);
    return id >= 0 && (t->flags[id] & 4) ? id : -1;
}

// add id under its string unless that string is there already (the first id keeps it)
static void kgrl__vocab_insert(kgrl_tokenizer *t, int32_t id, bool check) {
    if (check && kgrl__vocab_find(t, t->tok[id], (size_t)t->toklen[id]) >= 0) return;
    uint32_t hash = (uint32_t)kgrl__fnv(t->tok[id], (size_t)t->toklen[id]);
    uint32_t h = hash & t->vmask;
    while (t->vhash[h].id >= 0) h = (h + 1) & t->vmask;
    t->vhash[h].hash = hash; t->vhash[h].id = id;
}

// the model vocab (unique strings: the JSON reader refuses duplicate keys); room for all ids
static void kgrl__vocab_index(kgrl_tokenizer *t) {
    uint32_t cap = 1024;
    while (cap < 2u * (uint32_t)t->nvocab) cap *= 2;
    t->vmask = cap - 1;
    t->vhash = (kgrl__vslot *)kgrl_malloc(cap * sizeof(kgrl__vslot));
    for (uint32_t i = 0; i < cap; i++) t->vhash[i].id = -1;
    for (int32_t id = 0; id < t->nvocab; id++) if (t->tok[id]) kgrl__vocab_insert(t, id, false);
}

static bool kgrl__merge_find(const kgrl_tokenizer *t, int32_t a, int32_t b, int32_t *rank, int32_t *out) {
    if (!t->merges) return false;
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    for (uint32_t h = (uint32_t)kgrl__mix64(key) & t->mmask;; h = (h + 1) & t->mmask) {
        const kgrl__merge *m = &t->merges[h];
        if (m->rank < 0) return false;
        if (m->key == key) { *rank = m->rank; *out = m->out; return true; }
    }
}

static void kgrl__bytelevel_init(kgrl_tokenizer *t) {
    // GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes
    // get U+0100 onwards in byte order
    int n = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        t->byte_char[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
    }
    for (int c = 0; c < 324; c++) t->char_byte[c] = -1;
    for (int b = 0; b < 256; b++) t->char_byte[t->byte_char[b]] = (int16_t)b;
}

static const char *kgrl__gpt2_pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static bool kgrl__tok_normalizer(kgrl_tokenizer *t, const kgrl_json *j, kgrl_err *err) {
    if (!j || j->type == KGRL_JSON_NULL) return true;
    const char *type = kgrl_json_string_or(j, "type", "");
    if (strcmp(type, "NFC") == 0) { t->nfc = true; return true; }
    if (strcmp(type, "Sequence") == 0) {
        const kgrl_json *a = kgrl_json_get(j, "normalizers");
        if (!a || a->type != KGRL_JSON_ARRAY) { kgrl_err_set(err, "normalizer Sequence without a \"normalizers\" array"); return false; }
        for (int i = 0; i < a->count; i++) if (!kgrl__tok_normalizer(t, &a->items[i], err)) return false;
        return true;
    }
    kgrl_err_set(err, "unsupported normalizer \"%s\" (supported: NFC, Sequence, null)", type);
    return false;
}

static bool kgrl__tok_pretok(kgrl_tokenizer *t, const kgrl_json *j, kgrl_err *err) {
    if (!j || j->type == KGRL_JSON_NULL) return true;
    const char *type = kgrl_json_string_or(j, "type", "");
    if (strcmp(type, "Sequence") == 0) {
        const kgrl_json *a = kgrl_json_get(j, "pretokenizers");
        if (!a || a->type != KGRL_JSON_ARRAY) { kgrl_err_set(err, "pre_tokenizer Sequence without a \"pretokenizers\" array"); return false; }
        for (int i = 0; i < a->count; i++) if (!kgrl__tok_pretok(t, &a->items[i], err)) return false;
        return true;
    }
    kgrl__pretok p; memset(&p, 0, sizeof p);
    if (strcmp(type, "ByteLevel") == 0) {
        p.type = KGRL__PT_BYTELEVEL;
        p.add_prefix_space = kgrl_json_bool_or(j, "add_prefix_space", true);
        if (kgrl_json_bool_or(j, "use_regex", true)) {
            p.re = kgrl_regex_compile(kgrl__gpt2_pattern, err);
            if (!p.re) return false;
        }
    } else if (strcmp(type, "Split") == 0) {
        p.type = KGRL__PT_SPLIT;
        const kgrl_json *pat = kgrl_json_get(j, "pattern");
        const char *rx = pat ? kgrl_json_string_or(pat, "Regex", NULL) : NULL;
        const char *lit = pat ? kgrl_json_string_or(pat, "String", NULL) : NULL;
        if (rx) {
            kgrl_err e2 = KGRL_ZERO;
            p.re = kgrl_regex_compile(rx, &e2);
            if (!p.re) { kgrl_err_set(err, "Split pre-tokenizer: %s", e2.msg); return false; }
        } else if (lit && lit[0]) {
            p.literal = kgrl_strdup(lit);
        } else { kgrl_err_set(err, "Split pre-tokenizer needs a pattern {\"Regex\": ...} or a non-empty {\"String\": ...}"); return false; }
        const char *b = kgrl_json_string_or(j, "behavior", "");
        static const char *names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
        p.behavior = -1;
        for (int k = 0; k < 5; k++) if (strcmp(b, names[k]) == 0) p.behavior = k;
        if (p.behavior < 0) {
            kgrl_regex_free(p.re); kgrl_free(p.literal);
            kgrl_err_set(err, "Split pre-tokenizer: unknown behavior \"%s\"", b); return false;
        }
        p.invert = kgrl_json_bool_or(j, "invert", false);
    } else {
        kgrl_err_set(err, "unsupported pre_tokenizer \"%s\" (supported: ByteLevel, Split, Sequence, null)", type);
        return false;
    }
    t->pre = (kgrl__pretok *)kgrl_realloc(t->pre, (size_t)(t->npre + 1) * sizeof *t->pre);
    t->pre[t->npre++] = p;
    return true;
}

static bool kgrl__tok_model(kgrl_tokenizer *t, const kgrl_json *m, const kgrl_json *added, kgrl_err *err) {
    if (!m || m->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "tokenizer.json has no \"model\" object"); return false; }
    const char *type = kgrl_json_string_or(m, "type", "BPE");
    if (strcmp(type, "BPE") != 0) { kgrl_err_set(err, "unsupported model type \"%s\" (only BPE)", type); return false; }
    const kgrl_json *dropout = kgrl_json_get(m, "dropout");
    if (dropout && dropout->type != KGRL_JSON_NULL && !(dropout->type == KGRL_JSON_NUMBER && dropout->number == 0)) {
        kgrl_err_set(err, "BPE dropout is not supported"); return false;
    }
    if (kgrl_json_bool_or(m, "byte_fallback", false)) { kgrl_err_set(err, "BPE byte_fallback is not supported"); return false; }
    const char *cs = kgrl_json_string_or(m, "continuing_subword_prefix", NULL);
    const char *ew = kgrl_json_string_or(m, "end_of_word_suffix", NULL);
    if ((cs && cs[0]) || (ew && ew[0])) {
        kgrl_err_set(err, "BPE continuing_subword_prefix / end_of_word_suffix are not supported"); return false;
    }
    t->ignore_merges = kgrl_json_bool_or(m, "ignore_merges", false);
    const kgrl_json *vocab = kgrl_json_get(m, "vocab");
    if (!vocab || vocab->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "model has no \"vocab\" object"); return false; }
    // ids: vocab values and added token ids
    int64_t maxid = -1;
    for (int i = 0; i < vocab->count; i++) {
        const kgrl_json *v = &vocab->items[i];
        if (v->type != KGRL_JSON_NUMBER || v->number < 0 || v->number > 16777216 || v->number != (double)(int64_t)v->number) {
            kgrl_err_set(err, "vocab entry \"%s\": id must be an integer in [0, 2^24]", vocab->keys[i]); return false;
        }
        if ((int64_t)v->number > maxid) maxid = (int64_t)v->number;
    }
    for (int i = 0; added && i < added->count; i++) {
        int64_t id = kgrl_json_int_or(&added->items[i], "id", -1);
        if (id < 0 || id > 16777216) { kgrl_err_set(err, "added_tokens[%d]: bad or missing id", i); return false; }
        if (id > maxid) maxid = id;
    }
    t->nvocab = (int)(maxid + 1);
    t->tok = (char **)kgrl_calloc((size_t)t->nvocab, sizeof(char *));
    t->toklen = (int *)kgrl_calloc((size_t)t->nvocab, sizeof(int));
    t->flags = (uint8_t *)kgrl_calloc((size_t)t->nvocab, 1);
    for (int i = 0; i < vocab->count; i++) {
        int id = (int)vocab->items[i].number;
        if (t->tok[id]) { kgrl_err_set(err, "vocab: id %d is used by \"%s\" and \"%s\"", id, t->tok[id], vocab->keys[i]); return false; }
        t->tok[id] = kgrl_strdup(vocab->keys[i]);
        t->toklen[id] = (int)strlen(vocab->keys[i]);
        t->flags[id] = 4;
    }
    const char *unk = kgrl_json_string_or(m, "unk_token", NULL);
    kgrl__vocab_index(t);
    // added tokens
    t->nadded = added ? added->count : 0;
    t->added = (kgrl__added *)kgrl_calloc((size_t)t->nadded + 1, sizeof *t->added);
    // The library does not take an added token's id from the file: a token already in the model
    // vocab keeps that id, a new one gets the next id after the vocab (and the added tokens so
    // far). Real files agree with that; a file that does not is refused rather than encoded with
    // ids the library would not produce.
    int32_t next_id = vocab->count;
    for (int i = 0; i < t->nadded; i++) {
        const kgrl_json *a = &added->items[i];
        const char *content = kgrl_json_string_or(a, "content", NULL);
        if (!content || !content[0]) { kgrl_err_set(err, "added_tokens[%d]: missing or empty content", i); return false; }
        kgrl__added *d = &t->added[i];
        d->content = kgrl_strdup(content); d->len = (int)strlen(content);
        d->id = (int32_t)kgrl_json_int_or(a, "id", -1);
        int32_t in_vocab = kgrl__vocab_find(t, content, strlen(content)); // the model vocab only, so far
        int32_t lib_id = in_vocab >= 0 ? in_vocab : next_id;
        for (int k = 0; k < i && in_vocab < 0; k++) if (strcmp(t->added[k].content, content) == 0) lib_id = t->added[k].id;
        if (d->id != lib_id) {
            kgrl_err_set(err, "added_tokens[%d] \"%s\" has id %d, but the tokenizers library would give it id %d "
                         "(%s); fix the file's ids", i, content, d->id, lib_id,
                         in_vocab >= 0 ? "its content is in the model vocab" : "added tokens that are new take the next free id");
            return false;
        }
        if (in_vocab < 0 && lib_id == next_id) next_id++;
        d->special = kgrl_json_bool_or(a, "special", false);
        d->lstrip = kgrl_json_bool_or(a, "lstrip", false);
        d->rstrip = kgrl_json_bool_or(a, "rstrip", false);
        d->normalized = kgrl_json_bool_or(a, "normalized", !d->special);
        d->single_word = kgrl_json_bool_or(a, "single_word", false);
        if (in_vocab < 0 && t->tok[d->id]) {
            if (strcmp(t->tok[d->id], content) != 0) {
                kgrl_err_set(err, "added_tokens[%d] \"%s\": its id %d is the vocab's \"%s\"", i, content, d->id, t->tok[d->id]);
                return false;
            }
        } else if (in_vocab < 0) {
            t->tok[d->id] = kgrl_strdup(content); t->toklen[d->id] = d->len;
            kgrl__vocab_insert(t, d->id, true);
        }
        t->flags[d->id] = (uint8_t)((t->flags[d->id] & 4) | 1 | (d->special ? 2 : 0));
        t->added_first[(unsigned char)content[0]] = true;
    }
    for (uint32_t c = 0; c < 324; c++) {
        char u[4];
        int l = kgrl_utf8_encode(c, u);
        t->char_id[c] = kgrl__model_find(t, u, (size_t)l);
    }
    t->unk = unk ? kgrl__model_find(t, unk, strlen(unk)) : -1;
    // merges
    const kgrl_json *merges = kgrl_json_get(m, "merges");
    int nm = merges && merges->type == KGRL_JSON_ARRAY ? merges->count : 0;
    uint32_t cap = 1024;
    while (cap < 2u * (uint32_t)nm) cap *= 2;
    t->mmask = cap - 1;
    t->merges = (kgrl__merge *)kgrl_malloc(cap * sizeof(kgrl__merge));
    for (uint32_t i = 0; i < cap; i++) t->merges[i].rank = -1;
    kgrl_buf cat = KGRL_ZERO;
    for (int r = 0; r < nm; r++) {
        const kgrl_json *e = &merges->items[r];
        const char *a, *b; size_t la, lb;
        if (e->type == KGRL_JSON_STRING) {
            const char *sp = strchr(e->string, ' ');
            if (!sp || strchr(sp + 1, ' ')) { kgrl_err_set(err, "merges[%d] \"%s\": expected \"left right\"", r, e->string); kgrl_buf_free(&cat); return false; }
            a = e->string; la = (size_t)(sp - e->string); b = sp + 1; lb = strlen(b);
        } else if (e->type == KGRL_JSON_ARRAY && e->count == 2 && e->items[0].type == KGRL_JSON_STRING && e->items[1].type == KGRL_JSON_STRING) {
            a = e->items[0].string; la = e->items[0].len; b = e->items[1].string; lb = e->items[1].len;
        } else { kgrl_err_set(err, "merges[%d]: expected \"a b\" or [\"a\", \"b\"]", r); kgrl_buf_free(&cat); return false; }
        int32_t ia = kgrl__model_find(t, a, la), ib = kgrl__model_find(t, b, lb);
        cat.len = 0;
        kgrl_buf_append(&cat, a, la); kgrl_buf_append(&cat, b, lb);
        int32_t io = kgrl__model_find(t, cat.data, cat.len);
        if (ia < 0 || ib < 0 || io < 0) {
            kgrl_err_set(err, "merges[%d] (\"%.*s\", \"%.*s\"): %s is not in the vocab", r, (int)la, a, (int)lb, b,
                         ia < 0 ? "the left part" : ib < 0 ? "the right part" : "the merged token");
            kgrl_buf_free(&cat); return false;
        }
        uint64_t key = ((uint64_t)(uint32_t)ia << 32) | (uint32_t)ib;
        uint32_t h = (uint32_t)kgrl__mix64(key) & t->mmask;
        while (t->merges[h].rank >= 0 && t->merges[h].key != key) h = (h + 1) & t->mmask;
        if (t->merges[h].rank >= 0) continue; // a repeated merge keeps its first (best) rank
        t->merges[h].key = key; t->merges[h].rank = r; t->merges[h].out = io;
    }
    kgrl_buf_free(&cat);
    return true;
}

void kgrl_tokenizer_free(kgrl_tokenizer *t) {
    if (!t) return;
    for (int i = 0; t->tok && i < t->nvocab; i++) kgrl_free(t->tok[i]);
    kgrl_free(t->tok); kgrl_free(t->toklen); kgrl_free(t->flags); kgrl_free(t->vhash);
    kgrl_free(t->merges);
    for (int i = 0; i < t->nadded; i++) kgrl_free(t->added[i].content);
    kgrl_free(t->added);
    for (int i = 0; i < t->npre; i++) { kgrl_regex_free(t->pre[i].re); kgrl_free(t->pre[i].literal); }
    kgrl_free(t->pre);
    kgrl_free(t);
}

// the id of the first of `names` that is an added token, or -1
static int32_t kgrl__added_id(const kgrl_tokenizer *t, const char *const *names, int n) {
    for (int k = 0; k < n; k++)
        for (int i = 0; i < t->nadded; i++)
            if (strcmp(t->added[i].content, names[k]) == 0) return t->added[i].id;
    return -1;
}

kgrl_tokenizer *kgrl_tokenizer_from_json(const char *text, size_t len, kgrl_err *err) {
    kgrl_json *j = kgrl_json_parse(text, len, err);
    if (!j) return NULL;
    kgrl_tokenizer *t = (kgrl_tokenizer *)kgrl_calloc(1, sizeof *t);
    kgrl__bytelevel_init(t);
    const kgrl_json *added = kgrl_json_get(j, "added_tokens");
    bool ok = true;
    if (added && added->type != KGRL_JSON_ARRAY) { kgrl_err_set(err, "\"added_tokens\" must be an array"); ok = false; }
    ok = ok && kgrl__tok_model(t, kgrl_json_get(j, "model"), added, err);
    ok = ok && kgrl__tok_normalizer(t, kgrl_json_get(j, "normalizer"), err);
    ok = ok && kgrl__tok_pretok(t, kgrl_json_get(j, "pre_tokenizer"), err);
    if (ok) {
        const kgrl_json *dec = kgrl_json_get(j, "decoder");
        const char *type = dec && dec->type == KGRL_JSON_OBJECT ? kgrl_json_string_or(dec, "type", "") : NULL;
        if (type && strcmp(type, "ByteLevel") != 0) {
            kgrl_err_set(err, "unsupported decoder \"%s\" (supported: ByteLevel, null)", type); ok = false;
        }
        t->bytelevel_decoder = type != NULL;
    }
    kgrl_json_free(j);
    if (!ok) { kgrl_tokenizer_free(t); return NULL; }
    // only added tokens count: Qwen's BPE vocab holds "<s>" as ordinary text
    static const char *const bos[] = {"<|begin_of_text|>", "<s>"};
    static const char *const eos[] = {"<|endoftext|>", "<|end_of_text|>", "</s>"};
    static const char *const eot[] = {"<|im_end|>", "<|eot_id|>"};
    t->bos = kgrl__added_id(t, bos, 2);
    t->eos = kgrl__added_id(t, eos, 3);
    t->eot = kgrl__added_id(t, eot, 2);
    return t;
}

kgrl_tokenizer *kgrl_tokenizer_load(const char *path, kgrl_err *err) {
    size_t len;
    char *text = kgrl_read_file(path, &len, err);
    if (!text) return NULL;
    kgrl_err e2 = KGRL_ZERO;
    kgrl_tokenizer *t = kgrl_tokenizer_from_json(text, len, &e2);
    kgrl_free(text);
    if (!t) kgrl_err_set(err, "%s: %s", path, e2.msg);
    return t;
}

int kgrl_tokenizer_vocab_size(const kgrl_tokenizer *t) { return t->nvocab; }
const char *kgrl_tokenizer_id_to_token(const kgrl_tokenizer *t, int32_t id) {
    return id >= 0 && id < t->nvocab ? t->tok[id] : NULL;
}
int32_t kgrl_tokenizer_token_to_id(const kgrl_tokenizer *t, const char *token) {
    return kgrl__vocab_find(t, token, strlen(token));
}
bool kgrl_tokenizer_is_special(const kgrl_tokenizer *t, int32_t id) {
    return id >= 0 && id < t->nvocab && (t->flags[id] & 2);
}
int32_t kgrl_tokenizer_bos_id(const kgrl_tokenizer *t) { return t->bos; }
int32_t kgrl_tokenizer_eos_id(const kgrl_tokenizer *t) { return t->eos; }
int32_t kgrl_tokenizer_eot_id(const kgrl_tokenizer *t) { return t->eot; }

// ---- encode ----

// Pieces of text between pre-tokenizer steps: byte spans of one arena.
typedef struct kgrl__pieces { kgrl_buf arena; int *off, *len; int n, cap; } kgrl__pieces;
static void kgrl__pieces_add(kgrl__pieces *p, const char *s, int n) {
    if (n <= 0) return; // empty pieces vanish, as in the library
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->off = (int *)kgrl_realloc(p->off, (size_t)p->cap * sizeof(int));
        p->len = (int *)kgrl_realloc(p->len, (size_t)p->cap * sizeof(int));
    }
    p->off[p->n] = (int)p->arena.len; p->len[p->n] = n; p->n++;
    kgrl_buf_append(&p->arena, s, (size_t)n);
}
static void kgrl__pieces_free(kgrl__pieces *p) { kgrl_buf_free(&p->arena); kgrl_free(p->off); kgrl_free(p->len); }

typedef struct kgrl__seg { int start, end; bool match; } kgrl__seg;

// Split one piece s[0..n) by a regex or literal; behaviour as the library's SplitDelimiterBehavior.
static void kgrl__split_piece(const kgrl__pretok *pt, const char *s, int n, kgrl__pieces *out) {
    // segments: alternating gaps and matches, as byte offsets
    kgrl__seg *seg = NULL; int nseg = 0, cap = 0, last = 0;
#define KGRL__SEG_ADD(a, b, m) do { if ((b) > (a)) { if (nseg == cap) { cap = cap ? 2 * cap : 32; \
    seg = (kgrl__seg *)kgrl_realloc(seg, (size_t)cap * sizeof *seg); } \
    seg[nseg].start = (a); seg[nseg].end = (b); seg[nseg].match = (m); nseg++; } } while (0)
    if (pt->re) {
        // decode once; off[k] is the byte offset of code point k
        uint32_t *cps = (uint32_t *)kgrl_malloc((size_t)(n + 1) * sizeof(uint32_t));
        int *off = (int *)kgrl_malloc((size_t)(n + 1) * sizeof(int));
        int ncp = 0;
        for (int i = 0; i < n;) { off[ncp] = i; i += kgrl_utf8_decode(s + i, (size_t)(n - i), &cps[ncp]); ncp++; }
        off[ncp] = n;
        int from = 0, a, b;
        while (kgrl_regex_search(pt->re, cps, ncp, from, &a, &b)) {
            KGRL__SEG_ADD(last, off[a], false);
            KGRL__SEG_ADD(off[a], off[b], true);
            last = off[b]; from = b;
        }
        kgrl_free(cps); kgrl_free(off);
    } else {
        int ll = (int)strlen(pt->literal);
        for (int i = 0; i + ll <= n;) {
            if (memcmp(s + i, pt->literal, (size_t)ll) == 0) {
                KGRL__SEG_ADD(last, i, false); KGRL__SEG_ADD(i, i + ll, true);
                i += ll; last = i;
            } else i++;
        }
    }
    KGRL__SEG_ADD(last, n, false);
#undef KGRL__SEG_ADD
    if (pt->invert) for (int k = 0; k < nseg; k++) seg[k].match = !seg[k].match;
    // behaviour: merge segments into pieces (spans) in place
    int m = 0;
    bool prev = false;
    switch (pt->behavior) {
    case KGRL__SB_REMOVED:
        for (int k = 0; k < nseg; k++) if (!seg[k].match) seg[m++] = seg[k];
        break;
    case KGRL__SB_ISOLATED: m = nseg; break;
    case KGRL__SB_PREV:
        for (int k = 0; k < nseg; k++) {
            if (seg[k].match && !prev && m > 0) seg[m - 1].end = seg[k].end;
            else seg[m++] = seg[k];
            prev = seg[k].match;
        }
        break;
    case KGRL__SB_NEXT: // walk backwards: a match joins the piece after it
        for (int k = nseg - 1; k >= 0; k--) {
            bool is = seg[k].match;
            if (is && !prev && m > 0) seg[nseg - m].start = seg[k].start;
            else { m++; seg[nseg - m] = seg[k]; }
            prev = is;
        }
        memmove(seg, seg + nseg - m, (size_t)m * sizeof *seg);
        break;
    default: // CONTIGUOUS: runs of matches (or of non-matches) become one piece
        for (int k = 0; k < nseg; k++) {
            if (m > 0 && seg[k].match == prev) seg[m - 1].end = seg[k].end;
            else seg[m++] = seg[k];
            prev = seg[k].match;
        }
        break;
    }
    for (int k = 0; k < m; k++) kgrl__pieces_add(out, s + seg[k].start, seg[k].end - seg[k].start);
    kgrl_free(seg);
}

static void kgrl__bytelevel_piece(const kgrl_tokenizer *t, const kgrl__pretok *pt, const char *s, int n, kgrl__pieces *out) {
    kgrl_buf pre = KGRL_ZERO;
    if (pt->add_prefix_space && (n == 0 || s[0] != ' ')) kgrl_buf_append(&pre, " ", 1);
    kgrl_buf_append(&pre, s, (size_t)n);
    kgrl__pieces split = KGRL_ZERO;
    if (pt->re) {
        kgrl__pretok iso = *pt; iso.type = KGRL__PT_SPLIT; iso.behavior = KGRL__SB_ISOLATED; iso.invert = false;
        kgrl__split_piece(&iso, pre.data, (int)pre.len, &split);
    } else kgrl__pieces_add(&split, pre.data, (int)pre.len);
    kgrl_buf mapped = KGRL_ZERO;
    for (int k = 0; k < split.n; k++) {
        mapped.len = 0;
        const unsigned char *u = (const unsigned char *)split.arena.data + split.off[k];
        for (int i = 0; i < split.len[k]; i++) {
            char enc[4];
            kgrl_buf_append(&mapped, enc, (size_t)kgrl_utf8_encode(t->byte_char[u[i]], enc));
        }
        kgrl__pieces_add(out, mapped.data, (int)mapped.len);
    }
    kgrl_buf_free(&mapped); kgrl__pieces_free(&split); kgrl_buf_free(&pre);
}

// BPE on one pre-token: its characters, then repeatedly the lowest-ranked adjacent merge
// (leftmost on ties) until none applies. Candidate merges wait in a min-heap keyed by (rank,
// position) and are checked when popped (a symbol may have been merged away since), so a long
// piece (a run of 10^5 spaces) costs O(n log n), not O(n^2).
typedef struct kgrl__bpe_cand { int32_t rank, pos, out; } kgrl__bpe_cand;

static bool kgrl__cand_less(const kgrl__bpe_cand *a, const kgrl__bpe_cand *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}
static void kgrl__heap_push(kgrl__bpe_cand *h, int *n, kgrl__bpe_cand c) {
    int i = (*n)++;
    while (i > 0 && kgrl__cand_less(&c, &h[(i - 1) / 2])) { h[i] = h[(i - 1) / 2]; i = (i - 1) / 2; }
    h[i] = c;
}
static kgrl__bpe_cand kgrl__heap_pop(kgrl__bpe_cand *h, int *n) {
    kgrl__bpe_cand top = h[0], last = h[--(*n)];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && kgrl__cand_less(&h[c + 1], &h[c])) c++;
        if (!kgrl__cand_less(&h[c], &last)) break;
        h[i] = h[c]; i = c;
    }
    if (*n > 0) h[i] = last;
    return top;
}

static void kgrl__bpe(const kgrl_tokenizer *t, const char *s, int n, kgrl_tokens *out) {
    if (t->ignore_merges) {
        int32_t id = kgrl__model_find(t, s, (size_t)n);
        if (id >= 0) { kgrl_tokens_push(out, id); return; }
    }
    // symbols: ids in a doubly linked list over positions 0..m-1 (id -1: merged away)
    enum { SMALL = 64 };
    int32_t small_sym[SMALL], small_prev[SMALL], small_next[SMALL];
    kgrl__bpe_cand small_heap[3 * SMALL]; // pushes: m - 1 at first, then at most 2 per merge
    int32_t *sym = small_sym, *prev = small_prev, *next = small_next;
    kgrl__bpe_cand *heap = small_heap;
    if (n > SMALL) {
        sym = (int32_t *)kgrl_malloc((size_t)n * sizeof(int32_t));
        prev = (int32_t *)kgrl_malloc((size_t)n * sizeof(int32_t));
        next = (int32_t *)kgrl_malloc((size_t)n * sizeof(int32_t));
        heap = (kgrl__bpe_cand *)kgrl_malloc(3 * (size_t)n * sizeof(kgrl__bpe_cand));
    }
    int m = 0;
    for (int i = 0; i < n;) {
        uint32_t cp;
        int l = kgrl_utf8_decode(s + i, (size_t)(n - i), &cp);
        int32_t id = cp < 324 ? t->char_id[cp] : kgrl__model_find(t, s + i, (size_t)l);
        if (id < 0) id = t->unk;   // without an unk token, unknown characters are dropped (as the library does)
        if (id >= 0) { sym[m] = id; prev[m] = m - 1; next[m] = m + 1; m++; }
        i += l;
    }
    if (m > 0) next[m - 1] = -1;
    int nh = 0;
    kgrl__bpe_cand c;
    for (int i = 0; i + 1 < m; i++)
        if (kgrl__merge_find(t, sym[i], sym[i + 1], &c.rank, &c.out)) { c.pos = i; kgrl__heap_push(heap, &nh, c); }
    while (nh > 0) {
        kgrl__bpe_cand top = kgrl__heap_pop(heap, &nh);
        int i = top.pos, j = next[i];
        int32_t rank, merged;
        // stale: the left symbol is gone, has no right neighbour, or the pair changed
        if (sym[i] < 0 || j < 0 || !kgrl__merge_find(t, sym[i], sym[j], &rank, &merged) || merged != top.out) continue;
        sym[i] = merged;
        sym[j] = -1;
        next[i] = next[j];
        if (next[j] >= 0) prev[next[j]] = i;
        // the two new pairs around the merged symbol
        if (prev[i] >= 0 && kgrl__merge_find(t, sym[prev[i]], sym[i], &c.rank, &c.out)) { c.pos = prev[i]; kgrl__heap_push(heap, &nh, c); }
        if (next[i] >= 0 && kgrl__merge_find(t, sym[i], sym[next[i]], &c.rank, &c.out)) { c.pos = i; kgrl__heap_push(heap, &nh, c); }
    }
    for (int i = 0; i >= 0 && i < m; i = next[i]) kgrl_tokens_push(out, sym[i]);
    if (sym != small_sym) { kgrl_free(sym); kgrl_free(prev); kgrl_free(next); kgrl_free(heap); }
}

// Pieces already encoded during one kgrl_tokenizer_encode call (words repeat; the cache lives on
// the caller's stack, so encode stays thread-safe).
typedef struct kgrl__wc_entry { uint64_t hash; int key_off, key_len, ids_off, ids_n; } kgrl__wc_entry;
typedef struct kgrl__wcache { kgrl__wc_entry *e; uint32_t mask; int n; kgrl_buf keys; kgrl_tokens ids; } kgrl__wcache;

static void kgrl__wcache_free(kgrl__wcache *c) { kgrl_free(c->e); kgrl_buf_free(&c->keys); kgrl_tokens_free(&c->ids); }

static void kgrl__bpe_cached(const kgrl_tokenizer *t, kgrl__wcache *c, const char *s, int n, kgrl_tokens *out) {
    if (n > 64) { kgrl__bpe(t, s, n, out); return; } // long pieces are rare and rarely repeat
    uint64_t h = kgrl__fnv(s, (size_t)n);
    if (!c->e || 2 * (uint32_t)(c->n + 1) > c->mask) { // grow and rehash
        uint32_t cap = c->e ? 2 * (c->mask + 1) : 4096;
        kgrl__wc_entry *old = c->e;
        uint32_t oldcap = c->e ? c->mask + 1 : 0;
        c->e = (kgrl__wc_entry *)kgrl_malloc(cap * sizeof *c->e);
        for (uint32_t i = 0; i < cap; i++) c->e[i].key_len = -1;
        c->mask = cap - 1;
        for (uint32_t i = 0; i < oldcap; i++) {
            if (old[i].key_len < 0) continue;
            uint32_t g = (uint32_t)old[i].hash & c->mask;
            while (c->e[g].key_len >= 0) g = (g + 1) & c->mask;
            c->e[g] = old[i];
        }
        kgrl_free(old);
    }
    uint32_t g = (uint32_t)h & c->mask;
    for (; c->e[g].key_len >= 0; g = (g + 1) & c->mask) {
        const kgrl__wc_entry *e = &c->e[g];
        if (e->hash == h && e->key_len == n && memcmp(c->keys.data + e->key_off, s, (size_t)n) == 0) {
            for (int k = 0; k < e->ids_n; k++) kgrl_tokens_push(out, c->ids.ids[e->ids_off + k]);
            return;
        }
    }
    int before = out->n;
    kgrl__bpe(t, s, n, out);
    kgrl__wc_entry *e = &c->e[g];
    e->hash = h; e->key_off = (int)c->keys.len; e->key_len = n; e->ids_off = c->ids.n; e->ids_n = out->n - before;
    kgrl_buf_append(&c->keys, s, (size_t)n);
    for (int k = before; k < out->n; k++) kgrl_tokens_push(&c->ids, out->ids[k]);
    c->n++;
}

// text without added tokens: pre-tokenizers, then BPE on every piece
static void kgrl__encode_plain(const kgrl_tokenizer *t, kgrl__wcache *wc, const char *s, int n, kgrl_tokens *out) {
    kgrl__pieces cur = KGRL_ZERO, next = KGRL_ZERO;
    kgrl__pieces_add(&cur, s, n);
    for (int k = 0; k < t->npre; k++) {
        const kgrl__pretok *pt = &t->pre[k];
        for (int i = 0; i < cur.n; i++) {
            const char *p = cur.arena.data + cur.off[i];
            if (pt->type == KGRL__PT_SPLIT) kgrl__split_piece(pt, p, cur.len[i], &next);
            else kgrl__bytelevel_piece(t, pt, p, cur.len[i], &next);
        }
        kgrl__pieces tmp = cur; cur = next; next = tmp;
        next.n = 0; next.arena.len = 0;
    }
    for (int i = 0; i < cur.n; i++) kgrl__bpe_cached(t, wc, cur.arena.data + cur.off[i], cur.len[i], out);
    kgrl__pieces_free(&cur); kgrl__pieces_free(&next);
}


// the code point that ends at s[n) (n > 0)
static uint32_t kgrl__last_cp(const char *s, int n) {
    int i = n - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80 && n - i < 4) i--;
    uint32_t cp;
    kgrl_utf8_decode(s + i, (size_t)(n - i), &cp);
    return cp;
}

// Split s[0..n) at added tokens whose `normalized` flag equals `normalized` (leftmost, longest
// first, like the library's aho-corasick LeftmostLongest), then hand the text between them on.
static void kgrl__encode_added(const kgrl_tokenizer *t, kgrl__wcache *wc, const char *s, int n, bool normalized, kgrl_tokens *out) {
    int last = 0, i = 0;
    while (i < n) {
        if (!t->added_first[(unsigned char)s[i]]) { i++; continue; }
        int best = -1;
        for (int k = 0; k < t->nadded; k++) {
            const kgrl__added *a = &t->added[k];
            if (a->normalized != normalized || a->len > n - i || (best >= 0 && a->len <= t->added[best].len)) continue;
            if (memcmp(s + i, a->content, (size_t)a->len) == 0) best = k;
        }
        if (best < 0) { i++; continue; }
        const kgrl__added *a = &t->added[best];
        int start = i, stop = i + a->len;
        if (a->single_word) {
            uint32_t c;
            bool before = start > 0 && kgrl_uni_is_word(kgrl__last_cp(s, start));
            bool after = stop < n && (kgrl_utf8_decode(s + stop, (size_t)(n - stop), &c), kgrl_uni_is_word(c));
            if (before || after) { i = stop; continue; } // inside a word: not a token, search on after it
        }
        if (a->lstrip) {
            while (start > last) {
                uint32_t c = kgrl__last_cp(s, start);
                if (!kgrl_uni_is_space(c)) break;
                char tmp[4]; start -= kgrl_utf8_encode(c, tmp);
            }
        }
        if (a->rstrip) {
            while (stop < n) {
                uint32_t c;
                int l = kgrl_utf8_decode(s + stop, (size_t)(n - stop), &c);
                if (!kgrl_uni_is_space(c)) break;
                stop += l;
            }
        }
        if (start > last) {
            if (normalized) kgrl__encode_plain(t, wc, s + last, start - last, out);
            else {
                kgrl_buf norm = KGRL_ZERO;
                if (t->nfc) kgrl_nfc(s + last, (size_t)(start - last), &norm);
                else kgrl_buf_append(&norm, s + last, (size_t)(start - last));
                kgrl__encode_added(t, wc, norm.data, (int)norm.len, true, out);
                kgrl_buf_free(&norm);
            }
        }
        kgrl_tokens_push(out, a->id);
        last = i = stop;
    }
    if (last < n) {
        if (normalized) kgrl__encode_plain(t, wc, s + last, n - last, out);
        else {
            kgrl_buf norm = KGRL_ZERO;
            if (t->nfc) kgrl_nfc(s + last, (size_t)(n - last), &norm);
            else kgrl_buf_append(&norm, s + last, (size_t)(n - last));
            kgrl__encode_added(t, wc, norm.data, (int)norm.len, true, out);
            kgrl_buf_free(&norm);
        }
    }
}

void kgrl_tokenizer_encode(const kgrl_tokenizer *t, const char *text, size_t len, bool add_bos, kgrl_tokens *out) {
    if (add_bos && t->bos >= 0) kgrl_tokens_push(out, t->bos);
    KGRL_CHECK(len < (size_t)INT32_MAX, "kgrl_tokenizer_encode: text of %zu bytes is too long (limit 2 GiB)", len);
    kgrl__wcache wc;
    memset(&wc, 0, sizeof wc);
    kgrl__encode_added(t, &wc, text, (int)len, false, out);
    kgrl__wcache_free(&wc);
}

// ---- decode ----

// Append bytes as UTF-8, replacing each maximal invalid subpart with U+FFFD (like Rust's
// String::from_utf8_lossy, which the library uses).
static void kgrl__append_lossy(kgrl_buf *out, const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int l = kgrl_utf8_decode((const char *)s + i, n - i, &cp);
        if (cp != 0xFFFD || (l == 3)) { kgrl_buf_append(out, s + i, (size_t)l); i += (size_t)l; continue; }
        // invalid: skip the lead byte and the continuation bytes that could still have belonged to it
        unsigned c = s[i];
        size_t want = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 1;
        size_t k = 1;
        while (k < want && i + k < n) {
            unsigned d = s[i + k];
            unsigned lo = 0x80, hi = 0xBF;
            if (k == 1) {
                if (c == 0xE0) lo = 0xA0; else if (c == 0xED) hi = 0x9F;
                else if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F;
            }
            if (d < lo || d > hi) break;
            k++;
        }
        kgrl_buf_append(out, "\xEF\xBF\xBD", 3);
        i += k;
    }
}

void kgrl_tokenizer_decode(const kgrl_tokenizer *t, const int32_t *ids, int n, bool skip_special, kgrl_buf *out) {
    kgrl_buf bytes = KGRL_ZERO;
    bool first = true;
    for (int i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= t->nvocab || !t->tok[id]) continue;
        if (skip_special && (t->flags[id] & 2)) continue;
        const char *s = t->tok[id];
        int len = t->toklen[id];
        if (!t->bytelevel_decoder) { // no decoder: tokens joined by spaces (the library's default)
            if (!first) kgrl_buf_append(out, " ", 1);
            kgrl_buf_append(out, s, (size_t)len);
            first = false;
            continue;
        }
        // byte-level: every character maps back to its byte; a token with a character outside
        // the alphabet contributes its own UTF-8 bytes instead
        size_t mark = bytes.len;
        bool all = true;
        for (int k = 0; k < len;) {
            uint32_t cp;
            k += kgrl_utf8_decode(s + k, (size_t)(len - k), &cp);
            if (cp >= 324 || t->char_byte[cp] < 0) { all = false; break; }
            char b = (char)t->char_byte[cp];
            kgrl_buf_append(&bytes, &b, 1);
        }
        if (!all) { bytes.len = mark; kgrl_buf_append(&bytes, s, (size_t)len); }
    }
    if (t->bytelevel_decoder) kgrl__append_lossy(out, (const unsigned char *)bytes.data, bytes.len);
    kgrl_buf_free(&bytes);
}

// =============================================================================================
// Chat templates (the Jinja templates of the model families, written out for plain messages)
// =============================================================================================

bool kgrl_chat_family_from_name(const char *name, kgrl_chat_family *out, kgrl_err *err) {
    static const struct { const char *name; kgrl_chat_family f; } names[] = {
        {"chatml", KGRL_CHAT_CHATML}, {"qwen2", KGRL_CHAT_QWEN2}, {"qwen2.5", KGRL_CHAT_QWEN2_5},
        {"qwen2_5", KGRL_CHAT_QWEN2_5}, {"qwen3", KGRL_CHAT_QWEN3}, {"llama3", KGRL_CHAT_LLAMA3},
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcmp(name, names[k].name) == 0) { *out = names[k].f; return true; }
    kgrl_err_set(err, "unknown chat family \"%s\" (known: chatml, qwen2, qwen2.5, qwen3, llama3)", name);
    return false;
}

// Python's str.isspace on one code point (Jinja's trim and Python's strip use it)
static bool kgrl__py_space(uint32_t c) { return kgrl_uni_is_space(c) || (c >= 0x1C && c <= 0x1F); }

// s[*a, *b) shrunk by whitespace (Python strip) at the front and/or back
static void kgrl__strip(const char *s, size_t *a, size_t *b, bool front, bool back) {
    while (front && *a < *b) { uint32_t c; int l = kgrl_utf8_decode(s + *a, *b - *a, &c); if (!kgrl__py_space(c)) break; *a += (size_t)l; }
    while (back && *b > *a) { uint32_t c = kgrl__last_cp(s + *a, (int)(*b - *a)); if (!kgrl__py_space(c)) break; char t[4]; *b -= (size_t)kgrl_utf8_encode(c, t); }
}
// the same with a set of single-byte characters (Python strip("\n"))
static void kgrl__strip_ch(const char *s, size_t *a, size_t *b, bool front, bool back, char ch) {
    while (front && *a < *b && s[*a] == ch) (*a)++;
    while (back && *b > *a && s[*b - 1] == ch) (*b)--;
}
static const char *kgrl__strstr_last(const char *s, const char *needle) {
    const char *last = NULL;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) last = p;
    return last;
}

// after_query: the turn comes after the last user query; there it gets a <think> block when it
// is the last message or carries reasoning
static void kgrl__chat_qwen3_assistant(kgrl_buf *b, const char *content, bool after_query, bool last) {
    size_t ca = 0, cb = strlen(content), ra = 0, rb = 0;
    const char *reasoning = "";
    const char *end_think = strstr(content, "</think>");
    if (end_think) {
        // content = split('</think>')[-1].lstrip('\n'); reasoning = split('</think>')[0]
        //   .rstrip('\n').split('<think>')[-1].lstrip('\n')
        ca = (size_t)(kgrl__strstr_last(content, "</think>") - content) + 8;
        kgrl__strip_ch(content, &ca, &cb, true, false, '\n');
        reasoning = content; ra = 0; rb = (size_t)(end_think - content);
        kgrl__strip_ch(content, &ra, &rb, false, true, '\n');
        for (size_t k = ra; k + 7 <= rb; k++) if (memcmp(content + k, "<think>", 7) == 0) ra = k + 7, k += 6;
        kgrl__strip_ch(content, &ra, &rb, true, false, '\n');
    }
    kgrl_buf_puts(b, "<|im_start|>assistant\n");
    if (after_query && (last || rb > ra)) {
        kgrl__strip_ch(reasoning, &ra, &rb, true, true, '\n');
        kgrl_buf_puts(b, "<think>\n");
        kgrl_buf_append(b, reasoning + ra, rb - ra);
        kgrl_buf_puts(b, "\n</think>\n\n");
        kgrl__strip_ch(content, &ca, &cb, true, false, '\n');
    }
    kgrl_buf_append(b, content + ca, cb - ca);
    kgrl_buf_puts(b, "<|im_end|>\n");
}

char *kgrl_chat_format(kgrl_chat_family family, const kgrl_chat_msg *messages, int n,
                       bool add_generation_prompt, kgrl_err *err) {
    kgrl_buf b = KGRL_ZERO;
    kgrl_buf_append(&b, "", 0);
    for (int i = 0; i < n; i++) {
        if (!messages[i].role || !messages[i].content) { kgrl_err_set(err, "chat message %d has no role or content", i); kgrl_buf_free(&b); return NULL; }
        const char *r = messages[i].role;
        bool plain = strcmp(r, "system") == 0 || strcmp(r, "user") == 0 || strcmp(r, "assistant") == 0;
        if (!plain && family != KGRL_CHAT_CHATML && family != KGRL_CHAT_LLAMA3) {
            kgrl_err_set(err, "chat message %d: role \"%s\" is not supported for this family (system, user, assistant only)", i, r);
            kgrl_buf_free(&b); return NULL;
        }
    }
    switch (family) {
    case KGRL_CHAT_CHATML: case KGRL_CHAT_QWEN2: case KGRL_CHAT_QWEN2_5: {
        bool has_system = n > 0 && strcmp(messages[0].role, "system") == 0;
        if (!has_system && family == KGRL_CHAT_QWEN2)
            kgrl_buf_puts(&b, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n");
        if (!has_system && family == KGRL_CHAT_QWEN2_5)
            kgrl_buf_puts(&b, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n");
        for (int i = 0; i < n; i++) kgrl_buf_printf(&b, "<|im_start|>%s\n%s<|im_end|>\n", messages[i].role, messages[i].content);
        if (add_generation_prompt) kgrl_buf_puts(&b, "<|im_start|>assistant\n");
        break;
    }
    case KGRL_CHAT_QWEN3: {
        // last_query_index: the last user turn that is not a wrapped tool response
        int last_query = n - 1;
        for (int i = n - 1; i >= 0; i--) {
            const char *c = messages[i].content;
            size_t l = strlen(c);
            bool tool_resp = strncmp(c, "<tool_response>", 15) == 0 && l >= 16 && strcmp(c + l - 16, "</tool_response>") == 0;
            if (strcmp(messages[i].role, "user") == 0 && !tool_resp) { last_query = i; break; }
        }
        for (int i = 0; i < n; i++) {
            const kgrl_chat_msg *m = &messages[i];
            if (strcmp(m->role, "assistant") == 0)
                kgrl__chat_qwen3_assistant(&b, m->content, i > last_query, i == n - 1);
            else kgrl_buf_printf(&b, "<|im_start|>%s\n%s<|im_end|>\n", m->role, m->content);
        }
        if (add_generation_prompt) kgrl_buf_puts(&b, "<|im_start|>assistant\n");
        break;
    }
    case KGRL_CHAT_LLAMA3:
        for (int i = 0; i < n; i++) {
            if (i == 0) kgrl_buf_puts(&b, "<|begin_of_text|>");
            const char *c = messages[i].content;
            size_t a = 0, e = strlen(c);
            kgrl__strip(c, &a, &e, true, true); // Jinja's | trim
            kgrl_buf_printf(&b, "<|start_header_id|>%s<|end_header_id|>\n\n", messages[i].role);
            kgrl_buf_append(&b, c + a, e - a);
            kgrl_buf_puts(&b, "<|eot_id|>");
        }
        if (add_generation_prompt) kgrl_buf_puts(&b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
        break;
    default:
        kgrl_err_set(err, "unknown chat family %d", (int)family);
        kgrl_buf_free(&b);
        return NULL;
    }
    return b.data;
}

// =============================================================================================
// BPE trainer
// =============================================================================================

static const char *kgrl__qwen2_pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char *const kgrl__train_specials[3] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

// distinct pre-tokens: byte strings with their counts and current symbols
typedef struct kgrl__bt_word { int32_t *sym; int n; int64_t count; } kgrl__bt_word;
typedef struct kgrl__bt {
    kgrl__bt_word *w; int nw, capw;
    char **wstr; int *wlen;           // (nw) the word's bytes, for the word hash
    int32_t *whash; uint32_t wmask;
    uint64_t *pkey; int64_t *pcount; uint32_t pmask; int npairs; // (left, right) -> count, -1 empty
} kgrl__bt;

static void kgrl__bt_add_word(kgrl__bt *bt, const char *s, int n) {
    if (2u * (uint32_t)(bt->nw + 1) > bt->wmask) { // grow and rehash
        uint32_t cap = bt->wmask ? 2 * (bt->wmask + 1) : 1024;
        kgrl_free(bt->whash);
        bt->whash = (int32_t *)kgrl_malloc(cap * sizeof(int32_t));
        for (uint32_t i = 0; i < cap; i++) bt->whash[i] = -1;
        bt->wmask = cap - 1;
        for (int k = 0; k < bt->nw; k++) {
            uint32_t h = (uint32_t)kgrl__fnv(bt->wstr[k], (size_t)bt->wlen[k]) & bt->wmask;
            while (bt->whash[h] >= 0) h = (h + 1) & bt->wmask;
            bt->whash[h] = k;
        }
    }
    uint32_t h = (uint32_t)kgrl__fnv(s, (size_t)n) & bt->wmask;
    for (; bt->whash[h] >= 0; h = (h + 1) & bt->wmask) {
        int k = bt->whash[h];
        if (bt->wlen[k] == n && memcmp(bt->wstr[k], s, (size_t)n) == 0) { bt->w[k].count++; return; }
    }
    if (bt->nw == bt->capw) {
        bt->capw = bt->capw ? 2 * bt->capw : 1024;
        bt->w = (kgrl__bt_word *)kgrl_realloc(bt->w, (size_t)bt->capw * sizeof *bt->w);
        bt->wstr = (char **)kgrl_realloc(bt->wstr, (size_t)bt->capw * sizeof(char *));
        bt->wlen = (int *)kgrl_realloc(bt->wlen, (size_t)bt->capw * sizeof(int));
    }
    int k = bt->nw++;
    bt->wstr[k] = (char *)kgrl_malloc((size_t)n);
    memcpy(bt->wstr[k], s, (size_t)n);
    bt->wlen[k] = n;
    bt->w[k].sym = NULL; bt->w[k].n = 0; bt->w[k].count = 1;
    bt->whash[h] = k;
}

static int64_t *kgrl__bt_pair(kgrl__bt *bt, int32_t a, int32_t b) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint32_t h = (uint32_t)kgrl__mix64(key) & bt->pmask;
    while (bt->pcount[h] >= 0 && bt->pkey[h] != key) h = (h + 1) & bt->pmask;
    if (bt->pcount[h] < 0) {
        if (2u * (uint32_t)(bt->npairs + 1) > bt->pmask) { // grow, then look again
            uint32_t old = bt->pmask + 1, cap = 2 * old;
            uint64_t *ok = bt->pkey; int64_t *oc = bt->pcount;
            bt->pkey = (uint64_t *)kgrl_malloc(cap * sizeof(uint64_t));
            bt->pcount = (int64_t *)kgrl_malloc(cap * sizeof(int64_t));
            for (uint32_t i = 0; i < cap; i++) bt->pcount[i] = -1;
            bt->pmask = cap - 1;
            for (uint32_t i = 0; i < old; i++) {
                if (oc[i] < 0) continue;
                uint32_t g = (uint32_t)kgrl__mix64(ok[i]) & bt->pmask;
                while (bt->pcount[g] >= 0) g = (g + 1) & bt->pmask;
                bt->pkey[g] = ok[i]; bt->pcount[g] = oc[i];
            }
            kgrl_free(ok); kgrl_free(oc);
            return kgrl__bt_pair(bt, a, b);
        }
        bt->pkey[h] = key; bt->pcount[h] = 0; bt->npairs++;
    }
    return &bt->pcount[h];
}

static void kgrl__bt_count_word(kgrl__bt *bt, const kgrl__bt_word *w, int64_t sign) {
    for (int i = 0; i + 1 < w->n; i++) *kgrl__bt_pair(bt, w->sym[i], w->sym[i + 1]) += sign * w->count;
}

static void kgrl__jw_bytelevel(kgrl_json_writer *jw, const kgrl_tokenizer *map, const char *s, int n) {
    kgrl_buf b = KGRL_ZERO;
    for (int i = 0; i < n; i++) { char e[4]; kgrl_buf_append(&b, e, (size_t)kgrl_utf8_encode(map->byte_char[(unsigned char)s[i]], e)); }
    kgrl_jw_string_n(jw, b.data ? b.data : "", b.len);
    kgrl_buf_free(&b);
}

// {"type": "ByteLevel", ...} as Qwen2's pre-tokenizer, post-processor and decoder have it
static void kgrl__jw_bytelevel_obj(kgrl_json_writer *jw) {
    kgrl_jw_begin_object(jw);
    kgrl_jw_key(jw, "type"); kgrl_jw_string(jw, "ByteLevel");
    kgrl_jw_key(jw, "add_prefix_space"); kgrl_jw_bool(jw, false);
    kgrl_jw_key(jw, "trim_offsets"); kgrl_jw_bool(jw, false);
    kgrl_jw_key(jw, "use_regex"); kgrl_jw_bool(jw, false);
    kgrl_jw_end_object(jw);
}

bool kgrl_bpe_train(const char *text, size_t len, const kgrl_bpe_train_desc *desc, kgrl_buf *out, kgrl_err *err) {
    int vocab_size = desc && desc->vocab_size ? desc->vocab_size : 4096;
    int min_freq = desc && desc->min_frequency ? desc->min_frequency : 2;
    if (vocab_size < 256 + 3) { kgrl_err_set(err, "bpe_train: vocab_size %d is below 259 (256 bytes + 3 special tokens)", vocab_size); return false; }
    if (len >= (size_t)INT32_MAX) { kgrl_err_set(err, "bpe_train: corpus of %zu bytes is too large (limit 2 GiB)", len); return false; }
    kgrl_tokenizer map; memset(&map, 0, sizeof map);
    kgrl__bytelevel_init(&map);
    // byte ids: the byte-level characters in code point order (printable bytes first, as Qwen2's)
    int32_t byte_id[256]; int nb = 0;
    for (uint32_t c = 0; c < 324; c++) if (map.char_byte[c] >= 0) byte_id[map.char_byte[c]] = nb++;
    // 1. distinct pre-tokens: special tokens cut out, NFC, the Qwen2 split regex
    kgrl__pretok split; memset(&split, 0, sizeof split);
    split.type = KGRL__PT_SPLIT; split.behavior = KGRL__SB_ISOLATED;
    split.re = kgrl_regex_compile(kgrl__qwen2_pattern, err);
    if (!split.re) return false;
    kgrl__bt bt; memset(&bt, 0, sizeof bt);
    bt.pmask = 1023;
    bt.pkey = (uint64_t *)kgrl_malloc(1024 * sizeof(uint64_t));
    bt.pcount = (int64_t *)kgrl_malloc(1024 * sizeof(int64_t));
    for (int i = 0; i < 1024; i++) bt.pcount[i] = -1;
    int n = (int)len, last = 0;
    for (int i = 0; i <= n; i++) {
        int sl = 0;
        for (int k = 0; k < 3 && i < n; k++) {
            int l = (int)strlen(kgrl__train_specials[k]);
            if (l <= n - i && memcmp(text + i, kgrl__train_specials[k], (size_t)l) == 0) sl = l;
        }
        if (i < n && !sl) continue;
        kgrl_buf norm = KGRL_ZERO;
        kgrl_nfc(text + last, (size_t)(i - last), &norm);
        kgrl__pieces pieces = KGRL_ZERO;
        if (norm.len) kgrl__split_piece(&split, norm.data, (int)norm.len, &pieces);
        for (int k = 0; k < pieces.n; k++) kgrl__bt_add_word(&bt, pieces.arena.data + pieces.off[k], pieces.len[k]);
        kgrl__pieces_free(&pieces);
        kgrl_buf_free(&norm);
        i += sl > 0 ? sl - 1 : 0;
        last = i + 1;
    }
    kgrl_regex_free(split.re);
    // 2. vocab: the 256 bytes, then merges
    int cap = vocab_size;
    char **vs = (char **)kgrl_calloc((size_t)cap, sizeof(char *));
    int *vl = (int *)kgrl_calloc((size_t)cap, sizeof(int));
    for (int b = 0; b < 256; b++) { vs[byte_id[b]] = (char *)kgrl_malloc(1); vs[byte_id[b]][0] = (char)b; vl[byte_id[b]] = 1; }
    int nv = 256;
    for (int k = 0; k < bt.nw; k++) {
        kgrl__bt_word *w = &bt.w[k];
        w->n = bt.wlen[k];
        w->sym = (int32_t *)kgrl_malloc((size_t)w->n * sizeof(int32_t));
        for (int i = 0; i < w->n; i++) w->sym[i] = byte_id[(unsigned char)bt.wstr[k][i]];
        kgrl__bt_count_word(&bt, w, 1);
    }
    int32_t (*merges)[2] = (int32_t (*)[2])kgrl_malloc((size_t)cap * sizeof *merges);
    int nmerges = 0;
    kgrl_buf cat = KGRL_ZERO;
    while (nv < vocab_size - 3) {
        // the most frequent pair; ties: smallest (left, right)
        int64_t best = -1; uint64_t bkey = 0;
        for (uint32_t h = 0; h <= bt.pmask; h++) {
            int64_t c = bt.pcount[h];
            if (c > best || (c == best && c >= 0 && bt.pkey[h] < bkey)) { best = c; bkey = bt.pkey[h]; }
        }
        if (best < min_freq) break;
        int32_t a = (int32_t)(bkey >> 32), b = (int32_t)(bkey & 0xFFFFFFFFu);
        cat.len = 0;
        kgrl_buf_append(&cat, vs[a], (size_t)vl[a]); kgrl_buf_append(&cat, vs[b], (size_t)vl[b]);
        // two merge paths can spell the same token ("a"+"bc", "ab"+"c"): it keeps its first id
        int32_t id = -1;
        for (int k = 256; k < nv && id < 0; k++) if (vl[k] == (int)cat.len && memcmp(vs[k], cat.data, cat.len) == 0) id = k;
        if (id < 0) {
            id = nv++;
            vs[id] = (char *)kgrl_malloc(cat.len); memcpy(vs[id], cat.data, cat.len); vl[id] = (int)cat.len;
        }
        merges[nmerges][0] = a; merges[nmerges][1] = b; nmerges++;
        // apply to every word holding the pair: uncount it, merge left to right, count it again
        for (int k = 0; k < bt.nw; k++) {
            kgrl__bt_word *w = &bt.w[k];
            bool has = false;
            for (int i = 0; i + 1 < w->n && !has; i++) has = w->sym[i] == a && w->sym[i + 1] == b;
            if (!has) continue;
            kgrl__bt_count_word(&bt, w, -1);
            int m = 0;
            for (int i = 0; i < w->n; i++) {
                if (i + 1 < w->n && w->sym[i] == a && w->sym[i + 1] == b) { w->sym[m++] = id; i++; }
                else w->sym[m++] = w->sym[i];
            }
            w->n = m;
            kgrl__bt_count_word(&bt, w, 1);
        }
    }
    kgrl_buf_free(&cat);
    // 3. tokenizer.json, laid out as Qwen2's
    kgrl_json_writer jw; memset(&jw, 0, sizeof jw);
    jw.out = out;
    kgrl_jw_begin_object(&jw);
    kgrl_jw_key(&jw, "version"); kgrl_jw_string(&jw, "1.0");
    kgrl_jw_key(&jw, "truncation"); kgrl_jw_null(&jw);
    kgrl_jw_key(&jw, "padding"); kgrl_jw_null(&jw);
    kgrl_jw_key(&jw, "added_tokens"); kgrl_jw_begin_array(&jw);
    for (int k = 0; k < 3; k++) {
        kgrl_jw_begin_object(&jw);
        kgrl_jw_key(&jw, "id"); kgrl_jw_int(&jw, nv + k);
        kgrl_jw_key(&jw, "content"); kgrl_jw_string(&jw, kgrl__train_specials[k]);
        kgrl_jw_key(&jw, "single_word"); kgrl_jw_bool(&jw, false);
        kgrl_jw_key(&jw, "lstrip"); kgrl_jw_bool(&jw, false);
        kgrl_jw_key(&jw, "rstrip"); kgrl_jw_bool(&jw, false);
        kgrl_jw_key(&jw, "normalized"); kgrl_jw_bool(&jw, false);
        kgrl_jw_key(&jw, "special"); kgrl_jw_bool(&jw, true);
        kgrl_jw_end_object(&jw);
    }
    kgrl_jw_end_array(&jw);
    kgrl_jw_key(&jw, "normalizer"); kgrl_jw_begin_object(&jw);
    kgrl_jw_key(&jw, "type"); kgrl_jw_string(&jw, "NFC");
    kgrl_jw_end_object(&jw);
    kgrl_jw_key(&jw, "pre_tokenizer"); kgrl_jw_begin_object(&jw);
    kgrl_jw_key(&jw, "type"); kgrl_jw_string(&jw, "Sequence");
    kgrl_jw_key(&jw, "pretokenizers"); kgrl_jw_begin_array(&jw);
    kgrl_jw_begin_object(&jw);
    kgrl_jw_key(&jw, "type"); kgrl_jw_string(&jw, "Split");
    kgrl_jw_key(&jw, "pattern"); kgrl_jw_begin_object(&jw);
    kgrl_jw_key(&jw, "Regex"); kgrl_jw_string(&jw, kgrl__qwen2_pattern);
    kgrl_jw_end_object(&jw);
    kgrl_jw_key(&jw, "behavior"); kgrl_jw_string(&jw, "Isolated");
    kgrl_jw_key(&jw, "invert"); kgrl_jw_bool(&jw, false);
    kgrl_jw_end_object(&jw);
    kgrl__jw_bytelevel_obj(&jw);
    kgrl_jw_end_array(&jw);
    kgrl_jw_end_object(&jw);
    kgrl_jw_key(&jw, "post_processor"); kgrl__jw_bytelevel_obj(&jw);
    kgrl_jw_key(&jw, "decoder"); kgrl__jw_bytelevel_obj(&jw);
    kgrl_jw_key(&jw, "model"); kgrl_jw_begin_object(&jw);
    kgrl_jw_key(&jw, "type"); kgrl_jw_string(&jw, "BPE");
    kgrl_jw_key(&jw, "dropout"); kgrl_jw_null(&jw);
    kgrl_jw_key(&jw, "unk_token"); kgrl_jw_null(&jw);
    kgrl_jw_key(&jw, "continuing_subword_prefix"); kgrl_jw_string(&jw, "");
    kgrl_jw_key(&jw, "end_of_word_suffix"); kgrl_jw_string(&jw, "");
    kgrl_jw_key(&jw, "fuse_unk"); kgrl_jw_bool(&jw, false);
    kgrl_jw_key(&jw, "byte_fallback"); kgrl_jw_bool(&jw, false);
    kgrl_jw_key(&jw, "ignore_merges"); kgrl_jw_bool(&jw, false);
    kgrl_jw_key(&jw, "vocab"); kgrl_jw_begin_object(&jw);
    for (int k = 0; k < nv; k++) {
        kgrl_buf key = KGRL_ZERO; // the token's bytes as byte-level characters
        for (int i = 0; i < vl[k]; i++) { char e[4]; kgrl_buf_append(&key, e, (size_t)kgrl_utf8_encode(map.byte_char[(unsigned char)vs[k][i]], e)); }
        kgrl_jw_key(&jw, key.data);
        kgrl_jw_int(&jw, k);
        kgrl_buf_free(&key);
    }
    kgrl_jw_end_object(&jw);
    kgrl_jw_key(&jw, "merges"); kgrl_jw_begin_array(&jw);
    for (int k = 0; k < nmerges; k++) {
        kgrl_jw_begin_array(&jw);
        kgrl__jw_bytelevel(&jw, &map, vs[merges[k][0]], vl[merges[k][0]]);
        kgrl__jw_bytelevel(&jw, &map, vs[merges[k][1]], vl[merges[k][1]]);
        kgrl_jw_end_array(&jw);
    }
    kgrl_jw_end_array(&jw);
    kgrl_jw_end_object(&jw);
    kgrl_jw_end_object(&jw);
    for (int k = 0; k < nv; k++) kgrl_free(vs[k]);
    kgrl_free(vs); kgrl_free(vl); kgrl_free(merges);
    for (int k = 0; k < bt.nw; k++) { kgrl_free(bt.w[k].sym); kgrl_free(bt.wstr[k]); }
    kgrl_free(bt.w); kgrl_free(bt.wstr); kgrl_free(bt.wlen); kgrl_free(bt.whash);
    kgrl_free(bt.pkey); kgrl_free(bt.pcount);
    return true;
}
