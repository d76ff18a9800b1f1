#!/usr/bin/env bash
# A/B of engine builds on batch-1 decode: exp04_engine_bench's roofline step (the median of five
# pairs of runs), batch-64 decode and the decode_split nodes, for several builds, in interleaved
# rounds so that drift between runs (the same binary's single pairs moved 0.64-0.69 ms a token at
# 0.5B on an H100, NOTES.md thirtieth session) falls on every build alike. Two halves, since a GPU
# machine reached through a copy of the working tree has no git history:
#
#   scripts/ab_decode.sh build DIR REV...          here: exp04_engine_bench of each git REV (or '.',
#                                                  the working tree) into DIR/exp04_<name>
#   scripts/ab_decode.sh run DIR [ROUNDS] [MODEL]  on the GPU: ROUNDS rounds (default 3) of every
#                                                  DIR/exp04_* on MODEL (default the 0.5B bench model)
#
# run writes DIR/ab.csv (build, round, metric, value) and prints a table, one line per run:
# ms a token (and the fraction of the roofline), batch-8 and batch-64 tokens/s, and the batch-1 nodes
# named in NODES.
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${NODES:-"us_qkv_gemv us_attention_split_kv us_o_gemv us_gate_up_swiglu_gemv us_down_gemv us_lm_head_gemv us_sample_greedy"}

die() { echo "ab_decode.sh: $*" >&2; exit 2; }

build_one() {   # DIR REV
  local dir=$1 rev=$2 name src
  if [ "$rev" = . ]; then
    name=tree
    ./build.sh amalgamate >/dev/null && ./build.sh exp04_engine_bench >/dev/null
    cp exp04_engine_bench "$dir/exp04_$name"
  else
    git rev-parse --verify -q "$rev^{commit}" >/dev/null || die "not a commit: $rev"
    name=$(echo "$rev" | tr -c 'A-Za-z0-9._\n-' '_')
    src=$(mktemp -d /tmp/ab_decode.XXXXXX)
    git worktree add -q --detach "$src" "$rev"
    (cd "$src" && ./build.sh exp04_engine_bench >/dev/null) || { git worktree remove --force "$src"; die "build of $rev failed"; }
    cp "$src/exp04_engine_bench" "$dir/exp04_$name"
    git worktree remove --force "$src"
  fi
  echo "built $dir/exp04_$name ($rev)"
}

run_all() {   # DIR ROUNDS MODEL
  local dir=$1 rounds=$2 model=$3 bins
  bins=$(ls "$dir"/exp04_* 2>/dev/null) || die "no $dir/exp04_* to run (build them first)"
  if [ ! -f "$model/config.json" ]; then
    # the comparator's models, as scripts/gpu_run.sh bench makes them (~20 s; exp04 --quick, which made
    # them before, ran past a device call's 600 s on a fresh H100 with three builds, forty-ninth session)
    case "$model" in
      build/bench_models/*) ;;
      *) die "no model at $model (only build/bench_models/<name> is made here)" ;;
    esac
    echo "creating $model with tests/oracles/engine_comparator.py ..."
    python3 -c "import sys; sys.path.insert(0, 'tests/oracles'); import engine_comparator as ec; ec.ensure_model('$(basename "$model")', 1234)" \
      > "$dir/model.log" 2>&1 || die "creating the model failed: $(tail -1 "$dir/model.log")"
    [ -f "$model/config.json" ] || die "no model at $model"
  fi
  echo "build,round,metric,value" > "$dir/ab.csv"
  printf '%-28s %5s %9s %7s %9s %9s' build round ms_token roofline b8_tok_s b64_tok_s
  for n in $NODES; do printf ' %9.9s' "${n#us_}"; done
  echo
  for r in $(seq 1 "$rounds"); do
    for b in $bins; do
      local name csv
      name=$(basename "$b"); name=${name#exp04_}
      csv="$dir/run_${name}_$r.csv"
      "$b" --model "$model" --steps 1 --out "$csv" > "$dir/run_${name}_$r.log" 2>&1 || { echo "$name round $r failed: $dir/run_${name}_$r.log"; continue; }
      # the CSV's rows: model,section,batch,metric,value
      awk -F, -v n="$name" -v r="$r" -v nodes="$NODES" '
        $2 == "roofline" && $4 == "ms_per_token" { ms = $5 }
        $2 == "roofline" && $4 == "fraction" { fr = $5 }
        $2 == "decode" && $3 == 8 && $4 == "tokens_per_s" { b8 = $5 }
        $2 == "decode" && $3 == 64 && $4 == "tokens_per_s" { b64 = $5 }
        $2 == "decode_split" && $3 == 1 { node[$4] = $5 }
        $2 == "roofline" || $2 == "decode" || $2 == "decode_split" { print n "," r "," $2 "_" $3 "_" $4 "," $5 >> "'"$dir/ab.csv"'" }
        END {
          printf "%-28s %5d %9.4f %6.1f%% %9.0f %9.0f", n, r, ms, 100 * fr, b8, b64
          k = split(nodes, ns, " ")
          for (i = 1; i <= k; i++) printf " %9.2f", node[ns[i]]
          printf "\n"
        }' "$csv"
    done
  done
}

[ $# -ge 2 ] || die "usage: $0 build DIR REV... | run DIR [ROUNDS] [MODEL]"
cmd=$1 dir=$2
shift 2
case "$cmd" in
  build)
    [ $# -ge 1 ] || die "build: name at least one REV"
    mkdir -p "$dir"
    for rev in "$@"; do build_one "$dir" "$rev"; done ;;
  run) run_all "$dir" "${1:-3}" "${2:-build/bench_models/qwen2.5-0.5b-random}" ;;
  *) die "unknown command $cmd (build or run)" ;;
esac
