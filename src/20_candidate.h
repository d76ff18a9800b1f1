// Candidates (DESIGN §3.1): extract the code block of a completion, split it into device code (for
// NVRTC) and the host launcher `forward`, which is parsed and *interpreted*, never compiled. The
// interpreter records the launch sequence forward makes for one set of sizes; the verifier replays
// it. Forbidden constructs are rejected before compilation with a message naming them and their line.

// Verdict statuses (DESIGN §3.6). Stage order: format/static → compile → smoke → correctness → timing.
typedef enum kgrl_status {
    KGRL_STATUS_OK,
    KGRL_STATUS_FORMAT_ERROR,       // no code block defining forward
    KGRL_STATUS_STATIC_REJECT,      // a forbidden construct, or forward does not match the signature
    KGRL_STATUS_COMPILE_ERROR,      // NVRTC failed, or a launched kernel name does not resolve
    KGRL_STATUS_LAUNCH_ERROR,       // invalid launch configuration, arg mismatch, launcher runtime error
    KGRL_STATUS_RUNTIME_FAULT,      // illegal address, trap, misaligned access ...
    KGRL_STATUS_TIMEOUT,            // watchdog
    KGRL_STATUS_WRONG_OUTPUT,
    KGRL_STATUS_INPUT_MUTATED,
    KGRL_STATUS_NONDETERMINISTIC,
    KGRL_STATUS_IMPOSSIBLE_SPEED,
    KGRL_STATUS_OUT_OF_MEMORY,      // scratch allocation over the budget
    KGRL_STATUS_COUNT
} kgrl_status;
KGRL_API const char *kgrl_status_name(kgrl_status s);       // "ok", "format_error", ...
KGRL_API bool kgrl_status_from_name(const char *name, kgrl_status *out);

// Values the interpreter computes with (C semantics: int is 32-bit, long 64-bit, size_t unsigned
// 64-bit; the usual arithmetic conversions). Pointers are symbolic: a buffer id plus a byte offset.
// Buffer ids: 0..nparams-1 are the signature's tensor params (by param index); scratch buffers from
// cudaMalloc get ids from KGRL_SCRATCH_BASE upward, in allocation order.
typedef enum kgrl_vtype {
    KGRL_VT_VOID, KGRL_VT_BOOL, KGRL_VT_INT, KGRL_VT_UINT, KGRL_VT_LONG, KGRL_VT_ULONG,
    KGRL_VT_FLOAT, KGRL_VT_DOUBLE, KGRL_VT_PTR
} kgrl_vtype;
#define KGRL_SCRATCH_BASE 1000
typedef struct kgrl_value {
    kgrl_vtype type;
    int64_t i;                      // BOOL, INT, LONG (and UINT, ULONG as bit patterns)
    double d;                       // FLOAT (already rounded to float), DOUBLE
    int buf; int64_t offset;        // PTR
} kgrl_value;

// A kernel declared in the device code, as parsed: name, template parameters, parameter types.
#define KGRL_MAX_KERNEL_PARAMS 48
typedef struct kgrl_kernel_decl {
    char name[128];
    int ntemplate; char template_params[8][64];      // "typename T", "int BS"
    int nparams; char param_types[KGRL_MAX_KERNEL_PARAMS][64]; // "const float*", "int", "T", "float4*"
    int line;
} kgrl_kernel_decl;

typedef struct kgrl_candidate {
    kgrl_status status;             // OK, FORMAT_ERROR or STATIC_REJECT after parsing
    char message[1024];             // for errors: what and where ("line 12: cudaMemcpy is not allowed in forward")
    char *code;                     // the extracted code block
    char *device_src;               // code with forward blanked out (line numbers kept), for NVRTC
    int nkernel_bodies; int *kernel_body_at; // byte offsets in device_src of each kernel definition's '{'
    int nkernels; kgrl_kernel_decl *kernels;
    int nname_exprs; char **name_exprs;  // distinct kernels/instantiations forward can launch, normalized: "k", "k<float, 128>"
    void *priv;                     // parsed launcher
} kgrl_candidate;

// Parse a completion (any text; the code is the last fenced block ```cuda/cpp/c++/c/cu or bare that
// defines forward; a completion that is only code is accepted too). `signature` is the task's
// ("void forward(const float* x, float* out, int n)"): forward must match its types in order.
// allow_builtins: references may call kgrl_gemm, kgrl_gemm_batched, kgrl_conv (TASK_FORMAT.md).
// Always returns a candidate to free; check ->status.
//
// What forward may contain, beyond TASK_FORMAT.md's list (all harmless, none touches memory):
// std::min<T>/std::max<T>; the exactly rounded scalar math sqrt(f), ceil(f), floor(f), fabs(f), abs;
// cudaGetLastError(), cudaPeekAtLastError(), cudaDeviceSynchronize() (no-ops: the kit checks errors
// and synchronizes itself); cudaError_t locals and cudaSuccess; object-like macros and file-scope
// const/constexpr scalars (a macro defined in two #if branches is ambiguous and rejected). Includes:
// only headers NVRTC can compile on its own (the table kgrl__headers in the implementation).
// Kernels launched by forward must be defined once, with scalar or pointer parameters. Template
// arguments must be constants; name_exprs spell them as C++ literals of the parameter's type
// ("k<float, 256>", "k<32u>" for unsigned, "k<true>").
KGRL_API void kgrl_candidate_parse(const char *completion, const char *signature, bool allow_builtins, kgrl_candidate *out);
KGRL_API void kgrl_candidate_free(kgrl_candidate *c);

// The launch sequence forward performs for one assignment of its parameters.
typedef enum kgrl_op_kind {
    KGRL_OP_LAUNCH,                 // name_expr, grid, block, smem, args (converted to the kernel's param types)
    KGRL_OP_MALLOC,                 // buf (new scratch id), bytes
    KGRL_OP_FREE,                   // buf
    KGRL_OP_MEMSET,                 // buf, offset, bytes, memset_value
    KGRL_OP_SET_MAX_DSMEM,          // name_expr, bytes (cudaFuncAttributeMaxDynamicSharedMemorySize)
    KGRL_OP_BUILTIN                 // builtin name, args in order (brace lists flattened)
} kgrl_op_kind;
typedef struct kgrl_op {
    kgrl_op_kind kind;
    int line;                       // line in the code block, for messages
    int name_expr;                  // index into name_exprs
    uint32_t grid[3], block[3];
    uint64_t smem;
    int nargs; kgrl_value *args;
    int buf; int64_t offset; uint64_t bytes; int memset_value;
    char builtin[32];
} kgrl_op;
typedef struct kgrl_launch_seq { int nops; kgrl_op *ops; int nscratch; } kgrl_launch_seq;

// Run forward on `args` (one per signature parameter, in order; tensor params are
// {KGRL_VT_PTR, .buf = param index, .offset = 0}; sizes/scalars are their values). Returns false
// with status LAUNCH_ERROR (or STATIC_REJECT for constructs only detectable at run time, such as
// cudaMemset on a const pointer) and a message naming the line on: division by zero, an iteration
// budget exceeded (1e6 statements), more than 4096 ops, grid/block dimensions out of range, kernel
// argument count/type mismatch, a variable read before it is set, misuse of scratch (double free,
// use after free, free of a tensor). A launch of an undeclared kernel is rejected by the parse.
// Pointer offsets are NOT bounds-checked here: the launcher does not know tensor byte sizes, so
// the runtime checks buf + offset when it resolves a pointer. Launch args are converted to the
// kernel's parameter types (INT/UINT 4 bytes, LONG/ULONG/DOUBLE/PTR 8, FLOAT 4, BOOL 1).
KGRL_API bool kgrl_candidate_record(const kgrl_candidate *c, const kgrl_value *args, int nargs,
                                    kgrl_launch_seq *out, kgrl_status *status, char *message, size_t message_cap);
KGRL_API void kgrl_launch_seq_free(kgrl_launch_seq *s);

// kgrl:implementation

// ---------------------------------------------------------------------------------------------
// Candidates, implementation. Reading order: status names; the lexer (CUDA C++ tokens); code
// block extraction; types; the file-scope scan (macros, includes, kernels, constants, forward);
// the parser of forward's body into a small AST; the tree-walking evaluator that records the
// launch sequence; the public functions.
//
// What the launcher cannot check and leaves to the runtime: whether a pointer offset stays
// inside its buffer (tensor byte sizes are not known here), shared-memory limits of the device,
// and whether a scratch allocation fits the budget. Deliberate departures from C++, all stricter:
// a grid/block/dim3 value outside [0, 2^32) is an error (C++ would silently wrap), signed integer
// overflow wraps (C++ leaves it undefined), and float->int conversions out of range are errors.
// ---------------------------------------------------------------------------------------------

static const char *const kgrl__status_names[KGRL_STATUS_COUNT] = {
    "ok", "format_error", "static_reject", "compile_error", "launch_error", "runtime_fault", "timeout",
    "wrong_output", "input_mutated", "nondeterministic", "impossible_speed", "out_of_memory"};

const char *kgrl_status_name(kgrl_status s) {
    return (int)s >= 0 && s < KGRL_STATUS_COUNT ? kgrl__status_names[s] : "unknown";
}
bool kgrl_status_from_name(const char *name, kgrl_status *out) {
    for (int i = 0; i < KGRL_STATUS_COUNT; i++)
        if (strcmp(name, kgrl__status_names[i]) == 0) { *out = (kgrl_status)i; return true; }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Lexer. Tokens point into the code (start, len); keywords are identifiers. Multi-character
// punctuators get codes above 255, single ones their character. A preprocessor line (a '#' first
// on its line) is one PP token up to the end of the line (backslash-newline continues it).
enum { KGRL__T_EOF, KGRL__T_IDENT, KGRL__T_NUM, KGRL__T_STR, KGRL__T_CHAR, KGRL__T_PP, KGRL__T_PUNCT };
enum {
    KGRL__P_SHL = 256, KGRL__P_SHR, KGRL__P_LAUNCH_L, KGRL__P_LAUNCH_R, KGRL__P_LE, KGRL__P_GE,
    KGRL__P_EQ, KGRL__P_NE, KGRL__P_AND, KGRL__P_OR, KGRL__P_INC, KGRL__P_DEC, KGRL__P_ARROW,
    KGRL__P_SCOPE, KGRL__P_ELLIPSIS, KGRL__P_ADD_A, KGRL__P_SUB_A, KGRL__P_MUL_A, KGRL__P_DIV_A,
    KGRL__P_MOD_A, KGRL__P_AND_A, KGRL__P_OR_A, KGRL__P_XOR_A, KGRL__P_SHL_A, KGRL__P_SHR_A,
    KGRL__P_HASHHASH, KGRL__P_DOTSTAR, KGRL__P_ARROWSTAR
};
static const struct { const char *s; int code; } kgrl__puncts[] = {
    {"<<<", KGRL__P_LAUNCH_L}, {">>>", KGRL__P_LAUNCH_R}, {"<<=", KGRL__P_SHL_A}, {">>=", KGRL__P_SHR_A},
    {"...", KGRL__P_ELLIPSIS}, {"->*", KGRL__P_ARROWSTAR}, {"<<", KGRL__P_SHL}, {">>", KGRL__P_SHR},
    {"<=", KGRL__P_LE}, {">=", KGRL__P_GE}, {"==", KGRL__P_EQ}, {"!=", KGRL__P_NE}, {"&&", KGRL__P_AND},
    {"||", KGRL__P_OR}, {"++", KGRL__P_INC}, {"--", KGRL__P_DEC}, {"->", KGRL__P_ARROW},
    {"::", KGRL__P_SCOPE}, {"+=", KGRL__P_ADD_A}, {"-=", KGRL__P_SUB_A}, {"*=", KGRL__P_MUL_A},
    {"/=", KGRL__P_DIV_A}, {"%=", KGRL__P_MOD_A}, {"&=", KGRL__P_AND_A}, {"|=", KGRL__P_OR_A},
    {"^=", KGRL__P_XOR_A}, {"##", KGRL__P_HASHHASH}, {".*", KGRL__P_DOTSTAR},
};

typedef struct kgrl__tok {
    int kind, p;            // kind; punctuator code for PUNCT
    int start, len;         // text in the code
    int line;
    int site, site_end;     // bytes of the code this token stands for (the macro name for expansions)
    int macro;              // object-like macro it was expanded from (-1: written in the code)
    int fnm;                // >= 0: the name of a function-like macro, used with '('
} kgrl__tok;

typedef struct kgrl__toks { kgrl__tok *t; int n, cap; } kgrl__toks;
static void kgrl__toks_push(kgrl__toks *a, kgrl__tok t) {
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 256;
        a->t = (kgrl__tok *)kgrl_realloc(a->t, (size_t)a->cap * sizeof(kgrl__tok));
    }
    a->t[a->n++] = t;
}

static void kgrl__scpy(char *d, size_t cap, const char *s) { // bounded copy, always terminated
    size_t n = strlen(s);
    if (n >= cap) n = cap - 1;
    memcpy(d, s, n);
    d[n] = 0;
}
static void kgrl__scat(char *d, size_t cap, const char *s) { size_t l = strlen(d); if (l + 1 < cap) kgrl__scpy(d + l, cap - l, s); }

static bool kgrl__is_id0(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool kgrl__is_id(int c) { return kgrl__is_id0(c) || (c >= '0' && c <= '9'); }
static bool kgrl__is_digit(int c) { return c >= '0' && c <= '9'; }

// Tokenize code[begin, end). pp: recognize preprocessor lines (off when re-lexing one of them).
static bool kgrl__lex(const char *code, int begin, int end, int line, bool pp, kgrl__toks *out, char *msg, size_t cap) {
    int i = begin;
    bool line_start = true;
    while (i < end) {
        int c = (unsigned char)code[i];
        if (c == '\n') { line++; i++; line_start = true; continue; }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') { i++; continue; }
        if (c == '\\' && i + 1 < end && (code[i + 1] == '\n' || (code[i + 1] == '\r' && i + 2 < end && code[i + 2] == '\n'))) {
            i += code[i + 1] == '\n' ? 2 : 3; line++; continue; // line splice
        }
        if (c == '/' && i + 1 < end && code[i + 1] == '/') { while (i < end && code[i] != '\n') i++; continue; }
        if (c == '/' && i + 1 < end && code[i + 1] == '*') {
            int l0 = line;
            i += 2;
            while (i + 1 < end && !(code[i] == '*' && code[i + 1] == '/')) { if (code[i] == '\n') line++; i++; }
            if (i + 1 >= end) { snprintf(msg, cap, "line %d: unterminated /* comment", l0); return false; }
            i += 2;
            continue;
        }
        kgrl__tok t;
        memset(&t, 0, sizeof t);
        t.start = i; t.line = line; t.macro = -1; t.fnm = -1;
        if (pp && c == '#' && line_start) {
            // the directive runs to the end of the line; comments and splices inside are skipped
            t.kind = KGRL__T_PP;
            while (i < end && code[i] != '\n') {
                if (code[i] == '\\' && i + 1 < end && code[i + 1] == '\n') { i += 2; line++; continue; }
                if (code[i] == '/' && i + 1 < end && code[i + 1] == '/') { while (i < end && code[i] != '\n') i++; break; }
                if (code[i] == '/' && i + 1 < end && code[i + 1] == '*') {
                    i += 2;
                    while (i + 1 < end && !(code[i] == '*' && code[i + 1] == '/')) { if (code[i] == '\n') line++; i++; }
                    if (i + 1 >= end) { snprintf(msg, cap, "line %d: unterminated /* comment", t.line); return false; }
                    i += 2; continue;
                }
                i++;
            }
        } else if (kgrl__is_id0(c)) {
            // raw string literal R"delim( ... )delim" (also u8R, LR, uR, UR)
            int j = i;
            while (j < end && kgrl__is_id(code[j])) j++;
            bool raw = j < end && code[j] == '"' && code[j - 1] == 'R' &&
                       (j - i == 1 || ((j - i == 2) && (code[i] == 'L' || code[i] == 'u' || code[i] == 'U')) ||
                        (j - i == 3 && code[i] == 'u' && code[i + 1] == '8'));
            if (raw) {
                int d0 = j + 1, d1 = d0;
                while (d1 < end && code[d1] != '(' && d1 - d0 <= 16) d1++;
                if (d1 >= end || code[d1] != '(') { snprintf(msg, cap, "line %d: bad raw string literal", line); return false; }
                int k = d1 + 1;
                for (;; k++) {
                    if (k >= end) { snprintf(msg, cap, "line %d: unterminated raw string literal", t.line); return false; }
                    if (code[k] == '\n') line++;
                    int dl = d1 - d0;
                    if (code[k] == ')' && k + 1 + dl < end && memcmp(code + k + 1, code + d0, (size_t)dl) == 0 && code[k + 1 + dl] == '"') break;
                }
                t.kind = KGRL__T_STR;
                i = k + 2 + (d1 - d0);
            } else if (j < end && (code[j] == '"' || code[j] == '\'') &&
                       ((j - i == 1 && (code[i] == 'L' || code[i] == 'u' || code[i] == 'U')) || (j - i == 2 && code[i] == 'u' && code[i + 1] == '8'))) {
                i = j; // encoding prefix: lexed with the literal below
                goto literal;
            } else {
                t.kind = KGRL__T_IDENT;
                i = j;
            }
        } else if (kgrl__is_digit(c) || (c == '.' && i + 1 < end && kgrl__is_digit(code[i + 1]))) {
            // pp-number: digits, letters, '.', digit separators, and signs after an exponent letter
            t.kind = KGRL__T_NUM;
            i++;
            while (i < end) {
                int d = code[i];
                if ((d == '+' || d == '-') && (code[i - 1] == 'e' || code[i - 1] == 'E' || code[i - 1] == 'p' || code[i - 1] == 'P')) { i++; continue; }
                if (kgrl__is_id(d) || d == '.' || (d == '\'' && i + 1 < end && kgrl__is_id(code[i + 1]))) { i++; continue; }
                break;
            }
        } else if (c == '"' || c == '\'') {
        literal:
            c = (unsigned char)code[i];
            t.kind = c == '"' ? KGRL__T_STR : KGRL__T_CHAR;
            i++;
            while (i < end && code[i] != c) {
                if (code[i] == '\n') { snprintf(msg, cap, "line %d: unterminated %s literal", t.line, c == '"' ? "string" : "character"); return false; }
                if (code[i] == '\\' && i + 1 < end) i++;
                i++;
            }
            if (i >= end) { snprintf(msg, cap, "line %d: unterminated %s literal", t.line, c == '"' ? "string" : "character"); return false; }
            i++;
        } else {
            t.kind = KGRL__T_PUNCT;
            t.p = 0;
            for (size_t k = 0; k < sizeof kgrl__puncts / sizeof kgrl__puncts[0]; k++) {
                int n = (int)strlen(kgrl__puncts[k].s);
                if (i + n <= end && memcmp(code + i, kgrl__puncts[k].s, (size_t)n) == 0) { t.p = kgrl__puncts[k].code; i += n; break; }
            }
            if (!t.p) {
                if (!strchr("{}[]()<>;:,.?!~+-*/%^&|=#", c) || c == 0) {
                    if (c >= 32 && c < 127) snprintf(msg, cap, "line %d: unexpected character '%c'", line, c);
                    else snprintf(msg, cap, "line %d: unexpected byte 0x%02x outside a string or comment", line, c);
                    return false;
                }
                t.p = c;
                i++;
            }
        }
        line_start = false;
        t.len = i - t.start;
        t.site = t.start; t.site_end = i;
        kgrl__toks_push(out, t);
    }
    kgrl__tok eof;
    memset(&eof, 0, sizeof eof);
    eof.kind = KGRL__T_EOF; eof.start = eof.site = eof.site_end = end; eof.line = line; eof.macro = -1; eof.fnm = -1;
    kgrl__toks_push(out, eof);
    return true;
}

static bool kgrl__teq(const char *code, const kgrl__tok *t, const char *s) {
    size_t n = strlen(s);
    return t->kind == KGRL__T_IDENT && (size_t)t->len == n && memcmp(code + t->start, s, n) == 0;
}
static bool kgrl__tp(const kgrl__tok *t, int p) { return t->kind == KGRL__T_PUNCT && t->p == p; }
static void kgrl__tcopy(const char *code, const kgrl__tok *t, char *dst, size_t cap) {
    size_t n = (size_t)t->len < cap - 1 ? (size_t)t->len : cap - 1;
    memcpy(dst, code + t->start, n);
    dst[n] = 0;
}

// ---------------------------------------------------------------------------------------------
// Extraction: the last fenced block (```cuda, cpp, c++, c, cu or bare) that defines forward; a
// completion with no fence at all is taken whole if it defines forward.

// Does this code define forward at brace depth 0 (forward ( ... ) [qualifiers] { )?
static bool kgrl__defines_forward(const char *code, int len) {
    kgrl__toks a = {NULL, 0, 0};
    char msg[256];
    bool found = false;
    if (!kgrl__lex(code, 0, len, 1, true, &a, msg, sizeof msg)) {
        // the block does not even lex: decide on the text, the real error is reported later
        for (const char *p = code; (p = strstr(p, "forward")) != NULL && p < code + len; p += 7) {
            const char *q = p + 7;
            while (*q == ' ' || *q == '\t') q++;
            if (*q == '(' && (p == code || !kgrl__is_id(p[-1]))) { found = true; break; }
        }
        kgrl_free(a.t);
        return found;
    }
    // depth counts braces, except those of an extern "C" { } block (stack: which braces count)
    int depth = 0, nopen = 0;
    bool counts[256];
    for (int i = 0; i < a.n && !found; i++) {
        kgrl__tok *t = &a.t[i];
        if (kgrl__tp(t, '{')) {
            bool link = i >= 2 && a.t[i - 1].kind == KGRL__T_STR && kgrl__teq(code, &a.t[i - 2], "extern");
            if (nopen < 256) counts[nopen] = !link;
            nopen++;
            depth += !link;
        } else if (kgrl__tp(t, '}')) {
            if (nopen > 0) { nopen--; depth -= nopen < 256 ? counts[nopen] : 1; }
        }
        else if (depth == 0 && kgrl__teq(code, t, "forward") && kgrl__tp(&a.t[i + 1], '(')) {
            int pd = 0, j = i + 1;
            for (; j < a.n && a.t[j].kind != KGRL__T_EOF; j++) {
                if (kgrl__tp(&a.t[j], '(')) pd++;
                else if (kgrl__tp(&a.t[j], ')') && --pd == 0) break;
            }
            for (j++; j < a.n && a.t[j].kind == KGRL__T_IDENT; j++) {} // const, noexcept, ...
            if (j < a.n && kgrl__tp(&a.t[j], '{')) found = true;
        }
    }
    kgrl_free(a.t);
    return found;
}

// Returns a copy of the code (kgrl_free it) or NULL with a message.
static char *kgrl__extract(const char *text, char *msg, size_t cap) {
    const char *best = NULL; size_t best_len = 0;
    int nblocks = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (!eol) eol = p + strlen(p);
        const char *q = p;
        while (q < eol && (*q == ' ' || *q == '\t')) q++;
        if (eol - q >= 3 && memcmp(q, "```", 3) == 0) {
            // opening fence: the info string names the language
            char info[32] = {0};
            const char *s = q + 3;
            while (s < eol && (*s == '`')) s++;
            while (s < eol && (*s == ' ' || *s == '\t')) s++;
            int n = 0;
            while (s < eol && *s != ' ' && *s != '\t' && *s != '\r' && n < 31) info[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s), s++;
            bool ok_lang = n == 0 || !strcmp(info, "cuda") || !strcmp(info, "cpp") || !strcmp(info, "c++") ||
                           !strcmp(info, "c") || !strcmp(info, "cu");
            const char *body = *eol ? eol + 1 : eol, *b = body, *body_end = NULL;
            while (*b) {
                const char *e = strchr(b, '\n');
                if (!e) e = b + strlen(b);
                const char *r = b;
                while (r < e && (*r == ' ' || *r == '\t')) r++;
                if (e - r >= 3 && memcmp(r, "```", 3) == 0) { body_end = b; break; }
                b = *e ? e + 1 : e;
            }
            // an unclosed fence runs to the end (generation stopped at the closing ```)
            size_t blen = (size_t)((body_end ? body_end : b) - body);
            nblocks++;
            if (ok_lang && kgrl__defines_forward(body, (int)blen)) { best = body; best_len = blen; }
            if (!body_end) break;
            const char *e = strchr(body_end, '\n');
            p = e ? e + 1 : body_end + strlen(body_end);
            continue;
        }
        p = *eol ? eol + 1 : eol;
    }
    if (!best && nblocks == 0 && kgrl__defines_forward(text, (int)strlen(text))) { best = text; best_len = strlen(text); }
    if (!best) {
        if (nblocks) snprintf(msg, cap, "no code block defines forward (%d code block%s, none with a definition of forward)", nblocks, nblocks == 1 ? "" : "s");
        else snprintf(msg, cap, "no code block defines forward (no ``` fence, and the text is not code defining forward)");
        return NULL;
    }
    char *code = (char *)kgrl_malloc(best_len + 1);
    memcpy(code, best, best_len);
    code[best_len] = 0;
    return code;
}

