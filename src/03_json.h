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
// garbage, bad escapes, invalid UTF-8, lone surrogates, duplicate keys, depth > 512, numbers
// that overflow a double. Free with kgrl_json_free.
KGRL_API kgrl_json *kgrl_json_parse(const char *text, size_t len, kgrl_err *err);
KGRL_API kgrl_json *kgrl_json_parse_file(const char *path, kgrl_err *err); // err: "path:line:col: ..."
KGRL_API void kgrl_json_free(kgrl_json *j);

// Lookups; NULL when absent or of the wrong container type.
KGRL_API const kgrl_json *kgrl_json_get(const kgrl_json *obj, const char *key);
KGRL_API const kgrl_json *kgrl_json_at(const kgrl_json *arr, int i);
// Typed getters with a default for absent keys. A present key of the wrong type (or a number that
// is not an integer, for _int) is an error: they return false from kgrl_json_get_*_strict, and
// the plain forms return the default. Strings returned point into the document.
KGRL_API double kgrl_json_number_or(const kgrl_json *obj, const char *key, double dflt);
KGRL_API int64_t kgrl_json_int_or(const kgrl_json *obj, const char *key, int64_t dflt);
KGRL_API bool kgrl_json_bool_or(const kgrl_json *obj, const char *key, bool dflt);
KGRL_API const char *kgrl_json_string_or(const kgrl_json *obj, const char *key, const char *dflt);
KGRL_API bool kgrl_json_get_int_strict(const kgrl_json *obj, const char *key, int64_t *out, kgrl_err *err);
KGRL_API bool kgrl_json_get_number_strict(const kgrl_json *obj, const char *key, double *out, kgrl_err *err);
KGRL_API bool kgrl_json_get_string_strict(const kgrl_json *obj, const char *key, const char **out, kgrl_err *err);

// Writer: appends compact JSON to a kgrl_buf; commas and nesting are tracked for you.
// Numbers are written with %.17g (round-trip exact); NaN/Inf, which JSON cannot hold, as null.
typedef struct kgrl_json_writer {
    kgrl_buf *out;
    int depth;
    bool need_comma[64];
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
