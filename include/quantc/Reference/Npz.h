//===- Npz.h - numpy .npy/.npz files ----------------------------*- C++ -*-===//
#ifndef QUANTC_REFERENCE_NPZ_H
#define QUANTC_REFERENCE_NPZ_H

#include "quantc/Reference/Tensor.h"

#include "llvm/Support/Error.h"
#include <map>
#include <optional>
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

/// The element type of the numpy arrays that carry `element`: numpy has no
/// integers narrower than a byte nor 8-bit floats, so int8 / uint8 arrays
/// carry the former (as ONNX's own numpy helpers do for INT4 and UINT4) and
/// float32 arrays the latter; other types carry themselves.
mlir::Type carrierElementType(mlir::Type element);

/// The first value of `array` (of `element`'s carrier type) that `element`
/// cannot hold exactly, printed; none when it holds every one.
std::optional<std::string> firstValueNotHeld(const Tensor &array, mlir::Type element);

} // namespace quantc::reference

#endif // QUANTC_REFERENCE_NPZ_H
