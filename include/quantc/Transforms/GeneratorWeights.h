//===- GeneratorWeights.h - calibrated weights for generators ---*- C++ -*-===//
//
// A generator step (qc-decoder-generator) reads a KV cache that only the
// runtime has, so weights calibrated on data (GPTQ) are quantized on the
// decoder imported with the calibration windows' shapes, then moved into the
// generator's module, layer by layer (by ONNX node name).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_TRANSFORMS_GENERATORWEIGHTS_H
#define QUANTC_TRANSFORMS_GENERATORWEIGHTS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace quantc {

/// The new tokens per call of the first calibration sample of `paths`: the
/// last dimension of its `input_ids`.
llvm::Expected<int64_t> calibrationStepTokens(mlir::MLIRContext *ctx,
                                              llvm::ArrayRef<std::string> paths);

/// Gives every layer of `to` whose namesake in `from` has constant integer
/// weights (a qc.dequantize of quantized storage) a copy of those weights
/// and its qc.precision, and every op of `to` the constant vectors (1-D
/// float: normalization weights, biases) of its namesake, which calibration
/// may have rescaled (qc-awq). Fails, naming the layer, when a layer of
/// `from` has no namesake in `to`. Returns how many layers were given
/// weights.
llvm::FailureOr<int64_t> copyQuantizedWeights(mlir::ModuleOp from, mlir::ModuleOp to);

} // namespace quantc

#endif // QUANTC_TRANSFORMS_GENERATORWEIGHTS_H
