//===- Artifact.cpp - a quantized module → model.so/.h/.json ----*- C++ -*-===//
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Target/CPU/Manifest.h"
#include "quantc/Target/CPU/TargetCPU.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace quantc;

namespace {
LogicalResult writeText(StringRef path, std::string &error,
                        function_ref<LogicalResult(raw_ostream &)> fn) {
  auto file = openOutputFile(path, &error);
  if (!file || failed(fn(file->os())))
    return failure();
  file->keep();
  return success();
}
} // namespace

namespace {
/// Prepares `module` for `options`' target (buildCPUPreparePipeline),
/// describes it (the manifest, before its arithmetic is lowered away) and
/// lowers it to the LLVM dialect.
FailureOr<llvm::json::Value> lowerForTarget(ModuleOp module, const CPUTargetOptions &options,
                                            std::string &error) {
  PassManager prepare(module.getContext()), codegen(module.getContext());
  buildCPUPreparePipeline(prepare, options);
  buildCPULoweringPipeline(codegen, options);
  if (failed(prepare.run(module))) {
    error = "code generation failed for --target-cpu=" + options.targetCPU;
    return failure();
  }
  llvm::json::Value manifest = buildManifest(module, options.targetCPU, options.floatMode);
  if (failed(codegen.run(module))) {
    error = "code generation failed for --target-cpu=" + options.targetCPU;
    return failure();
  }
  return manifest;
}

/// A library with one variant per target of `targets` (splitCPUTargets):
/// each is the whole model compiled for its target, its entry point named
/// quantc_artifact_run__<i>, except the last (the most portable), which
/// keeps quantc_artifact_run and the manifest's top-level target. The
/// manifest lists the variants in order with the features each needs; the
/// runtime runs the first this CPU has.
LogicalResult writeVariants(ModuleOp module, StringRef outputPath,
                            const CPUTargetOptions &options, ArrayRef<std::string> targets,
                            std::string &error) {
  SmallString<256> stem(outputPath);
  llvm::sys::path::replace_extension(stem, "");
  SmallVector<std::string> objects;
  auto removeObjects = llvm::make_scope_exit([&] {
    for (const std::string &object : objects)
      llvm::sys::fs::remove(object);
  });
  llvm::json::Array variants;
  std::optional<llvm::json::Value> manifest;
  OwningOpRef<ModuleOp> last;
  for (auto [i, target] : llvm::enumerate(targets)) {
    OwningOpRef<ModuleOp> variant = module.clone();
    CPUTargetOptions variantOptions = options;
    variantOptions.targetCPU = target;
    FailureOr<llvm::json::Value> described = lowerForTarget(*variant, variantOptions, error);
    if (failed(described))
      return failure();
    bool isLast = i + 1 == targets.size();
    std::string runSymbol =
        isLast ? kRunSymbol.str() : (kRunSymbol + "__" + llvm::Twine(i)).str();
    objects.push_back((stem + "." + llvm::Twine(i) + ".o").str());
    if (failed(emitObjectFile(*variant, target, objects.back(), runSymbol))) {
      error = "cannot emit " + objects.back();
      return failure();
    }
    FailureOr<CPUTarget> cpu = resolveCPUTarget(target, error);
    if (failed(cpu))
      return failure();
    // Layers may differ between variants (the fast float mode's bf16 ones).
    const llvm::json::Value *layers = described->getAsObject()->get("layers");
    variants.push_back(llvm::json::Object{
        {"target_cpu_option", target},
        {"target_cpu", cpu->cpu},
        {"kernels", cpu->kernelSuffix},
        {"run_symbol", runSymbol},
        {"layers", layers ? *layers : llvm::json::Array()},
        {"target_features", llvm::json::Array(cpu->enabled)}});
    if (isLast) {
      manifest = std::move(*described);
      last = std::move(variant);
    }
  }
  if (failed(linkObjects(objects, outputPath, error)))
    return failure();
  llvm::json::Object &recorded = *manifest->getAsObject();
  recorded["target_cpu_option"] = options.targetCPU;
  recorded["variants"] = std::move(variants);
  return writeManifestAndHeader(*last, outputPath, targets.back(), std::move(recorded), error);
}
} // namespace

LogicalResult quantc::writeCPUArtifact(ModuleOp module, StringRef outputPath,
                                       const CPUTargetOptions &options,
                                       std::string &error) {
  if (!isFloatMode(options.floatMode)) {
    error = "unknown float mode '" + options.floatMode + "' (exact, fast)";
    return failure();
  }
  SmallVector<std::string> targets = splitCPUTargets(options.targetCPU, options.floatMode);
  if (targets.size() > 1)
    return writeVariants(module, outputPath, options, targets, error);
  FailureOr<llvm::json::Value> manifest = lowerForTarget(module, options, error);
  if (failed(manifest))
    return failure();
  return writeArtifactFiles(module, outputPath, options.targetCPU, {}, *manifest, error);
}

LogicalResult quantc::writeArtifactFiles(ModuleOp module, StringRef outputPath,
                                         StringRef hostCPU,
                                         ArrayRef<std::string> libraries,
                                         const llvm::json::Value &manifest,
                                         std::string &error) {
  SmallString<256> stem(outputPath);
  llvm::sys::path::replace_extension(stem, "");
  std::string objectPath = (stem + ".o").str();
  if (failed(emitObjectFile(module, hostCPU, objectPath))) {
    error = "cannot emit " + objectPath;
    return failure();
  }
  LogicalResult linked =
      libraries.empty()
          ? linkSharedLibrary(objectPath, outputPath, error)
          : linkSharedLibrary(objectPath, outputPath, libraries, error);
  llvm::sys::fs::remove(objectPath);
  if (failed(linked))
    return failure();
  return writeManifestAndHeader(module, outputPath, hostCPU, *manifest.getAsObject(), error);
}

LogicalResult quantc::writeManifestAndHeader(ModuleOp module, StringRef outputPath,
                                             StringRef hostCPU, llvm::json::Object recorded,
                                             std::string &error) {
  SmallString<256> stem(outputPath);
  llvm::sys::path::replace_extension(stem, "");
  if (failed(recordLibrary(recorded, outputPath, hostCPU, error))) {
    llvm::sys::fs::remove(outputPath);
    return failure();
  }
  StringRef name = llvm::sys::path::filename(stem);
  if (failed(writeText((stem + ".h").str(), error, [&](raw_ostream &os) {
        return emitHeader(module, name, os);
      })) ||
      failed(writeText((stem + ".json").str(), error, [&](raw_ostream &os) {
        os << llvm::formatv("{0:2}", llvm::json::Value(std::move(recorded)))
           << "\n";
        return success();
      }))) {
    llvm::sys::fs::remove(outputPath);
    return failure();
  }
  return success();
}
