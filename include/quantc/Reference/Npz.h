//===- Npz.h - numpy .npy/.npz files ----------------------------*- C++ -*-===//
#ifndef QUANTC_REFERENCE_NPZ_H
#define QUANTC_REFERENCE_NPZ_H

#include "quantc/Reference/Tensor.h"

#include "llvm/Support/Error.h"
#include <map>
#include <string>

namespace quantc::reference {

/// Named arrays in file order of their names.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// Reads every array of an .npz archive (stored or deflated members).
/// Float arrays become f32 tensors, unless `keepFloatTypes` keeps their
/// element type (f16, f64) for callers that check dtypes.
llvm::Expected<NamedTensors> readNpz(mlir::MLIRContext *ctx,
                                     llvm::StringRef path,
                                     bool keepFloatTypes = false);
/// Writes `tensors` as an uncompressed .npz archive; on failure no file is
/// left behind.
llvm::Error writeNpz(llvm::StringRef path, const NamedTensors &tensors);

/// Parses one .npy buffer.
llvm::Expected<Tensor> parseNpy(mlir::MLIRContext *ctx, llvm::StringRef data,
                                llvm::StringRef name,
                                bool keepFloatTypes = false);
/// Serializes one tensor as .npy.
std::string serializeNpy(const Tensor &tensor);

} // namespace quantc::reference

#endif // QUANTC_REFERENCE_NPZ_H
