//===- Manifest.cpp - the JSON manifest of an artifact ----------*- C++ -*-===//
#include "quantc/Target/CPU/Manifest.h"
#include "quantc/Target/CPU/TargetCPU.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"

#include "quantc/Runtime/LibraryHash.h"
#include "quantc/Runtime/QuantCRuntime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/X86TargetParser.h"

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

json::Value quantc::buildManifest(ModuleOp module, StringRef targetCPU, StringRef floatMode) {
  json::Object manifest{{"format", QC_ARTIFACT_FORMAT}, {"target", "cpu"}};
  // The CPU resolved (host names the compiling machine's), what was asked
  // for, and the microkernel variant its features run.
  std::string error;
  FailureOr<CPUTarget> cpu = resolveCPUTarget(targetCPU, error);
  manifest["target_cpu"] = succeeded(cpu) ? cpu->cpu : targetCPU.str();
  manifest["target_cpu_option"] = targetCPU;
  if (succeeded(cpu))
    manifest["kernels"] = cpu->kernelSuffix;
  manifest["float_mode"] = floatMode;
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

LogicalResult quantc::recordLibrary(json::Object &manifest, StringRef libraryPath,
                                    StringRef targetCPU, std::string &error) {
  auto bytes = llvm::MemoryBuffer::getFile(libraryPath, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!bytes) {
    error = "cannot read " + libraryPath.str() + ": " + bytes.getError().message();
    return failure();
  }
  StringRef data = (*bytes)->getBuffer();
  manifest["library"] =
      json::Object{{"file", llvm::sys::path::filename(libraryPath)},
                   {"size", static_cast<int64_t>(data.size())},
                   {"xxh3_64", hashLibraryBytes(data.data(), data.size())}};
  // What the runtime checks on the loading CPU: every feature the target
  // CPU implies (the code may use any of them).
  FailureOr<CPUTarget> cpu = resolveCPUTarget(targetCPU, error);
  if (failed(cpu))
    return failure();
  manifest["target_features"] = json::Array(cpu->enabled);
  return success();
}
