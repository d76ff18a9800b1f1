// decode_sweep: batch-size sweep of kgrl_gpu_sample's decode step, and whether a sequence's tokens
// depend on the batch around it, on one model (a directory, the kit's default GPU model shape with
// random weights, or with --half exp04's 0.5B shape). GPU only; kgrl__gemv_step and NOTES.md
// (forty-seventh to fifty-third sessions) have its figures.
//
//   ./build.sh decode_sweep && ./decode_sweep [--model DIR] [--half] [--rows 1,8,9,12,16,32,64] [--timings-only]
//
// ms a step = (t(n2 new) - t(n1 new)) / (n2 - n1), the median of five pairs, greedy, no stop, prompt P. The invariance check
// samples B = 2 prompts x G rows at temperature 0.7 (exp03's rollouts), then every sequence alone with
// its id, and counts the sequences whose tokens differ and the first step where they do.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"

static kgrl_model *random_model(bool half) {
    kgrl_model_config c;
    memset(&c, 0, sizeof c);
    // the kit's default GPU model shape (src/30_trainer.h: V 4096, C 384, L 6, NH 6, KVH 2, HS 64, F 1024)
    c.family = KGRL_FAMILY_QWEN2; c.vocab_size = 4096; c.max_pos = 4096; c.rms_eps = 1e-6f; c.rope_theta = 10000.0f;
    c.qkv_bias = true; c.tie_embeddings = true; c.bos_token_id = -1; c.eos_token_id = 0; c.initializer_range = 0.02f;
    c.hidden_size = 384; c.n_layers = 6; c.n_heads = 6; c.n_kv_heads = 2; c.head_dim = 64; c.ffn_size = 1024;
    if (half) {   // exp04's 0.5B shape
        c.vocab_size = 151936; c.hidden_size = 896; c.n_layers = 24; c.n_heads = 14; c.n_kv_heads = 2; c.ffn_size = 4864;
    }
    kgrl_model *m = kgrl_model_create(&c);
    kgrl_model_init_random(m, 99);
    return m;
}

static void sweep(kgrl_engine *e, kgrl_gpu_model *gm, kgrl_gpu_lora *gl, int B, int P) {
    kgrl_engine_desc d;
    memset(&d, 0, sizeof d);
    int n1 = 33, n2 = 129;
    d.max_batch = B; d.max_tokens = P + n2; d.last_logits = true;
    kgrl_gpu_acts *a = kgrl_gpu_acts_create(e, gm, gl, &d);
    int *prompt = (int *)kgrl_malloc(sizeof(int) * (size_t)P);
    for (int i = 0; i < P; i++) prompt[i] = (i * 7919 + 13) % gm->cfg.vocab_size;
    const int **pp = (const int **)kgrl_malloc(sizeof(int *) * (size_t)B);
    int *lens = (int *)kgrl_malloc(sizeof(int) * (size_t)B);
    for (int b = 0; b < B; b++) { pp[b] = prompt; lens[b] = P; }
    kgrl_gpu_sample_seconds(e, gm, gl, a, pp, lens, B, 4);
    // the median of five pairs: a pair's difference is off when one of its runs is (the least of three
    // gave 0.024 ms for a step of ~0.2 once, H100)
    double per[5];
    for (int i = 0; i < 5; i++)
        per[i] = 1e3 * (kgrl_gpu_sample_seconds(e, gm, gl, a, pp, lens, B, n2) -
                        kgrl_gpu_sample_seconds(e, gm, gl, a, pp, lens, B, n1)) / (n2 - n1);
    kgrl_tstats st;
    kgrl_tstats_compute(per, 5, &st);
    printf("rows %3d  lora %d  ms a step %.4f (pairs %.4f-%.4f)  tokens/s %.0f\n", B, gl != NULL, st.median, st.min, st.max,
           B / st.median * 1e3);
    kgrl_free(prompt); kgrl_free(pp); kgrl_free(lens);
    kgrl_gpu_acts_free(a);
}

