// JSON reader and writer: valid documents round-trip through the writer; malformed ones fail at
// the exact line:col with a message naming the problem; UTF-8, numbers, depth, getters.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

// Deep equality; numbers compare bit for bit (so -0 != 0), strings by bytes.
static bool json_equal(const kgrl_json *a, const kgrl_json *b) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case KGRL_JSON_NULL: return true;
    case KGRL_JSON_BOOL: return a->boolean == b->boolean;
    case KGRL_JSON_NUMBER: return memcmp(&a->number, &b->number, sizeof(double)) == 0;
    case KGRL_JSON_STRING: return a->len == b->len && memcmp(a->string, b->string, a->len) == 0;
    case KGRL_JSON_ARRAY: case KGRL_JSON_OBJECT:
        if (a->count != b->count) return false;
        for (int i = 0; i < a->count; i++) {
            if (a->type == KGRL_JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0) return false;
            if (!json_equal(&a->items[i], &b->items[i])) return false;
        }
        return true;
    }
    return false;
}

static char *json_write(const kgrl_json *j) {
    kgrl_buf b = {NULL, 0, 0};
    kgrl_json_writer w;
    memset(&w, 0, sizeof w);
    w.out = &b;
    kgrl_jw_value(&w, j);
    return b.data;
}

// Parse text of n bytes, write it back, re-parse, and check both trees and both texts agree.
static void round_trip(const char *text, size_t n) {
    kgrl_err err = {{0}};
    kgrl_json *j = kgrl_json_parse(text, n, &err);
    KT_CHECK(j != NULL, "valid document rejected: %.60s: %s", text, err.msg);
    if (!j) return;
    char *out = json_write(j);
    kgrl_json *j2 = kgrl_json_parse(out, strlen(out), &err);
    KT_CHECK(j2 != NULL, "writer output does not parse: %.80s: %s", out, err.msg);
    if (j2) {
        KT_CHECK(json_equal(j, j2), "round trip changed the value: %.60s -> %.60s", text, out);
        char *out2 = json_write(j2);
        KT_CHECK(strcmp(out, out2) == 0, "writer not stable: %.60s vs %.60s", out, out2);
        kgrl_free(out2);
    }
    kgrl_free(out);
    kgrl_json_free(j);
    kgrl_json_free(j2);
}

