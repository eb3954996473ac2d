//===- TargetCPU.cpp - what --target-cpu names ------------------*- C++ -*-===//
//
// LLVM knows the CPUs and their features; quantc only picks the microkernel
// variant from the resulting feature set, so a new CPU needs no change here.
//
//===----------------------------------------------------------------------===//
#include "quantc/Target/CPU/TargetCPU.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/TargetParser/X86TargetParser.h"

#include <memory>

using namespace llvm;
using namespace quantc;

namespace {
/// The x86-64 subtarget LLVM would build for `cpu` (features validated
/// against it).
std::unique_ptr<llvm::MCSubtargetInfo> subtargetInfo(StringRef cpu, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  return std::unique_ptr<llvm::MCSubtargetInfo>(
      target->createMCSubtargetInfo(triple, cpu, ""));
}

bool hasAll(const llvm::StringMap<bool> &features, std::initializer_list<StringRef> names) {
  return llvm::all_of(names, [&](StringRef name) { return features.lookup(name); });
}

std::string kernelSuffixFor(const llvm::StringMap<bool> &features) {
  if (hasAll(features, {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512vnni"}))
    return "avx512vnni";
  if (hasAll(features, {"avx2", "fma", "f16c", "bmi2"}))
    return "avx2";
  return "generic";
}
} // namespace

FailureOr<CPUTarget> quantc::resolveCPUTarget(StringRef spec, std::string &error) {
  SmallVector<StringRef> parts;
  spec.split(parts, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  CPUTarget target;
  ArrayRef<StringRef> changes(parts);
  if (!parts.empty() && !parts.front().starts_with("+") && !parts.front().starts_with("-")) {
    target.cpu = parts.front().trim().str();
    changes = changes.drop_front();
  } else {
    target.cpu = "x86-64";
  }
  llvm::StringMap<bool> features;
  bool host = target.cpu == "host";
  if (host) {
    target.cpu = llvm::sys::getHostCPUName().str();
    // The host's features as CPUID reports them, not only its model's.
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features[feature.getKey()] = feature.getValue();
  } else if (llvm::X86::parseArchX86(target.cpu, /*Only64Bit=*/true) == llvm::X86::CK_None) {
    error = "unknown --target-cpu '" + target.cpu +
            "': expected host, an LLVM x86-64 CPU name (e.g. sapphirerapids, znver4, "
            "x86-64-v3) or a feature list such as +avx2,+fma";
    return failure();
  } else {
    SmallVector<StringRef> implied;
    llvm::X86::getFeaturesForCPU(target.cpu, implied);
    for (StringRef feature : implied)
      features[feature] = true;
  }
  std::unique_ptr<llvm::MCSubtargetInfo> info = subtargetInfo(target.cpu, error);
  if (!info)
    return failure();
  auto isKnown = [&](StringRef name) {
    return llvm::any_of(info->getAllProcessorFeatures(),
                        [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
  };
  // The target machine gets the host's features (as -march=native does)
  // and the changes; a CPU name brings its own.
  SmallVector<std::string> machineFeatures;
  if (host)
    for (const auto &feature : features)
      if (isKnown(feature.getKey()))
        machineFeatures.push_back((feature.getValue() ? "+" : "-") + feature.getKey().str());
  for (StringRef change : changes) {
    change = change.trim();
    StringRef name = change.drop_front();
    bool enable = change.starts_with("+");
    if (!(enable || change.starts_with("-")) || !isKnown(name)) {
      error = "unknown CPU feature '" + change.str() + "' in --target-cpu '" + spec.str() +
              "' (features are LLVM's names with + or -, e.g. +avx512vnni)";
      return failure();
    }
    llvm::X86::updateImpliedFeatures(name, enable, features);
    features[name] = enable;
    machineFeatures.push_back(change.str());
  }
  for (const auto &feature : features)
    if (feature.getValue())
      target.enabled.push_back(feature.getKey().str());
  llvm::sort(target.enabled);
  target.features = llvm::join(machineFeatures, ",");
  target.kernelSuffix = kernelSuffixFor(features);
  return target;
}

SmallVector<std::string> quantc::splitCPUTargets(StringRef spec, StringRef floatMode) {
  if (spec == "portable")
    spec = floatMode == "fast" ? kPortableFastTargets : kPortableTargets;
  SmallVector<StringRef> parts;
  spec.split(parts, ';', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  SmallVector<std::string> targets;
  for (StringRef part : parts)
    targets.push_back(part.trim().str());
  return targets;
}

LogicalResult quantc::checkCPUTargets(StringRef spec, std::string &error) {
  SmallVector<std::string> targets = splitCPUTargets(spec);
  if (targets.empty()) {
    error = "--target-cpu names no target";
    return failure();
  }
  for (const std::string &target : targets)
    if (failed(resolveCPUTarget(target, error)))
      return failure();
  return success();
}
