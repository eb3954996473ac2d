//===- TensorNames.cpp - stable names of the tensors of a graph -*- C++ -*-===//
#include "quantc/Dialect/QC/TensorNames.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

std::string quantc::qc::getNodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string name = getNodeName(inner); !name.empty())
        return name;
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return getNodeName(callSite.getCallee());
  return "";
}

DenseMap<Value, std::string>
quantc::qc::nameTensors(func::FuncOp func) {
  DenseMap<Value, std::string> names;
  llvm::StringMap<unsigned> seen;
  auto assign = [&](Value v, std::string base) {
    unsigned count = seen[base]++;
    names[v] = count ? base + "#" + std::to_string(count) : base;
  };
  for (BlockArgument arg : func.getArguments()) {
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "qc.name");
    assign(arg, name ? name.str() : "arg" + std::to_string(arg.getArgNumber()));
  }
  unsigned unnamed = 0;
  func.walk([&](Operation *op) {
    if (op->getNumResults() == 0)
      return;
    std::string base = getNodeName(op->getLoc());
    if (base.empty())
      base = op->getName().stripDialect().str() + "_" + std::to_string(unnamed++);
    for (OpResult result : op->getResults())
      assign(result, result.getResultNumber()
                         ? base + ":" + std::to_string(result.getResultNumber())
                         : base);
    // Region arguments (a loop body's carried values): `<op>.<region>:<arg>`.
    for (Region &region : op->getRegions())
      if (!isa<func::FuncOp>(op) && !region.empty())
        for (BlockArgument arg : region.getArguments())
          assign(arg, base + "." + std::to_string(region.getRegionNumber()) + ":" +
                          std::to_string(arg.getArgNumber()));
  });
  return names;
}
