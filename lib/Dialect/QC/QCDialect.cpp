//===- QCDialect.cpp - the qc dialect ---------------------------*- C++ -*-===//
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Dialect/QC/QCOps.h"

using namespace mlir;
using namespace quantc::qc;

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include "quantc/Dialect/QC/QCDialect.cpp.inc"
#include "quantc/Dialect/QC/QCEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "quantc/Dialect/QC/QCAttrs.cpp.inc"

LogicalResult
PrecisionAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      Type activation, Type weight, Granularity granularity,
                      Scheme scheme, int64_t groupSize) {
  auto isSupported = [](Type t, ArrayRef<unsigned> intWidths) {
    if (t.isF32() || t.isF16() || t.isBF16())
      return true;
    auto it = dyn_cast<IntegerType>(t);
    return it && it.isSignless() && llvm::is_contained(intWidths, it.getWidth());
  };
  if (!isSupported(activation, {8, 16}))
    return emitError() << "activation precision must be f32, bf16, f16, i8 "
                          "or i16, got "
                       << activation;
  if (!isSupported(weight, {4, 8}))
    return emitError() << "weight precision must be f32, bf16, f16, i8 or "
                          "i4, got "
                       << weight;
  if ((granularity == Granularity::PerGroup) != (groupSize > 0))
    return emitError() << "group_size must be positive exactly when "
                          "granularity is per_group";
  if (groupSize > 0 && !isa<IntegerType>(weight))
    return emitError() << "per_group granularity needs integer weights";
  return success();
}

void QCDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "quantc/Dialect/QC/QCAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/QCOps.cpp.inc"
      >();
  registerMicrokernelBufferization(getContext());
}

Operation *QCDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
