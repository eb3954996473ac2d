//===- quantc.cpp - ONNX model → quantized native shared library -*- C++ -*-===//
//
// quantc model.onnx --calib DIR --target cpu -o model.so
// quantc model.onnx --calib DIR --target cuda --gpu-arch sm_80 -o model.so
// quantc model.onnx --calib DIR --target onnx-qdq -o model.qdq.onnx
//
// Imports the model, calibrates and quantizes it (when calibration data is
// given), folds scales into integer arithmetic, generates code for the target
// CPU (or CUDA kernels, embedded as a fatbin in the host code) and links
// model.so, next to which it writes model.h (the tensors) and
// model.json (the manifest: inputs, outputs, per-layer precision). The
// onnx-qdq target writes quantc's quantization into the ONNX model instead,
// as QuantizeLinear / DequantizeLinear pairs, for other runtimes.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Import/ONNXImporter.h"
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Target/CPU/TargetCPU.h"
#include "quantc/Target/CUDA/Artifact.h"
#include "quantc/Transforms/GeneratorWeights.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/Pipelines.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace quantc;
namespace cl = llvm::cl;
static cl::OptionCategory ioCategory("Input and output");
static cl::OptionCategory quantCategory("Quantization");
static cl::OptionCategory mixedCategory("Mixed precision");
static cl::OptionCategory targetCategory("Code generation");
static cl::OptionCategory llmCategory("Language models");


static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx|.onnxtxt|.mlir>"), cl::cat(ioCategory));
static cl::opt<std::string> outputPath("o", cl::Required,
                                       cl::desc("Output shared library"),
                                       cl::value_desc("model.so"), cl::cat(ioCategory));
static cl::list<std::string> calibration(
    "calib", cl::desc("Calibration .npz file or directory (repeatable); "
                      "without it the model is compiled in float"), cl::cat(quantCategory));
static cl::opt<std::string> estimator("estimator", cl::init("minmax"),
                                      cl::desc("Calibration range estimator"), cl::cat(quantCategory));
static cl::opt<std::string> activation("activation", cl::init("i8"),
                                       cl::desc("Activation precision"), cl::cat(quantCategory));
static cl::opt<std::string> weight("weight", cl::init("i8"),
                                   cl::desc("Weight precision"), cl::cat(quantCategory));
static cl::opt<std::string> scope("scope", cl::init("all"),
                                  cl::desc("Quantize 'all' ops or 'layers'"), cl::cat(quantCategory));
static cl::opt<std::string> rounding(
    "rounding", cl::init("half_to_even"),
    cl::desc("Requantization rounding: half_to_even, half_away_from_zero, "
             "double_round, half_up (TOSA's SINGLE_ROUND)"), cl::cat(quantCategory));
static cl::opt<double> bitsPerWeight(
    "bits-per-weight", cl::init(0),
    cl::desc("Mixed precision: choose each layer's precision (qc-assign-precision) "
             "for this average size of a weight"), cl::cat(mixedCategory));
static cl::opt<double> latencyUs(
    "latency-us", cl::init(0),
    cl::desc("Mixed precision: for this predicted time of the layers (see --cost-table)"), cl::cat(mixedCategory));
static cl::opt<double> maxError(
    "max-error", cl::init(0),
    cl::desc("Mixed precision: smallest weights keeping the relative output "
             "noise power under this"), cl::cat(mixedCategory));
static cl::list<std::string> candidates(
    "candidates", cl::CommaSeparated,
    cl::desc("Mixed precision candidates (f32,bf16,i8,w8,w4,w4g32)"), cl::cat(mixedCategory));
static cl::opt<std::string> signal("signal", cl::init("output"),
                                   cl::desc("Mixed precision sensitivity: output (noise), kl (KL divergence of the logits) or proxy"),
                                   cl::cat(mixedCategory));
static cl::opt<std::string> costTable("cost-table",
                                      cl::desc("Measured ns per MAC of each candidate"), cl::cat(mixedCategory));
static cl::opt<std::string> sensitivityCache(
    "sensitivity-cache", cl::desc("Mixed precision: sensitivity cache file"), cl::cat(mixedCategory));
static cl::opt<std::string> pareto(
    "pareto", cl::desc("Mixed precision: write the Pareto front here (JSON, and SVG)"), cl::cat(mixedCategory));
