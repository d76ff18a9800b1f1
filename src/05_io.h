// I/O helpers: atomic file writes, the CSV writer (tidy long format with `#` metadata lines),
// the progress line, and flag parsing for tools and experiments.

// Write `len` bytes to `path` atomically: a temp file in the same directory, fsync, rename.
// A reader never sees a half-written file; a crash leaves the old file or the new one.
KGRL_API bool kgrl_write_file_atomic(const char *path, const void *data, size_t len, kgrl_err *err);

// CSV. Metadata lines come first ("# key: value"), then one header row, then rows. Fields are
// quoted when they hold a comma, quote, or newline (RFC 4180). The file is written to a temp path
// and renamed on close, so a killed run never leaves a truncated CSV under the final name.
// Metadata values are kept on one line (newlines become spaces). Misuse is a bug in the caller and
// aborts: metadata after the header, a field before it, a row whose field count differs from the
// header's, closing mid-row. Write errors are reported by kgrl_csv_close.
typedef struct kgrl_csv kgrl_csv;
KGRL_API kgrl_csv *kgrl_csv_open(const char *path, kgrl_err *err);
KGRL_API void kgrl_csv_meta(kgrl_csv *csv, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
KGRL_API void kgrl_csv_header(kgrl_csv *csv, const char *const *columns, int n);
KGRL_API void kgrl_csv_field_str(kgrl_csv *csv, const char *s);   // next field of the current row
KGRL_API void kgrl_csv_field_num(kgrl_csv *csv, double x);        // %.9g; NaN as "nan"
KGRL_API void kgrl_csv_field_int(kgrl_csv *csv, int64_t x);
KGRL_API void kgrl_csv_end_row(kgrl_csv *csv);                    // aborts if the field count != header
KGRL_API bool kgrl_csv_close(kgrl_csv *csv, kgrl_err *err);        // flush, fsync, rename into place

// Progress line: on a TTY, one line rewritten in place with rate and ETA (at most 10 times a
// second); otherwise a plain line every `period_s` seconds (default 10) so logs stay readable:
//   "label 30/100 (30.0%) 12.5/s ETA 0:06", and at the end "label 100/100 (100.0%) 12.5/s done in 0:08".
// total <= 0 means unknown (no percent, no ETA). Zero-initialize; `out` and `period_s` set before
// kgrl_progress_begin are kept.
typedef struct kgrl_progress {
    const char *label;
    int64_t total, done;
    double t_start, t_last_print, period_s;
    bool tty;
    FILE *out;                     // default stderr
} kgrl_progress;
KGRL_API void kgrl_progress_begin(kgrl_progress *p, const char *label, int64_t total);
KGRL_API void kgrl_progress_update(kgrl_progress *p, int64_t done);
KGRL_API void kgrl_progress_end(kgrl_progress *p);

// Flags: "--name value" or "--name=value". Unknown flags and missing or malformed values are
// errors that name the flag. Typical use:
//   kgrl_flags f = kgrl_flags_init(argc, argv);
//   int seed = (int)kgrl_flag_int(&f, "--seed", 1234, "random seed");
//   bool quick = kgrl_flag_bool(&f, "--quick", "run the quick variant");
//   if (!kgrl_flags_finish(&f)) { kgrl_flags_usage(&f, stderr); exit(2); }
// Positional arguments (not starting with -, or anything after a bare "--") are collected in
// f.positional by kgrl_flags_finish. A flag given twice, "--help"/"-h" (when not declared), a
// bool with a value other than true/false/1/0/yes/no ("--quick=no"), an integer or number that
// does not parse completely (or is out of range, NaN or Inf) are errors. A value may start with
// one dash ("--lr -1e-3") but not two ("--out --quick" is a missing value).
typedef struct kgrl_flags {
    int argc; char **argv;
    bool *used;                 // argc entries
    kgrl_buf usage;             // one line per declared flag, with its default
    kgrl_err err; bool failed;
    const char *positional[256]; int npositional;
} kgrl_flags;
KGRL_API kgrl_flags kgrl_flags_init(int argc, char **argv);   // argv[0] is the program
KGRL_API const char *kgrl_flag_str(kgrl_flags *f, const char *name, const char *dflt, const char *help);
KGRL_API int64_t kgrl_flag_int(kgrl_flags *f, const char *name, int64_t dflt, const char *help);
KGRL_API double kgrl_flag_num(kgrl_flags *f, const char *name, double dflt, const char *help);
KGRL_API bool kgrl_flag_bool(kgrl_flags *f, const char *name, const char *help);  // present or not
// Checks that every argument was consumed; on failure f->err names the culprit.
KGRL_API bool kgrl_flags_finish(kgrl_flags *f);
KGRL_API void kgrl_flags_usage(const kgrl_flags *f, FILE *out);
KGRL_API void kgrl_flags_free(kgrl_flags *f);

// kgrl:implementation

// ---- atomic writes --------------------------------------------------------------------------
// A temp file next to `path` (same file system, so rename is atomic): "<path>.tmp.XXXXXX".
static FILE *kgrl__open_temp(const char *path, char **tmp_out, kgrl_err *err) {
    size_t n = strlen(path);
    char *tmp = (char *)kgrl_malloc(n + 12);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        kgrl_err_set(err, "%s: cannot create a temp file next to it: %s", path, strerror(errno));
        kgrl_free(tmp);
        return NULL;
    }
    fchmod(fd, 0644); // mkstemp makes 0600; results are meant to be shared
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        kgrl_err_set(err, "%s: fdopen: %s", tmp, strerror(errno));
        close(fd); unlink(tmp); kgrl_free(tmp);
        return NULL;
    }
    *tmp_out = tmp;
    return f;
}

