#!/usr/bin/env python3
"""Comparator of experiments/exp04_engine_bench.c: HF transformers `generate` and PyTorch + peft LoRA
training steps on the same random-init Qwen2-shaped models, on the same GPU, with the same shapes.

Runs offline (no download): the models are created from a config with transformers (random init,
seeded), saved as bf16 safetensors under build/bench_models/, and loaded by both sides, so both run
identical weights. A directory that already exists (made by a previous run, or by the C bench) is
used as it is.

    python3 tests/oracles/engine_comparator.py                    # both models; ~5 min on one H100
    python3 tests/oracles/engine_comparator.py --quick            # 0.5B only, 32 new tokens, 2 steps
    python3 tests/oracles/engine_comparator.py --compiled         # batch-1 decode, static cache + torch.compile
    python3 tests/oracles/engine_comparator.py --ratios results/exp04_engine_bench.csv

Measures (written to results/exp04_engine_comparator.csv, columns model,section,batch,metric,value,
the same as the C bench's CSV):
  decode  tokens_per_s, ms_per_step, prefill_ms: model.generate(greedy, use_cache, bf16, sdpa
          attention), prompt P tokens (ids (i*7919+13) % V, as the C side), exactly NEW new tokens
          (min_new_tokens = max_new_tokens), batch 1, 8 and 64; tokens/s = batch * NEW / wall time.
  train   tokens_per_s, ms_per_step, loss_first, loss_last: peft LoRA r16 alpha32 on q,k,v,o,gate,up,
          down (fp32 adapters, bf16 base weights, torch.autocast bf16), labels -100 on the first quarter
          of each row, AdamW lr 1e-3, clip_grad_norm 1.0; B = 4 (0.5B) or 2 (1.5B), T = 1024.
  memory  peak_allocated_mib (torch.cuda.max_memory_allocated over the model's runs).
--compiled measures batch-1 decode two faster ways, into results/exp04_engine_compiled.csv:
  decode_compiled       generate with a static KV cache, which transformers compiles itself (torch.compile,
                        CUDA graphs) on a GPU;
  decode_compiled_loop  a plain greedy loop (gpt-fast's recipe): eager prefill into a StaticCache, then
                        model.forward compiled with mode="reduce-overhead", fullgraph=True, the argmax on
                        the GPU, no host sync until the end.
  ms_per_step = (t(NEW) - t(NEW / 2)) / (NEW / 2), each length timed after a warm-up run of the same length
  (a static cache's length is part of the compiled shape). --models picks models by name.
--ratios joins a kgrl CSV with the comparator CSV into results/exp04_engine_ratios.csv and prints the
table the report quotes (decode and train tokens/s ratios; the targets are >= 5x at decode batch 64
and >= 1.5x for the LoRA step).
"""
import argparse
import csv
import os
import sys
import time

MODELS = {
    "qwen2.5-0.5b-random": dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14,
                                num_key_value_heads=2, intermediate_size=4864, train_batch=4),
    "qwen2.5-1.5b-random": dict(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12,
                                num_key_value_heads=2, intermediate_size=8960, train_batch=2),
}
ROOT = "build/bench_models"
COMPILED_CSV = "exp04_engine_compiled.csv"   # --compiled's CSV, beside --out
GREEDY = dict(do_sample=False, use_cache=True, pad_token_id=0, eos_token_id=None)   # generate's kwargs, every path


def beside(path, name):
    """name in the directory of path"""
    return os.path.join(os.path.dirname(path) or ".", name)


def ensure_model(name, seed):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    d = os.path.join(ROOT, name)
    if os.path.exists(os.path.join(d, "config.json")):
        return d
    print(f"creating {d} (random init, bf16)", file=sys.stderr)
    spec = {k: v for k, v in MODELS[name].items() if k != "train_batch"}
    cfg = Qwen2Config(vocab_size=151936, max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0,
                      tie_word_embeddings=True, use_sliding_window=False, hidden_act="silu",
                      bos_token_id=None, eos_token_id=151643, initializer_range=0.02, **spec)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(cfg).to(torch.bfloat16)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)
    return d


def prompt_ids(V, P, B):
    """(B, P) token ids on the GPU: the C side's prompt, id (i * 7919 + 13) % V in every row"""
    import torch
    return torch.tensor([[(i * 7919 + 13) % V for i in range(P)]] * B, device="cuda")


