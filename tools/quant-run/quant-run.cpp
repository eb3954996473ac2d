//===- quant-run.cpp - run a model on npz inputs ----------------*- C++ -*-===//
//
// quant-run --reference model.{onnx,onnxtxt,mlir} --inputs in.npz
//           --outputs out.npz
//
// Runs the model's @main through the reference evaluator. Inputs are matched
// by graph input name; `--random-inputs SEED` draws them instead.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Import/ONNXImporter.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Reference/Npz.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <random>

using namespace mlir;
using namespace quantc;
using reference::NamedTensors;
using reference::Tensor;

namespace cl = llvm::cl;

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx|.onnxtxt|.mlir>"));
static cl::opt<bool> useReference(
    "reference", cl::desc("Run the reference evaluator (the only engine yet)"),
    cl::init(true));
static cl::opt<std::string> inputsPath("inputs", cl::desc("Input .npz file"),
                                       cl::value_desc("file"));
static cl::opt<std::string> outputsPath("outputs",
                                        cl::desc("Output .npz file to write"),
                                        cl::value_desc("file"));
static cl::opt<int> randomSeed(
    "random-inputs", cl::desc("Draw inputs uniformly in [-1, 1) from SEED"),
    cl::init(-1), cl::value_desc("seed"));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Bind an ONNX input's shape: NAME=D0xD1x..."));
static cl::opt<bool> simplify("simplify",
                              cl::desc("Run qc-simplify first (default on)"),
                              cl::init(true));
static cl::opt<bool> printTime("print-time",
                               cl::desc("Print the evaluation time to stderr"));

static OwningOpRef<ModuleOp> loadModel(MLIRContext &ctx,
                                       llvm::SourceMgr &sourceMgr) {
  if (isONNXFile(modelPath)) {
    ONNXImportOptions options;
    for (const std::string &spec : inputShapes) {
      std::string error;
      if (failed(parseInputShapeSpec(spec, options, error))) {
        llvm::errs() << "error: --input-shape: " << error << "\n";
        return nullptr;
      }
    }
    return importONNXFile(modelPath, &ctx, options);
  }
  return parseSourceFile<ModuleOp>(modelPath, sourceMgr, &ctx);
}

static std::string argName(func::FuncOp func, unsigned i) {
  if (auto name = func.getArgAttrOfType<StringAttr>(i, "qc.name"))
    return name.str();
  return "input_" + std::to_string(i);
}

static std::string resultName(func::FuncOp func, unsigned i) {
  if (auto name = func.getResultAttrOfType<StringAttr>(i, "qc.name"))
    return name.str();
  return "output_" + std::to_string(i);
}

static FailureOr<SmallVector<Tensor>> randomInputs(func::FuncOp func) {
  std::mt19937 rng(randomSeed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  SmallVector<Tensor> inputs;
  for (Type t : func.getArgumentTypes()) {
    auto type = cast<RankedTensorType>(t);
    Tensor tensor(type.getElementType(), type.getShape());
    if (tensor.isFloat())
      for (float &v : tensor.floats())
        v = dist(rng);
    inputs.push_back(std::move(tensor));
  }
  return inputs;
}

/// Matches npz arrays to the function's arguments by name, checking shapes.
static FailureOr<SmallVector<Tensor>> loadInputs(func::FuncOp func,
                                                 MLIRContext &ctx) {
  auto arrays = reference::readNpz(&ctx, inputsPath);
  if (!arrays) {
    llvm::errs() << "error: " << llvm::toString(arrays.takeError()) << "\n";
    return failure();
  }
  SmallVector<Tensor> inputs;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    std::string name = argName(func, i);
    auto it = llvm::find_if(*arrays, [&](auto &p) { return p.first == name; });
    if (it == arrays->end()) {
      llvm::errs() << "error: '" << inputsPath << "' has no array named '"
                   << name << "' (a model input)\n";
      return failure();
    }
    auto type = cast<RankedTensorType>(func.getArgumentTypes()[i]);
    if (it->second.getShape() != type.getShape() ||
        it->second.isFloat() != isa<FloatType>(type.getElementType())) {
      llvm::errs() << "error: input '" << name << "' in '" << inputsPath
                   << "' has type " << it->second.getType()
                   << ", the model expects " << type << "\n";
      return failure();
    }
    inputs.push_back(it->second);
  }
  for (auto &[name, _] : *arrays) {
    bool known = false;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      known |= argName(func, i) == name;
    if (!known) {
      llvm::errs() << "error: '" << inputsPath << "' holds '" << name
                   << "', which is not a model input\n";
      return failure();
    }
  }
  return inputs;
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "quantc model runner\n");
  if (inputsPath.empty() == (randomSeed < 0)) {
    llvm::errs() << "error: give exactly one of --inputs and --random-inputs\n";
    return 1;
  }
  DialectRegistry registry;
  registry.insert<qc::QCDialect, func::FuncDialect, quant::QuantDialect>();
  MLIRContext ctx(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr);
  if (!module)
    return 1;
  if (simplify) {
    PassManager pm(&ctx);
    pm.addPass(createQCSimplify());
    if (failed(pm.run(*module)))
      return 1;
  }
  auto func = module->lookupSymbol<func::FuncOp>("main");
  if (!func) {
    llvm::errs() << "error: '" << modelPath << "' has no func.func @main\n";
    return 1;
  }
  FailureOr<SmallVector<Tensor>> inputs =
      randomSeed >= 0 ? randomInputs(func) : loadInputs(func, ctx);
  if (failed(inputs))
    return 1;
  auto start = std::chrono::steady_clock::now();
  auto results = reference::evaluateFunction(func, *inputs);
  if (failed(results))
    return 1;
  if (printTime)
    llvm::errs() << "evaluation time: "
                 << std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count()
                 << " ms\n";
  if (outputsPath.empty())
    return 0;
  NamedTensors named;
  for (auto [i, t] : llvm::enumerate(*results))
    named.emplace_back(resultName(func, i), std::move(t));
  if (llvm::Error err = reference::writeNpz(outputsPath, named)) {
    llvm::errs() << "error: " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  return 0;
}
