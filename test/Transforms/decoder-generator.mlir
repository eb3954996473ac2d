// RUN: quant-opt %s --qc-decoder-generator --split-input-file -verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --qc-decoder-generator="kv-cache=i8" --split-input-file -verify-diagnostics | FileCheck %s --check-prefix=INT8
// RUN: not quant-opt %s --qc-decoder-generator="kv-cache=i3" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADCACHE

// A one-layer decoder with past: the attention reads the runtime's cache,
// the past inputs, the present outputs and the attention mask (with what
// computed the mask) leave the signature.
// CHECK: module attributes {qc.generator = {head_dim = 8 : i64, kv_cache = "f32", kv_heads = 2 : i64, layers = 1 : i64}}
// INT8: module attributes {qc.generator = {head_dim = 8 : i64, kv_cache = "i8", kv_heads = 2 : i64, layers = 1 : i64}}
// INT8: qc.cached_attention %{{.*}}, %{{.*}}, %{{.*}} {cache = "i8", layer = 0 : i64, scale = 0.353553385 : f32}
// BADCACHE: error: qc-decoder-generator: kv-cache 'i3' is not f32, f16, bf16, i8 or i4
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[IDS:.*]]: tensor<1x1xi64> {qc.name = "input_ids"}, %[[POS:.*]]: tensor<1x1xi64> {qc.name = "position_ids"})
// CHECK-SAME: -> (tensor<1x4x1x8xf32> {qc.name = "logits"})
// CHECK-NOT: qc.concat
// CHECK-NOT: qc.not
// CHECK: qc.cached_attention %{{.*}}, %{{.*}}, %{{.*}} {layer = 0 : i64, scale = 0.353553385 : f32}
// CHECK-SAME: (tensor<1x4x1x8xf32>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x4x1x8xf32>
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
    %o = qc.attention %q, %k, %v, %keep {scale = 0.35355339 : f32}
        : (tensor<1x4x1x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2xi1>) -> tensor<1x4x1x8xf32>
    return %o, %k, %v : tensor<1x4x1x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>
  }
}

// -----

// Keys that do not come from a past input cannot move to the runtime.
module {
  func.func @main(%ids: tensor<1x1xi64> {qc.name = "input_ids"}, %k: tensor<1x1x2x8xf32> {qc.name = "k"})
      -> tensor<1x1x1x8xf32> {
    %q = qc.constant dense<1.0> : tensor<1x1x1x8xf32>
    // expected-error @+1 {{has keys that are not concat(past, new) along the sequence axis}}
    %o = qc.attention %q, %k, %k {scale = 1.0 : f32}
        : (tensor<1x1x1x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>) -> tensor<1x1x1x8xf32>
    return %o : tensor<1x1x1x8xf32>
  }
}

// -----

// The present keys feed something else than the model's outputs.
module {
  func.func @main(%ids: tensor<1x1xi64> {qc.name = "input_ids"},
                  %pk: tensor<1x1x1x8xf32> {qc.name = "past_key_values.0.key"})
      -> (tensor<1x1x1x8xf32>, tensor<1x1x2x8xf32>) {
    %q = qc.constant dense<1.0> : tensor<1x1x1x8xf32>
    %kn = qc.constant dense<2.0> : tensor<1x1x1x8xf32>
    // expected-error @+1 {{holds a KV cache that the model reads elsewhere}}
    %k = qc.concat %pk, %kn {axis = 2 : i64} : (tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x1x2x8xf32>
    %o = qc.attention %q, %k, %k {scale = 1.0 : f32}
        : (tensor<1x1x1x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>) -> tensor<1x1x1x8xf32>
    %twice = qc.add %k, %k : (tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>) -> tensor<1x1x2x8xf32>
    return %o, %twice : tensor<1x1x1x8xf32>, tensor<1x1x2x8xf32>
  }
}

// -----

// expected-error @+1 {{no qc.attention in the model}}
func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
