// I/O helpers: atomic writes, the CSV writer (quoting, metadata, the field-count abort), the
// progress line when not a TTY, and flag parsing.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"
#include <dirent.h>
#include <signal.h>

static int count_entries(const char *dir) {
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

// Everything written to a stdio stream so far, as a string (free with kgrl_free).
static char *slurp(FILE *f) {
    fflush(f);
    rewind(f);
    kgrl_buf b = {NULL, 0, 0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) kgrl_buf_append(&b, chunk, n);
    kgrl_buf_append(&b, "", 0);
    return b.data;
}

static void test_atomic_write(void) {
    char dir[] = "/tmp/kgrl_test_io_XXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[512];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    kgrl_err err = {{0}};
    const char data[] = "hello\0world";
    KT_CHECK(kgrl_write_file_atomic(path, data, sizeof data, &err), "write: %s", err.msg);
    size_t n = 0;
    char *back = kgrl_read_file(path, &n, &err);
    KT_CHECK(back && n == sizeof data && memcmp(back, data, n) == 0, "content");
    kgrl_free(back);
    // overwrite replaces the whole file; an empty write gives an empty file
    KT_CHECK(kgrl_write_file_atomic(path, "x", 1, &err), "overwrite: %s", err.msg);
    back = kgrl_read_file(path, &n, &err);
    KT_CHECK(back && n == 1 && back[0] == 'x', "overwritten content");
    kgrl_free(back);
    KT_CHECK(kgrl_write_file_atomic(path, NULL, 0, &err) && (back = kgrl_read_file(path, &n, &err)) && n == 0, "empty write");
    kgrl_free(back);
    struct stat st;
    KT_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0644, got %o", (unsigned)(st.st_mode & 0777));
    KT_CHECK(count_entries(dir) == 1, "temp files left behind: %d entries", count_entries(dir));
    // a directory that does not exist: an error naming the path
    snprintf(path, sizeof path, "%s/no/such/dir/f", dir);
    KT_CHECK(!kgrl_write_file_atomic(path, "x", 1, &err) && strstr(err.msg, path) && strstr(err.msg, "No such file"), "bad dir: %s", err.msg);
    rm_dir(dir);
}

static void test_csv(void) {
    char dir[] = "/tmp/kgrl_test_io_XXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[512];
    snprintf(path, sizeof path, "%s/r.csv", dir);
    kgrl_err err = {{0}};
    kgrl_csv *c = kgrl_csv_open(path, &err);
    KT_CHECK(c != NULL, "open: %s", err.msg);
    if (!c) return;
    kgrl_csv_meta(c, "kit", "kgrl %s", KGRL_VERSION_STRING);
    kgrl_csv_meta(c, "desc", "two\nlines");
    const char *cols[] = {"task", "note", "x", "n"};
    kgrl_csv_header(c, cols, 4);
    kgrl_csv_field_str(c, "L1/19"); kgrl_csv_field_str(c, "plain"); kgrl_csv_field_num(c, 1.0 / 3.0); kgrl_csv_field_int(c, -42);
    kgrl_csv_end_row(c);
    kgrl_csv_field_str(c, "a,b"); kgrl_csv_field_str(c, "say \"hi\""); kgrl_csv_field_num(c, NAN); kgrl_csv_field_int(c, 9007199254740993LL);
    kgrl_csv_end_row(c);
    kgrl_csv_field_str(c, "line\nbreak"); kgrl_csv_field_str(c, "cr\r"); kgrl_csv_field_num(c, -INFINITY); kgrl_csv_field_str(c, "");
    kgrl_csv_end_row(c);
    kgrl_csv_field_str(c, NULL); kgrl_csv_field_num(c, 1e-300); kgrl_csv_field_num(c, 123456789.0); kgrl_csv_field_num(c, INFINITY);
    kgrl_csv_end_row(c);
    // nothing under the final name until close
    KT_CHECK(!kgrl_file_exists(path), "the CSV appeared before close");
    KT_CHECK(kgrl_csv_close(c, &err), "close: %s", err.msg);
    size_t n;
    char *text = kgrl_read_file(path, &n, &err);
    const char *want =
        "# kit: kgrl " KGRL_VERSION_STRING "\n"
        "# desc: two lines\n"
        "task,note,x,n\n"
        "L1/19,plain,0.333333333,-42\n"
        "\"a,b\",\"say \"\"hi\"\"\",nan,9007199254740993\n"
        "\"line\nbreak\",\"cr\r\",-inf,\n"
        ",1e-300,123456789,inf\n";
    KT_CHECK(text && strcmp(text, want) == 0, "CSV text:\n%s\nwant:\n%s", text ? text : "(null)", want);
    kgrl_free(text);
    KT_CHECK(count_entries(dir) == 1, "temp files left behind");
    // open in a missing directory
    snprintf(path, sizeof path, "%s/missing/r.csv", dir);
    KT_CHECK(kgrl_csv_open(path, &err) == NULL && strstr(err.msg, "missing/r.csv"), "bad dir: %s", err.msg);
    rm_dir(dir);
}

// Run fn in a child whose stderr goes to a file; the child must die of SIGABRT with `msg` on stderr.
static void expect_abort(void (*fn)(const char *dir), const char *msg) {
    char dir[] = "/tmp/kgrl_test_io_XXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char log[512];
    snprintf(log, sizeof log, "%s/stderr.txt", dir);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        fn(dir);
        _exit(0); // not reached when fn aborts
    }
    int status = 0;
    KT_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid, "fork/wait");
    KT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "child did not abort (status 0x%x)", status);
    size_t n;
    char *text = kgrl_read_file(log, &n, NULL);
    KT_CHECK(text && strstr(text, msg), "child's message \"%s\" lacks \"%s\"", text ? text : "", msg);
    kgrl_free(text);
    rm_dir(dir);
}