static cl::opt<bool> equalize(
    "equalize", cl::init(true),
    cl::desc("Cross-layer equalization of consecutive layers, where calibration "
             "data predicts it to help (--equalize=false: off)"), cl::cat(quantCategory));
static cl::opt<bool> biasCorrection(
    "bias-correction", cl::init(false),
    cl::desc("Subtract the expected output shift of quantized weights from the biases"),
    cl::cat(quantCategory));
static cl::opt<bool> roundingSearch(
    "rounding-search", cl::init(false),
    cl::desc("Learned rounding: round each weight up or down for the least layer "
             "output error on the calibration data"), cl::cat(quantCategory));
static cl::opt<std::string> weightRange(
    "weight-range", cl::init("minmax"),
    cl::desc("Weight scales: minmax (|w| max on the largest level) or mse (least "
             "squared error, full range, may clip outliers)"),
    cl::cat(quantCategory));
static cl::opt<std::string> weightScheme(
    "weight-scheme", cl::init("symmetric"),
    cl::desc("Weights of weight-only layers: symmetric or asymmetric (a zero point "
             "per scale)"),
    cl::cat(quantCategory));
static cl::opt<bool> awq(
    "awq", cl::init(false),
    cl::desc("Activation-aware weight scaling of matmuls on the calibration data "
             "(AWQ; before rounding, by GPTQ or to nearest)"),
    cl::cat(quantCategory));
static cl::opt<bool> awqClip(
    "awq-clip", cl::init(false),
    cl::desc("With --awq: also narrow each weight group's range where the layer's "
             "output error says so (AWQ's clipping search; changes the float weights)"),
    cl::cat(quantCategory));
static cl::opt<bool> smoothQuant(
    "smooth-quant", cl::init(false),
    cl::desc("Migrate activation outliers of matmul inputs into their weights on the "
             "calibration data (SmoothQuant; for int8 activations: --dynamic-int8)"),
    cl::cat(quantCategory));
static cl::opt<double> smoothQuantAlpha(
    "smooth-quant-alpha", cl::init(0.5),
    cl::desc("--smooth-quant: migration strength in [0, 1]"), cl::cat(quantCategory));
static cl::opt<bool> gptq(
    "gptq", cl::init(false),
    cl::desc("Round integer weights by GPTQ on the calibration data (error "
             "feedback through the inputs' inverse second moment)"),
    cl::cat(quantCategory));
static cl::opt<bool> gptqActOrder(
    "gptq-act-order", cl::init(false),
    cl::desc("--gptq: round inputs in order of decreasing second moment"),
    cl::cat(quantCategory));
static cl::opt<std::string> maxDrop(
    "max-drop",
    cl::desc("Accuracy budget: keep the fewest layers at a fallback precision so "
             "that --metric drops at most this much (0.01 or 1%)"), cl::cat(mixedCategory));
static cl::opt<std::string> metric(
    "metric", cl::init("agreement"),
    cl::desc("Accuracy budget metric: agreement (top-1 along the first output's "
             "last axis) or sqnr (relative output noise power)"), cl::cat(mixedCategory));
static cl::list<std::string> fallback(
    "fallback", cl::CommaSeparated,
    cl::desc("Accuracy budget: fallback precisions in order (default i16,f32)"),
    cl::cat(mixedCategory));
static cl::list<std::string> budgetData(
    "budget-data",
    cl::desc("Held-out .npz samples that equalization and the accuracy budget are "
             "scored on (default: --calib)"),
    cl::cat(mixedCategory));
static cl::opt<std::string> overrides("overrides",
                                      cl::desc("JSON file of precision rules"), cl::cat(quantCategory));
static cl::opt<std::string> target(
    "target", cl::init("cpu"),
    cl::desc("Target: cpu (a native library), cuda (CUDA kernels in a "
             "native library) or onnx-qdq (the ONNX model with quantc's "
             "quantization as QDQ nodes)"), cl::cat(targetCategory));
static cl::opt<std::string> gpuArch(
    "gpu-arch", cl::init("sm_80"),
    cl::desc("cuda: the GPU architecture (sm_80, sm_86, sm_89, sm_90, "
             "sm_90a, ...)"), cl::cat(targetCategory));
