//===- CalibrationSet.h - calibration samples from .npz files ---*- C++ -*-===//
#ifndef QUANTC_CALIBRATION_CALIBRATIONSET_H
#define QUANTC_CALIBRATION_CALIBRATIONSET_H

#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace quantc::calibration {

/// One sample: a tensor per argument of the graph, in argument order.
using Sample = std::vector<reference::Tensor>;

/// The .npz files of `paths`: files as given, directories' .npz files in
/// name order.
llvm::Expected<std::vector<std::string>>
listCalibrationFiles(llvm::ArrayRef<std::string> paths);

/// Reads the samples of `paths` (.npz files, or directories whose .npz files
/// are read in name order) for `func`. Arrays are matched to inputs by the
/// ONNX input name (`qc.name`), or taken as they are when both hold a single
/// one. An array holds one sample of the input's shape, or several stacked
/// along a new leading dimension or along a batch dimension of size 1. At
/// most `maxSamples` samples are read (all when 0).
llvm::Expected<std::vector<Sample>>
loadCalibrationSet(mlir::func::FuncOp func, llvm::ArrayRef<std::string> paths,
                   int64_t maxSamples = 0);

} // namespace quantc::calibration

#endif // QUANTC_CALIBRATION_CALIBRATIONSET_H
