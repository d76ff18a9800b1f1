#!/usr/bin/env bash
# One batch of GPU-machine work (the lead runs it through the device tool; anyone with a GPU box can
# run it too). Steps: oracles (fixtures from torch/transformers/peft/tokenizers), tests, info, and
# any extra commands given as arguments. Everything it makes is packed into $OUT (default ./build/out):
#   $OUT/log.txt          the whole log
#   $OUT/fixtures.tgz     tests/fixtures/ as the oracles left it
#   $OUT/results.tgz      results/ and build/tests/*.log
#   scripts/gpu_run.sh [oracles] [test] [info] [bench] ["cmd:any shell command"] ...
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build/out}
mkdir -p "$OUT" build
exec > >(tee "$OUT/log.txt") 2>&1
export PYTHONUNBUFFERED=1
echo "== $(date -u) on $(hostname); $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null)"
for step in "$@"; do
  echo "== step: $step"
  t0=$(date +%s)
  case "$step" in
    oracles)
      for s in tests/oracles/*.py; do
        [ -f "$s" ] || continue
        case "$s" in *_check_*|*comparator*|*baselines*) continue ;; esac  # these need inputs made by the tests
        echo "-- $s"; python3 "$s" || echo "ORACLE FAILED: $s"
      done ;;
    test) ./build.sh test ;;
    info) ./build.sh kgrl && ./kgrl info && ./kgrl info --json ;;
    bench)   # issue 6's figures, the comparators in the same call (NOTES.md, the engine sections)
      python3 tests/oracles/engine_comparator.py &&
        ./build.sh exp04_engine_bench && ./exp04_engine_bench &&
        python3 tests/oracles/engine_comparator.py --compiled --models qwen2.5-0.5b-random &&
        python3 tests/oracles/engine_comparator.py --ratios results/exp04_engine_bench.csv ;;
    cmd:*) bash -c "${step#cmd:}" ;;
    *) echo "unknown step $step" ;;
  esac
  echo "== step $step took $(( $(date +%s) - t0 )) s"
done
tar czf "$OUT/fixtures.tgz" tests/fixtures 2>/dev/null
tar czf "$OUT/results.tgz" results build/tests/*.log 2>/dev/null
echo "== done $(date -u)"
