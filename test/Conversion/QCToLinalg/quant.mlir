// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

!act = !quant.uniform<i8:f32, 0.05:-3>
!pc = !quant.uniform<i8:f32:1, {0.5, 0.25}>

// Rule: quantize divides in f32, rounds half to even, adds the zero point
// and clamps to the storage range; the result is the storage integers.
// Storage of up to 16 bits computes in i32.
// CHECK-LABEL: func.func @quantize
// CHECK-SAME: -> tensor<1x8xi8>
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.addi
// CHECK: arith.trunci %{{.*}} : i32 to i8
func.func @quantize(%x: tensor<1x8xf32>) -> tensor<1x8x!act> {
  %q = qc.quantize %x : tensor<1x8xf32> -> tensor<1x8x!act>
  return %q : tensor<1x8x!act>
}

// -----

!wide = !quant.uniform<i32:f32, 0.001:7>

// Rule: 32-bit storage computes in i64 (the zero point plus the bounded
// quotient may pass the i32 range).
// CHECK-LABEL: func.func @quantize_i32
// CHECK: arith.constant dense<7> : tensor<1xi64>
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.trunci %{{.*}} : i64 to i32
func.func @quantize_i32(%x: tensor<4xf32>) -> tensor<4x!wide> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!wide>
  return %q : tensor<4x!wide>
}

// -----

!pc = !quant.uniform<i8:f32:1, {0.5, 0.25}>

// Rule: per-axis parameters are constant tensors read along their axis.
// CHECK-DAG: #[[AXIS:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @dequantize_per_axis
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[}}[5.000000e-01, 2.500000e-01]]> : tensor<1x2xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<0> : tensor<1x2xi32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[AXIS]], #[[AXIS]], #{{.*}}]
// CHECK-SAME: ins(%arg0, %[[S]], %[[Z]] :
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @dequantize_per_axis(%x: tensor<3x2x!pc>) -> tensor<3x2xf32> {
  %d = qc.dequantize %x : tensor<3x2x!pc> -> tensor<3x2xf32>
  return %d : tensor<3x2xf32>
}

// -----

!u = !quant.uniform<u8:f32, 0.1:128>

