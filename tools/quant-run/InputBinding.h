//===- InputBinding.h - .npz arrays bound to model inputs -------*- C++ -*-===//
//
// One set of rules for every kind of model quant-run runs (ONNX, IR, or a
// compiled library): arrays are matched to inputs by name, must have the
// input's dtype (or are converted with --cast-inputs) and its shape, or a
// stack of k batches of it along the leading dimension (the same k for
// every input); no array may be left over.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_TOOLS_QUANTRUN_INPUTBINDING_H
#define QUANTC_TOOLS_QUANTRUN_INPUTBINDING_H

#include "quantc/Reference/Npz.h"

#include "mlir/IR/BuiltinTypes.h"

namespace quantc {
/// A model input: its name and type (a quantized element type stands for
/// its storage integers).
struct InputSpec {
  std::string name;
  mlir::RankedTensorType type;
};

/// The numpy name of an element type (float32, int8, uint8, bool, ...).
std::string numpyDtype(mlir::Type element);

/// Binds `arrays` (read from `file` with their float types kept) to
/// `inputs`; returns the input tensors of each batch, or prints an error
/// naming the array and the file and fails.
llvm::FailureOr<llvm::SmallVector<llvm::SmallVector<reference::Tensor>>>
bindInputs(llvm::ArrayRef<InputSpec> inputs,
           const reference::NamedTensors &arrays, llvm::StringRef file,
           bool castInputs);
} // namespace quantc

#endif // QUANTC_TOOLS_QUANTRUN_INPUTBINDING_H