// Flush, fsync and close `f`, then rename tmp over path and fsync the directory. `bad` carries an
// earlier write error. The temp file is removed on any failure.
static bool kgrl__commit_temp(FILE *f, char *tmp, const char *path, bool bad, kgrl_err *err) {
    int e = 0;
    if (bad || ferror(f)) e = errno ? errno : EIO;
    if (!e && fflush(f) != 0) e = errno;
    if (!e && fsync(fileno(f)) != 0) e = errno;
    if (fclose(f) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        kgrl_err_set(err, "%s: write failed: %s", path, strerror(e));
        unlink(tmp);
        kgrl_free(tmp);
        return false;
    }
    kgrl_free(tmp);
    // make the rename itself durable; failure here loses nothing that was promised
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    return true;
}

bool kgrl_write_file_atomic(const char *path, const void *data, size_t len, kgrl_err *err) {
    char *tmp = NULL;
    FILE *f = kgrl__open_temp(path, &tmp, err);
    if (!f) return false;
    bool bad = len && fwrite(data, 1, len, f) != len;
    return kgrl__commit_temp(f, tmp, path, bad, err);
}

// ---- CSV ------------------------------------------------------------------------------------
struct kgrl_csv {
    FILE *f;
    char *path, *tmp;
    int ncols;          // 0 until the header is written
    int nfields;        // fields in the current row
    bool bad;           // a write failed; reported by close
};

kgrl_csv *kgrl_csv_open(const char *path, kgrl_err *err) {
    char *tmp = NULL;
    FILE *f = kgrl__open_temp(path, &tmp, err);
    if (!f) return NULL;
    kgrl_csv *c = (kgrl_csv *)kgrl_calloc(1, sizeof(kgrl_csv));
    c->f = f;
    c->tmp = tmp;
    c->path = kgrl_strdup(path);
    return c;
}

// RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside.
static void kgrl__csv_put(kgrl_csv *c, const char *s) {
    if (c->nfields++ > 0 && fputc(',', c->f) == EOF) c->bad = true;
    if (!strpbrk(s, ",\"\r\n")) { if (fputs(s, c->f) == EOF && *s) c->bad = true; return; }
    if (fputc('"', c->f) == EOF) c->bad = true;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && fputc('"', c->f) == EOF) c->bad = true;
        if (fputc(*p, c->f) == EOF) c->bad = true;
    }
    if (fputc('"', c->f) == EOF) c->bad = true;
}

void kgrl_csv_meta(kgrl_csv *csv, const char *key, const char *fmt, ...) {
    KGRL_CHECK(csv->ncols == 0, "CSV %s: metadata \"%s\" after the header row (metadata lines come first)", csv->path, key);
    char val[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    for (char *p = val; *p; p++) if (*p == '\n' || *p == '\r') *p = ' '; // one line per key
    if (fprintf(csv->f, "# %s: %s\n", key, val) < 0) csv->bad = true;
}

void kgrl_csv_header(kgrl_csv *csv, const char *const *columns, int n) {
    KGRL_CHECK(csv->ncols == 0, "CSV %s: header written twice", csv->path);
    KGRL_CHECK(n > 0, "CSV %s: header needs at least one column", csv->path);
    for (int i = 0; i < n; i++) kgrl__csv_put(csv, columns[i]);
    if (fputc('\n', csv->f) == EOF) csv->bad = true;
    csv->ncols = n;
    csv->nfields = 0;
}

void kgrl_csv_field_str(kgrl_csv *csv, const char *s) {
    KGRL_CHECK(csv->ncols > 0, "CSV %s: a field before the header row", csv->path);
    kgrl__csv_put(csv, s ? s : "");
}
void kgrl_csv_field_num(kgrl_csv *csv, double x) {
    char s[32];
    if (isnan(x)) snprintf(s, sizeof s, "nan");
    else if (isinf(x)) snprintf(s, sizeof s, x > 0 ? "inf" : "-inf");
    else snprintf(s, sizeof s, "%.9g", x);
    kgrl_csv_field_str(csv, s);
}
void kgrl_csv_field_int(kgrl_csv *csv, int64_t x) {
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)x);
    kgrl_csv_field_str(csv, s);
}

