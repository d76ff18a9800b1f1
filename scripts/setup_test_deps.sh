#!/usr/bin/env bash
# setup_test_deps.sh — fetch what the tests use but the repository does not hold. Called by
# `./build.sh test`. Quiet, and never fails the test run: a test whose dependency is missing skips
# and says which script to run.
cd "$(dirname "$0")/.." || exit 0
if ! out=$(scripts/fetch_qwen3_tokenizer.sh 2>&1); then
  echo "setup_test_deps: Qwen3 tokenizer not available (tokenizer tests that need it will skip): ${out##*$'\n'}"
fi
exit 0
