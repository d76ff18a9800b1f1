// kgrl generate — sample from a model (optionally with a LoRA adapter), streaming the text to stdout
// as the tokens come.
//
//   kgrl generate --model DIR --prompt 'def add(a, b):' --max-tokens 64 --temperature 0.7 --seed 1
//   kgrl generate --model DIR --lora ADAPTER_DIR --chat --prompt 'Write a CUDA vector add.'
//
// DIR is an HF model directory (config.json, model.safetensors, tokenizer.json). With a GPU the bf16
// engine runs (src/14_engine_gpu.h, --fp32 for the fp32 path); without one the CPU reference does
// (fine for the kit's tiny default model). --chat wraps the prompt in the family's chat template
// (--chat-template to pick another) and stops at the end-of-turn token as well as EOS. The seed
// fixes the samples: the same command prints the same text. Included by tools/kgrl.c.

typedef struct kgrl__gen_stream {
    const kgrl_tokenizer *tok;
    kgrl_tokens ids;          // generated so far
    size_t printed;           // bytes of their decoded text already written
    bool skip_special;
} kgrl__gen_stream;

// Decodes everything generated so far and prints the new tail; holds back a trailing U+FFFD (a UTF-8
// sequence split across tokens), which the next token completes.
static void kgrl__gen_flush(kgrl__gen_stream *g, bool final) {
    kgrl_buf text = KGRL_ZERO;
    kgrl_tokenizer_decode(g->tok, g->ids.ids, g->ids.n, g->skip_special, &text);
    size_t end = text.len;
    if (!final && end >= 3 && (unsigned char)text.data[end - 3] == 0xEF && (unsigned char)text.data[end - 2] == 0xBF &&
        (unsigned char)text.data[end - 1] == 0xBD)
        end -= 3;
    if (end > g->printed) {
        fwrite(text.data + g->printed, 1, end - g->printed, stdout);
        fflush(stdout);
        g->printed = end;
    }
    kgrl_buf_free(&text);
}

static void kgrl__gen_cb(int seq, int step, int token, void *user) {
    (void)seq; (void)step;
    kgrl__gen_stream *g = (kgrl__gen_stream *)user;
    kgrl_tokens_push(&g->ids, token);
    kgrl__gen_flush(g, false);
}

static int kgrl__generate_usage(kgrl_flags *f, const char *why) {
    if (why) fprintf(stderr, "kgrl generate: %s\n", why);
    fprintf(stderr, "usage: kgrl generate --model DIR [--lora DIR] --prompt TEXT [--max-tokens N] [--temperature T]\n"
                    "                     [--top-p P] [--top-k K] [--min-p P] [--greedy] [--seed S] [--chat]\n");
    kgrl_flags_usage(f, stderr);
    kgrl_flags_free(f);
    return why ? 2 : 0;
}

