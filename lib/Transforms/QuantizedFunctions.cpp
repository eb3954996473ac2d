//===- QuantizedFunctions.cpp - functions of one tensor --------*- C++ -*-===//
#include "QuantizedFunctions.h"
#include "PrecisionRules.h"

#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

bool qc::isQuantizedFunction(Operation *op) {
  SmallVector<Operation *> region;
  DequantizeOp source;
  if (failed(collectElementwiseRegion(op->getResult(0), region, source)))
    return false;
  auto type = getQuantizedType(source.getInput().getType());
  return type && type.getStorageTypeIntegralWidth() <= 8;
}

bool qc::isCheapArithmetic(Operation *op) {
  SmallVector<Operation *> region;
  DequantizeOp source;
  (void)collectElementwiseRegion(op->getResult(0), region, source);
  return llvm::all_of(region, [](Operation *o) {
    return isa<AddOp, SubOp, MulOp, DivOp, NegOp, AbsOp, MaxOp, MinOp, ClipOp,
               ReluOp>(o);
  });
}

bool qc::onlyFloatReaders(Operation *op) {
  return !op->use_empty() && llvm::all_of(op->getUsers(), [](Operation *user) {
    if (keepsQuantizedType(user))
      return onlyFloatReaders(user);
    return !isElementwise(user) && !isa<ConcatOp>(user) && !getLayerInfo(user);
  });
}

bool qc::endsQuantizedFunction(Operation *op) {
  return op->getUsers().empty() ||
         llvm::any_of(op->getUsers(), [](Operation *user) {
           SmallVector<Operation *> userRegion;
           DequantizeOp userSource;
           return !isElementwise(user) ||
                  failed(collectElementwiseRegion(user->getResult(0),
                                                  userRegion, userSource));
         });
}