static void test_valid_round_trip(void) {
    const char *docs[] = {
        "null", "true", "false", "0", "-0", "1", "-1", "3.14159", "1e308", "-1e308", "1E10", "1e-7",
        "2.2250738585072014e-308", "5e-324", "123456789012345678", "0.1", "1e-400", "1.5E+2", "-0.0",
        "[]", "{}", "[[]]", "[{}]", "\"\"", "\"hello\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\xc3\xa9\"",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "{\"a\":[1,2,{\"b\":null}],\"c\":\"d\"}", " \t\r\n[ 1 , 2 ] \n",
        "{\"\":1}", "\"\xf0\x9f\x98\x80\"", "\"\xef\xbf\xbf\"", "\"\xf4\x8f\xbf\xbf\"", "\"\x7f\"",
        "[true,false,null,0,\"x\",[],{}]", "{\"k\":{\"k\":{\"k\":{}}}}", "\"\\u001f\"", "[-1.25e-5,4E-2]",
        "{\"model_type\":\"qwen2\",\"hidden_size\":896,\"rope_theta\":1000000.0,\"tie_word_embeddings\":true}",
        "\"a\\u0000b\"", "[\"\\uDBFF\\uDFFF\",\"\\uD800\\uDC00\"]", "9007199254740993", "[0,-0,0.0,1e0]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) round_trip(docs[i], strlen(docs[i]));
    round_trip("\xef\xbb\xbf{}", 5); // a leading BOM is skipped
    // a string with an embedded NUL keeps its length
    kgrl_json *j = kgrl_json_parse("\"a\\u0000b\"", 10, NULL);
    KT_CHECK(j && j->len == 3 && j->string[1] == 0 && j->string[2] == 'b', "embedded NUL");
    kgrl_json_free(j);
}

typedef struct { const char *text; size_t n; const char *pos; const char *msg; } bad_doc;
#define BAD(t, p, m) {t, sizeof(t) - 1, p, m}

static void test_malformed(void) {
    const bad_doc bad[] = {
        BAD("", "1:1", "expected a value, found end of input"),
        BAD("   ", "1:4", "expected a value, found end of input"),
        BAD("[1,2", "1:5", "expected ',' or ']' after an array element, found end of input"),
        BAD("[1,]", "1:4", "expected a value, found ']'"),
        BAD("{\"a\":1,}", "1:8", "expected a string key after ','"),
        BAD("{\"a\" 1}", "1:6", "expected ':' after the object key, found '1'"),
        BAD("{a:1}", "1:2", "expected a string key or '}', found 'a'"),
        BAD("[01]", "1:2", "leading zeros"),
        BAD("-01", "1:1", "leading zeros"),
        BAD("-", "1:2", "expected a digit after '-', found end of input"),
        BAD("1.", "1:3", "expected a digit after the decimal point"),
        BAD("1.e5", "1:3", "expected a digit after the decimal point, found 'e'"),
        BAD(".5", "1:1", "may not start with '.'"),
        BAD("+1", "1:1", "may not start with '+'"),
        BAD("1e", "1:3", "expected a digit in the exponent"),
        BAD("1e+", "1:4", "expected a digit in the exponent"),
        BAD("1e309", "1:1", "number 1e309 is out of range for a double"),
        BAD("[-1e309]", "1:2", "out of range for a double"),
        BAD("NaN", "1:1", "NaN is not a JSON value"),
        BAD("[Infinity]", "1:2", "Infinity is not a JSON number"),
        BAD("-Infinity", "1:1", "-Infinity is not a JSON number"),
        BAD("[1] x", "1:5", "expected end of input after the JSON value, found 'x'"),
        BAD("{} {}", "1:4", "expected end of input after the JSON value, found '{'"),
        BAD("1 2", "1:3", "expected end of input"),
        BAD("0x10", "1:2", "expected end of input after the JSON value, found 'x'"),
        BAD("tru", "1:4", "invalid literal: expected 'true', found end of input"),
        BAD("nul1", "1:4", "invalid literal: expected 'null', found '1'"),
        BAD("[True]", "1:2", "expected a value, found 'T'"),
        BAD("\"abc", "1:5", "unterminated string"),
        BAD("\"a\nb\"", "1:3", "control character U+000A in string must be escaped"),
        BAD("\"\t\"", "1:2", "control character U+0009"),
        BAD("\"\\x\"", "1:2", "invalid escape"),
        BAD("\"\\u12G4\"", "1:6", "expected 4 hex digits after \\u, found 'G'"),
        BAD("\"\\u\"", "1:4", "expected 4 hex digits after \\u"),
        BAD("\"\\uD800\"", "1:2", "lone surrogate \\uD800"),
        BAD("\"\\uDC00\"", "1:2", "lone surrogate \\uDC00"),
        BAD("\"\\uD800\\u0041\"", "1:8", "expected a low surrogate"),
        BAD("\"\\uD83D\\uD83D\"", "1:8", "expected a low surrogate"),
        BAD("\"\xff\"", "1:2", "byte 0xff never occurs in UTF-8"),
        BAD("\"\xc0\xaf\"", "1:2", "byte 0xc0 never occurs in UTF-8"),
        BAD("\"\xc3\"", "1:2", "byte 0xc3 starts a malformed sequence"),
        BAD("\"\xc3", "1:2", "cut off by the end of input"),
        BAD("\"\xe0\x80\xaf\"", "1:2", "byte 0xe0 starts a malformed sequence"),
        BAD("\"\xed\xa0\x80\"", "1:2", "byte 0xed starts a malformed sequence"),
        BAD("\"\xf4\x90\x80\x80\"", "1:2", "byte 0xf4 starts a malformed sequence"),
        BAD("\"ab\x80\"", "1:4", "unexpected continuation byte 0x80"),
        BAD("{\"a\":1,\"a\":2}", "1:8", "duplicate key \"a\""),
        BAD("{\n  \"a\": [1,\n   2,,\n]}", "3:6", "expected a value, found ','"),
        BAD("[\"a\"\n\"b\"]", "2:1", "expected ',' or ']' after an array element, found '\"'"),
        BAD("'a'", "1:1", "double quotes"),
        BAD("[1 2]", "1:4", "expected ',' or ']' after an array element, found '2'"),
        BAD("{\"a\":}", "1:6", "expected a value, found '}'"),
        BAD("\x01", "1:1", "expected a value, found byte 0x01"),
        BAD("[", "1:2", "expected a value, found end of input"),
        BAD("{\"\\u0000\":1}", "1:2", "U+0000"),
        BAD("\r\n[x]", "2:2", "expected a value, found 'x'"),
        BAD("{\"a\":1 \"b\":2}", "1:8", "expected ',' or '}' after an object member, found '\"'"),
        BAD("[true false]", "1:7", "expected ',' or ']'"),
        BAD("[1,\n2,\n", "3:1", "expected a value, found end of input"),
        BAD("{\"x\":1,\n \"y\":2,\n \"x\":3}", "3:2", "duplicate key \"x\""),
        BAD("[1]\x00", "1:4", "expected end of input after the JSON value, found byte 0x00"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kgrl_err err = {{0}};
        kgrl_json *j = kgrl_json_parse(bad[i].text, bad[i].n, &err);
        KT_CHECK(j == NULL, "case %zu accepted: %s", i, bad[i].text);
        kgrl_json_free(j);
        size_t pl = strlen(bad[i].pos);
        KT_CHECK(strncmp(err.msg, bad[i].pos, pl) == 0 && err.msg[pl] == ':',
                 "case %zu (%s): position: got \"%s\", want %s", i, bad[i].text, err.msg, bad[i].pos);
        KT_CHECK(strstr(err.msg, bad[i].msg) != NULL, "case %zu: message \"%s\" lacks \"%s\"", i, err.msg, bad[i].msg);
    }
    // long numbers name themselves, truncated
    char big[420];
    memset(big, '9', 400);
    big[400] = 0;
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_json_parse(big, 400, &err) == NULL && strstr(err.msg, "out of range") && strstr(err.msg, "..."), "400 digits: %s", err.msg);
    // NULL err is fine
    KT_CHECK(kgrl_json_parse("[", 1, NULL) == NULL, "NULL err");
}

static void test_depth(void) {
    // 512 nested arrays parse; 513 fail at the 513th bracket
    char s[2 * 513 + 1];
    for (int d = 512; d <= 513; d++) {
        for (int i = 0; i < d; i++) { s[i] = '['; s[d + i] = ']'; }
        kgrl_err err = {{0}};
        kgrl_json *j = kgrl_json_parse(s, (size_t)(2 * d), &err);
        if (d == 512) {
            KT_CHECK(j != NULL, "depth 512 rejected: %s", err.msg);
            if (j) { // and the writer handles it too
                char *out = json_write(j);
                KT_CHECK(out && strlen(out) == 1024 && memcmp(out, s, 1024) == 0, "depth-512 write");
                kgrl_free(out);
            }
        } else {
            KT_CHECK(j == NULL && strcmp(err.msg, "1:513: nesting deeper than 512 levels") == 0, "depth 513: %s", err.msg);
        }
        kgrl_json_free(j);
    }
    // a hostile depth far beyond the limit fails cleanly too
    size_t n = 1000000;
    char *deep = (char *)kgrl_malloc(n);
    memset(deep, '[', n);
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_json_parse(deep, n, &err) == NULL && strstr(err.msg, "nesting deeper"), "1e6 brackets: %s", err.msg);
    memset(deep, '{', n);
    KT_CHECK(kgrl_json_parse(deep, n, &err) == NULL && strstr(err.msg, "expected a string key"), "1e6 braces: %s", err.msg);
    kgrl_free(deep);
}