static cl::opt<std::string> gpuBinary(
    "gpu-binary", cl::init("fatbin"),
    cl::desc("cuda: embed a fatbin (cubin + PTX), bin (cubin) or isa (PTX)"), cl::cat(targetCategory));
static cl::opt<std::string> cudaToolkit(
    "cuda-toolkit", cl::init("/usr/local/cuda"),
    cl::desc("cuda: the CUDA toolkit (ptxas, fatbinary, libdevice)"), cl::cat(targetCategory));
static cl::opt<std::string> targetCPU(
    "target-cpu", cl::init("host"),
    cl::desc("CPU to generate code for: host (this one), any LLVM x86-64 CPU "
             "name (sapphirerapids, znver4, x86-64-v3, ...), and/or feature "
             "changes (x86-64-v4,+avx512vnni); several separated by ';' (one "
             "library, the first variant the loading CPU runs is used), or "
             "portable (sapphirerapids;x86-64-v4,+avx512vnni;x86-64-v3;x86-64, "
             "and x86-64-v4,+avx512vnni,+avx512bf16 with --float-mode=fast)"),
    cl::cat(targetCategory));
static cl::opt<std::string> floatMode(
    "float-mode", cl::init("exact"),
    cl::desc("exact: float layers compute as the reference evaluator does, bit for bit; "
             "fast: FMA, reordered sums and polynomial math functions, and on CPUs with "
             "AMX-BF16 float layers on bf16 operands with f32 sums (as OpenVINO's default "
             "precision hint)"),
    cl::cat(targetCategory));
static cl::opt<bool> noMicrokernels(
    "no-microkernels", cl::desc("Lower integer layers to loops only"), cl::cat(targetCategory));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Bind an ONNX input's shape: NAME=D0xD1x..."), cl::cat(ioCategory));
static cl::list<std::string> bindInputs(
    "bind-inputs", cl::desc("Fix ONNX inputs to the arrays of this .npz file: they import as "
                            "constants and leave the library's inputs (repeatable)"),
    cl::value_desc("file.npz"), cl::cat(ioCategory));
static cl::list<std::string> dims(
    "dim", cl::desc("Bind a symbolic ONNX dimension by name: NAME=SIZE"), cl::cat(ioCategory));
static cl::opt<bool> generator(
    "generator",
    cl::desc("Compile a decoder with KV cache (past_key_values / present "
             "inputs and outputs) as a generator: one step of --step-tokens "
             "tokens over a KV cache that the runtime keeps and grows"), cl::cat(llmCategory));
static cl::opt<std::string> kvCache(
    "kv-cache", cl::init("f32"),
    cl::desc("--generator: how the KV cache stores keys and values: f32, f16, bf16, "
             "i8 (per token and head) or i4 (per 32 values)"),
    cl::cat(llmCategory));
static cl::opt<std::string> kvKeys(
    "kv-keys", cl::init("per-token"),
    cl::desc("--generator with an i8 or i4 --kv-cache: per-token (scales per row or group) "
             "or per-channel (keys divided first by their channel's range, measured on "
             "--calib; qc-calibrate-kv-keys)"),
    cl::cat(llmCategory));
static cl::opt<int64_t> stepTokens("step-tokens", cl::init(1),
                                   cl::desc("--generator: tokens per step"), cl::cat(llmCategory));
static cl::opt<std::string> granularity(
    "granularity", cl::init("per_channel"),
    cl::desc("Weight scales: per_tensor, per_channel or per_group"), cl::cat(quantCategory));
static cl::opt<int64_t> groupSize(
    "group-size", cl::init(0),
    cl::desc("Weights per scale along the reduction dimension (per_group)"), cl::cat(quantCategory));
static cl::opt<bool> dynamicInt8(
    "dynamic-int8",
    cl::desc("Weight-only layers: round their inputs to int8 at run time and "
             "multiply integers (qc-dynamic-int8-activations; as llama.cpp's "
             "formats and ONNX Runtime's MatMulNBits accuracy_level 4 do)"),
    cl::cat(quantCategory));
static cl::opt<int64_t> dynamicInt8Block(
    "dynamic-int8-block", cl::init(32),
    cl::desc("--dynamic-int8: input values per int8 scale (0: one per row, per-token W8A8)"),
    cl::cat(quantCategory));