static void short_row(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/r.csv", dir);
    kgrl_csv *c = kgrl_csv_open(path, NULL);
    const char *cols[] = {"a", "b"};
    kgrl_csv_header(c, cols, 2);
    kgrl_csv_field_int(c, 1);
    kgrl_csv_end_row(c);
}
static void long_row(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/r.csv", dir);
    kgrl_csv *c = kgrl_csv_open(path, NULL);
    const char *cols[] = {"a"};
    kgrl_csv_header(c, cols, 1);
    kgrl_csv_field_int(c, 1);
    kgrl_csv_field_int(c, 2);
    kgrl_csv_end_row(c);
}
static void meta_after_header(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/r.csv", dir);
    kgrl_csv *c = kgrl_csv_open(path, NULL);
    const char *cols[] = {"a"};
    kgrl_csv_header(c, cols, 1);
    kgrl_csv_meta(c, "late", "1");
}

static void test_csv_field_count_aborts(void) {
    expect_abort(short_row, "row has 1 fields, the header has 2 columns");
    expect_abort(long_row, "row has 2 fields, the header has 1 columns");
    expect_abort(meta_after_header, "metadata \"late\" after the header row");
}

static void test_progress_not_tty(void) {
    FILE *f = tmpfile();
    KT_CHECK(f != NULL, "tmpfile");
    if (!f) return;
    // period tiny: every update prints a plain line
    kgrl_progress p;
    memset(&p, 0, sizeof p);
    p.out = f;
    p.period_s = 1e-9;
    kgrl_progress_begin(&p, "train", 10);
    KT_CHECK(!p.tty, "a tmpfile is not a TTY");
    kgrl_progress_update(&p, 5);
    kgrl_progress_update(&p, 10);
    kgrl_progress_end(&p);
    char *text = slurp(f);
    KT_CHECK(!strchr(text, '\r') && !strchr(text, '\033'), "no TTY control characters in a log: %s", text);
    int lines = 0;
    for (char *s = text; *s; s++) lines += *s == '\n';
    KT_CHECK(lines == 3, "3 lines, got %d: %s", lines, text);
    char *l1 = text, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    KT_CHECK(strncmp(l1, "train 5/10 (50.0%) ", 19) == 0 && strstr(l1, "/s ETA ") < strchr(l1, '\n'), "line 1: %s", l1);
    KT_CHECK(strncmp(l2, "train 10/10 (100.0%) ", 21) == 0 && strstr(l2, "ETA 0:00\n") == strchr(l2, '\n') - 8, "line 2: %s", l2);
    KT_CHECK(strncmp(l3, "train 10/10 (100.0%) ", 21) == 0 && strstr(l3, "/s done in 0:00\n") != NULL, "final line: %s", l3);
    kgrl_free(text);
    fclose(f);

    // default period (10 s): a fast loop prints only the final line; unknown total has no percent
    f = tmpfile();
    memset(&p, 0, sizeof p);
    p.out = f;
    kgrl_progress_begin(&p, "scan", 0);
    KT_CHECK(p.period_s == 10, "default period %g", p.period_s);
    for (int i = 1; i <= 1000; i++) kgrl_progress_update(&p, i);
    kgrl_progress_end(&p);
    text = slurp(f);
    KT_CHECK(strncmp(text, "scan 1000 ", 10) == 0 && strstr(text, "done in 0:00\n") && !strchr(text, '%') && strchr(text, '\n') == text + strlen(text) - 1,
             "one final line: %s", text);
    kgrl_free(text);
    fclose(f);
}

