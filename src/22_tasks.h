// Tasks: the KernelBench-mirroring task suite (data/level1, data/level2; format in
// data/TASK_FORMAT.md). Loading, size expressions, input generation (CPU and GPU, identical values
// from the counter-based RNG), the variants the verifier tests, prompts, splits, sampling.

typedef enum kgrl_param_kind { KGRL_PARAM_INPUT, KGRL_PARAM_OUTPUT, KGRL_PARAM_SIZE, KGRL_PARAM_SCALAR } kgrl_param_kind;
typedef enum kgrl_elem { KGRL_ELEM_F32, KGRL_ELEM_I64, KGRL_ELEM_I32 } kgrl_elem;

#define KGRL_TASK_MAX_PARAMS 32
typedef struct kgrl_task_param {
    char name[64];
    kgrl_param_kind kind;
    kgrl_elem elem;                 // INPUT/OUTPUT element type; SCALAR: F32 = float, I32 = int, I64 = long
    char ctype[32];                 // C type as in the signature: "const float*", "float*", "int", "float", ...
    int ndim; char shape[KGRL_MAX_DIMS][128];  // INPUT/OUTPUT: dimension expressions over size names
    char dist[128];                 // INPUT: distribution (TASK_FORMAT.md)
    char post[4][32]; int npost;    // INPUT: transforms after drawing
    bool fixed_dist;
    int64_t value, smoke, min, multiple_of;  // SIZE
    bool free;                      // SIZE
    double scalar;                  // SCALAR value
} kgrl_task_param;

typedef struct kgrl_task {
    char id[16];                    // "L1/19"
    int level, number;
    char name[128];
    char dir[512];                  // data/level1/019_ReLU
    char *description;
    char *signature;                // "void forward(const float* x, float* out, int batch_size, int dim)"
    int nparams; kgrl_task_param params[KGRL_TASK_MAX_PARAMS];
    double atol, rtol;
    char min_bytes[1024], flops[1024]; // expressions over size names
    char *excluded;                 // NULL or the reason
    bool alt_scale2;                // "alt_dist": "scale2": variant 2 scales inputs x2 instead of making them signed
    char *reference_src;            // reference.cu contents
    char *cpu_reference_src;        // cpu_reference.c contents, NULL where the task has none
    int nsolutions; char solution_files[8][128]; char solution_kinds[8][32];
    int nwrong; char wrong_files[16][128]; char wrong_expect[16][32];
} kgrl_task;

// Load one task directory, or all tasks under a root (data/): sorted by level, number.
KGRL_API bool kgrl_task_load(const char *dir, kgrl_task *out, kgrl_err *err);
// The directory of task `id` ("L1/19") under `root`: <root>/level<L>/<NNN>_<Name>, found without
// loading the suite. False when there is none.
KGRL_API bool kgrl_task_dir_of(const char *root, const char *id, char *out, size_t cap);
// PyTorch eager's time (ms) for task `id` on this GPU model, from <root>/baselines/<gpu>.csv, where
// gpu is the device name without "NVIDIA " and with spaces as '_' ("H200", "H100_80GB_HBM3"); the
// file is written by the eager oracles and exp05 (tests/oracles/tasks_*.py). NaN when there is no
// file, no row, or no time in it.
KGRL_API double kgrl_task_eager_ms(const char *root, const char *device_name, const char *id);
KGRL_API void kgrl_task_free(kgrl_task *t);
// Writes t as a task directory that kgrl_task_load reads back to the same task: dir/task.json,
// dir/reference.cu (t->reference_src, which must be set) and dir/cpu_reference.c (where t has one).
// Not written: the solution and wrong-candidate lists (they name files beside the original task)
// and a tolerance's reason, which the loader does not keep (a tolerance looser than 1e-4 gets a
// reason saying so). Made for tasks built in memory (the synthetic porting tasks of 30_trainer.h).
KGRL_API bool kgrl_task_save(const kgrl_task *t, const char *dir, kgrl_err *err);
typedef struct kgrl_task_set { int n; kgrl_task *tasks; } kgrl_task_set;
KGRL_API bool kgrl_tasks_load_all(const char *root, kgrl_task_set *out, kgrl_err *err);
KGRL_API void kgrl_tasks_free(kgrl_task_set *s);
KGRL_API const kgrl_task *kgrl_tasks_find(const kgrl_task_set *s, const char *id); // "L1/19" or "L1/019"

// Sizes: a concrete assignment of every SIZE param (indexed like params; non-size entries unused).
typedef struct kgrl_sizes { int64_t v[KGRL_TASK_MAX_PARAMS]; } kgrl_sizes;
KGRL_API kgrl_sizes kgrl_task_main_sizes(const kgrl_task *t);
KGRL_API kgrl_sizes kgrl_task_smoke_sizes(const kgrl_task *t);
// Evaluate a size expression ("(H+2*pad-K)/stride+1") under sizes; false + err on a bad expression.
KGRL_API bool kgrl_task_eval_expr(const kgrl_task *t, const kgrl_sizes *s, const char *expr, int64_t *out, kgrl_err *err);
KGRL_API int64_t kgrl_task_numel(const kgrl_task *t, const kgrl_sizes *s, int param);   // INPUT/OUTPUT elements
KGRL_API double kgrl_task_min_bytes(const kgrl_task *t, const kgrl_sizes *s);
KGRL_API double kgrl_task_flops(const kgrl_task *t, const kgrl_sizes *s);

// Variants (DESIGN §3.3), derived from the run's seed (each variant's input seed mixes the run seed,
// the task id and the variant index with kgrl_stream_mix): 0 main sizes; 1 main sizes, another
// seed; 2 main sizes, other distribution unless the param is fixed_dist (rand/uniform(a,b) ->
// uniform(-2w, 2w) with w = max|a|,|b|; randn, bound, const -> x2; randint unchanged; with the task's
// "alt_dist": "scale2", every distribution x2 instead, rand -> uniform(0, 2)); 3 odd sizes:
// every free size moves up by a few (v+7, v+13, ... for v >= 64; v+1, v+3, ... below), staying a
// multiple of multiple_of, off multiples of 32, and larger than main (hard-coded shapes fail); 4 smoke
// sizes. Indices 5..7 (when asked for) are main sizes with further seeds. nvariants <= 0 means 5.
typedef struct kgrl_variant {
    int index; char name[32];
    kgrl_sizes sizes;
    uint64_t seed;                  // input seed for this variant
    bool alt_dist;                  // variant 2
} kgrl_variant;
#define KGRL_MAX_VARIANTS 8
KGRL_API int kgrl_task_variants(const kgrl_task *t, uint64_t run_seed, int nvariants, kgrl_variant *out);

// Input generation: input param `p` of the task under variant v. The value of element i depends
// only on (v->seed, p, i) (Philox key = v->seed, stream = kgrl_stream_mix(id("task input"), p),
// index = i; posts triu/tril/symmetric read the last two dims), so the CPU fill and the GPU fill
// (kernels/fill.cu) agree bit for bit; the "softmax" post sums in another order on the GPU and
// agrees to 1 ulp. The GPU fill runs on ctx->stream and does not synchronize.
KGRL_API void kgrl_task_fill_input_cpu(const kgrl_task *t, const kgrl_variant *v, int p, void *dst);
KGRL_API void kgrl_task_fill_input_gpu(kgrl_ctx *ctx, const kgrl_task *t, const kgrl_variant *v, int p, void *dst_device);

// CPU references (data/levelL/NNN_Name/cpu_reference.c) all have this signature, named
// cpu_ref_L<level>_<NNN> (e.g. cpu_ref_L1_019). Tensors and values are indexed by param index.
typedef struct kgrl_task_io {
    const kgrl_task *task;
    const kgrl_sizes *sizes;
    void *ptr[KGRL_TASK_MAX_PARAMS];     // INPUT (read only) and OUTPUT tensors, host memory
    int64_t ival[KGRL_TASK_MAX_PARAMS];  // SIZE values (and integer SCALARs)
    double dval[KGRL_TASK_MAX_PARAMS];   // SCALAR values
} kgrl_task_io;
typedef void (*kgrl_cpu_ref_fn)(const kgrl_task_io *io);

// Prompts (seeds 000/001 show the reference code; seed 002 a natural-language description; the C
// style adds to the description the task's CPU reference as a plain C function, see kgrl_task_c_spec:
// the kit's stand-in for the PyTorch code a KernelBench prompt shows, where the task has one).
typedef enum kgrl_prompt_style { KGRL_PROMPT_REFERENCE, KGRL_PROMPT_DESCRIPTION, KGRL_PROMPT_C } kgrl_prompt_style;
KGRL_API char *kgrl_task_prompt(const kgrl_task *t, kgrl_prompt_style style); // kgrl_free it

// The task's CPU reference (cpu_reference.c) as a self-contained C function with the task's
// signature, "void reference(const float* x, float* out, int n) {...}": io->ptr[i], io->ival[i],
// io->dval[i] are spelled as parameter i's name (sizes as (long)name, as the reference reads them in
// 64 bits) and declarations that only rename a parameter are dropped. NULL, with the reason in err,
// where the reference is not one function or calls the kit (the convolutions' kgrl_calloc).
KGRL_API char *kgrl_task_c_spec(const kgrl_task *t, kgrl_err *err);
// A naive CUDA port of that function, a candidate in the kit's format: one thread per iteration of
// the outer perfectly nested loops of its loop nest (port_kernel), the body copied as it is, sizes
// as long. The slow-but-correct starting point a person would write first; `kgrl tasks --port` prints it.
// NULL, with the reason in err, where the reference is not "declarations, then one loop nest whose
// outer loops are for (long v = 0; v < bound; v++)" or the launcher does not pass the format stage.
// Correctness is the verifier's business: a port joins a task's solutions only once verified.
KGRL_API char *kgrl_task_port(const kgrl_task *t, kgrl_err *err);


// ---- splits and sampling (seeds 001 and 002) --------------------------------------------------
// Named splits, as indices into a loaded kgrl_task_set (excluded tasks never enter a train split):
//   "all", "level1", "level2"        every non-excluded task (of that level)
//   "seed001_train", "seed001_test"  seed 001's random 80:20 split of level 1 (80 train, 20 test,
//                                    scaled to however many level-1 tasks exist), a permutation drawn
//                                    from `seed` (Philox, stream "split seed001")
//   "seed002_rl"                     seed 002's two RL tasks: "fused GEMM + bias + ReLU" = L2/76
//                                    Gemm_Add_ReLU and "fused Conv2d + BatchNorm + ReLU", for which
//                                    KernelBench has no exact problem; the nearest is L2/52
//                                    Conv2d_Activation_BatchNorm
//   "seed002_test"                   seed 002's held-out "tasks 100-119": counting KernelBench's
//                                    problems from 0 over level 1 (100) then level 2, L2/1..L2/20
//   "seed002_train"                  the other non-excluded tasks (seed 002 trained on KernelBook,
//                                    not KernelBench; this is the kit's stand-in)
// Writes at most `cap` indices into idx (sorted by level, number; seed001 sets in permutation
// order) and returns how many there are, or -1 with err set for an unknown name.
KGRL_API int kgrl_tasks_split(const kgrl_task_set *s, const char *name, uint64_t seed, int *idx, int cap, kgrl_err *err);

// A task sampler a curriculum can steer: one weight per task of a set (default 1; excluded tasks
// 0), changed by the caller at any time; draws are Philox-driven from `seed` (stream "task
// sampler"), so a run's sequence of tasks is reproducible.
typedef struct kgrl_task_sampler {
    int n;                          // tasks in the set
    double *weight;                 // (n) caller-owned semantics: set with kgrl_task_sampler_set
    kgrl_rng rng;
} kgrl_task_sampler;
KGRL_API void kgrl_task_sampler_init(kgrl_task_sampler *ts, const kgrl_task_set *s, uint64_t seed);
KGRL_API void kgrl_task_sampler_set(kgrl_task_sampler *ts, int task_index, double weight); // weight >= 0
KGRL_API int kgrl_task_sampler_next(kgrl_task_sampler *ts);  // a task index, or -1 if every weight is 0
KGRL_API void kgrl_task_sampler_free(kgrl_task_sampler *ts);

