//===- Emit.cpp - LLVM IR, objects, headers, shared libraries ---*- C++ -*-===//
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Target/CPU/TargetCPU.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <dlfcn.h>

using namespace mlir;
using namespace quantc;

namespace {
/// The target machine of a --target-cpu value.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(StringRef spec,
                                                         std::string &error) {
  FailureOr<CPUTarget> cpu = resolveCPUTarget(spec, error);
  if (failed(cpu))
    return nullptr;
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu->cpu, cpu->features, options, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    error = "cannot create a target machine for CPU '" + cpu->cpu + "'";
  return machine;
}

/// The LLVM module of `module`, optimized at O3 for `machine`.
std::unique_ptr<llvm::Module> translate(ModuleOp module,
                                        llvm::LLVMContext &llvmContext,
                                        llvm::TargetMachine *machine) {
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "quantc_model");
  if (!llvmModule)
    return nullptr;
  if (machine) {
    llvmModule->setTargetTriple(machine->getTargetTriple());
    llvmModule->setDataLayout(machine->createDataLayout());
    auto optimize = makeOptimizingTransformer(3, 0, machine);
    if (llvm::Error err = optimize(llvmModule.get())) {
      module.emitError() << "LLVM optimization failed: "
                         << llvm::toString(std::move(err));
      return nullptr;
    }
  }
  return llvmModule;
}

/// Directory of the binary or shared library holding this code.
std::string ownDirectory() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&quantc::findRuntimeArchive), &info) ||
      !info.dli_fname)
    return "";
  SmallString<256> path(info.dli_fname);
  llvm::sys::fs::make_absolute(path);
  return llvm::sys::path::parent_path(path).str();
}

} // namespace

std::string quantc::findRuntimeArchive(StringRef fileName, const char *envVar) {
  if (const char *env = std::getenv(envVar))
    return env;
  std::string dir = ownDirectory();
  for (std::string relative : {"../lib/" + fileName.str(), fileName.str()}) {
    SmallString<256> candidate(dir);
    llvm::sys::path::append(candidate, relative);
    if (llvm::sys::fs::exists(candidate))
      return std::string(candidate);
  }
  return "";
}

namespace {
} // namespace

LogicalResult quantc::emitLLVMIR(ModuleOp module, llvm::raw_ostream &os) {
  llvm::LLVMContext llvmContext;
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine("host", error);
  std::unique_ptr<llvm::Module> llvmModule =
      translate(module, llvmContext, machine.get());
  if (!llvmModule)
    return failure();
  llvmModule->print(os, nullptr);
  return success();
}

/// One variant of a library with several: its entry point is named
/// `runSymbol`, and everything else it defines is its own (internal), so the
/// variants' objects link side by side.
static void makeVariant(llvm::Module &module, StringRef runSymbol) {
  for (llvm::GlobalValue &value : module.global_values()) {
    if (value.isDeclaration() || value.getName().starts_with("llvm."))
      continue;
    if (value.getName() == kRunSymbol) {
      value.setName(runSymbol);
      continue;
    }
    value.setLinkage(llvm::GlobalValue::InternalLinkage);
    value.setVisibility(llvm::GlobalValue::DefaultVisibility);
  }
}

LogicalResult quantc::emitObjectFile(ModuleOp module, StringRef targetCPU,
                                     StringRef path, StringRef runSymbol) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(targetCPU, error);
  if (!machine)
    return module.emitError() << error;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translate(module, llvmContext, machine.get());
  if (!llvmModule)
    return failure();
  if (runSymbol != kRunSymbol)
    makeVariant(*llvmModule, runSymbol);
  auto output = openOutputFile(path, &error);
  if (!output)
    return module.emitError() << error;
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, output->os(), nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return module.emitError() << "the target cannot emit object files";
  codegen.run(*llvmModule);
  output->keep();
  return success();
}

LogicalResult quantc::emitHeader(ModuleOp module, StringRef modelName,
                                 llvm::raw_ostream &os) {
  auto signature = module->getAttrOfType<DictionaryAttr>("qc.signature");
  if (!signature)
    return module.emitError("no qc.signature: run convert-qc-to-linalg first");
  std::string guard = modelName.upper() + "_QUANTC_MODEL_H";
  for (char &c : guard)
    if (!llvm::isAlnum(c))
      c = '_';
  os << "/* Generated by quantc: the tensors of model '" << modelName
     << "'. Load it with qc_model_load() from quantc/Runtime/QuantCRuntime.h;\n"
     << "   buffers are contiguous row-major, inputs then outputs. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n";
  for (auto [group, role] : {std::pair{"inputs", "INPUT"}, {"outputs", "OUTPUT"}}) {
    auto entries = cast<ArrayAttr>(signature.get(group));
    os << "#define " << guard.substr(0, guard.size() - 2) << "_NUM_" << role
       << "S " << entries.size() << "\n";
    for (auto [i, entry] : llvm::enumerate(entries)) {
      auto dict = cast<DictionaryAttr>(entry);
      auto type = cast<RankedTensorType>(cast<TypeAttr>(dict.get("type")).getValue());
      os << "/* " << role << " " << i << " '"
         << cast<StringAttr>(dict.get("name")).getValue() << "': " << type
         << " */\n";
      std::string id = role + std::to_string(i);
      os << "#define " << guard.substr(0, guard.size() - 2) << "_" << id
         << "_ELEMENTS " << type.getNumElements() << "\n";
    }
  }
  os << "\n#endif /* " << guard << " */\n";
  return success();
}

LogicalResult quantc::linkSharedLibrary(StringRef objectPath,
                                        StringRef outputPath,
                                        std::string &error) {
  return linkObjects(ArrayRef<std::string>{objectPath.str()}, outputPath, error);
}

LogicalResult quantc::linkObjects(ArrayRef<std::string> objectPaths,
                                        StringRef outputPath, std::string &error) {
  std::string kernels =
      findRuntimeArchive("libquantc_kernels.a", "QUANTC_KERNEL_LIBRARY");
  if (kernels.empty()) {
    error = "cannot find libquantc_kernels.a (set QUANTC_KERNEL_LIBRARY)";
    return failure();
  }
  SmallVector<std::string> inputs(objectPaths.begin() + 1, objectPaths.end());
  inputs.append({kernels, "-lstdc++", "-lm", "-lpthread"});
  return linkSharedLibrary(objectPaths.front(), outputPath, inputs, error);
}

LogicalResult quantc::linkSharedLibrary(StringRef objectPath,
                                        StringRef outputPath,
                                        ArrayRef<std::string> libraries,
                                        std::string &error) {
  const char *compiler = std::getenv("QUANTC_CC");
  std::string driver = compiler ? compiler : QUANTC_DEFAULT_CC;
  auto program = llvm::sys::findProgramByName(driver);
  if (!program) {
    error = "cannot find the linker driver '" + driver + "' (set QUANTC_CC)";
    return failure();
  }
  // Link to a temporary name, then rename: a failed link leaves no partial
  // library behind.
  std::string temporary = (outputPath + ".tmp").str();
  SmallVector<StringRef> args = {*program, "-shared", "-o", temporary, objectPath};
  args.append(libraries.begin(), libraries.end());
  int rc = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, {}, 0, 0,
                                     &error);
  if (rc != 0) {
    llvm::sys::fs::remove(temporary);
    if (error.empty())
      error = driver + " failed to link " + outputPath.str();
    return failure();
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, outputPath)) {
    error = "cannot write " + outputPath.str() + ": " + ec.message();
    return failure();
  }
  return success();
}
