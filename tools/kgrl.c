// kgrl — the command-line front end of kgrl.h.
//
//   ./build.sh kgrl && ./kgrl --help
//
// Subcommands live in tools/cmd_<name>.c (each a `int kgrl_cmd_<name>(int argc, char **argv)` with
// argv[0] = the subcommand) and are included here; `info` is defined in this file.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"

#if __has_include("cmd_eval.c")
#include "cmd_eval.c"
#define KGRL_HAVE_EVAL 1
#endif
#if __has_include("cmd_tasks.c")
#include "cmd_tasks.c"
#define KGRL_HAVE_TASKS 1
#endif
#if __has_include("cmd_tokenize.c")
#include "cmd_tokenize.c"
#define KGRL_HAVE_TOKENIZE 1
#endif
#if __has_include("cmd_generate.c")
#include "cmd_generate.c"
#define KGRL_HAVE_GENERATE 1
#endif

static void usage(FILE *out) {
    fprintf(out,
            "kgrl %s — RL for GPU kernels, in one C header\n"
            "\n"
            "usage: kgrl <command> [options]\n"
            "\n"
            "commands:\n"
            "  info [--json] [--remeasure]   the device, its arch and memory, and its measured ceilings\n"
            "                                (copy bandwidth, bf16 and fp32 GEMM rate; cached per device)\n"
#ifdef KGRL_HAVE_EVAL
            "  eval --task ID [--json] FILE...   verify candidate kernels (compile, test, time, reward)\n"
#endif
#ifdef KGRL_HAVE_TASKS
            "  tasks [--show ID]              list the task suite, or print the prompt of one task\n"
#endif
#ifdef KGRL_HAVE_TOKENIZE
            "  tokenize --tokenizer FILE [--decode]   text on stdin to token ids (or back)\n"
#endif
#ifdef KGRL_HAVE_GENERATE
            "  generate --model DIR [--lora DIR] --prompt TEXT   sample from a model, streaming tokens\n"
#endif
            "\n"
            "`kgrl <command> --help` shows the options of a command.\n",
            KGRL_VERSION_STRING);
}

