// Base: includes, API decoration, errors (two tiers), logging, allocation, byte buffers, files,
// clocks. Everything else in the header builds on this part.

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cuda_runtime_api.h>
#include <nvrtc.h>
#include <cublas_v2.h>
#include <cublasLt.h>

#define KGRL_VERSION_MAJOR 0
#define KGRL_VERSION_MINOR 1
#define KGRL_VERSION_PATCH 0
#define KGRL_VERSION_STRING "0.1.0"

#ifndef KGRL_API
#  ifdef KGRL_STATIC
#    define KGRL_API static
#  else
#    define KGRL_API extern
#  endif
#endif

// allocator override: all three or none (stb)
#if defined(KGRL_MALLOC) || defined(KGRL_REALLOC) || defined(KGRL_FREE)
#  if !defined(KGRL_MALLOC) || !defined(KGRL_REALLOC) || !defined(KGRL_FREE)
#    error "define all of KGRL_MALLOC, KGRL_REALLOC and KGRL_FREE, or none of them"
#  endif
#else
#  define KGRL_MALLOC(n) malloc(n)
#  define KGRL_REALLOC(p, n) realloc(p, n)
#  define KGRL_FREE(p) free(p)
#endif

// Zero-initialize a struct in a way both C (`{0}`) and C++ (`{}`) accept under -Wextra.
#ifdef __cplusplus
#  define KGRL_ZERO {}
#else
#  define KGRL_ZERO {0}
#endif

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------------
// Dimension letters, defined once for the whole header. Shape comments such as `// (B*G, T, C)`
// on pointers use them.
//   B  batch of prompts           G  group size (completions per prompt)
//   T  tokens (sequence length)   C  channels (hidden size)
//   V  vocabulary size            L  layers
//   NH attention heads            KVH key/value heads   HS head size
//   R  LoRA rank                  F  feed-forward (intermediate) size
// ---------------------------------------------------------------------------------------------

// Tier 2 errors — things that are *data*: a malformed file, a bad flag, a candidate's failure.
// Functions that can meet them take a `kgrl_err *` (may be NULL), return false / NULL and put a
// one-line message there. The caller decides.
#define KGRL_ERR_MAX 1024
typedef struct kgrl_err { char msg[KGRL_ERR_MAX]; } kgrl_err;
KGRL_API void kgrl_err_set(kgrl_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

// Tier 1 errors — the kit's own failures (its CUDA/NVRTC/cuBLAS calls, I/O, out of memory):
// print file:line, the decoded error and a HINT where one helps, then abort().
KGRL_API void kgrl__fatal(const char *file, int line, const char *hint, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5), noreturn))
#endif
    ;
#define KGRL_FATAL(...) kgrl__fatal(__FILE__, __LINE__, NULL, __VA_ARGS__)
#define KGRL_FATAL_HINT(hint, ...) kgrl__fatal(__FILE__, __LINE__, hint, __VA_ARGS__)
#define KGRL_CHECK(cond, ...) do { if (!(cond)) kgrl__fatal(__FILE__, __LINE__, NULL, __VA_ARGS__); } while (0)