// kgrl:implementation

static bool kgrl__is_ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// ---- size expressions ----------------------------------------------------------------------
// Recursive descent over integers: expr = term {(+|-) term}; term = unary {(*|/|%) unary};
// unary = -unary | +unary | primary; primary = integer | name | ( expr ). C semantics for / and %.
typedef struct kgrl__expr {
    const kgrl_task *t; const kgrl_sizes *s;
    const char *src, *p;
    kgrl_err *err; bool failed;
} kgrl__expr;

static void kgrl__expr_fail(kgrl__expr *e, const char *what) {
    if (!e->failed) kgrl_err_set(e->err, "size expression \"%s\" at column %d: %s", e->src, (int)(e->p - e->src) + 1, what);
    e->failed = true;
}
static void kgrl__expr_ws(kgrl__expr *e) { while (*e->p == ' ' || *e->p == '\t') e->p++; }

// The value of a size (or integer scalar) named name[0..n), or false.
static bool kgrl__task_lookup(const kgrl_task *t, const kgrl_sizes *s, const char *name, size_t n, int64_t *out) {
    for (int i = 0; i < t->nparams; i++) {
        const kgrl_task_param *q = &t->params[i];
        if (strlen(q->name) != n || strncmp(q->name, name, n) != 0) continue;
        if (q->kind == KGRL_PARAM_SIZE) { *out = s ? s->v[i] : q->value; return true; }
        if (q->kind == KGRL_PARAM_SCALAR && q->scalar == floor(q->scalar)) { *out = (int64_t)q->scalar; return true; }
    }
    return false;
}

static int64_t kgrl__expr_sum(kgrl__expr *e);
static int64_t kgrl__expr_primary(kgrl__expr *e) {
    kgrl__expr_ws(e);
    const char *c = e->p;
    if (*c == '(') {
        e->p++;
        int64_t v = kgrl__expr_sum(e);
        kgrl__expr_ws(e);
        if (*e->p != ')') { kgrl__expr_fail(e, "expected ')'"); return 0; }
        e->p++;
        return v;
    }
    if (*c >= '0' && *c <= '9') {
        int64_t v = 0;
        while (*e->p >= '0' && *e->p <= '9') {
            int digit = *e->p - '0';
            if (v > (INT64_MAX - digit) / 10) { kgrl__expr_fail(e, "integer too large"); return 0; }
            v = v * 10 + digit;
            e->p++;
        }
        return v;
    }
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_') {
        while ((*e->p >= 'a' && *e->p <= 'z') || (*e->p >= 'A' && *e->p <= 'Z') || *e->p == '_' || (*e->p >= '0' && *e->p <= '9')) e->p++;
        int64_t v;
        if (!kgrl__task_lookup(e->t, e->s, c, (size_t)(e->p - c), &v)) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown name \"%.*s\" (not a size parameter of the task)", (int)(e->p - c), c);
            e->p = c;
            kgrl__expr_fail(e, msg);
            return 0;
        }
        return v;
    }
    kgrl__expr_fail(e, *c ? "expected a number, a name or '('" : "unexpected end");
    return 0;
}
static int64_t kgrl__expr_unary(kgrl__expr *e) {
    kgrl__expr_ws(e);
    if (*e->p == '-') { e->p++; return -kgrl__expr_unary(e); }
    if (*e->p == '+') { e->p++; return kgrl__expr_unary(e); }
    return kgrl__expr_primary(e);
}
static int64_t kgrl__expr_term(kgrl__expr *e) {
    int64_t v = kgrl__expr_unary(e);
    for (;;) {
        kgrl__expr_ws(e);
        char op = *e->p;
        if (op != '*' && op != '/' && op != '%') return v;
        e->p++;
        int64_t r = kgrl__expr_unary(e);
        if (e->failed) return 0;
        if (op == '*') {
            int64_t out;
            if (__builtin_mul_overflow(v, r, &out)) { kgrl__expr_fail(e, "overflow in '*'"); return 0; }
            v = out;
        } else {
            if (r == 0) { kgrl__expr_fail(e, op == '/' ? "division by zero" : "modulo by zero"); return 0; }
            v = op == '/' ? v / r : v % r;
        }
    }
}
static int64_t kgrl__expr_sum(kgrl__expr *e) {
    int64_t v = kgrl__expr_term(e);
    for (;;) {
        kgrl__expr_ws(e);
        char op = *e->p;
        if (op != '+' && op != '-') return v;
        e->p++;
        int64_t r = kgrl__expr_term(e), out;
        if (e->failed) return 0;
        if (op == '+' ? __builtin_add_overflow(v, r, &out) : __builtin_sub_overflow(v, r, &out)) {
            kgrl__expr_fail(e, "overflow"); return 0;
        }
        v = out;
    }
}

bool kgrl_task_eval_expr(const kgrl_task *t, const kgrl_sizes *s, const char *expr, int64_t *out, kgrl_err *err) {
    kgrl__expr e;
    e.t = t; e.s = s; e.src = expr; e.p = expr; e.err = err; e.failed = false;
    int64_t v = kgrl__expr_sum(&e);
    kgrl__expr_ws(&e);
    if (!e.failed && *e.p) kgrl__expr_fail(&e, "unexpected character");
    if (e.failed) return false;
    *out = v;
    return true;
}

kgrl_sizes kgrl_task_main_sizes(const kgrl_task *t) {
    kgrl_sizes s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < t->nparams; i++) if (t->params[i].kind == KGRL_PARAM_SIZE) s.v[i] = t->params[i].value;
    return s;
}
kgrl_sizes kgrl_task_smoke_sizes(const kgrl_task *t) {
    kgrl_sizes s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < t->nparams; i++) if (t->params[i].kind == KGRL_PARAM_SIZE) s.v[i] = t->params[i].smoke;
    return s;
}

int64_t kgrl_task_numel(const kgrl_task *t, const kgrl_sizes *s, int param) {
    const kgrl_task_param *q = &t->params[param];
    if (q->kind != KGRL_PARAM_INPUT && q->kind != KGRL_PARAM_OUTPUT) return 0;
    int64_t n = 1;
    for (int d = 0; d < q->ndim; d++) {
        int64_t v;
        kgrl_err err;
        if (!kgrl_task_eval_expr(t, s, q->shape[d], &v, &err))
            KGRL_FATAL("task %s, param %s: %s", t->id, q->name, err.msg); // the loader checked these at main sizes
        if (v < 0) v = 0;
        n *= v;
    }
    return n;
}

static double kgrl__task_cost(const kgrl_task *t, const kgrl_sizes *s, const char *expr) {
    int64_t v;
    kgrl_err err;
    if (!expr[0]) return 0.0;
    if (!kgrl_task_eval_expr(t, s, expr, &v, &err)) KGRL_FATAL("task %s: %s", t->id, err.msg);
    return (double)v;
}
double kgrl_task_min_bytes(const kgrl_task *t, const kgrl_sizes *s) { return kgrl__task_cost(t, s, t->min_bytes); }
double kgrl_task_flops(const kgrl_task *t, const kgrl_sizes *s) { return kgrl__task_cost(t, s, t->flops); }

// ---- loading -------------------------------------------------------------------------------
static size_t kgrl__elem_size(kgrl_elem e) { return e == KGRL_ELEM_F32 || e == KGRL_ELEM_I32 ? 4 : 8; }

// Split "void forward(T1 a, T2 b, ...)" into normalized types ("const float*") and names.
// Returns the count, or -1 with err set.
static int kgrl__parse_signature(const char *sig, char types[][32], char names[][64], int cap, kgrl_err *err, const char *where) {
    const char *p = sig;
    while (*p == ' ') p++;
    if (strncmp(p, "void", 4) != 0) { kgrl_err_set(err, "%s: signature must start with \"void forward(\"", where); return -1; }
    p += 4;
    while (*p == ' ') p++;
    if (strncmp(p, "forward", 7) != 0) { kgrl_err_set(err, "%s: signature must start with \"void forward(\"", where); return -1; }
    p += 7;
    while (*p == ' ') p++;
    if (*p != '(') { kgrl_err_set(err, "%s: signature: expected '(' after forward", where); return -1; }
    p++;
    const char *close = strrchr(p, ')');
    if (!close) { kgrl_err_set(err, "%s: signature: missing ')'", where); return -1; }
    int n = 0;
    while (p < close) {
        const char *end = p;
        while (end < close && *end != ',') end++;
        // one parameter: p..end; the name is the last identifier, the type everything before it
        const char *ne = end;
        while (ne > p && ne[-1] == ' ') ne--;
        const char *nb = ne;
        while (nb > p && kgrl__is_ident_char(nb[-1])) nb--;
        if (nb == ne) { kgrl_err_set(err, "%s: signature: parameter %d has no name", where, n + 1); return -1; }
        if (n >= cap) { kgrl_err_set(err, "%s: signature: more than %d parameters", where, cap); return -1; }
        if ((size_t)(ne - nb) >= 64) { kgrl_err_set(err, "%s: signature: parameter name too long", where); return -1; }
        memcpy(names[n], nb, (size_t)(ne - nb));
        names[n][ne - nb] = 0;
        // normalize the type: single spaces between words, no space before '*'
        char tb[64];
        size_t k = 0;
        bool space = false;
        for (const char *c = p; c < nb; c++) {
            if (*c == ' ' || *c == '\t' || *c == '\n') { space = k > 0; continue; }
            if (space && *c != '*' && k + 1 < sizeof tb) tb[k++] = ' ';
            space = false;
            if (k + 1 < sizeof tb) tb[k++] = *c;
        }
        tb[k] = 0;
        if (k == 0 || k >= 32) { kgrl_err_set(err, "%s: signature: parameter \"%s\" has a bad type", where, names[n]); return -1; }
        memcpy(types[n], tb, k + 1);
        n++;
        p = end < close ? end + 1 : close;
    }
    return n;
}

static bool kgrl__parse_elem(const char *dtype, kgrl_elem *out) {
    if (!strcmp(dtype, "f32")) *out = KGRL_ELEM_F32;
    else if (!strcmp(dtype, "i64")) *out = KGRL_ELEM_I64;
    else if (!strcmp(dtype, "i32")) *out = KGRL_ELEM_I32;
    else return false;
    return true;
}
static const char *kgrl__elem_ctype(kgrl_elem e, bool is_const) {
    if (e == KGRL_ELEM_F32) return is_const ? "const float*" : "float*";
    if (e == KGRL_ELEM_I64) return is_const ? "const long long*" : "long long*";
    return is_const ? "const int*" : "int*";
}

// A dist string, parsed: kind 0 uniform(a,b), 1 normal*a, 2 randint[a,b), 3 const a. bound(expr)
// needs sizes (its fan-in), so it is resolved against them.
typedef struct kgrl__dist { int kind; double a, b; } kgrl__dist;
static bool kgrl__parse_dist(const kgrl_task *t, const kgrl_sizes *s, const char *d, kgrl__dist *out, kgrl_err *err) {
    double a = 0, b = 0;
    int n = 0;
    if (!strcmp(d, "rand")) { out->kind = 0; out->a = 0; out->b = 1; return true; }
    if (!strcmp(d, "randn")) { out->kind = 1; out->a = 1; out->b = 0; return true; }
    if (sscanf(d, "uniform(%lf ,%lf)%n", &a, &b, &n) == 2 && d[n] == 0 && a < b) { out->kind = 0; out->a = a; out->b = b; return true; }
    if (sscanf(d, "randint(%lf ,%lf)%n", &a, &b, &n) == 2 && d[n] == 0 && a < b && a == floor(a) && b == floor(b)) {
        out->kind = 2; out->a = a; out->b = b; return true;
    }
    if (sscanf(d, "const(%lf)%n", &a, &n) == 1 && d[n] == 0) { out->kind = 3; out->a = a; out->b = 0; return true; }
    size_t len = strlen(d);
    if (!strncmp(d, "bound(", 6) && len > 7 && d[len - 1] == ')') {
        char expr[128];
        if (len - 7 >= sizeof expr) { kgrl_err_set(err, "dist \"%s\": expression too long", d); return false; }
        memcpy(expr, d + 6, len - 7);
        expr[len - 7] = 0;
        int64_t fan_in;
        if (!kgrl_task_eval_expr(t, s, expr, &fan_in, err)) return false;
        if (fan_in <= 0) { kgrl_err_set(err, "dist \"%s\": fan-in %lld is not positive", d, (long long)fan_in); return false; }
        out->kind = 0; out->b = 1.0 / sqrt((double)fan_in); out->a = -out->b;
        return true;
    }
    kgrl_err_set(err, "unknown dist \"%s\" (rand, randn, uniform(a,b), randint(a,b), bound(expr), const(v))", d);
    return false;
}

