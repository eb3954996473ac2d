// An external CMake project (examples/quantc-opt-example) found quantc with
// find_package(QuantC) in the installed tree, registered its dialect, passes
// and pipelines in its own opt tool, and runs a quantc pipeline with it.
// scripts/test.sh installs quantc and builds the example before lit runs.
// REQUIRES: installed-example
// RUN: test -f %quantc_install/lib/cmake/quantc/QuantCConfig.cmake
// RUN: test -f %quantc_install/share/quantc/dialects/QC/QCOps.td
// RUN: test -f %quantc_install/include/quantc/Dialect/QC/QCOps.h.inc
// RUN: test -x %quantc_install/bin/quant-opt
// RUN: %qc_python -c "import numpy as n; n.savez('%t.npz', x=n.linspace(-1, 1, 64, dtype=n.float32).reshape(16, 1, 4))"
// RUN: %example_opt %s --pass-pipeline='builtin.module(qc-quantize-pipeline{data=%t.npz})' | FileCheck %s

// CHECK: qc.quantize %arg0
// CHECK: qc.qmatmul
// CHECK: qc.requantize
// CHECK-NOT: qc.matmul

func.func @main(%x: tensor<1x4xf32> {qc.name = "x"}) -> tensor<1x4xf32> {
  %w = qc.constant dense<[[0.5, -0.25, 1.0, 0.1], [0.2, 0.3, -0.4, 0.5], [0.6, -0.7, 0.8, 0.9], [-1.0, 0.1, 0.2, 0.3]]> : tensor<4x4xf32>
  %a = qc.matmul %x, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("fc")
  return %a : tensor<1x4xf32>
}
