// I/O helpers: atomic file writes, the CSV writer (tidy long format with `#` metadata lines),
// the progress line, and flag parsing for tools and experiments.

// Write `len` bytes to `path` atomically: a temp file in the same directory, fsync, rename.
// A reader never sees a half-written file; a crash leaves the old file or the new one.
KGRL_API bool kgrl_write_file_atomic(const char *path, const void *data, size_t len, kgrl_err *err);

// CSV. Metadata lines come first ("# key: value"), then one header row, then rows. Fields are
// quoted when they hold a comma, quote, or newline (RFC 4180). The file is written to a temp path
// and renamed on close, so a killed run never leaves a truncated CSV under the final name.
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

// Progress line: on a TTY, one line rewritten in place with rate and ETA; otherwise a plain line
// every `period_s` seconds (default 10) so logs stay readable.
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
// Positional arguments (not starting with --) are collected in f.positional.
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
