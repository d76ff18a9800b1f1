// safetensors reader/writer: round trips of every dtype, sharded and plain directories, every
// malformed image we can think of (each must fail with a message naming the problem, never
// crash), and the bf16/f16 conversions.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"
#include <dirent.h>

// An image: 8-byte little-endian header length, the header text, then `data_len` bytes (i % 251).
static unsigned char *make_image(const char *header, size_t data_len, size_t *len) {
    size_t h = strlen(header);
    *len = 8 + h + data_len;
    unsigned char *b = (unsigned char *)kgrl_malloc(*len);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    for (size_t i = 0; i < data_len; i++) b[8 + h + i] = (unsigned char)(i % 251);
    return b;
}

static void write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    KT_CHECK(f != NULL, "fopen %s", path);
    if (!f) return;
    fwrite(p, 1, n, f);
    fclose(f);
}

static int count_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static void rm_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    char p[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void test_round_trip_every_dtype(void) {
    char dir[] = "/tmp/kgrl_test_st_XXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    // one tensor per dtype, values chosen so every conversion is exact
    float f32[6] = {1.5f, -2.25f, 0.0f, 3e38f, -1e-38f, 7.0f};
    uint16_t f16[4] = {0x3c00, 0xc000, 0x0001, 0x7bff};     // 1, -2, 2^-24, 65504
    uint16_t bf16[3] = {0x3f80, 0xc0a0, 0x7f7f};            // 1, -5, 3.3895314e38
    double f64[2] = {0.5, -1024.0};
    int64_t i64[2] = {-3, 1LL << 40};
    int32_t i32[3] = {-7, 0, 2147483647};
    int16_t i16[2] = {-32768, 123};
    int8_t i8[4] = {-128, -1, 0, 127};
    uint8_t u8[2] = {0, 255};
    uint8_t bl[3] = {0, 1, 1};
    float scalar = 42.0f;
    kgrl_tensor_view t[12];
    memset(t, 0, sizeof t);
    struct { const char *name; kgrl_dtype dt; int ndim; int64_t s0, s1; const void *data; } spec[12] = {
        {"model.w_f32", KGRL_DTYPE_F32, 2, 2, 3, f32}, {"f16", KGRL_DTYPE_F16, 1, 4, 0, f16},
        {"bf16", KGRL_DTYPE_BF16, 1, 3, 0, bf16}, {"f64", KGRL_DTYPE_F64, 1, 2, 0, f64},
        {"i64", KGRL_DTYPE_I64, 2, 1, 2, i64}, {"i32", KGRL_DTYPE_I32, 1, 3, 0, i32},
        {"i16", KGRL_DTYPE_I16, 1, 2, 0, i16}, {"i8", KGRL_DTYPE_I8, 2, 2, 2, i8},
        {"u8", KGRL_DTYPE_U8, 1, 2, 0, u8}, {"bool", KGRL_DTYPE_BOOL, 1, 3, 0, bl},
        {"scalar", KGRL_DTYPE_F32, 0, 0, 0, &scalar}, {"empty", KGRL_DTYPE_BF16, 2, 0, 5, NULL},
    };
    for (int i = 0; i < 12; i++) {
        t[i].name = spec[i].name; t[i].dtype = spec[i].dt; t[i].ndim = spec[i].ndim;
        t[i].shape[0] = spec[i].s0; t[i].shape[1] = spec[i].s1; t[i].data = spec[i].data;
        t[i].nbytes = (size_t)kgrl_tensor_numel(&t[i]) * kgrl_dtype_size(spec[i].dt);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/all.safetensors", dir);
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_st_write(path, t, 12, "{\"format\":\"pt\",\"note\":\"kgrl \\\"test\\\"\"}", &err), "write: %s", err.msg);
    KT_CHECK(count_dir_entries(dir) == 1, "a temp file was left behind");
    // header length is a multiple of 8 and the padding is spaces
    size_t flen;
    char *raw = kgrl_read_file(path, &flen, &err);
    if (raw) {
        uint64_t hl = 0;
        for (int i = 7; i >= 0; i--) hl = hl << 8 | (unsigned char)raw[i];
        KT_CHECK(hl % 8 == 0 && hl < flen, "header length %llu", (unsigned long long)hl);
        KT_CHECK(raw[8] == '{' && (raw[8 + hl - 1] == '}' || raw[8 + hl - 1] == ' '), "header framing");
        KT_CHECK(strncmp(raw + 8, "{\"__metadata__\":{\"format\":\"pt\"", 30) == 0, "metadata first: %.40s", raw + 8);
        kgrl_free(raw);
    }
    kgrl_safetensors *st = kgrl_st_open(path, &err);
    KT_CHECK(st != NULL, "open: %s", err.msg);
    if (!st) { rm_dir(dir); return; }
    KT_CHECK(kgrl_st_count(st) == 12, "count %d", kgrl_st_count(st));
    for (int i = 0; i < 12 && i < kgrl_st_count(st); i++) {
        const kgrl_tensor_view *v = kgrl_st_tensor(st, i);
        KT_CHECK(strcmp(v->name, spec[i].name) == 0, "order: %d is %s", i, v->name);
        KT_CHECK(v->dtype == spec[i].dt && v->ndim == spec[i].ndim && v->nbytes == t[i].nbytes, "%s: dtype/shape", v->name);
        for (int d = 0; d < v->ndim; d++) KT_CHECK(v->shape[d] == t[i].shape[d], "%s: dim %d", v->name, d);
        KT_CHECK(v->nbytes == 0 || memcmp(v->data, t[i].data, v->nbytes) == 0, "%s: bytes differ", v->name);
        KT_CHECK(kgrl_st_find(st, spec[i].name) == v, "find %s", spec[i].name);
    }
    KT_CHECK(kgrl_st_tensor(st, 12) == NULL && kgrl_st_tensor(st, -1) == NULL && kgrl_st_find(st, "nope") == NULL, "absent");
    KT_CHECK(((uintptr_t)kgrl_st_tensor(st, 0)->data & 7) == 0, "data starts 8-aligned in the mapping");
    const kgrl_json *m = kgrl_st_metadata(st);
    KT_CHECK(m && strcmp(kgrl_json_string_or(m, "format", ""), "pt") == 0 && strcmp(kgrl_json_string_or(m, "note", ""), "kgrl \"test\"") == 0, "metadata");
    // to_f32 of every dtype
    struct { const char *name; float want[6]; int n; } conv[] = {
        {"model.w_f32", {1.5f, -2.25f, 0.0f, 3e38f, -1e-38f, 7.0f}, 6}, {"f16", {1, -2, 5.9604644775390625e-08f, 65504}, 4},
        {"bf16", {1, -5, 3.3895313892515355e38f}, 3}, {"f64", {0.5f, -1024}, 2}, {"i64", {-3, 1099511627776.0f}, 2},
        {"i32", {-7, 0, 2147483648.0f}, 3}, {"i16", {-32768, 123}, 2}, {"i8", {-128, -1, 0, 127}, 4}, {"u8", {0, 255}, 2},
        {"bool", {0, 1, 1}, 3}, {"scalar", {42}, 1},
    };
    for (size_t c = 0; c < sizeof conv / sizeof conv[0]; c++) {
        const kgrl_tensor_view *v = kgrl_st_find(st, conv[c].name);
        float out[6] = {0};
        if (!v) continue;
        KT_CHECK(kgrl_tensor_numel(v) == conv[c].n, "%s numel", conv[c].name);
        kgrl_tensor_to_f32(v, out);
        for (int i = 0; i < conv[c].n; i++) KT_CHECK(out[i] == conv[c].want[i], "%s[%d] = %.9g, want %.9g", conv[c].name, i, out[i], conv[c].want[i]);
    }
    kgrl_st_close(st);
    // write with no metadata and no tensors: a valid, empty file
    KT_CHECK(kgrl_st_write(path, NULL, 0, NULL, &err), "empty write: %s", err.msg);
    st = kgrl_st_open(path, &err);
    KT_CHECK(st && kgrl_st_count(st) == 0 && kgrl_st_metadata(st) == NULL, "empty file: %s", err.msg);
    kgrl_st_close(st);
    // the writer refuses bad views
    kgrl_tensor_view bad = t[0];
    bad.nbytes = 5;
    KT_CHECK(!kgrl_st_write(path, &bad, 1, NULL, &err) && strstr(err.msg, "nbytes != numel * dtype size"), "bad nbytes: %s", err.msg);
    kgrl_tensor_view two[2] = {t[0], t[0]};
    KT_CHECK(!kgrl_st_write(path, two, 2, NULL, &err) && strstr(err.msg, "is given twice"), "dup: %s", err.msg);
    KT_CHECK(!kgrl_st_write(path, t, 1, "{\"a\":1}", &err) && strstr(err.msg, "object of string values"), "meta: %s", err.msg);
    KT_CHECK(!kgrl_st_write(path, t, 1, "{\"a\":", &err) && strstr(err.msg, "metadata is not valid JSON"), "meta json: %s", err.msg);
    KT_CHECK(count_dir_entries(dir) == 1, "failed writes left files behind");
    rm_dir(dir);
}

static void write_shard(const char *dir, const char *file, const kgrl_tensor_view *t, int n, const char *meta) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_st_write(p, t, n, meta, &err), "write %s: %s", p, err.msg);
}

