//===- QCDialect.h - the qc dialect -----------------------------*- C++ -*-===//
#ifndef QUANTC_DIALECT_QC_QCDIALECT_H
#define QUANTC_DIALECT_QC_QCDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "quantc/Dialect/QC/QCDialect.h.inc"

#endif // QUANTC_DIALECT_QC_QCDIALECT_H
