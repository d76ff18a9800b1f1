#!/usr/bin/env bash
# fuzz.sh [seconds] — build the libFuzzer targets (tests/fuzz_*.c) and run each for `seconds`
# (default 120) on a seed corpus under build/fuzz/. Prints executions and crashes per target.
# Needs clang with libFuzzer (apt-get install clang). Not part of CI.
#
# Crash inputs are kept in build/fuzz/<target>/crash-*; replay one with
#   ./build/fuzz/bin/fuzz_json build/fuzz/json/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
[[ $secs =~ ^[0-9]+$ ]] || { echo "fuzz.sh: seconds must be a whole number, got '$secs'" >&2; exit 2; }

mkdir -p build/fuzz/bin
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then  # FUZZ_SKIP_BUILD=1: use binaries already in build/fuzz/bin
  ./build.sh fuzz
  for n in fuzz_json fuzz_safetensors; do mv -f "$n" "build/fuzz/bin/$n"; done
fi

# ---- seed corpora ----------------------------------------------------------------------------
seed_json=build/fuzz/json/seeds
mkdir -p "$seed_json" build/fuzz/json/corpus
i=0
while IFS= read -r doc; do
  printf '%s' "$doc" > "$seed_json/seed$i.json"; i=$((i + 1))
done <<'DOCS'
{"a":[1,2,{"b":null}],"c":"d","e":true,"f":false}
[0,-0,1.5e-3,1E+300,-2.5,123456789012345678]
"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"
{"model_type":"qwen2","hidden_size":896,"rope_theta":1000000.0,"tie_word_embeddings":true}
[[[[[[[[[[]]]]]]]]]]
{"":{"":{"":[]}}}
"héllo wörld ✓ 😀"
DOCS
# a .safetensors header doubles as a JSON seed
printf '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}' > "$seed_json/seed_st.json"

# safetensors images: 8-byte little-endian header length, header, data
st_image() { # st_image FILE HEADER DATA_BYTES
  local h=$2 n=${#2}
  {
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' $((n & 255)) $(((n >> 8) & 255)) $(((n >> 16) & 255)) $(((n >> 24) & 255)))"
    printf '%s' "$h"
    head -c "$3" /dev/urandom
  } > "$1"
}
seed_st=build/fuzz/safetensors/seeds
mkdir -p "$seed_st" build/fuzz/safetensors/corpus
st_image "$seed_st/one.safetensors" '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}' 16
st_image "$seed_st/meta.safetensors" '{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"I64","shape":[],"data_offsets":[6,14]}}  ' 14
st_image "$seed_st/all.safetensors" '{"f16":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"f64":{"dtype":"F64","shape":[1],"data_offsets":[4,12]},"i32":{"dtype":"I32","shape":[1],"data_offsets":[12,16]},"i16":{"dtype":"I16","shape":[1],"data_offsets":[16,18]},"i8":{"dtype":"I8","shape":[1],"data_offsets":[18,19]},"u8":{"dtype":"U8","shape":[1],"data_offsets":[19,20]},"b":{"dtype":"BOOL","shape":[1],"data_offsets":[20,21]},"z":{"dtype":"F32","shape":[0,4],"data_offsets":[21,21]}}' 21
st_image "$seed_st/empty.safetensors" '{}      ' 0

cat > build/fuzz/dict.txt <<'DICT'
"{"
"}"
"["
"]"
"\\u"
"\\ud800"
"\\udc00"
"true"
"false"
"null"
"1e309"
"-0"
"\"dtype\""
"\"shape\""
"\"data_offsets\""
"\"__metadata__\""
"\"F32\""
"\"F16\""
"\"BF16\""
"\"I64\""
"\"BOOL\""
DICT

# ---- run ---------------------------------------------------------------------------------------
# undefined behaviour stops the run like a crash (build.sh builds with recoverable UBSan)
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
summary=""
for t in json safetensors; do
  dir=build/fuzz/$t
  rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*
  echo "== fuzz_$t for ${secs}s"
  set +e
  "build/fuzz/bin/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 -dict=build/fuzz/dict.txt \
    -artifact_prefix="$dir/" "$dir/corpus" "$dir/seeds" > "$dir/log.txt" 2>&1
  rc=$?
  set -e
  execs=$(grep -E '^stat::number_of_executed_units' "$dir/log.txt" | awk '{print $2}' | tail -n1)
  crashes=$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  tail -n 3 "$dir/log.txt"
  [ "$crashes" = 0 ] || grep -E 'ERROR|SUMMARY|==[0-9]+==' "$dir/log.txt" | head -n 20
  summary="$summary
fuzz_$t: ${execs:-?} executions, $crashes crashes (exit $rc, corpus $(ls "$dir/corpus" | wc -l) files)"
done
echo "$summary"
