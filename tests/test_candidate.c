// test_candidate.c — candidate extraction, the static checks and the interpreted launcher
// (src/20_candidate.h). CPU only: nothing here compiles or runs a kernel.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"
#include <dirent.h>

// The signature most cases use, and a kernel that matches it.
#define SIG "void forward(const float* x, float* out, int n)"
#define KERN "__global__ void k(const float* x, float* out, long n) { long i = blockIdx.x * (long)blockDim.x + threadIdx.x; if (i < n) out[i] = x[i]; }\n"

static kgrl_value tensor(int buf) { kgrl_value v; memset(&v, 0, sizeof v); v.type = KGRL_VT_PTR; v.buf = buf; return v; }
static kgrl_value ival(int64_t i) { kgrl_value v; memset(&v, 0, sizeof v); v.type = KGRL_VT_INT; v.i = i; return v; }
static kgrl_value fval(double d) { kgrl_value v; memset(&v, 0, sizeof v); v.type = KGRL_VT_FLOAT; v.d = (double)(float)d; return v; }

// Parse `src` and check the status, that the message holds `frag`, and (line > 0) that it
// starts with "line <line>:".
static void expect_parse(const char *what, const char *src, const char *sig, bool builtins, kgrl_status st, const char *frag, int line) {
    kgrl_candidate c;
    kgrl_candidate_parse(src, sig, builtins, &c);
    KT_CHECK(c.status == st, "%s: status %s, want %s (message: %s)", what, kgrl_status_name(c.status), kgrl_status_name(st), c.message);
    if (frag) KT_CHECK(strstr(c.message, frag) != NULL, "%s: message \"%s\" lacks \"%s\"", what, c.message, frag);
    if (line > 0) {
        char want[32];
        snprintf(want, sizeof want, "line %d:", line);
        KT_CHECK(strncmp(c.message, want, strlen(want)) == 0, "%s: message \"%s\" does not start with \"%s\"", what, c.message, want);
    }
    kgrl_candidate_free(&c);
}
#define REJECT(src, frag, line) expect_parse(#line ": " frag, src, SIG, false, KGRL_STATUS_STATIC_REJECT, frag, line)

// Parse (must be OK) and record with x = buf 0, out = buf 1, n.
static bool run1(const char *src, int64_t n, kgrl_candidate *c, kgrl_launch_seq *seq, kgrl_status *st, char *msg) {
    kgrl_candidate_parse(src, SIG, false, c);
    KT_CHECK(c->status == KGRL_STATUS_OK, "parse: %s: %s", kgrl_status_name(c->status), c->message);
    kgrl_value args[3] = {tensor(0), tensor(1), ival(n)};
    memset(seq, 0, sizeof *seq);
    if (c->status != KGRL_STATUS_OK) return false;
    return kgrl_candidate_record(c, args, 3, seq, st, msg, 1024);
}
// A launcher that must fail at record time with status st, message fragment and line.
static void expect_record_error(const char *what, const char *src, int64_t n, kgrl_status want, const char *frag, int line) {
    kgrl_candidate c; kgrl_launch_seq s; kgrl_status st = KGRL_STATUS_OK; char msg[1024] = "";
    bool ok = run1(src, n, &c, &s, &st, msg);
    KT_CHECK(!ok && st == want, "%s: got %s (%s), want %s", what, ok ? "success" : kgrl_status_name(st), msg, kgrl_status_name(want));
    KT_CHECK(strstr(msg, frag) != NULL, "%s: message \"%s\" lacks \"%s\"", what, msg, frag);
    char l[32];
    snprintf(l, sizeof l, "line %d:", line);
    KT_CHECK(strncmp(msg, l, strlen(l)) == 0, "%s: message \"%s\" does not start with \"%s\"", what, msg, l);
    kgrl_launch_seq_free(&s);
    kgrl_candidate_free(&c);
}

static void test_status_names(void) {
    for (int s = 0; s < KGRL_STATUS_COUNT; s++) {
        kgrl_status back;
        KT_CHECK(kgrl_status_from_name(kgrl_status_name((kgrl_status)s), &back) && back == (kgrl_status)s, "status %d round trip", s);
    }
    kgrl_status x;
    KT_CHECK(!kgrl_status_from_name("nope", &x), "unknown status name");
    KT_CHECK(!strcmp(kgrl_status_name(KGRL_STATUS_STATIC_REJECT), "static_reject"), "name");
}

static void test_extraction(void) {
    // the last block that defines forward wins; a later block without forward is skipped
    const char *two =
        "Here is a first try:\n```cuda\n" KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }\n```\n"
        "Better:\n```cpp\n__global__ void k2(const float* x, float* out, int n) {}\n"
        "void forward(const float* x, float* out, int n) { k2<<<2, 32>>>(x, out, n); }\n```\n"
        "And a helper for reference:\n```cuda\n__device__ float sq(float v) { return v * v; }\n```\nDone.";
    kgrl_candidate c;
    kgrl_candidate_parse(two, SIG, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "two blocks: %s", c.message);
    KT_CHECK(c.nname_exprs == 1 && !strcmp(c.name_exprs[0], "k2"), "the last block with forward wins (got %s)", c.nname_exprs ? c.name_exprs[0] : "none");
    KT_CHECK(c.code && strncmp(c.code, "__global__ void k2", 18) == 0, "code is the block's body");
    kgrl_candidate_free(&c);
    // bare code, no fences
    kgrl_candidate_parse(KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }\n", SIG, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "bare code: %s", c.message);
    kgrl_candidate_free(&c);
    // a fence never closed (generation stopped at the closing ```)
    kgrl_candidate_parse("```cuda\n" KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }\n", SIG, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "unclosed fence: %s", c.message);
    kgrl_candidate_free(&c);
    expect_parse("no block", "I think the answer is to use a kernel.", SIG, false, KGRL_STATUS_FORMAT_ERROR, "no code block defines forward", 0);
    expect_parse("block without forward", "```cuda\n" KERN "```\n", SIG, false, KGRL_STATUS_FORMAT_ERROR, "no code block defines forward", 0);
    expect_parse("python block", "```python\ndef forward(x):\n    return x\n```\n", SIG, false, KGRL_STATUS_FORMAT_ERROR, "no code block defines forward", 0);
    expect_parse("forward only declared", "```cuda\n" KERN "void forward(const float* x, float* out, int n);\n```\n", SIG, false,
                 KGRL_STATUS_FORMAT_ERROR, "no code block defines forward", 0);
    // device_src: forward blanked, line numbers kept
    kgrl_candidate_parse("```cuda\n" KERN "void forward(const float* x, float* out, int n) {\n  k<<<1, 1>>>(x, out, n);\n}\n__device__ int after;\n```", SIG, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "device_src case: %s", c.message);
    if (c.status == KGRL_STATUS_OK) {
        KT_CHECK(strstr(c.device_src, "forward") == NULL, "forward is not in device_src");
        KT_CHECK(strstr(c.device_src, "__global__ void k(") == c.device_src, "the kernel is kept");
        const char *a = strstr(c.device_src, "__device__ int after;");
        int nl = 0;
        for (const char *p = c.device_src; a && p < a; p++) nl += *p == '\n';
        KT_CHECK(a && nl == 4, "line of the code after forward kept (%d newlines before it, want 4)", nl);
        KT_CHECK(c.nkernels == 1 && !strcmp(c.kernels[0].name, "k") && c.kernels[0].nparams == 3 && !strcmp(c.kernels[0].param_types[2], "long") &&
                 !strcmp(c.kernels[0].param_types[0], "const float*") && c.kernels[0].line == 1, "kernel decl");
    }
    kgrl_candidate_free(&c);
}