// Logging: one hook. Nothing is printed except through it; the default writes to stderr.
typedef enum kgrl_log_level { KGRL_LOG_DEBUG, KGRL_LOG_INFO, KGRL_LOG_WARN, KGRL_LOG_ERROR } kgrl_log_level;
typedef struct kgrl_logger {
    void (*func)(kgrl_log_level level, const char *msg, void *user_data); // NULL: stderr
    void *user_data;
    kgrl_log_level min_level;                                            // default KGRL_LOG_DEBUG (0)
} kgrl_logger;
KGRL_API void kgrl_log(const kgrl_logger *logger, kgrl_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

// Allocation that aborts with a message when memory runs out (the kit's own allocations).
KGRL_API void *kgrl_malloc(size_t n);
KGRL_API void *kgrl_calloc(size_t count, size_t size);
KGRL_API void *kgrl_realloc(void *p, size_t n);
KGRL_API char *kgrl_strdup(const char *s);
KGRL_API void kgrl_free(void *p);

// A growable byte buffer (always NUL-terminated after `len` bytes, so text can be used as a C string).
typedef struct kgrl_buf { char *data; size_t len, cap; } kgrl_buf;
KGRL_API void kgrl_buf_append(kgrl_buf *b, const void *data, size_t n);
KGRL_API void kgrl_buf_puts(kgrl_buf *b, const char *s);
KGRL_API void kgrl_buf_printf(kgrl_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
KGRL_API void kgrl_buf_free(kgrl_buf *b);

// Files. kgrl_read_file returns a NUL-terminated copy (free with kgrl_free) or NULL with err set.
KGRL_API char *kgrl_read_file(const char *path, size_t *len, kgrl_err *err);
KGRL_API bool kgrl_file_exists(const char *path);
KGRL_API bool kgrl_mkdirs(const char *path, kgrl_err *err); // mkdir -p

// Clocks: monotonic seconds (for durations; never a seed).
KGRL_API double kgrl_now_s(void);

// kgrl:implementation
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dlfcn.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#if defined(__GNUC__)
#  define KGRL_PRIVATE static __attribute__((unused))
#else
#  define KGRL_PRIVATE static
#endif

void kgrl_err_set(kgrl_err *err, const char *fmt, ...) {
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void kgrl__fatal(const char *file, int line, const char *hint, const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "kgrl: fatal error at %s:%d: %s\n", file, line, msg);
    if (hint) fprintf(stderr, "HINT: %s\n", hint);
    fflush(stderr);
    abort();
}

void kgrl_log(const kgrl_logger *logger, kgrl_log_level level, const char *fmt, ...) {
    if (logger && level < logger->min_level) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (logger && logger->func) { logger->func(level, msg, logger->user_data); return; }
    static const char *names[] = {"debug", "info", "warn", "error"};
    fprintf(stderr, "[kgrl %s] %s\n", names[level], msg);
}

void *kgrl_malloc(size_t n) {
    void *p = KGRL_MALLOC(n ? n : 1);
    if (!p) KGRL_FATAL_HINT("the machine is out of host memory; reduce batch or model size", "malloc(%zu) failed", n);
    return p;
}
void *kgrl_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) KGRL_FATAL("calloc(%zu, %zu) overflows", count, size);
    void *p = kgrl_malloc(count * size);
    memset(p, 0, count * size);
    return p;
}
void *kgrl_realloc(void *p, size_t n) {
    void *q = KGRL_REALLOC(p, n ? n : 1);
    if (!q) KGRL_FATAL_HINT("the machine is out of host memory", "realloc(%zu) failed", n);
    return q;
}
char *kgrl_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = (char *)kgrl_malloc(n);
    memcpy(d, s, n);
    return d;
}
void kgrl_free(void *p) { if (p) KGRL_FREE(p); }

void kgrl_buf_append(kgrl_buf *b, const void *data, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        b->data = (char *)kgrl_realloc(b->data, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
}
void kgrl_buf_puts(kgrl_buf *b, const char *s) { kgrl_buf_append(b, s, strlen(s)); }
void kgrl_buf_printf(kgrl_buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) KGRL_FATAL("vsnprintf failed on format \"%s\"", fmt);
    if ((size_t)n < sizeof small) { kgrl_buf_append(b, small, (size_t)n); return; }
    char *big = (char *)kgrl_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    kgrl_buf_append(b, big, (size_t)n);
    kgrl_free(big);
}
void kgrl_buf_free(kgrl_buf *b) { kgrl_free(b->data); b->data = NULL; b->len = b->cap = 0; }

char *kgrl_read_file(const char *path, size_t *len, kgrl_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) { kgrl_err_set(err, "%s: %s", path, strerror(errno)); return NULL; }
    kgrl_buf b = KGRL_ZERO;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) kgrl_buf_append(&b, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) { kgrl_buf_free(&b); kgrl_err_set(err, "%s: read error", path); return NULL; }
    if (!b.data) kgrl_buf_append(&b, "", 0);
    if (len) *len = b.len;
    return b.data;
}

bool kgrl_file_exists(const char *path) { struct stat st; return stat(path, &st) == 0; }

bool kgrl_mkdirs(const char *path, kgrl_err *err) {
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) { kgrl_err_set(err, "bad directory path \"%s\"", path); return false; }
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == 0) {
            char c = tmp[i];
            tmp[i] = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                kgrl_err_set(err, "mkdir %s: %s", tmp, strerror(errno));
                return false;
            }
            tmp[i] = c;
        }
    }
    return true;
}

double kgrl_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
