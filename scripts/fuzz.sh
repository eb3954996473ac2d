#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with ASan + UBSan into build-fuzz,
# seeds their corpora (scripts/fuzz_seeds.py) and runs each for SECONDS
# (default 600), one after the other; crashes are written as
# build-fuzz/findings/<target>/crash-*. Prints executions and findings per
# target; exits non-zero when any target found something.
#   usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(import onnxtext npz json)
bash scripts/install-deps.sh build >/dev/null
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -G Ninja -S . -B build-fuzz -DQUANTC_ENABLE_FUZZERS=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
fi
ninja -C build-fuzz $(printf "quantc-%s-fuzzer " "${TARGETS[@]}")
build/venv/bin/python scripts/fuzz_seeds.py build-fuzz/seeds
status=0
for target in "${TARGETS[@]}"; do
  corpus=build-fuzz/corpus/$target findings=build-fuzz/findings/$target
  mkdir -p "$corpus" "$findings"
  log=build-fuzz/findings/$target.log
  set +e
  build-fuzz/bin/quantc-$target-fuzzer -max_total_time="$SECONDS_PER_TARGET" \
    -rss_limit_mb=4096 -timeout=30 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
    -ignore_ooms=1 -artifact_prefix="$findings/" -print_final_stats=1 \
    "$corpus" "build-fuzz/seeds/$target" >"$log" 2>&1
  set -e
  # The last progress line ("#RUNS: cov: ...") counts the executions.
  runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  found=$(find "$findings" -type f | wc -l || true)
  echo "$target: ${runs:-?} executions in ${SECONDS_PER_TARGET}s, $found findings ($findings)"
  [ "$found" -eq 0 ] || status=1
done
exit $status
