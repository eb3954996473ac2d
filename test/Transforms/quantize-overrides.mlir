// Rules apply in order: every Gemm is kept float, then layers named "fc2*"
// get int4 weights in groups of 2 with float activations; other layers take
// the options (i8 activations, i8 per-tensor weights, symmetric).
// RUN: echo '{"rules": [{"op_type": "Gemm", "activation": "f32", "weight": "f32"}, {"name": "fc2*", "activation": "f32", "weight": "i4", "granularity": "per_group", "group_size": 2}]}' > %t.json
// RUN: quant-opt %s --qc-quantize="overrides=%t.json granularity=per_tensor scheme=symmetric" | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK: qc.quantize %arg0 : tensor<1x4xf32> -> tensor<1x4x!quant.uniform<i8<-127:127>:f32, {{.*}}>>
// CHECK-DAG: quant.scast %{{.*}} : tensor<4x4xi4> to tensor<4x4x!quant.uniform<i4<-7:7>:f32:{0:2, 1:1}
// CHECK-DAG: quant.scast %{{.*}} : tensor<4x4xi8> to tensor<4x4x!quant.uniform<i8<-127:127>:f32, 0.0039370078593492508>>
// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = i8, weight = i8, granularity = per_tensor, scheme = symmetric, group_size = 0>
// CHECK: qc.gemm {{.*}}qc.precision = #qc.precision<activation = f32, weight = f32, granularity = per_tensor, scheme = symmetric, group_size = 0>
// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = f32, weight = i4, granularity = per_group, scheme = symmetric, group_size = 2>
func.func @main(%x: tensor<1x4xf32> {qc.range = array<f64: -1.0, 1.0>}) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %w = qc.constant dense<0.5> : tensor<4x4xf32>
  %a = qc.matmul %x, %w {qc.range = array<f64: -2.0, 2.0>} : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("fc1")
  %b = qc.gemm %a, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("head")
  %c = qc.matmul %b, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("fc2.a")
  return %a, %c : tensor<1x4xf32>, tensor<1x4xf32>
}
