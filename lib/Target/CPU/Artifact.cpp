//===- Artifact.cpp - a quantized module → model.so/.h/.json ----*- C++ -*-===//
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Target/CPU/Manifest.h"

#include "mlir/Support/FileUtilities.h"
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

LogicalResult quantc::writeCPUArtifact(ModuleOp module, StringRef outputPath,
                                       const CPUTargetOptions &options,
                                       std::string &error) {
  if (!isFloatMode(options.floatMode)) {
    error = "unknown float mode '" + options.floatMode + "' (exact, fast)";
    return failure();
  }
  PassManager prepare(module.getContext());
  buildCPUPreparePipeline(prepare, options);
  if (failed(prepare.run(module))) {
    error = "code generation failed";
    return failure();
  }
  llvm::json::Value manifest = buildManifest(module, options.targetCPU, options.floatMode);
  PassManager codegen(module.getContext());
  buildCPULoweringPipeline(codegen, options);
  if (failed(codegen.run(module))) {
    error = "code generation failed";
    return failure();
  }
  return writeArtifactFiles(module, outputPath, options.targetCPU, {}, manifest,
                            error);
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
  llvm::json::Object recorded = *manifest.getAsObject();
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
