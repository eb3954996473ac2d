// RUN: quant-opt %s --split-input-file --qc-tabulate-requantize | FileCheck %s

!a = !quant.uniform<i8:f32, 0.1>
!b = !quant.uniform<i8:f32, 0.2>

// Rule: a per-tensor rescale of i8 values becomes a table of 256 results,
// the requantize of every storage value from -128: v * 0.5 with ties to
// even, -64 -64 -63 -62 -62 -62 -61 ... 62 62 62 63 64 (0xC0 = -64, 0x3E =
// 62; the blob starts with its alignment, 1).
// CHECK-LABEL: func.func @halve
// CHECK-NOT: qc.requantize
// CHECK: qc.lookup_table %arg0 {table = dense_resource<[[T:.*]]> : tensor<256xi8>} : tensor<4x!quant.uniform<i8:f32, 1.000000e-01>> -> tensor<4x!quant.uniform<i8:f32, 2.000000e-01>>
// CHECK: [[T]]: "0x01000000C0C0C1C2C2C2C3C4C4C4{{[0-9A-F]*}}3E3E3E3F40"
func.func @halve(%x: tensor<4x!a>) -> tensor<4x!b> {
  %y = qc.requantize %x {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<4x!a> -> tensor<4x!b>
  return %y : tensor<4x!b>
}

// -----

!u = !quant.uniform<u8:f32, 0.1:128>
!s = !quant.uniform<i8:f32, 0.1:-3>

// Rule: unsigned inputs index from 0; the zero points and the clamp are
// applied as the op says: v - 128 - 3 (scale 1) clamped to [-128, 10], so
// 0x80 (-128) for v = 0 to 3, -127 for v = 4, ..., 10 from v = 141.
// CHECK-LABEL: func.func @unsigned_clamped
// CHECK: qc.lookup_table %arg0 {table = dense_resource<[[T:.*]]> : tensor<256xi8>}
// CHECK: [[T]]: "0x010000008080808081828384{{[0-9A-F]*}}0708090A0A0A{{(0A)*}}"
func.func @unsigned_clamped(%x: tensor<4x!u>) -> tensor<4x!s> {
  %y = qc.requantize %x {multiplier = array<i32: 1073741824>, shift = array<i32: -1>, clamp_max = 10 : i64} : tensor<4x!u> -> tensor<4x!s>
  return %y : tensor<4x!s>
}

// -----

!pc = !quant.uniform<i8:f32, 0.1>
!o = !quant.uniform<i8:f32, 0.2>

// Rule: per-channel rescales, accumulators and 16-bit inputs stay.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: qc.lookup_table
// CHECK-COUNT-3: qc.requantize
func.func @kept(%x: tensor<2x3x!pc>, %acc: tensor<4xi32>, %w: tensor<4x!quant.uniform<i16:f32, 0.1>>)
    -> (tensor<2x3x!o>, tensor<4x!o>, tensor<4x!o>) {
  %a = qc.requantize %x {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 1>, axis = 0 : i64} : tensor<2x3x!pc> -> tensor<2x3x!o>
  %b = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<4xi32> -> tensor<4x!o>
  %c = qc.requantize %w {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<4x!quant.uniform<i16:f32, 0.1>> -> tensor<4x!o>
  return %a, %b, %c : tensor<2x3x!o>, tensor<4x!o>, tensor<4x!o>
}
