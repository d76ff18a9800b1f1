#!/usr/bin/env python3
"""Fixtures for tests/test_safetensors.c, made by the reference implementations (offline, CPU is
enough; takes seconds). Run from the repository root:

    python3 tests/oracles/safetensors_fixtures.py

Writes tests/fixtures/safetensors/:
  conversions.json    f32 bit patterns and torch's round-to-nearest-even bf16/f16 results
  single/model.safetensors + single/expected.json   safetensors.torch.save_file, every dtype
  sharded/            a tiny random-init Qwen2 saved by transformers' save_pretrained in bf16 with
                      a small max_shard_size (so model.safetensors.index.json + several shards)
  sharded/expected.json   per tensor: dtype, shape, sha256 of its raw bytes
"""
import hashlib, json, os, struct

import torch
from safetensors.torch import save_file

OUT = os.path.join("tests", "fixtures", "safetensors")
os.makedirs(OUT, exist_ok=True)

DT = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
      torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
      torch.uint8: "U8", torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    # reshape(-1): a 0-d tensor cannot be viewed as bytes of another element size
    return t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


# 1. conversions: hand-picked edge cases plus a seeded sweep across the f16 range and beyond
edge = [1.0, -2.0, 65504.0, 65519.0, 65520.0, 1e10, -1e10, 2.0**-24, 2.0**-25, 3 * 2.0**-25,
        1023.5 * 2.0**-24, 2.0**-14, 1e-10, 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 2047.5, 0.1, 1 / 3,
        1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 3.4e38, -0.0, 0.0, float("inf"), float("-inf")]
g = torch.Generator().manual_seed(0)
bits = torch.randint(0, 2**31, (4000,), generator=g, dtype=torch.int64)
exp = torch.randint(100, 145, (4000,), generator=g, dtype=torch.int64)
sign = torch.randint(0, 2, (4000,), generator=g, dtype=torch.int64)
sweep = (sign << 31) | (exp << 23) | (bits & 0x7FFFFF)
f32 = torch.tensor([f32_bits(x) for x in edge] + sweep.tolist(), dtype=torch.int64)
f = torch.where(f32 >= 2**31, f32 - 2**32, f32).to(torch.int32).view(torch.float32)  # reinterpret the bits
conv = {
    "f32_bits": [int(v) & 0xFFFFFFFF for v in f32.tolist()],
    "bf16_bits": [int(v) & 0xFFFF for v in f.to(torch.bfloat16).view(torch.int16).tolist()],
    "f16_bits": [int(v) & 0xFFFF for v in f.to(torch.float16).view(torch.int16).tolist()],
}
with open(os.path.join(OUT, "conversions.json"), "w") as fh:
    json.dump(conv, fh)

# 2. one file with every dtype kgrl reads
ar = torch.arange(24, dtype=torch.float64)
tensors = {
    "f32": (ar.reshape(2, 3, 4) * 0.37 - 3).to(torch.float32),
    "f16": (ar.reshape(4, 6) * 0.013 - 0.1).to(torch.float16),
    "bf16": (ar.reshape(24) * 1.7 - 20).to(torch.bfloat16),
    "f64": (ar[:5] / 7).to(torch.float64),
    "i64": torch.tensor([-(2**40), -1, 0, 2**40], dtype=torch.int64),
    "i32": torch.tensor([-7, 0, 2**31 - 1], dtype=torch.int32),
    "i16": torch.tensor([-32768, 5, 32767], dtype=torch.int16),
    "i8": torch.tensor([-128, -1, 127], dtype=torch.int8),
    "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True]),
    "scalar": torch.tensor(2.5, dtype=torch.float32),
    "empty": torch.zeros(0, 3, dtype=torch.bfloat16),
}
single = os.path.join(OUT, "single")
os.makedirs(single, exist_ok=True)
save_file(tensors, os.path.join(single, "model.safetensors"), metadata={"format": "pt", "origin": "kgrl oracle"})
expected = {n: {"dtype": DT[t.dtype], "shape": list(t.shape), "sha256": hashlib.sha256(raw_bytes(t)).hexdigest(),
                "f32_bits": [f32_bits(v) for v in t.to(torch.float32).reshape(-1).tolist()]}
            for n, t in tensors.items()}
with open(os.path.join(single, "expected.json"), "w") as fh:
    json.dump(expected, fh, indent=1)

# 3. a sharded checkpoint as transformers writes it
from transformers import Qwen2Config, Qwen2ForCausalLM

torch.manual_seed(0)
cfg = Qwen2Config(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                  num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64)
model = Qwen2ForCausalLM(cfg).to(torch.bfloat16)
sharded = os.path.join(OUT, "sharded")
model.save_pretrained(sharded, max_shard_size="4KB", safe_serialization=True)
state = model.state_dict()
with open(os.path.join(sharded, "model.safetensors.index.json")) as fh:
    index = json.load(fh)
shards = sorted(set(index["weight_map"].values()))
assert len(shards) >= 2, f"expected several shards, got {shards}"
expected = {n: {"dtype": DT[state[n].dtype], "shape": list(state[n].shape),
                "sha256": hashlib.sha256(raw_bytes(state[n])).hexdigest()}
            for n in index["weight_map"]}
with open(os.path.join(sharded, "expected.json"), "w") as fh:
    json.dump(expected, fh, indent=1)
total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
print(f"wrote {OUT}: {len(conv['f32_bits'])} conversions, {len(tensors)} tensors in single/, "
      f"{len(expected)} tensors in {len(shards)} shards in sharded/, {total} bytes in all")