static void test_directories(void) {
    char dir[] = "/tmp/kgrl_test_st_XXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    float a[4] = {1, 2, 3, 4}, b[2] = {5, 6}, c[3] = {7, 8, 9};
    kgrl_tensor_view ta = {"layer.0.w", KGRL_DTYPE_F32, 2, {2, 2}, a, 16};
    kgrl_tensor_view tb = {"layer.0.b", KGRL_DTYPE_F32, 1, {2}, b, 8};
    kgrl_tensor_view tc = {"layer.1.w", KGRL_DTYPE_F32, 1, {3}, c, 12};
    kgrl_err err = {{0}};
    char p[512];

    // empty directory: a clear error
    KT_CHECK(kgrl_st_open(dir, &err) == NULL && strstr(err.msg, "neither model.safetensors nor model.safetensors.index.json"), "empty dir: %s", err.msg);
    // plain model.safetensors
    kgrl_tensor_view ab[2] = {ta, tb};
    write_shard(dir, "model.safetensors", ab, 2, NULL);
    kgrl_safetensors *st = kgrl_st_open(dir, &err);
    KT_CHECK(st && kgrl_st_count(st) == 2 && kgrl_st_find(st, "layer.0.b") && ((const float *)kgrl_st_find(st, "layer.0.b")->data)[1] == 6, "plain dir: %s", err.msg);
    kgrl_st_close(st);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    unlink(p);

    // sharded: index.json + two shards; tensor order = shard order, then header order
    write_shard(dir, "model-00001-of-00002.safetensors", ab, 2, "{\"format\":\"pt\"}");
    write_shard(dir, "model-00002-of-00002.safetensors", &tc, 1, "{\"format\":\"pt\"}");
    const char *index =
        "{\"metadata\": {\"total_size\": 36}, \"weight_map\": {\"layer.0.b\": \"model-00001-of-00002.safetensors\",\n"
        " \"layer.0.w\": \"model-00001-of-00002.safetensors\", \"layer.1.w\": \"model-00002-of-00002.safetensors\"}}";
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    write_bytes(p, index, strlen(index));
    st = kgrl_st_open(dir, &err);
    KT_CHECK(st != NULL, "sharded: %s", err.msg);
    if (st) {
        KT_CHECK(kgrl_st_count(st) == 3, "count %d", kgrl_st_count(st));
        KT_CHECK(strcmp(kgrl_st_tensor(st, 0)->name, "layer.0.w") == 0 && strcmp(kgrl_st_tensor(st, 2)->name, "layer.1.w") == 0, "order");
        const kgrl_tensor_view *v = kgrl_st_find(st, "layer.1.w");
        KT_CHECK(v && v->shape[0] == 3 && ((const float *)v->data)[2] == 9, "layer.1.w read back");
        KT_CHECK(strcmp(kgrl_json_string_or(kgrl_st_metadata(st), "format", ""), "pt") == 0, "metadata of the first shard");
        kgrl_st_close(st);
    }

    // duplicate name across shards: shard 2 also holds layer.0.b
    kgrl_tensor_view cb[2] = {tc, tb};
    write_shard(dir, "model-00002-of-00002.safetensors", cb, 2, NULL);
    KT_CHECK(kgrl_st_open(dir, &err) == NULL && strstr(err.msg, "tensor \"layer.0.b\" is in two shards") &&
             strstr(err.msg, "model-00001-of-00002.safetensors") && strstr(err.msg, "model-00002-of-00002.safetensors"), "dup across shards: %s", err.msg);
    write_shard(dir, "model-00002-of-00002.safetensors", &tc, 1, NULL);

    // the index maps a tensor to a shard that does not hold it
    const char *wrong = "{\"weight_map\": {\"layer.0.w\": \"model-00002-of-00002.safetensors\", \"layer.1.w\": \"model-00001-of-00002.safetensors\"}}";
    write_bytes(p, wrong, strlen(wrong));
    KT_CHECK(kgrl_st_open(dir, &err) == NULL && strstr(err.msg, "weight_map puts \"layer.0.w\" in model-00002-of-00002.safetensors"), "wrong shard: %s", err.msg);
    const char *ghost = "{\"weight_map\": {\"layer.0.w\": \"model-00001-of-00002.safetensors\", \"ghost\": \"model-00001-of-00002.safetensors\"}}";
    write_bytes(p, ghost, strlen(ghost));
    KT_CHECK(kgrl_st_open(dir, &err) == NULL && strstr(err.msg, "\"ghost\"") && strstr(err.msg, "does not contain it"), "ghost tensor: %s", err.msg);

    // a shard named in the index is missing
    const char *missing = "{\"weight_map\": {\"layer.0.w\": \"model-00001-of-00002.safetensors\", \"x\": \"model-00003-of-00003.safetensors\"}}";
    write_bytes(p, missing, strlen(missing));
    KT_CHECK(kgrl_st_open(dir, &err) == NULL && strstr(err.msg, "shard \"model-00003-of-00003.safetensors\" named in the index is missing"), "missing shard: %s", err.msg);
    // malformed indexes
    const char *bad_idx[][2] = {
        {"{\"metadata\": {}}", "missing \"weight_map\" object"},
        {"{\"weight_map\": {}}", "weight_map is empty"},
        {"{\"weight_map\": {\"a\": 3}}", "must be a shard file name"},
        {"{\"weight_map\": {\"a\": \"../etc/passwd\"}}", "must be a shard file name"},
        {"{\"weight_map\": {\"a\": \"x\",}}", "model.safetensors.index.json:1:26: expected a string key after ','"},
    };
    for (size_t i = 0; i < sizeof bad_idx / sizeof bad_idx[0]; i++) {
        write_bytes(p, bad_idx[i][0], strlen(bad_idx[i][0]));
        KT_CHECK(kgrl_st_open(dir, &err) == NULL && strstr(err.msg, bad_idx[i][1]), "index %zu: %s", i, err.msg);
    }
    // a path that does not exist
    KT_CHECK(kgrl_st_open("/nonexistent/kgrl/x.safetensors", &err) == NULL && strstr(err.msg, "No such file"), "missing file: %s", err.msg);
    rm_dir(dir);
}

