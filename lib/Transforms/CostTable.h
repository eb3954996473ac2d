//===- CostTable.h - measured cost of each candidate precision --*- C++ -*-===//
//
// Internal to qc-assign-precision (and its fuzz target): the --cost-table
// file {"ns_per_mac": {"i8": 0.005, ...}} written by
// benchmarks/precision_cost_table.py.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_COSTTABLE_H
#define QUANTC_LIB_TRANSFORMS_COSTTABLE_H

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <map>
#include <string>

namespace quantc {
/// Nanoseconds per multiply-accumulate of each candidate: measured by
/// benchmarks/precision_cost_table.py, or these op-count defaults (this
/// machine's kernels: VNNI int8, the weight-only kernels, float loops).
class CostTable {
public:
  mlir::LogicalResult load(llvm::StringRef path, mlir::Location loc) {
    if (path.empty())
      return mlir::success();
    auto buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer)
      return mlir::emitError(loc, "cannot read the cost table '") << path << "'";
    llvm::Expected<llvm::json::Value> json = llvm::json::parse((*buffer)->getBuffer());
    const llvm::json::Object *root = json ? json->getAsObject() : nullptr;
    const llvm::json::Object *table = root ? root->getObject("ns_per_mac") : nullptr;
    if (!table) {
      if (!json)
        llvm::consumeError(json.takeError());
      return mlir::emitError(loc, "cost table '") << path
                                            << "' needs an object \"ns_per_mac\"";
    }
    for (const auto &[name, value] : *table) {
      std::optional<double> ns = value.getAsNumber();
      if (!ns || !std::isfinite(*ns) || *ns < 0)
        return mlir::emitError(loc, "cost table '")
               << path << "': \"" << name.str()
               << "\" must be a non-negative number of nanoseconds";
      nsPerMac[name.str()] = *ns;
    }
    return mlir::success();
  }

  /// By candidate name; w4g<N> falls back to "w4".
  double lookup(llvm::StringRef candidate) const {
    if (auto it = nsPerMac.find(candidate.str()); it != nsPerMac.end())
      return it->second;
    if (candidate.starts_with("w4"))
      return lookup("w4");
    return nsPerMac.at("f32");
  }

private:
  std::map<std::string, double> nsPerMac = {
      {"f32", 0.06}, {"bf16", 0.1}, {"i8", 0.005}, {"w8", 0.025}, {"w4", 0.025}};
};

} // namespace quantc

#endif // QUANTC_LIB_TRANSFORMS_COSTTABLE_H