// post transforms: code 1 triu, 2 tril, 3 symmetric, 4 softmax, 5 abs, 6 sign, 7 add(v)
static int kgrl__post_code(const char *p, double *v) {
    int n = 0;
    *v = 0;
    if (!strcmp(p, "triu")) return 1;
    if (!strcmp(p, "tril")) return 2;
    if (!strcmp(p, "symmetric")) return 3;
    if (!strcmp(p, "softmax")) return 4;
    if (!strcmp(p, "abs")) return 5;
    if (!strcmp(p, "sign")) return 6;
    if (sscanf(p, "add(%lf)%n", v, &n) == 1 && p[n] == 0) return 7;
    return 0;
}

static bool kgrl__json_str(const kgrl_json *o, const char *key, bool required, const char **out, kgrl_err *err, const char *where) {
    const kgrl_json *j = kgrl_json_get(o, key);
    if (!j || j->type == KGRL_JSON_NULL) {
        if (required) { kgrl_err_set(err, "%s: missing field \"%s\"", where, key); return false; }
        *out = NULL;
        return true;
    }
    if (j->type != KGRL_JSON_STRING) { kgrl_err_set(err, "%s: field \"%s\" must be a string", where, key); return false; }
    *out = j->string;
    return true;
}
static bool kgrl__json_i64(const kgrl_json *o, const char *key, bool required, int64_t dflt, int64_t *out, kgrl_err *err, const char *where) {
    const kgrl_json *j = kgrl_json_get(o, key);
    if (!j) {
        if (required) { kgrl_err_set(err, "%s: missing field \"%s\"", where, key); return false; }
        *out = dflt;
        return true;
    }
    if (j->type != KGRL_JSON_NUMBER || j->number != floor(j->number) || fabs(j->number) > 9007199254740992.0) {
        kgrl_err_set(err, "%s: field \"%s\" must be an integer", where, key);
        return false;
    }
    *out = (int64_t)j->number;
    return true;
}
static bool kgrl__copy(char *dst, size_t cap, const char *src, kgrl_err *err, const char *where, const char *field) {
    size_t n = strlen(src);
    if (n >= cap) { kgrl_err_set(err, "%s: field \"%s\" is longer than %zu characters", where, field, cap - 1); return false; }
    memcpy(dst, src, n + 1);
    return true;
}

static bool kgrl__task_param(kgrl_task *t, const kgrl_json *pj, int i, kgrl_err *err, const char *path) {
    kgrl_task_param *q = &t->params[i];
    char where[1024];
    snprintf(where, sizeof where, "%s: params[%d]", path, i);
    if (!pj || pj->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "%s: must be an object", where); return false; }
    const char *name, *kind, *s;
    if (!kgrl__json_str(pj, "name", true, &name, err, where)) return false;
    if (!kgrl__copy(q->name, sizeof q->name, name, err, where, "name")) return false;
    snprintf(where, sizeof where, "%s: params[%d] (\"%s\")", path, i, name);
    if (!kgrl__json_str(pj, "kind", true, &kind, err, where)) return false;
    if (!strcmp(kind, "input")) q->kind = KGRL_PARAM_INPUT;
    else if (!strcmp(kind, "output")) q->kind = KGRL_PARAM_OUTPUT;
    else if (!strcmp(kind, "size")) q->kind = KGRL_PARAM_SIZE;
    else if (!strcmp(kind, "scalar")) q->kind = KGRL_PARAM_SCALAR;
    else { kgrl_err_set(err, "%s: kind \"%s\" is not input, output, size or scalar", where, kind); return false; }
    q->min = 1; q->multiple_of = 1;
    if (q->kind == KGRL_PARAM_INPUT || q->kind == KGRL_PARAM_OUTPUT) {
        if (!kgrl__json_str(pj, "dtype", false, &s, err, where)) return false;
        if (!s) s = "f32";
        if (!kgrl__parse_elem(s, &q->elem)) { kgrl_err_set(err, "%s: dtype \"%s\" is not f32, i64 or i32", where, s); return false; }
        const kgrl_json *sh = kgrl_json_get(pj, "shape");
        if (!sh || sh->type != KGRL_JSON_ARRAY || sh->count < 1 || sh->count > KGRL_MAX_DIMS) {
            kgrl_err_set(err, "%s: \"shape\" must be an array of 1..%d dimensions", where, KGRL_MAX_DIMS);
            return false;
        }
        q->ndim = sh->count;
        for (int d = 0; d < sh->count; d++) {
            const kgrl_json *e = &sh->items[d];
            if (e->type == KGRL_JSON_NUMBER && e->number == floor(e->number)) snprintf(q->shape[d], sizeof q->shape[d], "%lld", (long long)e->number);
            else if (e->type == KGRL_JSON_STRING) { if (!kgrl__copy(q->shape[d], sizeof q->shape[d], e->string, err, where, "shape")) return false; }
            else { kgrl_err_set(err, "%s: shape[%d] must be an integer or an expression string", where, d); return false; }
        }
        snprintf(q->ctype, sizeof q->ctype, "%s", kgrl__elem_ctype(q->elem, q->kind == KGRL_PARAM_INPUT));
    }
    if (q->kind == KGRL_PARAM_INPUT) {
        if (!kgrl__json_str(pj, "dist", true, &s, err, where)) return false;
        if (!kgrl__copy(q->dist, sizeof q->dist, s, err, where, "dist")) return false;
        q->fixed_dist = kgrl_json_bool_or(pj, "fixed_dist", false);
        const kgrl_json *post = kgrl_json_get(pj, "post");
        if (post) {
            if (post->type != KGRL_JSON_ARRAY || post->count > 4) { kgrl_err_set(err, "%s: \"post\" must be an array of at most 4 strings", where); return false; }
            for (int k = 0; k < post->count; k++) {
                const kgrl_json *e = &post->items[k];
                double v;
                if (e->type != KGRL_JSON_STRING) { kgrl_err_set(err, "%s: post[%d] must be a string", where, k); return false; }
                int code = kgrl__post_code(e->string, &v);
                if (!code) { kgrl_err_set(err, "%s: unknown post \"%s\" (triu, tril, symmetric, softmax, abs, sign, add(v))", where, e->string); return false; }
                if (code == 3 && k != 0) { kgrl_err_set(err, "%s: post \"symmetric\" must come first", where); return false; }
                if (code == 4 && k != post->count - 1) { kgrl_err_set(err, "%s: post \"softmax\" must come last", where); return false; }
                if (code == 4 && q->elem != KGRL_ELEM_F32) { kgrl_err_set(err, "%s: post \"softmax\" needs dtype f32", where); return false; }
                if (!kgrl__copy(q->post[k], sizeof q->post[k], e->string, err, where, "post")) return false;
            }
            q->npost = post->count;
        }
    }
    if (q->kind == KGRL_PARAM_SIZE) {
        if (!kgrl__json_i64(pj, "value", true, 0, &q->value, err, where)) return false;
        if (!kgrl__json_i64(pj, "smoke", false, q->value, &q->smoke, err, where)) return false;
        if (!kgrl__json_i64(pj, "min", false, 1, &q->min, err, where)) return false;
        if (!kgrl__json_i64(pj, "multiple_of", false, 1, &q->multiple_of, err, where)) return false;
        q->free = kgrl_json_bool_or(pj, "free", false);
        if (q->multiple_of < 1) { kgrl_err_set(err, "%s: multiple_of must be >= 1", where); return false; }
        if (q->value < q->min || q->smoke < q->min) { kgrl_err_set(err, "%s: value and smoke must be >= min (%lld)", where, (long long)q->min); return false; }
        if (q->value % q->multiple_of || q->smoke % q->multiple_of) { kgrl_err_set(err, "%s: value and smoke must be multiples of %lld", where, (long long)q->multiple_of); return false; }
    }
    if (q->kind == KGRL_PARAM_SCALAR) {
        const kgrl_json *v = kgrl_json_get(pj, "value");
        if (!v || v->type != KGRL_JSON_NUMBER) { kgrl_err_set(err, "%s: a scalar needs a numeric \"value\"", where); return false; }
        q->scalar = v->number;
    }
    return true;
}

void kgrl_task_free(kgrl_task *t) {
    if (!t) return;
    kgrl_free(t->description);
    kgrl_free(t->signature);
    kgrl_free(t->excluded);
    kgrl_free(t->reference_src);
    kgrl_free(t->cpu_reference_src);
    memset(t, 0, sizeof *t);
}

// After the fields are in: the signature against the params, every shape and cost at main and
// smoke sizes, every dist.
static bool kgrl__task_check(kgrl_task *t, kgrl_err *err, const char *path) {
    char types[KGRL_TASK_MAX_PARAMS + 1][32], names[KGRL_TASK_MAX_PARAMS + 1][64];
    char where[1024];
    snprintf(where, sizeof where, "%s: signature", path);
    int n = kgrl__parse_signature(t->signature, types, names, KGRL_TASK_MAX_PARAMS + 1, err, where);
    if (n < 0) return false;
    if (n != t->nparams) { kgrl_err_set(err, "%s: the signature has %d parameters but \"params\" lists %d", path, n, t->nparams); return false; }
    for (int i = 0; i < n; i++) {
        kgrl_task_param *q = &t->params[i];
        if (strcmp(names[i], q->name)) { kgrl_err_set(err, "%s: signature parameter %d is \"%s\" but params[%d] is \"%s\"", path, i + 1, names[i], i, q->name); return false; }
        const char *ty = types[i];
        bool ok;
        if (q->kind == KGRL_PARAM_INPUT || q->kind == KGRL_PARAM_OUTPUT) ok = !strcmp(ty, q->ctype);
        else if (q->kind == KGRL_PARAM_SIZE) ok = !strcmp(ty, "int") || !strcmp(ty, "long") || !strcmp(ty, "long long");
        else {
            ok = true;
            if (!strcmp(ty, "float") || !strcmp(ty, "double")) q->elem = KGRL_ELEM_F32;
            else if (!strcmp(ty, "int")) q->elem = KGRL_ELEM_I32;
            else if (!strcmp(ty, "long") || !strcmp(ty, "long long")) q->elem = KGRL_ELEM_I64;
            else ok = false;
        }
        if (!ok) { kgrl_err_set(err, "%s: parameter \"%s\" has type \"%s\" in the signature, which does not fit its kind/dtype%s%s", path, q->name, ty, q->ctype[0] ? " (expected " : "", q->ctype[0] ? q->ctype : ""); return false; }
        if (q->kind != KGRL_PARAM_INPUT && q->kind != KGRL_PARAM_OUTPUT) snprintf(q->ctype, sizeof q->ctype, "%s", ty);
        if (q->kind == KGRL_PARAM_SIZE && !strcmp(ty, "int") && (q->value > INT32_MAX || q->smoke > INT32_MAX)) {
            kgrl_err_set(err, "%s: size \"%s\" does not fit the int of the signature", path, q->name); return false;
        }
    }
    kgrl_sizes sz[2] = {kgrl_task_main_sizes(t), kgrl_task_smoke_sizes(t)};
    for (int k = 0; k < 2; k++) {
        const char *which = k ? "smoke" : "main";
        for (int i = 0; i < t->nparams; i++) {
            kgrl_task_param *q = &t->params[i];
            if (q->kind != KGRL_PARAM_INPUT && q->kind != KGRL_PARAM_OUTPUT) continue;
            int64_t v;
            for (int d = 0; d < q->ndim; d++) {
                if (!kgrl_task_eval_expr(t, &sz[k], q->shape[d], &v, err)) {
                    char m[KGRL_ERR_MAX];
                    snprintf(m, sizeof m, "%s", err ? err->msg : "");
                    kgrl_err_set(err, "%s: param \"%s\" shape[%d] at %s sizes: %s", path, q->name, d, which, m);
                    return false;
                }
                if (v <= 0) { kgrl_err_set(err, "%s: param \"%s\" shape[%d] = \"%s\" is %lld at %s sizes", path, q->name, d, q->shape[d], (long long)v, which); return false; }
            }
            if (q->kind == KGRL_PARAM_INPUT) {
                kgrl__dist dist;
                kgrl_err e2;
                if (!kgrl__parse_dist(t, &sz[k], q->dist, &dist, &e2)) { kgrl_err_set(err, "%s: param \"%s\": %s", path, q->name, e2.msg); return false; }
            }
        }
        const char *costs[2] = {t->min_bytes, t->flops};
        for (int c = 0; c < 2; c++) {
            int64_t v;
            kgrl_err e2;
            if (costs[c][0] && !kgrl_task_eval_expr(t, &sz[k], costs[c], &v, &e2)) { kgrl_err_set(err, "%s: %s at %s sizes: %s", path, c ? "flops" : "min_bytes", which, e2.msg); return false; }
        }
    }
    return true;
}