// A small valid image: two F32 tensors, 8 + 4 bytes of data.
static const char *k_valid_header =
    "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"b\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[8,12]}}";

static void test_truncated_every_byte(void) {
    size_t len;
    unsigned char *img = make_image(k_valid_header, 12, &len);
    kgrl_err err = {{0}};
    kgrl_safetensors *st = kgrl_st_open_memory(img, len, &err);
    KT_CHECK(st && kgrl_st_count(st) == 2, "the full image is valid: %s", err.msg);
    kgrl_st_close(st);
    int failures_ok = 0;
    for (size_t n = 0; n < len; n++) {
        // an exact-size copy, so a read past the end is caught under DEBUG=1 (ASan)
        unsigned char *cut = (unsigned char *)kgrl_malloc(n);
        memcpy(cut, img, n);
        err.msg[0] = 0;
        st = kgrl_st_open_memory(cut, n, &err);
        KT_CHECK(st == NULL, "prefix of %zu bytes accepted", n);
        kgrl_st_close(st);
        if (err.msg[0]) failures_ok++;
        if (n < 8) KT_CHECK(strstr(err.msg, "shorter than the 8-byte header length"), "%zu: %s", n, err.msg);
        else if (n < 8 + strlen(k_valid_header)) KT_CHECK(strstr(err.msg, "runs beyond the end of the file"), "%zu: %s", n, err.msg);
        else KT_CHECK(strstr(err.msg, "beyond the data region") || strstr(err.msg, "overlap"), "%zu: %s", n, err.msg);
        kgrl_free(cut);
    }
    KT_CHECK(failures_ok == (int)len, "every prefix has a message");
    kgrl_free(img);
}

