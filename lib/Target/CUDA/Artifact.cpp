//===- Artifact.cpp - a quantized module → CUDA model.so/.h/.json -*- C++ -*-===//
#include "quantc/Target/CUDA/Artifact.h"
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Target/CPU/Manifest.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace quantc;

LogicalResult quantc::writeCUDAArtifact(ModuleOp module, StringRef outputPath,
                                        const CUDATargetOptions &options,
                                        std::string &error) {
  if (!isSupportedGPUArch(options.chip)) {
    error = "unsupported GPU architecture '" + options.chip +
            "' (expected sm_80 or later, e.g. sm_80, sm_86, sm_90, sm_90a)";
    return failure();
  }
  std::string runtime = findRuntimeArchive("libquantc_cuda.a", "QUANTC_CUDA_LIBRARY");
  if (runtime.empty()) {
    error = "cannot find libquantc_cuda.a (quantc was built without the CUDA "
            "toolkit, or set QUANTC_CUDA_LIBRARY)";
    return failure();
  }
  llvm::json::Value manifest = buildManifest(module, "x86-64");
  llvm::json::Object &fields = *manifest.getAsObject();
  fields["target"] = "cuda";
  fields.erase("target_cpu");
  fields["gpu_arch"] = options.chip;
  fields["gpu_binary"] = options.format;

  PassManager codegen(module.getContext());
  buildCUDACodegenPipeline(codegen, options);
  if (failed(codegen.run(module))) {
    error = "GPU code generation failed";
    return failure();
  }
  // The driver API from libcuda.so.1; the toolkit's stub stands in for it
  // at link time, so artifacts build where no GPU or driver is.
  SmallString<256> stubs(options.toolkit);
  llvm::sys::path::append(stubs, "lib64", "stubs");
  return writeArtifactFiles(module, outputPath, "x86-64",
                            {runtime, "-L" + stubs.str().str(), "-lcuda",
                             "-lstdc++", "-lpthread"},
                            manifest, error);
}

LogicalResult quantc::emitGPUBinary(ModuleOp module, StringRef name,
                                    raw_ostream &os) {
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    if (!name.empty() && binary.getSymName() != name)
      continue;
    auto object = dyn_cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    if (!object)
      return binary.emitError("not a serialized kernel module");
    os << object.getObject().getValue();
    return success();
  }
  return module.emitError() << "no gpu.binary"
                            << (name.empty() ? "" : (" named '" + name + "'").str())
                            << ": run qc-gpu-codegen first";
}
