//===- quant-translate.cpp - the packaging steps one at a time --*- C++ -*-===//
//
// quant-translate model.llvm.mlir --emit=llvm-ir|object|header -o FILE
// quant-translate model.llvm.mlir --emit=gpu-binary [--gpu-module NAME] -o FILE
//
// Takes a module lowered by qc-cpu-codegen or qc-gpu-codegen (LLVM dialect
// with the artifact entry point and qc.signature) and writes its LLVM IR,
// its object file for --target-cpu, or its C header: the steps `quantc`
// runs before linking. For GPU modules, --emit=gpu-binary writes the
// cubin, fatbin or PTX of a kernel module (quantc makes one, qc_kernels)
// as embedded in the host code.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Target/CUDA/Artifact.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

enum class Emit { LLVMIR, Object, Header, GPUBinary };
static cl::OptionCategory packagingCategory("Packaging");


static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<module lowered by qc-cpu-codegen>"), cl::cat(packagingCategory));
static cl::opt<std::string> outputPath("o", cl::Required, cl::desc("Output file"), cl::cat(packagingCategory));
static cl::opt<Emit> emit(
    "emit", cl::Required, cl::desc("What to write"),
    cl::values(clEnumValN(Emit::LLVMIR, "llvm-ir", "LLVM IR (optimized)"),
               clEnumValN(Emit::Object, "object", "an object file"),
               clEnumValN(Emit::Header, "header", "the model's C header"),
               clEnumValN(Emit::GPUBinary, "gpu-binary",
                          "a kernel module's cubin, fatbin or PTX")), cl::cat(packagingCategory));
static cl::opt<std::string> gpuModule(
    "gpu-module", cl::desc("--emit=gpu-binary: the gpu.binary to write "
                           "(default: the first)"), cl::cat(packagingCategory));
static cl::opt<std::string> targetCPU("target-cpu", cl::init("host"),
                                      cl::desc("CPU of the object file"), cl::cat(packagingCategory));

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  // --help lists this tool's options only (LLVM's still parse).
  cl::HideUnrelatedOptions({&packagingCategory});
  cl::ParseCommandLineOptions(argc, argv, "quantc packaging steps\n");
  DialectRegistry registry;
  registry.insert<quantc::qc::QCDialect>();
  quantc::registerCUDACodegenDialects(registry);
  MLIRContext ctx(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(inputPath, sourceMgr, &ctx);
  if (!module)
    return 1;
  if (emit == Emit::Object)
    return failed(quantc::emitObjectFile(*module, targetCPU, outputPath));
  std::string error;
  auto output = openOutputFile(outputPath, &error);
  if (!output) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  SmallString<128> stem(llvm::sys::path::filename(outputPath));
  llvm::sys::path::replace_extension(stem, "");
  LogicalResult written = failure();
  if (emit == Emit::LLVMIR)
    written = quantc::emitLLVMIR(*module, output->os());
  else if (emit == Emit::GPUBinary)
    written = quantc::emitGPUBinary(*module, gpuModule, output->os());
  else
    written = quantc::emitHeader(*module, stem, output->os());
  if (failed(written))
    return 1;
  output->keep();
  return 0;
}