bool kgrl_task_load(const char *dir, kgrl_task *t, kgrl_err *err) {
    memset(t, 0, sizeof *t);
    char path[600];
    snprintf(path, sizeof path, "%s/task.json", dir);
    if (!kgrl__copy(t->dir, sizeof t->dir, dir, err, path, "(directory)")) return false;
    kgrl_json *j = kgrl_json_parse_file(path, err);
    if (!j) return false;
    bool ok = false;
    const char *s;
    int64_t v;
    if (j->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "%s: must hold a JSON object", path); goto done; }
    if (!kgrl__json_str(j, "id", true, &s, err, path) || !kgrl__copy(t->id, sizeof t->id, s, err, path, "id")) goto done;
    if (!kgrl__json_i64(j, "level", true, 0, &v, err, path)) goto done;
    t->level = (int)v;
    if (!kgrl__json_i64(j, "number", true, 0, &v, err, path)) goto done;
    t->number = (int)v;
    {
        char want[32];
        snprintf(want, sizeof want, "L%d/%d", t->level, t->number);
        if (strcmp(want, t->id)) { kgrl_err_set(err, "%s: id \"%s\" does not match level %d and number %d (\"%s\")", path, t->id, t->level, t->number, want); goto done; }
    }
    if (!kgrl__json_str(j, "name", true, &s, err, path) || !kgrl__copy(t->name, sizeof t->name, s, err, path, "name")) goto done;
    if (!kgrl__json_str(j, "description", true, &s, err, path)) goto done;
    t->description = kgrl_strdup(s);
    if (!kgrl__json_str(j, "signature", true, &s, err, path)) goto done;
    t->signature = kgrl_strdup(s);
    {
        const kgrl_json *params = kgrl_json_get(j, "params");
        if (!params || params->type != KGRL_JSON_ARRAY || params->count < 1) { kgrl_err_set(err, "%s: \"params\" must be a non-empty array", path); goto done; }
        if (params->count > KGRL_TASK_MAX_PARAMS) { kgrl_err_set(err, "%s: more than %d params", path, KGRL_TASK_MAX_PARAMS); goto done; }
        t->nparams = params->count;
        for (int i = 0; i < params->count; i++) if (!kgrl__task_param(t, &params->items[i], i, err, path)) goto done;
        for (int i = 0; i < t->nparams; i++)
            for (int k = 0; k < i; k++)
                if (!strcmp(t->params[i].name, t->params[k].name)) { kgrl_err_set(err, "%s: two params are named \"%s\"", path, t->params[i].name); goto done; }
    }
    {
        const kgrl_json *tol = kgrl_json_get(j, "tolerance");
        if (!tol || tol->type != KGRL_JSON_OBJECT) { kgrl_err_set(err, "%s: missing object \"tolerance\"", path); goto done; }
        t->atol = kgrl_json_number_or(tol, "atol", 1e-4);
        t->rtol = kgrl_json_number_or(tol, "rtol", 1e-4);
        if (!(t->atol >= 0) || !(t->rtol >= 0)) { kgrl_err_set(err, "%s: tolerance atol/rtol must be >= 0", path); goto done; }
        if ((t->atol > 1e-4 || t->rtol > 1e-4) && !kgrl_json_get(tol, "reason")) { kgrl_err_set(err, "%s: a tolerance looser than 1e-4 needs a \"reason\"", path); goto done; }
    }
    if (!kgrl__json_str(j, "min_bytes", true, &s, err, path) || !kgrl__copy(t->min_bytes, sizeof t->min_bytes, s, err, path, "min_bytes")) goto done;
    if (!kgrl__json_str(j, "flops", true, &s, err, path) || !kgrl__copy(t->flops, sizeof t->flops, s, err, path, "flops")) goto done;
    if (!kgrl__json_str(j, "excluded", false, &s, err, path)) goto done;
    if (s) t->excluded = kgrl_strdup(s);
    if (!kgrl__json_str(j, "alt_dist", false, &s, err, path)) goto done;
    if (s && strcmp(s, "signed") != 0 && strcmp(s, "scale2") != 0) { kgrl_err_set(err, "%s: \"alt_dist\" must be \"signed\" or \"scale2\", not \"%s\"", path, s); goto done; }
    t->alt_scale2 = s && !strcmp(s, "scale2");
    {
        const kgrl_json *sol = kgrl_json_get(j, "solutions");
        if (sol && (sol->type != KGRL_JSON_ARRAY || sol->count > 8)) { kgrl_err_set(err, "%s: \"solutions\" must be an array of at most 8", path); goto done; }
        for (int i = 0; sol && i < sol->count; i++) {
            const char *f, *k;
            char w[800];
            snprintf(w, sizeof w, "%s: solutions[%d]", path, i);
            if (!kgrl__json_str(&sol->items[i], "file", true, &f, err, w) || !kgrl__copy(t->solution_files[i], sizeof t->solution_files[i], f, err, w, "file")) goto done;
            if (!kgrl__json_str(&sol->items[i], "kind", false, &k, err, w)) goto done;
            if (!kgrl__copy(t->solution_kinds[i], sizeof t->solution_kinds[i], k ? k : "", err, w, "kind")) goto done;
            t->nsolutions++;
        }
        const kgrl_json *wr = kgrl_json_get(j, "wrong");
        if (wr && (wr->type != KGRL_JSON_ARRAY || wr->count > 16)) { kgrl_err_set(err, "%s: \"wrong\" must be an array of at most 16", path); goto done; }
        for (int i = 0; wr && i < wr->count; i++) {
            const char *f, *e;
            char w[800];
            snprintf(w, sizeof w, "%s: wrong[%d]", path, i);
            if (!kgrl__json_str(&wr->items[i], "file", true, &f, err, w) || !kgrl__copy(t->wrong_files[i], sizeof t->wrong_files[i], f, err, w, "file")) goto done;
            if (!kgrl__json_str(&wr->items[i], "expect", true, &e, err, w) || !kgrl__copy(t->wrong_expect[i], sizeof t->wrong_expect[i], e, err, w, "expect")) goto done;
            t->nwrong++;
        }
    }
    if (!kgrl__task_check(t, err, path)) goto done;
    {
        char rp[700];
        snprintf(rp, sizeof rp, "%s/reference.cu", dir);
        t->reference_src = kgrl_read_file(rp, NULL, err);
        if (!t->reference_src) goto done;
        snprintf(rp, sizeof rp, "%s/cpu_reference.c", dir);
        if (kgrl_file_exists(rp)) t->cpu_reference_src = kgrl_read_file(rp, NULL, NULL);
    }
    ok = true;
done:
    kgrl_json_free(j);
    if (!ok) kgrl_task_free(t);
    return ok;
}

static const char *kgrl__elem_name(kgrl_elem e) { return e == KGRL_ELEM_F32 ? "f32" : e == KGRL_ELEM_I64 ? "i64" : "i32"; }

// One param as task.json spells it (the loader's kgrl__task_param reads it back).
static void kgrl__task_param_json(kgrl_json_writer *w, const kgrl_task_param *q) {
    static const char *const kinds[] = {"input", "output", "size", "scalar"};
    kgrl_jw_begin_object(w);
    kgrl_jw_key(w, "name"); kgrl_jw_string(w, q->name);
    kgrl_jw_key(w, "kind"); kgrl_jw_string(w, kinds[q->kind]);
    if (q->kind == KGRL_PARAM_INPUT || q->kind == KGRL_PARAM_OUTPUT) {
        kgrl_jw_key(w, "dtype"); kgrl_jw_string(w, kgrl__elem_name(q->elem));
        kgrl_jw_key(w, "shape"); kgrl_jw_begin_array(w);
        for (int d = 0; d < q->ndim; d++) kgrl_jw_string(w, q->shape[d]);
        kgrl_jw_end_array(w);
    }
    if (q->kind == KGRL_PARAM_INPUT) {
        kgrl_jw_key(w, "dist"); kgrl_jw_string(w, q->dist);
        if (q->fixed_dist) { kgrl_jw_key(w, "fixed_dist"); kgrl_jw_bool(w, true); }
        if (q->npost) {
            kgrl_jw_key(w, "post"); kgrl_jw_begin_array(w);
            for (int k = 0; k < q->npost; k++) kgrl_jw_string(w, q->post[k]);
            kgrl_jw_end_array(w);
        }
    }
    if (q->kind == KGRL_PARAM_SIZE) {
        kgrl_jw_key(w, "value"); kgrl_jw_int(w, q->value);
        kgrl_jw_key(w, "smoke"); kgrl_jw_int(w, q->smoke);
        kgrl_jw_key(w, "min"); kgrl_jw_int(w, q->min);
        kgrl_jw_key(w, "multiple_of"); kgrl_jw_int(w, q->multiple_of);
        kgrl_jw_key(w, "free"); kgrl_jw_bool(w, q->free);
    }
    if (q->kind == KGRL_PARAM_SCALAR) { kgrl_jw_key(w, "value"); kgrl_jw_number(w, q->scalar); }
    kgrl_jw_end_object(w);
}