static void test_utf8(void) {
    // boundary code points, raw and escaped, decode to the same bytes
    struct { const char *raw, *esc; } v[] = {
        {"\x7f", "\\u007f"}, {"\xc2\x80", "\\u0080"}, {"\xdf\xbf", "\\u07FF"}, {"\xe0\xa0\x80", "\\u0800"},
        {"\xed\x9f\xbf", "\\uD7FF"}, {"\xee\x80\x80", "\\uE000"}, {"\xef\xbf\xbf", "\\uFFFF"},
        {"\xf0\x90\x80\x80", "\\uD800\\uDC00"}, {"\xf4\x8f\xbf\xbf", "\\uDBFF\\uDFFF"},
        {"\xf0\x9f\x98\x80", "\\ud83d\\ude00"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "\"%s\"", v[i].raw);
        snprintf(b, sizeof b, "\"%s\"", v[i].esc);
        kgrl_err err = {{0}};
        kgrl_json *ja = kgrl_json_parse(a, strlen(a), &err);
        KT_CHECK(ja != NULL, "raw %zu rejected: %s", i, err.msg);
        kgrl_json *jb = kgrl_json_parse(b, strlen(b), &err);
        KT_CHECK(jb != NULL, "escaped %zu rejected: %s", i, err.msg);
        if (ja && jb) KT_CHECK(ja->len == strlen(v[i].raw) && jb->len == ja->len && memcmp(ja->string, jb->string, ja->len) == 0, "case %zu differs", i);
        kgrl_json_free(ja);
        kgrl_json_free(jb);
    }
    // every lone lead/continuation byte 0x80..0xFF by itself in a string is rejected
    for (int c = 0x80; c <= 0xff; c++) {
        char s[4] = {'"', (char)c, '"', 0};
        kgrl_err err = {{0}};
        kgrl_json *j = kgrl_json_parse(s, 3, &err);
        KT_CHECK(j == NULL && strncmp(err.msg, "1:2: invalid UTF-8", 18) == 0, "byte 0x%02x: %s", c, err.msg);
        kgrl_json_free(j);
    }
}

