#!/usr/bin/env bash
# Installs everything quantc needs on Debian 12: the LLVM/MLIR 22 toolchain,
# ONNX/protobuf headers, and a Python virtual environment for the tests.
# Idempotent: does nothing when everything is already present.
set -euo pipefail
BUILD_DIR=${1:-build}
APT_PACKAGES=(libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  libclang-rt-22-dev libonnx-dev protobuf-compiler libprotobuf-dev ninja-build
  ccache cmake python3-venv zlib1g-dev libzstd-dev libzip-dev libgtest-dev libicu-dev
  libxxhash-dev nlohmann-json3-dev libeigen3-dev)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

VENV="$BUILD_DIR/venv"
STAMP="$VENV/.deps-stamp"
REQ="$(dirname "$0")/requirements-test.txt"
if [ ! -f "$STAMP" ] || [ "$REQ" -nt "$STAMP" ] || [ "$0" -nt "$STAMP" ]; then
  mkdir -p "$BUILD_DIR"
  [ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$REQ"
  # Packages whose ONNX models the real-model tests use: without their
  # dependencies (PyTorch among them), which the models do not need.
  "$VENV/bin/pip" install -q --no-deps silero-vad==6.2.3 ddddocr==1.6.1 magika==1.0.3
  touch "$STAMP"
fi
# The Python package, editable: tests see its sources as they are.
PACKAGE="$(dirname "$0")/../python"
if [ ! -f "$VENV/.quantc-python-stamp" ] || [ "$PACKAGE/pyproject.toml" -nt "$VENV/.quantc-python-stamp" ]; then
  "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e "$PACKAGE" 2>/dev/null
  touch "$VENV/.quantc-python-stamp"
fi