static cl::opt<bool> showRemarks(
    "remarks", cl::desc("Print the passes' remarks (layers kept in QDQ form, "
                        "...)"), cl::cat(ioCategory));
static cl::opt<std::string> dumpIR(
    "save-ir", cl::desc("Also write the quantized qc IR to this file"), cl::cat(ioCategory));


/// --dynamic-int8: weight-only layers take int8 inputs.
static void addDynamicInt8(PassManager &pm) {
  if (!dynamicInt8)
    return;
  QCDynamicInt8ActivationsOptions options;
  options.blockSize = dynamicInt8Block;
  pm.addNestedPass<func::FuncOp>(createQCDynamicInt8Activations(options));
}

/// --weight i8 / i4 of a generator: weights only, on the decoder as
/// imported (before it becomes a step); with --gptq, measured on --calib.
static QCQuantizeOptions generatorWeightOptions() {
  QCQuantizeOptions options;
  options.activation = "f32";
  options.weight = weight;
  options.granularity = granularity;
  options.groupSize = groupSize;
  options.scope = "layers";
  options.overrides = overrides;
  options.weightRange = weightRange;
  options.weightScheme = weightScheme;
  options.gptq = gptq;
  options.gptqActOrder = gptqActOrder;
  options.data.assign(calibration.begin(), calibration.end());
  options.maxSamples = 0; // all of them
  return options;
}

/// The decoder imported again with the calibration windows' length
/// (`importDecoder(tokens)`), simplified and with its attention fused as
/// `module` is; null after an error.
static OwningOpRef<ModuleOp>
importCalibrationDecoder(ModuleOp module,
                         function_ref<OwningOpRef<ModuleOp>(int64_t)> importDecoder) {
  llvm::Expected<int64_t> tokens = calibrationStepTokens(module.getContext(), calibration);
  if (!tokens) {
    llvm::errs() << "error: " << toString(tokens.takeError()) << "\n";
    return nullptr;
  }
  OwningOpRef<ModuleOp> calibrated = importDecoder(*tokens);
  if (!calibrated)
    return nullptr;
  PassManager pm(module.getContext());
  pm.addPass(createQCSimplify());
  pm.addPass(createQCFuseAttention());
  if (failed(pm.run(*calibrated)))
    return nullptr;
  return calibrated;
}

/// Calibrated weights for a generator (AWQ, GPTQ): the evaluator runs the decoder imported
/// with the calibration windows' length (`importDecoder(tokens)`), and the
/// quantized weights move into `module` layer by layer.
static LogicalResult calibrateGeneratorWeights(
    ModuleOp module, function_ref<OwningOpRef<ModuleOp>(int64_t)> importDecoder) {
  OwningOpRef<ModuleOp> calibrated = importCalibrationDecoder(module, importDecoder);
  if (!calibrated)
    return failure();
  PassManager pm(module.getContext());
  if (smoothQuant) {
    QCSmoothQuantOptions smooth;
    smooth.data.assign(calibration.begin(), calibration.end());
    smooth.alpha = smoothQuantAlpha;
    pm.addPass(createQCSmoothQuant(smooth));
  }
  if (awq)
    pm.addPass(createAWQFor(generatorWeightOptions(), awqClip));
  if (bitsPerWeight > 0) {
    // Mixed weight-only precisions under the size budget.
    QCAssignPrecisionOptions assign;
    assign.data.assign(calibration.begin(), calibration.end());
    assign.bitsPerWeight = bitsPerWeight;
    assign.weightScheme = weightScheme;
    assign.candidates.assign(candidates.begin(), candidates.end());
    assign.signal = signal;
    assign.cache = sensitivityCache;
    assign.pareto = pareto;
    pm.addPass(createQCAssignPrecision(assign));
  }
  pm.addPass(createQCQuantize(generatorWeightOptions()));
  if (failed(pm.run(*calibrated)))
    return failure();
  return success(succeeded(copyQuantizedWeights(*calibrated, module)));
}