// ---------------------------------------------------------------------------------------------
// Types. Canonical spelling: "const float*", "unsigned int", "long long", "float4*" — cv of the
// element first, then one '*' per pointer level; top-level const is dropped (it does not change a
// parameter's type in C++); __restrict__ and friends are dropped.
typedef struct kgrl__type {
    kgrl_vtype vt;          // VOID for an unsupported by-value type (struct, float4, half ...)
    bool dim3, cpointee;    // dim3 value; pointer to const
    int esize;              // pointer: element bytes (0 void, -1 unknown)
} kgrl__type;

static const struct { const char *name; kgrl_vtype vt; int size; } kgrl__typetab[] = {
    {"bool", KGRL_VT_BOOL, 1}, {"int", KGRL_VT_INT, 4}, {"unsigned int", KGRL_VT_UINT, 4},
    {"long", KGRL_VT_LONG, 8}, {"unsigned long", KGRL_VT_ULONG, 8}, {"long long", KGRL_VT_LONG, 8},
    {"unsigned long long", KGRL_VT_ULONG, 8}, {"size_t", KGRL_VT_ULONG, 8}, {"int64_t", KGRL_VT_LONG, 8},
    {"uint64_t", KGRL_VT_ULONG, 8}, {"int32_t", KGRL_VT_INT, 4}, {"uint32_t", KGRL_VT_UINT, 4},
    {"ptrdiff_t", KGRL_VT_LONG, 8}, {"float", KGRL_VT_FLOAT, 4}, {"double", KGRL_VT_DOUBLE, 8},
    {"cudaError_t", KGRL_VT_INT, 4},
    // element types only (pointees; not values the launcher computes with)
    {"void", KGRL_VT_VOID, 0}, {"char", KGRL_VT_VOID, 1}, {"signed char", KGRL_VT_VOID, 1},
    {"unsigned char", KGRL_VT_VOID, 1}, {"int8_t", KGRL_VT_VOID, 1}, {"uint8_t", KGRL_VT_VOID, 1},
    {"short", KGRL_VT_VOID, 2}, {"unsigned short", KGRL_VT_VOID, 2}, {"int16_t", KGRL_VT_VOID, 2},
    {"uint16_t", KGRL_VT_VOID, 2}, {"half", KGRL_VT_VOID, 2}, {"__half", KGRL_VT_VOID, 2},
    {"__nv_bfloat16", KGRL_VT_VOID, 2}, {"nv_bfloat16", KGRL_VT_VOID, 2}, {"half2", KGRL_VT_VOID, 4},
    {"__half2", KGRL_VT_VOID, 4}, {"__nv_bfloat162", KGRL_VT_VOID, 4}, {"nv_bfloat162", KGRL_VT_VOID, 4},
    {"float2", KGRL_VT_VOID, 8}, {"float3", KGRL_VT_VOID, 12}, {"float4", KGRL_VT_VOID, 16},
    {"double2", KGRL_VT_VOID, 16}, {"int2", KGRL_VT_VOID, 8}, {"int3", KGRL_VT_VOID, 12},
    {"int4", KGRL_VT_VOID, 16}, {"uint2", KGRL_VT_VOID, 8}, {"uint4", KGRL_VT_VOID, 16},
    {"char4", KGRL_VT_VOID, 4}, {"uchar4", KGRL_VT_VOID, 4}, {"short2", KGRL_VT_VOID, 4},
    {"longlong2", KGRL_VT_VOID, 16},
};

static int kgrl__typetab_find(const char *base) {
    for (size_t k = 0; k < sizeof kgrl__typetab / sizeof kgrl__typetab[0]; k++)
        if (strcmp(kgrl__typetab[k].name, base) == 0) return (int)k;
    return -1;
}

// The launcher's type for a canonical type string.
static kgrl__type kgrl__type_of(const char *canon) {
    kgrl__type ty;
    memset(&ty, 0, sizeof ty);
    char base[128];
    kgrl__scpy(base, sizeof base, canon);
    int nptr = 0;
    size_t n = strlen(base);
    while (n && (base[n - 1] == '*' || base[n - 1] == ' ')) { if (base[n - 1] == '*') nptr++; base[--n] = 0; }
    bool c = strncmp(base, "const ", 6) == 0;
    const char *b = c ? base + 6 : base;
    int k = kgrl__typetab_find(b);
    if (nptr == 1) { ty.vt = KGRL_VT_PTR; ty.cpointee = c; ty.esize = k >= 0 ? kgrl__typetab[k].size : -1; }
    else if (nptr == 0 && strcmp(b, "dim3") == 0) ty.dim3 = true;
    else if (nptr == 0 && k >= 0) ty.vt = kgrl__typetab[k].vt;
    else ty.vt = KGRL_VT_VOID;
    return ty;
}

static int kgrl__vsize(kgrl_vtype t) {
    return t == KGRL_VT_BOOL ? 1 : (t == KGRL_VT_INT || t == KGRL_VT_UINT || t == KGRL_VT_FLOAT) ? 4 : 8;
}

// ---------------------------------------------------------------------------------------------
// The parsed program.
typedef struct kgrl__macro { char name[64]; int body, nbody; bool fn, defined, ambiguous; } kgrl__macro;
typedef struct kgrl__alias { char name[64]; char canon[128]; } kgrl__alias;
enum { KGRL__G_CONST, KGRL__G_DEVVAR, KGRL__G_HOSTVAR };
typedef struct kgrl__global {
    char name[128]; int kind, line;
    char canon[128];        // CONST: its type
    int init, init_end;     // CONST: initializer tokens (X indices)
    int node, state;        // CONST: parsed initializer (0 not yet, 1 parsing, 2 done)
} kgrl__global;
typedef struct kgrl__tparam { bool is_type; char name[64]; int def, def_end; } kgrl__tparam; // default: X range (def < 0: none)
typedef struct kgrl__kernel {
    int ptype[KGRL_MAX_KERNEL_PARAMS][2];   // X ranges of the parameter types
    int nparams, ntp;
    kgrl__tparam tp[8];
    bool is_def;
} kgrl__kernel;
typedef struct kgrl__inst {                  // one kernel instantiation (one name expression)
    int kernel; char name[256];
    int nparams; kgrl__type pt[KGRL_MAX_KERNEL_PARAMS]; char pcanon[KGRL_MAX_KERNEL_PARAMS][64];
} kgrl__inst;
typedef struct kgrl__slot { char name[64]; kgrl__type ty; bool is_const, is_auto; int const_init; } kgrl__slot;

enum {
    // expressions
    KGRL__N_LIT, KGRL__N_VAR, KGRL__N_GLOBAL, KGRL__N_UNARY, KGRL__N_INCDEC, KGRL__N_BINARY,
    KGRL__N_LOGIC, KGRL__N_COND, KGRL__N_ASSIGN, KGRL__N_CAST, KGRL__N_MEMBER, KGRL__N_DIM3,
    KGRL__N_MINMAX, KGRL__N_COMMA, KGRL__N_NOOP, KGRL__N_LAUNCH, KGRL__N_ATTR, KGRL__N_MALLOC,
    KGRL__N_FREE, KGRL__N_MEMSET, KGRL__N_BUILTIN, KGRL__N_LIST, KGRL__N_MATH,
    // statements
    KGRL__S_EXPR, KGRL__S_DECL, KGRL__S_BLOCK, KGRL__S_IF, KGRL__S_FOR, KGRL__S_WHILE, KGRL__S_DO,
    KGRL__S_BREAK, KGRL__S_CONTINUE, KGRL__S_RETURN, KGRL__S_EMPTY
};
typedef struct kgrl__node {
    int kind, line, op;     // op: operator token code, builtin index, INCDEC: +1/-1 and prefix flag
    int a, b, c, d;         // children (-1: none)
    int kids, nkids;        // children list (P->kids)
    int slot, idx;          // VAR/DECL/MALLOC: slot; LAUNCH/ATTR: instance; GLOBAL: global index
    kgrl__type ty;          // CAST, DECL
    kgrl_value lit;         // LIT
} kgrl__node;

typedef struct kgrl__prog {
    const char *code;
    kgrl__toks raw, pp, X;          // tokens as written; re-lexed directives; macro-expanded stream
    kgrl__macro *macros; int nmacros, cmacros;
    kgrl__alias *aliases; int naliases, caliases;
    kgrl__global *globals; int nglobals, cglobals;
    kgrl__kernel *kernels; int nkernels, ckernels;
    kgrl_kernel_decl *decls;        // parallel to kernels
    kgrl__inst *insts; int ninsts, cinsts;
    kgrl__slot *slots; int nslots, cslots;
    kgrl__node *nodes; int nnodes, cnodes;
    int *kids; int nkids, ckids;
    // forward
    int nfwd, fwd_line, fwd_site, fwd_site_end;
    int ndrop, drop_start[32], drop_end[32];   // #include lines of host runtime headers, blanked for NVRTC
    int *kbody; int nkbody, ckbody; // byte offsets in code of each kernel definition's '{', in order
    int fwd_params, fwd_params_end, fwd_body, fwd_body_end; // X ranges: inside the parens / braces
    int nparams;                    // slots 0..nparams-1 are forward's parameters
    int body;                       // root statement
    bool allow_builtins;
    // parser state
    int pos, end, no_gt, depth, loops, block_base;
    int *scope; int nscope, cscope;
    // first error
    bool err; kgrl_status status; char msg[1024];
} kgrl__prog;

static void *kgrl__grow(void *p, int n, int *cap, size_t esz) {
    if (n < *cap) return p;
    *cap = *cap ? 2 * *cap : 16;
    return kgrl_realloc(p, (size_t)*cap * esz);
}

static void kgrl__fail(kgrl__prog *P, kgrl_status st, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void kgrl__fail(kgrl__prog *P, kgrl_status st, int line, const char *fmt, ...) {
    if (P->err) return; // the first error is the one reported
    P->err = true;
    P->status = st;
    int n = line > 0 ? snprintf(P->msg, sizeof P->msg, "line %d: ", line) : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->msg + n, sizeof P->msg - (size_t)n, fmt, ap);
    va_end(ap);
}
#define KGRL__REJECT(P, line, ...) kgrl__fail(P, KGRL_STATUS_STATIC_REJECT, line, __VA_ARGS__)

static const char *kgrl__txt(const kgrl__prog *P, const kgrl__tok *t, char *buf, size_t cap) {
    kgrl__tcopy(P->code, t, buf, cap);
    return buf;
}

// Canonical type of tokens X[b, e) with template parameters substituted (names[k] -> vals[k]).
// Aliases (typedef/using) are resolved. Returns false (no message) on something that is not a type.
static bool kgrl__canon(const kgrl__prog *P, int b, int e, int nsub, const kgrl__tparam *names, char (*vals)[128],
                        char *out, size_t cap);

// Canonicalize a list of words (already split: identifiers, "*", "const", "&", "::" joined).
static bool kgrl__canon_words(const kgrl__prog *P, char (*w)[128], int nw, char *out, size_t cap, int depth) {
    // expand aliases in place: each alias word becomes the words of its canonical type
    char words[48][128]; int n = 0;
    for (int i = 0; i < nw; i++) {
        int a = -1;
        for (int k = 0; k < P->naliases; k++) if (strcmp(P->aliases[k].name, w[i]) == 0) a = k;
        if (a >= 0 && depth < 8) {
            const char *s = P->aliases[a].canon;
            while (*s) {
                while (*s == ' ') s++;
                if (!*s) break;
                if (n >= 48) return false;
                if (*s == '*') { strcpy(words[n++], "*"); s++; continue; }
                int l = 0;
                while (s[l] && s[l] != ' ' && s[l] != '*' && l < 127) l++;
                memcpy(words[n], s, (size_t)l); words[n][l] = 0; n++; s += l;
            }
        } else {
            if (n >= 48) return false;
            kgrl__scpy(words[n++], 128, w[i]);
        }
    }
    // element: cv + base words; then pointer levels
    bool cst = false, ref = false;
    int nptr = 0, nunsigned = 0, nsigned = 0, nlong = 0, nshort = 0, nint = 0, nchar = 0;
    char other[128] = "";
    for (int i = 0; i < n; i++) {
        const char *s = words[i];
        if (!strcmp(s, "*")) { nptr++; continue; }
        if (!strcmp(s, "&")) { ref = true; continue; }
        if (!strcmp(s, "const")) { if (nptr == 0) cst = true; continue; } // const after '*' is top-level or inner: dropped
        if (!strcmp(s, "volatile") || !strcmp(s, "__restrict__") || !strcmp(s, "__restrict") || !strcmp(s, "restrict") ||
            !strcmp(s, "__grid_constant__") || !strcmp(s, "struct") || !strcmp(s, "class") || !strcmp(s, "typename") ||
            !strcmp(s, "register") || !strcmp(s, "union") || !strcmp(s, "enum") || !strcmp(s, "static") ||
            !strcmp(s, "constexpr") || !strcmp(s, "inline") || !strcmp(s, "extern") || !strcmp(s, "__inline__") ||
            !strcmp(s, "__forceinline__") || !strcmp(s, "__host__") || !strcmp(s, "__device__")) continue;
        if (nptr > 0) return false; // a word after '*': not a type (or a declarator name left in)
        if (!strcmp(s, "unsigned")) nunsigned++;
        else if (!strcmp(s, "signed")) nsigned++;
        else if (!strcmp(s, "long")) nlong++;
        else if (!strcmp(s, "short")) nshort++;
        else if (!strcmp(s, "int")) nint++;
        else if (!strcmp(s, "char")) nchar++;
        else if (!other[0] && kgrl__is_id0((unsigned char)s[0])) kgrl__scpy(other, sizeof other, s);
        else return false;
    }
    char base[128];
    int nkw = nunsigned + nsigned + nlong + nshort + nint + nchar;
    if (other[0] && nkw) return false;
    if (other[0]) kgrl__scpy(base, sizeof base, other);
    else if (!nkw) return false;
    else if (nchar) kgrl__scpy(base, sizeof base, nunsigned ? "unsigned char" : nsigned ? "signed char" : "char");
    else if (nshort) kgrl__scpy(base, sizeof base, nunsigned ? "unsigned short" : "short");
    else if (nlong >= 2) kgrl__scpy(base, sizeof base, nunsigned ? "unsigned long long" : "long long");
    else if (nlong == 1) kgrl__scpy(base, sizeof base, nunsigned ? "unsigned long" : "long");
    else kgrl__scpy(base, sizeof base, nunsigned ? "unsigned int" : "int");
    if (nptr == 0) cst = false; // top-level const of a value
    int k = snprintf(out, cap, "%s%s", cst ? "const " : "", base);
    for (int i = 0; i < nptr && (size_t)k + 1 < cap; i++) out[k++] = '*', out[k] = 0;
    if (ref && (size_t)k + 1 < cap) out[k++] = '&', out[k] = 0;
    return true;
}

static bool kgrl__canon(const kgrl__prog *P, int b, int e, int nsub, const kgrl__tparam *names, char (*vals)[128],
                        char *out, size_t cap) {
    char w[48][128]; int n = 0;
    for (int i = b; i < e; i++) {
        const kgrl__tok *t = &P->X.t[i];
        if (n >= 47) return false;
        if (t->kind == KGRL__T_IDENT) {
            kgrl__tcopy(P->code, t, w[n], 128);
            if (!strcmp(w[n], "std") && i + 1 < e && kgrl__tp(&P->X.t[i + 1], KGRL__P_SCOPE)) { i++; continue; } // std::size_t
            int sub = -1;
            for (int s = 0; s < nsub; s++) if (!strcmp(names[s].name, w[n])) sub = s;
            if (sub >= 0) { // a template parameter: splice the words of its argument
                const char *s = vals[sub];
                while (*s && n < 47) {
                    while (*s == ' ') s++;
                    if (!*s) break;
                    if (*s == '*') { strcpy(w[n++], "*"); s++; continue; }
                    int l = 0;
                    while (s[l] && s[l] != ' ' && s[l] != '*' && l < 127) l++;
                    memcpy(w[n], s, (size_t)l); w[n][l] = 0; n++; s += l;
                }
                continue;
            }
            // a qualified or templated name is one word: ns::T, vec<float, 4>
            while (i + 2 < e && kgrl__tp(&P->X.t[i + 1], KGRL__P_SCOPE) && P->X.t[i + 2].kind == KGRL__T_IDENT) {
                char nx[128];
                kgrl__tcopy(P->code, &P->X.t[i + 2], nx, sizeof nx);
                size_t l = strlen(w[n]);
                snprintf(w[n] + l, 128 - l, "::%s", nx);
                i += 2;
            }
            if (i + 1 < e && kgrl__tp(&P->X.t[i + 1], '<')) {
                int d = 0, j = i + 1;
                size_t l = strlen(w[n]);
                for (; j < e; j++) {
                    const kgrl__tok *u = &P->X.t[j];
                    if (kgrl__tp(u, '<')) d++;
                    else if (kgrl__tp(u, '>')) d--;
                    else if (kgrl__tp(u, KGRL__P_SHR)) d -= 2;
                    if ((size_t)u->len + 2 < 128 - l) {
                        if (kgrl__tp(u, ',')) { memcpy(w[n] + l, ", ", 2); l += 2; }
                        else { memcpy(w[n] + l, P->code + u->start, (size_t)u->len); l += (size_t)u->len; }
                        w[n][l] = 0;
                    }
                    if (d <= 0) break;
                }
                if (d != 0) return false;
                i = j;
            }
            n++;
        } else if (kgrl__tp(t, '*')) strcpy(w[n++], "*");
        else if (kgrl__tp(t, '&') || kgrl__tp(t, KGRL__P_AND)) strcpy(w[n++], "&");
        else if (kgrl__tp(t, KGRL__P_SCOPE)) continue; // ::T
        else return false;
    }
    return kgrl__canon_words(P, w, n, out, cap, 0);
}

// ---------------------------------------------------------------------------------------------
// Preprocessor lines, macros and the file-scope scan.

// Headers NVRTC can compile without a host include path. Exact names, then prefixes.
static const char *const kgrl__headers[] = {
    "cuda_fp16.h", "cuda_fp16.hpp", "cuda_bf16.h", "cuda_bf16.hpp", "cuda_fp8.h", "cuda_fp8.hpp",
    "cuda_fp6.h", "cuda_fp6.hpp", "cuda_fp4.h", "cuda_fp4.hpp", "cooperative_groups.h", "mma.h",
    "cuda_pipeline.h", "cuda_pipeline_primitives.h", "cuda_pipeline_helpers.h", "cuda_awbarrier.h",
    "cuda_awbarrier_primitives.h", "cuda_awbarrier_helpers.h", "vector_types.h", "vector_functions.h",
    "cuda_texture_types.h", "sm_60_atomic_functions.h", "sm_61_intrinsics.h",
};
static const char *const kgrl__header_prefixes[] = {"cuda/std/", "cuda/", "crt/", "cooperative_groups/", "nv/"};

// Host runtime headers that models habitually include: NVRTC needs none of them (threadIdx, dim3,
// the math functions are built in), so their #include lines are blanked in the device source
// instead of rejecting the candidate. Anything they would declare for host code is still rejected
// where forward uses it.
static const char *const kgrl__dropped_headers[] = {
    "cuda_runtime.h", "cuda_runtime_api.h", "cuda.h", "device_launch_parameters.h", "math.h", "cmath",
};

static bool kgrl__header_dropped(const char *h) {
    for (size_t k = 0; k < sizeof kgrl__dropped_headers / sizeof kgrl__dropped_headers[0]; k++)
        if (!strcmp(h, kgrl__dropped_headers[k])) return true;
    return false;
}

static bool kgrl__header_ok(const char *h) {
    if (strstr(h, "..")) return false;
    for (size_t k = 0; k < sizeof kgrl__headers / sizeof kgrl__headers[0]; k++) if (!strcmp(h, kgrl__headers[k])) return true;
    for (size_t k = 0; k < sizeof kgrl__header_prefixes / sizeof kgrl__header_prefixes[0]; k++)
        if (!strncmp(h, kgrl__header_prefixes[k], strlen(kgrl__header_prefixes[k])) && h[strlen(kgrl__header_prefixes[k])]) return true;
    return false;
}

static int kgrl__macro_find(const kgrl__prog *P, const kgrl__tok *t) {
    if (t->kind != KGRL__T_IDENT) return -1;
    for (int m = 0; m < P->nmacros; m++)
        if (P->macros[m].defined && (size_t)t->len == strlen(P->macros[m].name) &&
            memcmp(P->code + t->start, P->macros[m].name, (size_t)t->len) == 0) return m;
    return -1;
}

// Object-like macro m used at `site`: push its body, expanded, onto X.
static void kgrl__expand(kgrl__prog *P, int m, const kgrl__tok *site, int outer, int depth, int *stack) {
    if (depth >= 32) { KGRL__REJECT(P, site->line, "macro %s expands too deeply", P->macros[m].name); return; }
    // macros that expand to several copies of others grow exponentially: cap the expanded code
    if (P->X.n > 1000000) { KGRL__REJECT(P, site->line, "macro expansion of %s is too large (over 1e6 tokens)", P->macros[m].name); return; }
    stack[depth] = m;
    const kgrl__macro *M = &P->macros[m];
    for (int k = 0; k < M->nbody && !P->err; k++) {
        kgrl__tok t = P->pp.t[M->body + k];
        t.line = site->line; t.site = site->site; t.site_end = site->site_end; t.macro = outer;
        int m2 = kgrl__macro_find(P, &t);
        bool active = false;
        for (int d = 0; d <= depth; d++) if (stack[d] == m2) active = true;
        if (m2 >= 0 && !active && !P->macros[m2].fn) { kgrl__expand(P, m2, &t, outer, depth + 1, stack); continue; }
        if (m2 >= 0 && P->macros[m2].fn && k + 1 < M->nbody && kgrl__tp(&P->pp.t[M->body + k + 1], '(')) t.fnm = m2;
        kgrl__toks_push(&P->X, t);
    }
}

// One directive: #include is checked, #define/#undef update the macro table; the rest is kept for
// NVRTC (#pragma, conditionals). Every branch of a conditional is scanned, so a macro defined in
// two branches is ambiguous: forward may not use it.
static void kgrl__directive(kgrl__prog *P, const kgrl__tok *d) {
    int b = P->pp.n;
    char msg[256];
    // only #include, #define and #undef are read; the rest (#pragma, #if, #error text) goes to NVRTC as is
    const char *w = P->code + d->start + 1, *end = P->code + d->start + d->len;
    while (w < end && (*w == ' ' || *w == '\t')) w++;
    if (!(end - w >= 7 && !memcmp(w, "include", 7)) && !(end - w >= 6 && !memcmp(w, "define", 6)) && !(end - w >= 5 && !memcmp(w, "undef", 5))) return;
    if (!kgrl__lex(P->code, d->start + 1, d->start + d->len, d->line, false, &P->pp, msg, sizeof msg)) {
        KGRL__REJECT(P, 0, "%s", msg);
        return;
    }
    int e = P->pp.n - 1; // drop the EOF token
    P->pp.n = e;
    if (b == e) return;
    char dir[32], name[64];
    kgrl__txt(P, &P->pp.t[b], dir, sizeof dir);
    if (!strcmp(dir, "include")) {
        const kgrl__tok *h = b + 1 < e ? &P->pp.t[b + 1] : NULL;
        char hdr[256] = "";
        if (h && h->kind == KGRL__T_STR && h->len >= 2) snprintf(hdr, sizeof hdr, "%.*s", h->len - 2, P->code + h->start + 1);
        else if (h && kgrl__tp(h, '<')) {
            const char *s = P->code + h->start + 1, *q = strchr(s, '>');
            if (q && q - s < (long)sizeof hdr) snprintf(hdr, sizeof hdr, "%.*s", (int)(q - s), s);
        }
        if (!hdr[0]) { KGRL__REJECT(P, d->line, "malformed or computed #include"); return; }
        if (kgrl__header_dropped(hdr) && P->ndrop < 32) {
            P->drop_start[P->ndrop] = d->start;
            P->drop_end[P->ndrop++] = d->start + d->len;
            return;
        }
        if (!kgrl__header_ok(hdr))
            KGRL__REJECT(P, d->line, "#include <%s> is not allowed: only headers NVRTC ships (cuda_fp16.h, cuda_bf16.h, "
                                     "cooperative_groups.h, mma.h, cuda/std/..., ...); device code needs no host headers", hdr);
        return;
    }
    if (!strcmp(dir, "define") || !strcmp(dir, "undef")) {
        if (b + 1 >= e || P->pp.t[b + 1].kind != KGRL__T_IDENT) { KGRL__REJECT(P, d->line, "malformed #%s", dir); return; }
        kgrl__txt(P, &P->pp.t[b + 1], name, sizeof name);
        int m = -1;
        for (int k = 0; k < P->nmacros; k++) if (!strcmp(P->macros[k].name, name)) m = k;
        if (!strcmp(dir, "undef")) { if (m >= 0) P->macros[m].defined = false; return; }
        const kgrl__tok *nt = &P->pp.t[b + 1];
        bool fn = b + 2 < e && kgrl__tp(&P->pp.t[b + 2], '(') && P->pp.t[b + 2].start == nt->start + nt->len;
        int body = b + 2;
        if (fn) { while (body < e && !kgrl__tp(&P->pp.t[body], ')')) body++; body++; }
        if (m < 0) {
            P->macros = (kgrl__macro *)kgrl__grow(P->macros, P->nmacros, &P->cmacros, sizeof(kgrl__macro));
            m = P->nmacros++;
            memset(&P->macros[m], 0, sizeof P->macros[m]);
            kgrl__scpy(P->macros[m].name, sizeof P->macros[m].name, name);
        } else {
            // a second definition: ambiguous unless it spells the same tokens
            kgrl__macro *M = &P->macros[m];
            bool same = M->nbody == e - body && M->fn == fn;
            for (int k = 0; same && k < M->nbody; k++) {
                const kgrl__tok *x = &P->pp.t[M->body + k], *y = &P->pp.t[body + k];
                same = x->len == y->len && memcmp(P->code + x->start, P->code + y->start, (size_t)x->len) == 0;
            }
            if (!same) M->ambiguous = true;
        }
        P->macros[m].fn = fn; P->macros[m].defined = true;
        P->macros[m].body = body < e ? body : e; P->macros[m].nbody = body < e ? e - body : 0;
    }
}