bool kgrl_task_save(const kgrl_task *t, const char *dir, kgrl_err *err) {
    if (!t->reference_src || !t->signature || !t->description) {
        kgrl_err_set(err, "task %s: saving needs its reference, signature and description", t->id);
        return false;
    }
    if (!kgrl_mkdirs(dir, err)) return false;
    kgrl_buf b = KGRL_ZERO;
    kgrl_json_writer w = KGRL_ZERO;
    w.out = &b;
    kgrl_jw_begin_object(&w);
    kgrl_jw_key(&w, "id"); kgrl_jw_string(&w, t->id);
    kgrl_jw_key(&w, "level"); kgrl_jw_int(&w, t->level);
    kgrl_jw_key(&w, "number"); kgrl_jw_int(&w, t->number);
    kgrl_jw_key(&w, "name"); kgrl_jw_string(&w, t->name);
    kgrl_jw_key(&w, "description"); kgrl_jw_string(&w, t->description);
    kgrl_jw_key(&w, "signature"); kgrl_jw_string(&w, t->signature);
    kgrl_jw_key(&w, "params"); kgrl_jw_begin_array(&w);
    for (int i = 0; i < t->nparams; i++) kgrl__task_param_json(&w, &t->params[i]);
    kgrl_jw_end_array(&w);
    kgrl_jw_key(&w, "tolerance"); kgrl_jw_begin_object(&w);
    kgrl_jw_key(&w, "atol"); kgrl_jw_number(&w, t->atol);
    kgrl_jw_key(&w, "rtol"); kgrl_jw_number(&w, t->rtol);
    if (t->atol > 1e-4 || t->rtol > 1e-4) { kgrl_jw_key(&w, "reason"); kgrl_jw_string(&w, "as the task was saved (kgrl_task_save keeps no reason)"); }
    kgrl_jw_end_object(&w);
    kgrl_jw_key(&w, "min_bytes"); kgrl_jw_string(&w, t->min_bytes);
    kgrl_jw_key(&w, "flops"); kgrl_jw_string(&w, t->flops);
    kgrl_jw_key(&w, "excluded");
    if (t->excluded) kgrl_jw_string(&w, t->excluded); else kgrl_jw_null(&w);
    if (t->alt_scale2) { kgrl_jw_key(&w, "alt_dist"); kgrl_jw_string(&w, "scale2"); }
    kgrl_jw_end_object(&w);
    kgrl_buf_puts(&b, "\n");
    char path[700];
    snprintf(path, sizeof path, "%s/task.json", dir);
    bool ok = kgrl_write_file_atomic(path, b.data, b.len, err);
    snprintf(path, sizeof path, "%s/reference.cu", dir);
    ok = ok && kgrl_write_file_atomic(path, t->reference_src, strlen(t->reference_src), err);
    snprintf(path, sizeof path, "%s/cpu_reference.c", dir);
    if (ok && t->cpu_reference_src) ok = kgrl_write_file_atomic(path, t->cpu_reference_src, strlen(t->cpu_reference_src), err);
    kgrl_buf_free(&b);
    return ok;
}

static int kgrl__task_cmp(const void *a, const void *b) {
    const kgrl_task *x = (const kgrl_task *)a, *y = (const kgrl_task *)b;
    if (x->level != y->level) return x->level < y->level ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

bool kgrl_task_dir_of(const char *root, const char *id, char *out, size_t cap) {
    int level, number, k = 0;
    if (sscanf(id, "L%d/%d%n", &level, &number, &k) != 2 || id[k]) return false;
    char ld[700], prefix[16];
    snprintf(ld, sizeof ld, "%s/level%d", root, level);
    snprintf(prefix, sizeof prefix, "%03d_", number);
    DIR *d = opendir(ld);
    if (!d) return false;
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        snprintf(out, cap, "%s/%s", ld, e->d_name);
        found = true;
    }
    closedir(d);
    return found;
}

double kgrl_task_eager_ms(const char *root, const char *device_name, const char *id) {
    if (strncmp(device_name, "NVIDIA ", 7) == 0) device_name += 7;
    char gpu[128], path[900];
    kgrl__gpu_file_name(device_name, gpu, sizeof gpu);
    snprintf(path, sizeof path, "%s/baselines/%s.csv", root, gpu);
    if (!kgrl_file_exists(path)) return NAN;
    char *text = kgrl_read_file(path, NULL, NULL);
    double ms = NAN;
    size_t idlen = strlen(id);
    // rows: task,level,number,name,eager_ms,...; '#' lines are metadata
    for (char *line = text; line && *line && isnan(ms);) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (strncmp(line, id, idlen) == 0 && line[idlen] == ',') {
            const char *f = line;
            for (int k = 0; k < 4 && f; k++) { f = strchr(f, ','); if (f) f++; }
            char *end = NULL;
            double v = f ? strtod(f, &end) : NAN;
            if (f && end != f && (*end == ',' || *end == 0) && v > 0) ms = v;
            else break;
        }
        line = next;
    }
    kgrl_free(text);
    return ms;
}

bool kgrl_tasks_load_all(const char *root, kgrl_task_set *out, kgrl_err *err) {
    out->n = 0;
    out->tasks = NULL;
    int cap = 0;
    for (int level = 1; level <= 9; level++) {
        char ld[600];
        snprintf(ld, sizeof ld, "%s/level%d", root, level);
        DIR *d = opendir(ld);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char td[1200], tj[1300];
            snprintf(td, sizeof td, "%s/%s", ld, e->d_name);
            snprintf(tj, sizeof tj, "%s/task.json", td);
            if (!kgrl_file_exists(tj)) continue;
            if (out->n == cap) {
                cap = cap ? 2 * cap : 64;
                out->tasks = (kgrl_task *)kgrl_realloc(out->tasks, (size_t)cap * sizeof(kgrl_task));
            }
            if (!kgrl_task_load(td, &out->tasks[out->n], err)) { closedir(d); kgrl_tasks_free(out); return false; }
            if (out->tasks[out->n].level != level) {
                kgrl_err_set(err, "%s: level %d but the task lies under level%d/", tj, out->tasks[out->n].level, level);
                out->n++;
                closedir(d); kgrl_tasks_free(out); return false;
            }
            out->n++;
        }
        closedir(d);
    }
    qsort(out->tasks, (size_t)out->n, sizeof(kgrl_task), kgrl__task_cmp);
    for (int i = 1; i < out->n; i++)
        if (kgrl__task_cmp(&out->tasks[i - 1], &out->tasks[i]) == 0) {
            kgrl_err_set(err, "%s and %s are both task %s", out->tasks[i - 1].dir, out->tasks[i].dir, out->tasks[i].id);
            kgrl_tasks_free(out);
            return false;
        }
    return true;
}

void kgrl_tasks_free(kgrl_task_set *s) {
    for (int i = 0; i < s->n; i++) kgrl_task_free(&s->tasks[i]);
    kgrl_free(s->tasks);
    s->tasks = NULL;
    s->n = 0;
}

const kgrl_task *kgrl_tasks_find(const kgrl_task_set *s, const char *id) {
    int level, number, n = 0;
    if (sscanf(id, "L%d/%d%n", &level, &number, &n) != 2 || id[n]) return NULL;
    for (int i = 0; i < s->n; i++) if (s->tasks[i].level == level && s->tasks[i].number == number) return &s->tasks[i];
    return NULL;
}

// ---- variants ------------------------------------------------------------------------------
// A free size moved off alignment and *up*: the first of v+7, v+13, v+3, v+1, v+29, ... (v >= 64) or
// v+1, v+3, v+5, ... (small v), rounded down to multiple_of, that is >= min, larger than v and not a
// multiple of 32. Larger than main on purpose: a kernel whose grid or loop bounds are hard-coded for
// the main shape leaves the extra elements unwritten (they stay poisoned) and fails. Steps this
// small keep the total bytes within a few percent of main.
static int64_t kgrl__odd_size(const kgrl_task_param *q) {
    static const int64_t big[] = {7, 13, 3, 1, 29, 45, 61, 77, 93, 109};
    static const int64_t small[] = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19};
    int64_t m = q->multiple_of > 0 ? q->multiple_of : 1;
    const int64_t *steps = q->value >= 64 ? big : small;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < 10; k++) {
            int64_t v = q->value + steps[k] * m;
            v -= v % m;
            if (v < q->min || v <= q->value) continue;
            if (pass == 0 && v % 32 == 0) continue; // second pass: multiple_of forces multiples of 32
            return v;
        }
    }
    return q->value;
}

int kgrl_task_variants(const kgrl_task *t, uint64_t run_seed, int nvariants, kgrl_variant *out) {
    if (nvariants <= 0) nvariants = 5;
    if (nvariants > KGRL_MAX_VARIANTS) nvariants = KGRL_MAX_VARIANTS;
    // one seed per (run, task, variant): the task's id keeps tasks of one run independent
    uint64_t base = kgrl_stream_mix(kgrl_stream_mix(kgrl_stream_id("verifier inputs"), run_seed), kgrl_stream_id(t->id));
    static const char *names[KGRL_MAX_VARIANTS] = {"main", "main_seed2", "alt_dist", "odd_sizes", "smoke", "main_seed3", "main_seed4", "main_seed5"};
    for (int k = 0; k < nvariants; k++) {
        kgrl_variant *v = &out[k];
        memset(v, 0, sizeof *v);
        v->index = k;
        snprintf(v->name, sizeof v->name, "%s", names[k]);
        v->seed = kgrl_stream_mix(base, (uint64_t)k);
        v->sizes = k == 4 ? kgrl_task_smoke_sizes(t) : kgrl_task_main_sizes(t);
        v->alt_dist = k == 2;
        if (k == 3)
            for (int i = 0; i < t->nparams; i++)
                if (t->params[i].kind == KGRL_PARAM_SIZE && t->params[i].free) v->sizes.v[i] = kgrl__odd_size(&t->params[i]);
    }
    return nvariants;
}

// ---- input generation ----------------------------------------------------------------------
// Host copy of struct kgrl_fill_args in kernels/fill.cu (same 8-byte fields, same order).
typedef struct kgrl__fill_args {
    void *dst;
    long long elem, n;
    unsigned long long key, stream;
    long long dist;
    double a, b;
    long long npost;
    long long post[4];
    double postv[4];
    long long rows, cols;
} kgrl__fill_args;

// Everything a fill needs, resolved on the host: the dist (with the alt-dist rule applied), posts,
// last two dims. Alt dist (variant 2, unless fixed_dist): rand/uniform(a,b) -> uniform(-2w, 2w)
// with w = max(|a|,|b|) (signed and wider); randn, bound, const -> x2; randint unchanged.
static kgrl__fill_args kgrl__fill_setup(const kgrl_task *t, const kgrl_variant *v, int p, void *dst) {
    const kgrl_task_param *q = &t->params[p];
    if (q->kind != KGRL_PARAM_INPUT) KGRL_FATAL("task %s: param %d (%s) is not an input", t->id, p, q->name);
    kgrl__fill_args f;
    memset(&f, 0, sizeof f);
    f.dst = dst;
    f.elem = q->elem == KGRL_ELEM_F32 ? 0 : q->elem == KGRL_ELEM_I64 ? 1 : 2;
    f.n = kgrl_task_numel(t, &v->sizes, p);
    f.key = v->seed;
    f.stream = kgrl_stream_mix(kgrl_stream_id("task input"), (uint64_t)p);
    kgrl__dist d;
    kgrl_err err;
    if (!kgrl__parse_dist(t, &v->sizes, q->dist, &d, &err)) KGRL_FATAL("task %s: param %s: %s", t->id, q->name, err.msg);
    if (v->alt_dist && !q->fixed_dist) {
        if (d.kind == 0 && (t->alt_scale2 || !strncmp(q->dist, "bound(", 6))) { d.a *= 2; d.b *= 2; }
        else if (d.kind == 0) { double w = fmax(fabs(d.a), fabs(d.b)); d.a = -2 * w; d.b = 2 * w; }
        else if (d.kind == 1 || d.kind == 3) d.a *= 2;
    }
    f.dist = d.kind; f.a = d.a; f.b = d.b;
    f.npost = q->npost;
    for (int k = 0; k < q->npost; k++) f.post[k] = kgrl__post_code(q->post[k], &f.postv[k]);
    int64_t rows = 1, cols = 1;
    kgrl_sizes s = v->sizes;
    if (q->ndim >= 1 && !kgrl_task_eval_expr(t, &s, q->shape[q->ndim - 1], &cols, &err)) KGRL_FATAL("task %s: %s", t->id, err.msg);
    if (q->ndim >= 2 && !kgrl_task_eval_expr(t, &s, q->shape[q->ndim - 2], &rows, &err)) KGRL_FATAL("task %s: %s", t->id, err.msg);
    f.rows = rows; f.cols = cols;
    for (int k = 0; k < q->npost; k++)
        if ((f.post[k] == 3) && rows != cols) KGRL_FATAL("task %s: param %s: post \"symmetric\" needs square matrices, got %lldx%lld", t->id, q->name, (long long)rows, (long long)cols);
    return f;
}

