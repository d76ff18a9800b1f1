// kgrl tasks — list the task suite, or print the exact prompt a model sees for one task.
//
//   kgrl tasks                                   # level, id, name, signature, main sizes
//   kgrl tasks --level 1                         # one level only
//   kgrl tasks --show L1/19                      # the prompt (style reference: seeds 000/001)
//   kgrl tasks --show L1/19 --style description  # the prompt in seed 002's style
//   kgrl tasks --show L1/19 --style c            # the description plus the CPU reference as plain C
//   kgrl tasks --port L1/19                      # a naive CUDA port of the CPU reference (a candidate)
//   kgrl tasks --port all                        # which tasks have a port, and why not the others
//   kgrl tasks --split seed001_test --seed 1     # the tasks of a named split (src/22_tasks.h)
//
// Excluded tasks are listed with "excluded: <reason>" and never sampled for training.
// Included by tools/kgrl.c.

static int kgrl__tasks_usage(kgrl_flags *f, const char *why) {
    if (why) fprintf(stderr, "kgrl tasks: %s\n", why);
    fprintf(stderr, "usage: kgrl tasks [--data DIR] [--level N] [--split NAME --seed S] [--show ID [--style reference|description|c]] [--port ID|all]\n");
    kgrl_flags_usage(f, stderr);
    kgrl_flags_free(f);
    return why ? 2 : 0;
}

// "batch_size=4096 dim=65536" for a task's size params at main sizes.
static void kgrl__tasks_sizes(const kgrl_task *t, kgrl_buf *b) {
    bool first = true;
    for (int p = 0; p < t->nparams; p++) {
        const kgrl_task_param *q = &t->params[p];
        if (q->kind != KGRL_PARAM_SIZE) continue;
        kgrl_buf_printf(b, "%s%s=%lld", first ? "" : " ", q->name, (long long)q->value);
        first = false;
    }
}

int kgrl_cmd_tasks(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    const char *data = kgrl_flag_str(&f, "--data", "data", "task suite root (holds level1/, level2/)");
    const char *show = kgrl_flag_str(&f, "--show", NULL, "print the prompt of this task (L1/19)");
    const char *style = kgrl_flag_str(&f, "--style", "reference", "prompt style: reference (seeds 000/001), description (seed 002) or c (description + the CPU reference as C)");
    const char *port = kgrl_flag_str(&f, "--port", NULL, "print the naive CUDA port of this task's CPU reference (all: list which tasks have one)");
    int level = (int)kgrl_flag_int(&f, "--level", 0, "list only this level (0: all)");
    const char *split = kgrl_flag_str(&f, "--split", NULL, "list only the tasks of this split (all, level1, level2, seed001_train, seed001_test, seed002_rl, seed002_train, seed002_test)");
    int64_t seed = kgrl_flag_int(&f, "--seed", 0, "seed of the split (seed001_*)");
    bool help = kgrl_flag_bool(&f, "--help", "show this help");
    if (help) return kgrl__tasks_usage(&f, NULL);
    if (!kgrl_flags_finish(&f)) return kgrl__tasks_usage(&f, f.err.msg);
    if (f.npositional) return kgrl__tasks_usage(&f, "unexpected argument");
    kgrl_prompt_style ps;
    if (!strcmp(style, "reference")) ps = KGRL_PROMPT_REFERENCE;
    else if (!strcmp(style, "description")) ps = KGRL_PROMPT_DESCRIPTION;
    else if (!strcmp(style, "c")) ps = KGRL_PROMPT_C;
    else return kgrl__tasks_usage(&f, "--style must be reference, description or c");

    kgrl_task_set set;
    kgrl_err err = KGRL_ZERO;
    if (!kgrl_tasks_load_all(data, &set, &err)) {
        fprintf(stderr, "kgrl tasks: %s\n", err.msg);
        kgrl_flags_free(&f);
        return 1;
    }
    int rc = 0;
    if (port && !strcmp(port, "all")) {
        int n = 0;
        for (int i = 0; i < set.n; i++) {
            kgrl_err why = KGRL_ZERO;
            char *code = kgrl_task_port(&set.tasks[i], &why);
            printf("%-6s %s\n", set.tasks[i].id, code ? "port" : why.msg);
            n += code != NULL;
            kgrl_free(code);
        }
        printf("%d of %d tasks have a port\n", n, set.n);
    } else if (port || show) {
        const char *id = port ? port : show;
        const kgrl_task *t = kgrl_tasks_find(&set, id);
        char *text = !t ? NULL : port ? kgrl_task_port(t, &err) : kgrl_task_prompt(t, ps);
        if (!t) { fprintf(stderr, "kgrl tasks: no task \"%s\" under %s/ (ids look like L1/19)\n", id, data); rc = 1; }
        else if (!text) { fprintf(stderr, "kgrl tasks: no port: %s\n", err.msg); rc = 1; }
        else fputs(text, stdout);
        kgrl_free(text);
    } else {
        int *idx = (int *)kgrl_malloc(sizeof(int) * (size_t)(set.n + 1));
        int n = set.n;
        if (split) {
            n = kgrl_tasks_split(&set, split, (uint64_t)seed, idx, set.n, &err);
            if (n < 0) { fprintf(stderr, "kgrl tasks: %s\n", err.msg); rc = 2; n = 0; }
        } else {
            for (int i = 0; i < set.n; i++) idx[i] = i;
        }
        int shown = 0, excluded = 0;
        for (int k = 0; k < n; k++) {
            const kgrl_task *t = &set.tasks[idx[k]];
            if (level && t->level != level) continue;
            kgrl_buf sizes = KGRL_ZERO;
            kgrl__tasks_sizes(t, &sizes);
            printf("%d  %-6s %-52s %s\n", t->level, t->id, t->name, t->signature);
            printf("           main: %s%s%s\n", sizes.data ? sizes.data : "", t->excluded ? "   excluded: " : "", t->excluded ? t->excluded : "");
            kgrl_buf_free(&sizes);
            shown++;
            excluded += t->excluded != NULL;
        }
        printf("%d tasks (%d excluded)\n", shown, excluded);
        kgrl_free(idx);
    }
    kgrl_tasks_free(&set);
    kgrl_flags_free(&f);
    return rc;
}