static int cmd_info(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    bool json = kgrl_flag_bool(&f, "--json", "print one JSON object");
    bool remeasure = kgrl_flag_bool(&f, "--remeasure", "measure the ceilings again instead of using the cache");
    int device = (int)kgrl_flag_int(&f, "--device", 0, "CUDA device ordinal");
    bool help = kgrl_flag_bool(&f, "--help", "show this help");
    if (help || !kgrl_flags_finish(&f)) {
        if (!help) fprintf(stderr, "kgrl info: %s\n", f.err.msg);
        fprintf(stderr, "usage: kgrl info [options]\n");
        kgrl_flags_usage(&f, stderr);
        kgrl_flags_free(&f);
        return help ? 0 : 2;
    }
    kgrl_flags_free(&f);
    kgrl_ctx_desc desc = KGRL_ZERO;
    desc.device = device;
    kgrl_ctx *ctx = kgrl_ctx_create(&desc);
    int cublas_version = 0;
    if (ctx->has_gpu) KGRL_CUBLAS_CHECK(cublasGetVersion(ctx->cublas, &cublas_version));
    kgrl_ceilings c = KGRL_ZERO;
    kgrl_err err = KGRL_ZERO;
    bool have_ceilings = ctx->has_gpu && kgrl_measure_ceilings(ctx, !remeasure, &c, &err);
    if (json) {
        kgrl_buf b = KGRL_ZERO;
        kgrl_json_writer w = KGRL_ZERO;
        w.out = &b;
        kgrl_jw_begin_object(&w);
        kgrl_jw_key(&w, "kgrl_version"); kgrl_jw_string(&w, KGRL_VERSION_STRING);
        kgrl_jw_key(&w, "has_gpu"); kgrl_jw_bool(&w, ctx->has_gpu);
        kgrl_jw_key(&w, "nvrtc"); kgrl_buf v = KGRL_ZERO; kgrl_buf_printf(&v, "%d.%d", ctx->nvrtc_major, ctx->nvrtc_minor);
        kgrl_jw_string(&w, v.data); kgrl_buf_free(&v);
        kgrl_jw_key(&w, "cache_dir"); kgrl_jw_string(&w, ctx->desc.cache_dir);
        if (!ctx->has_gpu) { kgrl_jw_key(&w, "no_gpu_reason"); kgrl_jw_string(&w, ctx->no_gpu_reason); }
        else {
            kgrl_jw_key(&w, "device"); kgrl_jw_string(&w, ctx->device_name);
            kgrl_jw_key(&w, "arch"); kgrl_jw_string(&w, ctx->arch);
            kgrl_jw_key(&w, "memory_bytes"); kgrl_jw_int(&w, (int64_t)ctx->total_mem_bytes);
            kgrl_jw_key(&w, "sm_count"); kgrl_jw_int(&w, ctx->sm_count);
            kgrl_jw_key(&w, "l2_bytes"); kgrl_jw_int(&w, ctx->l2_bytes);
            kgrl_jw_key(&w, "cublas_version"); kgrl_jw_int(&w, cublas_version);
            if (have_ceilings) {
                kgrl_jw_key(&w, "copy_gbps"); kgrl_jw_number(&w, c.copy_gbps);
                kgrl_jw_key(&w, "bf16_tflops"); kgrl_jw_number(&w, c.bf16_tflops);
                kgrl_jw_key(&w, "fp32_tflops"); kgrl_jw_number(&w, c.fp32_tflops);
                kgrl_jw_key(&w, "ceilings_cached"); kgrl_jw_bool(&w, c.cached);
            }
        }
        kgrl_jw_end_object(&w);
        printf("%s\n", b.data);
        kgrl_buf_free(&b);
    } else {
        printf("kgrl        %s\n", KGRL_VERSION_STRING);
        printf("NVRTC       %d.%d\n", ctx->nvrtc_major, ctx->nvrtc_minor);
        printf("cache       %s\n", ctx->desc.cache_dir);
        if (!ctx->has_gpu) {
            printf("device      none: %s\n", ctx->no_gpu_reason);
            printf("            (CPU paths and NVRTC compilation for --arch %s still work)\n", kgrl_ctx_arch(ctx));
        } else {
            printf("device      %d: %s\n", ctx->device, ctx->device_name);
            printf("arch        %s (%d SMs, L2 %d MiB, %zu KiB shared memory per block with opt-in)\n", ctx->arch,
                   ctx->sm_count, ctx->l2_bytes >> 20, ctx->smem_optin_bytes >> 10);
            printf("memory      %.1f GiB\n", (double)ctx->total_mem_bytes / (1 << 30));
            printf("cuBLAS      %d\n", cublas_version);
            if (have_ceilings) {
                printf("copy        %.0f GB/s device-to-device (bytes read + written)%s\n", c.copy_gbps, c.cached ? " [cached]" : "");
                printf("bf16 GEMM   %.0f TFLOP/s (cuBLAS, 8192^3, fp32 accumulate)%s\n", c.bf16_tflops, c.cached ? " [cached]" : "");
                printf("fp32 GEMM   %.1f TFLOP/s (cuBLAS, 8192^3, no TF32)%s\n", c.fp32_tflops, c.cached ? " [cached]" : "");
            } else {
                printf("ceilings    not measured: %s\n", err.msg);
            }
        }
    }
    kgrl_ctx_destroy(ctx);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
#ifdef KGRL_HAVE_EVAL
    if (!strcmp(cmd, "eval")) return kgrl_cmd_eval(argc - 1, argv + 1);
#endif
#ifdef KGRL_HAVE_TASKS
    if (!strcmp(cmd, "tasks")) return kgrl_cmd_tasks(argc - 1, argv + 1);
#endif
#ifdef KGRL_HAVE_TOKENIZE
    if (!strcmp(cmd, "tokenize")) return kgrl_cmd_tokenize(argc - 1, argv + 1);
#endif
#ifdef KGRL_HAVE_GENERATE
    if (!strcmp(cmd, "generate")) return kgrl_cmd_generate(argc - 1, argv + 1);
#endif
    fprintf(stderr, "kgrl: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
