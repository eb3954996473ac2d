// Bad options and override files are errors that name the culprit.
// RUN: not quant-opt %s --qc-quantize="activation=i3" 2>&1 | FileCheck %s --check-prefix=ACT
// ACT: error: qc-quantize: activation precision 'i3' is not one of f32, bf16, f16, i16, i8, i4
// RUN: not quant-opt %s --qc-quantize="granularity=per_row" 2>&1 | FileCheck %s --check-prefix=GRAN
// GRAN: error: qc-quantize: granularity 'per_row' is not per_tensor, per_channel or per_group
// RUN: not quant-opt %s --qc-quantize="scheme=skewed" 2>&1 | FileCheck %s --check-prefix=SCHEME
// SCHEME: error: qc-quantize: scheme 'skewed' is not symmetric or asymmetric
// RUN: not quant-opt %s --qc-quantize="overrides=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot read override file '{{.*}}missing.json'
// RUN: echo '{"rules": [' > %t.bad.json
// RUN: not quant-opt %s --qc-quantize="overrides=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=JSON
// JSON: error: override file '{{.*}}bad.json' is not JSON
// RUN: echo '{"rules": [{"activation": "i8"}]}' > %t.nomatch.json
// RUN: not quant-opt %s --qc-quantize="overrides=%t.nomatch.json" 2>&1 | FileCheck %s --check-prefix=NOMATCH
// NOMATCH: error: override file '{{.*}}nomatch.json': rule 0: needs "name" or "op_type"
// RUN: echo '{"rules": [{"op_type": "Conv", "weight": "i2"}]}' > %t.weight.json
// RUN: not quant-opt %s --qc-quantize="overrides=%t.weight.json" 2>&1 | FileCheck %s --check-prefix=WEIGHT
// WEIGHT: error: override file '{{.*}}weight.json': rule 0: weight precision 'i2' is not one of
// RUN: not quant-opt %s --qc-quantize="scope=most" 2>&1 | FileCheck %s --check-prefix=SCOPE
// SCOPE: error: qc-quantize: scope 'most' is not layers or all
// RUN: not quant-opt %s --qc-quantize="weight-range=max" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: qc-quantize: weight-range 'max' is not minmax or mse
// RUN: not quant-opt %s --qc-quantize="activation=i4" 2>&1 | FileCheck %s --check-prefix=INVALID
// INVALID: error: invalid precision for this layer: activation precision must be f32, bf16, f16, i8 or i16, got 'i4'

func.func @main(%x: tensor<1x2xf32> {qc.range = array<f64: -1.0, 1.0>}) -> tensor<1x2xf32> {
  %w = qc.constant dense<1.0> : tensor<2x2xf32>
  %a = qc.matmul %x, %w {qc.range = array<f64: -2.0, 2.0>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}