static void test_malformed_images(void) {
    struct { const char *header; size_t data; const char *msg; } bad[] = {
        {"{\"a\":", 0, "header is not valid JSON: 1:6: expected a value"},
        {"[1,2]", 0, "header is not a JSON object"},
        {" {}", 0, "header is not a JSON object (it must start with '{')"},
        {"{} 5", 0, "header is not valid JSON: 1:4: expected end of input"},
        {"{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "unknown dtype \"Q4\""},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12, "data_offsets span 12 bytes, but F32 shape needs 16"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, "end 16 is beyond the data region (8 bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8, "has begin > end"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "must be [begin, end]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, "must be [begin, end]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}", 4, "must be [begin, end]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0,4\"}}", 4, "must be [begin, end]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
         "tensor \"b\" [4, 12) overlaps tensor \"a\""},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
         "hole of 4 bytes before tensor \"b\""},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "4 bytes after the last tensor's data"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4, "element count overflows"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}", 4, "element count overflows"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape[0] = -1 is negative"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape[0] is not an integer"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "9 dims, at most 8"},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "missing \"dtype\" string"},
        {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "missing \"shape\" array"},
        {"{\"a\":[1]}", 4, "tensor \"a\": entry must be an object"},
        {"{\"__metadata__\":[\"x\"]}", 0, "\"__metadata__\" must be an object of strings"},
        {"{\"__metadata__\":{\"n\":1}}", 0, "\"__metadata__\" value of \"n\" must be a string"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{}}", 4, "duplicate key \"a\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        unsigned char *img = make_image(bad[i].header, bad[i].data, &len);
        kgrl_err err = {{0}};
        kgrl_safetensors *st = kgrl_st_open_memory(img, len, &err);
        KT_CHECK(st == NULL, "case %zu accepted", i);
        kgrl_st_close(st);
        KT_CHECK(strstr(err.msg, bad[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err.msg, bad[i].msg);
        kgrl_free(img);
    }
    // header length beyond the file, and an absurd one
    unsigned char img[16] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    kgrl_err err = {{0}};
    KT_CHECK(kgrl_st_open_memory(img, 10, &err) == NULL && strstr(err.msg, "header length 100 runs beyond the end of the file (10 bytes"), "%s", err.msg);
    unsigned char huge[16] = {0, 0, 0, 0, 0, 1, 0, 0, '{', '}'};
    KT_CHECK(kgrl_st_open_memory(huge, 10, &err) == NULL && strstr(err.msg, "header length 1099511627776 is absurd"), "%s", err.msg);
    unsigned char all_ff[16];
    memset(all_ff, 0xff, sizeof all_ff);
    KT_CHECK(kgrl_st_open_memory(all_ff, 16, &err) == NULL && strstr(err.msg, "is absurd"), "%s", err.msg);
    // valid edge cases: empty header object, padding spaces, zero-size tensors at the end
    const char *ok[] = {
        "{}", "{}      ", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}}",
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[3,3]}}",
        "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]},\"a\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]}}",
    };
    size_t ok_data[] = {0, 0, 0, 3, 3};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t len;
        unsigned char *im = make_image(ok[i], ok_data[i], &len);
        kgrl_safetensors *st = kgrl_st_open_memory(im, len, &err);
        KT_CHECK(st != NULL, "valid case %zu rejected: %s", i, err.msg);
        kgrl_st_close(st);
        kgrl_free(im);
    }
    KT_CHECK(kgrl_st_open_memory(NULL, 0, &err) == NULL && strstr(err.msg, "shorter"), "NULL image");
}

