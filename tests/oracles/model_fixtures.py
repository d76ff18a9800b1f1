#!/usr/bin/env python3
"""Fixtures for tests/test_model.c: tiny random models of each family, computed by transformers + peft.

Run on the GPU machine (torch, transformers, peft; no network), from the repository root:

    python3 tests/oracles/model_fixtures.py            # writes tests/fixtures/model/

Everything runs on the CPU in float64 (the reference the fp32 engine is measured against), from the
checkpoints as saved (reloaded from disk), with eager attention. Per family directory:
    config.json, model.safetensors     save_pretrained of a random-init model (qwen3: bf16)
    adapter/                           peft save_pretrained of a LoRA (r=4, alpha=8, all seven targets,
                                       lora_B random so lora_A gets gradients)
    golden.safetensors, golden.json    inputs, logits (base and LoRA), SFT loss and LoRA gradients,
                                       three AdamW steps; qwen2 also: GRPO combos and a greedy golden
The GRPO loss is TRL GRPOTrainer's formulas written out in PyTorch (advantages from
_generate_and_score_completions, the objective from _compute_loss), run on per-token logprobs of the
peft model at temperature 0.7, with old logprobs perturbed so that ratio clipping happens.
"""
import json
import math
import os
import shutil
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config
from safetensors.torch import save_file

try:
    from transformers import Qwen3Config
except ImportError:  # pragma: no cover
    Qwen3Config = None
from peft import LoraConfig, PeftModel, get_peft_model

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "model")
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
V, C, L, NH, KVH, F = 64, 32, 2, 4, 2, 40
B, T = 2, 12
TF5 = int(transformers.__version__.split(".")[0]) >= 5
torch.set_num_threads(4)


def make_config(cls, rope, **kw):
    """rope = dict(rope_type=..., rope_theta=..., ...). transformers 5 takes rope_parameters, 4 rope_theta/rope_scaling."""
    if TF5:
        return cls(rope_parameters=dict(rope), **kw)
    r = dict(rope)
    theta = r.pop("rope_theta")
    scaling = None if r["rope_type"] == "default" else r
    return cls(rope_theta=theta, rope_scaling=scaling, **kw)


def families():
    common = dict(vocab_size=V, hidden_size=C, intermediate_size=F, num_hidden_layers=L, num_attention_heads=NH,
                  num_key_value_heads=KVH, max_position_embeddings=64, rms_norm_eps=1e-6, bos_token_id=1,
                  eos_token_id=2, pad_token_id=0, attention_dropout=0.0, hidden_act="silu")
    out = []
    out.append(("qwen2", make_config(Qwen2Config, dict(rope_type="default", rope_theta=10000.0), tie_word_embeddings=False,
                                     use_sliding_window=False, **common), torch.float32))
    if Qwen3Config is None:
        sys.exit("transformers has no Qwen3Config: upgrade transformers")
    out.append(("qwen3", make_config(Qwen3Config, dict(rope_type="default", rope_theta=1000000.0), head_dim=12,
                                     tie_word_embeddings=False, attention_bias=False, use_sliding_window=False, **common),
                torch.bfloat16))
    llama3_rope = dict(rope_type="llama3", rope_theta=10000.0, factor=4.0, low_freq_factor=1.0, high_freq_factor=4.0,
                       original_max_position_embeddings=8)
    out.append(("llama3", make_config(LlamaConfig, llama3_rope, head_dim=8, tie_word_embeddings=False, attention_bias=True,
                                      mlp_bias=True, **common), torch.float32))
    c2 = dict(common)
    c2["num_key_value_heads"] = NH  # Llama 2 7B: multi-head attention
    out.append(("llama2", make_config(LlamaConfig, dict(rope_type="default", rope_theta=10000.0), head_dim=8,
                                      tie_word_embeddings=True, attention_bias=False, mlp_bias=False, **c2), torch.float32))
    return out