// The draw of element i, exactly as kgrl_fill_draw in kernels/fill.cu.
static double kgrl__fill_draw(const kgrl__fill_args *f, uint64_t i) {
    if (f->dist == 0) return (double)(float)(f->a + (f->b - f->a) * (double)kgrl_uniform_at(f->key, f->stream, i));
    if (f->dist == 1) return (double)(float)((double)kgrl_normal_at(f->key, f->stream, i) * f->a);
    if (f->dist == 2) {
        uint64_t span = (uint64_t)(int64_t)(f->b - f->a);
        return f->a + (double)(((uint64_t)kgrl_u32_at(f->key, f->stream, i) * span) >> 32);
    }
    return f->a;
}

void kgrl_task_fill_input_cpu(const kgrl_task *t, const kgrl_variant *v, int p, void *dst) {
    kgrl__fill_args f = kgrl__fill_setup(t, v, p, dst);
    int64_t mat = f.rows * f.cols;
    bool softmax = false;
    for (int64_t i = 0; i < f.n; i++) {
        int64_t m = i % mat, r = m / f.cols, c = m % f.cols;
        double x = kgrl__fill_draw(&f, (uint64_t)i);
        for (int k = 0; k < f.npost; k++) {
            long long code = f.post[k];
            if (code == 1) { if (c < r) x = 0.0; }
            else if (code == 2) { if (c > r) x = 0.0; }
            else if (code == 3) x = (double)(float)((x + kgrl__fill_draw(&f, (uint64_t)(i - m + c * f.cols + r))) * 0.5);
            else if (code == 4) softmax = true;
            else if (code == 5) x = fabs(x);
            else if (code == 6) x = x < 0.0 ? -1.0 : 1.0;
            else if (code == 7) x = (double)(float)(x + f.postv[k]);
        }
        if (f.elem == 0) ((float *)dst)[i] = (float)x;
        else if (f.elem == 1) ((long long *)dst)[i] = (long long)x;
        else ((int *)dst)[i] = (int)x;
    }
    if (!softmax) return;
    // softmax over the last dim, in double (the GPU sums in another order: results agree to ~1 ulp)
    float *x = (float *)dst;
    for (int64_t row = 0; row < f.n / f.cols; row++) {
        float *px = x + row * f.cols;
        double mx = -1e300, sum = 0.0;
        for (int64_t c = 0; c < f.cols; c++) mx = fmax(mx, (double)px[c]);
        for (int64_t c = 0; c < f.cols; c++) sum += exp((double)px[c] - mx);
        for (int64_t c = 0; c < f.cols; c++) px[c] = (float)(exp((double)px[c] - mx) / sum);
    }
}

// The fill kernels: philox.cuh pasted in front of fill.cu. Looked up by name first, so the pasted
// text is only built (and compiled) on the first call per ctx; kgrl_ctx_kernel keeps its own copy.
static cudaKernel_t kgrl__fill_kernel(kgrl_ctx *ctx, const char *name) {
    for (int i = 0; i < ctx->nkernels; i++)
        if (!strcmp(ctx->kernels[i].name, name)) return ctx->kernels[i].kernel;
    kgrl_buf b = KGRL_ZERO;
    kgrl_buf_puts(&b, kgrl__kernel_philox_cuh);
    kgrl_buf_puts(&b, kgrl__kernel_fill_cu);
    cudaKernel_t k = kgrl_ctx_kernel(ctx, b.data, name);
    kgrl_buf_free(&b);
    return k;
}

void kgrl_task_fill_input_gpu(kgrl_ctx *ctx, const kgrl_task *t, const kgrl_variant *v, int p, void *dst_device) {
    if (!ctx->has_gpu) KGRL_FATAL("kgrl_task_fill_input_gpu: no GPU (%s)", ctx->no_gpu_reason);
    kgrl__fill_args f = kgrl__fill_setup(t, v, p, dst_device);
    if (f.n == 0) return;
    bool softmax = f.npost > 0 && f.post[f.npost - 1] == 4;
    if (softmax) f.npost--; // the row pass below
    cudaKernel_t k = kgrl__fill_kernel(ctx, "kgrl_fill");
    long long blocks = (f.n + 255) / 256;
    if (blocks > 65535LL * 8) blocks = 65535LL * 8;
    void *args[1] = {&f};
    dim3 grid = {(unsigned)blocks, 1, 1}, block = {256, 1, 1};
    KGRL_CUDA_CHECK(cudaLaunchKernel((const void *)k, grid, block, args, 0, ctx->stream));
    if (softmax) {
        cudaKernel_t ks = kgrl__fill_kernel(ctx, "kgrl_fill_softmax");
        float *x = (float *)dst_device;
        long long nrows = f.n / f.cols, cols = f.cols;
        long long sb = nrows < 65535 ? nrows : 65535;
        void *sargs[3] = {&x, &nrows, &cols};
        dim3 sgrid = {(unsigned)sb, 1, 1};
        KGRL_CUDA_CHECK(cudaLaunchKernel((const void *)ks, sgrid, block, sargs, 0, ctx->stream));
    }
    KGRL_CUDA_CHECK(cudaGetLastError());
}

// ---- prompts -------------------------------------------------------------------------------
static const char kgrl__prompt_rules[] =
    "Write a CUDA implementation of the operation below.\n"
    "\n"
    "Answer with one fenced code block (```cuda) holding two parts:\n"
    "1. Device code, compiled by NVRTC: __global__ kernels (templates allowed), __device__ helpers,\n"
    "   __constant__/__shared__ memory, #define, constexpr, inline PTX. Only headers NVRTC ships\n"
    "   (cuda_fp16.h, cuda_bf16.h, ...) may be included; no host headers.\n"
    "2. One host launcher with exactly the signature given below. It is interpreted, not compiled,\n"
    "   and may only use: locals of type int/unsigned/long/long long/size_t/float/double/bool/dim3\n"
    "   and pointers for scratch; arithmetic, comparisons, ?:, if/else, bounded for/while, min/max,\n"
    "   sizeof of scalar types, pointer arithmetic on the tensor and scratch pointers; kernel launches\n"
    "   k<<<grid, block[, smem[, 0]]>>>(args) (also k<T, 128><<<...>>>); cudaMalloc(&p, bytes) and\n"
    "   cudaFree(p) for scratch; cudaMemset/cudaMemsetAsync(p, v, bytes) on outputs and scratch;\n"
    "   cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, n).\n"
    "   Anything else (streams, events, memcpy, library calls such as cuBLAS/cuDNN, printf, host math\n"
    "   on tensor data) is rejected.\n"
    "All pointers are device pointers to contiguous row-major fp32 data unless the signature says\n"
    "otherwise. Every output element must be written (outputs start as NaN); inputs must not be\n"
    "modified. Your kernel is tested on several inputs and sizes (including odd sizes that are not\n"
    "multiples of 32 and tiny sizes) against the reference with |out - ref| <= atol + rtol*|ref|,\n"
    "then timed against the reference; faster correct code earns more.\n";

static const char kgrl__prompt_example[] =
    "Example (a different task: out = a + b for n elements, signature\n"
    "void forward(const float* a, const float* b, float* out, int n)):\n"
    "```cuda\n"
    "__global__ void add_kernel(const float* a, const float* b, float* out, long n) {\n"
    "    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;\n"
    "    if (i < n) out[i] = a[i] + b[i];\n"
    "}\n"
    "void forward(const float* a, const float* b, float* out, int n) {\n"
    "    int threads = 256;\n"
    "    long blocks = ((long)n + threads - 1) / threads;\n"
    "    add_kernel<<<blocks, threads>>>(a, b, out, n);\n"
    "}\n"
    "```\n";

// "x: (batch_size, dim) = (4096, 65536), U[0,1)" lines for the description style.
static void kgrl__prompt_params(kgrl_buf *b, const kgrl_task *t) {
    kgrl_sizes s = kgrl_task_main_sizes(t);
    for (int i = 0; i < t->nparams; i++) {
        const kgrl_task_param *q = &t->params[i];
        if (q->kind == KGRL_PARAM_INPUT || q->kind == KGRL_PARAM_OUTPUT) {
            kgrl_buf_printf(b, "- %s (%s, %s): shape (", q->name, q->kind == KGRL_PARAM_INPUT ? "input" : "output", q->ctype);
            for (int d = 0; d < q->ndim; d++) kgrl_buf_printf(b, "%s%s", d ? ", " : "", q->shape[d]);
            kgrl_buf_puts(b, ") = (");
            for (int d = 0; d < q->ndim; d++) {
                int64_t v = 0;
                kgrl_task_eval_expr(t, &s, q->shape[d], &v, NULL);
                kgrl_buf_printf(b, "%s%lld", d ? ", " : "", (long long)v);
            }
            kgrl_buf_puts(b, ")");
            if (q->kind == KGRL_PARAM_INPUT) {
                const char *d = q->dist;
                if (!strcmp(d, "rand")) d = "uniform in [0, 1)";
                else if (!strcmp(d, "randn")) d = "standard normal";
                else if (!strncmp(d, "bound(", 6)) d = "uniform in +-1/sqrt(fan_in) (PyTorch's default init)";
                kgrl_buf_printf(b, ", values %s", d);
                for (int k = 0; k < q->npost; k++) kgrl_buf_printf(b, "%s%s", k ? ", " : " then ", q->post[k]);
            }
            kgrl_buf_puts(b, "\n");
        } else if (q->kind == KGRL_PARAM_SIZE) {
            kgrl_buf_printf(b, "- %s (%s): %lld%s\n", q->name, q->ctype, (long long)q->value,
                            q->free ? " (may vary between tests)" : " (fixed)");
        } else {
            kgrl_buf_printf(b, "- %s (%s): %.9g\n", q->name, q->ctype, q->scalar);
        }
    }
}

char *kgrl_task_prompt(const kgrl_task *t, kgrl_prompt_style style) {
    kgrl_buf b = {NULL, 0, 0};
    // the example before the task, as KernelBench's prompt has it: the task's spec then sits ~150
    // tokens before the answer instead of ~400, a shorter way back for a small model copying from it
    kgrl_buf_puts(&b, kgrl__prompt_rules);
    kgrl_buf_printf(&b, "\n%s", kgrl__prompt_example);
    kgrl_buf_printf(&b, "\nTask %s %s.\n", t->id, t->name);
    if (style == KGRL_PROMPT_REFERENCE) {
        kgrl_buf_puts(&b, "Here is the reference implementation (it may call library routines that you may not):\n```cuda\n");
        kgrl_buf_puts(&b, t->reference_src ? t->reference_src : "");
        if (b.len && b.data[b.len - 1] != '\n') kgrl_buf_puts(&b, "\n");
        kgrl_buf_puts(&b, "```\n");
    } else {
        kgrl_buf_printf(&b, "%s\n", t->description);
    }
    char *spec = style == KGRL_PROMPT_C ? kgrl_task_c_spec(t, NULL) : NULL;
    if (spec) kgrl_buf_printf(&b, "The same operation in plain C:\n```c\n%s```\n", spec);
    kgrl_free(spec);
    kgrl_buf_puts(&b, "Parameters (sizes as tested first):\n");
    kgrl__prompt_params(&b, t);
    kgrl_buf_printf(&b, "Tolerance: atol = %g, rtol = %g.\n", t->atol, t->rtol);
    kgrl_buf_printf(&b, "\nNow write the code for task %s. Your launcher must be:\n%s\n", t->id, t->signature);
    return b.data;
}

// ---- the CPU reference as a C spec and as a naive port ------------------------------------------
// The references (data/*/cpu_reference.c) are plain C in one style: declarations that read the
// parameters from io, then loops. These helpers scan that style, not C in general.