def bench_decode(model, V, B, P, NEW, rows, name):
    import torch
    ids = prompt_ids(V, P, B)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        model.generate(ids, attention_mask=mask, max_new_tokens=4, min_new_tokens=4, **GREEDY)   # warm-up
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = model.generate(ids, attention_mask=mask, max_new_tokens=NEW, min_new_tokens=NEW, **GREEDY)
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        assert out.shape[1] == P + NEW, out.shape
        t0 = time.perf_counter()
        model(input_ids=ids, attention_mask=mask, use_cache=True)
        torch.cuda.synchronize()
        prefill = time.perf_counter() - t0
    rows.append((name, "decode", B, "tokens_per_s", B * NEW / dt))
    rows.append((name, "decode", B, "ms_per_step", 1e3 * (dt - prefill) / max(NEW - 1, 1)))
    rows.append((name, "decode", B, "prefill_ms", 1e3 * prefill))


def per_step_rows(run, NEW, rows, name, section):
    """Times run(n) for n = NEW / 2 and NEW, each after a warm-up run(n) (a static cache's length is part of the
    compiled shape), and adds the section's ms_per_step and tokens_per_s: the difference over the extra steps."""
    import torch
    secs = {}
    with torch.no_grad():
        for n in (NEW // 2, NEW):
            run(n)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            run(n)
            torch.cuda.synchronize()
            secs[n] = time.perf_counter() - t0
    per = (secs[NEW] - secs[NEW // 2]) / (NEW - NEW // 2)
    rows.append((name, section, 1, "ms_per_step", 1e3 * per))
    rows.append((name, section, 1, "tokens_per_s", 1.0 / per))


def bench_decode_compiled(model, V, P, NEW, rows, name):
    import torch
    ids = prompt_ids(V, P, 1)
    kw = dict(GREEDY, cache_implementation="static", attention_mask=torch.ones_like(ids))

    def run(n):
        out = model.generate(ids, max_new_tokens=n, min_new_tokens=n, **kw)
        assert out.shape[1] == P + n, out.shape

    per_step_rows(run, NEW, rows, name, "decode_compiled")


def bench_decode_loop(model, V, P, NEW, rows, name):
    import torch
    from transformers import StaticCache
    cache = StaticCache(config=model.config, max_cache_len=P + NEW)   # transformers 5: allocated by the prefill
    step = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)
    ids = prompt_ids(V, P, 1)
    where = torch.arange(P + NEW, device="cuda")

    def run(n):
        cache.reset()
        out = model(input_ids=ids, past_key_values=cache, cache_position=where[:P], use_cache=True)
        tok = out.logits[:, -1:].argmax(-1)
        for i in range(n):
            torch.compiler.cudagraph_mark_step_begin()
            out = step(input_ids=tok, past_key_values=cache, cache_position=where[P + i:P + i + 1], use_cache=True)
            tok = out.logits[:, -1:].argmax(-1)

    per_step_rows(run, NEW, rows, name, "decode_compiled_loop")


def bench_train(model, V, B, T, steps, rows, name):
    import torch
    from peft import LoraConfig, get_peft_model
    cfg = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                     target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    pm = get_peft_model(model, cfg)
    pm.train()
    params = [p for p in pm.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.0)
    N = B * T
    # the C side's pattern: token i of the flat batch is ((i % 97) * 1009) % V
    flat = [((i % 97) * 1009) % V for i in range(N)]
    ids = torch.tensor(flat, device="cuda").view(B, T)
    labels = ids.clone()
    labels[:, : T // 4] = -100
    first = last = None
    total = 0.0
    for step in range(steps + 1):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = pm(input_ids=ids, labels=labels)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        if step == 0:
            first = out.loss.item()
            continue
        total += dt
        last = out.loss.item()
    rows.append((name, "train", B, "tokens_per_s", N * steps / total))
    rows.append((name, "train", B, "ms_per_step", 1e3 * total / steps))
    rows.append((name, "train", B, "loss_first", first))
    rows.append((name, "train", B, "loss_last", last))
    pm.unload()


def ratios(kgrl_csv, comp_csv, out):
    def load(p):
        d = {}
        with open(p) as f:
            for r in csv.reader(line for line in f if not line.startswith("#")):
                if r[0] == "model":
                    continue
                d[(r[0], r[1], int(r[2]), r[3])] = float(r[4])
        return d
    k, c = load(kgrl_csv), load(comp_csv)
    res = []
    for key in sorted(k):
        if key[1] in ("decode", "train") and key[3] == "tokens_per_s" and key in c:
            res.append(key + (k[key], c[key], k[key] / c[key]))
    # the compiled paths (--compiled) against kgrl's batch-1 decode, where that CSV is beside --out
    cpath = beside(comp_csv, COMPILED_CSV)
    cc = load(cpath) if os.path.exists(cpath) else {}
    for (m, sec, b, met), v in sorted(cc.items()):
        if sec.startswith("decode_compiled") and met == "tokens_per_s" and (m, "decode", 1, "tokens_per_s") in k:
            kt = k[(m, "decode", 1, "tokens_per_s")]
            res.append((m, sec, b, met, kt, v, kt / v))
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "section", "batch", "metric", "kgrl", "torch", "ratio"])
        w.writerows(res)
    for r in res:
        target = {("decode", 64): 5.0, ("train", r[2]): 1.5}.get((r[1], r[2]))
        print(f"{r[0]:24s} {r[1]:20s} B={r[2]:<3d} kgrl {r[4]:10.1f} tok/s  torch {r[5]:10.1f} tok/s  ratio {r[6]:6.2f}"
              + (f"  (target >= {target})" if target else ""))
    for (m, sec, b, met), v in sorted(cc.items()):   # the compiled path's share of kgrl's roofline
        bpt, copy = k.get((m, "roofline", 1, "bytes_per_token")), k.get((m, "roofline", 1, "copy_gbps"))
        if sec.startswith("decode_compiled") and met == "ms_per_step" and bpt and copy:
            print(f"{m:24s} roofline B=1   kgrl {100 * k[(m, 'roofline', 1, 'fraction')]:.1f}%  "
                  f"torch {sec} {100 * bpt / (v * 1e-3) / 1e9 / copy:.1f}%")
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default="results/exp04_engine_comparator.csv")
    ap.add_argument("--new", type=int, default=128)
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--train-tokens", type=int, default=1024)
    ap.add_argument("--compiled", action="store_true", help="batch-1 decode with a static cache and torch.compile only")
    ap.add_argument("--models", help="comma-separated model names (default: all, or the first with --quick)")
    ap.add_argument("--ratios", metavar="KGRL_CSV", help="join a kgrl CSV with --out and write the ratios")
    a = ap.parse_args()
    if a.ratios:
        ratios(a.ratios, a.out, beside(a.out, "exp04_engine_ratios.csv"))
        return
    names = list(MODELS)[:1] if a.quick else list(MODELS)
    if a.models:
        names = a.models.split(",")
        bad = [n for n in names if n not in MODELS]
        if bad:
            sys.exit(f"engine_comparator: unknown model {bad[0]} (known: {', '.join(MODELS)})")
    if a.compiled and a.out == ap.get_default("out"):
        a.out = beside(a.out, COMPILED_CSV)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    import transformers
    import peft
    from transformers import AutoModelForCausalLM
    if a.quick:
        a.new, a.steps = 32, 2
    rows = []
    for name in names:
        d = ensure_model(name, a.seed)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        model = AutoModelForCausalLM.from_pretrained(d, torch_dtype=torch.bfloat16, attn_implementation="sdpa").cuda()
        model.eval()
        V = model.config.vocab_size
        first = len(rows)
        if a.compiled:
            bench_decode_compiled(model, V, a.prompt, a.new, rows, name)
            bench_decode_loop(model, V, a.prompt, a.new, rows, name)
        else:
            for B in (1, 8, 64):
                bench_decode(model, V, B, a.prompt, a.new, rows, name)
            bench_train(model, V, MODELS[name]["train_batch"], a.train_tokens, a.steps, rows, name)
            rows.append((name, "memory", 0, "peak_allocated_mib", torch.cuda.max_memory_allocated() / 2**20))
        del model
        for r in rows[first:]:   # this model's rows
            print(f"  {r[0]:24s} {r[1]:20s} B={r[2]:<3d} {r[3]:20s} {r[4]:.4g}")
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "w", newline="") as f:
        f.write(f"# experiment: exp04_engine_comparator\n# device: {torch.cuda.get_device_name()}\n")
        f.write(f"# torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}\n")
        f.write(f"# decode: greedy, prompt {a.prompt}, new {a.new}; train: T {a.train_tokens}, {a.steps} timed steps\n")
        w = csv.writer(f)
        w.writerow(["model", "section", "batch", "metric", "value"])
        w.writerows(rows)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