// Build X: the raw tokens with object-like macros expanded, directives processed (and kept).
static void kgrl__preprocess(kgrl__prog *P) {
    int stack[40];
    for (int i = 0; i < P->raw.n && !P->err; i++) {
        kgrl__tok t = P->raw.t[i];
        if (t.kind == KGRL__T_PP) { kgrl__directive(P, &t); kgrl__toks_push(&P->X, t); continue; }
        int m = kgrl__macro_find(P, &t);
        if (m >= 0 && !P->macros[m].fn) { kgrl__expand(P, m, &t, m, 0, stack); continue; }
        if (m >= 0 && kgrl__tp(&P->raw.t[i + 1], '(')) t.fnm = m;
        kgrl__toks_push(&P->X, t);
    }
}

// Index just past the bracket group that opens at X[j] ( ( [ { or < ).
static int kgrl__skip_group(kgrl__prog *P, int j) {
    int d = 0, open = P->X.t[j].p;
    int line = P->X.t[j].line;
    for (; P->X.t[j].kind != KGRL__T_EOF; j++) {
        const kgrl__tok *t = &P->X.t[j];
        if (t->kind != KGRL__T_PUNCT) continue;
        if (open == '<') {
            if (t->p == '<') d++;
            else if (t->p == '>') d--;
            else if (t->p == KGRL__P_SHR) d -= 2;
            else if (t->p == KGRL__P_LAUNCH_R) d -= 3;
            else if (t->p == '(' || t->p == '[' || t->p == '{') { j = kgrl__skip_group(P, j) - 1; continue; }
            else if (t->p == ';' || t->p == '{' || t->p == '}') break;
            if (d <= 0) return j + 1;
            continue;
        }
        if (t->p == '(' || t->p == '[' || t->p == '{') d++;
        else if (t->p == ')' || t->p == ']' || t->p == '}') { if (--d == 0) return j + 1; }
    }
    KGRL__REJECT(P, line, "unbalanced '%c'", open);
    return j;
}

static bool kgrl__is_attr_word(const kgrl__prog *P, const kgrl__tok *t) {
    static const char *const w[] = {"__launch_bounds__", "__align__", "__attribute__", "alignas", "__declspec",
                                    "__maxnreg__", "__cluster_dims__", "decltype", "sizeof", "noexcept", "throw"};
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) if (kgrl__teq(P->code, t, w[k])) return true;
    return false;
}
static bool kgrl__has_word(const kgrl__prog *P, int b, int e, const char *w) {
    for (int i = b; i < e; i++) if (kgrl__teq(P->code, &P->X.t[i], w)) return true;
    return false;
}

// Split X[b, e) at top-level commas (outside (), [], {}, <>). Returns the count; ranges in r.
static int kgrl__split_commas(kgrl__prog *P, int b, int e, int (*r)[2], int max) {
    int n = 0, s = b, d = 0;
    if (b >= e) return 0;
    for (int i = b; i < e; i++) {
        const kgrl__tok *t = &P->X.t[i];
        if (t->kind != KGRL__T_PUNCT) continue;
        if (t->p == '(' || t->p == '[' || t->p == '{' || t->p == '<') d++;
        else if (t->p == ')' || t->p == ']' || t->p == '}' || t->p == '>') d--;
        else if (t->p == KGRL__P_SHR) d -= 2;
        else if (t->p == ',' && d == 0) {
            if (n < max) { r[n][0] = s; r[n][1] = i; }
            n++; s = i + 1;
        }
    }
    if (n < max) { r[n][0] = s; r[n][1] = e; }
    return n + 1;
}

static bool kgrl__type_word(const kgrl__prog *P, const kgrl__tok *t) {
    static const char *const w[] = {"int", "unsigned", "signed", "long", "short", "char", "float", "double", "bool",
                                    "void", "const", "volatile", "__restrict__", "__restrict", "restrict", "__grid_constant__"};
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) if (kgrl__teq(P->code, t, w[k])) return true;
    return false;
}

// A parameter declaration X[b, e): the range of its type (without name and default). *array: "x[]".
static void kgrl__param_type(kgrl__prog *P, int b, int e, int *tb, int *te, bool *array) {
    for (int i = b, d = 0; i < e; i++) { // drop a default argument
        const kgrl__tok *t = &P->X.t[i];
        if (kgrl__tp(t, '(') || kgrl__tp(t, '<')) d++;
        else if (kgrl__tp(t, ')') || kgrl__tp(t, '>')) d--;
        else if (kgrl__tp(t, '=') && d == 0) { e = i; break; }
    }
    *array = false;
    if (e > b && kgrl__tp(&P->X.t[e - 1], ']')) {
        while (e > b && !kgrl__tp(&P->X.t[e - 1], '[')) e--;
        if (e > b) e--;
        *array = true;
    }
    *tb = b; *te = e;
    const kgrl__tok *last = e > b ? &P->X.t[e - 1] : NULL;
    if (!last || last->kind != KGRL__T_IDENT || kgrl__type_word(P, last) || e - 1 == b) return;
    if (kgrl__tp(&P->X.t[e - 2], KGRL__P_SCOPE)) return;
    bool other = false;
    for (int i = b; i < e - 1; i++)
        if (!kgrl__teq(P->code, &P->X.t[i], "const") && !kgrl__teq(P->code, &P->X.t[i], "volatile")) other = true;
    if (other) *te = e - 1;
}

static void kgrl__join_text(const kgrl__prog *P, int b, int e, char *out, size_t cap) {
    size_t k = 0;
    out[0] = 0;
    for (int i = b; i < e && k + 1 < cap; i++) {
        const kgrl__tok *t = &P->X.t[i];
        bool sp = k > 0 && !kgrl__tp(t, '*') && !kgrl__tp(t, ',') && !kgrl__tp(t, '>') && out[k - 1] != '<';
        int n = snprintf(out + k, cap - k, "%s%.*s", sp ? " " : "", t->len, P->code + t->start);
        if (n < 0 || (size_t)n >= cap - k) break;
        k += (size_t)n;
    }
}

static void kgrl__add_kernel(kgrl__prog *P, const char *name, int line, int pb, int pe, int tb, int te, bool is_def) {
    for (int k = 0; k < P->nkernels; k++) // a prototype followed by its definition: keep one
        if (!strcmp(P->decls[k].name, name) && (!P->kernels[k].is_def || !is_def)) {
            if (!is_def) return;
            P->nkernels--;
            memmove(&P->kernels[k], &P->kernels[k + 1], (size_t)(P->nkernels - k) * sizeof(kgrl__kernel));
            memmove(&P->decls[k], &P->decls[k + 1], (size_t)(P->nkernels - k) * sizeof(kgrl_kernel_decl));
            break;
        }
    int c = P->ckernels;
    P->kernels = (kgrl__kernel *)kgrl__grow(P->kernels, P->nkernels, &P->ckernels, sizeof(kgrl__kernel));
    if (c != P->ckernels) P->decls = (kgrl_kernel_decl *)kgrl_realloc(P->decls, (size_t)P->ckernels * sizeof(kgrl_kernel_decl));
    kgrl__kernel *K = &P->kernels[P->nkernels];
    kgrl_kernel_decl *D = &P->decls[P->nkernels];
    memset(K, 0, sizeof *K); memset(D, 0, sizeof *D);
    kgrl__scpy(D->name, sizeof D->name, name);
    D->line = line;
    K->is_def = is_def;
    // template parameters
    if (tb >= 0) {
        int r[8][2];
        int n = kgrl__split_commas(P, tb, te, r, 8);
        if (n > 8) { KGRL__REJECT(P, line, "kernel %s has more than 8 template parameters", name); return; }
        for (int k = 0; k < n; k++) {
            kgrl__tparam *T = &K->tp[k];
            int b = r[k][0], e = r[k][1], eq = -1;
            T->def = -1;
            for (int i = b; i < e; i++) if (kgrl__tp(&P->X.t[i], '=')) { eq = i; break; }
            if (eq >= 0) { T->def = eq + 1; T->def_end = e; e = eq; }
            T->is_type = e > b && (kgrl__teq(P->code, &P->X.t[b], "typename") || kgrl__teq(P->code, &P->X.t[b], "class"));
            for (int i = e - 1; i >= b; i--)
                if (P->X.t[i].kind == KGRL__T_IDENT) { kgrl__txt(P, &P->X.t[i], T->name, sizeof T->name); break; }
            kgrl__join_text(P, b, e, D->template_params[k], sizeof D->template_params[k]);
        }
        K->ntp = n; D->ntemplate = n;
    }
    // parameters
    int r[KGRL_MAX_KERNEL_PARAMS + 1][2];
    int n = kgrl__split_commas(P, pb, pe, r, KGRL_MAX_KERNEL_PARAMS + 1);
    if (n == 1 && (r[0][0] == r[0][1] || (r[0][1] - r[0][0] == 1 && kgrl__teq(P->code, &P->X.t[r[0][0]], "void")))) n = 0;
    if (n > KGRL_MAX_KERNEL_PARAMS) { KGRL__REJECT(P, line, "kernel %s has more than %d parameters", name, KGRL_MAX_KERNEL_PARAMS); return; }
    for (int k = 0; k < n; k++) {
        int tb2, te2;
        bool arr;
        kgrl__param_type(P, r[k][0], r[k][1], &tb2, &te2, &arr);
        K->ptype[k][0] = tb2; K->ptype[k][1] = te2;
        char c2[64];
        if (kgrl__canon(P, tb2, te2, 0, NULL, NULL, c2, sizeof c2)) {
            if (arr) { size_t l = strlen(c2); if (l + 1 < sizeof c2) c2[l] = '*', c2[l + 1] = 0; }
            kgrl__scpy(D->param_types[k], sizeof D->param_types[k], c2);
        } else kgrl__join_text(P, tb2, te2, D->param_types[k], sizeof D->param_types[k]);
        if (arr) K->ptype[k][0] = -1 - K->ptype[k][0]; // marks "x[]": a pointer
    }
    K->nparams = n; D->nparams = n;
    P->nkernels++;
}

static void kgrl__add_global(kgrl__prog *P, const char *name, int kind, int line, const char *canon, int init, int init_end) {
    P->globals = (kgrl__global *)kgrl__grow(P->globals, P->nglobals, &P->cglobals, sizeof(kgrl__global));
    kgrl__global *G = &P->globals[P->nglobals++];
    memset(G, 0, sizeof *G);
    kgrl__scpy(G->name, sizeof G->name, name);
    kgrl__scpy(G->canon, sizeof G->canon, canon);
    G->kind = kind; G->line = line; G->init = init; G->init_end = init_end;
}

// One declaration starting at X[*pi] (after any template<...> prefix, which is X[tb, te)).
static void kgrl__scan_decl(kgrl__prog *P, int *pi, const char *ns, int tb, int te, int site) {
    int i = *pi, j = i, paren = -1, name_tok = -1, body = -1, end = -1;
    bool eq = false;
    for (;;) {
        const kgrl__tok *t = &P->X.t[j];
        if (t->kind == KGRL__T_EOF) { KGRL__REJECT(P, P->X.t[i].line, "unexpected end of code in the declaration that starts here"); *pi = j; return; }
        if (t->kind != KGRL__T_PUNCT) { j++; continue; }
        if (t->p == '(' || t->p == '[') {
            if (t->p == '(' && !eq && paren < 0 && j > i) {
                const kgrl__tok *pv = &P->X.t[j - 1];
                if (pv->kind == KGRL__T_IDENT && !kgrl__is_attr_word(P, pv)) { paren = j; name_tok = j - 1; }
                else if (j - 2 >= i && kgrl__teq(P->code, &P->X.t[j - 2], "operator")) { paren = j; name_tok = j - 2; }
                else if (kgrl__tp(pv, '>')) { // a template-id: k<float>(...)
                    int d = 0, k = j - 1;
                    for (; k > i; k--) {
                        if (kgrl__tp(&P->X.t[k], '>')) d++;
                        else if (kgrl__tp(&P->X.t[k], '<') && --d == 0) break;
                    }
                    if (k > i && P->X.t[k - 1].kind == KGRL__T_IDENT) { paren = j; name_tok = k - 1; }
                }
            }
            j = kgrl__skip_group(P, j);
            if (P->err) { *pi = j; return; }
            continue;
        }
        if (t->p == '=') eq = true;
        if (t->p == '{') {
            if (paren >= 0 && !eq) { body = j; end = kgrl__skip_group(P, j); j = end; break; }
            j = kgrl__skip_group(P, j);
            if (P->err) { *pi = j; return; }
            continue;
        }
        if (t->p == '}') { KGRL__REJECT(P, t->line, "unexpected '}'"); *pi = j + 1; return; }
        if (t->p == ';') { end = j + 1; j++; break; }
        j++;
    }
    *pi = j;
    if (P->err) return;
    int line = P->X.t[name_tok >= 0 ? name_tok : i].line;
    bool global = kgrl__has_word(P, i, j, "__global__");
    if (paren >= 0 && !eq) {
        // a function: name (qualified A::B) before the parameter list
        char name[128] = "", part[64];
        int nb = name_tok;
        while (nb - 2 >= i && kgrl__tp(&P->X.t[nb - 1], KGRL__P_SCOPE) && P->X.t[nb - 2].kind == KGRL__T_IDENT) nb -= 2;
        for (int k = nb; k <= name_tok; k++) {
            kgrl__txt(P, &P->X.t[k], part, sizeof part);
            size_t l = strlen(name);
            kgrl__scpy(name + l, sizeof name - l, part);
        }
        if (kgrl__teq(P->code, &P->X.t[name_tok], "operator")) {
            size_t l = strlen(name);
            snprintf(name + l, sizeof name - l, "%.*s", P->X.t[name_tok + 1].len, P->code + P->X.t[name_tok + 1].start);
        }
        bool device = kgrl__has_word(P, i, name_tok, "__device__");
        int pend = kgrl__skip_group(P, paren) - 1;
        if (body < 0) { // a prototype: only kernels matter
            if (global && !strchr(name, '<') && !kgrl__tp(&P->X.t[name_tok + 1], '<')) {
                char full[128];
                snprintf(full, sizeof full, "%s%s", ns, name);
                kgrl__add_kernel(P, full, line, paren + 1, pend, tb, te, false);
            }
            return;
        }
        if (!strcmp(name, "forward")) {
            if (ns[0]) { KGRL__REJECT(P, line, "forward must be defined at file scope, not inside a namespace"); return; }
            if (global || device) { KGRL__REJECT(P, line, "forward must be a plain host function (no __global__ or __device__)"); return; }
            if (tb >= 0) { KGRL__REJECT(P, line, "forward cannot be a template"); return; }
            if (P->nfwd++) { KGRL__REJECT(P, line, "forward is defined more than once (lines %d and %d)", P->fwd_line, line); return; }
            P->fwd_line = line;
            P->fwd_site = site;
            P->fwd_site_end = P->X.t[end - 1].site_end;
            P->fwd_params = paren + 1; P->fwd_params_end = pend;
            P->fwd_body = body + 1; P->fwd_body_end = end - 1;
            return;
        }
        if (global) {
            // the verifier's correctness builds hook each kernel's entry at this brace (kernel_body_at)
            const kgrl__tok *open = &P->X.t[body];
            if (open->macro >= 0) {
                KGRL__REJECT(P, line, "the body of kernel %s opens inside macro %s: write its '{' out (the verifier instruments every kernel's entry)",
                             name, P->macros[open->macro].name);
                return;
            }
            P->kbody = (int *)kgrl__grow(P->kbody, P->nkbody, &P->ckbody, sizeof(int));
            P->kbody[P->nkbody++] = open->start;
            if (kgrl__tp(&P->X.t[name_tok + 1], '<')) return; // explicit specialization of a kernel template
            char full[128];
            snprintf(full, sizeof full, "%s%s", ns, name);
            kgrl__add_kernel(P, full, line, paren + 1, pend, tb, te, true);
            return;
        }
        if (!device)
            KGRL__REJECT(P, line, "host function '%s' is not allowed: forward is the only host function (make '%s' __device__, or inline it into forward)", name, name);
        return;
    }
    // variables: each declarator's name is the identifier before '=', '[', '(', '{' or the end
    bool devvar = kgrl__has_word(P, i, j, "__constant__") || kgrl__has_word(P, i, j, "__device__") ||
                  kgrl__has_word(P, i, j, "__shared__") || kgrl__has_word(P, i, j, "__managed__");
    bool cst = kgrl__has_word(P, i, j, "const") || kgrl__has_word(P, i, j, "constexpr");
    if (kgrl__teq(P->code, &P->X.t[i], "struct") || kgrl__teq(P->code, &P->X.t[i], "class") ||
        kgrl__teq(P->code, &P->X.t[i], "union") || kgrl__teq(P->code, &P->X.t[i], "enum")) return; // a type (variables after a type body are ignored)
    int r[64][2];
    int n = kgrl__split_commas(P, i, end - 1, r, 64);
    int type_b = i, type_e = -1;
    for (int k = 0; k < n && k < 64; k++) {
        int b = r[k][0], e = r[k][1], nt = -1, stop = e;
        for (int x = b; x < e; x++) {
            const kgrl__tok *t = &P->X.t[x];
            if (kgrl__tp(t, '=') || kgrl__tp(t, '[') || kgrl__tp(t, '(') || kgrl__tp(t, '{')) { stop = x; break; }
            if (t->kind == KGRL__T_IDENT && !kgrl__is_attr_word(P, t)) nt = x;
        }
        if (nt < 0) continue;
        if (k == 0) type_e = nt;
        char name[128], canon[128] = "";
        snprintf(name, sizeof name, "%s%.*s", ns, P->X.t[nt].len, P->code + P->X.t[nt].start);
        int kind = devvar ? KGRL__G_DEVVAR : cst ? KGRL__G_CONST : KGRL__G_HOSTVAR;
        int ib = -1, ie = -1;
        if (kind == KGRL__G_CONST) {
            // its type: the shared specifiers + this declarator's '*'s; its initializer
            if (!kgrl__canon(P, type_b, type_e, 0, NULL, NULL, canon, sizeof canon)) canon[0] = 0;
            for (int x = b; x < nt; x++) if (kgrl__tp(&P->X.t[x], '*') && strlen(canon) + 1 < sizeof canon) strcat(canon, "*");
            const kgrl__tok *s = &P->X.t[stop];
            if (stop < e && kgrl__tp(s, '=')) { ib = stop + 1; ie = e; }
            else if (stop < e && (kgrl__tp(s, '(') || kgrl__tp(s, '{'))) { ib = stop + 1; ie = kgrl__skip_group(P, stop) - 1; }
            if (stop < e && kgrl__tp(s, '[')) canon[0] = 0; // an array: not usable in forward
        }
        kgrl__add_global(P, name, kind, P->X.t[nt].line, canon, ib, ie);
    }
}

// typedef T NAME;  using NAME = T;
static void kgrl__scan_alias(kgrl__prog *P, int *pi, bool is_using) {
    int i = *pi, j = i;
    bool complex = false;
    while (P->X.t[j].kind != KGRL__T_EOF && !kgrl__tp(&P->X.t[j], ';')) {
        if (kgrl__tp(&P->X.t[j], '{') || kgrl__tp(&P->X.t[j], '(')) { complex = true; j = kgrl__skip_group(P, j); if (P->err) break; continue; }
        if (kgrl__tp(&P->X.t[j], ',')) complex = true;
        j++;
    }
    *pi = j + 1;
    if (P->err || complex) return;
    char name[64], canon[128];
    int tb, te;
    if (is_using) { // using NAME = T;  (using namespace X; and using X::Y; are ignored)
        if (j - i < 3 || P->X.t[i + 1].kind != KGRL__T_IDENT || !kgrl__tp(&P->X.t[i + 2], '=')) return;
        kgrl__txt(P, &P->X.t[i + 1], name, sizeof name);
        tb = i + 3; te = j;
    } else {
        if (j - i < 3 || P->X.t[j - 1].kind != KGRL__T_IDENT) return;
        kgrl__txt(P, &P->X.t[j - 1], name, sizeof name);
        tb = i + 1; te = j - 1;
    }
    if (!kgrl__canon(P, tb, te, 0, NULL, NULL, canon, sizeof canon)) return;
    P->aliases = (kgrl__alias *)kgrl__grow(P->aliases, P->naliases, &P->caliases, sizeof(kgrl__alias));
    kgrl__alias *A = &P->aliases[P->naliases++];
    kgrl__scpy(A->name, sizeof A->name, name);
    kgrl__scpy(A->canon, sizeof A->canon, canon);
}

// Declarations of one scope (file, namespace or extern "C" block) up to its closing brace.
static void kgrl__scan(kgrl__prog *P, int *pi, const char *ns, bool braces) {
    int i = *pi;
    while (!P->err) {
        const kgrl__tok *t = &P->X.t[i];
        if (t->kind == KGRL__T_EOF) {
            if (braces) KGRL__REJECT(P, t->line, "missing '}' at the end of the code");
            break;
        }
        if (braces && kgrl__tp(t, '}')) { i++; break; }
        if (t->kind == KGRL__T_PP || kgrl__tp(t, ';')) { i++; continue; }
        if (t->fnm >= 0) {
            KGRL__REJECT(P, t->line, "function-like macro %s used at file scope: its expansion cannot be checked (write the declarations out)",
                         P->macros[t->fnm].name);
            break;
        }
        if (kgrl__teq(P->code, t, "namespace")) {
            char inner[128];
            kgrl__scpy(inner, sizeof inner, ns);
            int j = i + 1;
            while (P->X.t[j].kind == KGRL__T_IDENT || kgrl__tp(&P->X.t[j], KGRL__P_SCOPE)) {
                size_t l = strlen(inner);
                snprintf(inner + l, sizeof inner - l, "%.*s", P->X.t[j].len, P->code + P->X.t[j].start);
                j++;
            }
            if (strlen(inner) > strlen(ns)) { size_t l = strlen(inner); snprintf(inner + l, sizeof inner - l, "::"); }
            if (kgrl__tp(&P->X.t[j], '{')) {
                if (++P->depth > 64) { KGRL__REJECT(P, t->line, "namespaces nested too deeply"); break; }
                i = j + 1;
                kgrl__scan(P, &i, inner, true);
                P->depth--;
                continue;
            }
            while (P->X.t[j].kind != KGRL__T_EOF && !kgrl__tp(&P->X.t[j], ';')) j++; // namespace alias
            i = j + 1;
            continue;
        }
        if (kgrl__teq(P->code, t, "extern") && P->X.t[i + 1].kind == KGRL__T_STR && kgrl__tp(&P->X.t[i + 2], '{')) {
            if (++P->depth > 64) { KGRL__REJECT(P, t->line, "extern \"C\" blocks nested too deeply"); break; }
            i += 3;
            kgrl__scan(P, &i, ns, true);
            P->depth--;
            continue;
        }
        if (kgrl__teq(P->code, t, "typedef")) { kgrl__scan_alias(P, &i, false); continue; }
        if (kgrl__teq(P->code, t, "using")) { kgrl__scan_alias(P, &i, true); continue; }
        if (kgrl__teq(P->code, t, "static_assert")) {
            int j = i;
            while (P->X.t[j].kind != KGRL__T_EOF && !kgrl__tp(&P->X.t[j], ';')) j++;
            i = j + 1;
            continue;
        }
        int site = t->site;
        if (kgrl__teq(P->code, t, "template")) {
            if (!kgrl__tp(&P->X.t[i + 1], '<')) { // explicit instantiation: template __global__ void k<float>(...);
                int j = i;
                while (P->X.t[j].kind != KGRL__T_EOF && !kgrl__tp(&P->X.t[j], ';')) j++;
                i = j + 1;
                continue;
            }
            int close = kgrl__skip_group(P, i + 1);
            if (P->err) break;
            int tb = i + 2, te = close - 1;
            i = close;
            kgrl__scan_decl(P, &i, ns, tb, te, site);
            continue;
        }
        kgrl__scan_decl(P, &i, ns, -1, -1, site);
    }
    *pi = i;
}

// ---------------------------------------------------------------------------------------------
// forward's body: a recursive-descent parser to the AST. Every identifier is resolved here, so a
// forbidden construct is rejected before anything runs.