/// --kv-keys per-channel: the keys' channel factors, measured by the
/// evaluator on the decoder imported with the calibration windows' length,
/// go to `module`'s attentions in order.
static LogicalResult
calibrateKeyScales(ModuleOp module, function_ref<OwningOpRef<ModuleOp>(int64_t)> importDecoder) {
  OwningOpRef<ModuleOp> calibrated = importCalibrationDecoder(module, importDecoder);
  if (!calibrated)
    return failure();
  PassManager pm(module.getContext());
  QCCalibrateKVKeysOptions options;
  options.data.assign(calibration.begin(), calibration.end());
  pm.addPass(createQCCalibrateKVKeys(options));
  if (failed(pm.run(*calibrated)))
    return failure();
  SmallVector<qc::AttentionOp> measured, target;
  calibrated->walk([&](qc::AttentionOp op) { measured.push_back(op); });
  module.walk([&](qc::AttentionOp op) { target.push_back(op); });
  if (measured.size() != target.size()) {
    module.emitError("the calibration decoder has ")
        << measured.size() << " attentions, the generator " << target.size();
    return failure();
  }
  for (auto [from, to] : llvm::zip(measured, target))
    to->setAttr(qc::kKeyScaleAttr, from->getAttr(qc::kKeyScaleAttr));
  return success();
}

/// --generator: the decoder becomes a step over a runtime KV cache, and
/// --weight i8 / i4 quantizes its weights only: rounded to nearest, or with
/// --gptq on --calib windows (decoder calls of any length with a past of one
/// masked position, see quantc.llm.calibration).
static LogicalResult
buildGenerator(ModuleOp module, function_ref<OwningOpRef<ModuleOp>(int64_t)> importDecoder) {
  bool quantizeWeights = weight.getNumOccurrences() && weight != "f32";
  bool calibrated = gptq || awq || smoothQuant || bitsPerWeight > 0;
  bool keysPerChannel = kvKeys == "per-channel";
  if (!calibration.empty() && (calibrated ? !quantizeWeights : !keysPerChannel)) {
    llvm::errs() << "error: --generator compiles float or weight-only models; "
                    "--calib is for --gptq, --awq, --smooth-quant or --bits-per-weight "
                    "with --weight i8 or i4, or for --kv-keys per-channel\n";
    return failure();
  }
  if ((calibrated || keysPerChannel) && calibration.empty()) {
    llvm::errs() << "error: --gptq, --awq, --smooth-quant, --bits-per-weight and "
                    "--kv-keys per-channel need --calib\n";
    return failure();
  }
  PassManager pm(module.getContext());
  pm.addPass(createQCSimplify());
  pm.addPass(createQCFuseAttention());
  if (quantizeWeights && !calibrated)
    pm.addPass(createQCQuantize(generatorWeightOptions()));
  if (failed(pm.run(module)))
    return failure();
  if (calibrated && failed(calibrateGeneratorWeights(module, importDecoder)))
    return failure();
  if (keysPerChannel && failed(calibrateKeyScales(module, importDecoder)))
    return failure();
  PassManager step(module.getContext());
  QCDecoderGeneratorOptions generatorOptions;
  generatorOptions.kvCache = kvCache;
  step.addPass(createQCDecoderGenerator(generatorOptions));
  if (quantizeWeights)
    step.addPass(createQCFoldScales());
  addDynamicInt8(step);
  return step.run(module);
}

/// --max-drop as a fraction: "0.01" or "1%".
static std::optional<double> parseMaxDrop(StringRef text) {
  if (text.empty())
    return 0.0;
  bool percent = text.consume_back("%");
  double value;
  if (text.trim().getAsDouble(value) || value < 0 || (!percent && value >= 1) ||
      (percent && value >= 100))
    return std::nullopt;
  return percent ? value / 100 : value;
}

