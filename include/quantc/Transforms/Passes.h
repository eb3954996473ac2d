//===- Passes.h - qc transformation passes ----------------------*- C++ -*-===//
#ifndef QUANTC_TRANSFORMS_PASSES_H
#define QUANTC_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "quantc/Dialect/QC/QCDialect.h"

namespace quantc {
#define GEN_PASS_DECL
#include "quantc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quantc/Transforms/Passes.h.inc"

/// Merges the constants under `root` (any constant-like op with a dense or
/// resource `value`) that have equal types and bytes: what
/// qc-deduplicate-constants does.
void deduplicateConstants(mlir::Operation *root);
} // namespace quantc

#endif // QUANTC_TRANSFORMS_PASSES_H