int kgrl_cmd_generate(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    const char *model_dir = kgrl_flag_str(&f, "--model", NULL, "HF model directory (required)");
    const char *lora_dir = kgrl_flag_str(&f, "--lora", NULL, "peft adapter directory");
    const char *prompt = kgrl_flag_str(&f, "--prompt", NULL, "the prompt text (required)");
    int max_tokens = (int)kgrl_flag_int(&f, "--max-tokens", 256, "new tokens at most");
    double temperature = kgrl_flag_num(&f, "--temperature", 1.0, "sampling temperature");
    double top_p = kgrl_flag_num(&f, "--top-p", 1.0, "nucleus sampling mass (1 = off)");
    int top_k = (int)kgrl_flag_int(&f, "--top-k", 0, "keep the k most likely tokens (0 = off)");
    double min_p = kgrl_flag_num(&f, "--min-p", 0.0, "drop tokens below min_p times the top probability");
    bool greedy = kgrl_flag_bool(&f, "--greedy", "argmax decoding");
    int64_t seed = kgrl_flag_int(&f, "--seed", 0, "sampling seed");
    bool chat = kgrl_flag_bool(&f, "--chat", "wrap the prompt in the model family's chat template");
    const char *tmpl = kgrl_flag_str(&f, "--chat-template", NULL, "chatml, qwen2, qwen2.5, qwen3 or llama3 (default: by family)");
    bool fp32 = kgrl_flag_bool(&f, "--fp32", "GPU: fp32 weights and activations instead of bf16");
    bool cpu = kgrl_flag_bool(&f, "--cpu", "use the CPU reference engine even when a GPU is present");
    bool help = kgrl_flag_bool(&f, "--help", "show this help");
    if (help) return kgrl__generate_usage(&f, NULL);
    if (!kgrl_flags_finish(&f)) return kgrl__generate_usage(&f, f.err.msg);
    if (f.npositional) return kgrl__generate_usage(&f, "unexpected argument");
    if (!model_dir) return kgrl__generate_usage(&f, "--model DIR is required");
    if (!prompt) return kgrl__generate_usage(&f, "--prompt TEXT is required");
    if (max_tokens <= 0) return kgrl__generate_usage(&f, "--max-tokens must be positive");
    if (!(temperature > 0.0) && !greedy) return kgrl__generate_usage(&f, "--temperature must be positive (use --greedy for argmax)");
    kgrl_flags_free(&f);

    kgrl_err err = KGRL_ZERO;
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer.json", model_dir);
    kgrl_tokenizer *tok = kgrl_tokenizer_load(path, &err);
    if (!tok) { fprintf(stderr, "kgrl generate: %s\n", err.msg); return 1; }
    kgrl_model *m = kgrl_model_load(model_dir, &err);
    if (!m) { fprintf(stderr, "kgrl generate: %s\n", err.msg); kgrl_tokenizer_free(tok); return 1; }
    kgrl_lora *lora = NULL;
    if (lora_dir && !(lora = kgrl_lora_load(lora_dir, &m->cfg, &err))) {
        fprintf(stderr, "kgrl generate: %s\n", err.msg);
        kgrl_model_free(m); kgrl_tokenizer_free(tok);
        return 1;
    }
    // the prompt's ids
    char *text = NULL;
    if (chat) {
        kgrl_chat_family fam = m->cfg.family == KGRL_FAMILY_QWEN3 ? KGRL_CHAT_QWEN3
                             : (m->cfg.family == KGRL_FAMILY_LLAMA ? KGRL_CHAT_LLAMA3 : KGRL_CHAT_QWEN2_5);
        if (tmpl && !kgrl_chat_family_from_name(tmpl, &fam, &err)) { fprintf(stderr, "kgrl generate: %s\n", err.msg); return 2; }
        kgrl_chat_msg msg = {"user", prompt};
        text = kgrl_chat_format(fam, &msg, 1, true, &err);
        if (!text) { fprintf(stderr, "kgrl generate: %s\n", err.msg); return 1; }
    }
    kgrl_tokens ids = KGRL_ZERO;
    const char *pt = text ? text : prompt;
    kgrl_tokenizer_encode(tok, pt, strlen(pt), !chat, &ids);
    if (ids.n == 0) { fprintf(stderr, "kgrl generate: the prompt encodes to no tokens\n"); return 2; }
    // stop tokens: the config's EOS, the tokenizer's EOS, and in chat mode the end-of-turn token
    int stops[3], nstop = 0;
    int cand[3] = {m->cfg.eos_token_id, kgrl_tokenizer_eos_id(tok), chat ? kgrl_tokenizer_eot_id(tok) : -1};
    for (int i = 0; i < 3; i++) {
        bool dup = false;
        for (int j = 0; j < nstop; j++) dup = dup || stops[j] == cand[i];
        if (cand[i] >= 0 && cand[i] < m->cfg.vocab_size && !dup) stops[nstop++] = cand[i];
    }
    kgrl_sample_desc sd;
    memset(&sd, 0, sizeof sd);
    sd.greedy = greedy; sd.temperature = (float)temperature; sd.top_k = top_k; sd.top_p = (float)top_p;
    sd.min_p = (float)min_p; sd.max_new_tokens = max_tokens; sd.stop_ids = stops; sd.n_stop = nstop;
    sd.seed = (uint64_t)seed;
    kgrl__gen_stream g;
    memset(&g, 0, sizeof g);
    g.tok = tok;
    g.skip_special = true;
    const int *pp = ids.ids;
    int plen = ids.n, total = ids.n + max_tokens;
    if (total > m->cfg.max_pos) fprintf(stderr, "kgrl generate: warning: %d tokens exceed the model's max_position_embeddings %d\n", total, m->cfg.max_pos);
    kgrl_ctx_desc cd = KGRL_ZERO;
    cd.logger.min_level = KGRL_LOG_WARN;
    cd.cpu_only = cpu;
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    kgrl_sample_result r;
    bool ok;
    double t0 = kgrl_now_s();
    if (ctx->has_gpu) {
        kgrl_engine *e = kgrl_engine_create(ctx);
        kgrl_engine_dtype dt = fp32 ? KGRL_ENGINE_F32 : KGRL_ENGINE_BF16;
        kgrl_gpu_model *gm = kgrl_gpu_model_upload(e, m, dt);
        kgrl_gpu_lora *gl = lora ? kgrl_gpu_lora_upload(e, lora, dt) : NULL;
        kgrl_engine_desc ed;
        memset(&ed, 0, sizeof ed);
        ed.max_batch = 1; ed.max_tokens = total; ed.last_logits = true;
        kgrl_gpu_acts *a = kgrl_gpu_acts_create(e, gm, gl, &ed);
        ok = kgrl_gpu_sample(e, gm, gl, a, &pp, &plen, 1, 1, NULL, &sd, kgrl__gen_cb, &g, &r, &err);
        kgrl_gpu_acts_free(a); kgrl_gpu_lora_free(gl); kgrl_gpu_model_free(gm); kgrl_engine_destroy(e);
    } else {
        kgrl_model_acts *a = kgrl_model_acts_create(&m->cfg, lora, 1, total);
        ok = kgrl_sample_cpu(m, lora, a, &pp, &plen, 1, 1, NULL, &sd, kgrl__gen_cb, &g, &r, &err);
        kgrl_model_acts_free(a);
    }
    double dt_s = kgrl_now_s() - t0;
    int rc = 0;
    if (!ok) {
        fprintf(stderr, "kgrl generate: %s\n", err.msg);
        rc = 1;
    } else {
        kgrl__gen_flush(&g, true);
        printf("\n");
        fprintf(stderr, "[%d prompt + %d new tokens in %.2f s on %s; %s]\n", plen, r.lengths[0], dt_s,
                ctx->has_gpu ? ctx->device_name : "the CPU", r.stopped[0] ? "stopped" : "max tokens");
        kgrl_sample_result_free(&r);
    }
    kgrl_tokens_free(&g.ids);
    kgrl_tokens_free(&ids);
    kgrl_free(text);
    kgrl_ctx_destroy(ctx);
    kgrl_lora_free(lora);
    kgrl_model_free(m);
    kgrl_tokenizer_free(tok);
    return rc;
}
