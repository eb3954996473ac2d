// RUN: quant-opt %s --split-input-file --qc-cpu-entry-point --verify-diagnostics

module attributes {qc.signature = {inputs = [{name = "x", type = tensor<4xf32>}], outputs = [{name = "y", type = tensor<4xf32>}]}} {
  // expected-error @+1 {{@main takes 1 arguments, expected 2 pointers or 10 descriptor fields (inputs then output buffers)}}
  llvm.func @main(%arg0: !llvm.ptr) {
    llvm.return
  }
}

// -----

// expected-error @+1 {{qc-cpu-entry-point needs a lowered @main and the qc.signature of convert-qc-to-linalg}}
module {
}

// -----

module attributes {qc.signature = {inputs = [{name = "x", type = tensor<?xf32>}], outputs = []}} {
  // expected-error @+1 {{graph input 'x' is 'tensor<?xf32>', which a compiled library cannot pass (its shape must be static)}}
  llvm.func @main(%arg0: !llvm.ptr) {
    llvm.return
  }
}

// -----

module attributes {qc.signature = {inputs = [{name = "x", type = tensor<4xf32>}], outputs = [{name = "y", type = tensor<4xf8E4M3FN>}]}} {
  // expected-error @+1 {{graph output 'y' is 'tensor<4xf8E4M3FN>', which a compiled library cannot pass (its element type runs in the reference evaluator only)}}
  llvm.func @main(%arg0: !llvm.ptr, %arg1: !llvm.ptr) {
    llvm.return
  }
}
