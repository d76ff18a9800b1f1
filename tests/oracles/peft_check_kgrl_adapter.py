#!/usr/bin/env python3
"""Checks that transformers + peft load what kgrl saved and reproduce kgrl's logits.

    python3 tests/oracles/peft_check_kgrl_adapter.py build/peft_from_kgrl

tests/test_model.c (case test_peft_export) writes into that directory:
    base/       a random Qwen2 model saved by kgrl_model_save (config.json + model.safetensors, fp32)
    base_bf16/  the same model saved in bf16
    adapter/    a LoRA saved by kgrl_lora_save (adapter_config.json + adapter_model.safetensors)
    io.safetensors   input_ids, attention_mask (left padding), and kgrl's logits: logits_base
                     (base), logits_lora (base + adapter), logits_bf16 (the bf16 checkpoint)
This script loads each with transformers/peft in float64 on the CPU (eager attention), runs each
sequence alone on its real tokens (kgrl ran the left-padded batch), compares the logits at real
tokens, and exits 1 on a mismatch.
Tolerance: max |kgrl - torch| / max |torch| <= 1e-5 (kgrl computes in fp32; torch in fp64).
"""
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM
from peft import PeftModel


def load_f64(path):
    # loaded in the checkpoint's dtype (or fp32), then widened: bf16/fp32 -> fp64 is exact
    m = AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager").double()
    assert all(p.dtype == torch.float64 for p in m.parameters())
    return m.eval()


def forward_unpadded(model, ids, am):
    """Each sequence alone on its real tokens (no padding mask: in float64, eager attention's float32
    softmax makes fully masked left-padding rows NaN). Padding rows stay zero and are not compared."""
    out = torch.zeros(ids.shape[0], ids.shape[1], model.config.vocab_size, dtype=torch.float64)
    for b in range(ids.shape[0]):
        real = am[b].bool()
        out[b, real] = model(input_ids=ids[b][real].unsqueeze(0)).logits[0]
    return out


def rel_err(got, want, mask):
    m = mask.bool()
    return ((got - want).abs()[m].max() / want.abs()[m].max()).item()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    io = load_file(os.path.join(d, "io.safetensors"))
    ids, am = io["input_ids"].long(), io["attention_mask"].long()
    ok = True
    with torch.no_grad():
        base = load_f64(os.path.join(d, "base"))
        ref = forward_unpadded(base, ids, am)
        e = rel_err(io["logits_base"].double(), ref, am)
        print(f"base model (kgrl_model_save fp32): max rel err {e:.3g}")
        ok &= e <= 1e-5
        pm = PeftModel.from_pretrained(base, os.path.join(d, "adapter")).double().eval()
        ref = forward_unpadded(pm, ids, am)
        e = rel_err(io["logits_lora"].double(), ref, am)
        print(f"base + adapter (kgrl_lora_save): max rel err {e:.3g}")
        ok &= e <= 1e-5
        b16 = load_f64(os.path.join(d, "base_bf16"))
        ref = forward_unpadded(b16, ids, am)
        e = rel_err(io["logits_bf16"].double(), ref, am)
        print(f"bf16 checkpoint (kgrl_model_save bf16): max rel err {e:.3g}")
        ok &= e <= 1e-5
    print("OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