static void test_signature(void) {
    // same types written differently are accepted
    expect_parse("float const *", KERN "void forward(float const * in, float *o, int count) { k<<<1, 1>>>(in, o, count); }", SIG, false,
                 KGRL_STATUS_OK, NULL, 0);
    expect_parse("const top-level", KERN "void forward(const float* __restrict__ x, float* const out, const int n) { k<<<1, 1>>>(x, out, n); }", SIG, false,
                 KGRL_STATUS_OK, NULL, 0);
    REJECT(KERN "void forward(float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }", "parameter 1 (x) has type 'float*', the task's signature says 'const float* x'", 2);
    REJECT(KERN "void forward(const float* x, float* out, long n) { k<<<1, 1>>>(x, out, n); }", "parameter 3 (n) has type 'long'", 2);
    REJECT(KERN "void forward(const float* x, float* out) { k<<<1, 1>>>(x, out, 4); }", "forward has 2 parameters, the task's signature has 3", 2);
    REJECT(KERN "void forward(const float* x, float* out, int n, int m) { k<<<1, 1>>>(x, out, n); }", "forward has 4 parameters", 2);
    expect_parse("forward twice", KERN "void forward(const float* x, float* out, int n) {}\nvoid forward(const float* x, float* out, int n) {}", SIG, false,
                 KGRL_STATUS_STATIC_REJECT, "forward is defined more than once (lines 2 and 3)", 3);
}

static void test_forbidden(void) {
    const char *F = KERN "void forward(const float* x, float* out, int n) {\n";
    char src[4096];
#define BODY(b) (snprintf(src, sizeof src, "%s%s\n}\n", F, b), src)
    // line 3 is the first line of the body
    REJECT(BODY("  cudaMemcpy(out, x, n * 4, cudaMemcpyDeviceToDevice);"), "cudaMemcpy is not allowed in forward", 3);
    REJECT(BODY("  cudaMemcpyAsync(out, x, n * 4, cudaMemcpyDeviceToDevice, 0);"), "cudaMemcpyAsync is not allowed", 3);
    REJECT(BODY("  cudaStream_t s;\n  cudaStreamCreate(&s);"), "streams and events are not allowed", 3);
    REJECT(BODY("  cudaStreamCreate(0);"), "cudaStreamCreate is not allowed in forward: streams and events", 3);
    REJECT(BODY("  int a = 1;\n  cudaEventRecord(0);"), "cudaEventRecord is not allowed", 4);
    REJECT(BODY("  cudaDeviceSetLimit(cudaLimitStackSize, 1 << 20);"), "cudaDeviceSetLimit is not allowed", 3);
    REJECT(BODY("  float* h = (float*)malloc(16);"), "malloc is not allowed in forward", 3);
    REJECT(BODY("  printf(\"%d\\n\", n);"), "printf is not allowed in forward", 3);
    REJECT(BODY("  std::thread t(0);"), "std::thread is not allowed in forward", 3);
    REJECT(BODY("  cublasSgemm(0, 0, 0, n, n, n, 0, x, n, x, n, 0, out, n);"), "cublasSgemm is not allowed", 3);
    REJECT(BODY("  if (n < 0) exit(1);"), "exit is not allowed in forward", 3);
    REJECT(BODY("  asm volatile(\"nop\");"), "inline asm is not allowed in host code", 3);
    REJECT(BODY("  int i = 0;\nagain:\n  i++;\n  goto again;"), "labels are not allowed", 4);
    REJECT(BODY("  goto done;"), "goto is not allowed in forward", 3);
    REJECT(BODY("  auto f = [](int a) { return a; };"), "lambdas are not allowed in forward", 3);
    REJECT(BODY("  float* p = new float[4];"), "'new' is not allowed in forward", 3);
    REJECT(BODY("  delete out;"), "'delete' is not allowed in forward", 3);
    REJECT(BODY("  static int calls = 0;\n  calls++;"), "static locals are not allowed", 3);
    REJECT(BODY("  float v = x[0];"), "reading or writing memory (p[...])", 3);
    REJECT(BODY("  *out = 1.0f;"), "reading or writing memory (*p)", 3);
    REJECT(BODY("  int a = 0;\n  int* p = &a;"), "taking an address (&) is only allowed as cudaMalloc", 4);
    REJECT(BODY("  switch (n) { case 1: break; }"), "switch is not allowed", 3);
    REJECT(BODY("  return 0;"), "return with a value is not allowed", 3);
    REJECT(BODY("  int dims[3];"), "arrays are not allowed in forward", 3);
    REJECT(BODY("  unsigned char c = 0;"), "type 'unsigned char' is not allowed in forward", 3);
    REJECT(BODY("  float4 v;"), "type 'float4' is not allowed in forward", 3);
    REJECT(BODY("  int& r = n;"), "references are not allowed", 3);
    REJECT(BODY("  const char* s = \"hi\";"), "string literals are not allowed", 3);
    REJECT(BODY("  k<<<1, 1, 0, stream>>>(x, out, n);"), "streams are not allowed", 3);
    REJECT(BODY("  k<<<1, 1, 0, 1>>>(x, out, n);"), "streams are not allowed", 3);
    REJECT(BODY("  cudaMemsetAsync(out, 0, 4, s);"), "streams are not allowed", 3);
    REJECT(BODY("  foo<<<1, 1>>>(x, out, n);"), "'foo' is launched but is not a __global__ kernel", 3);
    REJECT(BODY("  k(x, out, n);"), "kernel k can only be launched with k<<<grid, block>>>", 3);
    REJECT(BODY("  cudaFuncSetAttribute(k, cudaFuncAttributePreferredSharedMemoryCarveout, 50);"), "only cudaFuncAttributeMaxDynamicSharedMemorySize", 3);
    REJECT(BODY("  kgrl_gemm(0, 0, n, n, n, 1.0f, x, n, x, n, 0.0f, out, n);"), "kgrl_gemm is a builtin for task references only", 3);
    REJECT(BODY("  int m = n;\n  m = undefined_thing + 1;"), "unknown identifier undefined_thing", 4);
    REJECT(BODY("  #pragma unroll\n  k<<<1, 1>>>(x, out, n);"), "preprocessor directives are not allowed inside forward", 3);
    REJECT(BODY("  n = n / 2;\n  x = x + 1;\n  int n = 3;"), "redeclaration of n", 5);
    REJECT(BODY("  const int c = 3;\n  c = 4;"), "c is const", 4);
    REJECT(BODY("  int a = std::rand();"), "std::rand is not allowed", 3);
    REJECT(BODY("  try { } catch (...) { }"), "exceptions are not allowed", 3);
    REJECT(BODY("  int a = sizeof x[0];"), "sizeof needs parentheses", 3);
    REJECT(BODY("  break;"), "break outside a loop", 3);
    REJECT(BODY("  int a = 1 +;"), "unexpected ';' in an expression", 3);
    REJECT(BODY("  float* p;\n  cudaMalloc(p, 16);"), "cudaMalloc's first argument must be &p", 4);
    REJECT(BODY("  cudaMalloc((void**)&out, 16);"), "cudaMalloc target out must be a pointer declared in forward", 3);
    // file-scope problems
    REJECT("int helper(int a) { return a + 1; }\n" KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, helper(n)); }",
           "host function 'helper' is not allowed", 1);
    REJECT(KERN "__host__ int h2(int a) { return a; }\nvoid forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }",
           "host function 'h2' is not allowed", 2);
    REJECT(KERN "extern \"C\" void launch_it(const float* x) {}\nvoid forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }",
           "host function 'launch_it' is not allowed", 2);
    REJECT(KERN "struct S { int a; };\nint S_get(S s) { return s.a; }\nvoid forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }",
           "host function 'S_get'", 3);
    // host runtime headers are dropped from the device source, not rejected (NVRTC needs none of them)
    {
        kgrl_candidate c;
        kgrl_candidate_parse("#include <cuda_runtime.h>\n#include <cmath>\n" KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }",
                             SIG, false, &c);
        KT_CHECK(c.status == KGRL_STATUS_OK, "cuda_runtime.h accepted: %s", c.message);
        KT_CHECK(c.device_src && !strstr(c.device_src, "cuda_runtime") && !strstr(c.device_src, "cmath") &&
                 strncmp(c.device_src, "\n\n", 2) == 0, "dropped includes are blanked, lines kept");
        kgrl_candidate_free(&c);
    }
    REJECT("#include \"my_kernels.h\"\n" KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }",
           "#include <my_kernels.h> is not allowed", 1);
    REJECT("#include <cstdio>\n" KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }", "#include <cstdio>", 1);
    expect_parse("allowed headers", "#include <cuda_fp16.h>\n#include <cooperative_groups/reduce.h>\n#include <cuda/std/cstdint>\n#include <mma.h>\n"
                 KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }", SIG, false, KGRL_STATUS_OK, NULL, 0);
    REJECT("#define CDIV(a, b) (((a) + (b) - 1) / (b))\n" KERN "void forward(const float* x, float* out, int n) {\n  k<<<CDIV(n, 256), 256>>>(x, out, n);\n}",
           "function-like macro CDIV cannot be used in forward", 4);
    REJECT("#define DEFINE_HOST(name) int name() { return 1; }\nDEFINE_HOST(evil)\n" KERN "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }",
           "function-like macro DEFINE_HOST used at file scope", 2);
    REJECT("#if 1\n#define BS 128\n#else\n#define BS 256\n#endif\n" KERN "void forward(const float* x, float* out, int n) {\n  k<<<1, BS>>>(x, out, n);\n}",
           "macro BS has several definitions", 8);
    REJECT("#define A0 1\n#define A1 A0 A0\n#define A2 A1 A1\n#define A3 A2 A2\n#define A4 A3 A3\n#define A5 A4 A4\n#define A6 A5 A5\n#define A7 A6 A6\n"
           "#define A8 A7 A7\n#define A9 A8 A8\n#define B0 A9 A9\n#define B1 B0 B0\n#define B2 B1 B1\n#define B3 B2 B2\n#define B4 B3 B3\n#define B5 B4 B4\n"
           "#define B6 B5 B5\n#define B7 B6 B6\n#define B8 B7 B7\n#define B9 B8 B8\n#define C0 B9 B9\nint x[] = {C0};\n" KERN
           "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }", "macro expansion of", 22);
    REJECT("int counter = 0;\n" KERN "void forward(const float* x, float* out, int n) {\n  counter++;\n  k<<<1, 1>>>(x, out, n);\n}",
           "global variable counter cannot be used in forward", 4);
    REJECT("__device__ int flag;\n" KERN "void forward(const float* x, float* out, int n) {\n  flag = 1;\n}", "device variable flag cannot be used in forward", 4);
    REJECT("struct P { const float* x; float* out; int n; };\n__global__ void ks(P p) {}\n"
           "void forward(const float* x, float* out, int n) {\n  ks<<<1, 1>>>(x);\n}", "kernel ks: parameter 1 has type 'P' passed by value", 4);
    REJECT("template <typename T> __global__ void kt(const T* x, T* out, int n) {}\n"
           "void forward(const float* x, float* out, int n) {\n  kt<<<1, 1>>>(x, out, n);\n}", "kernel template kt needs its template arguments", 3);
    REJECT(KERN "__device__ void d() {}\nvoid forward(const float* x, float* out, int n) {\n  d<<<1, 1>>>();\n}", "'d' is launched but is not a __global__ kernel", 4);
    expect_parse("forward in a namespace", KERN "namespace ns {\nvoid forward(const float* x, float* out, int n) {}\n}", SIG, false,
                 KGRL_STATUS_FORMAT_ERROR, "no code block defines forward", 0);
    REJECT(KERN "__global__ void forward(const float* x, float* out, int n) {}", "forward must be a plain host function", 2);
    REJECT("__global__ void k(int a) { int s = \"unterminated; }\nvoid forward(const float* x, float* out, int n) {}", "unterminated string literal", 1);
    REJECT("__global__ void k(int a) { /* never closed\nvoid forward(const float* x, float* out, int n) {}", "unterminated /* comment", 1);
    REJECT("__global__ void k(int a) { int b = a @ 2; }\nvoid forward(const float* x, float* out, int n) {}", "unexpected character '@'", 1);
