#!/usr/bin/env bash
# The full test suite: lit (dialect, importer, passes, tools) + pytest
# (numerical parity with ONNX Runtime, real models).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash scripts/build.sh
/usr/lib/llvm-22/bin/lit -sv "$BUILD_DIR/test"
QUANTC_BIN_DIR="$PWD/$BUILD_DIR/bin" "$BUILD_DIR/venv/bin/python" -m pytest -q test/e2e
