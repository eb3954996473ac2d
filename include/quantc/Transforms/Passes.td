//===- Passes.td - qc transformation passes ----------------*- tablegen -*-===//
#ifndef QUANTC_TRANSFORMS_PASSES
#define QUANTC_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def QCSimplify : Pass<"qc-simplify", "::mlir::ModuleOp"> {
  let summary = "Fold constants, BatchNorm and identities in an imported model";
  let description = [{
    Cleans an imported graph before calibration:
    - evaluates every op whose operands are all constant (shape arithmetic,
      constant subgraphs) with the reference evaluator and replaces it by a
      `qc.constant`, unless the result exceeds `max-fold-elements`;
    - folds `qc.batch_norm` into a preceding `qc.conv`, `qc.conv_transpose`
      or `qc.gemm` whose weights are constant and that has no other user;
    - removes `qc.identity`, no-op reshapes and transposes;
    - removes dead ops and deduplicates equal constants.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    Option<"maxFoldElements", "max-fold-elements", "int64_t",
           /*default=*/"1 << 22",
           "Largest constant (in elements) that folding may create">,
  ];
}

#endif // QUANTC_TRANSFORMS_PASSES