static void test_bf16(void) {
    KT_CHECK(kgrl_bf16_to_f32(0x3f80) == 1.0f && kgrl_bf16_to_f32(0xc000) == -2.0f, "exact values");
    KT_CHECK(isinf(kgrl_bf16_to_f32(0x7f80)) && isnan(kgrl_bf16_to_f32(0x7fc0)), "inf, nan");
    struct { uint32_t in; uint16_t want; const char *what; } v[] = {
        {0x3f800000, 0x3f80, "1.0"},
        {0x3f808000, 0x3f80, "tie, even below: down"},
        {0x3f818000, 0x3f82, "tie, odd below: up"},
        {0x3f808001, 0x3f81, "above the tie: up"},
        {0x3f807fff, 0x3f80, "below the tie: down"},
        {0x7f7fffff, 0x7f80, "max float rounds to inf"},
        {0xff7fffff, 0xff80, "-max float rounds to -inf"},
        {0x7f800000, 0x7f80, "inf"},
        {0x80000000, 0x8000, "-0"},
        {0x00000001, 0x0000, "tiny subnormal to 0"},
        {0x00018000, 0x0002, "subnormal tie up to even"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        float f;
        memcpy(&f, &v[i].in, 4);
        uint16_t got = kgrl_f32_to_bf16(f);
        KT_CHECK(got == v[i].want, "%s: 0x%08x -> 0x%04x, want 0x%04x", v[i].what, v[i].in, got, v[i].want);
    }
    // NaNs stay NaN, including the signalling NaN whose payload sits only in the dropped bits
    uint32_t nans[] = {0x7fc00000, 0x7f800001, 0xff800001, 0x7fffffff};
    for (size_t i = 0; i < 4; i++) {
        float f;
        memcpy(&f, &nans[i], 4);
        uint16_t h = kgrl_f32_to_bf16(f);
        KT_CHECK(isnan(kgrl_bf16_to_f32(h)) && (h >> 15) == (nans[i] >> 31), "NaN 0x%08x -> 0x%04x", nans[i], h);
    }
    // every bf16 survives bf16 -> f32 -> bf16 (quiet NaNs bit-exact, all NaNs stay NaN)
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        uint16_t back = kgrl_f32_to_bf16(kgrl_bf16_to_f32((uint16_t)h));
        bool nan = (h & 0x7fff) > 0x7f80;
        if (nan ? !isnan(kgrl_bf16_to_f32(back)) || ((h & 0x40) && back != h) : back != h) bad++;
    }
    KT_CHECK(bad == 0, "%d bf16 values do not round-trip", bad);
}

