//===- QCDialect.cpp - the qc dialect ---------------------------*- C++ -*-===//
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Dialect/QC/QCOps.h"

using namespace mlir;
using namespace quantc::qc;

#include "quantc/Dialect/QC/QCDialect.cpp.inc"

void QCDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/QCOps.cpp.inc"
      >();
}

Operation *QCDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
