//===- quant-run.cpp - run a model on npz inputs ----------------*- C++ -*-===//
//
// quant-run model.{onnx,onnxtxt,mlir,so} --inputs in.npz --outputs out.npz
//
// Runs the model's @main through the reference evaluator, or a compiled
// model library (.so, from `quantc`) through the runtime, optionally with
// `--benchmark N`. Inputs are matched by graph input name; `--random-inputs
// SEED` draws them instead (reference only).
//
//===----------------------------------------------------------------------===//
#include "InputBinding.h"
#include "RunArtifact.h"
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
#include <optional>
#include <random>

using namespace mlir;
using namespace quantc;
using reference::NamedTensors;
using reference::Tensor;

namespace cl = llvm::cl;
static cl::OptionCategory ioCategory("Input and output");
static cl::OptionCategory libraryCategory("Compiled models");
static cl::OptionCategory generationCategory("Generation");


static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx|.onnxtxt|.mlir>"), cl::cat(ioCategory));
static cl::opt<int> benchmarkRuns(
    "benchmark", cl::init(0), cl::value_desc("runs"),
    cl::desc("Compiled models: time this many runs after the warm-up"), cl::cat(libraryCategory));
static cl::opt<int> warmupRuns("warmup", cl::init(10),
                               cl::desc("Untimed runs before --benchmark"), cl::cat(libraryCategory));
static cl::opt<int> threads("num-threads", cl::init(1),
                            cl::desc("Threads per run of a compiled model (the caller and pool workers)"), cl::cat(libraryCategory));
static cl::opt<std::string> inputsPath("inputs", cl::desc("Input .npz file"),
                                       cl::value_desc("file"), cl::cat(ioCategory));
static cl::opt<std::string> outputsPath("outputs",
                                        cl::desc("Output .npz file to write"),
                                        cl::value_desc("file"), cl::cat(ioCategory));
static cl::opt<int> randomSeed(
    "random-inputs", cl::desc("Draw inputs uniformly in [-1, 1) from SEED"),
    cl::init(-1), cl::value_desc("seed"), cl::cat(ioCategory));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Bind an ONNX input's shape: NAME=D0xD1x..."), cl::cat(ioCategory));
static cl::list<std::string> inputValueFiles(
    "bind-inputs", cl::desc("Fix ONNX inputs to the arrays of this .npz file (repeatable)"),
    cl::value_desc("file.npz"), cl::cat(ioCategory));
static cl::opt<bool> simplify("simplify",
                              cl::desc("Run qc-simplify first (default on)"),
                              cl::init(true), cl::cat(ioCategory));
static cl::opt<std::string> promptTokens(
    "prompt-tokens",
    cl::desc("Generator libraries: greedy generation from these comma-separated "
             "token ids; new ids stream to stdout, tokens/s to stderr"), cl::cat(generationCategory));
static cl::opt<std::string> prompt(
    "prompt", cl::desc("Generator libraries: greedy generation from this text, "
                       "encoded with --tokenizer; the text streams to stdout"), cl::cat(generationCategory));
static cl::opt<std::string> tokenizerPath(
    "tokenizer", cl::desc("--prompt: the model's tokenizer.json (byte-level BPE)"), cl::cat(generationCategory));
static cl::opt<bool> printPromptTokens(
    "print-prompt-tokens", cl::desc("--prompt: print its token ids to stderr first"), cl::cat(generationCategory));
static cl::opt<int> maxNewTokens("max-new-tokens", cl::init(32),
                                 cl::desc("--prompt-tokens: tokens to generate"), cl::cat(generationCategory));
static cl::opt<int64_t> maxContext("max-context", cl::init(4096),
                                   cl::desc("--prompt-tokens: KV cache capacity in tokens"), cl::cat(generationCategory));
static cl::opt<bool> castInputs(
    "cast-inputs",
    cl::desc("Convert input arrays of another dtype to the model's (numpy's "
             "astype); without it a dtype mismatch is an error"),
    cl::cat(ioCategory));
static cl::opt<bool> printTime("print-time",
                               cl::desc("Print the evaluation time to stderr"), cl::cat(ioCategory));


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

/// Concatenates per-batch results along the leading dimension.
static Tensor concatBatches(ArrayRef<Tensor> parts) {
  SmallVector<int64_t> shape(parts.front().getShape());
  if (shape.empty())
    return parts.front();
  shape[0] *= parts.size();
  Tensor result(parts.front().getElementType(), shape);
  int64_t offset = 0;
  for (const Tensor &part : parts)
    for (int64_t i = 0; i < part.getNumElements(); ++i)
      result.copyElement(offset++, part, i);
  return result;
}

