//===- TensorNames.h - stable names of the tensors of a graph ---*- C++ -*-===//
//
// Calibration statistics, reports and override files refer to tensors by
// name. A graph input is named by its `qc.name` argument attribute (the ONNX
// input name); an op result by the ONNX node name its location carries (with
// `:i` for result i > 0). Names are made unique by order of appearance.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_TENSORNAMES_H
#define QUANTC_DIALECT_QC_TENSORNAMES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include <string>

namespace quantc::qc {

/// The ONNX node name carried by `loc`, or an empty string.
std::string getNodeName(mlir::Location loc);

/// Unique names of the arguments and op results of `func`.
llvm::DenseMap<mlir::Value, std::string> nameTensors(mlir::func::FuncOp func);

} // namespace quantc::qc

#endif // QUANTC_DIALECT_QC_TENSORNAMES_H
