#!/usr/bin/env bash
# The main job on the bundled digits CNN: import, simplify, evaluate on
# held-out digits with the reference evaluator and compare with ONNX Runtime.
# Calibration, precision assignment, quantization and compilation join this
# pipeline as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash scripts/build.sh >/dev/null
"$BUILD_DIR/venv/bin/python" scripts/run_model.py --bin "$BUILD_DIR/bin" "$@"
