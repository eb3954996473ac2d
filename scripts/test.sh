#!/usr/bin/env bash
# The full test suite: lit (dialect, importer, passes, tools, the GoogleTest
# unit tests, the mlir-opt plugin, an external project built against the
# installed tree) + pytest (numerical parity with ONNX Runtime, real models).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash scripts/build.sh
# The browsable copies of the ODS-generated references must be current.
for doc in QCDialect.md QCPasses.md QCConversionPasses.md; do
  if ! cmp -s "$BUILD_DIR/docs/$doc" "docs/generated/$doc"; then
    echo "docs/generated/$doc is stale: cp $BUILD_DIR/docs/$doc docs/generated/" >&2
    exit 1
  fi
done
# Install, and build the example of another compiler taking quantc in
# against the installed tree (lit runs it).
cmake --install "$BUILD_DIR" --prefix "$PWD/$BUILD_DIR/install" >/dev/null
if [ ! -f "$BUILD_DIR/example/build.ninja" ]; then
  cmake -G Ninja -S examples/quantc-opt-example -B "$BUILD_DIR/example" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PWD/$BUILD_DIR/install" \
    -DCMAKE_CXX_COMPILER=clang++-22 -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
fi
ninja --quiet -C "$BUILD_DIR/example"
/usr/lib/llvm-22/bin/lit -sv "$BUILD_DIR/test"
QUANTC_BIN_DIR="$PWD/$BUILD_DIR/bin" QUANTC_HOME="$PWD/$BUILD_DIR" \
  "$BUILD_DIR/venv/bin/python" -m pytest -q test/e2e python/tests