def expected_inv_freq(cfg_rope, head_dim):
    """The RoPE frequencies as transformers documents them (float64), to check the config was honoured."""
    if "rope_theta" not in cfg_rope and "full_attention" in cfg_rope:  # per-layer-type form
        cfg_rope = cfg_rope["full_attention"]
    theta = cfg_rope["rope_theta"]
    inv = [1.0 / theta ** (2 * i / head_dim) for i in range(head_dim // 2)]
    if cfg_rope["rope_type"] == "llama3":
        f, lo, hi, old = (cfg_rope[k] for k in ("factor", "low_freq_factor", "high_freq_factor",
                                                 "original_max_position_embeddings"))
        out = []
        for x in inv:
            wl = 2 * math.pi / x
            if wl < old / hi:
                out.append(x)
            elif wl > old / lo:
                out.append(x / f)
            else:
                s = (old / wl - lo) / (hi - lo)
                out.append((1 - s) * x / f + s * x)
        inv = out
    return torch.tensor(inv, dtype=torch.float64)


def randomize(model, gen):
    """O(1) activations and non-trivial attention: unit-gain linears, norms near 1, small biases."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(0.8 + 0.4 * torch.rand(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif "embed_tokens" in name or "lm_head" in name:
                p.copy_(2.0 / math.sqrt(C) * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))


def load_f64(path):
    # loaded in the checkpoint's dtype (or fp32), then widened: bf16/fp32 -> fp64 is exact
    m = AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager").double()
    assert all(p.dtype == torch.float64 for p in m.parameters())
    return m.eval()


def save_model(model, path):
    try:
        model.save_pretrained(path, safe_serialization=True)
    except TypeError:
        model.save_pretrained(path)


def peft_name(n):
    """peft's saved name of a parameter of a PeftModel (adapter name dropped)."""
    return n.replace(".default", "")


def lora_params(pm):
    return [(peft_name(n), p) for n, p in pm.named_parameters() if "lora_" in n]


def token_logps(logits, targets, temperature=1.0):
    return torch.log_softmax(logits / temperature, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def forward_unpadded(model, ids, am):
    """Logits (B, T, V) of a left-padded batch, each sequence run alone on its real tokens (padding
    rows zero). In float64, eager attention's float32 softmax turns fully masked rows (left-padding
    queries) into NaN that then leaks into later layers, so no padding mask goes to transformers."""
    out = torch.zeros(ids.shape[0], ids.shape[1], V, dtype=torch.float64)
    for b in range(ids.shape[0]):
        real = am[b].bool()
        out[b, real] = model(input_ids=ids[b][real].unsqueeze(0)).logits[0]
    return out


def sft_loss(pm, ids, am, cmask):
    logits = forward_unpadded(pm, ids, am)
    lp = token_logps(logits[:, :-1], ids[:, 1:])
    m = cmask[:, 1:]
    return -(lp * m).sum() / m.sum()


# ---------------------------------------------------------------------------------------------
# GRPO: TRL's formulas

def advantages(rewards, G, scale):
    mean = rewards.view(-1, G).mean(dim=1).repeat_interleave(G)
    if scale in ("group", "none"):
        std = rewards.view(-1, G).std(dim=1).repeat_interleave(G)
    else:
        std = rewards.std().expand_as(rewards)
    adv = rewards - mean
    if scale != "none":
        adv = adv / (std + 1e-4)
    return adv, torch.isclose(std, torch.zeros_like(std))


def grpo_loss(logp, old, ref, mask, adv, c):
    coef_1 = torch.exp(logp - old)
    coef_2 = torch.clamp(coef_1, 1 - c["epsilon_low"], 1 + c["epsilon_high"])
    if c["delta"]:
        coef_1 = torch.clamp(coef_1, max=c["delta"])
    l1 = coef_1 * adv.unsqueeze(1)
    l2 = coef_2 * adv.unsqueeze(1)
    ptl = -torch.min(l1, l2)
    if c["beta"] != 0.0:
        kl = torch.exp(ref - logp) - (ref - logp) - 1
        ptl = ptl + c["beta"] * kl
    if c["loss_type"] == "grpo":
        return ((ptl * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
    if c["loss_type"] == "bnpo":
        return (ptl * mask).sum() / mask.sum().clamp(min=1.0)
    if c["loss_type"] == "dr_grpo":
        return (ptl * mask).sum() / (ptl.size(0) * c["max_completion_length"])
    return (ptl * mask).sum() / c["num_items_in_batch"]  # dapo


GRPO_COMBOS = [
    dict(name="c0", loss_type="grpo", scale_rewards="group", beta=0.0, epsilon_low=0.2, epsilon_high=0.2),
    dict(name="c1", loss_type="bnpo", scale_rewards="batch", beta=0.04, epsilon_low=0.2, epsilon_high=0.28),
    dict(name="c2", loss_type="dr_grpo", scale_rewards="none", beta=0.04, epsilon_low=0.2, epsilon_high=0.2,
         max_completion_length=8),
    dict(name="c3", loss_type="dapo", scale_rewards="group", beta=0.0, epsilon_low=0.2, epsilon_high=0.28,
         mask_truncated_completions=True, extra_items=5),
    dict(name="c4", loss_type="grpo", scale_rewards="group", beta=0.1, epsilon_low=0.2, epsilon_high=0.2,
         skip_zero_variance_groups=True),
    dict(name="c5", loss_type="bnpo", scale_rewards="group", beta=0.0, epsilon_low=0.2, epsilon_high=0.28, delta=1.5),
]


def grpo_fixture(pm, gen, tensors, meta):
    S, P, CL, G, temp, eos = 4, 5, 7, 2, 0.7, 2
    prompt = torch.randint(3, V, (S // G, P), generator=gen).repeat_interleave(G, dim=0)
    comp = torch.randint(3, V, (S, CL), generator=gen)
    eos_at = [3, None, 6, 0]  # sequence 1 has no EOS: truncated
    cmask = torch.zeros(S, CL)
    for s, e in enumerate(eos_at):
        if e is not None:
            comp[s, e] = eos
            comp[s, e + 1:] = 0
            cmask[s, :e + 1] = 1
        else:
            cmask[s, :] = 1
    ids = torch.cat([prompt, comp], dim=1)
    am = torch.cat([torch.ones(S, P, dtype=torch.long), cmask.long()], dim=1)
    truncated = torch.tensor([e is None for e in eos_at])
    rewards = torch.tensor([1.0, 0.25, 0.5, 0.5], dtype=torch.float64)  # group 1 has zero variance; exact in fp32
    cm = cmask.double()

    def logps():
        logits = pm(input_ids=ids, attention_mask=am).logits[:, P - 1:-1]
        return token_logps(logits, ids[:, P:], temp)

    with torch.no_grad():
        lp0 = logps()
        with pm.disable_adapter():
            ref = logps()
    # old logprobs: current + noise, kept away from the clip boundaries so fp32 and fp64 agree on
    # which side of every boundary each token is (stored rounded to fp32 and used as stored)
    for seed in range(100):
        g2 = torch.Generator().manual_seed(1000 + seed)
        old = (lp0 + 0.3 * torch.randn(lp0.shape, generator=g2, dtype=torch.float64)).float().double()
        lr = lp0 - old
        bounds = [math.log(0.8), math.log(1.2), math.log(1.28), math.log(1.5)]
        if min(abs(lr - b).min().item() for b in bounds) > 1e-4:
            break
    else:
        sys.exit("no perturbation keeps the log-ratios 1e-4 away from the clip boundaries")
    tensors.update({
        "grpo.input_ids": ids.long(), "grpo.attention_mask": am.long(), "grpo.completion_mask": cmask.float(),
        "grpo.rewards": rewards.float(), "grpo.truncated": truncated.long(), "grpo.old_logp": old.float(),
        "grpo.ref_logp": ref.float(), "grpo.logp": lp0.float(),
    })
    combos = []
    for c in GRPO_COMBOS:
        c = dict(c)
        c.setdefault("delta", None)
        c.setdefault("max_completion_length", CL)
        c.setdefault("mask_truncated_completions", False)
        c.setdefault("skip_zero_variance_groups", False)
        adv, std_zero = advantages(rewards, G, c["scale_rewards"])
        mask = cm.clone()
        if c["mask_truncated_completions"]:
            mask = mask * (~truncated).unsqueeze(1).double()
        if c["skip_zero_variance_groups"]:  # kgrl's option (not TRL's): drop those completions
            mask = mask * (~std_zero).unsqueeze(1).double()
        c["num_items_in_batch"] = float(mask.sum().item() + c.pop("extra_items", 0))
        for _, p in lora_params(pm):
            p.grad = None
        logp = logps()
        loss = grpo_loss(logp, old, ref, mask, adv, c)
        loss.backward()
        c["loss"] = loss.item()
        c["temperature"] = temp
        c["group_size"] = G
        tensors[f"grpo.{c['name']}.adv"] = adv.float()
        for n, p in lora_params(pm):
            tensors[f"grpo.{c['name']}.grad.{n}"] = p.grad.float()
        combos.append(c)
    meta["grpo"] = dict(n_seq=S, prompt_len=P, completion_len=CL, eos_token_id=eos, combos=combos)


def greedy_fixture(model, gen, meta):
    """HF generate, greedy, 16 tokens; the prompt is chosen so every step's top-1/top-2 gap is > 1e-3."""
    model.generation_config.eos_token_id = None  # never stop early: 16 tokens exactly
    for attempt in range(50):
        prompt = torch.randint(3, V, (1, 6), generator=gen)
        with torch.no_grad():
            out = model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=16, do_sample=False,
                                 pad_token_id=0)
            seq = out[0]
            if seq.numel() != 22:  # stopped at an EOS anyway: take another prompt
                continue
            logits = model(input_ids=seq.unsqueeze(0)).logits[0, 5:-1]
            top = logits.topk(2, dim=-1).values
            margin = (top[:, 0] - top[:, 1]).min().item()
            assert torch.equal(logits.argmax(-1), seq[6:]), "generate disagrees with the full forward's argmax"
        if margin > 1e-3:
            meta["greedy"] = dict(prompt=prompt[0].tolist(), tokens=seq[6:].tolist(), min_margin=margin)
            return
    sys.exit("no prompt with a clear greedy margin")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    summary = {}
    for fam_i, (name, cfg, save_dtype) in enumerate(families()):
        d = os.path.join(OUT, name)
        gen = torch.Generator().manual_seed(1234 + fam_i)
        torch.manual_seed(1234 + fam_i)
        model = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
        randomize(model, gen)
        save_model(model.to(save_dtype), d)
        # the saved checkpoint, in float64, is the reference
        base = load_f64(d)
        if TF5:
            rope = dict(base.config.rope_parameters)
        else:
            rope = dict(rope_type="default", rope_theta=base.config.rope_theta)
            rope.update(base.config.rope_scaling or {})
        want = expected_inv_freq(rope, base.config.head_dim if getattr(base.config, "head_dim", None) else C // NH)
        got = base.model.rotary_emb.inv_freq.double()
        assert torch.allclose(got, want, rtol=1e-6), f"{name}: rope frequencies {got} != {want}"
        # inputs: sequence 1 left-padded by 3 (kgrl runs the padded batch; transformers each sequence
        # alone); completion = last 5 real tokens of each sequence
        ids = torch.randint(3, V, (B, T), generator=gen)
        am = torch.ones(B, T, dtype=torch.long)
        am[1, :3] = 0
        ids[1, :3] = 0
        pos = (am.cumsum(-1) - 1).clamp(min=0)
        cmask = torch.zeros(B, T, dtype=torch.float64)
        cmask[:, -5:] = 1
        tensors = {"input_ids": ids.long(), "attention_mask": am.long(), "position_ids": pos.long(),
                   "completion_mask": cmask.float()}
        with torch.no_grad():
            tensors["logits_base"] = forward_unpadded(base, ids, am).float()
        # peft LoRA on the float32 model, B random, saved; then reloaded onto the float64 base
        lcfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS, task_type="CAUSAL_LM", bias="none")
        pm32 = get_peft_model(AutoModelForCausalLM.from_pretrained(d, attn_implementation="eager").float(), lcfg)
        with torch.no_grad():
            for n, p in pm32.named_parameters():
                if "lora_B" in n:
                    p.copy_(0.1 * torch.randn(p.shape, generator=gen))
        pm32.save_pretrained(os.path.join(d, "adapter"))
        pm = PeftModel.from_pretrained(load_f64(d), os.path.join(d, "adapter"), is_trainable=True).double()
        assert all(p.dtype == torch.float64 for _, p in lora_params(pm))
        with torch.no_grad():
            tensors["logits_lora"] = forward_unpadded(pm, ids, am).float()
        loss = sft_loss(pm, ids, am, cmask)
        loss.backward()
        meta = {"family": name, "B": B, "T": T, "sft_loss": loss.item(), "transformers": transformers.__version__,
                "torch": torch.__version__}
        for n, p in lora_params(pm):
            tensors[f"grad.{n}"] = p.grad.float()
            p.grad = None
        # three AdamW steps with clipping (torch semantics, single-tensor)
        hp = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
        opt = torch.optim.AdamW([p for _, p in lora_params(pm)], foreach=False, **hp)
        losses, norms = [], []
        for _ in range(3):
            opt.zero_grad()
            l = sft_loss(pm, ids, am, cmask)
            l.backward()
            norms.append(torch.nn.utils.clip_grad_norm_([p for _, p in lora_params(pm)], max_norm=0.5).item())
            opt.step()
            losses.append(l.item())
        meta["adamw"] = dict(lr=hp["lr"], beta1=0.9, beta2=0.999, eps=hp["eps"], weight_decay=hp["weight_decay"],
                             max_grad_norm=0.5, losses=losses, grad_norms=norms)
        for n, p in lora_params(pm):
            tensors[f"adamw.{n}"] = p.detach().float()
        if name == "qwen2":
            # fresh adapter state for GRPO (AdamW moved the LoRA weights)
            pm = PeftModel.from_pretrained(load_f64(d), os.path.join(d, "adapter"), is_trainable=True).double()
            grpo_fixture(pm, gen, tensors, meta)
            greedy_fixture(base, gen, meta)
        save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(d, "golden.safetensors"),
                  metadata={"format": "pt"})
        with open(os.path.join(d, "golden.json"), "w") as f:
            json.dump(meta, f, indent=1)
        summary[name] = meta["sft_loss"]
        print(f"{name}: sft loss {meta['sft_loss']:.6f}, adamw losses {losses}, grad norms {norms}")
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