static void test_numbers(void) {
    struct { const char *text; double want; } v[] = {
        {"0", 0.0}, {"1", 1.0}, {"-1", -1.0}, {"1e308", 1e308}, {"0.1", 0.1}, {"1E+2", 100.0},
        {"2.5e-3", 2.5e-3}, {"1e-400", 0.0}, {"123456789012345678", 123456789012345678.0},
        {"1.7976931348623157e308", 1.7976931348623157e308}, {"-2.5E-1", -0.25}, {"4.9406564584124654e-324", 5e-324},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        kgrl_json *j = kgrl_json_parse(v[i].text, strlen(v[i].text), NULL);
        KT_CHECK(j && j->type == KGRL_JSON_NUMBER && j->number == v[i].want, "%s", v[i].text);
        kgrl_json_free(j);
    }
    kgrl_json *j = kgrl_json_parse("-0", 2, NULL);
    KT_CHECK(j && j->number == 0 && signbit(j->number), "-0 keeps its sign");
    kgrl_json_free(j);
    // the writer prints the shortest exact form
    struct { double x; const char *want; } w[] = {
        {0.1, "0.1"}, {100, "100"}, {-0.0, "-0"}, {1e300, "1e+300"}, {1.0 / 3.0, "0.3333333333333333"}, {0.1 + 0.2, "0.30000000000000004"},
        {NAN, "null"}, {INFINITY, "null"}, {-INFINITY, "null"}, {123456789012345678.0, "1.2345678901234568e+17"},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        kgrl_buf b = {NULL, 0, 0};
        kgrl_json_writer jw;
        memset(&jw, 0, sizeof jw);
        jw.out = &b;
        kgrl_jw_number(&jw, w[i].x);
        KT_CHECK(strcmp(b.data, w[i].want) == 0, "write %.17g: %s, want %s", w[i].x, b.data, w[i].want);
        kgrl_buf_free(&b);
    }
}