#undef BODY
}

static void test_accept_simple(void) {
    const char *src =
        "```cuda\n"
        "// elementwise copy\n"
        "__global__ void k(const float* x, float* out, long n) {\n"
        "    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;\n"
        "    if (i < n) out[i] = x[i];\n"
        "}\n"
        "void forward(const float* x, float* out, int n) {\n"
        "    int threads = 256;\n"
        "    long blocks = (n + threads - 1) / threads;\n"
        "    k<<<blocks, threads>>>(x, out, n);\n"
        "    (void)cudaGetLastError();\n"
        "    cudaDeviceSynchronize();\n"
        "}\n```\n";
    kgrl_candidate c; kgrl_launch_seq s; kgrl_status st; char msg[1024];
    bool ok = run1(src, 1000, &c, &s, &st, msg);
    KT_CHECK(ok, "record: %s", msg);
    KT_CHECK(ok && s.nops == 1, "one op (got %d)", s.nops);
    if (ok && s.nops == 1) {
        kgrl_op *o = &s.ops[0];
        KT_CHECK(o->kind == KGRL_OP_LAUNCH && o->line == 9 && o->name_expr == 0, "launch at line 9");
        KT_CHECK(o->grid[0] == 4 && o->grid[1] == 1 && o->grid[2] == 1 && o->block[0] == 256 && o->block[1] == 1 && o->smem == 0, "config %u/%u", o->grid[0], o->block[0]);
        KT_CHECK(o->nargs == 3 && o->args[0].type == KGRL_VT_PTR && o->args[0].buf == 0 && o->args[1].buf == 1 && o->args[1].offset == 0, "pointer args");
        KT_CHECK(o->args[2].type == KGRL_VT_LONG && o->args[2].i == 1000, "int n converted to the kernel's long");
    }
    kgrl_launch_seq_free(&s);
    kgrl_candidate_free(&c);
}

static void test_accept_dim3_and_loops(void) {
    const char *sig = "void forward(const float* A, float* C, int H, int W)";
    const char *src =
        "__global__ void t2(const float* a, float* c, int h, int w) {}\n"
        "__global__ void rowk(const float* a, float* c, int w) {}\n"
        "void forward(const float* A, float* C, int H, int W) {\n"
        "    dim3 block(16, 16);\n"
        "    dim3 grid((W + block.x - 1) / block.x, (H + 15) / 16);\n"
        "    t2<<<grid, block>>>(A, C, H, W);\n"
        "    for (int r = 0; r < 3; ++r) {\n"
        "        if (r == 1) continue;\n"
        "        rowk<<<dim3(W / 32 + 1), dim3(32, 1, 1)>>>(A + r * W, C + (size_t)r * W, W);\n"
        "    }\n"
        "    int i = 0;\n"
        "    while (true) { if (++i >= 2) break; }\n"
        "    do { i--; } while (i > 0);\n"
        "    dim3 g2 = dim3(i + 1);\n"
        "    g2.y = 2;\n"
        "    t2<<<g2, 64>>>(A, C, H, W);\n"
        "}\n";
    kgrl_candidate c;
    kgrl_candidate_parse(src, sig, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "parse: %s", c.message);
    KT_CHECK(c.nname_exprs == 2 && !strcmp(c.name_exprs[0], "t2") && !strcmp(c.name_exprs[1], "rowk"), "name expressions");
    kgrl_value args[4] = {tensor(0), tensor(1), ival(100), ival(70)};
    kgrl_launch_seq s; kgrl_status st; char msg[1024];
    bool ok = kgrl_candidate_record(&c, args, 4, &s, &st, msg, sizeof msg);
    KT_CHECK(ok, "record: %s", msg);
    KT_CHECK(ok && s.nops == 4, "4 launches (got %d)", s.nops);
    if (ok && s.nops == 4) {
        KT_CHECK(s.ops[0].grid[0] == 5 && s.ops[0].grid[1] == 7 && s.ops[0].block[0] == 16 && s.ops[0].block[1] == 16, "2-D grid (%u, %u)", s.ops[0].grid[0], s.ops[0].grid[1]);
        KT_CHECK(s.ops[1].name_expr == 1 && s.ops[1].args[0].offset == 0 && s.ops[2].args[0].offset == 2 * 70 * 4 && s.ops[2].args[1].offset == 2 * 70 * 4,
                 "pointer arithmetic in bytes (%lld)", (long long)s.ops[2].args[0].offset);
        KT_CHECK(s.ops[1].grid[0] == 3 && s.ops[1].block[0] == 32, "dim3(...) temporaries");
        KT_CHECK(s.ops[3].grid[0] == 1 && s.ops[3].grid[1] == 2 && s.ops[3].block[0] == 64 && s.ops[3].line == 16, "g2 after the loops");
    }
    kgrl_launch_seq_free(&s);
    kgrl_candidate_free(&c);
}