// B = 2 prompts x G rows at T 0.7 against each sequence alone
static void invariance(kgrl_engine *e, kgrl_gpu_model *gm, kgrl_gpu_lora *gl, int G, int NEW) {
    int B = 2, S = B * G, P = 24;
    int prompts[2][24];
    const int *pp[2];
    int lens[2];
    for (int b = 0; b < B; b++) { for (int i = 0; i < P; i++) prompts[b][i] = (b * 131 + i * 17 + 5) % gm->cfg.vocab_size; pp[b] = prompts[b]; lens[b] = P; }
    kgrl_sample_desc sd;
    memset(&sd, 0, sizeof sd);
    sd.temperature = 0.7f; sd.max_new_tokens = NEW; sd.seed = 11;
    kgrl_engine_desc d;
    memset(&d, 0, sizeof d);
    d.max_batch = S; d.max_tokens = P + NEW; d.last_logits = true;
    kgrl_gpu_acts *a = kgrl_gpu_acts_create(e, gm, gl, &d), *a1;
    d.max_batch = 1;
    a1 = kgrl_gpu_acts_create(e, gm, gl, &d);
    kgrl_sample_result r, r1;
    kgrl_err err;
    if (!kgrl_gpu_sample(e, gm, gl, a, pp, lens, B, G, NULL, &sd, NULL, NULL, &r, &err)) KGRL_FATAL("%s", err.msg);
    int differ = 0, first = -1;
    double maxd = 0;
    for (int s = 0; s < S; s++) {
        uint64_t id = (uint64_t)s;
        if (!kgrl_gpu_sample(e, gm, gl, a1, &pp[s / G], &lens[s / G], 1, 1, &id, &sd, NULL, NULL, &r1, &err)) KGRL_FATAL("%s", err.msg);
        for (int t = 0; t < NEW; t++) {
            if (r1.tokens[t] != r.tokens[s * NEW + t]) { differ++; if (first < 0 || t < first) first = t; break; }
            double dd = fabs(r1.raw_logprobs[t] - r.raw_logprobs[s * NEW + t]);
            if (dd > maxd) maxd = dd;
        }
        kgrl_sample_result_free(&r1);
    }
    printf("invariance: %d rows (B 2 x G %d), lora %d: %d of %d sequences differ from the row alone (first at step %d); "
           "max |raw logprob diff| before a divergence %.3g\n", S, G, gl != NULL, differ, S, first, maxd);
    kgrl_sample_result_free(&r);
    kgrl_gpu_acts_free(a); kgrl_gpu_acts_free(a1);
}

int main(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    const char *dir = kgrl_flag_str(&f, "--model", NULL, "model directory (default: the default GPU model shape, random)");
    bool half = kgrl_flag_bool(&f, "--half", "exp04's 0.5B shape, random, instead of the default shape");
    const char *rows = kgrl_flag_str(&f, "--rows", "1,8,9,12,16,32,64", "batch sizes");
    int P = (int)kgrl_flag_int(&f, "--prompt", 128, "prompt tokens");
    int NEW = (int)kgrl_flag_int(&f, "--new", 256, "new tokens of the invariance check");
    bool timings_only = kgrl_flag_bool(&f, "--timings-only", "the sweep alone, no invariance check");
    if (!kgrl_flags_finish(&f)) { fprintf(stderr, "decode_sweep: %s\n", f.err.msg); kgrl_flags_usage(&f, stderr); return 2; }
    kgrl_ctx_desc cd = KGRL_ZERO;
    cd.logger.min_level = KGRL_LOG_WARN;
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    if (!ctx->has_gpu) { fprintf(stderr, "decode_sweep needs a GPU: %s\n", ctx->no_gpu_reason); return 1; }
    kgrl_err err;
    kgrl_model *m = dir ? kgrl_model_load(dir, &err) : random_model(half);
    if (!m) KGRL_FATAL("%s", err.msg);
    kgrl_engine *e = kgrl_engine_create(ctx);
    kgrl_gpu_model *gm = kgrl_gpu_model_upload(e, m, KGRL_ENGINE_BF16);
    kgrl_lora_desc ld;
    memset(&ld, 0, sizeof ld);
    ld.rank = 16; ld.alpha = 32; ld.seed = 3;
    kgrl_lora *lora = kgrl_lora_create(&m->cfg, &ld);
    // B's init is zero: give it values so the adapter changes the logits
    for (size_t i = 0; i < lora->n_params; i++) lora->params[i] = 0.02f * (float)((int)(i * 2654435761u % 2001) - 1000) / 1000.0f;
    kgrl_gpu_lora *gl = kgrl_gpu_lora_upload(e, lora, KGRL_ENGINE_BF16);
    printf("model %s: C %d L %d V %d\n", dir ? dir : half ? "0.5B shape (random)" : "default shape (random)", m->cfg.hidden_size, m->cfg.n_layers, m->cfg.vocab_size);
    for (const char *p = rows; *p;) {
        int B = atoi(p);
        sweep(e, gm, NULL, B, P);
        sweep(e, gm, gl, B, P);
        p = strchr(p, ',');
        if (!p) break;
        p++;
    }
    if (!timings_only) {
        invariance(e, gm, NULL, 4, NEW);
        invariance(e, gm, NULL, 6, NEW);
        invariance(e, gm, gl, 6, NEW);
        invariance(e, gm, gl, 8, NEW);
        invariance(e, gm, NULL, 32, NEW);
        invariance(e, gm, gl, 32, NEW);
    }
    kgrl_gpu_lora_free(gl); kgrl_lora_free(lora);
    kgrl_gpu_model_free(gm); kgrl_model_free(m);
    kgrl_engine_destroy(e);
    kgrl_ctx_destroy(ctx);
    return 0;
}
