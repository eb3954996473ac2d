// RUN: quant-opt %s --qc-decoder-generator="kv-cache=i4" | FileCheck %s
// RUN: quant-opt %s --qc-decoder-generator="kv-cache=i8" | FileCheck %s --check-prefix=INT8
// RUN: quant-opt %s --qc-decoder-generator="kv-cache=bf16" | FileCheck %s --check-prefix=FLOAT

// Rule: with an integer cache, the attention's measured channel factors
// (qc-calibrate-kv-keys) become its cached attention's key_scale, and the
// generator says its keys are scaled; a float cache has no use for them.
// CHECK: module attributes {qc.generator = {head_dim = 8 : i64, key_scale, kv_cache = "i4", kv_heads = 2 : i64, layers = 1 : i64}}
// CHECK: qc.cached_attention %{{.*}}, %{{.*}}, %{{.*}} {cache = "i4", key_scale = array<f32: 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00, 8.000000e+00, 7.000000e+00, 6.000000e+00, 5.000000e+00, 4.000000e+00, 3.000000e+00, 2.000000e+00, 1.000000e+00>, layer = 0 : i64
// INT8: qc.cached_attention %{{.*}}, %{{.*}}, %{{.*}} {cache = "i8", key_scale = array<f32: 1.000000e+00, 2.000000e+00
// FLOAT: module attributes {qc.generator = {head_dim = 8 : i64, kv_cache = "bf16", kv_heads = 2 : i64, layers = 1 : i64}}
// FLOAT-NOT: key_scale
module {
  func.func @main(%ids: tensor<1x1xi64> {qc.name = "input_ids"},
                  %mask: tensor<1x2xi1> {qc.name = "attention_mask"},
                  %pos: tensor<1x1xi64> {qc.name = "position_ids"},
                  %pk: tensor<1x2x1x8xf32> {qc.name = "past_key_values.0.key"},
                  %pv: tensor<1x2x1x8xf32> {qc.name = "past_key_values.0.value"})
      -> (tensor<1x4x1x8xf32> {qc.name = "logits"}, tensor<1x2x2x8xf32> {qc.name = "present.0.key"},
          tensor<1x2x2x8xf32> {qc.name = "present.0.value"}) {
    %t = qc.constant dense<1.0> : tensor<1x4x1x8xf32>
    %x = qc.cast %ids : tensor<1x1xi64> -> tensor<1x1xf32>
    %p = qc.cast %pos : tensor<1x1xi64> -> tensor<1x1xf32>
    %xp = qc.add %x, %p : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
    %q = qc.mul %t, %xp : (tensor<1x4x1x8xf32>, tensor<1x1xf32>) -> tensor<1x4x1x8xf32>
    %kn = qc.constant dense<2.0> : tensor<1x2x1x8xf32>
    %vn = qc.constant dense<3.0> : tensor<1x2x1x8xf32>
    %k = qc.concat %pk, %kn {axis = 2 : i64} : (tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x2x8xf32>
    %v = qc.concat %pv, %vn {axis = 2 : i64} : (tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x2x8xf32>
    %keep = qc.not %mask : tensor<1x2xi1>
    %o = qc.attention %q, %k, %v, %keep {qc.key_scale = array<f32: 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0>, scale = 0.35355339 : f32}
        : (tensor<1x4x1x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2xi1>) -> tensor<1x4x1x8xf32>
    return %o, %k, %v : tensor<1x4x1x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>
  }
}

