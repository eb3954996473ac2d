//===- QuantC.cpp - the quantc compiler's C API -----------------*- C++ -*-===//
#include "quantc-c/QuantC.h"

#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Import/ONNXImporter.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Conversion/Passes.h"
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Transforms/Pipelines.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;

struct QuantcSession {
  QuantcSession() : context(makeRegistry()) {
    // Diagnostics go to lastError instead of stderr.
    context.getDiagEngine().registerHandler([this](Diagnostic &diag) {
      llvm::raw_string_ostream os(lastError);
      os << diag.getLocation() << ": " << diag << "\n";
      return success();
    });
  }

  static DialectRegistry makeRegistry() {
    static std::once_flag registered;
    std::call_once(registered, [] {
      quantc::registerQCPasses();
      quantc::registerQCPipelines();
      quantc::registerQCConversionPasses();
      quantc::registerCPUCodegenPipeline();
    });
    DialectRegistry registry;
    registry.insert<quantc::qc::QCDialect, quant::QuantDialect,
                    func::FuncDialect>();
    quantc::registerCPUCodegenDialects(registry);
    return registry;
  }

  /// Starts a call: clears the previous error.
  void begin() { lastError.clear(); }
  int fail(const llvm::Twine &message) {
    lastError += message.str() + "\n";
    return 1;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string lastError;
};

QuantcSession *quantcSessionCreate(void) { return new QuantcSession(); }

void quantcSessionDestroy(QuantcSession *session) { delete session; }

int quantcLoadONNX(QuantcSession *session, const char *path,
                   const char *inputShapes) {
  session->begin();
  quantc::ONNXImportOptions options;
  SmallVector<StringRef> specs;
  StringRef(inputShapes ? inputShapes : "").split(specs, ',', -1, false);
  for (StringRef spec : specs) {
    std::string error;
    if (failed(quantc::parseInputShapeSpec(spec.trim(), options, error)))
      return session->fail("input shape '" + spec + "': " + error);
  }
  OwningOpRef<ModuleOp> module =
      quantc::importONNXFile(path, &session->context, options);
  if (!module)
    return session->fail(llvm::Twine("cannot import '") + path + "'");
  session->module = std::move(module);
  return 0;
}

int quantcLoadMLIR(QuantcSession *session, const char *path) {
  session->begin();
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(path, &session->context);
  if (!module)
    return session->fail(llvm::Twine("cannot parse '") + path + "'");
  session->module = std::move(module);
  return 0;
}

int quantcRunPipeline(QuantcSession *session, const char *pipeline) {
  session->begin();
  if (!session->module)
    return session->fail("no module loaded");
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  FailureOr<OpPassManager> parsed = parsePassPipeline(pipeline, errorStream);
  if (failed(parsed))
    return session->fail("invalid pipeline: " + error);
  PassManager pm(&session->context, parsed->getOpAnchorName());
  static_cast<OpPassManager &>(pm) = *parsed;
  if (failed(pm.run(*session->module)))
    return session->fail("the pipeline failed");
  return 0;
}

int quantcWriteMLIR(QuantcSession *session, const char *path, int bytecode) {
  session->begin();
  if (!session->module)
    return session->fail("no module loaded");
  // writeToOutput writes a temporary file and renames it into place.
  llvm::Error error = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) -> llvm::Error {
    if (bytecode) {
      if (failed(writeBytecodeToFile(*session->module, os)))
        return llvm::createStringError("cannot write bytecode");
    } else {
      session->module->print(os);
    }
    return llvm::Error::success();
  });
  if (error)
    return session->fail(llvm::Twine("cannot write '") + path +
                         "': " + llvm::toString(std::move(error)));
  return 0;
}

int quantcWriteArtifact(QuantcSession *session, const char *path,
                        const char *targetCPU) {
  session->begin();
  if (!session->module)
    return session->fail("no module loaded");
  quantc::CPUTargetOptions options;
  if (targetCPU)
    options.targetCPU = targetCPU;
  std::string error;
  if (failed(quantc::writeCPUArtifact(*session->module, path, options, error)))
    return session->fail(llvm::Twine("cannot write '") + path + "': " + error);
  return 0;
}

const char *quantcGetLastError(const QuantcSession *session) {
  return session->lastError.c_str();
}
