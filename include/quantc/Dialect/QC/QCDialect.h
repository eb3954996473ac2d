//===- QCDialect.h - the qc dialect -----------------------------*- C++ -*-===//
#ifndef QUANTC_DIALECT_QC_QCDIALECT_H
#define QUANTC_DIALECT_QC_QCDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "quantc/Dialect/QC/QCDialect.h.inc"
#include "quantc/Dialect/QC/QCEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "quantc/Dialect/QC/QCAttrs.h.inc"

#endif // QUANTC_DIALECT_QC_QCDIALECT_H
