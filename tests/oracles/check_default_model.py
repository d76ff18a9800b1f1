#!/usr/bin/env python3
"""check_default_model.py DIR — the kit's default model (exp00_base) loads in transformers and computes
the logits kgrl computed.

Checks, offline (no downloads):
  1. AutoConfig / AutoModelForCausalLM load DIR (config.json + model.safetensors, Qwen2ForCausalLM).
  2. AutoTokenizer loads DIR (tokenizer.json + tokenizer_config.json) and encodes the fixture text
     to the ids kgrl wrote into DIR/kgrl_logits.json; its chat template renders ChatML.
  3. The fp32 logits at the recorded positions equal kgrl's CPU reference within atol 1e-4 + rtol 1e-4
     (both fp32; the CPU reference matched transformers to that tolerance in tests/test_model.c).
Prints one line per check and exits non-zero on any failure.

Run on the GPU machine (torch, transformers, tokenizers installed):
    ./build.sh exp00_base && ./exp00_base && python3 tests/oracles/check_default_model.py models/kgrl-tiny
"""
import json
import os
import sys

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    d = sys.argv[1]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    fx = json.load(open(os.path.join(d, "kgrl_logits.json")))
    failed = 0

    cfg = AutoConfig.from_pretrained(d)
    model = AutoModelForCausalLM.from_pretrained(d, torch_dtype=torch.float32)
    model.eval()
    ok = type(model).__name__ == "Qwen2ForCausalLM" and cfg.vocab_size == fx["vocab_size"]
    print(("ok  " if ok else "FAIL") + f" load: {type(model).__name__}, vocab {cfg.vocab_size}, "
          f"{sum(p.numel() for p in model.parameters())} parameters")
    failed += not ok

    tok = AutoTokenizer.from_pretrained(d)
    ids = tok(fx["text"], add_special_tokens=False)["input_ids"]
    ok = ids == fx["ids"]
    print(("ok  " if ok else "FAIL") + f" tokenizer: {len(ids)} ids" + ("" if ok else f" got {ids[:16]} want {fx['ids'][:16]}"))
    failed += not ok
    chat = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    ok = chat == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    print(("ok  " if ok else "FAIL") + f" chat template: {chat!r}")
    failed += not ok

    with torch.no_grad():
        logits = model(torch.tensor([fx["ids"]])).logits[0]
    for k, pos in enumerate(fx["positions"]):
        want = torch.tensor(fx["logits"][k], dtype=torch.float32)
        got = logits[pos].float()
        err = (got - want).abs()
        bad = int((err > 1e-4 + 1e-4 * want.abs()).sum())  # fp32 both sides; see the docstring
        ok = bad == 0
        print(("ok  " if ok else "FAIL") + f" logits at position {pos}: max |diff| {err.max().item():.3g}, {bad} bad")
        failed += not ok
    print(f"{3 + len(fx['positions']) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