typedef struct kgrl__list { int *v; int n, cap; } kgrl__list;
static void kgrl__list_add(kgrl__list *l, int x) {
    l->v = (int *)kgrl__grow(l->v, l->n, &l->cap, sizeof(int));
    l->v[l->n++] = x;
}
static int kgrl__node_new(kgrl__prog *P, int kind, int line) {
    P->nodes = (kgrl__node *)kgrl__grow(P->nodes, P->nnodes, &P->cnodes, sizeof(kgrl__node));
    kgrl__node *n = &P->nodes[P->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = kind; n->line = line;
    n->a = n->b = n->c = n->d = -1; n->slot = n->idx = -1;
    return P->nnodes++;
}
static void kgrl__set_kids(kgrl__prog *P, int node, kgrl__list *l) { // copies the list, frees it
    P->nodes[node].kids = P->nkids;
    P->nodes[node].nkids = l->n;
    for (int k = 0; k < l->n; k++) {
        P->kids = (int *)kgrl__grow(P->kids, P->nkids, &P->ckids, sizeof(int));
        P->kids[P->nkids++] = l->v[k];
    }
    kgrl_free(l->v);
    l->v = NULL; l->n = l->cap = 0;
}

static const kgrl__tok *kgrl__peek(const kgrl__prog *P, int k) {
    int i = P->pos + k;
    return &P->X.t[i < P->end ? i : P->end];
}
static const kgrl__tok *kgrl__next(kgrl__prog *P) {
    const kgrl__tok *t = kgrl__peek(P, 0);
    if (P->pos < P->end) P->pos++;
    return t;
}
static bool kgrl__accept(kgrl__prog *P, int p) {
    if (kgrl__tp(kgrl__peek(P, 0), p) && P->pos < P->end) { P->pos++; return true; }
    return false;
}
static bool kgrl__is(const kgrl__prog *P, int k, const char *w) { return kgrl__teq(P->code, kgrl__peek(P, k), w); }
static void kgrl__expect(kgrl__prog *P, int p, const char *what) {
    if (kgrl__accept(P, p)) return;
    const kgrl__tok *t = kgrl__peek(P, 0);
    char buf[64];
    if (P->pos >= P->end) KGRL__REJECT(P, t->line, "expected %s before the end of forward", what);
    else KGRL__REJECT(P, t->line, "expected %s, found '%s'", what, kgrl__txt(P, t, buf, sizeof buf));
}

// Numbers: C++ literal rules for the type of an integer literal; floats via strtof/strtod.
static bool kgrl__parse_number(const char *s, int len, kgrl_value *v, char *err, size_t cap) {
    char buf[128]; int n = 0;
    for (int i = 0; i < len && n < 127; i++) if (s[i] != '\'') buf[n++] = s[i];
    buf[n] = 0;
    memset(v, 0, sizeof *v);
    bool hex = n > 1 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X');
    bool bin = n > 1 && buf[0] == '0' && (buf[1] == 'b' || buf[1] == 'B');
    bool fl = strchr(buf, '.') || (!hex && (strchr(buf, 'e') || strchr(buf, 'E'))) || (hex && (strchr(buf, 'p') || strchr(buf, 'P')));
    if (fl) {
        char c = buf[n - 1];
        bool isf = c == 'f' || c == 'F';
        if (c == 'l' || c == 'L') { snprintf(err, cap, "long double literal %s is not supported", buf); return false; }
        if (isf) buf[--n] = 0;
        char *end;
        if (isf) { float f = strtof(buf, &end); v->type = KGRL_VT_FLOAT; v->d = (double)f; } // strtof: rounds the decimal once, to float
        else { v->type = KGRL_VT_DOUBLE; v->d = strtod(buf, &end); }
        if (*end) { snprintf(err, cap, "bad number %.*s", len, s); return false; }
        return true;
    }
    // integer: digits, then suffix letters u/U and l/L/ll/LL
    int i = hex || bin ? 2 : 0, base = hex ? 16 : bin ? 2 : (buf[0] == '0' && n > 1) ? 8 : 10;
    uint64_t x = 0;
    bool any = false;
    for (; i < n; i++) {
        int c = buf[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else break;
        if (d >= base) { snprintf(err, cap, "bad digit in %s", buf); return false; }
        if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) { snprintf(err, cap, "integer literal %s is too large", buf); return false; }
        x = x * (uint64_t)base + (uint64_t)d;
        any = true;
    }
    if (!any && base != 8) { snprintf(err, cap, "bad number %s", buf); return false; }
    int nu = 0, nl = 0;
    for (; i < n; i++) {
        if (buf[i] == 'u' || buf[i] == 'U') nu++;
        else if (buf[i] == 'l' || buf[i] == 'L') nl++;
        else { snprintf(err, cap, "bad number suffix in %s", buf); return false; }
    }
    if (nu > 1 || nl > 2) { snprintf(err, cap, "bad number suffix in %s", buf); return false; }
    // [lex.icon]: the first of these types that holds the value
    bool dec = base == 10;
    kgrl_vtype t;
    if (nu) t = (nl == 0 && x <= 0xffffffffu) ? KGRL_VT_UINT : KGRL_VT_ULONG;
    else if (nl == 0 && x <= 0x7fffffff) t = KGRL_VT_INT;
    else if (nl == 0 && !dec && x <= 0xffffffffu) t = KGRL_VT_UINT;
    else if (x <= (uint64_t)INT64_MAX) t = KGRL_VT_LONG;
    else if (!dec) t = KGRL_VT_ULONG;
    else { snprintf(err, cap, "integer literal %s does not fit in long long", buf); return false; }
    v->type = t;
    v->i = (int64_t)x;
    return true;
}

static int kgrl__lookup(const kgrl__prog *P, const char *name) {
    for (int k = P->nscope - 1; k >= 0; k--) if (!strcmp(P->slots[P->scope[k]].name, name)) return P->scope[k];
    return -1;
}
static int kgrl__slot_new(kgrl__prog *P, const char *name, kgrl__type ty, bool is_const, int line, int block_base) {
    for (int k = block_base; k < P->nscope; k++)
        if (!strcmp(P->slots[P->scope[k]].name, name)) { KGRL__REJECT(P, line, "redeclaration of %s", name); return -1; }
    P->slots = (kgrl__slot *)kgrl__grow(P->slots, P->nslots, &P->cslots, sizeof(kgrl__slot));
    kgrl__slot *s = &P->slots[P->nslots];
    memset(s, 0, sizeof *s);
    kgrl__scpy(s->name, sizeof s->name, name);
    s->ty = ty; s->is_const = is_const; s->const_init = -1;
    P->scope = (int *)kgrl__grow(P->scope, P->nscope, &P->cscope, sizeof(int));
    P->scope[P->nscope++] = P->nslots;
    return P->nslots++;
}

static int kgrl__find_global(const kgrl__prog *P, const char *name) {
    for (int k = 0; k < P->nglobals; k++) if (!strcmp(P->globals[k].name, name)) return k;
    return -1;
}
static int kgrl__find_kernel(const kgrl__prog *P, const char *name) {
    for (int k = 0; k < P->nkernels; k++) if (!strcmp(P->decls[k].name, name)) return k;
    return -1;
}
static bool kgrl__is_alias(const kgrl__prog *P, const char *name) {
    for (int k = 0; k < P->naliases; k++) if (!strcmp(P->aliases[k].name, name)) return true;
    return false;
}

// Can the token at offset k start a type (in a declaration or a cast)?
static bool kgrl__starts_type(const kgrl__prog *P, int k) {
    const kgrl__tok *t = kgrl__peek(P, k);
    if (t->kind != KGRL__T_IDENT) return false;
    static const char *const kw[] = {"int", "unsigned", "signed", "long", "short", "char", "float", "double", "bool",
                                     "void", "auto", "const", "constexpr", "volatile", "dim3"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++) if (kgrl__teq(P->code, t, kw[i])) return true;
    char name[64];
    kgrl__txt(P, t, name, sizeof name);
    if (!strcmp(name, "std") && kgrl__tp(kgrl__peek(P, k + 1), KGRL__P_SCOPE)) {
        kgrl__txt(P, kgrl__peek(P, k + 2), name, sizeof name);
        return kgrl__typetab_find(name) >= 0;
    }
    if (kgrl__lookup(P, name) >= 0) return false;
    return kgrl__typetab_find(name) >= 0 || kgrl__is_alias(P, name);
}

// A type at the parser's position: cv, type keywords or one type name, and (allow_ptr) '*'s.
// Returns false with an error set.
static bool kgrl__parse_type(kgrl__prog *P, bool allow_ptr, char *canon, size_t cap, bool *is_const) {
    static const char *const kw[] = {"int", "unsigned", "signed", "long", "short", "char", "float", "double", "bool", "void", "auto"};
    int b = P->pos;
    bool seen_kw = false, seen_name = false;
    *is_const = false;
    while (P->pos < P->end) {
        const kgrl__tok *t = kgrl__peek(P, 0);
        if (kgrl__teq(P->code, t, "const") || kgrl__teq(P->code, t, "constexpr")) { if (!seen_kw && !seen_name) *is_const = true; P->pos++; continue; }
        if (kgrl__teq(P->code, t, "volatile")) { P->pos++; continue; }
        bool is_kw = false;
        for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++) if (kgrl__teq(P->code, t, kw[k])) is_kw = true;
        if (is_kw && !seen_name) { seen_kw = true; P->pos++; continue; }
        if (!seen_kw && !seen_name && t->kind == KGRL__T_IDENT && kgrl__starts_type(P, 0)) {
            seen_name = true;
            P->pos += kgrl__teq(P->code, t, "std") ? 3 : 1;
            continue;
        }
        if (allow_ptr && (seen_kw || seen_name) && kgrl__tp(t, '*')) { P->pos++; continue; }
        break;
    }
    if ((!seen_kw && !seen_name) || !kgrl__canon(P, b, P->pos, 0, NULL, NULL, canon, cap)) {
        char buf[128];
        kgrl__join_text(P, b, P->pos > b ? P->pos : b + 1, buf, sizeof buf);
        KGRL__REJECT(P, P->X.t[b].line, "cannot read the type '%s'", buf);
        return false;
    }
    return true;
}

static int kgrl__parse_expr(kgrl__prog *P);
static int kgrl__parse_assign(kgrl__prog *P);
static int kgrl__parse_cond(kgrl__prog *P);
static int kgrl__parse_unary(kgrl__prog *P);
static int kgrl__parse_stmt(kgrl__prog *P);
static bool kgrl__check_lvalue(kgrl__prog *P, int n, int line);

// Evaluator entry used at parse time for template arguments (defined with the evaluator).
static bool kgrl__const_eval(kgrl__prog *P, int node, kgrl_value *out);

static int kgrl__lit(kgrl__prog *P, int line, kgrl_vtype t, int64_t i) {
    int n = kgrl__node_new(P, KGRL__N_LIT, line);
    P->nodes[n].lit.type = t; P->nodes[n].lit.i = i;
    return n;
}

// Parse X[b, e) as one expression in the global context (constants and defaults).
static int kgrl__parse_range(kgrl__prog *P, int b, int e) {
    int save_pos = P->pos, save_end = P->end, save_nscope = P->nscope, save_gt = P->no_gt;
    P->pos = b; P->end = e; P->nscope = 0; P->no_gt = 0; // no locals are visible
    int n = kgrl__parse_cond(P);
    if (!P->err && P->pos < P->end) KGRL__REJECT(P, P->X.t[P->pos].line, "unexpected tokens after a constant expression");
    P->pos = save_pos; P->end = save_end; P->nscope = save_nscope; P->no_gt = save_gt;
    return n;
}

// The instance (name expression) kernel K with template arguments vals[0..ntv).
static int kgrl__instance(kgrl__prog *P, int kidx, char (*vals)[128], int line) {
    const kgrl__kernel *K = &P->kernels[kidx];
    char name[256];
    kgrl__scpy(name, sizeof name, P->decls[kidx].name);
    if (K->ntp > 0) {
        for (int k = 0; k < K->ntp; k++) { kgrl__scat(name, sizeof name, k ? ", " : "<"); kgrl__scat(name, sizeof name, vals[k]); }
        kgrl__scat(name, sizeof name, ">");
    }
    for (int i = 0; i < P->ninsts; i++) if (!strcmp(P->insts[i].name, name)) return i;
    P->insts = (kgrl__inst *)kgrl__grow(P->insts, P->ninsts, &P->cinsts, sizeof(kgrl__inst));
    kgrl__inst *I = &P->insts[P->ninsts];
    memset(I, 0, sizeof *I);
    I->kernel = kidx;
    kgrl__scpy(I->name, sizeof I->name, name);
    I->nparams = K->nparams;
    for (int k = 0; k < K->nparams; k++) {
        bool arr = K->ptype[k][0] < 0;
        int b = arr ? -1 - K->ptype[k][0] : K->ptype[k][0];
        char c[128];
        if (!kgrl__canon(P, b, K->ptype[k][1], K->ntp, K->tp, vals, c, sizeof c)) {
            KGRL__REJECT(P, line, "cannot read the type of parameter %d of kernel %s", k + 1, name);
            return -1;
        }
        if (arr && strlen(c) + 1 < sizeof c) strcat(c, "*");
        kgrl__scpy(I->pcanon[k], sizeof I->pcanon[k], c);
        I->pt[k] = kgrl__type_of(c);
        if (strchr(c, '&')) { KGRL__REJECT(P, line, "kernel %s: parameter %d is a reference ('%s'); kernel parameters must be scalars or pointers", name, k + 1, c); return -1; }
        if (I->pt[k].vt == KGRL_VT_VOID || I->pt[k].dim3)
            { KGRL__REJECT(P, line, "kernel %s: parameter %d has type '%s' passed by value; a launched kernel's parameters must be scalars (int, long, float, ...) or pointers", name, k + 1, c); return -1; }
        if (I->pt[k].vt == KGRL_VT_PTR && strstr(c, "**")) { KGRL__REJECT(P, line, "kernel %s: parameter %d is a pointer to a pointer ('%s')", name, k + 1, c); return -1; }
    }
    return P->ninsts++;
}

// A non-type template argument, converted to its parameter's type and spelled for a name expression.
static void kgrl__targ_str(const kgrl__prog *P, int kidx, int k, kgrl_value v, char *out) {
    char type[64];
    kgrl__scpy(type, sizeof type, P->decls[kidx].template_params[k]);
    char *sp = strrchr(type, ' ');
    if (sp) *sp = 0; // drop the parameter's name
    int t = kgrl__typetab_find(!strcmp(type, "unsigned") ? "unsigned int" : type);
    kgrl_vtype vt = t >= 0 ? kgrl__typetab[t].vt : KGRL_VT_LONG;
    if (vt == KGRL_VT_BOOL) kgrl__scpy(out, 128, v.i ? "true" : "false");
    else if (vt == KGRL_VT_INT) snprintf(out, 128, "%d", (int)(int32_t)(uint32_t)v.i);
    else if (vt == KGRL_VT_UINT) snprintf(out, 128, "%uu", (unsigned)(uint32_t)v.i);
    else if (vt == KGRL_VT_ULONG) snprintf(out, 128, "%lluull", (unsigned long long)v.i);
    else snprintf(out, 128, "%lld", (long long)v.i);
}

// A kernel reference: name [<template args>]. Returns the instance or -1.
static int kgrl__parse_kernel_ref(kgrl__prog *P, const char *name, int line) {
    int kidx = kgrl__find_kernel(P, name);
    if (kidx < 0) { KGRL__REJECT(P, line, "'%s' is not a __global__ kernel defined in the code", name); return -1; }
    for (int k = kidx + 1; k < P->nkernels; k++)
        if (!strcmp(P->decls[k].name, name)) { KGRL__REJECT(P, line, "kernel %s is defined more than once (lines %d and %d): give each kernel its own name", name, P->decls[kidx].line, P->decls[k].line); return -1; }
    const kgrl__kernel *K = &P->kernels[kidx];
    char vals[8][128];
    int nv = 0;
    if (kgrl__tp(kgrl__peek(P, 0), '<')) {
        if (K->ntp == 0) { KGRL__REJECT(P, line, "kernel %s is not a template", name); return -1; }
        P->pos++;
        while (!P->err) {
            if (kgrl__tp(kgrl__peek(P, 0), '>')) break;
            if (nv >= K->ntp) { KGRL__REJECT(P, line, "too many template arguments for kernel %s (it has %d)", name, K->ntp); return -1; }
            if (K->tp[nv].is_type) {
                int b = P->pos, d = 0;
                while (P->pos < P->end) {
                    const kgrl__tok *t = kgrl__peek(P, 0);
                    if (kgrl__tp(t, KGRL__P_SHR) || kgrl__tp(t, KGRL__P_LAUNCH_R)) { KGRL__REJECT(P, line, "nested template arguments are not supported in a launch"); return -1; }
                    if (kgrl__tp(t, '<')) d++;
                    else if (kgrl__tp(t, '>')) { if (d == 0) break; d--; }
                    else if (kgrl__tp(t, ',') && d == 0) break;
                    P->pos++;
                }
                if (!kgrl__canon(P, b, P->pos, 0, NULL, NULL, vals[nv], sizeof vals[nv]))
                    { KGRL__REJECT(P, line, "template argument %d of %s is not a type", nv + 1, name); return -1; }
            } else {
                P->no_gt++;
                int e = kgrl__parse_cond(P);
                P->no_gt--;
                kgrl_value v;
                if (P->err || !kgrl__const_eval(P, e, &v)) return -1;
                if (v.type == KGRL_VT_FLOAT || v.type == KGRL_VT_DOUBLE || v.type == KGRL_VT_PTR)
                    { KGRL__REJECT(P, line, "template argument %d of %s must be an integer constant", nv + 1, name); return -1; }
                kgrl__targ_str(P, kidx, nv, v, vals[nv]);
            }
            nv++;
            if (!kgrl__accept(P, ',')) break;
        }
        kgrl__expect(P, '>', "'>' closing the template arguments");
        if (P->err) return -1;
    }
    for (; nv < K->ntp; nv++) { // defaults
        const kgrl__tparam *T = &K->tp[nv];
        if (T->def < 0) { KGRL__REJECT(P, line, "kernel template %s needs its template arguments written out (%s<...><<<...>>>)", name, name); return -1; }
        if (T->is_type) {
            if (!kgrl__canon(P, T->def, T->def_end, nv, K->tp, vals, vals[nv], sizeof vals[nv]))
                { KGRL__REJECT(P, line, "cannot read the default of template parameter %s of %s", T->name, name); return -1; }
        } else {
            kgrl_value v;
            int e = kgrl__parse_range(P, T->def, T->def_end);
            if (P->err || !kgrl__const_eval(P, e, &v)) return -1;
            kgrl__targ_str(P, kidx, nv, v, vals[nv]);
        }
    }
    return kgrl__instance(P, kidx, vals, line);
}

// k<...><<<grid, block[, smem[, 0]]>>>(args)
static int kgrl__parse_launch(kgrl__prog *P, const char *name, int line) {
    int inst = kgrl__parse_kernel_ref(P, name, line);
    if (inst < 0) return -1;
    if (!kgrl__tp(kgrl__peek(P, 0), KGRL__P_LAUNCH_L)) {
        KGRL__REJECT(P, line, "kernel %s can only be launched with %s<<<grid, block>>>(...)", name, name);
        return -1;
    }
    P->pos++;
    int n = kgrl__node_new(P, KGRL__N_LAUNCH, line);
    P->nodes[n].idx = inst;
    int cfg[3] = {-1, -1, -1}, ncfg = 0;
    while (!P->err) {
        if (ncfg == 3) { // the stream: only the default stream, written as a literal
            const kgrl__tok *t = kgrl__peek(P, 0);
            bool zero = (t->kind == KGRL__T_NUM && t->len == 1 && P->code[t->start] == '0') ||
                        kgrl__teq(P->code, t, "nullptr") || kgrl__teq(P->code, t, "NULL");
            if (!zero || !kgrl__tp(kgrl__peek(P, 1), KGRL__P_LAUNCH_R)) {
                KGRL__REJECT(P, t->line, "streams are not allowed: the fourth launch argument of %s must be 0 (the kit's stream is used)", name);
                return -1;
            }
            P->pos++;
            break;
        }
        cfg[ncfg++] = kgrl__parse_assign(P);
        if (!kgrl__accept(P, ',')) break;
    }
    kgrl__expect(P, KGRL__P_LAUNCH_R, "'>>>'");
    if (P->err) return -1;
    if (ncfg < 2) { KGRL__REJECT(P, line, "launch of %s needs <<<grid, block>>>", name); return -1; }
    P->nodes[n].a = cfg[0]; P->nodes[n].b = cfg[1]; P->nodes[n].c = cfg[2];
    kgrl__expect(P, '(', "'(' with the kernel's arguments");
    kgrl__list args = {NULL, 0, 0};
    if (!kgrl__accept(P, ')')) {
        while (!P->err) {
            kgrl__list_add(&args, kgrl__parse_assign(P));
            if (!kgrl__accept(P, ',')) break;
        }
        kgrl__expect(P, ')', "')'");
    }
    kgrl__set_kids(P, n, &args);
    return P->err ? -1 : n;
}

// A qualified name at the position: a::b::c (at most 128 bytes).
static void kgrl__qualified(kgrl__prog *P, char *name, size_t cap) {
    const kgrl__tok *t = kgrl__next(P);
    kgrl__txt(P, t, name, cap);
    while (kgrl__tp(kgrl__peek(P, 0), KGRL__P_SCOPE) && kgrl__peek(P, 1)->kind == KGRL__T_IDENT) {
        size_t l = strlen(name);
        snprintf(name + l, cap - l, "::%.*s", kgrl__peek(P, 1)->len, P->code + kgrl__peek(P, 1)->start);
        P->pos += 2;
    }
}

// Skips a cast to void* / void** written around an argument: (void**), (const void*),
// reinterpret_cast<void**>( ... ). Returns the number of ')' the caller must close.
static int kgrl__skip_void_cast(kgrl__prog *P) {
    if (kgrl__tp(kgrl__peek(P, 0), '(') && (kgrl__is(P, 1, "void") || kgrl__is(P, 1, "const"))) {
        int j = 1;
        while (kgrl__is(P, j, "void") || kgrl__is(P, j, "const") || kgrl__tp(kgrl__peek(P, j), '*')) j++;
        if (kgrl__tp(kgrl__peek(P, j), ')')) { P->pos += j + 1; return 0; }
    }
    if ((kgrl__is(P, 0, "reinterpret_cast") || kgrl__is(P, 0, "static_cast")) && kgrl__tp(kgrl__peek(P, 1), '<')) {
        int j = 2;
        while (kgrl__is(P, j, "void") || kgrl__is(P, j, "const") || kgrl__tp(kgrl__peek(P, j), '*')) j++;
        if (kgrl__tp(kgrl__peek(P, j), '>') && kgrl__tp(kgrl__peek(P, j + 1), '(')) { P->pos += j + 2; return 1; }
    }
    return 0;
}

static const char *const kgrl__builtin_names[] = {"kgrl_gemm", "kgrl_gemm_batched", "kgrl_conv"};
// Argument kinds: i int, l long, f float, p pointer, P pointer or nullptr, L brace list of nd ints.
static const char *const kgrl__builtin_sigs[] = {"iiiiifpipifpi", "iiiiifpilpilfpili", "iiiiiLLLLLLippPp"};