static const char *kgrl__c_skip(const char *p) {            // spaces and comments
    for (;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (p[0] == '/' && p[1] == '/') { while (*p && *p != '\n') p++; continue; }
        if (p[0] == '/' && p[1] == '*') { const char *e = strstr(p + 2, "*/"); p = e ? e + 2 : p + strlen(p); continue; }
        return p;
    }
}
static bool kgrl__c_word(const char *p, const char *w) {     // p starts with the identifier w
    size_t n = strlen(w);
    return !strncmp(p, w, n) && !(isalnum((unsigned char)p[n]) || p[n] == '_');
}
static const char *kgrl__c_ident(const char *p, char *out, size_t cap) {
    size_t n = 0;
    while ((isalnum((unsigned char)p[n]) || p[n] == '_') && n + 1 < cap) { out[n] = p[n]; n++; }
    out[n] = 0;
    return p + n;
}
// The closing bracket matching the one at p ('(' or '{'), or NULL.
static const char *kgrl__c_match(const char *p) {
    int depth = 0;
    for (; *p; p++) {
        if (p[0] == '/' && p[1] == '/') { while (*p && *p != '\n') p++; if (!*p) break; continue; }
        if (*p == '(' || *p == '{' || *p == '[') depth++;
        else if ((*p == ')' || *p == '}' || *p == ']') && --depth == 0) return p;
    }
    return NULL;
}
// The end (one past) of the statement starting at p: a block, for/while/if with its statement (and
// else), or up to the ';' outside brackets. NULL when the text ends first.
static const char *kgrl__c_stmt_end(const char *p) {
    p = kgrl__c_skip(p);
    if (*p == '{') { const char *e = kgrl__c_match(p); return e ? e + 1 : NULL; }
    if (kgrl__c_word(p, "for") || kgrl__c_word(p, "while") || kgrl__c_word(p, "if")) {
        bool is_if = kgrl__c_word(p, "if");
        const char *h = strchr(p, '(');
        const char *e = h ? kgrl__c_match(h) : NULL;
        if (!e) return NULL;
        e = kgrl__c_stmt_end(e + 1);
        if (e && is_if && kgrl__c_word(kgrl__c_skip(e), "else")) e = kgrl__c_stmt_end(kgrl__c_skip(e) + 4);
        return e;
    }
    int depth = 0;
    for (; *p; p++) {
        if (*p == '(' || *p == '[' || *p == '{') depth++;
        else if (*p == ')' || *p == ']' || *p == '}') depth--;
        else if (*p == ';' && depth == 0) return p + 1;
    }
    return NULL;
}

// The reference function's body with io->ptr[i] (and its cast), io->ival[i], io->dval[i] spelled as
// parameter names. NULL + err when the file is not a single function or calls the kit.
static char *kgrl__c_ref_body(const kgrl_task *t, kgrl_err *err) {
    const char *src = t->cpu_reference_src;
    if (!src) { kgrl_err_set(err, "%s has no cpu_reference.c", t->id); return NULL; }
    const char *f = strstr(src, "(const kgrl_task_io *io)");
    const char *open = f ? strchr(f, '{') : NULL;
    const char *close = open ? kgrl__c_match(open) : NULL;
    if (!close) { kgrl_err_set(err, "%s: no cpu_ref function taking (const kgrl_task_io *io)", t->id); return NULL; }
    if (memchr(src, '{', (size_t)(f - src)) || *kgrl__c_skip(close + 1)) {   // a function body before or after it
        kgrl_err_set(err, "%s: the CPU reference has helper functions", t->id); return NULL;
    }
    kgrl_buf b = KGRL_ZERO;
    for (const char *p = open + 1; p < close;) {
        if (!strncmp(p, "kgrl_", 5)) { kgrl_buf_free(&b); kgrl_err_set(err, "%s: the CPU reference calls the kit", t->id); return NULL; }
        const char *kinds[3] = {"io->ptr[", "io->ival[", "io->dval["};
        int k = 0;
        while (k < 3 && strncmp(p, kinds[k], strlen(kinds[k]))) k++;
        if (k == 3) { kgrl_buf_append(&b, p++, 1); continue; }
        int i = atoi(p + strlen(kinds[k]));
        if (i < 0 || i >= t->nparams) { kgrl_buf_free(&b); kgrl_err_set(err, "%s: io index %d out of range", t->id, i); return NULL; }
        if (k == 0) {                                         // drop the cast before io->ptr[i]
            size_t n = b.len;
            while (n > 0 && b.data[n - 1] == ' ') n--;
            if (n > 0 && b.data[n - 1] == ')') {
                size_t o = n - 1;
                while (o > 0 && b.data[o] != '(') o--;
                if (memchr(b.data + o, '*', n - o)) b.len = o;
            }
        }
        kgrl_buf_printf(&b, k == 1 ? "(long)%s" : "%s", t->params[i].name);
        p = strchr(p, ']') + 1;
    }
    kgrl_buf_puts(&b, "");
    return b.data;
}

static bool kgrl__c_is_param(const kgrl_task *t, const char *name) {
    for (int i = 0; i < t->nparams; i++) if (!strcmp(t->params[i].name, name)) return true;
    return false;
}
static const char *kgrl__c_strip_casts(const char *p) {     // "(double)(float)eps" -> "eps"
    for (p = kgrl__c_skip(p); *p == '(';) {
        const char *e = kgrl__c_match(p);
        if (!e) break;
        bool type = true;
        for (const char *q = p + 1; q < e; q++) type &= isalnum((unsigned char)*q) || *q == '_' || *q == ' ' || *q == '*';
        if (!type) break;
        p = kgrl__c_skip(e + 1);
    }
    return p;
}
static const char *const kgrl__c_types[] = {"const", "unsigned", "long", "int", "float", "double", "size_t", "int64_t", NULL};
static bool kgrl__c_type_word(const char *p) {
    for (int i = 0; kgrl__c_types[i]; i++) if (kgrl__c_word(p, kgrl__c_types[i])) return true;
    return false;
}

// One declaration statement [s, e) rewritten one declarator a line ("    TYPE *name = init;\n"), with
// declarators that only rename a parameter dropped; integer scalars also go to `ints` (the launcher's
// copy). Other statements are copied to `out` only. False + err when a local would shadow a parameter.
static bool kgrl__c_decl(const kgrl_task *t, const char *s, const char *e, kgrl_buf *out, kgrl_buf *ints, kgrl_err *err) {
    s = kgrl__c_skip(s);
    if (!kgrl__c_type_word(s)) { kgrl_buf_printf(out, "    %.*s\n", (int)(e - s), s); return true; }
    const char *d = s;
    while (kgrl__c_type_word(d)) { while (isalnum((unsigned char)*d) || *d == '_') d++; d = kgrl__c_skip(d); }
    char type[64];
    snprintf(type, sizeof type, "%.*s", (int)(d - s), s);
    while (strlen(type) && type[strlen(type) - 1] == ' ') type[strlen(type) - 1] = 0;
    bool integer = strstr(type, "float") == NULL && strstr(type, "double") == NULL;
    while (d < e) {                                           // declarators split at commas outside brackets
        const char *q = d;
        int depth = 0;
        for (; q < e; q++) {
            if (*q == '(' || *q == '[') depth++;
            else if (*q == ')' || *q == ']') depth--;
            else if ((*q == ',' || *q == ';') && depth == 0) break;
        }
        const char *n = kgrl__c_skip(d);
        int stars = 0;
        while (*n == '*') { stars++; n = kgrl__c_skip(n + 1); }
        char name[64];
        const char *after = kgrl__c_skip(kgrl__c_ident(n, name, sizeof name));
        const char *init = *after == '=' ? kgrl__c_skip(after + 1) : NULL;
        if (kgrl__c_is_param(t, name)) {                      // allowed only as "name = (casts) name"
            char again[64];
            const char *value = init ? kgrl__c_strip_casts(init) : "";
            const char *rest = kgrl__c_skip(kgrl__c_ident(value, again, sizeof again));
            if (!init || strcmp(again, name) || rest != q) { kgrl_err_set(err, "%s: local %s shadows a parameter", t->id, name); return false; }
        } else {
            kgrl_buf_printf(out, "    %s %.*s%s%s%.*s;\n", type, stars, "****", name, init ? " = " : "", init ? (int)(q - init) : 0, init ? init : "");
            if (integer && !stars && ints)
                kgrl_buf_printf(ints, "    %s %s%s%.*s;\n", type, name, init ? " = " : "", init ? (int)(q - init) : 0, init ? init : "");
        }
        d = q + 1;
    }
    return true;
}

// The declarations before the loop nest (rewritten into decls/ints) and the loop nest [*nest, *nest_end).
static bool kgrl__c_split(const kgrl_task *t, const char *body, kgrl_buf *decls, kgrl_buf *ints,
                          const char **nest, const char **nest_end, kgrl_err *err) {
    const char *p = kgrl__c_skip(body);
    *nest = NULL;
    while (*p) {
        const char *e = kgrl__c_stmt_end(p);
        if (!e) { kgrl_err_set(err, "%s: cannot read the CPU reference's statements", t->id); return false; }
        if (kgrl__c_word(p, "for") && !*nest) { *nest = p; *nest_end = e; }
        else if (*nest) { kgrl_err_set(err, "%s: statements follow the loop nest", t->id); return false; }
        else if (!kgrl__c_decl(t, p, e, decls, ints, err)) return false;
        p = kgrl__c_skip(e);
    }
    if (!*nest) { kgrl_err_set(err, "%s: the CPU reference has no loop", t->id); return false; }
    return true;
}

char *kgrl_task_c_spec(const kgrl_task *t, kgrl_err *err) {
    char *body = kgrl__c_ref_body(t, err);
    if (!body) return NULL;
    kgrl_buf decls = KGRL_ZERO, out = KGRL_ZERO;
    const char *nest, *nest_end;
    bool ok = kgrl__c_split(t, body, &decls, NULL, &nest, &nest_end, err);
    if (ok) {
        kgrl_buf_printf(&out, "void reference%s {\n", strchr(t->signature, '('));
        kgrl_buf_puts(&decls, "");
        kgrl_buf_printf(&out, "%s    %.*s\n}\n", decls.data, (int)(nest_end - nest), nest);
    }
    kgrl_buf_free(&decls);
    kgrl_free(body);
    return out.data;
}

// One header "for (long v = 0; v < bound; v++)" at p: the variable, the bound, the text after ')'.
static const char *kgrl__c_simple_for(const char *p, char *var, size_t vcap, char *bound, size_t bcap) {
    if (!kgrl__c_word(p, "for")) return NULL;
    const char *h = kgrl__c_skip(p + 3), *e = *h == '(' ? kgrl__c_match(h) : NULL;
    if (!e) return NULL;
    p = kgrl__c_skip(h + 1);
    if (kgrl__c_word(p, "long")) p = kgrl__c_skip(p + 4);
    else if (kgrl__c_word(p, "int")) p = kgrl__c_skip(p + 3);
    else return NULL;
    p = kgrl__c_skip(kgrl__c_ident(p, var, vcap));
    if (!var[0] || *p != '=') return NULL;
    p = kgrl__c_skip(p + 1);
    if (*p != '0') return NULL;
    p = kgrl__c_skip(p + 1);
    if (*p != ';') return NULL;
    char v2[64];
    p = kgrl__c_skip(kgrl__c_ident(kgrl__c_skip(p + 1), v2, sizeof v2));
    if (strcmp(v2, var) || *p != '<' || p[1] == '=') return NULL;
    const char *b = kgrl__c_skip(p + 1), *semi = strchr(b, ';');
    if (!semi || semi > e) return NULL;
    snprintf(bound, bcap, "%.*s", (int)(semi - b), b);
    char v3[64];
    const char *q = kgrl__c_ident(kgrl__c_skip(semi + 1), v3, sizeof v3);
    if (strcmp(v3, var) || strncmp(q, "++", 2) || kgrl__c_skip(q + 2) != e) return NULL;
    return e + 1;
}
static bool kgrl__c_mentions(const char *text, const char *word) {
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if ((p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) && kgrl__c_word(p, word)) return true;
    return false;
}
// Lines of [s, e) re-indented so the least indented one starts at column `col`.
static void kgrl__c_reindent(kgrl_buf *out, const char *s, const char *e, int col) {
    int least = 1 << 20;
    for (const char *l = s; l < e;) {
        const char *nl = (const char *)memchr(l, '\n', (size_t)(e - l)), *end = nl ? nl : e;
        int ind = 0;
        while (l + ind < end && l[ind] == ' ') ind++;
        if (l + ind < end && ind < least) least = ind;
        l = nl ? nl + 1 : e;
    }
    for (const char *l = s; l < e;) {
        const char *nl = (const char *)memchr(l, '\n', (size_t)(e - l)), *end = nl ? nl : e;
        int ind = 0;
        while (l + ind < end && l[ind] == ' ') ind++;
        if (l + ind < end) kgrl_buf_printf(out, "%*s%.*s\n", col, "", (int)(end - l - least), l + least);
        l = nl ? nl + 1 : e;
    }
}

