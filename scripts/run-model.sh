#!/usr/bin/env bash
# The main job on the bundled digits CNN: import, calibrate, quantize to int8,
# fold scales, evaluate the held-out digits with the reference evaluator and
# print the per-layer report. Precision assignment and compilation join this
# pipeline as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash scripts/build.sh >/dev/null
"$BUILD_DIR/venv/bin/python" scripts/run_model.py --bin "$BUILD_DIR/bin" "$@"