static void test_templates(void) {
    const char *src =
        "#define BS 128\n"
        "constexpr int TILE = BS * 2;\n"
        "namespace cfg { constexpr int WARPS = 4; }\n"
        "typedef float real;\n"
        "template <typename T, int B>\n"
        "__global__ void __launch_bounds__(256) tk(const T* __restrict__ x, T* out, int n) {}\n"
        "template <int B = 64, bool FAST = true> __global__ void tk2(const float4* x, float4* out, unsigned n4) {}\n"
        "void forward(const float* x, float* out, int n) {\n"
        "    tk<float, TILE><<<(n + TILE - 1) / TILE, TILE>>>(x, out, n);\n"
        "    tk<real, BS><<<1, BS>>>(x, out, n);\n"
        "    tk2<<<1, cfg::WARPS * 32>>>(reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(out), n / 4);\n"
        "    tk2<32, false><<<1, 32>>>((const float4*)x, (float4*)out, n / 4);\n"
        "}\n";
    kgrl_candidate c;
    kgrl_candidate_parse(src, SIG, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "parse: %s", c.message);
    KT_CHECK(c.nname_exprs == 4, "4 instances (got %d)", c.nname_exprs);
    if (c.nname_exprs == 4) {
        KT_CHECK(!strcmp(c.name_exprs[0], "tk<float, 256>"), "constexpr template argument: %s", c.name_exprs[0]);
        KT_CHECK(!strcmp(c.name_exprs[1], "tk<float, 128>"), "alias and #define arguments: %s", c.name_exprs[1]);
        KT_CHECK(!strcmp(c.name_exprs[2], "tk2<64, true>"), "defaults: %s", c.name_exprs[2]);
        KT_CHECK(!strcmp(c.name_exprs[3], "tk2<32, false>"), "bool argument: %s", c.name_exprs[3]);
    }
    KT_CHECK(c.nkernels == 2 && c.kernels[0].ntemplate == 2 && !strcmp(c.kernels[0].template_params[1], "int B") &&
             !strcmp(c.kernels[0].param_types[0], "const T*"), "template kernel decl");
    kgrl_value args[3] = {tensor(0), tensor(1), ival(1000)};
    kgrl_launch_seq s; kgrl_status st; char msg[1024];
    bool ok = kgrl_candidate_record(&c, args, 3, &s, &st, msg, sizeof msg);
    KT_CHECK(ok && s.nops == 4, "record: %s", msg);
    if (ok && s.nops == 4) {
        KT_CHECK(s.ops[0].grid[0] == 4 && s.ops[0].block[0] == 256, "TILE launch");
        KT_CHECK(s.ops[2].block[0] == 128 && s.ops[2].args[0].type == KGRL_VT_PTR && s.ops[2].args[2].type == KGRL_VT_UINT && s.ops[2].args[2].i == 250,
                 "float4 reinterpret + unsigned param");
    }
    kgrl_launch_seq_free(&s);
    kgrl_candidate_free(&c);
}

// Forms of device code and launcher seen in model output.
static void test_accept_forms(void) {
    const char *src =
        "#include <cuda_fp16.h>\n"
        "extern \"C\" __global__ void ek(const float* x, float* out, int n) {}\n"
        "namespace kern { __global__ void nk(const float* __restrict__ x, float* __restrict__ out, size_t n) {} }\n"
        "namespace { template <int B> __global__ void ak(const float* x, float* out, int n) {} }\n"
        "__device__ __forceinline__ float2 operator+(float2 a, float2 b) { return make_float2(a.x + b.x, a.y + b.y); }\n"
        "struct Pair { float a, b; };\n"
        "__constant__ float table[16];\n"
        "using index_t = long long;\n"
        "__global__ void lk(const float* x, float* out, index_t n, float x2[]) {}\n"
        "extern \"C\" {\n"
        "void forward(const float* x, float* out, int n) {\n"
        "    const float* __restrict__ xp = x;\n"
        "    int half = n / 2; half += half;\n"
        "    constexpr int kBlock = 128;\n"
        "    const int threads = std::min<int>(kBlock * 2, 1024);\n"
        "    int blocks = static_cast<int>(std::ceil(n / (double)threads));\n"
        "    ek<<<blocks, threads>>>(xp, out, half);\n"
        "    kern::nk<<<blocks, threads, 0, 0>>>(x, out, (size_t)n);\n"
        "    ak<kBlock><<<blocks, kBlock, 0, nullptr>>>(x, out, n);\n"
        "    lk<<<1, 32>>>(x, out, (index_t)n * n, out);\n"
        "    cudaError_t err = cudaGetLastError();\n"
        "    if (err != cudaSuccess) return;\n"
        "    cudaPeekAtLastError();\n"
        "}\n"
        "}\n";
    kgrl_candidate c; kgrl_launch_seq s; kgrl_status st; char msg[1024];
    bool ok = run1(src, 1000, &c, &s, &st, msg);
    KT_CHECK(ok && s.nops == 4, "record: %s %s", c.message, msg);
    KT_CHECK(c.nname_exprs == 4 && !strcmp(c.name_exprs[0], "ek") && !strcmp(c.name_exprs[1], "kern::nk") && !strcmp(c.name_exprs[2], "ak<128>") &&
             !strcmp(c.name_exprs[3], "lk"), "name expressions");
    if (ok && s.nops == 4) {
        KT_CHECK(s.ops[0].grid[0] == 4 && s.ops[0].block[0] == 256, "std::min<int>, std::ceil (%u, %u)", s.ops[0].grid[0], s.ops[0].block[0]);
        KT_CHECK(s.ops[1].args[2].type == KGRL_VT_ULONG && s.ops[2].block[0] == 128, "namespace kernel, const local as template argument");
        KT_CHECK(s.ops[3].args[2].type == KGRL_VT_LONG && s.ops[3].args[2].i == 1000000 && s.ops[3].args[3].type == KGRL_VT_PTR, "alias and array params");
    }
    KT_CHECK(c.status == KGRL_STATUS_OK && strstr(c.device_src, "extern \"C\" {\n") && !strstr(c.device_src, "forward"), "extern \"C\" block kept, forward removed");
    kgrl_launch_seq_free(&s);
    kgrl_candidate_free(&c);
    REJECT("__global__ void k(const float* x, float* out, int n) {}\n__global__ void k(const float* x, float* out, long n) {}\n"
           "void forward(const float* x, float* out, int n) {\n  k<<<1, 1>>>(x, out, n);\n}", "kernel k is defined more than once (lines 1 and 2)", 4);
}