static int kgrl__parse_call(kgrl__prog *P, const char *name, int line) {
    char buf[64];
    // min / max (CUDA's host overloads take mixed types: the usual arithmetic conversions apply)
    static const char *const mm[] = {"min", "max", "std::min", "std::max", "fminf", "fmaxf", "fmin", "fmax"};
    for (int k = 0; k < 8; k++) if (!strcmp(name, mm[k])) {
        int n = kgrl__node_new(P, KGRL__N_MINMAX, line);
        P->nodes[n].op = k;
        if (k < 4 && kgrl__accept(P, '<')) { // std::min<long>(a, b): both converted to the type
            char canon[128]; bool c;
            if (!kgrl__parse_type(P, false, canon, sizeof canon, &c)) return -1;
            kgrl__expect(P, '>', "'>'");
            kgrl__type ty = kgrl__type_of(canon);
            if (ty.vt == KGRL_VT_VOID || ty.vt == KGRL_VT_PTR || ty.dim3) { KGRL__REJECT(P, line, "%s<%s> is not allowed", name, canon); return -1; }
            P->nodes[n].ty = ty;
            P->nodes[n].c = 1; // explicit type
        }
        kgrl__expect(P, '(', "'('");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].a = kid_; }
        kgrl__expect(P, ',', "','");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].b = kid_; }
        kgrl__expect(P, ')', "')'");
        return n;
    }
    // exactly rounded math on scalars (IEEE sqrt, ceil, floor, abs): the same on every host
    static const char *const mf[] = {"sqrtf", "fabsf", "ceilf", "floorf", "sqrt", "fabs", "ceil", "floor", "abs",
                                     "std::sqrt", "std::fabs", "std::ceil", "std::floor", "std::abs"};
    for (int k = 0; k < 14; k++) if (!strcmp(name, mf[k])) {
        int n = kgrl__node_new(P, KGRL__N_MATH, line);
        P->nodes[n].op = k < 9 ? k : k - 5; // std::f -> f
        kgrl__expect(P, '(', "'('");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].a = kid_; }
        kgrl__expect(P, ')', "')'");
        return n;
    }
    // harmless: errors are the kit's to check, and the kit synchronizes where it needs to
    if (!strcmp(name, "cudaGetLastError") || !strcmp(name, "cudaPeekAtLastError") || !strcmp(name, "cudaDeviceSynchronize")) {
        kgrl__expect(P, '(', "'('");
        kgrl__expect(P, ')', "')' (no arguments)");
        return kgrl__node_new(P, KGRL__N_NOOP, line);
    }
    if (!strcmp(name, "cudaMalloc")) {
        int n = kgrl__node_new(P, KGRL__N_MALLOC, line);
        kgrl__expect(P, '(', "'('");
        int close = kgrl__skip_void_cast(P);
        bool paren = kgrl__accept(P, '(');
        if (!kgrl__accept(P, '&') || kgrl__peek(P, 0)->kind != KGRL__T_IDENT) {
            KGRL__REJECT(P, line, "cudaMalloc's first argument must be &p for a local pointer p");
            return -1;
        }
        kgrl__txt(P, kgrl__next(P), buf, sizeof buf);
        int s = kgrl__lookup(P, buf);
        if (s < 0 || s < P->nparams || P->slots[s].ty.vt != KGRL_VT_PTR) {
            KGRL__REJECT(P, line, "cudaMalloc target %s must be a pointer declared in forward", buf);
            return -1;
        }
        if (paren) kgrl__expect(P, ')', "')'");
        while (close--) kgrl__expect(P, ')', "')'");
        P->nodes[n].slot = s;
        kgrl__expect(P, ',', "','");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].a = kid_; }
        kgrl__expect(P, ')', "')'");
        return n;
    }
    if (!strcmp(name, "cudaFree")) {
        int n = kgrl__node_new(P, KGRL__N_FREE, line);
        kgrl__expect(P, '(', "'('");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].a = kid_; }
        kgrl__expect(P, ')', "')'");
        return n;
    }
    if (!strcmp(name, "cudaMemset") || !strcmp(name, "cudaMemsetAsync")) {
        int n = kgrl__node_new(P, KGRL__N_MEMSET, line);
        kgrl__expect(P, '(', "'('");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].a = kid_; }
        kgrl__expect(P, ',', "','");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].b = kid_; }
        kgrl__expect(P, ',', "','");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].c = kid_; }
        if (kgrl__accept(P, ',')) {
            const kgrl__tok *t = kgrl__peek(P, 0);
            bool zero = (t->kind == KGRL__T_NUM && t->len == 1 && P->code[t->start] == '0') ||
                        kgrl__teq(P->code, t, "nullptr") || kgrl__teq(P->code, t, "NULL");
            if (!zero || strcmp(name, "cudaMemsetAsync") != 0) { KGRL__REJECT(P, t->line, "streams are not allowed: the stream argument of %s must be 0", name); return -1; }
            P->pos++;
        }
        kgrl__expect(P, ')', "')'");
        return n;
    }
    if (!strcmp(name, "cudaFuncSetAttribute")) {
        int n = kgrl__node_new(P, KGRL__N_ATTR, line);
        kgrl__expect(P, '(', "'('");
        int close = kgrl__skip_void_cast(P);
        kgrl__accept(P, '&');
        if (kgrl__peek(P, 0)->kind != KGRL__T_IDENT) { KGRL__REJECT(P, line, "cudaFuncSetAttribute needs a kernel as its first argument"); return -1; }
        char kname[128];
        kgrl__qualified(P, kname, sizeof kname);
        { int kid_ = kgrl__parse_kernel_ref(P, kname, line); P->nodes[n].idx = kid_; }
        while (close--) kgrl__expect(P, ')', "')'");
        kgrl__expect(P, ',', "','");
        if (!kgrl__is(P, 0, "cudaFuncAttributeMaxDynamicSharedMemorySize")) {
            KGRL__REJECT(P, line, "cudaFuncSetAttribute: only cudaFuncAttributeMaxDynamicSharedMemorySize is allowed");
            return -1;
        }
        P->pos++;
        kgrl__expect(P, ',', "','");
        { int kid_ = kgrl__parse_assign(P); P->nodes[n].a = kid_; }
        kgrl__expect(P, ')', "')'");
        return n;
    }
    for (int k = 0; k < 3; k++) if (!strcmp(name, kgrl__builtin_names[k])) {
        if (!P->allow_builtins) {
            KGRL__REJECT(P, line, "%s is a builtin for task references only: a candidate must launch its own kernels", name);
            return -1;
        }
        int n = kgrl__node_new(P, KGRL__N_BUILTIN, line);
        P->nodes[n].op = k;
        kgrl__list args = {NULL, 0, 0};
        kgrl__expect(P, '(', "'('");
        while (!P->err) {
            if (kgrl__accept(P, '{')) { // a brace list of ints
                int l = kgrl__node_new(P, KGRL__N_LIST, kgrl__peek(P, 0)->line);
                kgrl__list items = {NULL, 0, 0};
                while (!P->err && !kgrl__tp(kgrl__peek(P, 0), '}')) {
                    kgrl__list_add(&items, kgrl__parse_assign(P));
                    if (!kgrl__accept(P, ',')) break;
                }
                kgrl__expect(P, '}', "'}'");
                kgrl__set_kids(P, l, &items);
                kgrl__list_add(&args, l);
            } else kgrl__list_add(&args, kgrl__parse_assign(P));
            if (!kgrl__accept(P, ',')) break;
        }
        kgrl__expect(P, ')', "')'");
        if (!P->err && args.n != (int)strlen(kgrl__builtin_sigs[k]))
            KGRL__REJECT(P, line, "%s takes %d arguments, got %d", name, (int)strlen(kgrl__builtin_sigs[k]), args.n);
        kgrl__set_kids(P, n, &args);
        return P->err ? -1 : n;
    }
    if (!strncmp(name, "cudaStream", 10) || !strncmp(name, "cudaEvent", 9))
        KGRL__REJECT(P, line, "%s is not allowed in forward: streams and events are not allowed (the kit owns the stream and the timing)", name);
    else if (!strncmp(name, "cudaMemcpy", 10))
        KGRL__REJECT(P, line, "%s is not allowed in forward: the launcher cannot copy memory (use a kernel)", name);
    else
        KGRL__REJECT(P, line, "%s is not allowed in forward: the launcher may only launch kernels and call cudaMalloc, "
                              "cudaFree, cudaMemset, cudaMemsetAsync, cudaFuncSetAttribute, min, max, sqrt, ceil, floor and abs", name);
    return -1;
}

static int kgrl__parse_cast_to(kgrl__prog *P, const char *canon, int operand, int line) {
    int n = kgrl__node_new(P, KGRL__N_CAST, line);
    kgrl__type ty = kgrl__type_of(canon);
    if (!strcmp(canon, "void")) P->nodes[n].op = 1; // (void)expr
    else if (ty.vt == KGRL_VT_VOID && !ty.dim3) { KGRL__REJECT(P, line, "cast to '%s' is not allowed in forward", canon); return -1; }
    else if (ty.vt == KGRL_VT_PTR && strstr(canon, "**")) { KGRL__REJECT(P, line, "cast to '%s' is not allowed in forward", canon); return -1; }
    P->nodes[n].ty = ty;
    P->nodes[n].a = operand;
    return n;
}

static int kgrl__parse_primary(kgrl__prog *P) {
    const kgrl__tok *t = kgrl__peek(P, 0);
    int line = t->line;
    char name[128];
    if (P->depth > 200) { KGRL__REJECT(P, line, "expression nested too deeply"); return -1; }
    if (P->pos >= P->end) { KGRL__REJECT(P, line, "unexpected end of forward in an expression"); return -1; }
    if (t->kind == KGRL__T_NUM) {
        char err[128];
        int n = kgrl__node_new(P, KGRL__N_LIT, line);
        if (!kgrl__parse_number(P->code + t->start, t->len, &P->nodes[n].lit, err, sizeof err)) { KGRL__REJECT(P, line, "%s", err); return -1; }
        P->pos++;
        return n;
    }
    if (t->kind == KGRL__T_CHAR) {
        const char *s = P->code + t->start + 1;
        int64_t v = (unsigned char)s[0];
        if (s[0] == '\\') {
            static const char esc[] = "n\nt\tr\r0\0\\\\''\"\"";
            const char *e = strchr(esc, s[1]);
            if (!e || (e - esc) % 2) { KGRL__REJECT(P, line, "unsupported character literal"); return -1; }
            v = (unsigned char)e[1];
        }
        P->pos++;
        return kgrl__lit(P, line, KGRL_VT_INT, v);
    }
    if (t->kind == KGRL__T_STR) { KGRL__REJECT(P, line, "string literals are not allowed in forward"); return -1; }
    if (kgrl__tp(t, '(')) {
        P->pos++;
        P->depth++;
        int save = P->no_gt;
        P->no_gt = 0;
        int n = kgrl__parse_expr(P);
        P->no_gt = save;
        P->depth--;
        kgrl__expect(P, ')', "')'");
        return n;
    }
    if (kgrl__tp(t, '[')) { KGRL__REJECT(P, line, "lambdas are not allowed in forward"); return -1; }
    if (t->kind != KGRL__T_IDENT) {
        KGRL__REJECT(P, line, "unexpected '%s' in an expression", kgrl__txt(P, t, name, sizeof name));
        return -1;
    }
    kgrl__txt(P, t, name, sizeof name);
    if (!strcmp(name, "true") || !strcmp(name, "false")) { P->pos++; return kgrl__lit(P, line, KGRL_VT_BOOL, name[0] == 't'); }
    if (!strcmp(name, "cudaSuccess")) { P->pos++; return kgrl__lit(P, line, KGRL_VT_INT, 0); }
    if (!strcmp(name, "nullptr") || !strcmp(name, "NULL")) {
        P->pos++;
        int n = kgrl__lit(P, line, KGRL_VT_PTR, 0);
        P->nodes[n].lit.buf = -1;
        return n;
    }
    static const char *const banned[] = {"new", "delete", "this", "throw", "typeid", "operator", "asm", "__asm__",
                                         "__asm", "co_await", "co_yield", "const_cast", "dynamic_cast", "alignof", "decltype"};
    for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++)
        if (!strcmp(name, banned[k])) { KGRL__REJECT(P, line, "'%s' is not allowed in forward", name); return -1; }
    if (!strcmp(name, "static_cast") || !strcmp(name, "reinterpret_cast")) {
        P->pos++;
        kgrl__expect(P, '<', "'<'");
        char canon[128]; bool c;
        if (P->err || !kgrl__parse_type(P, true, canon, sizeof canon, &c)) return -1;
        kgrl__expect(P, '>', "'>'");
        kgrl__expect(P, '(', "'('");
        int e = kgrl__parse_expr(P);
        kgrl__expect(P, ')', "')'");
        if (P->err) return -1;
        kgrl_vtype want = kgrl__type_of(canon).vt;
        if ((name[0] == 'r') != (want == KGRL_VT_PTR)) {
            KGRL__REJECT(P, line, name[0] == 'r' ? "reinterpret_cast is only allowed between pointer types" : "static_cast to '%s' is not allowed", canon);
            return -1;
        }
        return kgrl__parse_cast_to(P, canon, e, line);
    }
    // functional casts and dim3(...)
    if (kgrl__starts_type(P, 0) && (kgrl__tp(kgrl__peek(P, 1), '(') || kgrl__tp(kgrl__peek(P, 1), '{') ||
                                    (kgrl__is(P, 0, "std") && kgrl__tp(kgrl__peek(P, 3), '(')))) {
        char canon[128]; bool c;
        if (!kgrl__parse_type(P, false, canon, sizeof canon, &c)) return -1;
        int close = kgrl__tp(kgrl__peek(P, 0), '{') ? '}' : ')';
        P->pos++;
        if (!strcmp(canon, "dim3")) {
            int n = kgrl__node_new(P, KGRL__N_DIM3, line);
            kgrl__list l = {NULL, 0, 0};
            while (!P->err && !kgrl__tp(kgrl__peek(P, 0), close)) {
                kgrl__list_add(&l, kgrl__parse_assign(P));
                if (!kgrl__accept(P, ',')) break;
            }
            kgrl__expect(P, close, close == ')' ? "')'" : "'}'");
            if (l.n > 3) KGRL__REJECT(P, line, "dim3 takes at most 3 values");
            kgrl__set_kids(P, n, &l);
            return n;
        }
        int e = kgrl__parse_assign(P);
        kgrl__expect(P, close, close == ')' ? "')'" : "'}'");
        if (P->err) return -1;
        return kgrl__parse_cast_to(P, canon, e, line);
    }
    kgrl__qualified(P, name, sizeof name);
    int s = kgrl__lookup(P, name);
    if (s >= 0) {
        int n = kgrl__node_new(P, KGRL__N_VAR, line);
        P->nodes[n].slot = s;
        return n;
    }
    if (!strncmp(name, "std::", 5) && strcmp(name, "std::min") && strcmp(name, "std::max") && strcmp(name, "std::sqrt") &&
        strcmp(name, "std::fabs") && strcmp(name, "std::ceil") && strcmp(name, "std::floor") && strcmp(name, "std::abs")) {
        KGRL__REJECT(P, line, "%s is not allowed in forward", name);
        return -1;
    }
    if (kgrl__find_kernel(P, name) >= 0) return kgrl__parse_launch(P, name, line);
    int g = kgrl__find_global(P, name);
    if (g >= 0) {
        kgrl__global *G = &P->globals[g];
        if (G->kind == KGRL__G_DEVVAR) { KGRL__REJECT(P, line, "device variable %s cannot be used in forward", name); return -1; }
        if (G->kind == KGRL__G_HOSTVAR) { KGRL__REJECT(P, line, "global variable %s cannot be used in forward (only const/constexpr scalar constants)", name); return -1; }
        if (!G->canon[0] || G->init < 0) { KGRL__REJECT(P, line, "constant %s is not a scalar constant forward can use", name); return -1; }
        if (G->state == 1) { KGRL__REJECT(P, line, "constant %s is defined in terms of itself", name); return -1; }
        if (G->state == 0) {
            G->state = 1;
            int e = kgrl__parse_range(P, G->init, G->init_end);
            G = &P->globals[g];
            G->node = e; G->state = 2;
            kgrl__type ty = kgrl__type_of(G->canon);
            if (!P->err && ty.vt == KGRL_VT_VOID && !ty.dim3 && strcmp(G->canon, "auto") != 0)
                { KGRL__REJECT(P, line, "constant %s has type '%s', which forward cannot use", name, G->canon); return -1; }
            if (P->err) return -1;
        }
        int n = kgrl__node_new(P, KGRL__N_GLOBAL, line);
        P->nodes[n].idx = g;
        return n;
    }
    if (kgrl__tp(kgrl__peek(P, 0), KGRL__P_LAUNCH_L)) {
        KGRL__REJECT(P, line, "'%s' is launched but is not a __global__ kernel defined in the code", name);
        return -1;
    }
    if (kgrl__tp(kgrl__peek(P, 0), '(')) return kgrl__parse_call(P, name, line);
    if (kgrl__tp(kgrl__peek(P, 0), '<') && (!strcmp(name, "min") || !strcmp(name, "max") || !strcmp(name, "std::min") || !strcmp(name, "std::max")))
        return kgrl__parse_call(P, name, line);
    if (!strcmp(name, "kgrl_gemm") || !strcmp(name, "kgrl_gemm_batched") || !strcmp(name, "kgrl_conv") || !strncmp(name, "cuda", 4))
        return kgrl__parse_call(P, name, line);
    KGRL__REJECT(P, line, "unknown identifier %s in forward", name);
    return -1;
}

static int kgrl__parse_postfix(kgrl__prog *P) {
    int n = kgrl__parse_primary(P);
    while (!P->err) {
        const kgrl__tok *t = kgrl__peek(P, 0);
        if (kgrl__tp(t, KGRL__P_INC) || kgrl__tp(t, KGRL__P_DEC)) {
            int m = kgrl__node_new(P, KGRL__N_INCDEC, t->line);
            P->nodes[m].op = kgrl__tp(t, KGRL__P_INC) ? 1 : -1; // postfix: c = 0
            P->nodes[m].a = n; P->nodes[m].c = 0;
            if (!kgrl__check_lvalue(P, n, t->line)) return -1;
            P->pos++;
            n = m;
        } else if (kgrl__tp(t, '.')) {
            P->pos++;
            const kgrl__tok *f = kgrl__next(P);
            int w = kgrl__teq(P->code, f, "x") ? 0 : kgrl__teq(P->code, f, "y") ? 1 : kgrl__teq(P->code, f, "z") ? 2 : -1;
            if (w < 0) { KGRL__REJECT(P, f->line, "only .x, .y and .z of a dim3 can be used in forward"); return -1; }
            int m = kgrl__node_new(P, KGRL__N_MEMBER, t->line);
            P->nodes[m].a = n; P->nodes[m].op = w;
            n = m;
        } else if (kgrl__tp(t, '[') || kgrl__tp(t, KGRL__P_ARROW)) {
            KGRL__REJECT(P, t->line, "reading or writing memory (%s) is not allowed in forward: the launcher may only pass pointers to kernels",
                         kgrl__tp(t, '[') ? "p[...]" : "p->...");
            return -1;
        } else if (kgrl__tp(t, '(')) {
            KGRL__REJECT(P, t->line, "only named functions can be called in forward");
            return -1;
        } else break;
    }
    return n;
}

static int kgrl__parse_unary(kgrl__prog *P) {
    const kgrl__tok *t = kgrl__peek(P, 0);
    int line = t->line;
    if (P->depth > 200) { KGRL__REJECT(P, line, "expression nested too deeply"); return -1; }
    if (kgrl__tp(t, KGRL__P_INC) || kgrl__tp(t, KGRL__P_DEC)) {
        P->pos++;
        int n = kgrl__node_new(P, KGRL__N_INCDEC, line);
        P->nodes[n].op = kgrl__tp(t, KGRL__P_INC) ? 1 : -1;
        P->nodes[n].c = 1; // prefix
        P->depth++;
        { int kid_ = kgrl__parse_unary(P); P->nodes[n].a = kid_; }
        P->depth--;
        if (!P->err && !kgrl__check_lvalue(P, P->nodes[n].a, line)) return -1;
        return n;
    }
    if (kgrl__tp(t, '-') || kgrl__tp(t, '+') || kgrl__tp(t, '!') || kgrl__tp(t, '~')) {
        P->pos++;
        int n = kgrl__node_new(P, KGRL__N_UNARY, line);
        P->nodes[n].op = t->p;
        P->depth++;
        { int kid_ = kgrl__parse_unary(P); P->nodes[n].a = kid_; }
        P->depth--;
        return n;
    }
    if (kgrl__tp(t, '*')) { KGRL__REJECT(P, line, "reading or writing memory (*p) is not allowed in forward: the launcher may only pass pointers to kernels"); return -1; }
    if (kgrl__tp(t, '&')) { KGRL__REJECT(P, line, "taking an address (&) is only allowed as cudaMalloc(&p, bytes)"); return -1; }
    if (kgrl__teq(P->code, t, "sizeof")) {
        P->pos++;
        if (!kgrl__accept(P, '(')) { KGRL__REJECT(P, line, "sizeof needs parentheses in forward: sizeof(float)"); return -1; }
        int64_t size = -1;
        if (kgrl__starts_type(P, 0)) {
            char canon[128]; bool c;
            if (!kgrl__parse_type(P, true, canon, sizeof canon, &c)) return -1;
            kgrl__type ty = kgrl__type_of(canon);
            int k = kgrl__typetab_find(canon);
            size = ty.vt == KGRL_VT_PTR ? 8 : ty.dim3 ? 12 : k >= 0 ? kgrl__typetab[k].size : -1;
            if (size <= 0) { KGRL__REJECT(P, line, "sizeof(%s) is not known to the launcher", canon); return -1; }
        } else if (kgrl__peek(P, 0)->kind == KGRL__T_IDENT && kgrl__tp(kgrl__peek(P, 1), ')')) {
            char name[64];
            kgrl__txt(P, kgrl__next(P), name, sizeof name);
            int s = kgrl__lookup(P, name);
            if (s < 0) { KGRL__REJECT(P, line, "sizeof(%s): only types and forward's variables", name); return -1; }
            kgrl__type ty = P->slots[s].ty;
            size = ty.dim3 ? 12 : kgrl__vsize(ty.vt);
        } else { KGRL__REJECT(P, line, "sizeof of an expression is not allowed in forward; use sizeof(type)"); return -1; }
        kgrl__expect(P, ')', "')'");
        return kgrl__lit(P, line, KGRL_VT_ULONG, size);
    }
    // C-style cast: '(' type ')'
    if (kgrl__tp(t, '(') && kgrl__starts_type(P, 1)) {
        P->pos++;
        char canon[128]; bool c;
        if (!kgrl__parse_type(P, true, canon, sizeof canon, &c)) return -1;
        kgrl__expect(P, ')', "')' closing the cast");
        P->depth++;
        int e = kgrl__parse_unary(P);
        P->depth--;
        if (P->err) return -1;
        return kgrl__parse_cast_to(P, canon, e, line);
    }
    return kgrl__parse_postfix(P);
}

static int kgrl__binprec(const kgrl__prog *P, const kgrl__tok *t) {
    if (t->kind != KGRL__T_PUNCT) return -1;
    switch (t->p) {
    case KGRL__P_OR: return 1;
    case KGRL__P_AND: return 2;
    case '|': return 3;
    case '^': return 4;
    case '&': return 5;
    case KGRL__P_EQ: case KGRL__P_NE: return 6;
    case '>': return P->no_gt ? -1 : 7;
    case '<': case KGRL__P_LE: case KGRL__P_GE: return 7;
    case KGRL__P_SHL: return 8;
    case KGRL__P_SHR: return P->no_gt ? -1 : 8;
    case '+': case '-': return 9;
    case '*': case '/': case '%': return 10;
    }
    return -1;
}

static int kgrl__parse_binary(kgrl__prog *P, int minprec) {
    int lhs = kgrl__parse_unary(P);
    while (!P->err) {
        const kgrl__tok *t = kgrl__peek(P, 0);
        int prec = kgrl__binprec(P, t);
        if (prec < minprec || P->pos >= P->end) break;
        P->pos++;
        P->depth++;
        int rhs = kgrl__parse_binary(P, prec + 1);
        P->depth--;
        int n = kgrl__node_new(P, (t->p == KGRL__P_AND || t->p == KGRL__P_OR) ? KGRL__N_LOGIC : KGRL__N_BINARY, t->line);
        P->nodes[n].op = t->p; P->nodes[n].a = lhs; P->nodes[n].b = rhs;
        lhs = n;
    }
    return lhs;
}

static int kgrl__parse_cond(kgrl__prog *P) {
    int c = kgrl__parse_binary(P, 1);
    if (P->err || !kgrl__tp(kgrl__peek(P, 0), '?')) return c;
    int n = kgrl__node_new(P, KGRL__N_COND, kgrl__peek(P, 0)->line);
    P->pos++;
    P->depth++;
    P->nodes[n].a = c;
    { int kid_ = kgrl__parse_expr(P); P->nodes[n].b = kid_; }
    kgrl__expect(P, ':', "':'");
    { int kid_ = kgrl__parse_assign(P); P->nodes[n].c = kid_; }
    P->depth--;
    return n;
}

static bool kgrl__is_assign_op(int p) {
    return p == '=' || p == KGRL__P_ADD_A || p == KGRL__P_SUB_A || p == KGRL__P_MUL_A || p == KGRL__P_DIV_A ||
           p == KGRL__P_MOD_A || p == KGRL__P_AND_A || p == KGRL__P_OR_A || p == KGRL__P_XOR_A ||
           p == KGRL__P_SHL_A || p == KGRL__P_SHR_A;
}

// Only forward's own (non-const) variables and their .x/.y/.z can be written.
static bool kgrl__check_lvalue(kgrl__prog *P, int n, int line) {
    if (n < 0) return false;
    const kgrl__node *x = &P->nodes[n];
    if (x->kind == KGRL__N_MEMBER) x = &P->nodes[x->a];
    if (x->kind == KGRL__N_GLOBAL) { KGRL__REJECT(P, line, "constant %s cannot be written", P->globals[x->idx].name); return false; }
    if (x->kind != KGRL__N_VAR) { KGRL__REJECT(P, line, "only variables of forward can be assigned"); return false; }
    if (P->slots[x->slot].is_const) { KGRL__REJECT(P, line, "%s is const", P->slots[x->slot].name); return false; }
    return true;
}

static int kgrl__parse_assign(kgrl__prog *P) {
    int lhs = kgrl__parse_cond(P);
    const kgrl__tok *t = kgrl__peek(P, 0);
    if (P->err || t->kind != KGRL__T_PUNCT || !kgrl__is_assign_op(t->p)) return lhs;
    if (!kgrl__check_lvalue(P, lhs, t->line)) return -1;
    P->pos++;
    int n = kgrl__node_new(P, KGRL__N_ASSIGN, t->line);
    P->nodes[n].op = t->p;
    P->nodes[n].a = lhs;
    P->depth++;
    { int kid_ = kgrl__parse_assign(P); P->nodes[n].b = kid_; }
    P->depth--;
    return n;
}