static LogicalResult
quantize(ModuleOp module, function_ref<OwningOpRef<ModuleOp>(int64_t)> importDecoder) {
  if (generator)
    return buildGenerator(module, importDecoder);
  std::optional<double> parsedMaxDrop = parseMaxDrop(maxDrop);
  if (!parsedMaxDrop) {
    llvm::errs() << "error: --max-drop '" << maxDrop
                 << "' is not a fraction in [0, 1) or a percentage (1%)\n";
    return failure();
  }
  if ((*parsedMaxDrop > 0 || !budgetData.empty() || gptq || awq || smoothQuant) &&
      calibration.empty()) {
    llvm::errs() << "error: --max-drop, --budget-data, --gptq, --awq and --smooth-quant need "
                    "--calib\n";
    return failure();
  }
  PassManager pm(module.getContext());
  pm.addPass(createQCSimplify());
  pm.addPass(createQCFuseAttention());
  pm.addPass(createQCDecomposeConv3D());
  if (!calibration.empty()) {
    QuantizePipelineOptions options;
    options.data = calibration;
    options.estimator = estimator;
    options.activation = activation;
    options.weight = weight;
    options.granularity = granularity;
    options.groupSize = groupSize;
    options.scope = scope;
    options.overrides = overrides;
    options.rounding = rounding;
    options.bitsPerWeight = bitsPerWeight;
    options.latencyUs = latencyUs;
    options.maxError = maxError;
    options.candidates = candidates;
    options.signal = signal;
    options.costTable = costTable;
    options.sensitivityCache = sensitivityCache;
    options.pareto = pareto;
    options.equalize = equalize;
    options.biasCorrection = biasCorrection;
    options.roundingSearch = roundingSearch;
    options.weightRange = weightRange;
    options.weightScheme = weightScheme;
    options.awq = awq;
    options.awqClip = awqClip;
    options.smoothQuant = smoothQuant;
    options.smoothQuantAlpha = smoothQuantAlpha;
    options.gptq = gptq;
    options.gptqActOrder = gptqActOrder;
    options.maxDrop = *parsedMaxDrop;
    options.metric = metric;
    options.fallback = fallback;
    options.budgetData = budgetData;
    buildQuantizePipeline(pm, options);
  }
  addDynamicInt8(pm);
  return pm.run(module);
}

static LogicalResult writeText(StringRef path,
                               function_ref<LogicalResult(raw_ostream &)> fn) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "error: " << error << "\n";
    return failure();
  }
  if (failed(fn(file->os())))
    return failure();
  file->keep();
  return success();
}

