// RUN: quant-opt %s --split-input-file --qc-quantize=weight-scheme=asymmetric | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-quantize="weight-scheme=asymmetric weight-range=mse" | FileCheck %s --check-prefix=MSE
// RUN: not quant-opt %s --split-input-file --qc-quantize=weight-scheme=asym 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: qc-quantize: weight-scheme 'asym' is not symmetric or asymmetric

// Weight-only int4 in groups of 2 along K, asymmetric: each group's
// [min(w, 0), max(w, 0)] maps onto [-8, 7], scale (hi - lo) / 15 and zero
// point round(-8 - lo / scale).
//   column 0: [1, -2] scale 0.2, zero point 2: levels 7, -8;
//             [8, 2] scale 8/15, zero point -8: levels 7, -4 (3.75 rounds up);
//   column 1: [1.5, 6] scale 0.4, zero point -8: levels -4, 7;
//             [0.5, -1] scale 0.1, zero point 2: levels 7, -8.
// With two values per group both ends are exact, so mse keeps these grids.
// CHECK-LABEL: func.func @int4_groups
// CHECK: qc.constant dense<{{\[\[}}7, -4], [-8, 7], [7, 7], [-4, -8]]> : tensor<4x2xi4>
// CHECK: quant.scast %{{.*}} : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:{0:2, 1:1}, {{\{\{}}2.000000e-01:2, 4.000000e-01:-8}, {0.533333361:-8, 1.000000e-01:2}}>>
// MSE-LABEL: func.func @int4_groups
// MSE: quant.scast %{{.*}} : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:{0:2, 1:1}, {{\{\{}}2.000000e-01:2, 4.000000e-01:-8}, {0.533333361:-8, 1.000000e-01:2}}>>
func.func @int4_groups(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = qc.constant dense<[[1.0, 1.5], [-2.0, 6.0], [8.0, 0.5], [2.0, -1.0]]> : tensor<4x2xf32>
  %a = qc.matmul %x, %w {qc.precision = #qc.precision<activation = f32, weight = i4, granularity = per_group, scheme = symmetric, group_size = 2>} : (tensor<1x4xf32>, tensor<4x2xf32>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}

// -----

// One outlier: minmax maps [-1, 15] with scale 16/15 and zero point -7,
// leaving 1 ... 6 off their levels by up to half a step (squared error
// 0.41); mse shrinks the range by 2 % (scale 1.04533), clipping 15 to
// 14.63 but putting the rest nearer (0.32).
// CHECK-LABEL: func.func @outlier
// CHECK: qc.constant dense<{{\[\[}}-8], [-6], [-5], [-4], [-3], [-2], [-1], [7]]> : tensor<8x1xi4>
// CHECK: !quant.uniform<i4:f32:1, {1.0666667222976685:-7}>
// MSE-LABEL: func.func @outlier
// MSE: !quant.uniform<i4:f32:1, {1.0453333854675293:-7}>
func.func @outlier(%x: tensor<1x8xf32>) -> tensor<1x1xf32> {
  %w = qc.constant dense<[[-1.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [15.0]]> : tensor<8x1xf32>
  %a = qc.matmul %x, %w {qc.precision = #qc.precision<activation = f32, weight = i4, granularity = per_channel, scheme = symmetric, group_size = 0>} : (tensor<1x8xf32>, tensor<8x1xf32>) -> tensor<1x1xf32>
  return %a : tensor<1x1xf32>
}

// -----

// A layer with integer activations keeps symmetric weights (its kernels
// fold no weight zero points): per channel, |w| max on 127.
// CHECK-LABEL: func.func @integer_layer
// CHECK: quant.scast %{{.*}} : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8<-127:127>:f32:1, {0.015748031437397003,0.031496062874794006}>>
// MSE-LABEL: func.func @integer_layer
// MSE: !quant.uniform<i8:f32:1, {0.015748031437397003,0.031496062874794006}>
func.func @integer_layer(%x: tensor<1x2xf32> {qc.range = array<f64: -1.0, 2.0>}) -> tensor<1x2xf32> {
  %w = qc.constant dense<[[1.0, 4.0], [2.0, 0.5]]> : tensor<2x2xf32>
  %a = qc.matmul %x, %w {qc.range = array<f64: -8.0, 8.0>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}
