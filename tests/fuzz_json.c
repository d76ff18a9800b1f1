// libFuzzer target for the JSON reader and writer (outside CI; scripts/fuzz.sh runs it).
// Every input must either fail with a "line:col: ..." message or parse; a parsed document must
// survive write -> parse -> write unchanged.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kgrl_err err;
    err.msg[0] = 0;
    kgrl_json *j = kgrl_json_parse((const char *)data, size, &err);
    if (!j) {
        int line, col;
        if (sscanf(err.msg, "%d:%d: ", &line, &col) != 2 || line < 1 || col < 1) abort(); // every error has a position
        return 0;
    }
    kgrl_buf a = {NULL, 0, 0}, b = {NULL, 0, 0};
    kgrl_json_writer w;
    memset(&w, 0, sizeof w);
    w.out = &a;
    kgrl_jw_value(&w, j);
    kgrl_json *j2 = kgrl_json_parse(a.data, a.len, &err);
    if (!j2) abort(); // the writer produced invalid JSON
    memset(&w, 0, sizeof w);
    w.out = &b;
    kgrl_jw_value(&w, j2);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort(); // not a fixed point
    // exercise the getters on whatever came out
    if (j->type == KGRL_JSON_OBJECT && j->count > 0) {
        int64_t i64; double d; const char *s;
        (void)kgrl_json_get_int_strict(j, j->keys[0], &i64, &err);
        (void)kgrl_json_get_number_strict(j, j->keys[0], &d, &err);
        (void)kgrl_json_get_string_strict(j, j->keys[0], &s, &err);
        (void)kgrl_json_int_or(j, j->keys[j->count - 1], 0);
    }
    kgrl_buf_free(&a);
    kgrl_buf_free(&b);
    kgrl_json_free(j);
    kgrl_json_free(j2);
    return 0;
}