// Rule: unsigned storage is zero-extended.
// CHECK-LABEL: func.func @dequantize_unsigned
// CHECK: arith.extui %{{.*}} : i8 to i32
func.func @dequantize_unsigned(%x: tensor<4x!u>) -> tensor<4xf32> {
  %d = qc.dequantize %x : tensor<4x!u> -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

!out = !quant.uniform<i8:f32, 0.1:5>

// Rule: requantize multiplies in i64, shifts right by t = 31 + shift rounding
// half to even: p + 2^(t-1) - 1 + the parity of p >> t, shifted right by t
// (arithmetic shifts floor), then adds the output zero point and clamps to
// max(qmin, clamp_min).
// CHECK-LABEL: func.func @requantize_per_channel
// CHECK-DAG: %[[M:.*]] = arith.constant dense<[1073741824, 1518500250]> : tensor<2xi64>
// CHECK-DAG: %[[SH:.*]] = arith.constant dense<[0, 3]> : tensor<2xi64>
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %[[M]], %[[SH]] :
// CHECK: %[[P:.*]] = arith.muli
// CHECK: %[[T:.*]] = arith.addi %{{.*}}, %c31_i64
// CHECK: %[[HALF:.*]] = arith.shli %c1_i64, %{{.*}}
// CHECK: %[[FLOOR:.*]] = arith.shrsi %[[P]], %[[T]]
// CHECK: %[[PARITY:.*]] = arith.andi %[[FLOOR]], %c1_i64
// CHECK: %[[BELOW:.*]] = arith.subi %[[HALF]], %c1_i64
// CHECK: %[[BIAS:.*]] = arith.addi %[[BELOW]], %[[PARITY]]
// CHECK: %[[SUM:.*]] = arith.addi %[[P]], %[[BIAS]]
// CHECK: arith.shrsi %[[SUM]], %[[T]]
// CHECK-NOT: arith.cmpi
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i64
// CHECK: arith.minsi
// CHECK: arith.trunci %{{.*}} : i64 to i8
func.func @requantize_per_channel(%acc: tensor<1x2x4xi32>) -> tensor<1x2x4x!out> {
  %0 = qc.requantize %acc {multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: 0, 3>, axis = 1, clamp_min = 5} : tensor<1x2x4xi32> -> tensor<1x2x4x!out>
  return %0 : tensor<1x2x4x!out>
}

// -----

!out = !quant.uniform<i8:f32, 0.1:5>

// Rule: double_round is gemmlowp's saturating doubling high multiply and
// rounding right shift.
// CHECK-LABEL: func.func @requantize_double_round
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i64
// CHECK: arith.shrsi
func.func @requantize_double_round(%acc: tensor<4xi32>) -> tensor<4x!out> {
  %0 = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 2>, rounding = #qc<rounding double_round>} : tensor<4xi32> -> tensor<4x!out>
  return %0 : tensor<4x!out>
}

// -----

!out = !quant.uniform<i8:f32, 0.1:5>

// Rule: half_up adds half and shifts arithmetically (ties towards +infinity).
// CHECK-LABEL: func.func @requantize_half_up
// CHECK: arith.muli
// CHECK: arith.shli
// CHECK: arith.addi
// CHECK-NEXT: arith.shrsi
// CHECK-NOT: arith.cmpi eq
// CHECK: arith.trunci %{{.*}} : i64 to i8
func.func @requantize_half_up(%acc: tensor<4xi32>) -> tensor<4x!out> {
  %0 = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 2>, rounding = #qc<rounding half_up>} : tensor<4xi32> -> tensor<4x!out>
  return %0 : tensor<4x!out>
}

// -----

!a = !quant.uniform<i8:f32, 0.1:1>
!b = !quant.uniform<i8:f32, 0.2:-2>
!o = !quant.uniform<i8:f32, 0.3:3>

// Rule: qadd centres both operands, shifts them left, rescales each and
// their sum (three multipliers).
// CHECK-LABEL: func.func @qadd
// CHECK: arith.shli %{{.*}}, %c20_i64 : i64
// CHECK: arith.muli
// CHECK: arith.shrsi
// CHECK: arith.shli %{{.*}}, %c20_i64_{{[0-9]+}} : i64
// CHECK: arith.muli
// CHECK: arith.shrsi
// CHECK: arith.addi
// CHECK: arith.muli
// CHECK: arith.shrsi
func.func @qadd(%a: tensor<4x!a>, %b: tensor<4x!b>) -> tensor<4x!o> {
  %y = qc.qadd %a, %b {multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0>, left_shift = 20} : (tensor<4x!a>, tensor<4x!b>) -> tensor<4x!o>
  return %y : tensor<4x!o>
}

// -----

!a = !quant.uniform<i8:f32, 0.1:1>
!b = !quant.uniform<i8:f32, 0.2:-2>
!o = !quant.uniform<i8:f32, 0.3:3>

// Rule: qmul multiplies the centred operands and rescales once.
// CHECK-LABEL: func.func @qmul
// CHECK: arith.subi
// CHECK: arith.subi
// CHECK: arith.muli
// CHECK: arith.muli
// CHECK: arith.shrsi
func.func @qmul(%a: tensor<4x!a>, %b: tensor<1x!b>) -> tensor<4x!o> {
  %y = qc.qmul %a, %b {multiplier = 1073741824 : i32, shift = 0 : i32} : (tensor<4x!a>, tensor<1x!b>) -> tensor<4x!o>
  return %y : tensor<4x!o>
}

// -----

!a = !quant.uniform<i8:f32, 0.1>
!o = !quant.uniform<i8:f32, 0.004:-128>

// Rule: a lookup table indexes its table constant by value - qmin.
// CHECK-LABEL: func.func @lookup_table
// CHECK: %[[T:.*]] = arith.constant dense_resource<table> : tensor<256xi8>
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: arith.index_cast
// CHECK: tensor.extract %[[T]]
func.func @lookup_table(%x: tensor<4x!a>) -> tensor<4x!o> {
  %y = qc.lookup_table %x {table = dense_resource<table> : tensor<256xi8>} : tensor<4x!a> -> tensor<4x!o>
  return %y : tensor<4x!o>
}
{-#
  dialect_resources: {
    builtin: {
      table: "0x010000000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF00"
    }
  }
#-}

// -----

!w = !quant.uniform<i8<-127:127>:f32:0, {0.5, 0.25}>

// Rule: quant.scast only reinterprets: its operand passes through.
// CHECK-LABEL: func.func @scast
// CHECK-NEXT: return %arg0 : tensor<2x3xi8>
func.func @scast(%w: tensor<2x3xi8>) -> tensor<2x3x!w> {
  %s = quant.scast %w : tensor<2x3xi8> to tensor<2x3x!w>
  return %s : tensor<2x3x!w>
}