/// The onnx-qdq target: calibrate and quantize the model as imported (no
/// simplification, so every quantized value is an ONNX tensor), then write
/// the ONNX model with QDQ nodes.
static LogicalResult writeQDQ(MLIRContext &ctx) {
  if (!isONNXFile(inputPath) || calibration.empty()) {
    llvm::errs() << "error: --target onnx-qdq needs an ONNX model and --calib\n";
    return failure();
  }
  ONNXImportOptions importOptions;
  importOptions.recordTensorNames = true;
  for (const std::string &spec : inputShapes) {
    std::string error;
    if (failed(parseInputShapeSpec(spec, importOptions, error))) {
      llvm::errs() << "error: " << error << "\n";
      return failure();
    }
  }
  OwningOpRef<ModuleOp> module = importONNXFile(inputPath, &ctx, importOptions);
  if (!module)
    return failure();
  PassManager pm(&ctx);
  QCCalibrateOptions calibrate;
  calibrate.data.assign(calibration.begin(), calibration.end());
  calibrate.estimator = estimator;
  pm.addPass(createQCCalibrate(calibrate));
  QCQuantizeOptions quantize;
  quantize.activation = activation;
  quantize.weight = weight;
  quantize.scope = scope;
  quantize.overrides = overrides;
  quantize.onnxExportable = true;
  pm.addPass(createQCQuantize(quantize));
  if (failed(pm.run(*module)))
    return failure();
  if (!dumpIR.empty() && failed(writeText(dumpIR, [&](raw_ostream &os) {
        module->print(os);
        return success();
      })))
    return failure();
  return exportQDQModel(*module, inputPath, outputPath);
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  registerAllPasses();
  // --help lists this tool's options only (LLVM's still parse).
  cl::HideUnrelatedOptions({&ioCategory, &quantCategory, &mixedCategory, &targetCategory, &llmCategory});
  cl::ParseCommandLineOptions(argc, argv, "quantc: ONNX → quantized native library\n");
  if (target != "cpu" && target != "cuda" && target != "onnx-qdq") {
    llvm::errs() << "error: unsupported --target '" << target
                 << "' (cpu, cuda, onnx-qdq)\n";
    return 1;
  }
  if (dynamicInt8 && target != "cpu") {
    llvm::errs() << "error: --dynamic-int8 is implemented by the CPU weight-only kernel only "
                    "(--target cpu)\n";
    return 1;
  }
  if (std::string problem; target == "cpu" && failed(checkCPUTargets(targetCPU, problem))) {
    llvm::errs() << "error: " << problem << "\n";
    return 1;
  }
  if (!isFloatMode(floatMode)) {
    llvm::errs() << "error: unknown --float-mode '" << floatMode << "' (exact, fast)\n";
    return 1;
  }
  if (floatMode != "exact" && target != "cpu") {
    llvm::errs() << "error: --float-mode=fast is implemented for --target cpu only\n";
    return 1;
  }
  if ((kvCache.getNumOccurrences() || kvKeys.getNumOccurrences()) && !generator) {
    llvm::errs() << "error: --kv-cache and --kv-keys are options of --generator libraries\n";
    return 1;
  }
  if (kvKeys != "per-token" && kvKeys != "per-channel") {
    llvm::errs() << "error: --kv-keys '" << kvKeys << "' is not per-token or per-channel\n";
    return 1;
  }
  if (kvKeys == "per-channel" && kvCache != "i8" && kvCache != "i4") {
    llvm::errs() << "error: --kv-keys per-channel scales the keys of an i8 or i4 --kv-cache, "
                    "not '" << kvCache << "'\n";
    return 1;
  }
  if (dynamicInt8Block < 0) {
    llvm::errs() << "error: --dynamic-int8-block must not be negative, got " << dynamicInt8Block
                 << "\n";
    return 1;
  }
  if (target == "cuda" && !isSupportedGPUArch(gpuArch)) {
    llvm::errs() << "error: unsupported --gpu-arch '" << gpuArch
                 << "' (sm_80 or later: sm_80, sm_86, sm_89, sm_90, sm_90a, ...)\n";
    return 1;
  }
  DialectRegistry registry;
  registerCUDACodegenDialects(registry);
  registry.insert<qc::QCDialect>();
  MLIRContext ctx(registry);
  // Errors name the ONNX node or graph value; dumps of the op that failed
  // are for quant-opt's users, not for a model's.
  ctx.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  // Remarks are for --remarks; errors and warnings always print.
  ScopedDiagnosticHandler quietRemarks(&ctx, [](Diagnostic &diag) {
    return success(diag.getSeverity() == DiagnosticSeverity::Remark && !showRemarks);
  });

  if (target == "onnx-qdq")
    return failed(writeQDQ(ctx)) ? 1 : 0;
  ONNXImportOptions dimOptions;
  for (const std::string &spec : dims) {
    std::string problem;
    if (failed(parseDimSpec(spec, dimOptions, problem))) {
      llvm::errs() << "error: --dim: " << problem << "\n";
      return 1;
    }
  }
  // A decoder imported with `tokens` new tokens per call (generators).
  auto importDecoder = [&](int64_t tokens) {
    ONNXImportOptions options = dimOptions;
    addGeneratorDims(options, tokens);
    return loadModelFile(inputPath, &ctx, sourceMgr, inputShapes, {}, options.dimParams,
                         bindInputs);
  };
  OwningOpRef<ModuleOp> module =
      generator ? importDecoder(stepTokens)
                : loadModelFile(inputPath, &ctx, sourceMgr, inputShapes, {}, dimOptions.dimParams,
                                bindInputs);
  if (!module || failed(quantize(*module, importDecoder)))
    return 1;
  if (!dumpIR.empty() &&
      failed(writeText(dumpIR, [&](raw_ostream &os) {
        module->print(os);
        return success();
      })))
    return 1;
  std::string error;
  LogicalResult written = failure();
  if (target == "cuda") {
    CUDATargetOptions options;
    options.chip = gpuArch;
    options.format = gpuBinary;
    options.toolkit = cudaToolkit;
    written = writeCUDAArtifact(*module, outputPath, options, error);
  } else {
    CPUTargetOptions options;
    options.targetCPU = targetCPU;
    options.microkernels = !noMicrokernels;
    options.floatMode = floatMode;
    written = writeCPUArtifact(*module, outputPath, options, error);
  }
  if (failed(written)) {
    if (!error.empty())
      llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  return 0;
}