void kgrl_csv_end_row(kgrl_csv *csv) {
    // a short or long row is a bug in the experiment, not data: stop before the CSV lies
    KGRL_CHECK(csv->nfields == csv->ncols, "CSV %s: row has %d fields, the header has %d columns", csv->path, csv->nfields, csv->ncols);
    if (fputc('\n', csv->f) == EOF) csv->bad = true;
    csv->nfields = 0;
}

bool kgrl_csv_close(kgrl_csv *csv, kgrl_err *err) {
    if (!csv) return false;
    KGRL_CHECK(csv->nfields == 0, "CSV %s: closed in the middle of a row (%d fields)", csv->path, csv->nfields);
    bool ok = kgrl__commit_temp(csv->f, csv->tmp, csv->path, csv->bad, err);
    kgrl_free(csv->path);
    kgrl_free(csv);
    return ok;
}

// ---- progress line --------------------------------------------------------------------------
static void kgrl__fmt_duration(double s, char *out, size_t n) {
    if (!(s >= 0) || s > 1e7) { snprintf(out, n, "?"); return; }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

// "label 30/100 (30.0%) 12.5/s ETA 0:06" (no percent/ETA when total is unknown, i.e. <= 0)
static void kgrl__progress_text(const kgrl_progress *p, double now, bool final, char *out, size_t n) {
    double el = now - p->t_start;
    double rate = el > 0 ? (double)p->done / el : 0;
    char eta[32], took[32];
    int k = snprintf(out, n, "%s %lld", p->label ? p->label : "progress", (long long)p->done);
    if (p->total > 0 && k >= 0 && (size_t)k < n)
        k += snprintf(out + k, n - (size_t)k, "/%lld (%.1f%%)", (long long)p->total, 100.0 * (double)p->done / (double)p->total);
    if (k >= 0 && (size_t)k < n) k += snprintf(out + k, n - (size_t)k, " %.3g/s", rate);
    if (final) {
        kgrl__fmt_duration(el, took, sizeof took);
        if (k >= 0 && (size_t)k < n) snprintf(out + k, n - (size_t)k, " done in %s", took);
    } else if (p->total > 0 && k >= 0 && (size_t)k < n) {
        kgrl__fmt_duration(rate > 0 ? (double)(p->total - p->done) / rate : -1, eta, sizeof eta);
        snprintf(out + k, n - (size_t)k, " ETA %s", eta);
    }
}

void kgrl_progress_begin(kgrl_progress *p, const char *label, int64_t total) {
    // out and period_s set before begin are kept (zero means the default)
    if (!p->out) p->out = stderr;
    if (p->period_s <= 0) p->period_s = 10;
    p->label = label;
    p->total = total;
    p->done = 0;
    p->t_start = p->t_last_print = kgrl_now_s();
    p->tty = isatty(fileno(p->out)) != 0;
}

void kgrl_progress_update(kgrl_progress *p, int64_t done) {
    p->done = done;
    double now = kgrl_now_s();
    // a TTY redraws at most 10 times a second; a log file gets a line every period_s
    double period = p->tty ? 0.1 : p->period_s;
    if (now - p->t_last_print < period) return;
    p->t_last_print = now;
    char line[512];
    kgrl__progress_text(p, now, false, line, sizeof line);
    if (p->tty) fprintf(p->out, "\r%s\033[K", line);
    else fprintf(p->out, "%s\n", line);
    fflush(p->out);
}

void kgrl_progress_end(kgrl_progress *p) {
    char line[512];
    kgrl__progress_text(p, kgrl_now_s(), true, line, sizeof line);
    if (p->tty) fprintf(p->out, "\r%s\033[K\n", line);
    else fprintf(p->out, "%s\n", line);
    fflush(p->out);
}

// ---- flags ----------------------------------------------------------------------------------
kgrl_flags kgrl_flags_init(int argc, char **argv) {
    kgrl_flags f;
    memset(&f, 0, sizeof f);
    f.argc = argc;
    f.argv = argv;
    f.used = (bool *)kgrl_calloc(argc > 0 ? (size_t)argc : 1, sizeof(bool));
    if (argc > 0) f.used[0] = true; // the program name
    return f;
}

static void kgrl__flags_fail(kgrl_flags *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void kgrl__flags_fail(kgrl_flags *f, const char *fmt, ...) {
    if (f->failed) return; // keep the first error
    f->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->err.msg, sizeof f->err.msg, fmt, ap);
    va_end(ap);
}

// Find `name` in argv (before a bare "--"); marks what it consumes as used. Returns the raw
// value: "=value", the next argument when takes_value, "" for a present flag without a value,
// NULL when absent or on error.
static const char *kgrl__flag_find(kgrl_flags *f, const char *name, bool takes_value) {
    size_t n = strlen(name);
    KGRL_CHECK(n > 2 && name[0] == '-' && name[1] == '-', "flag names start with --, got \"%s\"", name);
    const char *found = NULL;
    int count = 0;
    for (int i = 1; i < f->argc; i++) {
        const char *a = f->argv[i];
        if (strcmp(a, "--") == 0) break;
        if (strncmp(a, name, n) != 0 || (a[n] != 0 && a[n] != '=')) continue;
        f->used[i] = true;
        if (++count == 2) kgrl__flags_fail(f, "flag %s given more than once", name);
        if (a[n] == '=') { found = a + n + 1; continue; }
        if (!takes_value) { found = ""; continue; }
        if (i + 1 >= f->argc || strncmp(f->argv[i + 1], "--", 2) == 0) {
            kgrl__flags_fail(f, "flag %s needs a value (%s VALUE or %s=VALUE)", name, name, name);
            return NULL;
        }
        f->used[++i] = true;
        found = f->argv[i];
    }
    return f->failed && count > 1 ? NULL : found;
}

const char *kgrl_flag_str(kgrl_flags *f, const char *name, const char *dflt, const char *help) {
    kgrl_buf_printf(&f->usage, "  %s STR\t%s (default: %s)\n", name, help ? help : "", dflt ? dflt : "none");
    const char *v = kgrl__flag_find(f, name, true);
    return v ? v : dflt;
}

int64_t kgrl_flag_int(kgrl_flags *f, const char *name, int64_t dflt, const char *help) {
    kgrl_buf_printf(&f->usage, "  %s INT\t%s (default: %lld)\n", name, help ? help : "", (long long)dflt);
    const char *v = kgrl__flag_find(f, name, true);
    if (!v) return dflt;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*v == 0 || *end != 0 || errno == ERANGE) {
        kgrl__flags_fail(f, "flag %s: \"%s\" is not an integer%s", name, v, errno == ERANGE ? " in range" : "");
        return dflt;
    }
    return (int64_t)x;
}

