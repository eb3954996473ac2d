//===- Manifest.cpp - the JSON manifest of an artifact ----------*- C++ -*-===//
#include "quantc/Target/CPU/Manifest.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"

using namespace mlir;
using namespace quantc;
namespace json = llvm::json;

namespace {
std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

json::Object describeTensor(StringRef name, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  json::Object entry{{"name", name}, {"shape", json::Array(tensor.getShape())}};
  Type element = tensor.getElementType();
  if (auto q = qc::getUniformType(element)) {
    entry["dtype"] = (q.isSigned() ? "i" : "u") +
                     std::to_string(q.getStorageTypeIntegralWidth());
    entry["scale"] = q.getScale();
    entry["zero_point"] = q.getZeroPoint();
  } else {
    entry["dtype"] = typeName(element);
  }
  return entry;
}

json::Object describePrecision(qc::PrecisionAttr p) {
  return json::Object{{"activation", typeName(p.getActivation())},
                      {"weight", typeName(p.getWeight())},
                      {"granularity", qc::stringifyGranularity(p.getGranularity())},
                      {"scheme", qc::stringifyScheme(p.getScheme())},
                      {"group_size", p.getGroupSize()}};
}
} // namespace

json::Value quantc::buildManifest(ModuleOp module, StringRef targetCPU) {
  json::Object manifest{{"format", "quantc-artifact-1"},
                        {"target", "cpu"},
                        {"target_cpu", targetCPU}};
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return manifest;
  json::Array inputs, outputs, layers;
  for (auto [i, type] : llvm::enumerate(main.getArgumentTypes())) {
    auto name = main.getArgAttrOfType<StringAttr>(i, "qc.name");
    inputs.push_back(describeTensor(name ? name.getValue() : "", type));
  }
  for (auto [i, type] : llvm::enumerate(main.getResultTypes())) {
    auto name = main.getResultAttrOfType<StringAttr>(i, "qc.name");
    outputs.push_back(describeTensor(name ? name.getValue() : "", type));
  }
  main.walk([&](Operation *op) {
    auto precision = op->getAttrOfType<qc::PrecisionAttr>("qc.precision");
    if (!precision)
      return;
    layers.push_back(json::Object{{"name", qc::getNodeName(op->getLoc())},
                                  {"op", op->getName().getStringRef()},
                                  {"precision", describePrecision(precision)}});
  });
  manifest["inputs"] = std::move(inputs);
  manifest["outputs"] = std::move(outputs);
  manifest["layers"] = std::move(layers);
  return manifest;
}