// The f16 neighbours of x: is `h` at least as close to x as h-1 and h+1 (ties to even)?
static bool f16_is_nearest(float x, uint16_t h) {
    double d = fabs((double)kgrl_f16_to_f32(h) - x);
    uint16_t mag = h & 0x7fff;
    for (int k = -1; k <= 1; k += 2) {
        int m = (int)mag + k;
        if (m < 0 || m > 0x7c00) continue;
        uint16_t n = (uint16_t)((h & 0x8000) | m);
        double dn = fabs((double)kgrl_f16_to_f32(n) - x);
        if (isinf(kgrl_f16_to_f32(n))) dn = fabs(65536.0 - fabs((double)x)); // inf stands for 2^16 when rounding
        if (dn < d || (dn == d && (n & 1) == 0 && (h & 1))) return false;
    }
    return true;
}

static void test_f16(void) {
    KT_CHECK(kgrl_f16_to_f32(0x3c00) == 1.0f && kgrl_f16_to_f32(0x7bff) == 65504.0f && kgrl_f16_to_f32(0xc000) == -2.0f, "exact values");
    KT_CHECK(kgrl_f16_to_f32(0x0001) == ldexpf(1, -24) && kgrl_f16_to_f32(0x8001) == -ldexpf(1, -24), "smallest subnormal");
    KT_CHECK(kgrl_f16_to_f32(0x03ff) == ldexpf(1023, -24) && kgrl_f16_to_f32(0x0400) == ldexpf(1, -14), "subnormal/normal boundary");
    KT_CHECK(isinf(kgrl_f16_to_f32(0x7c00)) && kgrl_f16_to_f32(0xfc00) < 0 && isnan(kgrl_f16_to_f32(0x7e00)) && isnan(kgrl_f16_to_f32(0x7c01)), "inf, nan");
    struct { float in; uint16_t want; const char *what; } v[] = {
        {1.0f, 0x3c00, "1"}, {-2.0f, 0xc000, "-2"}, {65504.0f, 0x7bff, "max"},
        {65519.0f, 0x7bff, "below the overflow tie"}, {65520.0f, 0x7c00, "overflow tie rounds to inf"}, {1e10f, 0x7c00, "overflow"},
        {-1e10f, 0xfc00, "-overflow"}, {INFINITY, 0x7c00, "inf"}, {-0.0f, 0x8000, "-0"},
        {0x1p-24f, 0x0001, "smallest subnormal"}, {0x1p-25f, 0x0000, "half of it: tie to even 0"},
        {0x1.000002p-25f, 0x0001, "just above the half"}, {0x3p-25f, 0x0002, "1.5 units: tie to even 2"},
        {0x5p-25f, 0x0002, "2.5 units: tie to even 2"}, {1023 * 0x1p-24f, 0x03ff, "largest subnormal"},
        {1023.5f * 0x1p-24f, 0x0400, "tie between the largest subnormal and the smallest normal"},
        {0x1p-14f, 0x0400, "smallest normal"}, {1e-10f, 0x0000, "underflow"}, {0x1p-149f, 0x0000, "f32 subnormal"},
        {1.0f + 0x1p-11f, 0x3c00, "tie, even below: down"}, {1.0f + 3 * 0x1p-11f, 0x3c02, "tie, odd below: up"},
        {2047.5f, 0x6800, "2047.5 -> 2048 (tie, carry into the exponent)"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint16_t got = kgrl_f32_to_f16(v[i].in);
        KT_CHECK(got == v[i].want, "%s: %.9g -> 0x%04x, want 0x%04x", v[i].what, v[i].in, got, v[i].want);
    }
    KT_CHECK(isnan(kgrl_f16_to_f32(kgrl_f32_to_f16(NAN))), "NaN stays NaN");
    uint32_t snan = 0x7f800001;
    float fs;
    memcpy(&fs, &snan, 4);
    KT_CHECK(isnan(kgrl_f16_to_f32(kgrl_f32_to_f16(fs))), "signalling NaN stays NaN");
    // every f16 survives f16 -> f32 -> f16
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        uint16_t back = kgrl_f32_to_f16(kgrl_f16_to_f32((uint16_t)h));
        bool nan = (h & 0x7fff) > 0x7c00;
        if (nan ? !isnan(kgrl_f16_to_f32(back)) || ((h & 0x200) && back != h) : back != h) bad++;
    }
    KT_CHECK(bad == 0, "%d f16 values do not round-trip", bad);
    // random floats across the f16 range round to the nearest f16 (ties to even), checked against neighbours
    kgrl_rng r = kgrl_rng_make(1234, kgrl_stream_id("test_f16"));
    bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t u = kgrl_rng_u32(&r);
        // exponents 2^-26 .. 2^16 so subnormals, normals and overflow all appear
        u = (u & 0x807fffffu) | ((uint32_t)(101 + kgrl_rng_below(&r, 42)) << 23);
        float x;
        memcpy(&x, &u, 4);
        uint16_t h = kgrl_f32_to_f16(x);
        if (fabsf(x) >= 65520.0f) { if ((h & 0x7fff) != 0x7c00) bad++; continue; }
        if (!f16_is_nearest(x, h)) { if (bad++ < 5) fprintf(stderr, "  %.9g -> 0x%04x is not the nearest\n", x, h); }
    }
    KT_CHECK(bad == 0, "%d random floats not rounded to the nearest f16", bad);
}