double kgrl_flag_num(kgrl_flags *f, const char *name, double dflt, const char *help) {
    kgrl_buf_printf(&f->usage, "  %s NUM\t%s (default: %g)\n", name, help ? help : "", dflt);
    const char *v = kgrl__flag_find(f, name, true);
    if (!v) return dflt;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (*v == 0 || *end != 0 || isnan(x) || isinf(x) || errno == ERANGE) {
        kgrl__flags_fail(f, "flag %s: \"%s\" is not a finite number", name, v);
        return dflt;
    }
    return x;
}

bool kgrl_flag_bool(kgrl_flags *f, const char *name, const char *help) {
    kgrl_buf_printf(&f->usage, "  %s\t%s (default: off)\n", name, help ? help : "");
    const char *v = kgrl__flag_find(f, name, false);
    if (!v) return false;
    if (*v == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0) return true;
    if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0) return false;
    kgrl__flags_fail(f, "flag %s: \"%s\" is not a boolean (true/false/1/0/yes/no)", name, v);
    return false;
}

bool kgrl_flags_finish(kgrl_flags *f) {
    f->npositional = 0;
    bool after_dashes = false;
    for (int i = 1; i < f->argc; i++) {
        const char *a = f->argv[i];
        if (f->used[i]) continue;
        if (!after_dashes && strcmp(a, "--") == 0) { after_dashes = true; continue; }
        bool looks_like_flag = a[0] == '-' && a[1] != 0 && !(a[1] >= '0' && a[1] <= '9') && a[1] != '.';
        if (!after_dashes && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            kgrl__flags_fail(f, "usage requested (%s)", a);
        } else if (!after_dashes && looks_like_flag) {
            int n = (int)strcspn(a, "=");
            kgrl__flags_fail(f, "unknown flag %.*s", n, a);
        } else if (f->npositional < (int)(sizeof f->positional / sizeof f->positional[0])) {
            f->positional[f->npositional++] = a;
        } else {
            kgrl__flags_fail(f, "too many positional arguments (at most %d)", (int)(sizeof f->positional / sizeof f->positional[0]));
        }
    }
    return !f->failed;
}

void kgrl_flags_usage(const kgrl_flags *f, FILE *out) {
    fprintf(out, "usage: %s [flags]", f->argc > 0 ? f->argv[0] : "program");
    if (f->failed) fprintf(out, "\nerror: %s", f->err.msg);
    fprintf(out, "\nflags:\n%s", f->usage.data ? f->usage.data : "");
}

void kgrl_flags_free(kgrl_flags *f) {
    kgrl_free(f->used);
    f->used = NULL;
    kgrl_buf_free(&f->usage);
}