static void test_flags(void) {
    char *argv[] = {(char *)"prog", (char *)"--seed", (char *)"7", (char *)"--lr=0.5", (char *)"--quick", (char *)"in.txt",
                    (char *)"--model", (char *)"m", (char *)"--neg=-3", (char *)"-5", (char *)"--", (char *)"--notaflag"};
    kgrl_flags f = kgrl_flags_init(12, argv);
    KT_CHECK(kgrl_flag_int(&f, "--seed", 1234, "random seed") == 7, "--seed 7");
    KT_CHECK(kgrl_flag_num(&f, "--lr", 1e-4, "learning rate") == 0.5, "--lr=0.5");
    KT_CHECK(kgrl_flag_bool(&f, "--quick", "quick variant"), "--quick");
    KT_CHECK(!kgrl_flag_bool(&f, "--slow", "slow variant"), "--slow absent");
    KT_CHECK(strcmp(kgrl_flag_str(&f, "--model", "tiny", "model dir"), "m") == 0, "--model m");
    KT_CHECK(strcmp(kgrl_flag_str(&f, "--out", "results/x.csv", "output"), "results/x.csv") == 0, "--out default");
    KT_CHECK(kgrl_flag_int(&f, "--neg", 0, "negative") == -3, "--neg=-3");
    KT_CHECK(kgrl_flag_int(&f, "--notaflag", 9, "after --") == 9, "flags after -- are positional");
    KT_CHECK(kgrl_flags_finish(&f), "finish: %s", f.err.msg);
    KT_CHECK(f.npositional == 3 && strcmp(f.positional[0], "in.txt") == 0 && strcmp(f.positional[1], "-5") == 0 &&
             strcmp(f.positional[2], "--notaflag") == 0, "positional (%d)", f.npositional);
    // usage lists every flag with its default and help
    FILE *u = tmpfile();
    kgrl_flags_usage(&f, u);
    char *text = slurp(u);
    const char *need[] = {"usage: prog", "--seed INT", "random seed (default: 1234)", "--lr NUM", "learning rate (default: 0.0001)",
                          "--quick", "quick variant (default: off)", "--model STR", "model dir (default: tiny)", "--out STR",
                          "output (default: results/x.csv)", "--slow", "--neg INT"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) KT_CHECK(strstr(text, need[i]), "usage lacks \"%s\":\n%s", need[i], text);
    kgrl_free(text);
    fclose(u);
    kgrl_flags_free(&f);

    struct { int argc; const char *argv[4]; const char *msg; } bad[] = {
        {2, {"prog", "--bogus=1"}, "unknown flag --bogus"},
        {2, {"prog", "-x"}, "unknown flag -x"},
        {2, {"prog", "--seed"}, "flag --seed needs a value"},
        {3, {"prog", "--seed", "--quick"}, "flag --seed needs a value"},
        {3, {"prog", "--seed", "12x"}, "flag --seed: \"12x\" is not an integer"},
        {2, {"prog", "--seed="}, "flag --seed: \"\" is not an integer"},
        {3, {"prog", "--seed", "99999999999999999999"}, "flag --seed: \"99999999999999999999\" is not an integer in range"},
        {3, {"prog", "--lr", "abc"}, "flag --lr: \"abc\" is not a finite number"},
        {2, {"prog", "--lr=nan"}, "flag --lr: \"nan\" is not a finite number"},
        {2, {"prog", "--quick=maybe"}, "flag --quick: \"maybe\" is not a boolean"},
        {4, {"prog", "--seed", "1", "--seed=2"}, "flag --seed given more than once"},
        {2, {"prog", "--help"}, "usage requested (--help)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kgrl_flags g = kgrl_flags_init(bad[i].argc, (char **)bad[i].argv);
        kgrl_flag_int(&g, "--seed", 1, "seed");
        kgrl_flag_num(&g, "--lr", 0.1, "lr");
        kgrl_flag_bool(&g, "--quick", "quick");
        KT_CHECK(!kgrl_flags_finish(&g), "case %zu accepted", i);
        KT_CHECK(strstr(g.err.msg, bad[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, g.err.msg, bad[i].msg);
        kgrl_flags_free(&g);
    }
    // bool with an explicit value
    const char *av[] = {"prog", "--quick=false", "--slow=1"};
    kgrl_flags g = kgrl_flags_init(3, (char **)av);
    KT_CHECK(!kgrl_flag_bool(&g, "--quick", "q") && kgrl_flag_bool(&g, "--slow", "s") && kgrl_flags_finish(&g), "bool values: %s", g.err.msg);
    kgrl_flags_free(&g);
}

int main(void) {
    KT_RUN(test_atomic_write);
    KT_RUN(test_csv);
    KT_RUN(test_csv_field_count_aborts);
    KT_RUN(test_progress_not_tty);
    KT_RUN(test_flags);
    return kt_finish();
}