// Compare with files and roundings made by the reference implementations (safetensors, torch,
// transformers): tests/oracles/safetensors_fixtures.py writes tests/fixtures/safetensors/.
#define ST_FIX "tests/fixtures/safetensors"

// Check every tensor listed in expected.json of `dir` against the opened checkpoint.
static void check_expected(const char *dir, bool values) {
    char p[512];
    snprintf(p, sizeof p, "%s/expected.json", dir);
    kgrl_err err = {{0}};
    kgrl_json *exp = kgrl_json_parse_file(p, &err);
    KT_CHECK(exp && exp->type == KGRL_JSON_OBJECT, "%s", err.msg);
    kgrl_safetensors *st = kgrl_st_open(dir, &err);
    KT_CHECK(st != NULL, "open %s: %s", dir, err.msg);
    if (!exp || !st) { kgrl_json_free(exp); kgrl_st_close(st); return; }
    KT_CHECK(kgrl_st_count(st) == exp->count, "%s: %d tensors, expected %d", dir, kgrl_st_count(st), exp->count);
    for (int i = 0; i < exp->count; i++) {
        const char *name = exp->keys[i];
        const kgrl_json *e = &exp->items[i];
        const kgrl_tensor_view *t = kgrl_st_find(st, name);
        KT_CHECK(t != NULL, "%s: tensor %s missing", dir, name);
        if (!t) continue;
        KT_CHECK(strcmp(kgrl_dtype_name(t->dtype), kgrl_json_string_or(e, "dtype", "")) == 0, "%s: dtype %s", name, kgrl_dtype_name(t->dtype));
        const kgrl_json *shape = kgrl_json_get(e, "shape");
        KT_CHECK(shape && shape->count == t->ndim, "%s: ndim %d", name, t->ndim);
        for (int d = 0; shape && d < shape->count && d < t->ndim; d++) KT_CHECK(t->shape[d] == (int64_t)shape->items[d].number, "%s: dim %d", name, d);
        char hex[65];
        kgrl_sha256_hex(t->data, t->nbytes, hex);
        KT_CHECK(strcmp(hex, kgrl_json_string_or(e, "sha256", "")) == 0, "%s: bytes differ (sha256 %s)", name, hex);
        const kgrl_json *bits = kgrl_json_get(e, "f32_bits");
        if (values && bits && bits->count == kgrl_tensor_numel(t)) {
            float *f = (float *)kgrl_malloc((size_t)bits->count * sizeof(float) + 4);
            kgrl_tensor_to_f32(t, f);
            for (int k = 0; k < bits->count; k++) {
                uint32_t u;
                memcpy(&u, &f[k], 4);
                KT_CHECK(u == (uint32_t)bits->items[k].number, "%s[%d]: to_f32 0x%08x, torch 0x%08x", name, k, u, (uint32_t)bits->items[k].number);
            }
            kgrl_free(f);
        } else if (values) {
            KT_CHECK(bits != NULL, "%s: expected.json lacks f32_bits", name);
        }
    }
    kgrl_st_close(st);
    kgrl_json_free(exp);
}

