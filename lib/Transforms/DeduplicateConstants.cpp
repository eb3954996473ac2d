//===- DeduplicateConstants.cpp - the qc-deduplicate-constants pass -------===//
//
// Merges constants of equal type and bytes (see the pass description).
//
//===----------------------------------------------------------------------===//
#include "quantc/Transforms/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace quantc {
#define GEN_PASS_DEF_QCDEDUPLICATECONSTANTS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {
/// The bytes of a dense or resource constant.
std::optional<ArrayRef<char>> getRawData(Operation *op) {
  if (!op->hasTrait<OpTrait::ConstantLike>() || op->getNumResults() != 1)
    return std::nullopt;
  Attribute value = op->getAttr("value");
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(value))
    return dense.getRawData();
  if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(value))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return std::nullopt;
}

struct DeduplicateConstantsPass
    : quantc::impl::QCDeduplicateConstantsBase<DeduplicateConstantsPass> {
  void runOnOperation() override { quantc::deduplicateConstants(getOperation()); }
};
} // namespace

void quantc::deduplicateConstants(Operation *root) {
  DenseMap<std::tuple<OperationName, Type, llvm::hash_code>, SmallVector<Operation *>> seen;
  root->walk([&](Operation *op) {
    std::optional<ArrayRef<char>> bytes = getRawData(op);
    if (!bytes)
      return;
    Value result = op->getResult(0);
    auto &candidates = seen[{op->getName(), result.getType(), llvm::hash_value(*bytes)}];
    for (Operation *kept : candidates)
      // The walk visits a block in order: `kept` comes first.
      if (kept->getBlock() == op->getBlock() && getRawData(kept) == bytes) {
        result.replaceAllUsesWith(kept->getResult(0));
        op->erase();
        return;
      }
    candidates.push_back(op);
  });
}