static int kgrl__parse_expr(kgrl__prog *P) {
    int n = kgrl__parse_assign(P);
    while (!P->err && kgrl__tp(kgrl__peek(P, 0), ',') && P->pos < P->end) {
        int m = kgrl__node_new(P, KGRL__N_COMMA, kgrl__peek(P, 0)->line);
        P->pos++;
        P->nodes[m].a = n;
        { int kid_ = kgrl__parse_assign(P); P->nodes[m].b = kid_; }
        n = m;
    }
    return n;
}

// Declaration statement: type declarator [= init | (args) | {args}] {, declarator ...};
static int kgrl__parse_decl(kgrl__prog *P) {
    int line = kgrl__peek(P, 0)->line;
    char base[128]; bool cst;
    if (!kgrl__parse_type(P, false, base, sizeof base, &cst)) return -1;
    bool is_auto = !strcmp(base, "auto");
    int blk = kgrl__node_new(P, KGRL__S_BLOCK, line);
    kgrl__list decls = {NULL, 0, 0};
    int block_base = P->block_base; // redeclaration check: within the innermost block
    while (!P->err) {
        int nptr = 0;
        while (kgrl__accept(P, '*')) {
            nptr++;
            while (kgrl__is(P, 0, "const") || kgrl__is(P, 0, "__restrict__") || kgrl__is(P, 0, "__restrict") || kgrl__is(P, 0, "restrict")) P->pos++;
        }
        const kgrl__tok *t = kgrl__peek(P, 0);
        if (kgrl__tp(t, '&') || kgrl__tp(t, KGRL__P_AND)) { KGRL__REJECT(P, t->line, "references are not allowed in forward"); break; }
        // a type name like half can name a variable; a keyword cannot
        if (t->kind != KGRL__T_IDENT || kgrl__type_word(P, t) || kgrl__teq(P->code, t, "auto") || kgrl__teq(P->code, t, "dim3")) {
            kgrl__expect(P, -1, "a variable name");
            break;
        }
        char name[64], canon[130];
        kgrl__txt(P, t, name, sizeof name);
        P->pos++;
        if (kgrl__tp(kgrl__peek(P, 0), '[')) { KGRL__REJECT(P, t->line, "arrays are not allowed in forward"); break; }
        kgrl__scpy(canon, sizeof canon, base);
        for (int k = 0; k < nptr && strlen(canon) + 1 < sizeof canon; k++) strcat(canon, "*");
        kgrl__type ty = kgrl__type_of(canon);
        if (nptr > 1) { KGRL__REJECT(P, t->line, "pointers to pointers are not allowed in forward"); break; }
        if (!is_auto && ty.vt == KGRL_VT_VOID && !ty.dim3) {
            bool st = !strncmp(base, "cudaStream", 10) || !strncmp(base, "cudaEvent", 9);
            KGRL__REJECT(P, t->line, "type '%s' is not allowed in forward%s", canon, st ? ": streams and events are not allowed" : "");
            break;
        }
        int init = -1;
        bool brace = false;
        if (kgrl__accept(P, '=')) {
            if (kgrl__tp(kgrl__peek(P, 0), '{')) brace = true;
            else init = kgrl__parse_assign(P);
        }
        if (brace || kgrl__tp(kgrl__peek(P, 0), '(') || kgrl__tp(kgrl__peek(P, 0), '{')) {
            int close = kgrl__tp(kgrl__next(P), '(') ? ')' : '}';
            kgrl__list args = {NULL, 0, 0};
            while (!P->err && !kgrl__tp(kgrl__peek(P, 0), close)) {
                kgrl__list_add(&args, kgrl__parse_assign(P));
                if (!kgrl__accept(P, ',')) break;
            }
            kgrl__expect(P, close, close == ')' ? "')'" : "'}'");
            if (ty.dim3) {
                init = kgrl__node_new(P, KGRL__N_DIM3, t->line);
                if (args.n > 3) KGRL__REJECT(P, t->line, "dim3 takes at most 3 values");
                kgrl__set_kids(P, init, &args);
            } else {
                if (args.n != 1) KGRL__REJECT(P, t->line, "%s needs exactly one initial value", name);
                else init = args.v[0];
                kgrl_free(args.v);
            }
        }
        if (P->err) break;
        if (is_auto && init < 0) { KGRL__REJECT(P, t->line, "auto %s needs an initializer", name); break; }
        int s = kgrl__slot_new(P, name, ty, cst, t->line, block_base);
        if (s < 0) break;
        P->slots[s].is_auto = is_auto;
        if (cst && init >= 0) P->slots[s].const_init = init;
        int d = kgrl__node_new(P, KGRL__S_DECL, t->line);
        P->nodes[d].slot = s; P->nodes[d].a = init; P->nodes[d].ty = ty;
        kgrl__list_add(&decls, d);
        if (!kgrl__accept(P, ',')) break;
    }
    kgrl__expect(P, ';', "';'");
    kgrl__set_kids(P, blk, &decls);
    return P->err ? -1 : blk;
}

// A sub-statement with its own scope (the body of if/for/while).
static int kgrl__parse_scoped(kgrl__prog *P) {
    int save = P->nscope, save_base = P->block_base;
    P->block_base = P->nscope;
    int n = kgrl__parse_stmt(P);
    P->nscope = save; P->block_base = save_base;
    return n;
}

static int kgrl__parse_block(kgrl__prog *P) { // after '{'
    int line = kgrl__peek(P, 0)->line;
    int save = P->nscope, save_base = P->block_base;
    P->block_base = P->nscope;
    int n = kgrl__node_new(P, KGRL__S_BLOCK, line);
    kgrl__list l = {NULL, 0, 0};
    while (!P->err && P->pos < P->end && !kgrl__tp(kgrl__peek(P, 0), '}')) kgrl__list_add(&l, kgrl__parse_stmt(P));
    kgrl__expect(P, '}', "'}'");
    kgrl__set_kids(P, n, &l);
    P->nscope = save; P->block_base = save_base;
    return n;
}

static int kgrl__parse_paren_cond(kgrl__prog *P) {
    kgrl__expect(P, '(', "'('");
    if (P->err) return -1;
    if (kgrl__starts_type(P, 0)) { KGRL__REJECT(P, kgrl__peek(P, 0)->line, "declarations in conditions are not allowed in forward"); return -1; }
    int c = kgrl__parse_expr(P);
    kgrl__expect(P, ')', "')'");
    return c;
}

static int kgrl__parse_stmt(kgrl__prog *P) {
    const kgrl__tok *t = kgrl__peek(P, 0);
    int line = t->line;
    char w[64];
    if (P->err) return -1;
    if (P->depth > 200) { KGRL__REJECT(P, line, "statements nested too deeply"); return -1; }
    if (P->pos >= P->end) { KGRL__REJECT(P, line, "unexpected end of forward"); return -1; }
    if (t->kind == KGRL__T_PP) { KGRL__REJECT(P, line, "preprocessor directives are not allowed inside forward"); return -1; }
    if (kgrl__tp(t, '{')) { P->pos++; P->depth++; int n = kgrl__parse_block(P); P->depth--; return n; }
    if (kgrl__tp(t, ';')) { P->pos++; return kgrl__node_new(P, KGRL__S_EMPTY, line); }
    kgrl__txt(P, t, w, sizeof w);
    if (t->kind == KGRL__T_IDENT) {
        if (!strcmp(w, "if")) {
            P->pos++;
            int n = kgrl__node_new(P, KGRL__S_IF, line);
            { int kid_ = kgrl__parse_paren_cond(P); P->nodes[n].a = kid_; }
            P->depth++;
            { int kid_ = kgrl__parse_scoped(P); P->nodes[n].b = kid_; }
            if (!P->err && kgrl__is(P, 0, "else")) { P->pos++; int kid_ = kgrl__parse_scoped(P); P->nodes[n].c = kid_; }
            P->depth--;
            return n;
        }
        if (!strcmp(w, "for")) {
            P->pos++;
            int n = kgrl__node_new(P, KGRL__S_FOR, line);
            int save = P->nscope, save_base = P->block_base;
            P->block_base = P->nscope;
            kgrl__expect(P, '(', "'('");
            if (kgrl__accept(P, ';')) {}
            else if (kgrl__starts_type(P, 0)) { int kid_ = kgrl__parse_decl(P); P->nodes[n].a = kid_; }
            else {
                int e = kgrl__node_new(P, KGRL__S_EXPR, line);
                { int kid_ = kgrl__parse_expr(P); P->nodes[e].a = kid_; }
                P->nodes[n].a = e;
                kgrl__expect(P, ';', "';'");
            }
            if (!P->err && !kgrl__tp(kgrl__peek(P, 0), ';')) { int kid_ = kgrl__parse_expr(P); P->nodes[n].b = kid_; }
            kgrl__expect(P, ';', "';'");
            if (!P->err && !kgrl__tp(kgrl__peek(P, 0), ')')) { int kid_ = kgrl__parse_expr(P); P->nodes[n].c = kid_; }
            kgrl__expect(P, ')', "')'");
            P->loops++; P->depth++;
            { int kid_ = P->err ? -1 : kgrl__parse_scoped(P); P->nodes[n].d = kid_; }
            P->loops--; P->depth--;
            P->nscope = save; P->block_base = save_base;
            return n;
        }
        if (!strcmp(w, "while")) {
            P->pos++;
            int n = kgrl__node_new(P, KGRL__S_WHILE, line);
            { int kid_ = kgrl__parse_paren_cond(P); P->nodes[n].a = kid_; }
            P->loops++; P->depth++;
            { int kid_ = P->err ? -1 : kgrl__parse_scoped(P); P->nodes[n].b = kid_; }
            P->loops--; P->depth--;
            return n;
        }
        if (!strcmp(w, "do")) {
            P->pos++;
            int n = kgrl__node_new(P, KGRL__S_DO, line);
            P->loops++; P->depth++;
            { int kid_ = kgrl__parse_scoped(P); P->nodes[n].b = kid_; }
            P->loops--; P->depth--;
            if (!P->err && !kgrl__is(P, 0, "while")) { kgrl__expect(P, -1, "'while' after do { ... }"); return -1; }
            P->pos++;
            { int kid_ = kgrl__parse_paren_cond(P); P->nodes[n].a = kid_; }
            kgrl__expect(P, ';', "';'");
            return n;
        }
        if (!strcmp(w, "break") || !strcmp(w, "continue")) {
            P->pos++;
            if (!P->loops) { KGRL__REJECT(P, line, "%s outside a loop", w); return -1; }
            kgrl__expect(P, ';', "';'");
            return kgrl__node_new(P, w[0] == 'b' ? KGRL__S_BREAK : KGRL__S_CONTINUE, line);
        }
        if (!strcmp(w, "return")) {
            P->pos++;
            if (!kgrl__accept(P, ';')) { KGRL__REJECT(P, line, "forward returns void: return with a value is not allowed"); return -1; }
            return kgrl__node_new(P, KGRL__S_RETURN, line);
        }
        static const struct { const char *w, *why; } banned[] = {
            {"goto", "goto is not allowed in forward"},
            {"switch", "switch is not allowed in forward (use if/else)"},
            {"case", "switch is not allowed in forward (use if/else)"},
            {"default", "switch is not allowed in forward (use if/else)"},
            {"try", "exceptions are not allowed in forward"}, {"catch", "exceptions are not allowed in forward"},
            {"throw", "exceptions are not allowed in forward"},
            {"asm", "inline asm is not allowed in host code"}, {"__asm__", "inline asm is not allowed in host code"},
            {"__asm", "inline asm is not allowed in host code"},
            {"static", "static locals are not allowed in forward (no state survives between calls)"},
            {"thread_local", "thread_local is not allowed in forward"}, {"extern", "extern declarations are not allowed in forward"},
            {"typedef", "typedef is not allowed inside forward (put it at file scope)"},
            {"using", "using is not allowed inside forward (put it at file scope)"},
            {"struct", "types cannot be defined inside forward"}, {"class", "types cannot be defined inside forward"},
            {"union", "types cannot be defined inside forward"}, {"enum", "types cannot be defined inside forward"},
            {"template", "templates cannot be defined inside forward"}, {"namespace", "namespace is not allowed inside forward"},
            {"register", "register is not allowed in forward"},
        };
        for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++)
            if (!strcmp(w, banned[k].w)) { KGRL__REJECT(P, line, "%s", banned[k].why); return -1; }
        if (kgrl__tp(kgrl__peek(P, 1), ':')) { KGRL__REJECT(P, line, "labels are not allowed in forward"); return -1; }
        bool fcast = kgrl__tp(kgrl__peek(P, 1), '(') || kgrl__tp(kgrl__peek(P, 1), '{');
        if (kgrl__starts_type(P, 0) && !fcast) return kgrl__parse_decl(P);
        // an unknown type: "cudaStream_t s;" "cudaEvent_t *e = ..."
        int k = 1;
        while (kgrl__tp(kgrl__peek(P, k), '*')) k++;
        const kgrl__tok *after = kgrl__peek(P, k + 1);
        if (kgrl__lookup(P, w) < 0 && kgrl__peek(P, k)->kind == KGRL__T_IDENT && P->pos + k < P->end &&
            (kgrl__tp(after, ';') || kgrl__tp(after, '=') || kgrl__tp(after, ',') || kgrl__tp(after, '(') || kgrl__tp(after, '{'))) {
            bool st = !strncmp(w, "cudaStream", 10) || !strncmp(w, "cudaEvent", 9);
            KGRL__REJECT(P, line, "type '%s' is not allowed in forward%s", w, st ? ": streams and events are not allowed" : "");
            return -1;
        }
    }
    int n = kgrl__node_new(P, KGRL__S_EXPR, line);
    { int kid_ = kgrl__parse_expr(P); P->nodes[n].a = kid_; }
    kgrl__expect(P, ';', "';'");
    return n;
}

// forward's parameter list X[b, e): canonical types and names. Returns the count or -1.
static int kgrl__sig_params(kgrl__prog *P, int b, int e, char (*canon)[128], char (*names)[64], int max) {
    int r[KGRL_MAX_KERNEL_PARAMS + 1][2];
    int n = kgrl__split_commas(P, b, e, r, KGRL_MAX_KERNEL_PARAMS + 1);
    if (n == 1 && (r[0][0] == r[0][1] || (r[0][1] - r[0][0] == 1 && kgrl__teq(P->code, &P->X.t[r[0][0]], "void")))) n = 0;
    if (n > max) return -1;
    for (int k = 0; k < n; k++) {
        int tb, te; bool arr;
        kgrl__param_type(P, r[k][0], r[k][1], &tb, &te, &arr);
        if (!kgrl__canon(P, tb, te, 0, NULL, NULL, canon[k], 128)) return -1 - k;
        if (arr && strlen(canon[k]) + 1 < 128) strcat(canon[k], "*");
        if (te < r[k][1] && P->X.t[te].kind == KGRL__T_IDENT) kgrl__txt(P, &P->X.t[te], names[k], 64);
        else snprintf(names[k], 64, "_p%d", k + 1);
    }
    return n;
}

// Check forward's parameters against the task's signature and declare them.
static void kgrl__forward_params(kgrl__prog *P, const char *signature) {
    char fc[KGRL_MAX_KERNEL_PARAMS][128], fn[KGRL_MAX_KERNEL_PARAMS][64];
    char sc[KGRL_MAX_KERNEL_PARAMS][128], sn[KGRL_MAX_KERNEL_PARAMS][64];
    int nf = kgrl__sig_params(P, P->fwd_params, P->fwd_params_end, fc, fn, KGRL_MAX_KERNEL_PARAMS);
    if (nf < 0) { KGRL__REJECT(P, P->fwd_line, "cannot read the type of forward's parameter %d", -nf); return; }
    // the signature, parsed the same way
    kgrl__prog S;
    memset(&S, 0, sizeof S);
    S.code = signature;
    char msg[256];
    int ns = -1;
    if (kgrl__lex(signature, 0, (int)strlen(signature), 1, false, &S.X, msg, sizeof msg)) {
        for (int i = 0; i + 1 < S.X.n; i++)
            if (kgrl__teq(S.code, &S.X.t[i], "forward") && kgrl__tp(&S.X.t[i + 1], '(')) {
                int j = i + 2, d = 1;
                for (; j < S.X.n && S.X.t[j].kind != KGRL__T_EOF; j++) {
                    if (kgrl__tp(&S.X.t[j], '(')) d++;
                    else if (kgrl__tp(&S.X.t[j], ')') && --d == 0) break;
                }
                if (d == 0) ns = kgrl__sig_params(&S, i + 2, j, sc, sn, KGRL_MAX_KERNEL_PARAMS);
                break;
            }
    }
    kgrl_free(S.X.t);
    if (ns < 0) { KGRL__REJECT(P, 0, "the task's signature \"%s\" cannot be read", signature); return; }
    if (nf != ns) {
        KGRL__REJECT(P, P->fwd_line, "forward has %d parameter%s, the task's signature has %d: %s", nf, nf == 1 ? "" : "s", ns, signature);
        return;
    }
    for (int k = 0; k < nf; k++) {
        if (strcmp(fc[k], sc[k]) != 0) {
            KGRL__REJECT(P, P->fwd_line, "forward's parameter %d (%s) has type '%s', the task's signature says '%s %s'",
                         k + 1, fn[k], fc[k], sc[k], sn[k]);
            return;
        }
        kgrl__type ty = kgrl__type_of(fc[k]);
        if ((ty.vt == KGRL_VT_VOID && !ty.dim3) || strstr(fc[k], "**")) { KGRL__REJECT(P, P->fwd_line, "parameter type '%s' is not supported", fc[k]); return; }
        kgrl__slot_new(P, fn[k], ty, false, P->fwd_line, 0);
    }
    P->nparams = nf;
}

// Tokens forward's body may not hold at all: directives, function-like and ambiguous macros.
static void kgrl__forward_tokens(kgrl__prog *P) {
    for (int i = P->fwd_body; i < P->fwd_body_end && !P->err; i++) {
        const kgrl__tok *t = &P->X.t[i];
        if (t->kind == KGRL__T_PP) KGRL__REJECT(P, t->line, "preprocessor directives are not allowed inside forward");
        else if (t->fnm >= 0) KGRL__REJECT(P, t->line, "function-like macro %s cannot be used in forward", P->macros[t->fnm].name);
        else if (t->macro >= 0 && P->macros[t->macro].ambiguous)
            KGRL__REJECT(P, t->line, "macro %s has several definitions (in #if branches?); forward can only use a macro with one definition", P->macros[t->macro].name);
    }
}

// ---------------------------------------------------------------------------------------------
// The evaluator: C semantics on kgrl_value (int 32-bit wrapping, long/size_t 64-bit, the usual
// arithmetic conversions, float results rounded to float), pointers as buffer + byte offset.

typedef struct kgrl__val { kgrl_value v; int esize; bool cptr, dim3; uint32_t d[3]; } kgrl__val;
enum { KGRL__X_NORMAL, KGRL__X_BREAK, KGRL__X_CONTINUE, KGRL__X_RETURN, KGRL__X_ERROR };
#define KGRL__MAX_STEPS 1000000   // statements one recording may execute (DESIGN §3.1: bounded loops)
#define KGRL__MAX_OPS 4096

typedef struct kgrl__rt {
    const kgrl__prog *P;
    kgrl__val *slots; bool *set; kgrl__type *sty;   // NULL when evaluating a constant at parse time
    kgrl_launch_seq *seq; int cops;
    bool *freed; int cfreed;
    long steps; int gdepth;
    bool err; kgrl_status status; char msg[1024];
} kgrl__rt;

