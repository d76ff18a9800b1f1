#!/usr/bin/env bash
# test_header.sh — the header as a product: kgrl.h is fresh (equals a new amalgamation of src/ and
# kernels/), and it compiles and links as C11 and C++17 with -Wall -Wextra -Werror, across two
# translation units (implementation in one only, also C implementation + C++ user), and with
# KGRL_STATIC. Each check is one case; the last line is "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
CC=${CC:-cc}
CXX=${CXX:-c++}
pass=0 fail=0 skip=0
ok()   { echo "ok     $1"; pass=$((pass + 1)); }
bad()  { echo "not ok $1"; fail=$((fail + 1)); }
skp()  { echo "skip   $1: $2"; skip=$((skip + 1)); }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. staleness: the committed (working-tree; CI checks out a clean tree) kgrl.h equals a fresh amalgamation
fresh="$work/kgrl.fresh.h"
if KGRL_AMALGAMATE_OUT="$fresh" ./build.sh amalgamate > "$work/amalg.log" 2>&1 && cmp -s kgrl.h "$fresh"; then
  ok "kgrl.h is fresh"
else
  cat "$work/amalg.log"
  diff <(cat kgrl.h) "$fresh" | head -n 20
  echo "  kgrl.h differs from a fresh amalgamation: run ./build.sh amalgamate and commit kgrl.h"
  bad "kgrl.h is fresh"
fi

# toolchain as in build.sh
CUDA_LIB=""
for d in "$CUDA_HOME/lib64" "$CUDA_HOME/targets/x86_64-linux/lib" "$CUDA_HOME/lib"; do
  if [ -e "$d/libcudart.so" ]; then CUDA_LIB=$d; break; fi
done
FLAGS="-Wall -Wextra -Werror -I. -I$CUDA_HOME/include -D_GNU_SOURCE"
LDLIBS="-L$CUDA_LIB -Wl,-rpath,$CUDA_LIB -lcublasLt -lcublas -lnvrtc -lcudart -lm -lpthread -ldl"
if [ ! -f "$CUDA_HOME/include/cuda_runtime_api.h" ] || [ -z "$CUDA_LIB" ]; then
  for c in "C11 build" "C11 build at -O2" "C++17 build" "two translation units" "C implementation, C++ user" "KGRL_STATIC build"; do
    skp "$c" "no CUDA toolkit at $CUDA_HOME"
  done
  echo "$pass passed, $fail failed, $skip skipped"
  exit $(( fail > 0 ))
fi

# a small program: uses the base, hash and JSON parts; prints "ok <hash prefix>"
cat > "$work/main_impl.c" <<'C'
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
int other_tu(void);
int main(void) {
    char hex[65];
    kgrl_sha256_hex("abc", 3, hex);
    kgrl_json *j = kgrl_json_parse("{\"a\":1}", 7, NULL);
    int ok = j && kgrl_json_int_or(j, "a", 0) == 1 && strncmp(hex, "ba7816bf", 8) == 0;
    kgrl_json_free(j);
#ifdef TWO_TU
    ok = ok && other_tu() == 1;
#endif
    printf("%s\n", ok ? "ok" : "wrong");
    return ok ? 0 : 1;
}
C
cat > "$work/other.c" <<'C'
#include "kgrl.h"
#ifdef __cplusplus
extern "C" int other_tu(void); // called from the C translation unit
#endif
int other_tu(void) {
    kgrl_buf b = {NULL, 0, 0};
    kgrl_buf_puts(&b, "x");
    int n = (int)b.len;
    kgrl_buf_free(&b);
    return n;
}
C
cp "$work/main_impl.c" "$work/main_impl.cpp"
cp "$work/other.c" "$work/other.cpp"

# build_and_run NAME COMMAND...: the command builds $work/prog; the case passes when it runs and prints ok
build_and_run() {
  local name=$1; shift
  rm -f "$work/prog"
  if ! "$@" > "$work/build.log" 2>&1; then
    head -n 30 "$work/build.log"; bad "$name"; return
  fi
  if [ "$("$work/prog" 2>&1)" = ok ]; then ok "$name"; else bad "$name (program output wrong)"; fi
}

build_and_run "C11 build" $CC -std=c11 $FLAGS -o "$work/prog" "$work/main_impl.c" $LDLIBS
# -O2 runs more of gcc's analyses (format truncation, maybe-uninitialized) than -O0
build_and_run "C11 build at -O2" $CC -std=c11 $FLAGS -O2 -o "$work/prog" "$work/main_impl.c" $LDLIBS
if command -v "$CXX" > /dev/null; then
  build_and_run "C++17 build" $CXX -std=c++17 $FLAGS -o "$work/prog" "$work/main_impl.cpp" $LDLIBS
else
  skp "C++17 build" "no C++ compiler '$CXX'"
fi
build_and_run "two translation units" $CC -std=c11 $FLAGS -DTWO_TU -o "$work/prog" "$work/main_impl.c" "$work/other.c" $LDLIBS
if command -v "$CXX" > /dev/null; then
  # the implementation compiled as C, used from C++: checks the extern "C" wrapping
  build_and_run "C implementation, C++ user" bash -c "
    $CC -std=c11 $FLAGS -DTWO_TU -c -o '$work/main_impl.o' '$work/main_impl.c' &&
    $CXX -std=c++17 $FLAGS -c -o '$work/other.o' '$work/other.cpp' &&
    $CXX -o '$work/prog' '$work/main_impl.o' '$work/other.o' $LDLIBS"
else
  skp "C implementation, C++ user" "no C++ compiler '$CXX'"
fi
build_and_run "KGRL_STATIC build" $CC -std=c11 $FLAGS -DKGRL_STATIC -o "$work/prog" "$work/main_impl.c" $LDLIBS

echo "$pass passed, $fail failed, $skip skipped"
exit $(( fail > 0 ))