static void test_scratch_and_smem(void) {
    const char *src =
        "__global__ void k(const float* x, float* out, long n) {}\n"
        "__global__ void big(const float* x, float* out, int n) { extern __shared__ float s[]; }\n"
        "void forward(const float* x, float* out, int n) {\n"
        "    float* tmp = nullptr;\n"
        "    size_t bytes = (size_t)n * sizeof(float);\n"
        "    cudaMalloc(&tmp, bytes);\n"
        "    void* ws;\n"
        "    cudaMalloc((void**)&ws, 64);\n"
        "    cudaMemset(tmp, 0, bytes);\n"
        "    cudaMemsetAsync(out, 0, bytes, 0);\n"
        "    k<<<1, 256>>>(x, tmp, n);\n"
        "    const int smem = 100 * 1024;\n"
        "    cudaFuncSetAttribute(big, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);\n"
        "    big<<<2, 128, smem>>>(tmp, out, n);\n"
        "    k<<<1, 32>>>((const float*)((char*)ws + 16), out + 1, n);\n"
        "    cudaFree(tmp);\n"
        "    cudaFree(ws);\n"
        "}\n";
    kgrl_candidate c; kgrl_launch_seq s; kgrl_status st; char msg[1024];
    bool ok = run1(src, 10, &c, &s, &st, msg);
    KT_CHECK(ok, "record: %s", msg);
    KT_CHECK(ok && s.nops == 10 && s.nscratch == 2, "10 ops, 2 scratch (got %d, %d)", s.nops, s.nscratch);
    if (ok && s.nops == 10) {
        kgrl_op *o = s.ops;
        KT_CHECK(o[0].kind == KGRL_OP_MALLOC && o[0].buf == KGRL_SCRATCH_BASE && o[0].bytes == 40 && o[0].line == 6, "malloc");
        KT_CHECK(o[1].kind == KGRL_OP_MALLOC && o[1].buf == KGRL_SCRATCH_BASE + 1 && o[1].bytes == 64, "malloc via (void**)");
        KT_CHECK(o[2].kind == KGRL_OP_MEMSET && o[2].buf == KGRL_SCRATCH_BASE && o[2].bytes == 40 && o[2].memset_value == 0, "memset scratch");
        KT_CHECK(o[3].kind == KGRL_OP_MEMSET && o[3].buf == 1 && o[3].bytes == 40, "memset output");
        KT_CHECK(o[4].kind == KGRL_OP_LAUNCH && o[4].args[1].buf == KGRL_SCRATCH_BASE, "launch on scratch");
        KT_CHECK(o[5].kind == KGRL_OP_SET_MAX_DSMEM && o[5].bytes == 102400 && !strcmp(c.name_exprs[o[5].name_expr], "big"), "attribute");
        KT_CHECK(o[6].kind == KGRL_OP_LAUNCH && o[6].smem == 102400 && o[6].grid[0] == 2, "dynamic smem over 48 KB");
        KT_CHECK(o[7].args[0].buf == KGRL_SCRATCH_BASE + 1 && o[7].args[0].offset == 16 && o[7].args[1].offset == 4, "char* arithmetic on void* scratch");
        KT_CHECK(o[8].kind == KGRL_OP_FREE && o[8].buf == KGRL_SCRATCH_BASE && o[9].kind == KGRL_OP_FREE && o[9].buf == KGRL_SCRATCH_BASE + 1, "frees");
    }
    kgrl_launch_seq_free(&s);
    kgrl_candidate_free(&c);
    const char *F = KERN "void forward(const float* x, float* out, int n) {\n";
    char src2[2048];
#define BODY(b) (snprintf(src2, sizeof src2, "%s%s\n}\n", F, b), src2)
    expect_record_error("memset input", BODY("  cudaMemset((float*)out, 0, 4);\n  cudaMemset(x, 0, 4);"), 4, KGRL_STATUS_STATIC_REJECT, "cudaMemset on a pointer to const", 4);
    expect_record_error("free tensor", BODY("  cudaFree(out);"), 4, KGRL_STATUS_LAUNCH_ERROR, "cudaFree of memory forward did not allocate", 3);
    expect_record_error("double free", BODY("  float* t;\n  cudaMalloc(&t, 4);\n  cudaFree(t);\n  cudaFree(t);"), 4, KGRL_STATUS_LAUNCH_ERROR, "freed twice", 6);
    expect_record_error("use after free", BODY("  float* t;\n  cudaMalloc(&t, 4);\n  cudaFree(t);\n  k<<<1, 1>>>(x, t, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "used after cudaFree", 6);
    expect_record_error("negative malloc", BODY("  float* t;\n  cudaMalloc(&t, n - 10);"), 4, KGRL_STATUS_LAUNCH_ERROR, "cudaMalloc size is negative", 4);
    expect_record_error("void* arithmetic", BODY("  void* t;\n  cudaMalloc(&t, 64);\n  k<<<1, 1>>>(x, (float*)(t + 4), n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "pointer to void", 5);
#undef BODY
}

static void test_builtins(void) {
    const char *sig = "void forward(const float* x, const float* w, const float* b, float* y, int N, int C, int H, int W, int K)";
    const char *src =
        "void forward(const float* x, const float* w, const float* b, float* y, int N, int C, int H, int W, int K) {\n"
        "    kgrl_conv(2, 0, N, C, K, {H, W}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, 1, x, w, b, y);\n"
        "    kgrl_conv(1, 1, N, C, K, {H * W}, {3}, {2}, {0}, {1}, {1}, 1, x, w, nullptr, y);\n"
        "    kgrl_gemm(0, 1, N, K, C, 1.0f, x, C, w, C, 0.0f, y, K);\n"
        "    kgrl_gemm_batched(0, 0, H, W, C, 1.0, x, C, (long)H * C, w, W, (long)C * W, 0.0f, y, W, (long)H * W, N);\n"
        "}\n";
    kgrl_candidate c;
    kgrl_candidate_parse(src, sig, true, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "reference parses with builtins: %s", c.message);
    kgrl_value args[9] = {tensor(0), tensor(1), tensor(2), tensor(3), ival(2), ival(3), ival(8), ival(9), ival(4)};
    kgrl_launch_seq s; kgrl_status st; char msg[1024];
    bool ok = c.status == KGRL_STATUS_OK && kgrl_candidate_record(&c, args, 9, &s, &st, msg, sizeof msg);
    KT_CHECK(ok && s.nops == 4, "record: %s", msg);
    if (ok && s.nops == 4) {
        kgrl_op *o = s.ops;
        // nd, transposed, N, Cin, Cout, then 6 lists of nd ints, groups, x, w, bias, y
        KT_CHECK(o[0].kind == KGRL_OP_BUILTIN && !strcmp(o[0].builtin, "kgrl_conv") && o[0].nargs == 10 + 6 * 2, "conv 2-D flattened (%d)", o[0].nargs);
        KT_CHECK(o[0].args[5].i == 8 && o[0].args[6].i == 9 && o[0].args[7].i == 3 && o[0].args[16].i == 0 && o[0].args[17].type == KGRL_VT_INT && o[0].args[17].i == 1,
                 "conv lists in order");
        KT_CHECK(o[0].args[18].type == KGRL_VT_PTR && o[0].args[18].buf == 0 && o[0].args[20].buf == 2 && o[0].args[21].buf == 3, "conv pointers");
        KT_CHECK(o[1].nargs == 16 && o[1].args[5].i == 72 && o[1].args[14].buf == -1, "conv 1-D, null bias");
        KT_CHECK(!strcmp(o[2].builtin, "kgrl_gemm") && o[2].nargs == 13 && o[2].args[5].type == KGRL_VT_FLOAT && o[2].args[5].d == 1.0 && o[2].args[2].i == 2, "gemm");
        KT_CHECK(!strcmp(o[3].builtin, "kgrl_gemm_batched") && o[3].nargs == 17 && o[3].args[5].type == KGRL_VT_FLOAT && o[3].args[8].type == KGRL_VT_LONG &&
                 o[3].args[8].i == 24 && o[3].args[16].i == 2, "gemm_batched with long strides");
        kgrl_launch_seq_free(&s);
    }
    kgrl_candidate_free(&c);
    expect_parse("conv without builtins", src, sig, false, KGRL_STATUS_STATIC_REJECT, "kgrl_conv is a builtin for task references only", 2);
    expect_parse("builtin arity", "void forward(const float* x, float* out, int n) { kgrl_gemm(0, 0, n); }", SIG, true,
                 KGRL_STATUS_STATIC_REJECT, "kgrl_gemm takes 13 arguments, got 3", 1);
    // a list whose length is not nd
    kgrl_candidate_parse("void forward(const float* x, const float* w, const float* b, float* y, int N, int C, int H, int W, int K) {\n"
                         "  kgrl_conv(2, 0, N, C, K, {H}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, 1, x, w, b, y);\n}\n", sig, true, &c);
    ok = kgrl_candidate_record(&c, args, 9, &s, &st, msg, sizeof msg);
    KT_CHECK(!ok && st == KGRL_STATUS_LAUNCH_ERROR && strstr(msg, "has 1 values, nd is 2") && !strncmp(msg, "line 2:", 7), "list length: %s", msg);
    kgrl_candidate_free(&c);
}

// Values computed in forward, passed to a kernel whose parameters have the types under test.
static void test_c_semantics(void) {
    const char *pre =
        "__global__ void v(long a, long b, long c, long d, int e, double f, float g, unsigned h, double i, long j, int k2, unsigned long l) {}\n"
        "void forward(const float* x, float* out, int n) {\n";
    const char *body =
        "  int big = 2147483647;\n"
        "  big = big + n;\n"                          // 2147483647 + 1 wraps
        "  int q = -7 / 2, r = -7 % 2;\n"             // truncation toward zero
        "  long cmp = (-1 < 1u) ? 1 : 0;\n"           // -1 converts to unsigned: false
        "  size_t s = 3;\n"
        "  int m = -5;\n"
        "  long mix = s + m;\n"                       // size_t arithmetic: 2^64 - 2, then -2 as long
        "  unsigned u = 0;\n"
        "  u--;\n"                                    // 4294967295
        "  float fr = 0.1;\n"                         // double constant rounded to float
        "  float big_f = 16777216.0f;\n"
        "  big_f += 1.0f;\n"                          // 2^24 + 1 rounds back to 2^24 in float
        "  double t = n > 0 ? 1 : 2.5;\n"             // ?: has the common type (double)
        "  long sh = 1 << 31;\n"                      // int: INT_MIN
        "  v<<<1, 1>>>(big, q, r, cmp, mix, fr, big_f, u, t, sh, 7.9, u + 1u);\n"
        "}\n";
    char src[4096];
    snprintf(src, sizeof src, "%s%s", pre, body);
    kgrl_candidate c; kgrl_launch_seq s; kgrl_status st; char msg[1024];
    bool ok = run1(src, 1, &c, &s, &st, msg);
    KT_CHECK(ok && s.nops == 1, "record: %s", msg);
    if (ok && s.nops == 1) {
        kgrl_value *a = s.ops[0].args;
        KT_CHECK(a[0].type == KGRL_VT_LONG && a[0].i == -2147483648LL, "int overflow wraps: %lld", (long long)a[0].i);
        KT_CHECK(a[1].i == -3 && a[2].i == -1, "division truncates: %lld %lld", (long long)a[1].i, (long long)a[2].i);
        KT_CHECK(a[3].i == 0, "-1 < 1u is false");
        KT_CHECK(a[4].type == KGRL_VT_INT && a[4].i == -2, "size_t + int then long then int: %lld", (long long)a[4].i);
        KT_CHECK(a[5].type == KGRL_VT_DOUBLE && a[5].d == (double)0.1f && a[5].d != 0.1, "float f = 0.1 rounds to float: %.17g", a[5].d);
        KT_CHECK(a[6].type == KGRL_VT_FLOAT && a[6].d == 16777216.0, "float addition rounds: %.17g", a[6].d);
        KT_CHECK(a[7].type == KGRL_VT_UINT && a[7].i == 4294967295LL, "unsigned wraps: %lld", (long long)a[7].i);
        KT_CHECK(a[8].type == KGRL_VT_DOUBLE && a[8].d == 1.0, "?: value");
        KT_CHECK(a[9].i == -2147483648LL, "1 << 31 is INT_MIN: %lld", (long long)a[9].i);
        KT_CHECK(a[10].type == KGRL_VT_INT && a[10].i == 7, "double 7.9 to int param truncates");
        KT_CHECK(a[11].type == KGRL_VT_ULONG && a[11].i == 0, "unsigned 4294967295 + 1u wraps to 0 before widening");
    }
    kgrl_launch_seq_free(&s);
    kgrl_candidate_free(&c);

    // more arithmetic through one long parameter each
    static const struct { const char *expr; long long want; } ex[] = {
        {"(long)n * 3000000000L", 3000000000LL}, {"(n * 65536) * 65536", 0}, {"-n / 2", 0}, {"(-n - 2) / 2", -1},
        {"7 % -3", 1}, {"-7 % 3", -1}, {"(unsigned)-1 / 2", 2147483647LL}, {"(size_t)-1 > 0", 1}, {"min(3, n)", 1},
        {"max((long)n, 5L)", 5}, {"std::max(2, 7)", 7}, {"(n > 0 && 1 / n) || (1 / (n - 1))", 1}, {"n ? 10 : 1 / (n - 1)", 10},
        {"sizeof(float) * 3 + sizeof(double) + sizeof(int64_t)", 28}, {"0x10 + 010 + 0b11 + 1'000", 1027}, {"'A'", 65},
        {"(int)3.99f", 3}, {"(int)-3.99", -3}, {"(long)(1e10)", 10000000000LL}, {"(int)sqrtf(17.0f)", 4}, {"(long)ceil(2.1)", 3},
        {"abs(-4) + (long)fabsf(-2.5f)", 6}, {"~0u", 4294967295LL}, {"-2147483647 - 1", -2147483648LL}, {"(unsigned char)0 + 1", -99},
        {"5 >> 1 << 2", 8}, {"-8 >> 1", -4}, {"0xffffffff", 4294967295LL}, {"2147483648", 2147483648LL}, {"true + true", 2},
        {"(1u << 31) >> 31", 1}, {"(float)16777217 == 16777216.0f", 1}, {"3 / 2 * 2.0", 2}, {"1.0f / 3 == 1.0 / 3", 0},
    };
    for (size_t k = 0; k < sizeof ex / sizeof ex[0]; k++) {
        char s2[1024];
        snprintf(s2, sizeof s2, "__global__ void one(long v) {}\nvoid forward(const float* x, float* out, int n) {\n  one<<<1, 1>>>(%s);\n}\n", ex[k].expr);
        kgrl_candidate_parse(s2, SIG, false, &c);
        if (ex[k].want == -99) { // a type forward may not use
            KT_CHECK(c.status == KGRL_STATUS_STATIC_REJECT, "%s must be rejected", ex[k].expr);
            kgrl_candidate_free(&c);
            continue;
        }
        kgrl_value args[3] = {tensor(0), tensor(1), ival(1)};
        ok = c.status == KGRL_STATUS_OK && kgrl_candidate_record(&c, args, 3, &s, &st, msg, sizeof msg);
        KT_CHECK(ok, "%s: %s %s", ex[k].expr, c.message, ok ? "" : msg);
        if (ok) {
            KT_CHECK(s.ops[0].args[0].type == KGRL_VT_LONG && s.ops[0].args[0].i == ex[k].want, "%s = %lld, want %lld", ex[k].expr, (long long)s.ops[0].args[0].i, ex[k].want);
            kgrl_launch_seq_free(&s);
        }
        kgrl_candidate_free(&c);
    }
}

static void test_launch_errors(void) {
    const char *F = KERN "void forward(const float* x, float* out, int n) {\n";
    char src[2048];
#define BODY(b) (snprintf(src, sizeof src, "%s%s\n}\n", F, b), src)
    expect_record_error("arity", BODY("  k<<<1, 1>>>(x, out);"), 4, KGRL_STATUS_LAUNCH_ERROR, "kernel k takes 3 arguments, 2 given", 3);
    expect_record_error("pointer to int param", BODY("  k<<<1, 1>>>(x, out, x);"), 4, KGRL_STATUS_LAUNCH_ERROR, "a pointer cannot be passed as a number", 3);
    expect_record_error("int to pointer param", BODY("  k<<<1, 1>>>(x, n, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "argument 2 of k (parameter type 'float*'): a pointer is needed", 3);
    expect_record_error("block too big", BODY("  int t = 2048;\n  k<<<1, t>>>(x, out, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "block (2048, 1, 1) is over the limits", 4);
    expect_record_error("block z", BODY("  k<<<1, dim3(1, 1, 65)>>>(x, out, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "over the limits", 3);
    expect_record_error("block threads", BODY("  k<<<1, dim3(64, 32)>>>(x, out, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "at most 1024 threads", 3);
    expect_record_error("empty grid", BODY("  k<<<n / 256, 256>>>(x, out, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "must be at least 1", 3);
    expect_record_error("grid y", BODY("  k<<<dim3(1, 70000), 32>>>(x, out, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "grid (1, 70000, 1) is over the limits", 3);
    expect_record_error("negative grid", BODY("  k<<<n - 10, 32>>>(x, out, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "does not fit a dim3 component", 3);
    expect_record_error("division by zero", BODY("  int z = n - n;\n  int q = 5 / z;"), 4, KGRL_STATUS_LAUNCH_ERROR, "division by zero", 4);
    expect_record_error("loops forever", BODY("  int i = 0;\n  while (i < 10) { i = i * 1; }"), 4, KGRL_STATUS_LAUNCH_ERROR, "launcher did not finish", 4);
    expect_record_error("for (;;)", BODY("  for (;;) ;"), 4, KGRL_STATUS_LAUNCH_ERROR, "launcher did not finish", 3);
    expect_record_error("too many ops", BODY("  for (int i = 0; i < 5000; i++) k<<<1, 1>>>(x, out, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "more than 4096 operations", 3);
    expect_record_error("unset", BODY("  int b;\n  k<<<b, 1>>>(x, out, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "b is used before it is set", 4);
    expect_record_error("shift", BODY("  int s = 1 << n;"), 40, KGRL_STATUS_LAUNCH_ERROR, "shift count 40 is out of range", 3);
    expect_record_error("float to int overflow", BODY("  int s = (int)(1e20 * n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "does not fit int", 3);
    expect_record_error("ptr diff", BODY("  long d = out - (float*)x;"), 4, KGRL_STATUS_LAUNCH_ERROR, "different buffers", 3);
    expect_record_error("null arith", BODY("  float* p = nullptr;\n  k<<<1, 1>>>(x, p + 1, n);"), 4, KGRL_STATUS_LAUNCH_ERROR, "arithmetic on a null pointer", 4);
    // arguments of forward itself
    kgrl_candidate c;
    kgrl_candidate_parse(BODY("  k<<<1, 1>>>(x, out, n);"), SIG, false, &c);
    kgrl_value two[2] = {tensor(0), tensor(1)};
    kgrl_launch_seq s; kgrl_status st; char msg[1024];
    KT_CHECK(!kgrl_candidate_record(&c, two, 2, &s, &st, msg, sizeof msg) && st == KGRL_STATUS_LAUNCH_ERROR && strstr(msg, "forward takes 3 arguments, 2 given"), "forward arity: %s", msg);
    kgrl_value bad[3] = {ival(1), tensor(1), ival(4)};
    KT_CHECK(!kgrl_candidate_record(&c, bad, 3, &s, &st, msg, sizeof msg) && strstr(msg, "cannot be converted to a pointer"), "int for a tensor: %s", msg);
    kgrl_value conv[3] = {tensor(0), tensor(1), fval(7.5)};
    KT_CHECK(kgrl_candidate_record(&c, conv, 3, &s, &st, msg, sizeof msg) && s.ops[0].args[2].type == KGRL_VT_LONG && s.ops[0].args[2].i == 7,
             "a float passed for int n converts as C does: %s", msg);
    kgrl_launch_seq_free(&s);
    // the same launch sequence every time (the launcher depends on sizes only)
    kgrl_value a3[3] = {tensor(0), tensor(1), ival(4)};
    kgrl_launch_seq s1, s2;
    bool ok1 = kgrl_candidate_record(&c, a3, 3, &s1, &st, msg, sizeof msg), ok2 = kgrl_candidate_record(&c, a3, 3, &s2, &st, msg, sizeof msg);
    KT_CHECK(ok1 && ok2 && s1.nops == s2.nops && s1.ops[0].grid[0] == s2.ops[0].grid[0], "recording twice gives the same sequence");
    kgrl_launch_seq_free(&s1); kgrl_launch_seq_free(&s2);
    kgrl_candidate_free(&c);
    // a candidate that did not parse cannot be recorded
    kgrl_candidate_parse("no code", SIG, false, &c);
    KT_CHECK(!kgrl_candidate_record(&c, a3, 3, &s, &st, msg, sizeof msg) && st == KGRL_STATUS_FORMAT_ERROR, "record of a failed parse");
    kgrl_candidate_free(&c);
#undef BODY
}

// The verifier's entry hook goes at each kernel definition's '{' (kernel_body_at, offsets into
// device_src): plain, template, explicit specialization, in a namespace and an extern "C" block,
// after forward (whose removal shifts offsets), and not at prototypes or device functions. A body
// whose brace comes from a macro is rejected, as is any use of the hook's names.
static void test_kernel_bodies(void) {
    const char *src =
        "__global__ void proto(float* p);\n"
        "__device__ float twice(float v) { return 2 * v; }\n"
        "template <int B> __global__ void tk(float* p) { p[0] = B; }\n"
        "template <> __global__ void tk<7>(float* p) { p[0] = 7; }\n"
        "namespace ns { __global__ void nk(float* p) { p[0] = twice(1); } }\n"
        "void forward(const float* x, float* out, int n) { tk<3><<<1, 1>>>(out); ns::nk<<<1, 1>>>(out); later<<<1, 1>>>(out); }\n"
        "extern \"C\" { __global__ void later(float* p)\n{ p[0] = 0; } }\n";
    const char *want_after[4] = {"{ p[0] = B; }", "{ p[0] = 7; }", "{ p[0] = twice(1); }", "{ p[0] = 0; }"};
    kgrl_candidate c;
    kgrl_candidate_parse(src, SIG, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK, "parse: %s", c.message);
    KT_CHECK(c.nkernel_bodies == 4, "%d kernel bodies, want 4", c.nkernel_bodies);
    for (int i = 0; i < c.nkernel_bodies && i < 4; i++)
        KT_CHECK(!strncmp(c.device_src + c.kernel_body_at[i], want_after[i], strlen(want_after[i])), "body %d at %d: \"%.20s\", want \"%s\"",
                 i, c.kernel_body_at[i], c.device_src + c.kernel_body_at[i], want_after[i]);
    kgrl_candidate_free(&c);
    REJECT("#define OPEN {\n__global__ void k(const float* x, float* out, long n) OPEN out[0] = x[0]; }\n"
           "void forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }\n", "opens inside macro OPEN", 2);
    REJECT(KERN "__device__ int kgrl__hook_blocks;\nvoid forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }\n",
           "reserved for the verifier", 2);
    REJECT(KERN "#define B kgrl__hook_blocks\nvoid forward(const float* x, float* out, int n) { k<<<1, 1>>>(x, out, n); }\n",
           "reserved for the verifier", 2);
}

// Lexer corners: comments, strings with escapes, raw strings, numbers, line splices, <<< >>>.
static void test_lexer(void) {
    const char *src =
        "// a comment with forward( in it\n"
        "/* block comment\n   over lines { */\n"
        "#define MSG \"a \\\" } string\"\n"
        "#pragma message(\"it's fine\") // don't re-lex this\n"
        "#if 0\n#error it's not here\n#endif\n"
        "#define LONG_MACRO 1 + \\\n  2\n"
        "__device__ const char* s = R\"raw(}{ \" )raw\";\n"
        "__device__ char c = '}';\n"
        "__device__ float f = 1.5e-3f + .5 + 0x1p-2 + 1'000;\n"
        "__global__ void k(const float* x, float* out, long n) { if (n >>= 1) { } }\n"
        "void forward(const float* x, float* out, int n) {\n"
        "    k<<<LONG_MACRO, 32>>>(x, out, n); // <<< in a comment >>>\n"
        "}\n";
    kgrl_candidate c; kgrl_launch_seq s; kgrl_status st; char msg[1024];
    bool ok = run1(src, 4, &c, &s, &st, msg);
    KT_CHECK(ok && s.nops == 1 && s.ops[0].grid[0] == 3 && s.ops[0].line == 16, "lexer corners: %s %s", c.message, msg);
    kgrl_launch_seq_free(&s);
    kgrl_candidate_free(&c);
}

// NVRTC (it needs no GPU) compiles device_src, and every name expression resolves to a kernel: the
// spelling of instantiations ("k<32u, true, float>", "ns::k", extern "C", anonymous namespaces)
// and the blanking of forward agree with the compiler. Options mirror the verifier's.
static const char *kt_nvrtc_check(const kgrl_candidate *c, char *log, size_t cap) {
    const char *home = getenv("CUDA_HOME") ? getenv("CUDA_HOME") : "/usr/local/cuda";
    char inc[600];
    snprintf(inc, sizeof inc, "--include-path=%.500s/include", home);
    const char *opts[] = {"--gpu-architecture=sm_90", "-std=c++17", inc, "-DINFINITY=(__int_as_float(0x7f800000))",
                          "-DNAN=(__int_as_float(0x7fffffff))", "-DFLT_MAX=3.402823466e+38F"};
    nvrtcProgram prog;
    if (nvrtcCreateProgram(&prog, c->device_src, "candidate.cu", 0, NULL, NULL) != NVRTC_SUCCESS) return "nvrtcCreateProgram failed";
    for (int i = 0; i < c->nname_exprs; i++) nvrtcAddNameExpression(prog, c->name_exprs[i]);
    const char *bad = NULL;
    if (nvrtcCompileProgram(prog, 6, opts) != NVRTC_SUCCESS) {
        size_t n = 0;
        nvrtcGetProgramLogSize(prog, &n);
        char *full = (char *)kgrl_malloc(n + 1);
        nvrtcGetProgramLog(prog, full);
        full[n] = 0;
        snprintf(log, cap, "%.900s", full);
        kgrl_free(full);
        bad = "compile error";
    }
    for (int i = 0; !bad && i < c->nname_exprs; i++) {
        const char *lowered = NULL;
        if (nvrtcGetLoweredName(prog, c->name_exprs[i], &lowered) != NVRTC_SUCCESS || !lowered) { snprintf(log, cap, "%s", c->name_exprs[i]); bad = "name expression does not resolve"; }
    }
    nvrtcDestroyProgram(&prog);
    return bad;
}

static void test_nvrtc_names(void) {
    int major = 0, minor = 0;
    if (nvrtcVersion(&major, &minor) != NVRTC_SUCCESS) { kt_skip("NVRTC is not usable"); return; }
    const char *src =
        "#include <cuda_fp16.h>\n"
        "extern \"C\" __global__ void ek(const float* x, float* out, int n) {}\n"
        "namespace kern { __global__ void nk(const float* __restrict__ x, float* __restrict__ out, size_t n) {} }\n"
        "namespace { template <int B> __global__ void ak(const float* x, float* out, int n) {} }\n"
        "template <unsigned U, bool F = true, typename T = float> __global__ void uk(const T* x, long long n) {}\n"
        "template <int B = 64, bool FAST = true> __global__ void tk2(const float4* x, float4* out, unsigned n4) {}\n"
        "typedef float real;\n"
        "#define BS 128\n"
        "void forward(const float* x, float* out, int n) {\n"
        "    ek<<<1, 1>>>(x, out, n);\n"
        "    kern::nk<<<1, 1>>>(x, out, n);\n"
        "    ak<BS><<<1, 1>>>(x, out, n);\n"
        "    uk<32><<<1, 1>>>(x, n);\n"
        "    uk<7, false, real><<<1, 1>>>(x, n);\n"
        "    tk2<<<1, 1>>>((const float4*)x, (float4*)out, n);\n"
        "    tk2<-1 + 33, 0><<<1, 1>>>((const float4*)x, (float4*)out, n);\n"
        "}\n"
        "__global__ void after_forward(half* h) {}\n";
    kgrl_candidate c;
    kgrl_candidate_parse(src, SIG, false, &c);
    KT_CHECK(c.status == KGRL_STATUS_OK && c.nname_exprs == 7, "parse: %s (%d names)", c.message, c.nname_exprs);
    if (c.status == KGRL_STATUS_OK && c.nname_exprs == 7) {
        KT_CHECK(!strcmp(c.name_exprs[3], "uk<32u, true, float>") && !strcmp(c.name_exprs[6], "tk2<32, false>"), "spelling: %s, %s", c.name_exprs[3], c.name_exprs[6]);
        char log[1024] = "";
        const char *bad = kt_nvrtc_check(&c, log, sizeof log);
        KT_CHECK(!bad, "%s: %s", bad, log);
    }
    kgrl_candidate_free(&c);
    // a sample of the task files (all of them take minutes): every 16th .cu file in data/level1
    DIR *d = opendir("data/level1");
    int seen = 0, compiled = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[1024], dir[512];
        snprintf(dir, sizeof dir, "data/level1/%.400s", e->d_name);
        snprintf(path, sizeof path, "%.500s/task.json", dir);
        kgrl_err err;
        kgrl_json *j = kgrl_file_exists(path) ? kgrl_json_parse_file(path, &err) : NULL;
        if (!j) continue;
        const char *files[] = {"reference.cu", "solution_simple.cu", "solution_fast.cu"};
        for (int f = 0; f < 3; f++) {
            snprintf(path, sizeof path, "%.500s/%s", dir, files[f]);
            if (!kgrl_file_exists(path) || seen++ % 16 != 0) continue;
            char *text = kgrl_read_file(path, NULL, &err);
            if (!text) continue;
            kgrl_candidate_parse(text, kgrl_json_string_or(j, "signature", ""), f == 0, &c);
            if (c.status == KGRL_STATUS_OK) {
                char log[1024] = "";
                const char *bad = kt_nvrtc_check(&c, log, sizeof log);
                KT_CHECK(!bad, "%s: %s: %s", path, bad, log);
                compiled++;
            }
            kgrl_candidate_free(&c);
            kgrl_free(text);
        }
        kgrl_json_free(j);
    }
    if (d) closedir(d);
    printf("  NVRTC compiled %d task files\n", compiled);
}

// Every task in data/: references parse with builtins, solutions without, all OK; wrong_*.cu
// files whose expected status is format_error/static_reject get exactly that status.
static void test_data_tasks(void) {
    int nparsed = 0;
    const char *levels[] = {"data/level1", "data/level2", "data/level3"};
    for (int L = 0; L < 3; L++) {
        DIR *d = opendir(levels[L]);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char dir[512], path[1024];
            snprintf(dir, sizeof dir, "%.20s/%.400s", levels[L], e->d_name);
            snprintf(path, sizeof path, "%.500s/task.json", dir);
            if (!kgrl_file_exists(path)) continue;
            kgrl_err err;
            kgrl_json *j = kgrl_json_parse_file(path, &err);
            KT_CHECK(j != NULL, "%s", err.msg);
            if (!j) continue;
            const char *sig = kgrl_json_string_or(j, "signature", "");
            DIR *td = opendir(dir);
            struct dirent *f;
            while (td && (f = readdir(td)) != NULL) {
                size_t l = strlen(f->d_name);
                if (l < 4 || strcmp(f->d_name + l - 3, ".cu") != 0) continue;
                bool ref = !strcmp(f->d_name, "reference.cu"), sol = !strncmp(f->d_name, "solution_", 9), wrong = !strncmp(f->d_name, "wrong_", 6);
                if (!ref && !sol && !wrong) continue;
                snprintf(path, sizeof path, "%.500s/%.400s", dir, f->d_name);
                char *src = kgrl_read_file(path, NULL, &err);
                KT_CHECK(src != NULL, "%s", err.msg);
                if (!src) continue;
                kgrl_status want = KGRL_STATUS_OK;
                const kgrl_json *w = kgrl_json_get(j, "wrong");
                for (int k = 0; wrong && w && k < w->count; k++) {
                    const kgrl_json *it = kgrl_json_at(w, k);
                    kgrl_status ex;
                    if (!strcmp(kgrl_json_string_or(it, "file", ""), f->d_name) && kgrl_status_from_name(kgrl_json_string_or(it, "expect", ""), &ex) &&
                        (ex == KGRL_STATUS_FORMAT_ERROR || ex == KGRL_STATUS_STATIC_REJECT)) want = ex;
                }
                kgrl_candidate c;
                kgrl_candidate_parse(src, sig, ref, &c);
                KT_CHECK(c.status == want, "%s: %s (%s), want %s", path, kgrl_status_name(c.status), c.message, kgrl_status_name(want));
                nparsed++;
                kgrl_candidate_free(&c);
                kgrl_free(src);
            }
            if (td) closedir(td);
            kgrl_json_free(j);
        }
        closedir(d);
    }
    printf("  parsed %d task files from data/\n", nparsed);
}

int main(void) {
    KT_RUN(test_status_names);
    KT_RUN(test_extraction);
    KT_RUN(test_signature);
    KT_RUN(test_forbidden);
    KT_RUN(test_accept_simple);
    KT_RUN(test_accept_dim3_and_loops);
    KT_RUN(test_templates);
    KT_RUN(test_accept_forms);
    KT_RUN(test_scratch_and_smem);
    KT_RUN(test_builtins);
    KT_RUN(test_c_semantics);
    KT_RUN(test_launch_errors);
    KT_RUN(test_lexer);
    KT_RUN(test_kernel_bodies);
    KT_RUN(test_data_tasks);
    KT_RUN(test_nvrtc_names);
    return kt_finish();
}
