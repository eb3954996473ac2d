// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-cpu-codegen | FileCheck %s --check-prefix=CODEGEN

// Rule: branches and loops keep their structure; the qc ops in their
// regions lower like any others, and a quantized value an scf.if yields
// becomes its storage integers.
// CHECK-LABEL: func.func @main
// CHECK: %[[C:.*]] = tensor.extract %{{.*}}[] : tensor<i1>
// CHECK: scf.if %[[C]] -> (tensor<4xi8>) {
// CHECK: linalg.generic
// CHECK: scf.yield %{{.*}} : tensor<4xi8>
// CHECK: } else {
// CHECK: scf.yield %{{.*}} : tensor<4xi8>
// CHECK-NOT: = qc.{{[a-z_]+}} 
// CODEGEN-LABEL: llvm.func internal @qc_model_main
// CODEGEN: llvm.cond_br
// CODEGEN-NOT: scf.
func.func @main(%x: tensor<4xf32>, %flag: tensor<i1>) -> tensor<4xf32> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  %c = tensor.extract %flag[] : tensor<i1>
  %r = scf.if %c -> (tensor<4x!quant.uniform<i8:f32, 0.5>>) {
    %n = qc.neg %x : tensor<4xf32>
    %qn = qc.quantize %n : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
    scf.yield %qn : tensor<4x!quant.uniform<i8:f32, 0.5>>
  } else {
    scf.yield %q : tensor<4x!quant.uniform<i8:f32, 0.5>>
  }
  %y = qc.dequantize %r : tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Rule: a loop's carried tensors stay tensors through the lowering; code
// generation bufferizes them (a fresh buffer per iteration) and branches.
// CHECK-LABEL: func.func @main
// CHECK: scf.while (%{{.*}} = %{{.*}}, %[[A:.*]] = %arg0) : (tensor<i64>, tensor<3xf32>)
// CHECK: arith.cmpi slt
// CHECK: scf.condition
// CHECK: } do {
// CHECK: math.tanh
// CHECK: scf.yield
// CODEGEN-LABEL: llvm.func internal @qc_model_main
// CODEGEN: llvm.cond_br
// CODEGEN-NOT: scf.
func.func @main(%x: tensor<3xf32>, %n: tensor<i64>) -> tensor<3xf32> {
  %zero = qc.constant dense<0> : tensor<i64>
  %one = qc.constant dense<1> : tensor<i64>
  %r:2 = scf.while (%i = %zero, %a = %x) : (tensor<i64>, tensor<3xf32>) -> (tensor<i64>, tensor<3xf32>) {
    %lt = qc.less %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
    %go = tensor.extract %lt[] : tensor<i1>
    scf.condition(%go) %i, %a : tensor<i64>, tensor<3xf32>
  } do {
  ^bb0(%i: tensor<i64>, %a: tensor<3xf32>):
    %next = qc.add %i, %one : (tensor<i64>, tensor<i64>) -> tensor<i64>
    %t = qc.tanh %a : tensor<3xf32>
    scf.yield %next, %t : tensor<i64>, tensor<3xf32>
  }
  return %r#1 : tensor<3xf32>
}

// -----

// Rule: qc.fail sets a thread-local failure flag, which the run function
// clears before the model and returns after it.
// CHECK: llvm.mlir.global internal thread_local @qc_run_failed(0 : i32)
// CHECK-LABEL: func.func @main
// CHECK: scf.if
// CHECK: } else {
// CHECK-NEXT: %[[FLAG:.*]] = llvm.mlir.addressof @qc_run_failed : !llvm.ptr
// CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: llvm.store %[[ONE]], %[[FLAG]] : i32, !llvm.ptr
// CODEGEN-LABEL: llvm.mlir.global internal thread_local @qc_run_failed
// CODEGEN: llvm.func @quantc_artifact_run
// CODEGEN: %[[FLAG:.*]] = llvm.mlir.addressof @qc_run_failed
// CODEGEN: llvm.store %{{.*}}, %[[FLAG]]
// CODEGEN: llvm.call @qc_model_main
// CODEGEN: %[[FAILED:.*]] = llvm.load %[[FLAG]] : !llvm.ptr -> i32
// CODEGEN: llvm.return %[[FAILED]] : i32
func.func @main(%x: tensor<4xf32>, %flag: tensor<i1>) -> tensor<4xf32> {
  %c = tensor.extract %flag[] : tensor<i1>
  %r = scf.if %c -> (tensor<4xf32>) {
    %n = qc.neg %x : tensor<4xf32>
    scf.yield %n : tensor<4xf32>
  } else {
    qc.fail "else_branch of 'If_0' cannot run with these input shapes"
    %z = qc.constant dense<0.0> : tensor<4xf32>
    scf.yield %z : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
