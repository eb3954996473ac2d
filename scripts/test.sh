#!/usr/bin/env bash
# The full test suite: lit (dialect, importer, passes, tools) + pytest
# (numerical parity with ONNX Runtime, real models).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash scripts/build.sh
# The browsable copies of the ODS-generated references must be current.
for doc in QCDialect.md QCPasses.md; do
  if ! cmp -s "$BUILD_DIR/docs/$doc" "docs/generated/$doc"; then
    echo "docs/generated/$doc is stale: cp $BUILD_DIR/docs/$doc docs/generated/" >&2
    exit 1
  fi
done
/usr/lib/llvm-22/bin/lit -sv "$BUILD_DIR/test"
QUANTC_BIN_DIR="$PWD/$BUILD_DIR/bin" "$BUILD_DIR/venv/bin/python" -m pytest -q test/e2e