// "(b0) * (b1) * ..." for the collected loops' bounds.
static void kgrl__c_product(kgrl_buf *out, char bounds[][256], int nv) {
    for (int k = 0; k < nv; k++) kgrl_buf_printf(out, "%s(%s)", k ? " * " : "", bounds[k]);
}

// The launcher's integer declarations: of `ints` (one a line, in order), those the bounds need,
// directly or through a later one.
static void kgrl__c_needed_ints(kgrl_buf *out, const kgrl_buf *ints, char bounds[][256], int nv) {
    kgrl_buf need = KGRL_ZERO;
    for (int k = 0; k < nv; k++) kgrl_buf_printf(&need, "%s ", bounds[k]);
    const char *lines[64];
    int n = 0;
    for (const char *l = ints->data; l && *l && n < 64; l = strchr(l, '\n') + 1) lines[n++] = l;
    bool keep[64] = {false};
    for (int i = n - 1; i >= 0; i--) {                        // "    TYPE name = init;": the name precedes " = " or ";"
        const char *end = strchr(lines[i], '\n'), *eq = strstr(lines[i], " = ");
        const char *ne = eq && eq < end ? eq : end - 1, *nb = ne;
        while (nb > lines[i] && (isalnum((unsigned char)nb[-1]) || nb[-1] == '_')) nb--;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(ne - nb), nb);
        kgrl_buf_puts(&need, "");
        if (!kgrl__c_mentions(need.data, name)) continue;
        keep[i] = true;
        kgrl_buf_printf(&need, " %.*s", (int)(end - lines[i]), lines[i]);
    }
    for (int i = 0; i < n; i++)
        if (keep[i]) kgrl_buf_append(out, lines[i], (size_t)(strchr(lines[i], '\n') + 1 - lines[i]));
    kgrl_buf_free(&need);
}

char *kgrl_task_port(const kgrl_task *t, kgrl_err *err) {
    char *body = kgrl__c_ref_body(t, err);
    if (!body) return NULL;
    kgrl_buf decls = KGRL_ZERO, ints = KGRL_ZERO, out = KGRL_ZERO;
    const char *nest, *nest_end;
    char vars[8][64], bounds[8][256];
    int nv = 0;
    bool ok = kgrl__c_split(t, body, &decls, &ints, &nest, &nest_end, err);
    kgrl_buf_puts(&decls, "");
    const char *inner = ok ? nest : NULL;
    // collect the outer perfectly nested loops whose bounds do not depend on each other
    while (ok && nv < 8) {
        const char *next = kgrl__c_simple_for(inner, vars[nv], sizeof vars[nv], bounds[nv], sizeof bounds[nv]);
        bool independent = next != NULL;
        for (int k = 0; next && k < nv; k++) independent &= !kgrl__c_mentions(bounds[nv], vars[k]);
        // a loop variable named like a local or parameter would be declared twice in the kernel
        if (next && (kgrl__c_mentions(decls.data, vars[nv]) || kgrl__c_is_param(t, vars[nv]))) independent = false;
        if (!independent) break;
        nv++;
        inner = kgrl__c_skip(next);
        if (!kgrl__c_word(inner, "for")) break;
    }
    if (ok && nv == 0) { kgrl_err_set(err, "%s: the outer loop is not for (long v = 0; v < bound; v++)", t->id); ok = false; }
    if (ok) {
        const char *s = inner, *e = nest_end;                 // the body of the innermost collected loop
        if (*s == '{') { s++; e--; while (e > s && *e != '}') e--; }
        if (kgrl__c_mentions(body, "INFINITY")) kgrl_buf_puts(&out, "#define INFINITY __int_as_float(0x7f800000)\n");
        if (kgrl__c_mentions(body, "NAN")) kgrl_buf_puts(&out, "#define NAN __int_as_float(0x7fffffff)\n");
        kgrl_buf_printf(&out, "// One thread per (%s", vars[0]);
        for (int k = 1; k < nv; k++) kgrl_buf_printf(&out, ", %s", vars[k]);
        kgrl_buf_puts(&out, "), the loop body as the plain C reference has it.\n__global__ void port_kernel(");
        for (int i = 0; i < t->nparams; i++) {
            const kgrl_task_param *q = &t->params[i];
            kgrl_buf_printf(&out, "%s%s %s", i ? ", " : "", q->kind == KGRL_PARAM_SIZE ? "long" : q->ctype, q->name);
        }
        kgrl_buf_printf(&out, ") {\n%s    long port_i = blockIdx.x * (long)blockDim.x + threadIdx.x;\n    if (port_i >= ", decls.data);
        kgrl__c_product(&out, bounds, nv);
        kgrl_buf_puts(&out, ") return;\n");
        for (int k = nv - 1; k > 0; k--)
            kgrl_buf_printf(&out, "    long %s = port_i %% (%s);\n    port_i /= (%s);\n", vars[k], bounds[k], bounds[k]);
        kgrl_buf_printf(&out, "    long %s = port_i;\n", vars[0]);
        kgrl__c_reindent(&out, s, e, 4);
        kgrl_buf_printf(&out, "}\n%s {\n", t->signature);
        kgrl__c_needed_ints(&out, &ints, bounds, nv);
        kgrl_buf_puts(&out, "    long port_n = ");
        kgrl__c_product(&out, bounds, nv);
        kgrl_buf_puts(&out, ";\n    port_kernel<<<(port_n + 255) / 256, 256>>>(");
        for (int i = 0; i < t->nparams; i++) kgrl_buf_printf(&out, "%s%s", i ? ", " : "", t->params[i].name);
        kgrl_buf_puts(&out, ");\n}\n");
        kgrl_candidate c;
        kgrl_candidate_parse(out.data, t->signature, false, &c);
        if (c.status != KGRL_STATUS_OK) { kgrl_err_set(err, "%s: the port's launcher fails the format stage: %s", t->id, c.message); ok = false; }
        kgrl_candidate_free(&c);
    }
    kgrl_buf_free(&decls); kgrl_buf_free(&ints);
    kgrl_free(body);
    if (!ok) { kgrl_buf_free(&out); return NULL; }
    return out.data;
}

// ---- splits and sampling -------------------------------------------------------------------
static bool kgrl__split_has(const int *ids, int n, int level, const kgrl_task *t) {
    if (t->level != level) return false;
    for (int i = 0; i < n; i++) if (ids[i] == t->number) return true;
    return false;
}

int kgrl_tasks_split(const kgrl_task_set *s, const char *name, uint64_t seed, int *idx, int cap, kgrl_err *err) {
    int n = 0;
#define KGRL__SPLIT_ADD(i) do { if (n < cap) idx[n] = (i); n++; } while (0)
    if (!strcmp(name, "all") || !strcmp(name, "level1") || !strcmp(name, "level2")) {
        int level = !strcmp(name, "all") ? 0 : name[5] - '0';
        for (int i = 0; i < s->n; i++)
            if (!s->tasks[i].excluded && (!level || s->tasks[i].level == level)) KGRL__SPLIT_ADD(i);
        return n;
    }
    if (!strcmp(name, "seed001_train") || !strcmp(name, "seed001_test")) {
        // Fisher-Yates over the non-excluded level-1 tasks; the first 20% (rounded) are the test set
        int m = 0;
        int *all = (int *)kgrl_malloc(sizeof(int) * (size_t)(s->n + 1));
        for (int i = 0; i < s->n; i++) if (s->tasks[i].level == 1 && !s->tasks[i].excluded) all[m++] = i;
        kgrl_rng r = kgrl_rng_make(seed, kgrl_stream_id("split seed001"));
        for (int i = m - 1; i > 0; i--) {
            int j = (int)kgrl_rng_below(&r, (uint32_t)(i + 1));
            int tmp = all[i]; all[i] = all[j]; all[j] = tmp;
        }
        int ntest = (m + 2) / 5; // 20% of 100 = 20
        bool test = !strcmp(name, "seed001_test");
        for (int i = test ? 0 : ntest; i < (test ? ntest : m); i++) KGRL__SPLIT_ADD(all[i]);
        kgrl_free(all);
        return n;
    }
    static const int rl[] = {52, 76};
    if (!strcmp(name, "seed002_rl")) {
        for (int i = 0; i < s->n; i++) if (!s->tasks[i].excluded && kgrl__split_has(rl, 2, 2, &s->tasks[i])) KGRL__SPLIT_ADD(i);
        return n;
    }
    if (!strcmp(name, "seed002_test") || !strcmp(name, "seed002_train")) {
        bool test = !strcmp(name, "seed002_test");
        for (int i = 0; i < s->n; i++) {
            const kgrl_task *t = &s->tasks[i];
            bool in_test = t->level == 2 && t->number >= 1 && t->number <= 20;
            if (t->excluded) continue;
            if (test ? in_test : (!in_test && !kgrl__split_has(rl, 2, 2, t))) KGRL__SPLIT_ADD(i);
        }
        return n;
    }
#undef KGRL__SPLIT_ADD
    kgrl_err_set(err, "unknown split \"%s\" (all, level1, level2, seed001_train, seed001_test, seed002_rl, seed002_train, seed002_test)", name);
    return -1;
}

void kgrl_task_sampler_init(kgrl_task_sampler *ts, const kgrl_task_set *s, uint64_t seed) {
    ts->n = s->n;
    ts->weight = (double *)kgrl_calloc((size_t)(s->n + 1), sizeof(double));
    for (int i = 0; i < s->n; i++) ts->weight[i] = s->tasks[i].excluded ? 0.0 : 1.0;
    ts->rng = kgrl_rng_make(seed, kgrl_stream_id("task sampler"));
}
void kgrl_task_sampler_set(kgrl_task_sampler *ts, int i, double w) {
    KGRL_CHECK(i >= 0 && i < ts->n, "task sampler: index %d out of range [0, %d)", i, ts->n);
    KGRL_CHECK(w >= 0 && isfinite(w), "task sampler: weight %g must be finite and >= 0", w);
    ts->weight[i] = w;
}
int kgrl_task_sampler_next(kgrl_task_sampler *ts) {
    double total = 0;
    for (int i = 0; i < ts->n; i++) total += ts->weight[i];
    if (total <= 0) return -1;
    // a 53-bit uniform from two draws, so small weights are not lost to 24-bit rounding
    double u = ((double)(kgrl_rng_u32(&ts->rng) >> 5) * 67108864.0 + (double)(kgrl_rng_u32(&ts->rng) >> 6)) / 9007199254740992.0;
    double x = u * total, acc = 0;
    int last = -1;
    for (int i = 0; i < ts->n; i++) {
        if (ts->weight[i] <= 0) continue;
        acc += ts->weight[i];
        last = i;
        if (x < acc) return i;
    }
    return last;
}
void kgrl_task_sampler_free(kgrl_task_sampler *ts) { kgrl_free(ts->weight); ts->weight = NULL; ts->n = 0; }