/// The inputs of `func` as the input binding sees them.
static SmallVector<InputSpec> inputSpecs(func::FuncOp func) {
  SmallVector<InputSpec> specs;
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    specs.push_back({argName(func, i), cast<RankedTensorType>(type)});
  return specs;
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  // --help lists this tool's options only (LLVM's still parse).
  cl::HideUnrelatedOptions({&ioCategory, &libraryCategory, &generationCategory});
  cl::ParseCommandLineOptions(argc, argv, "quantc model runner\n");
  if (!promptTokens.empty() || !prompt.empty()) {
    if (!StringRef(modelPath).ends_with(".so")) {
      llvm::errs() << "error: --prompt needs a library built with quantc --generator\n";
      return 1;
    }
    GenerateOptions options;
    options.modelPath = modelPath;
    options.promptTokens = promptTokens;
    options.prompt = prompt;
    options.tokenizerPath = tokenizerPath;
    options.printPromptTokens = printPromptTokens;
    options.threads = threads;
    options.maxNewTokens = maxNewTokens;
    options.maxContext = maxContext;
    return generateTokens(options);
  }
  if (inputsPath.empty() == (randomSeed < 0)) {
    llvm::errs() << "error: give exactly one of --inputs and --random-inputs\n";
    return 1;
  }
  DialectRegistry registry;
  registry.insert<qc::QCDialect, func::FuncDialect, quant::QuantDialect>();
  MLIRContext ctx(registry);
  if (StringRef(modelPath).ends_with(".so")) {
    if (inputsPath.empty()) {
      llvm::errs() << "error: a compiled model needs --inputs\n";
      return 1;
    }
    return runArtifact(ctx, {modelPath, inputsPath, outputsPath, threads,
                             benchmarkRuns, warmupRuns, castInputs});
  }
  // The data is read first: its shapes bind the model's dynamic dimensions.
  std::optional<reference::NamedTensors> data;
  llvm::StringMap<SmallVector<int64_t>> dataShapes;
  if (!inputsPath.empty()) {
    auto arrays = reference::readNpz(&ctx, inputsPath, /*keepFloatTypes=*/true);
    if (!arrays) {
      llvm::errs() << "error: " << llvm::toString(arrays.takeError()) << "\n";
      return 1;
    }
    data = std::move(*arrays);
    for (const auto &[name, tensor] : *data)
      dataShapes[name] = SmallVector<int64_t>(tensor.getShape());
  }
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  OwningOpRef<ModuleOp> module =
      loadModelFile(modelPath, &ctx, sourceMgr, inputShapes, dataShapes, {}, inputValueFiles);
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
  FailureOr<SmallVector<SmallVector<Tensor>>> inputs = failure();
  if (randomSeed >= 0) {
    FailureOr<SmallVector<Tensor>> random = randomInputs(func);
    if (succeeded(random))
      inputs = SmallVector<SmallVector<Tensor>>{std::move(*random)};
  } else {
    inputs = bindInputs(inputSpecs(func), *data, inputsPath, castInputs);
  }
  if (failed(inputs))
    return 1;
  auto start = std::chrono::steady_clock::now();
  SmallVector<SmallVector<Tensor>> batchResults;
  for (const SmallVector<Tensor> &batch : *inputs) {
    auto results = reference::evaluateFunction(func, batch);
    if (failed(results))
      return 1;
    batchResults.push_back(std::move(*results));
  }
  SmallVector<Tensor> results;
  for (unsigned r = 0; r < func.getNumResults(); ++r) {
    SmallVector<Tensor> parts;
    for (SmallVector<Tensor> &batch : batchResults)
      parts.push_back(std::move(batch[r]));
    results.push_back(parts.size() == 1 ? std::move(parts.front())
                                        : concatBatches(parts));
  }
  if (printTime)
    llvm::errs() << "evaluation time: "
                 << std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count()
                 << " ms\n";
  if (outputsPath.empty())
    return 0;
  NamedTensors named;
  for (auto [i, t] : llvm::enumerate(results))
    named.emplace_back(resultName(func, i), std::move(t));
  if (llvm::Error err = reference::writeNpz(outputsPath, named)) {
    llvm::errs() << "error: " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  return 0;
}