static void test_getters(void) {
    const char *doc = "{\"i\": 3, \"f\": 1.5, \"big\": 1e19, \"s\": \"str\", \"b\": true, \"n\": null,\n \"neg\": -7}";
    kgrl_json *j = kgrl_json_parse(doc, strlen(doc), NULL);
    KT_CHECK(j != NULL, "parse");
    if (!j) return;
    KT_CHECK(kgrl_json_int_or(j, "i", 0) == 3, "int_or");
    KT_CHECK(kgrl_json_int_or(j, "neg", 0) == -7, "int_or negative");
    KT_CHECK(kgrl_json_int_or(j, "f", 42) == 42, "int_or of 1.5 gives the default");
    KT_CHECK(kgrl_json_int_or(j, "big", 42) == 42, "int_or of 1e19 (beyond int64) gives the default");
    KT_CHECK(kgrl_json_int_or(j, "s", 42) == 42, "int_or of a string gives the default");
    KT_CHECK(kgrl_json_int_or(j, "absent", 42) == 42, "int_or absent");
    KT_CHECK(kgrl_json_number_or(j, "f", 0) == 1.5, "number_or");
    KT_CHECK(kgrl_json_number_or(j, "s", 2.5) == 2.5, "number_or wrong type");
    KT_CHECK(kgrl_json_bool_or(j, "b", false) == true, "bool_or");
    KT_CHECK(kgrl_json_bool_or(j, "n", false) == false, "bool_or of null");
    KT_CHECK(strcmp(kgrl_json_string_or(j, "s", "d"), "str") == 0, "string_or");
    KT_CHECK(strcmp(kgrl_json_string_or(j, "i", "d"), "d") == 0, "string_or wrong type");
    KT_CHECK(kgrl_json_get(j, "n") && kgrl_json_get(j, "n")->type == KGRL_JSON_NULL, "get null");
    KT_CHECK(kgrl_json_get(j, "zz") == NULL && kgrl_json_get(NULL, "i") == NULL, "get absent");
    KT_CHECK(kgrl_json_get(j, "neg")->line == 2 && kgrl_json_get(j, "neg")->col == 9, "value position %d:%d",
             kgrl_json_get(j, "neg")->line, kgrl_json_get(j, "neg")->col);

    int64_t iv = 0; double dv = 0; const char *sv = NULL;
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_json_get_int_strict(j, "i", &iv, &err) && iv == 3, "int strict");
    KT_CHECK(!kgrl_json_get_int_strict(j, "f", &iv, &err) && strstr(err.msg, "key \"f\" must be an integer, found 1.5"), "int strict 1.5: %s", err.msg);
    KT_CHECK(!kgrl_json_get_int_strict(j, "s", &iv, &err) && strstr(err.msg, "key \"s\" must be a number, found a string"), "int strict string: %s", err.msg);
    KT_CHECK(!kgrl_json_get_int_strict(j, "absent", &iv, &err) && strstr(err.msg, "missing key \"absent\""), "int strict missing: %s", err.msg);
    KT_CHECK(kgrl_json_get_number_strict(j, "big", &dv, &err) && dv == 1e19, "number strict");
    KT_CHECK(!kgrl_json_get_number_strict(j, "b", &dv, &err) && strstr(err.msg, "1:50: key \"b\" must be a number, found a boolean"), "number strict bool: %s", err.msg);
    KT_CHECK(kgrl_json_get_string_strict(j, "s", &sv, &err) && strcmp(sv, "str") == 0, "string strict");
    KT_CHECK(!kgrl_json_get_string_strict(j, "n", &sv, &err) && strstr(err.msg, "must be a string, found null"), "string strict null: %s", err.msg);
    kgrl_json_free(j);

    j = kgrl_json_parse("[10, \"x\"]", 9, NULL);
    KT_CHECK(j && kgrl_json_at(j, 0)->number == 10 && kgrl_json_at(j, 1)->type == KGRL_JSON_STRING, "at");
    KT_CHECK(kgrl_json_at(j, 2) == NULL && kgrl_json_at(j, -1) == NULL && kgrl_json_get(j, "x") == NULL, "at out of range");
    KT_CHECK(!kgrl_json_get_int_strict(j, "x", &iv, &err) && strstr(err.msg, "not an object"), "strict on array: %s", err.msg);
    kgrl_json_free(j);

    // a big object: duplicate detection by hash set, lookups by key
    kgrl_buf b = {NULL, 0, 0};
    kgrl_buf_puts(&b, "{");
    for (int i = 0; i < 5000; i++) kgrl_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    kgrl_buf_puts(&b, "}");
    j = kgrl_json_parse(b.data, b.len, &err);
    KT_CHECK(j && j->count == 5000 && kgrl_json_int_or(j, "k4321", -1) == 4321, "5000 keys: %s", err.msg);
    kgrl_json_free(j);
    b.len -= 1;
    kgrl_buf_puts(&b, ",\"k2500\":0}");
    j = kgrl_json_parse(b.data, b.len, &err);
    KT_CHECK(j == NULL && strstr(err.msg, "duplicate key \"k2500\""), "dup in 5001 keys: %s", err.msg);
    kgrl_buf_free(&b);
}

