// kgrl tokenize — text on stdin to token ids, or ids back to text, with a HF tokenizer.json.
//
//   echo 'Hello world' | kgrl tokenize --tokenizer tokenizer.json           # 9707 1879 198
//   echo '9707 1879' | kgrl tokenize --tokenizer tokenizer.json --decode    # Hello world
//
// Encoding prints the ids of all of stdin (newlines included) space-separated on one line.
// Decoding reads whitespace-separated integer ids and prints the text as is (no newline added).
// Included by tools/kgrl.c.

static int kgrl__tokenize_usage(kgrl_flags *f, const char *why) {
    if (why) fprintf(stderr, "kgrl tokenize: %s\n", why);
    fprintf(stderr, "usage: kgrl tokenize --tokenizer FILE [--decode] [--skip-special] [--add-bos] < input\n");
    kgrl_flags_usage(f, stderr);
    kgrl_flags_free(f);
    return why ? 2 : 0;
}

int kgrl_cmd_tokenize(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    const char *path = kgrl_flag_str(&f, "--tokenizer", NULL, "HF tokenizer.json (required)");
    bool decode = kgrl_flag_bool(&f, "--decode", "read ids, print text");
    bool skip_special = kgrl_flag_bool(&f, "--skip-special", "with --decode: drop special tokens");
    bool add_bos = kgrl_flag_bool(&f, "--add-bos", "when encoding: prepend the BOS token (if the tokenizer has one)");
    bool help = kgrl_flag_bool(&f, "--help", "show this help");
    if (help) return kgrl__tokenize_usage(&f, NULL);
    if (!kgrl_flags_finish(&f)) return kgrl__tokenize_usage(&f, f.err.msg);
    if (f.npositional) return kgrl__tokenize_usage(&f, "unexpected argument (the input comes on stdin)");
    if (!path) return kgrl__tokenize_usage(&f, "--tokenizer FILE is required");
    kgrl_err err = KGRL_ZERO;
    kgrl_tokenizer *tok = kgrl_tokenizer_load(path, &err);
    if (!tok) { fprintf(stderr, "kgrl tokenize: %s\n", err.msg); kgrl_flags_free(&f); return 1; }
    kgrl_buf in = KGRL_ZERO;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) kgrl_buf_append(&in, chunk, n);
    kgrl_buf_append(&in, "", 0);
    int rc = 0;
    if (!decode) {
        kgrl_tokens ids = KGRL_ZERO;
        kgrl_tokenizer_encode(tok, in.data, in.len, add_bos, &ids);
        for (int i = 0; i < ids.n; i++) printf(i ? " %d" : "%d", ids.ids[i]);
        printf("\n");
        kgrl_tokens_free(&ids);
    } else {
        kgrl_tokens ids = KGRL_ZERO;
        const char *p = in.data;
        for (;;) {
            while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',') p++;
            if (!*p) break;
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || v < 0 || v >= kgrl_tokenizer_vocab_size(tok)) {
                int w = 0;
                while (w < 20 && p[w] && !strchr(" \t\r\n,", p[w])) w++;
                fprintf(stderr, "kgrl tokenize: bad token id \"%.*s\" at byte %d (ids are integers in [0, %d))\n",
                        w, p, (int)(p - in.data), kgrl_tokenizer_vocab_size(tok));
                rc = 1;
                break;
            }
            kgrl_tokens_push(&ids, (int32_t)v);
            p = end;
        }
        if (rc == 0) {
            kgrl_buf out = KGRL_ZERO;
            kgrl_tokenizer_decode(tok, ids.ids, ids.n, skip_special, &out);
            fwrite(out.data ? out.data : "", 1, out.len, stdout);
            kgrl_buf_free(&out);
        }
        kgrl_tokens_free(&ids);
    }
    kgrl_buf_free(&in);
    kgrl_tokenizer_free(tok);
    kgrl_flags_free(&f);
    return rc;
}
