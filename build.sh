#!/usr/bin/env bash
# build.sh — the only build script of kgrl.
#
#   ./build.sh NAME          build experiments/NAME.c, tools/NAME.c or tests/NAME.c into ./NAME
#   ./build.sh test          build and run every tests/test_*.c and tests/test_*.sh;
#                            last line: "N passed, N failed, N skipped"; exit 1 on any failure
#   ./build.sh amalgamate    write kgrl.h from src/*.h + kernels/*.cu (KGRL_AMALGAMATE_OUT=path to write elsewhere)
#   ./build.sh fuzz          build the libFuzzer targets of tests/fuzz_*.c into ./fuzz_* (needs clang)
#
# Environment: CUDA_HOME (default /usr/local/cuda), CC (default cc), CXX (default c++),
#   DEBUG=1 (-g -O0 with address and undefined-behaviour sanitizers; CPU paths only),
#   KGRL_ARCH=sm_XX (the default NVRTC target when no GPU is visible; detected with nvidia-smi).
set -euo pipefail
cd "$(dirname "$0")"

die() { echo "build.sh: error: $*" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# amalgamation: kgrl.h = manual + API parts + implementation parts + kernel strings + license.
# Each src/NN_name.h holds its API, then a line "// kgrl:implementation", then its implementation.
amalgamate() {
  local out=${KGRL_AMALGAMATE_OUT:-kgrl.h}
  local tmp="$out.tmp.$$"
  {
    cat src/header_top.txt
    echo "#ifndef KGRL_H"
    echo "#define KGRL_H"
    for f in src/[0-9]*.h; do
      echo "// ============================================================================================"
      echo "// $(basename "$f") — API"
      echo "// ============================================================================================"
      awk '/^\/\/ kgrl:implementation$/ { exit } { print }' "$f"
    done
    printf '#ifdef __cplusplus\n} // extern "C"\n#endif\n'
    echo "#endif // KGRL_H"
    echo
    echo "#if defined(KGRL_IMPLEMENTATION) && !defined(KGRL_IMPLEMENTATION_INCLUDED)"
    echo "#define KGRL_IMPLEMENTATION_INCLUDED 1"
    echo "// --------------------------------------------------------------------------------------------"
    echo "// kernels/: the kit's own device code, compiled at run time by NVRTC"
    echo "// --------------------------------------------------------------------------------------------"
    echo "#if defined(__GNUC__)"
    echo "#define KGRL__KERNEL_SOURCE static const char __attribute__((unused))"
    echo "#else"
    echo "#define KGRL__KERNEL_SOURCE static const char"
    echo "#endif"
    for k in kernels/*.cu kernels/*.cuh; do
      [ -f "$k" ] || continue
      local sym
      sym=$(basename "$k" | tr '.-' '__')
      echo "KGRL__KERNEL_SOURCE kgrl__kernel_$sym[] ="
      # one C string literal per line: escape backslashes and quotes, keep the newline
      sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$k"
      echo ";"
    done
    for f in src/[0-9]*.h; do
      echo "// ============================================================================================"
      echo "// $(basename "$f") — implementation"
      echo "// ============================================================================================"
      awk 'found { print } /^\/\/ kgrl:implementation$/ { found = 1 }' "$f"
    done
    echo "#endif // KGRL_IMPLEMENTATION"
    cat src/header_bottom.txt
  } > "$tmp"
  mv "$tmp" "$out"
}

# ---------------------------------------------------------------------------------------------
# toolchain
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
CC=${CC:-cc}
CXX=${CXX:-c++}
find_cuda() {
  [ -f "$CUDA_HOME/include/cuda_runtime_api.h" ] ||
    die "no CUDA toolkit headers at $CUDA_HOME/include. Install the CUDA Toolkit (cuda-toolkit-13) or set CUDA_HOME."
  CUDA_LIB=""
  for d in "$CUDA_HOME/lib64" "$CUDA_HOME/targets/x86_64-linux/lib" "$CUDA_HOME/lib"; do
    if [ -e "$d/libcudart.so" ]; then CUDA_LIB=$d; break; fi
  done
  [ -n "$CUDA_LIB" ] || die "no libcudart.so under $CUDA_HOME. Install the CUDA Toolkit or set CUDA_HOME."
  for l in nvrtc cublas cublasLt; do
    [ -e "$CUDA_LIB/lib$l.so" ] || die "no lib$l.so in $CUDA_LIB. Install the CUDA Toolkit's $l package."
  done
  command -v "$CC" >/dev/null || die "no C compiler '$CC'. Install gcc (apt-get install build-essential) or set CC."
}
detect_arch() {
  if [ -n "${KGRL_ARCH:-}" ]; then echo "$KGRL_ARCH"; return; fi
  if command -v nvidia-smi >/dev/null 2>&1; then
    local cap
    cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n1 | tr -d ' .')
    if [ -n "$cap" ]; then echo "sm_$cap"; return; fi
  fi
  echo "sm_90"  # the H100/H200 the kit is developed for
}
flags() {
  local arch
  arch=$(detect_arch)
  COMMON="-Wall -Wextra -Werror -I. -I$CUDA_HOME/include -DKGRL_DEFAULT_ARCH=\"$arch\""
  if [ "${DEBUG:-0}" = 1 ]; then
    COMMON="$COMMON -g -O0 -fsanitize=address,undefined -fno-omit-frame-pointer"
  else
    COMMON="$COMMON -O2"
  fi
  CFLAGS="-std=c11 -D_GNU_SOURCE $COMMON"
  CXXFLAGS="-std=c++17 -D_GNU_SOURCE $COMMON"
  LDLIBS="-L$CUDA_LIB -Wl,-rpath,$CUDA_LIB -lcublasLt -lcublas -lnvrtc -lcudart -lm -lpthread -ldl"
}

build_one() {
  local name=$1 src=""
  for d in experiments tools tests; do
    if [ -f "$d/$name.c" ]; then src="$d/$name.c"; break; fi
  done
  [ -n "$src" ] || die "no experiments/$name.c, tools/$name.c or tests/$name.c"
  [ -f kgrl.h ] || die "kgrl.h is missing: run ./build.sh amalgamate"
  echo "$CC $CFLAGS -o $name $src $LDLIBS"
  $CC $CFLAGS -o "$name" "$src" $LDLIBS
}

# ---------------------------------------------------------------------------------------------
# tests: every test prints a last line "N passed, N failed, N skipped"; we add them up.
run_tests() {
  mkdir -p build/tests
  local tp=0 tf=0 ts=0 line p f s rc
  local logdir=build/tests
  for src in tests/test_*.c tests/test_*.sh; do
    [ -f "$src" ] || continue
    local name
    name=$(basename "$src"); name=${name%.*}
    echo "== $name"
    if [[ $src == *.c ]]; then
      if ! $CC $CFLAGS -o "build/tests/$name" "$src" $LDLIBS > "$logdir/$name.build.log" 2>&1; then
        cat "$logdir/$name.build.log"
        echo "$name: build failed"
        tf=$((tf + 1)); continue
      fi
      set +e; "build/tests/$name" 2>&1 | tee "$logdir/$name.log"; rc=${PIPESTATUS[0]}; set -e
    else
      set +e; bash "$src" 2>&1 | tee "$logdir/$name.log"; rc=${PIPESTATUS[0]}; set -e
    fi
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$logdir/$name.log" | tail -n1 || true)
    if [ -z "$line" ]; then
      echo "$name: exited $rc without a summary line"
      tf=$((tf + 1)); continue
    fi
    p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}'); s=$(echo "$line" | awk '{print $5}')
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "$name: exited $rc"; fi
    tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
  done
  echo "$tp passed, $tf failed, $ts skipped"
  [ "$tf" = 0 ]
}

cmd=${1:-}
case "$cmd" in
  "" | -h | --help)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  amalgamate)
    amalgamate ;;
  test)
    find_cuda; flags
    [ -x scripts/setup_test_deps.sh ] && scripts/setup_test_deps.sh
    run_tests ;;
  fuzz)
    command -v clang >/dev/null || die "fuzz targets need clang with libFuzzer (apt-get install clang)"
    find_cuda; flags
    for src in tests/fuzz_*.c; do
      n=$(basename "$src" .c)
      echo "clang -fsanitize=fuzzer,address,undefined -g -O1 -o $n $src"
      clang -std=c11 -D_GNU_SOURCE -I. -I"$CUDA_HOME/include" -fsanitize=fuzzer,address,undefined -g -O1 -o "$n" "$src" $LDLIBS
    done ;;
  *)
    find_cuda; flags
    build_one "$cmd" ;;
esac