static void test_writer(void) {
    kgrl_buf b = {NULL, 0, 0};
    kgrl_json_writer w;
    memset(&w, 0, sizeof w);
    w.out = &b;
    kgrl_jw_begin_object(&w);
    kgrl_jw_key(&w, "task"); kgrl_jw_string(&w, "L1/19");
    kgrl_jw_key(&w, "ok"); kgrl_jw_bool(&w, true);
    kgrl_jw_key(&w, "n"); kgrl_jw_int(&w, -9007199254740993LL);
    kgrl_jw_key(&w, "x"); kgrl_jw_null(&w);
    kgrl_jw_key(&w, "list"); kgrl_jw_begin_array(&w);
    kgrl_jw_number(&w, 1.5); kgrl_jw_begin_object(&w); kgrl_jw_end_object(&w); kgrl_jw_begin_array(&w); kgrl_jw_end_array(&w);
    kgrl_jw_end_array(&w);
    kgrl_jw_key(&w, "esc\"key"); kgrl_jw_string(&w, "a\"b\\c\n\t\x01\x1f\xc3\xa9");
    kgrl_jw_key(&w, "bad"); kgrl_jw_string_n(&w, "x\xff\xc3y\0z", 6);
    kgrl_jw_end_object(&w);
    const char *want = "{\"task\":\"L1/19\",\"ok\":true,\"n\":-9007199254740993,\"x\":null,\"list\":[1.5,{},[]],"
                       "\"esc\\\"key\":\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\xc3\xa9\",\"bad\":\"x\xef\xbf\xbd\xef\xbf\xbdy\\u0000z\"}";
    KT_CHECK(strcmp(b.data, want) == 0, "writer output\n got %s\nwant %s", b.data, want);
    KT_CHECK(w.depth == 0, "depth back to 0");
    kgrl_err err = {{0}};
    kgrl_json *j = kgrl_json_parse(b.data, b.len, &err);
    KT_CHECK(j != NULL, "writer output parses: %s", err.msg);
    kgrl_json_free(j);
    kgrl_buf_free(&b);
}

static void test_parse_file(void) {
    char dir[] = "/tmp/kgrl_test_json_XXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256];
    snprintf(path, sizeof path, "%s/c.json", dir);
    FILE *f = fopen(path, "wb");
    fputs("{\"a\": 1,\n \"b\": [1, 2,]}", f);
    fclose(f);
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_json_parse_file(path, &err) == NULL, "bad file accepted");
    char want[300];
    snprintf(want, sizeof want, "%s:2:13: expected a value, found ']'", path);
    KT_CHECK(strcmp(err.msg, want) == 0, "file error \"%s\", want \"%s\"", err.msg, want);
    f = fopen(path, "wb");
    fputs("{\"a\": 1}", f);
    fclose(f);
    kgrl_json *j = kgrl_json_parse_file(path, &err);
    KT_CHECK(j && kgrl_json_int_or(j, "a", 0) == 1, "good file");
    kgrl_json_free(j);
    unlink(path);
    KT_CHECK(kgrl_json_parse_file(path, &err) == NULL && strstr(err.msg, "No such file"), "missing file: %s", err.msg);
    rmdir(dir);
}

int main(void) {
    KT_RUN(test_valid_round_trip);
    KT_RUN(test_malformed);
    KT_RUN(test_depth);
    KT_RUN(test_utf8);
    KT_RUN(test_numbers);
    KT_RUN(test_getters);
    KT_RUN(test_writer);
    KT_RUN(test_parse_file);
    return kt_finish();
}