static void kgrl__rfail(kgrl__rt *R, kgrl_status st, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void kgrl__rfail(kgrl__rt *R, kgrl_status st, int line, const char *fmt, ...) {
    if (R->err) return;
    R->err = true;
    R->status = st;
    int n = snprintf(R->msg, sizeof R->msg, "line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(R->msg + n, sizeof R->msg - (size_t)n, fmt, ap);
    va_end(ap);
}
#define KGRL__LERR(R, line, ...) kgrl__rfail(R, KGRL_STATUS_LAUNCH_ERROR, line, __VA_ARGS__)

static bool kgrl__isint(kgrl_vtype t) { return t == KGRL_VT_BOOL || t == KGRL_VT_INT || t == KGRL_VT_UINT || t == KGRL_VT_LONG || t == KGRL_VT_ULONG; }
static bool kgrl__isuns(kgrl_vtype t) { return t == KGRL_VT_UINT || t == KGRL_VT_ULONG; }
static bool kgrl__isflt(kgrl_vtype t) { return t == KGRL_VT_FLOAT || t == KGRL_VT_DOUBLE; }

static kgrl__val kgrl__mkint(kgrl_vtype t, uint64_t bits) { // wraps to t's width (two's complement)
    kgrl__val r;
    memset(&r, 0, sizeof r);
    r.v.type = t;
    if (t == KGRL_VT_INT) r.v.i = (int32_t)(uint32_t)bits;
    else if (t == KGRL_VT_UINT) r.v.i = (int64_t)(uint32_t)bits;
    else if (t == KGRL_VT_BOOL) r.v.i = bits != 0;
    else r.v.i = (int64_t)bits;
    return r;
}
static kgrl__val kgrl__mkflt(kgrl_vtype t, double d) {
    kgrl__val r;
    memset(&r, 0, sizeof r);
    r.v.type = t;
    r.v.d = t == KGRL_VT_FLOAT ? (double)(float)d : d;
    return r;
}
static double kgrl__todouble(const kgrl__val *x) {
    if (kgrl__isflt(x->v.type)) return x->v.d;
    return kgrl__isuns(x->v.type) ? (double)(uint64_t)x->v.i : (double)x->v.i;
}
static const char *kgrl__vtname(const kgrl__val *x) {
    static const char *const n[] = {"void", "bool", "int", "unsigned int", "long", "unsigned long", "float", "double", "pointer"};
    return x->dim3 ? "dim3" : n[x->v.type];
}

// exact int -> float: go through the integer type, not through double (one rounding)
static kgrl__val kgrl__tofloat(const kgrl__val *x, kgrl_vtype t) {
    if (kgrl__isflt(x->v.type)) return kgrl__mkflt(t, x->v.d);
    if (t == KGRL_VT_FLOAT) return kgrl__mkflt(t, kgrl__isuns(x->v.type) ? (double)(float)(uint64_t)x->v.i : (double)(float)x->v.i);
    return kgrl__mkflt(t, kgrl__isuns(x->v.type) ? (double)(uint64_t)x->v.i : (double)x->v.i);
}
// Conversion to type `to` as C++ does it (implicitly or by a cast), stricter where noted above.
static bool kgrl__convert(kgrl__rt *R, kgrl__val *x, kgrl__type to, int line, const char *what) {
    if (to.dim3) {
        if (x->dim3) return true;
        if (!kgrl__isint(x->v.type) && !kgrl__isflt(x->v.type)) { KGRL__LERR(R, line, "%s: a value of type %s cannot be a dim3", what, kgrl__vtname(x)); return false; }
        double d = kgrl__todouble(x);
        if (!(d >= 0 && d < 4294967296.0)) { KGRL__LERR(R, line, "%s: %.17g does not fit a dim3 component (unsigned int)", what, d); return false; }
        uint32_t u = kgrl__isflt(x->v.type) ? (uint32_t)d : (uint32_t)x->v.i;
        memset(x, 0, sizeof *x);
        x->dim3 = true; x->d[0] = u; x->d[1] = 1; x->d[2] = 1;
        return true;
    }
    if (x->dim3) { KGRL__LERR(R, line, "%s: a dim3 cannot be converted to a number", what); return false; }
    if (to.vt == KGRL_VT_PTR) {
        if (x->v.type != KGRL_VT_PTR) { KGRL__LERR(R, line, "%s: a value of type %s cannot be converted to a pointer", what, kgrl__vtname(x)); return false; }
        x->esize = to.esize; x->cptr = to.cpointee;
        return true;
    }
    if (x->v.type == KGRL_VT_PTR) {
        if (to.vt == KGRL_VT_BOOL) { bool nn = x->v.buf != -1; *x = kgrl__mkint(KGRL_VT_BOOL, nn); return true; }
        KGRL__LERR(R, line, "%s: a pointer cannot be converted to a number", what);
        return false;
    }
    if (to.vt == KGRL_VT_VOID) { KGRL__LERR(R, line, "%s: no value", what); return false; }
    if (x->v.type == KGRL_VT_VOID) { KGRL__LERR(R, line, "%s: the expression has no value", what); return false; }
    if (kgrl__isflt(to.vt)) { *x = kgrl__tofloat(x, to.vt); return true; }
    if (kgrl__isflt(x->v.type)) {
        double d = x->v.d;
        if (to.vt == KGRL_VT_BOOL) { *x = kgrl__mkint(KGRL_VT_BOOL, d != 0); return true; }
        // float -> integer truncates; out of range is undefined in C++, an error here
        double lo = to.vt == KGRL_VT_INT ? -2147483649.0 : kgrl__isuns(to.vt) ? -1.0 : -9223372036854777856.0;
        double hi = to.vt == KGRL_VT_INT ? 2147483648.0 : to.vt == KGRL_VT_UINT ? 4294967296.0 : to.vt == KGRL_VT_LONG ? 9223372036854775808.0 : 18446744073709551616.0;
        if (!(d > lo && d < hi)) { KGRL__LERR(R, line, "%s: %.17g does not fit %s", what, d, to.vt == KGRL_VT_INT ? "int" : "the integer type"); return false; }
        *x = d < 0 ? kgrl__mkint(to.vt, (uint64_t)(int64_t)d) : kgrl__mkint(to.vt, (uint64_t)d);
        return true;
    }
    *x = kgrl__mkint(to.vt, (uint64_t)x->v.i);
    return true;
}
static kgrl__type kgrl__vt(kgrl_vtype t) { kgrl__type ty; memset(&ty, 0, sizeof ty); ty.vt = t; return ty; }
static bool kgrl__conv_to(kgrl__rt *R, kgrl__val *x, kgrl_vtype t, int line, const char *what) {
    if (kgrl__isflt(t) && !x->dim3 && (kgrl__isint(x->v.type) || kgrl__isflt(x->v.type))) { *x = kgrl__tofloat(x, t); return true; }
    return kgrl__convert(R, x, kgrl__vt(t), line, what);
}

static kgrl_vtype kgrl__promote(kgrl_vtype t) { return t == KGRL_VT_BOOL ? KGRL_VT_INT : t; }
// [conv.arith]: the usual arithmetic conversions
static kgrl_vtype kgrl__common(kgrl_vtype a, kgrl_vtype b) {
    if (a == KGRL_VT_DOUBLE || b == KGRL_VT_DOUBLE) return KGRL_VT_DOUBLE;
    if (a == KGRL_VT_FLOAT || b == KGRL_VT_FLOAT) return KGRL_VT_FLOAT;
    a = kgrl__promote(a); b = kgrl__promote(b);
    if (a == b) return a;
    int ra = (a == KGRL_VT_LONG || a == KGRL_VT_ULONG) ? 2 : 1, rb = (b == KGRL_VT_LONG || b == KGRL_VT_ULONG) ? 2 : 1;
    if (kgrl__isuns(a) == kgrl__isuns(b)) return ra > rb ? a : b;
    kgrl_vtype u = kgrl__isuns(a) ? a : b, s = kgrl__isuns(a) ? b : a;
    int ru = u == a ? ra : rb, rs = s == a ? ra : rb;
    if (ru >= rs) return u;
    return s; // long holds every unsigned int
}

static kgrl__val kgrl__eval(kgrl__rt *R, int n);

static kgrl__val kgrl__ptr_arith(kgrl__rt *R, int op, kgrl__val p, kgrl__val x, int line) {
    kgrl__val r = p;
    if (p.v.buf == -1) { KGRL__LERR(R, line, "arithmetic on a null pointer"); return r; }
    if (p.esize <= 0) { KGRL__LERR(R, line, "arithmetic on a pointer to void or to an unknown type (cast it to a typed pointer first)"); return r; }
    if (!kgrl__isint(x.v.type)) { KGRL__LERR(R, line, "a pointer offset must be an integer"); return r; }
    if (kgrl__isuns(x.v.type) && (uint64_t)x.v.i > (uint64_t)INT64_MAX / 16) { KGRL__LERR(R, line, "pointer offset out of range"); return r; }
    int64_t k = x.v.i;
    if (k > INT64_MAX / 16 || k < -(INT64_MAX / 16)) { KGRL__LERR(R, line, "pointer offset out of range"); return r; }
    int64_t off = k * p.esize;
    r.v.offset = op == '+' ? p.v.offset + off : p.v.offset - off;
    return r;
}

static kgrl__val kgrl__binop(kgrl__rt *R, int op, kgrl__val a, kgrl__val b, int line) {
    kgrl__val r;
    memset(&r, 0, sizeof r);
    if (a.dim3 || b.dim3) { KGRL__LERR(R, line, "a dim3 cannot be used in arithmetic (use .x, .y, .z)"); return r; }
    if (a.v.type == KGRL_VT_VOID || b.v.type == KGRL_VT_VOID) { KGRL__LERR(R, line, "an expression without a value used in arithmetic"); return r; }
    bool cmp = op == '<' || op == '>' || op == KGRL__P_LE || op == KGRL__P_GE || op == KGRL__P_EQ || op == KGRL__P_NE;
    if (a.v.type == KGRL_VT_PTR || b.v.type == KGRL_VT_PTR) {
        if (a.v.type == KGRL_VT_PTR && b.v.type == KGRL_VT_PTR) {
            if (op == KGRL__P_EQ || op == KGRL__P_NE) {
                bool eq = a.v.buf == b.v.buf && (a.v.buf == -1 || a.v.offset == b.v.offset);
                return kgrl__mkint(KGRL_VT_BOOL, op == KGRL__P_EQ ? eq : !eq);
            }
            if (a.v.buf != b.v.buf || a.v.buf == -1) { KGRL__LERR(R, line, "pointers into different buffers cannot be compared or subtracted"); return r; }
            if (cmp) {
                bool v = op == '<' ? a.v.offset < b.v.offset : op == '>' ? a.v.offset > b.v.offset : op == KGRL__P_LE ? a.v.offset <= b.v.offset : a.v.offset >= b.v.offset;
                return kgrl__mkint(KGRL_VT_BOOL, v);
            }
            if (op == '-' && a.esize > 0) return kgrl__mkint(KGRL_VT_LONG, (uint64_t)((a.v.offset - b.v.offset) / a.esize));
            KGRL__LERR(R, line, "invalid operation on two pointers");
            return r;
        }
        if (op == '+' && a.v.type == KGRL_VT_PTR) return kgrl__ptr_arith(R, '+', a, b, line);
        if (op == '+') return kgrl__ptr_arith(R, '+', b, a, line);
        if (op == '-' && a.v.type == KGRL_VT_PTR) return kgrl__ptr_arith(R, '-', a, b, line);
        KGRL__LERR(R, line, "invalid operation on a pointer");
        return r;
    }
    if (op == KGRL__P_SHL || op == KGRL__P_SHR) { // the result has the promoted left type
        if (!kgrl__isint(a.v.type) || !kgrl__isint(b.v.type)) { KGRL__LERR(R, line, "shift of a non-integer"); return r; }
        kgrl_vtype t = kgrl__promote(a.v.type);
        int bits = (t == KGRL_VT_INT || t == KGRL_VT_UINT) ? 32 : 64;
        int64_t c = kgrl__isuns(b.v.type) && (uint64_t)b.v.i > 64 ? 64 : b.v.i;
        if (c < 0 || c >= bits) { KGRL__LERR(R, line, "shift count %lld is out of range for a %d-bit value", (long long)c, bits); return r; }
        uint64_t x = (uint64_t)a.v.i;
        if (op == KGRL__P_SHL) return kgrl__mkint(t, x << c);
        if (kgrl__isuns(t)) return kgrl__mkint(t, (t == KGRL_VT_UINT ? (uint64_t)(uint32_t)x : x) >> c);
        return kgrl__mkint(t, (uint64_t)(a.v.i >> c)); // arithmetic shift, as gcc/nvcc do
    }
    kgrl_vtype t = kgrl__common(a.v.type, b.v.type);
    if (!kgrl__conv_to(R, &a, t, line, "operand") || !kgrl__conv_to(R, &b, t, line, "operand")) return r;
    if (kgrl__isflt(t)) {
        double x = a.v.d, y = b.v.d;
        switch (op) {
        case '+': return kgrl__mkflt(t, x + y); // exact sum rounded once to double, then to float: equals the float sum
        case '-': return kgrl__mkflt(t, x - y);
        case '*': return kgrl__mkflt(t, x * y);
        case '/': return kgrl__mkflt(t, x / y);
        case '<': return kgrl__mkint(KGRL_VT_BOOL, x < y);
        case '>': return kgrl__mkint(KGRL_VT_BOOL, x > y);
        case KGRL__P_LE: return kgrl__mkint(KGRL_VT_BOOL, x <= y);
        case KGRL__P_GE: return kgrl__mkint(KGRL_VT_BOOL, x >= y);
        case KGRL__P_EQ: return kgrl__mkint(KGRL_VT_BOOL, x == y);
        case KGRL__P_NE: return kgrl__mkint(KGRL_VT_BOOL, x != y);
        }
        KGRL__LERR(R, line, "operator %s is not defined on floating-point values", op == '%' ? "%" : "&, |, ^");
        return r;
    }
    uint64_t x = (uint64_t)a.v.i, y = (uint64_t)b.v.i;
    bool uns = kgrl__isuns(t), narrow = t == KGRL_VT_INT || t == KGRL_VT_UINT;
    switch (op) {
    case '+': return kgrl__mkint(t, x + y);
    case '-': return kgrl__mkint(t, x - y);
    case '*': return kgrl__mkint(t, x * y);
    case '&': return kgrl__mkint(t, x & y);
    case '|': return kgrl__mkint(t, x | y);
    case '^': return kgrl__mkint(t, x ^ y);
    case '/': case '%':
        if (y == 0) { KGRL__LERR(R, line, "division by zero"); return r; }
        if (uns) return kgrl__mkint(t, op == '/' ? x / y : x % y);
        if (!narrow && a.v.i == INT64_MIN && b.v.i == -1) return kgrl__mkint(t, op == '/' ? (uint64_t)INT64_MIN : 0); // wraps
        return kgrl__mkint(t, (uint64_t)(op == '/' ? a.v.i / b.v.i : a.v.i % b.v.i)); // C: truncation toward zero
    case '<': return kgrl__mkint(KGRL_VT_BOOL, uns ? x < y : a.v.i < b.v.i);
    case '>': return kgrl__mkint(KGRL_VT_BOOL, uns ? x > y : a.v.i > b.v.i);
    case KGRL__P_LE: return kgrl__mkint(KGRL_VT_BOOL, uns ? x <= y : a.v.i <= b.v.i);
    case KGRL__P_GE: return kgrl__mkint(KGRL_VT_BOOL, uns ? x >= y : a.v.i >= b.v.i);
    case KGRL__P_EQ: return kgrl__mkint(KGRL_VT_BOOL, x == y);
    case KGRL__P_NE: return kgrl__mkint(KGRL_VT_BOOL, x != y);
    }
    KGRL__LERR(R, line, "unsupported operator");
    return r;
}

static bool kgrl__truth(kgrl__rt *R, const kgrl__val *x, int line) {
    if (x->dim3 || x->v.type == KGRL_VT_VOID) { KGRL__LERR(R, line, "a %s used as a condition", x->dim3 ? "dim3" : "void expression"); return false; }
    if (x->v.type == KGRL_VT_PTR) return x->v.buf != -1;
    return kgrl__isflt(x->v.type) ? x->v.d != 0 : x->v.i != 0;
}

static int kgrl__assign_op(int op) {
    switch (op) {
    case KGRL__P_ADD_A: return '+'; case KGRL__P_SUB_A: return '-'; case KGRL__P_MUL_A: return '*';
    case KGRL__P_DIV_A: return '/'; case KGRL__P_MOD_A: return '%'; case KGRL__P_AND_A: return '&';
    case KGRL__P_OR_A: return '|'; case KGRL__P_XOR_A: return '^'; case KGRL__P_SHL_A: return KGRL__P_SHL;
    case KGRL__P_SHR_A: return KGRL__P_SHR;
    }
    return 0;
}

static kgrl__val kgrl__read_var(kgrl__rt *R, int slot, int line) {
    const kgrl__slot *S = &R->P->slots[slot];
    kgrl__val r;
    memset(&r, 0, sizeof r);
    if (!R->slots) { // constant evaluation: a const local with a constant initializer
        if (S->const_init < 0 || R->gdepth > 64) { KGRL__LERR(R, line, "%s is not a constant expression", S->name); return r; }
        R->gdepth++;
        r = kgrl__eval(R, S->const_init);
        R->gdepth--;
        if (!S->is_auto) kgrl__convert(R, &r, S->ty, line, S->name);
        return r;
    }
    if (!R->set[slot]) { KGRL__LERR(R, line, "%s is used before it is set", S->name); return r; }
    return R->slots[slot];
}

static bool kgrl__write_var(kgrl__rt *R, int slot, kgrl__val v, int line) {
    if (!R->slots) { KGRL__LERR(R, line, "assignment in a constant expression"); return false; }
    if (!kgrl__convert(R, &v, R->sty[slot], line, R->P->slots[slot].name)) return false;
    R->slots[slot] = v;
    R->set[slot] = true;
    return true;
}

static kgrl_op *kgrl__op_new(kgrl__rt *R, kgrl_op_kind kind, int line) {
    kgrl_launch_seq *s = R->seq;
    if (!s) { KGRL__LERR(R, line, "not a constant expression"); return NULL; }
    if (s->nops >= KGRL__MAX_OPS) { KGRL__LERR(R, line, "more than %d operations (launches, allocations, memsets)", KGRL__MAX_OPS); return NULL; }
    s->ops = (kgrl_op *)kgrl__grow(s->ops, s->nops, &R->cops, sizeof(kgrl_op));
    kgrl_op *o = &s->ops[s->nops++];
    memset(o, 0, sizeof *o);
    o->kind = kind; o->line = line; o->name_expr = -1; o->buf = -1;
    return o;
}

// A byte count or size argument: any integer that is not negative.
static bool kgrl__size_arg(kgrl__rt *R, kgrl__val v, int line, const char *what, uint64_t *out) {
    if (R->err) return false;
    if (!kgrl__isint(v.v.type) || v.dim3) { KGRL__LERR(R, line, "%s must be an integer", what); return false; }
    if (!kgrl__isuns(v.v.type) && v.v.i < 0) { KGRL__LERR(R, line, "%s is negative (%lld)", what, (long long)v.v.i); return false; }
    *out = (uint64_t)v.v.i;
    return true;
}

static bool kgrl__live_ptr(kgrl__rt *R, const kgrl__val *p, int line, const char *what) {
    int b = p->v.buf;
    if (b >= KGRL_SCRATCH_BASE && b - KGRL_SCRATCH_BASE < R->cfreed && R->freed[b - KGRL_SCRATCH_BASE]) {
        KGRL__LERR(R, line, "%s: scratch buffer %d is used after cudaFree", what, b - KGRL_SCRATCH_BASE);
        return false;
    }
    return true;
}

static void kgrl__launch(kgrl__rt *R, const kgrl__node *n) {
    const kgrl__prog *P = R->P;
    const kgrl__inst *I = &P->insts[n->idx];
    kgrl__val g = kgrl__eval(R, n->a), b = kgrl__eval(R, n->b), sm;
    memset(&sm, 0, sizeof sm);
    sm.v.type = KGRL_VT_INT;
    if (n->c >= 0) sm = kgrl__eval(R, n->c);
    if (R->err) return;
    if (!kgrl__convert(R, &g, kgrl__type_of("dim3"), n->line, "grid") || !kgrl__convert(R, &b, kgrl__type_of("dim3"), n->line, "block")) return;
    uint64_t smem;
    if (!kgrl__size_arg(R, sm, n->line, "dynamic shared memory size", &smem)) return;
    // limits of every GPU the kit targets (CUDA C Programming Guide, compute capability table)
    uint64_t threads = (uint64_t)b.d[0] * b.d[1] * b.d[2];
    for (int k = 0; k < 3; k++)
        if (g.d[k] < 1 || b.d[k] < 1) { KGRL__LERR(R, n->line, "launch of %s: grid (%u, %u, %u) and block (%u, %u, %u) dimensions must be at least 1", I->name, g.d[0], g.d[1], g.d[2], b.d[0], b.d[1], b.d[2]); return; }
    if (b.d[0] > 1024 || b.d[1] > 1024 || b.d[2] > 64 || threads > 1024) { KGRL__LERR(R, n->line, "launch of %s: block (%u, %u, %u) is over the limits (x, y <= 1024, z <= 64, at most 1024 threads)", I->name, b.d[0], b.d[1], b.d[2]); return; }
    if (g.d[0] > 2147483647u || g.d[1] > 65535 || g.d[2] > 65535) { KGRL__LERR(R, n->line, "launch of %s: grid (%u, %u, %u) is over the limits (x <= 2^31-1, y, z <= 65535)", I->name, g.d[0], g.d[1], g.d[2]); return; }
    if (smem > 0xffffffffu) { KGRL__LERR(R, n->line, "launch of %s: dynamic shared memory size %llu is out of range", I->name, (unsigned long long)smem); return; }
    if (n->nkids != I->nparams) { KGRL__LERR(R, n->line, "kernel %s takes %d argument%s, %d given", I->name, I->nparams, I->nparams == 1 ? "" : "s", n->nkids); return; }
    kgrl_value *args = (kgrl_value *)kgrl_calloc((size_t)(n->nkids ? n->nkids : 1), sizeof(kgrl_value));
    for (int k = 0; k < n->nkids && !R->err; k++) {
        kgrl__val a = kgrl__eval(R, P->kids[n->kids + k]);
        if (R->err) break;
        char what[320];
        snprintf(what, sizeof what, "argument %d of %.200s (parameter type '%.63s')", k + 1, I->name, I->pcanon[k]);
        if (I->pt[k].vt == KGRL_VT_PTR) { // pointers: any pointer or nullptr; the element type is the kernel's business
            if (a.v.type != KGRL_VT_PTR || a.dim3) { KGRL__LERR(R, n->line, "%s: a pointer is needed, got a value of type %s", what, kgrl__vtname(&a)); break; }
            if (!kgrl__live_ptr(R, &a, n->line, what)) break;
        } else if (a.v.type == KGRL_VT_PTR) { KGRL__LERR(R, n->line, "%s: a pointer cannot be passed as a number", what); break; }
        else if (!kgrl__conv_to(R, &a, I->pt[k].vt, n->line, what)) break;
        args[k] = a.v;
    }
    if (R->err) { kgrl_free(args); return; }
    kgrl_op *o = kgrl__op_new(R, KGRL_OP_LAUNCH, n->line);
    if (!o) { kgrl_free(args); return; }
    o->name_expr = n->idx;
    for (int k = 0; k < 3; k++) { o->grid[k] = g.d[k]; o->block[k] = b.d[k]; }
    o->smem = smem;
    o->nargs = n->nkids; o->args = args;
}

static void kgrl__builtin(kgrl__rt *R, const kgrl__node *n) {
    const kgrl__prog *P = R->P;
    const char *sig = kgrl__builtin_sigs[n->op], *name = kgrl__builtin_names[n->op];
    int nd = -1, total = 0;
    kgrl_value *args = NULL;
    for (int k = 0; k < n->nkids && !R->err; k++) {
        const kgrl__node *a = &P->nodes[P->kids[n->kids + k]];
        char what[96];
        snprintf(what, sizeof what, "argument %d of %s", k + 1, name);
        if (sig[k] == 'L') {
            if (a->kind != KGRL__N_LIST) { KGRL__LERR(R, n->line, "%s must be a brace list {..}", what); break; }
            if (a->nkids != nd) { KGRL__LERR(R, n->line, "%s has %d values, nd is %d", what, a->nkids, nd); break; }
            for (int j = 0; j < a->nkids && !R->err; j++) {
                kgrl__val v = kgrl__eval(R, P->kids[a->kids + j]);
                if (!R->err && kgrl__conv_to(R, &v, KGRL_VT_INT, n->line, what)) {
                    args = (kgrl_value *)kgrl_realloc(args, (size_t)(total + 1) * sizeof(kgrl_value));
                    args[total++] = v.v;
                }
            }
            continue;
        }
        if (a->kind == KGRL__N_LIST) { KGRL__LERR(R, n->line, "%s cannot be a brace list", what); break; }
        kgrl__val v = kgrl__eval(R, P->kids[n->kids + k]);
        if (R->err) break;
        if (sig[k] == 'p' || sig[k] == 'P') {
            if (v.v.type != KGRL_VT_PTR || v.dim3) { KGRL__LERR(R, n->line, "%s must be a pointer", what); break; }
            if (sig[k] == 'p' && v.v.buf == -1) { KGRL__LERR(R, n->line, "%s cannot be null", what); break; }
            if (!kgrl__live_ptr(R, &v, n->line, what)) break;
        } else if (!kgrl__conv_to(R, &v, sig[k] == 'i' ? KGRL_VT_INT : sig[k] == 'l' ? KGRL_VT_LONG : KGRL_VT_FLOAT, n->line, what)) break;
        if (k == 0 && n->op == 2) { // kgrl_conv: nd is 1, 2 or 3
            nd = (int)v.v.i;
            if (nd < 1 || nd > 3) { KGRL__LERR(R, n->line, "kgrl_conv: nd must be 1, 2 or 3 (got %d)", nd); break; }
        }
        args = (kgrl_value *)kgrl_realloc(args, (size_t)(total + 1) * sizeof(kgrl_value));
        args[total++] = v.v;
    }
    if (R->err) { kgrl_free(args); return; }
    kgrl_op *o = kgrl__op_new(R, KGRL_OP_BUILTIN, n->line);
    if (!o) { kgrl_free(args); return; }
    kgrl__scpy(o->builtin, sizeof o->builtin, name);
    o->nargs = total; o->args = args;
}

// The type an expression will have, without evaluating it (for ?:, whose arms convert to a common type).
static kgrl_vtype kgrl__static_vt(const kgrl__rt *R, int idx) {
    const kgrl__prog *P = R->P;
    if (idx < 0) return KGRL_VT_VOID;
    const kgrl__node *n = &P->nodes[idx];
    switch (n->kind) {
    case KGRL__N_LIT: return n->lit.type;
    case KGRL__N_VAR: { kgrl__type t = R->sty ? R->sty[n->slot] : P->slots[n->slot].ty; return t.dim3 ? KGRL_VT_VOID : t.vt; }
    case KGRL__N_GLOBAL: { kgrl__type t = kgrl__type_of(P->globals[n->idx].canon); return t.dim3 ? KGRL_VT_VOID : t.vt; }
    case KGRL__N_UNARY: return n->op == '!' ? KGRL_VT_BOOL : kgrl__promote(kgrl__static_vt(R, n->a));
    case KGRL__N_LOGIC: return KGRL_VT_BOOL;
    case KGRL__N_BINARY: {
        int op = n->op;
        kgrl_vtype a = kgrl__static_vt(R, n->a), b = kgrl__static_vt(R, n->b);
        if (op == '<' || op == '>' || op == KGRL__P_LE || op == KGRL__P_GE || op == KGRL__P_EQ || op == KGRL__P_NE) return KGRL_VT_BOOL;
        if (a == KGRL_VT_PTR && b == KGRL_VT_PTR) return KGRL_VT_LONG;
        if (a == KGRL_VT_PTR || b == KGRL_VT_PTR) return KGRL_VT_PTR;
        if (a == KGRL_VT_VOID || b == KGRL_VT_VOID) return KGRL_VT_VOID;
        if (op == KGRL__P_SHL || op == KGRL__P_SHR) return kgrl__promote(a);
        return kgrl__common(a, b);
    }
    case KGRL__N_COND: {
        kgrl_vtype b = kgrl__static_vt(R, n->b), c = kgrl__static_vt(R, n->c);
        if (b == KGRL_VT_PTR || c == KGRL_VT_PTR || b == KGRL_VT_VOID || c == KGRL_VT_VOID) return b;
        return kgrl__common(b, c);
    }
    case KGRL__N_ASSIGN: case KGRL__N_INCDEC: return kgrl__static_vt(R, n->a);
    case KGRL__N_CAST: return n->op == 1 || n->ty.dim3 ? KGRL_VT_VOID : n->ty.vt;
    case KGRL__N_MEMBER: return KGRL_VT_UINT;
    case KGRL__N_MATH: return n->op == 8 ? kgrl__promote(kgrl__static_vt(R, n->a)) : n->op < 4 ? KGRL_VT_FLOAT : KGRL_VT_DOUBLE;
    case KGRL__N_MINMAX: return n->c == 1 ? n->ty.vt : n->op >= 4 ? (n->op < 6 ? KGRL_VT_FLOAT : KGRL_VT_DOUBLE) : kgrl__common(kgrl__static_vt(R, n->a), kgrl__static_vt(R, n->b));
    case KGRL__N_COMMA: return kgrl__static_vt(R, n->b);
    case KGRL__N_NOOP: case KGRL__N_MALLOC: case KGRL__N_FREE: case KGRL__N_MEMSET: case KGRL__N_ATTR: return KGRL_VT_INT;
    }
    return KGRL_VT_VOID;
}

static kgrl__val kgrl__eval(kgrl__rt *R, int idx) {
    kgrl__val r;
    memset(&r, 0, sizeof r);
    if (R->err || idx < 0) { if (!R->err) KGRL__LERR(R, 0, "internal: missing expression"); return r; }
    const kgrl__prog *P = R->P;
    const kgrl__node *n = &P->nodes[idx];
    switch (n->kind) {
    case KGRL__N_LIT:
        r.v = n->lit;
        return r;
    case KGRL__N_VAR:
        return kgrl__read_var(R, n->slot, n->line);
    case KGRL__N_GLOBAL: {
        const kgrl__global *G = &P->globals[n->idx];
        if (R->gdepth > 64) { KGRL__LERR(R, n->line, "constant %s: definitions nested too deeply", G->name); return r; }
        R->gdepth++;
        r = kgrl__eval(R, G->node);
        R->gdepth--;
        if (strcmp(G->canon, "auto") != 0) kgrl__convert(R, &r, kgrl__type_of(G->canon), n->line, G->name);
        return r;
    }
    case KGRL__N_UNARY: {
        kgrl__val a = kgrl__eval(R, n->a);
        if (R->err) return r;
        if (n->op == '!') return kgrl__mkint(KGRL_VT_BOOL, !kgrl__truth(R, &a, n->line));
        if (a.dim3 || a.v.type == KGRL_VT_PTR || a.v.type == KGRL_VT_VOID) { KGRL__LERR(R, n->line, "unary %c on a %s", n->op, kgrl__vtname(&a)); return r; }
        if (kgrl__isflt(a.v.type)) { if (n->op == '~') { KGRL__LERR(R, n->line, "~ on a floating-point value"); return r; } return kgrl__mkflt(a.v.type, n->op == '-' ? -a.v.d : a.v.d); }
        kgrl_vtype t = kgrl__promote(a.v.type);
        uint64_t x = (uint64_t)a.v.i;
        return kgrl__mkint(t, n->op == '-' ? (uint64_t)0 - x : n->op == '~' ? ~x : x);
    }
    case KGRL__N_INCDEC: case KGRL__N_ASSIGN: {
        // target: a variable or a dim3 component
        const kgrl__node *t = &P->nodes[n->a];
        int slot = t->kind == KGRL__N_MEMBER ? P->nodes[t->a].slot : t->slot;
        bool plain = n->kind == KGRL__N_ASSIGN && n->op == '=' && t->kind == KGRL__N_VAR;
        kgrl__val old, nv;
        memset(&old, 0, sizeof old);
        if (!plain) old = kgrl__read_var(R, slot, n->line); // a plain assignment may set an unset variable
        if (R->err) return r;
        kgrl__val cur = old;
        if (t->kind == KGRL__N_MEMBER) {
            if (!old.dim3) { KGRL__LERR(R, n->line, ".%c of a %s", 'x' + t->op, kgrl__vtname(&old)); return r; }
            cur = kgrl__mkint(KGRL_VT_UINT, old.d[t->op]);
        }
        if (n->kind == KGRL__N_INCDEC) nv = kgrl__binop(R, n->op > 0 ? '+' : '-', cur, kgrl__mkint(KGRL_VT_INT, 1), n->line);
        else {
            kgrl__val rhs = kgrl__eval(R, n->b);
            if (R->err) return r;
            nv = n->op == '=' ? rhs : kgrl__binop(R, kgrl__assign_op(n->op), cur, rhs, n->line);
        }
        if (R->err) return r;
        if (t->kind == KGRL__N_MEMBER) {
            if (!kgrl__convert(R, &nv, kgrl__type_of("dim3"), n->line, "dim3 component")) return r;
            old.d[t->op] = nv.d[0];
            nv = kgrl__mkint(KGRL_VT_UINT, nv.d[0]);
            if (!kgrl__write_var(R, slot, old, n->line)) return r;
        } else {
            if (!kgrl__write_var(R, slot, nv, n->line)) return r;
            nv = R->slots[slot];
        }
        return n->kind == KGRL__N_INCDEC && n->c == 0 ? cur : nv;
    }
    case KGRL__N_BINARY: {
        kgrl__val a = kgrl__eval(R, n->a), b = kgrl__eval(R, n->b);
        if (R->err) return r;
        return kgrl__binop(R, n->op, a, b, n->line);
    }
    case KGRL__N_LOGIC: { // short-circuit
        kgrl__val a = kgrl__eval(R, n->a);
        if (R->err) return r;
        bool x = kgrl__truth(R, &a, n->line);
        if (R->err || (n->op == KGRL__P_AND && !x) || (n->op == KGRL__P_OR && x)) return kgrl__mkint(KGRL_VT_BOOL, x);
        kgrl__val b = kgrl__eval(R, n->b);
        if (R->err) return r;
        return kgrl__mkint(KGRL_VT_BOOL, kgrl__truth(R, &b, n->line));
    }
    case KGRL__N_COND: {
        kgrl__val c = kgrl__eval(R, n->a);
        if (R->err) return r;
        bool x = kgrl__truth(R, &c, n->line);
        // only the taken arm is evaluated; the result has the arms' common type, as in C++
        kgrl__val a = kgrl__eval(R, x ? n->b : n->c);
        if (R->err) return r;
        kgrl_vtype tb = kgrl__static_vt(R, n->b), tc = kgrl__static_vt(R, n->c);
        bool arith = !a.dim3 && tb != KGRL_VT_PTR && tc != KGRL_VT_PTR && tb != KGRL_VT_VOID && tc != KGRL_VT_VOID;
        if (arith) kgrl__conv_to(R, &a, kgrl__common(tb, tc), n->line, "?:");
        return a;
    }
    case KGRL__N_CAST: {
        kgrl__val a = kgrl__eval(R, n->a);
        if (R->err) return r;
        if (n->op == 1) { memset(&r, 0, sizeof r); return r; } // (void)
        if (n->ty.vt == KGRL_VT_PTR) {
            if (a.v.type != KGRL_VT_PTR || a.dim3) { KGRL__LERR(R, n->line, "a value of type %s cannot be cast to a pointer", kgrl__vtname(&a)); return r; }
            a.esize = n->ty.esize; a.cptr = n->ty.cpointee;
            return a;
        }
        if (n->ty.dim3) { kgrl__convert(R, &a, n->ty, n->line, "cast"); return a; }
        kgrl__conv_to(R, &a, n->ty.vt, n->line, "cast");
        return a;
    }
    case KGRL__N_MEMBER: {
        kgrl__val a = kgrl__eval(R, n->a);
        if (R->err) return r;
        if (!a.dim3) { KGRL__LERR(R, n->line, ".%c of a %s", 'x' + n->op, kgrl__vtname(&a)); return r; }
        return kgrl__mkint(KGRL_VT_UINT, a.d[n->op]);
    }
    case KGRL__N_DIM3: {
        r.dim3 = true; r.d[0] = r.d[1] = r.d[2] = 1;
        for (int k = 0; k < n->nkids && !R->err; k++) {
            kgrl__val a = kgrl__eval(R, P->kids[n->kids + k]);
            if (!R->err && kgrl__convert(R, &a, kgrl__type_of("dim3"), n->line, "dim3 value")) r.d[k] = a.d[0];
        }
        return r;
    }
    case KGRL__N_MINMAX: {
        kgrl__val a = kgrl__eval(R, n->a), b = kgrl__eval(R, n->b);
        if (R->err) return r;
        if (a.dim3 || b.dim3 || a.v.type == KGRL_VT_PTR || b.v.type == KGRL_VT_PTR) { KGRL__LERR(R, n->line, "min/max of a non-number"); return r; }
        kgrl_vtype t = n->c == 1 ? n->ty.vt : n->op >= 4 ? (n->op < 6 ? KGRL_VT_FLOAT : KGRL_VT_DOUBLE) : kgrl__common(a.v.type, b.v.type);
        if (!kgrl__conv_to(R, &a, t, n->line, "min/max") || !kgrl__conv_to(R, &b, t, n->line, "min/max")) return r;
        kgrl__val lt = kgrl__binop(R, '<', a, b, n->line);
        bool is_max = n->op % 2 == 1;
        return (lt.v.i != 0) != is_max ? a : b;
    }
    case KGRL__N_MATH: { // 0 sqrtf 1 fabsf 2 ceilf 3 floorf (float); 4 sqrt 5 fabs 6 ceil 7 floor (double); 8 abs
        kgrl__val a = kgrl__eval(R, n->a);
        if (R->err) return r;
        if (a.dim3 || a.v.type == KGRL_VT_PTR || a.v.type == KGRL_VT_VOID) { KGRL__LERR(R, n->line, "math on a %s", kgrl__vtname(&a)); return r; }
        int op = n->op;
        if (op == 8 && kgrl__isint(a.v.type)) { // abs of an integer: promoted type, |INT_MIN| wraps
            kgrl_vtype t = kgrl__promote(a.v.type);
            return kgrl__isuns(t) || a.v.i >= 0 ? kgrl__mkint(t, (uint64_t)a.v.i) : kgrl__mkint(t, (uint64_t)0 - (uint64_t)a.v.i);
        }
        if (op == 8) op = a.v.type == KGRL_VT_FLOAT ? 1 : 5;
        kgrl_vtype t = op < 4 ? KGRL_VT_FLOAT : KGRL_VT_DOUBLE;
        if (!kgrl__conv_to(R, &a, t, n->line, "math argument")) return r;
        if (t == KGRL_VT_FLOAT) {
            float x = (float)a.v.d;
            float y = op == 0 ? sqrtf(x) : op == 1 ? fabsf(x) : op == 2 ? ceilf(x) : floorf(x);
            return kgrl__mkflt(t, (double)y);
        }
        double x = a.v.d;
        return kgrl__mkflt(t, op == 4 ? sqrt(x) : op == 5 ? fabs(x) : op == 6 ? ceil(x) : floor(x));
    }
    case KGRL__N_COMMA:
        kgrl__eval(R, n->a);
        return kgrl__eval(R, n->b);
    case KGRL__N_NOOP:
        return kgrl__mkint(KGRL_VT_INT, 0); // cudaSuccess
    case KGRL__N_LAUNCH:
        if (!R->seq) { KGRL__LERR(R, n->line, "a launch is not a constant expression"); return r; }
        kgrl__launch(R, n);
        return r;
    case KGRL__N_BUILTIN:
        if (!R->seq) { KGRL__LERR(R, n->line, "not a constant expression"); return r; }
        kgrl__builtin(R, n);
        return r;
    case KGRL__N_MALLOC: {
        kgrl__val b = kgrl__eval(R, n->a);
        uint64_t bytes;
        if (!kgrl__size_arg(R, b, n->line, "cudaMalloc size", &bytes)) return r;
        kgrl_op *o = kgrl__op_new(R, KGRL_OP_MALLOC, n->line);
        if (!o) return r;
        int id = R->seq->nscratch++;
        o->buf = KGRL_SCRATCH_BASE + id; o->bytes = bytes;
        R->freed = (bool *)kgrl__grow(R->freed, id, &R->cfreed, sizeof(bool));
        R->freed[id] = false;
        kgrl__val p;
        memset(&p, 0, sizeof p);
        p.v.type = KGRL_VT_PTR; p.v.buf = o->buf; p.v.offset = 0;
        kgrl__write_var(R, n->slot, p, n->line);
        return kgrl__mkint(KGRL_VT_INT, 0);
    }
    case KGRL__N_FREE: {
        kgrl__val p = kgrl__eval(R, n->a);
        if (R->err) return r;
        if (p.v.type != KGRL_VT_PTR || p.dim3) { KGRL__LERR(R, n->line, "cudaFree of a non-pointer"); return r; }
        if (p.v.buf == -1) return kgrl__mkint(KGRL_VT_INT, 0); // cudaFree(nullptr) does nothing
        if (p.v.buf < KGRL_SCRATCH_BASE) { KGRL__LERR(R, n->line, "cudaFree of memory forward did not allocate (a tensor parameter)"); return r; }
        if (p.v.offset != 0) { KGRL__LERR(R, n->line, "cudaFree of a pointer into the middle of an allocation"); return r; }
        if (R->freed[p.v.buf - KGRL_SCRATCH_BASE]) { KGRL__LERR(R, n->line, "scratch buffer %d is freed twice", p.v.buf - KGRL_SCRATCH_BASE); return r; }
        R->freed[p.v.buf - KGRL_SCRATCH_BASE] = true;
        kgrl_op *o = kgrl__op_new(R, KGRL_OP_FREE, n->line);
        if (o) o->buf = p.v.buf;
        return kgrl__mkint(KGRL_VT_INT, 0);
    }
    case KGRL__N_MEMSET: {
        kgrl__val p = kgrl__eval(R, n->a), v = kgrl__eval(R, n->b), b = kgrl__eval(R, n->c);
        if (R->err) return r;
        if (p.v.type != KGRL_VT_PTR || p.dim3 || p.v.buf == -1) { KGRL__LERR(R, n->line, "cudaMemset needs a non-null pointer"); return r; }
        if (p.cptr) { kgrl__rfail(R, KGRL_STATUS_STATIC_REJECT, n->line, "cudaMemset on a pointer to const (an input tensor)"); return r; }
        if (!kgrl__live_ptr(R, &p, n->line, "cudaMemset")) return r;
        uint64_t bytes;
        if (!kgrl__conv_to(R, &v, KGRL_VT_INT, n->line, "cudaMemset value") || !kgrl__size_arg(R, b, n->line, "cudaMemset size", &bytes)) return r;
        kgrl_op *o = kgrl__op_new(R, KGRL_OP_MEMSET, n->line);
        if (!o) return r;
        o->buf = p.v.buf; o->offset = p.v.offset; o->bytes = bytes; o->memset_value = (int)v.v.i;
        return kgrl__mkint(KGRL_VT_INT, 0);
    }
    case KGRL__N_ATTR: {
        kgrl__val b = kgrl__eval(R, n->a);
        uint64_t bytes;
        if (!kgrl__size_arg(R, b, n->line, "cudaFuncSetAttribute size", &bytes)) return r;
        kgrl_op *o = kgrl__op_new(R, KGRL_OP_SET_MAX_DSMEM, n->line);
        if (!o) return r;
        o->name_expr = n->idx; o->bytes = bytes;
        return kgrl__mkint(KGRL_VT_INT, 0);
    }
    }
    KGRL__LERR(R, n->line, "internal: node %d is not an expression", n->kind);
    return r;
}

static int kgrl__exec(kgrl__rt *R, int idx) {
    if (R->err) return KGRL__X_ERROR;
    if (idx < 0) return KGRL__X_NORMAL;
    const kgrl__prog *P = R->P;
    const kgrl__node *n = &P->nodes[idx];
    if (++R->steps > KGRL__MAX_STEPS) { KGRL__LERR(R, n->line, "launcher did not finish: over %d statements executed", KGRL__MAX_STEPS); return KGRL__X_ERROR; }
    int res = KGRL__X_NORMAL;
    switch (n->kind) {
    case KGRL__S_EXPR: kgrl__eval(R, n->a); break;
    case KGRL__S_EMPTY: break;
    case KGRL__S_DECL: {
        int s = n->slot;
        R->set[s] = false;
        if (n->a < 0) {
            if (n->ty.dim3) { memset(&R->slots[s], 0, sizeof R->slots[s]); R->slots[s].dim3 = true; R->slots[s].d[0] = R->slots[s].d[1] = R->slots[s].d[2] = 1; R->set[s] = true; }
            break;
        }
        kgrl__val v = kgrl__eval(R, n->a);
        if (R->err) break;
        if (P->slots[s].is_auto) {
            if (v.v.type == KGRL_VT_VOID && !v.dim3) { KGRL__LERR(R, n->line, "auto %s: the initializer has no value", P->slots[s].name); break; }
            memset(&R->sty[s], 0, sizeof R->sty[s]);
            R->sty[s].vt = v.v.type; R->sty[s].dim3 = v.dim3; R->sty[s].esize = v.esize; R->sty[s].cpointee = v.cptr;
        }
        kgrl__write_var(R, s, v, n->line);
        break;
    }
    case KGRL__S_BLOCK:
        for (int k = 0; k < n->nkids && res == KGRL__X_NORMAL; k++) res = kgrl__exec(R, P->kids[n->kids + k]);
        break;
    case KGRL__S_IF: {
        kgrl__val c = kgrl__eval(R, n->a);
        if (R->err) break;
        bool x = kgrl__truth(R, &c, n->line);
        if (!R->err) res = kgrl__exec(R, x ? n->b : n->c);
        break;
    }
    case KGRL__S_FOR: case KGRL__S_WHILE: case KGRL__S_DO: {
        int body = n->kind == KGRL__S_FOR ? n->d : n->b, cond = n->kind == KGRL__S_FOR ? n->b : n->a;
        if (n->kind == KGRL__S_FOR) res = kgrl__exec(R, n->a);
        bool first = true;
        while (res == KGRL__X_NORMAL && !R->err) {
            if (!(n->kind == KGRL__S_DO && first) && cond >= 0) {
                kgrl__val c = kgrl__eval(R, cond);
                if (R->err || !kgrl__truth(R, &c, n->line)) break;
            }
            first = false;
            if (++R->steps > KGRL__MAX_STEPS) { KGRL__LERR(R, n->line, "launcher did not finish: over %d statements executed", KGRL__MAX_STEPS); break; }
            int b = kgrl__exec(R, body);
            if (b == KGRL__X_BREAK) break;
            if (b == KGRL__X_RETURN || b == KGRL__X_ERROR) { res = b; break; }
            if (n->kind == KGRL__S_FOR && n->c >= 0) kgrl__eval(R, n->c);
        }
        break;
    }
    case KGRL__S_BREAK: res = KGRL__X_BREAK; break;
    case KGRL__S_CONTINUE: res = KGRL__X_CONTINUE; break;
    case KGRL__S_RETURN: res = KGRL__X_RETURN; break;
    default: KGRL__LERR(R, n->line, "internal: node %d is not a statement", n->kind);
    }
    return R->err ? KGRL__X_ERROR : res;
}

// Parse-time evaluation of a constant (template arguments, defaults).
static bool kgrl__const_eval(kgrl__prog *P, int node, kgrl_value *out) {
    kgrl__rt R;
    memset(&R, 0, sizeof R);
    R.P = P;
    kgrl__val v = kgrl__eval(&R, node);
    if (!R.err && (v.dim3 || v.v.type == KGRL_VT_VOID)) KGRL__LERR(&R, P->nodes[node].line, "not a constant value");
    if (R.err) {
        // the message of the evaluator already has its line
        if (!P->err) { P->err = true; P->status = KGRL_STATUS_STATIC_REJECT; snprintf(P->msg, sizeof P->msg, "%.900s (template arguments must be constants)", R.msg); }
        return false;
    }
    *out = v.v;
    return true;
}

// ---------------------------------------------------------------------------------------------
// Public functions.

static void kgrl__prog_free(kgrl__prog *P) {
    if (!P) return;
    kgrl_free(P->raw.t); kgrl_free(P->pp.t); kgrl_free(P->X.t);
    kgrl_free(P->macros); kgrl_free(P->aliases); kgrl_free(P->globals); kgrl_free(P->kernels); kgrl_free(P->decls);
    kgrl_free(P->insts); kgrl_free(P->slots); kgrl_free(P->nodes); kgrl_free(P->kids); kgrl_free(P->scope);
    kgrl_free(P->kbody);
    kgrl_free(P);
}

void kgrl_candidate_parse(const char *completion, const char *signature, bool allow_builtins, kgrl_candidate *out) {
    memset(out, 0, sizeof *out);
    out->status = KGRL_STATUS_OK;
    char msg[512];
    out->code = kgrl__extract(completion ? completion : "", msg, sizeof msg);
    if (!out->code) { out->status = KGRL_STATUS_FORMAT_ERROR; kgrl__scpy(out->message, sizeof out->message, msg); return; }
    kgrl__prog *P = (kgrl__prog *)kgrl_calloc(1, sizeof(kgrl__prog));
    P->code = out->code;
    P->allow_builtins = allow_builtins;
    int len = (int)strlen(out->code);
    if (!kgrl__lex(out->code, 0, len, 1, true, &P->raw, msg, sizeof msg)) KGRL__REJECT(P, 0, "%s", msg);
    // the verifier's hook (kernels/verifier_hook.cuh) owns these names: a candidate that could
    // write its block count or poison word would defeat it. Searched in the whole text, directives
    // included; token pasting (kgrl_ ## _x) could still spell one, which no text check can see.
    const char *reserved = strstr(out->code, "kgrl__");
    if (reserved) {
        int line = 1;
        for (const char *q = out->code; q < reserved; q++) line += *q == '\n';
        KGRL__REJECT(P, line, "names beginning with kgrl__ are reserved for the verifier");
    }
    if (!P->err) kgrl__preprocess(P);
    if (!P->err) { int i = 0; kgrl__scan(P, &i, "", false); }
    if (!P->err && P->nfwd == 0) kgrl__fail(P, KGRL_STATUS_FORMAT_ERROR, 0, "no code block defines forward");
    if (!P->err) kgrl__forward_tokens(P);
    if (!P->err) kgrl__forward_params(P, signature ? signature : "");
    if (!P->err) { // the body
        P->pos = P->fwd_body; P->end = P->fwd_body_end;
        P->block_base = 0; // the parameters live in the body's outermost block
        int blk = kgrl__node_new(P, KGRL__S_BLOCK, P->fwd_line);
        kgrl__list l = {NULL, 0, 0};
        while (!P->err && P->pos < P->end) kgrl__list_add(&l, kgrl__parse_stmt(P));
        kgrl__set_kids(P, blk, &l);
        P->body = blk;
    }
    if (P->err) {
        out->status = P->status;
        kgrl__scpy(out->message, sizeof out->message, P->msg);
        kgrl__prog_free(P);
        return;
    }
    // device code: forward's definition removed, its newlines kept so NVRTC's line numbers match
    out->device_src = (char *)kgrl_malloc((size_t)len + 1);
    out->kernel_body_at = (int *)kgrl_malloc((size_t)(P->nkbody ? P->nkbody : 1) * sizeof(int));
    int k = 0, b = 0;                                // kbody is in text order: one cursor walks it
    for (int i = 0; i < len; i++) {
        bool keep = i < P->fwd_site || i >= P->fwd_site_end;
        for (int d = 0; d < P->ndrop; d++) keep = keep && (i < P->drop_start[d] || i >= P->drop_end[d]);
        if (b < P->nkbody && P->kbody[b] == i) { out->kernel_body_at[out->nkernel_bodies++] = k; b++; }
        if (keep || out->code[i] == '\n') out->device_src[k++] = out->code[i];
    }
    out->device_src[k] = 0;
    out->nkernels = P->nkernels;
    out->kernels = (kgrl_kernel_decl *)kgrl_malloc((size_t)(P->nkernels ? P->nkernels : 1) * sizeof(kgrl_kernel_decl));
    if (P->nkernels) memcpy(out->kernels, P->decls, (size_t)P->nkernels * sizeof(kgrl_kernel_decl));
    out->nname_exprs = P->ninsts;
    out->name_exprs = (char **)kgrl_malloc((size_t)(P->ninsts ? P->ninsts : 1) * sizeof(char *));
    for (int i = 0; i < P->ninsts; i++) out->name_exprs[i] = kgrl_strdup(P->insts[i].name);
    out->priv = P;
}

void kgrl_candidate_free(kgrl_candidate *c) {
    if (!c) return;
    kgrl_free(c->code); kgrl_free(c->device_src); kgrl_free(c->kernel_body_at); kgrl_free(c->kernels);
    for (int i = 0; i < c->nname_exprs; i++) kgrl_free(c->name_exprs[i]);
    kgrl_free(c->name_exprs);
    kgrl__prog_free((kgrl__prog *)c->priv);
    memset(c, 0, sizeof *c);
}

void kgrl_launch_seq_free(kgrl_launch_seq *s) {
    if (!s) return;
    for (int i = 0; i < s->nops; i++) kgrl_free(s->ops[i].args);
    kgrl_free(s->ops);
    memset(s, 0, sizeof *s);
}

bool kgrl_candidate_record(const kgrl_candidate *c, const kgrl_value *args, int nargs,
                           kgrl_launch_seq *out, kgrl_status *status, char *message, size_t message_cap) {
    memset(out, 0, sizeof *out);
    kgrl__rt R;
    memset(&R, 0, sizeof R);
    const kgrl__prog *P = c ? (const kgrl__prog *)c->priv : NULL;
    if (!P || c->status != KGRL_STATUS_OK) {
        if (status) *status = c ? c->status : KGRL_STATUS_FORMAT_ERROR;
        if (message && message_cap) snprintf(message, message_cap, "the candidate did not parse%s%s", c ? ": " : "", c ? c->message : "");
        return false;
    }
    R.P = P;
    R.seq = out;
    R.slots = (kgrl__val *)kgrl_calloc((size_t)(P->nslots ? P->nslots : 1), sizeof(kgrl__val));
    R.set = (bool *)kgrl_calloc((size_t)(P->nslots ? P->nslots : 1), sizeof(bool));
    R.sty = (kgrl__type *)kgrl_calloc((size_t)(P->nslots ? P->nslots : 1), sizeof(kgrl__type));
    for (int s = 0; s < P->nslots; s++) R.sty[s] = P->slots[s].ty;
    if (nargs != P->nparams) KGRL__LERR(&R, P->fwd_line, "forward takes %d arguments, %d given", P->nparams, nargs);
    for (int k = 0; k < P->nparams && !R.err; k++) {
        kgrl__val v;
        memset(&v, 0, sizeof v);
        v.v = args[k];
        if (v.v.type == KGRL_VT_PTR && v.v.buf < -1) KGRL__LERR(&R, P->fwd_line, "argument %d: bad buffer id %d", k + 1, v.v.buf);
        char what[96];
        snprintf(what, sizeof what, "forward's argument %d (%s)", k + 1, P->slots[k].name);
        if (!R.err && kgrl__convert(&R, &v, R.sty[k], P->fwd_line, what)) { R.slots[k] = v; R.set[k] = true; }
    }
    if (!R.err) kgrl__exec(&R, P->body);
    kgrl_free(R.slots); kgrl_free(R.set); kgrl_free(R.sty); kgrl_free(R.freed);
    if (R.err) {
        kgrl_launch_seq_free(out);
        if (status) *status = R.status;
        if (message && message_cap) kgrl__scpy(message, message_cap, R.msg);
        return false;
    }
    if (status) *status = KGRL_STATUS_OK;
    if (message && message_cap) message[0] = 0;
    return true;
}
