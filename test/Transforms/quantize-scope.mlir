// With scope=all (the default) the ops between integer layers are quantized
// too, and qc-fold-scales leaves an integer-only graph: the SiLU becomes a
// lookup table, transpose and reshape keep their input's type, the residual
// addition becomes qc.qadd, and concat inputs share the output's type (the
// second input is requantized into it).
// RUN: quant-opt %s --qc-quantize | FileCheck %s --check-prefix=QDQ
// RUN: quant-opt %s --qc-quantize --qc-fold-scales | FileCheck %s
// RUN: quant-opt %s --qc-quantize=scope=layers --qc-fold-scales | FileCheck %s --check-prefix=LAYERS

// QDQ: %[[A:.*]] = qc.matmul
// QDQ: qc.quantize %[[A]]
// QDQ: %[[AD:.*]] = qc.dequantize
// QDQ: %[[S:.*]] = qc.sigmoid %[[AD]]
// QDQ-NOT: qc.quantize %[[S]]
// QDQ: %[[M:.*]] = qc.mul %[[AD]], %[[S]]
// QDQ: %[[MQ:.*]] = qc.quantize %[[M]] : tensor<1x4xf32> -> tensor<1x4x![[SILU:.*]]>
// QDQ: qc.transpose
// QDQ: qc.quantize %{{.*}} : tensor<4x1xf32> -> tensor<4x1x![[SILU]]>

// CHECK: %[[ACC:.*]] = qc.qmatmul
// CHECK: %[[FC:.*]] = qc.requantize %[[ACC]]
// CHECK: %[[FC2:.*]] = qc.requantize %[[FC]] {{.*}} -> tensor<1x4x!quant.uniform<i8:f32, 0.023529412224888802:-22>>
// CHECK: %[[SILU:.*]] = qc.lookup_table %[[FC]]
// CHECK: %[[T:.*]] = qc.transpose %[[SILU]]
// CHECK: %[[R:.*]] = qc.reshape %[[T]]
// CHECK: %[[SUM:.*]] = qc.qadd %[[R]], %[[FC]]
// CHECK: %[[CAT:.*]] = qc.concat %[[SUM]], %[[FC2]] {{.*}} -> tensor<2x4x!quant.uniform<i8:f32, 0.023529412224888802:-22>>
// CHECK: %[[OUT:.*]] = qc.dequantize %[[CAT]]
// CHECK: return %[[OUT]]

// LAYERS: qc.qmatmul
// LAYERS: qc.dequantize
// LAYERS: qc.sigmoid
// LAYERS: qc.add
// LAYERS: qc.concat {{.*}} -> tensor<2x4xf32>
// LAYERS-NOT: qc.quantize

func.func @main(%x: tensor<1x4xf32> {qc.range = array<f64: -1.0, 1.0>}) -> tensor<2x4xf32> {
  %w = qc.constant dense<0.5> : tensor<4x4xf32>
  %a = qc.matmul %x, %w {qc.range = array<f64: -2.0, 2.0>} : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("fc")
  %s = qc.sigmoid %a {qc.range = array<f64: 0.1, 0.9>} : tensor<1x4xf32> loc("sig")
  %m = qc.mul %a, %s {qc.range = array<f64: -0.3, 1.8>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("silu")
  %t = qc.transpose %m {perm = array<i64: 1, 0>, qc.range = array<f64: -0.3, 1.8>} : (tensor<1x4xf32>) -> tensor<4x1xf32> loc("t")
  %r = qc.reshape %t {qc.range = array<f64: -0.3, 1.8>} : tensor<4x1xf32> -> tensor<1x4xf32> loc("r")
  %sum = qc.add %r, %a {qc.range = array<f64: -2.5, 3.5>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("res")
  %c = qc.concat %sum, %a {axis = 0 : i64, qc.range = array<f64: -2.5, 3.5>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32> loc("cat")
  return %c : tensor<2x4xf32>
}