static void test_oracle_fixtures(void) {
    if (!kgrl_file_exists(ST_FIX "/conversions.json")) {
        kt_skip("fixtures missing: run python3 tests/oracles/safetensors_fixtures.py (needs torch, safetensors, transformers)");
        return;
    }
    kgrl_err err = {{0}};
    kgrl_json *c = kgrl_json_parse_file(ST_FIX "/conversions.json", &err);
    KT_CHECK(c != NULL, "%s", err.msg);
    const kgrl_json *in = kgrl_json_get(c, "f32_bits"), *bf = kgrl_json_get(c, "bf16_bits"), *hf = kgrl_json_get(c, "f16_bits");
    KT_CHECK(in && bf && hf && in->count == bf->count && in->count == hf->count && in->count > 1000, "conversions.json layout");
    int bad_bf = 0, bad_hf = 0;
    for (int i = 0; in && bf && hf && i < in->count && i < bf->count && i < hf->count; i++) {
        uint32_t u = (uint32_t)in->items[i].number;
        float x;
        memcpy(&x, &u, 4);
        uint16_t b = kgrl_f32_to_bf16(x), h = kgrl_f32_to_f16(x);
        if (b != (uint16_t)bf->items[i].number && bad_bf++ < 5) fprintf(stderr, "  bf16(0x%08x) = 0x%04x, torch 0x%04x\n", u, b, (unsigned)bf->items[i].number);
        if (h != (uint16_t)hf->items[i].number && bad_hf++ < 5) fprintf(stderr, "  f16(0x%08x) = 0x%04x, torch 0x%04x\n", u, h, (unsigned)hf->items[i].number);
    }
    KT_CHECK(bad_bf == 0 && bad_hf == 0, "%d bf16 and %d f16 roundings differ from torch", bad_bf, bad_hf);
    kgrl_json_free(c);
    check_expected(ST_FIX "/single", true);
    kgrl_safetensors *st = kgrl_st_open(ST_FIX "/single/model.safetensors", &err);
    KT_CHECK(st && strcmp(kgrl_json_string_or(kgrl_st_metadata(st), "origin", ""), "kgrl oracle") == 0, "metadata: %s", err.msg);
    kgrl_st_close(st);
    check_expected(ST_FIX "/sharded", false);
}

int main(void) {
    KT_RUN(test_round_trip_every_dtype);
    KT_RUN(test_directories);
    KT_RUN(test_truncated_every_byte);
    KT_RUN(test_malformed_images);
    KT_RUN(test_bf16);
    KT_RUN(test_f16);
    KT_RUN(test_oracle_fixtures);
    return kt_finish();
}
