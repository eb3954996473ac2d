// RUN: quant-opt %s --split-input-file --qc-deduplicate-constants | FileCheck %s

// Resources of equal bytes and type merge (CSE keeps them: they compare by
// handle), also with a dense attribute of those values; another type, other
// bytes or another dialect's constant do not.
// CHECK-LABEL: func @merge
// CHECK: %[[A:.*]] = qc.constant dense_resource<a> : tensor<4xi8>
// CHECK-NEXT: %[[C:.*]] = qc.constant dense_resource<c> : tensor<4xi8>
// CHECK-NEXT: %[[D:.*]] = qc.constant dense_resource<d> : tensor<2x2xi8>
// CHECK-NEXT: %[[E:.*]] = arith.constant dense_resource<e> : tensor<4xi8>
// CHECK-NEXT: return %[[A]], %[[A]], %[[C]], %[[D]], %[[E]], %[[E]], %[[E]]
func.func @merge() -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<2x2xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>) {
  %a = qc.constant dense_resource<a> : tensor<4xi8>
  %b = qc.constant dense_resource<b> : tensor<4xi8>
  %c = qc.constant dense_resource<c> : tensor<4xi8>
  %d = qc.constant dense_resource<d> : tensor<2x2xi8>
  %e = arith.constant dense_resource<e> : tensor<4xi8>
  %f = arith.constant dense_resource<b> : tensor<4xi8>
  %g = arith.constant dense<[1, 2, 3, 4]> : tensor<4xi8>
  return %a, %b, %c, %d, %e, %f, %g : tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<2x2xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>
}

{-#
  dialect_resources: {
    builtin: {
      a: "0x0100000001020304",
      b: "0x0100000001020304",
      c: "0x0100000001020305",
      d: "0x0100000001020304",
      e: "0x0100000001020304"
    }
  }
#-}
