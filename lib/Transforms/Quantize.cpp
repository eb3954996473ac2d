//===- Quantize.cpp - the qc-quantize pass ----------------------*- C++ -*-===//
//
// Decides each layer's precision (options, override file, or an attribute
// already present) and materializes it as a QDQ graph: quantize/dequantize
// pairs on integer activations, weights quantized once into storage
// constants, casts around bf16/f16 layers.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "LayerBias.h"
#include "QuantizedFunctions.h"
#include "PrecisionRules.h"
#include "WeightAdjustment.h"
#include "WeightQuantization.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <cmath>

namespace quantc {
#define GEN_PASS_DEF_QCQUANTIZE
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

namespace {
//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct QuantizePass : quantc::impl::QCQuantizeBase<QuantizePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    std::string error;
    if (scope != "all" && scope != "layers") {
      emitError(getOperation().getLoc(), "qc-quantize: scope '")
          << scope << "' is not layers or all";
      return signalPassFailure();
    }
    PrecisionFields fields;
    auto option = [&](StringRef key) -> std::optional<StringRef> {
      if (key == "activation")
        return StringRef(activation);
      if (key == "weight")
        return StringRef(weight);
      if (key == "granularity")
        return StringRef(granularity);
      return StringRef(scheme);
    };
    if (weightRange != "mse" && weightRange != "minmax") {
      emitError(getOperation().getLoc(), "qc-quantize: weight-range '")
          << weightRange << "' is not minmax or mse";
      return signalPassFailure();
    }
    if (weightScheme != "symmetric" && weightScheme != "asymmetric") {
      emitError(getOperation().getLoc(), "qc-quantize: weight-scheme '")
          << weightScheme << "' is not symmetric or asymmetric";
      return signalPassFailure();
    }
    if (!(gptqDamping >= 0)) {
      emitError(getOperation().getLoc(), "qc-quantize: gptq-damping must be at least 0, got ")
          << gptqDamping;
      return signalPassFailure();
    }
    if (failed(parseFields(ctx, option, groupSize, fields, error))) {
      emitError(getOperation().getLoc(), "qc-quantize: ") << error;
      return signalPassFailure();
    }
    defaults = fields;
    if (!overrides.empty()) {
      FailureOr<std::vector<PrecisionRule>> parsed =
          readRules(ctx, overrides, error);
      if (failed(parsed)) {
        emitError(getOperation().getLoc(), error);
        return signalPassFailure();
      }
      rules = std::move(*parsed);
    }
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(quantizeFunction(func)))
        return signalPassFailure();
  }

  /// The precision of `op`: its own attribute, or the defaults refined by
  /// every matching rule.
  PrecisionAttr choosePrecision(Operation *op) {
    if (auto existing = op->getAttrOfType<PrecisionAttr>("qc.precision"))
      return existing;
    PrecisionFields fields = defaults;
    std::string name = getNodeName(op->getLoc());
    for (const PrecisionRule &rule : rules)
      if (rule.matches(op, name))
        applyFields(rule.fields, fields);
    return PrecisionAttr::getChecked(
        [&] { return op->emitError("invalid precision for this layer: "); },
        op->getContext(), *fields.activation, *fields.weight,
        *fields.granularity, *fields.scheme, fields.groupSize.value_or(0));
  }

  /// Whether `op` sits in a branch or loop body that the calibration data
  /// never reached: its result has no range.
  static bool neverCalibrated(Operation *op) {
    return !isa<func::FuncOp>(op->getParentOp()) && !getCalibratedRange(op->getResult(0));
  }

  /// `precision` with float activations and weights, and a warning why.
  static PrecisionAttr keepFloat(Operation *op, PrecisionAttr precision) {
    op->emitWarning("never ran on the calibration data (in a branch or loop it did not "
                    "take), so it stays in float");
    Type f32 = Float32Type::get(op->getContext());
    return PrecisionAttr::get(op->getContext(), f32, f32, precision.getGranularity(),
                              precision.getScheme(), 0);
  }

  /// Visits the ops in order, so that every op sees its inputs quantized.
  LogicalResult quantizeFunction(func::FuncOp func) {
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) { ops.push_back(op); });
    // The adjustments' measurements and counts are per function.
    layerStats.clear();
    movedLevels = searchedLevels = correctedLayers = gptqLayers = gptqChanged = 0;
    gptqFailed = nullptr;
    if ((roundingSearch || biasCorrection || gptq) && failed(measureLayers(func, ops)))
      return failure();
    SmallPtrSet<Operation *, 8> erased;
    for (Operation *op : ops) {
      if (erased.contains(op))
        continue;
      if (std::optional<LayerInfo> info = getLayerInfo(op)) {
        PrecisionAttr precision = choosePrecision(op);
        if (!precision)
          return failure();
        if (precision.hasIntegerActivations() && neverCalibrated(op))
          precision = keepFloat(op, precision);
        // The reshape back to the matmul's shape, new and not in `ops`.
        Operation *reshapeBack = nullptr;
        if (auto matmul = dyn_cast<MatMulOp>(op);
            matmul && precision.hasIntegerActivations() && !onnxExportable)
          if (GemmOp gemm = foldColumnBiasIntoGemm(matmul, erased)) {
            op = gemm;
            info = getLayerInfo(op);
            reshapeBack = dyn_cast<ReshapeOp>(*gemm->getUsers().begin());
          }
        op->setAttr("qc.precision", precision);
        if (failed(quantizeLayer(op, *info, precision)))
          return failure();
        if (reshapeBack && scope == "all" && failed(quantizeBetweenLayers(reshapeBack)))
          return failure();
      } else if (scope == "all" && failed(quantizeBetweenLayers(op))) {
        return failure();
      }
    }
    gptqProgress.reset();
    reportAdjustments(func);
    return success();
  }

  /// Measures the inputs of the layers whose constant weights will be
  /// integers, for the rounding search and bias correction.
  LogicalResult measureLayers(func::FuncOp func, ArrayRef<Operation *> ops) {
    auto start = std::chrono::steady_clock::now();
    if (data.empty())
      return emitError(func.getLoc(), "qc-quantize: rounding-search, "
                                      "bias-correction and gptq need data= (calibration "
                                      ".npz files or directories)");
    SmallVector<Operation *> layers;
    for (Operation *op : ops) {
      std::optional<LayerInfo> info = getLayerInfo(op);
      PrecisionAttr precision = info ? choosePrecision(op) : nullptr;
      if (precision && precision.hasIntegerWeights() &&
          op->getOperand(info->weightOperand).getDefiningOp<ConstantOp>())
        layers.push_back(op);
    }
    llvm::Expected<std::vector<calibration::Sample>> samples =
        calibration::loadCalibrationSet(func, data, maxSamples);
    if (!samples)
      return emitError(func.getLoc(), toString(samples.takeError()));
    FailureOr<LayerStatisticsMap> measured =
        measureLayerInputs(layers, *samples, roundingSearch || gptq);
    if (failed(measured))
      return failure();
    layerStats = std::move(*measured);
    if (gptq)
      gptqProgress.emplace("gptq, layers", layerStats.size());
    adjustSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return success();
  }

  void reportAdjustments(func::FuncOp func) {
    if (roundingSearch)
      emitRemark(func.getLoc()) << "rounding search: moved " << movedLevels << " of "
                                << searchedLevels << " weight levels in "
                                << layerStats.size() << " layers ("
                                << llvm::formatv("{0:F1}", adjustSeconds).str() << " s)";
    if (biasCorrection)
      emitRemark(func.getLoc()) << "bias correction: " << correctedLayers
                                << " layers corrected";
    if (gptq)
      emitRemark(func.getLoc()) << "gptq: " << gptqLayers << " layers, " << gptqChanged
                                << " of " << searchedLevels
                                << " weight levels differ from round to nearest ("
                                << llvm::formatv("{0:F1}", adjustSeconds).str() << " s)";
  }

  /// GPTQ, the rounding search and the bias correction of `op`'s weights, when
  /// its inputs were measured; `shift` receives the expected output shift.
  std::function<void(WeightLevels)> weightAdjuster(Operation *op, const Tensor &w,
                                                   std::vector<double> &shift) {
    auto it = layerStats.find(op);
    if (it == layerStats.end())
      return nullptr;
    return [this, op, &w, &shift, &stats = it->second](WeightLevels levels) {
      auto start = std::chrono::steady_clock::now();
      WeightRows rows = *getWeightRows(op);
      if (gptq) {
        FailureOr<int64_t> changed = roundByGPTQ(
            levels, w.floats(), rows, stats, GPTQOptions{gptqDamping, gptqActOrder});
        if (failed(changed))
          gptqFailed = op;
        else
          gptqChanged += *changed;
        ++gptqLayers;
        gptqProgress->advance();
      }
      if (roundingSearch || gptq)
        searchedLevels += levels.levels.size();
      if (roundingSearch)
        movedLevels += searchRounding(levels, w.floats(), rows, stats);
      if (biasCorrection)
        shift = expectedOutputShift(levels, w.floats(), rows, stats);
      adjustSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
  }

  /// Importance of each weight of `op` for an mse grid: empty when its
  /// inputs were not measured.
  std::vector<double> inputImportance(Operation *op, int64_t elements) {
    auto it = layerStats.find(op);
    std::optional<WeightRows> rows = getWeightRows(op);
    if (it == layerStats.end() || !rows)
      return {};
    return meanSquareOfInputs(it->second, *rows, elements);
  }

  /// Subtracts `shift` (one value per output channel) from the bias of `op`,
  /// giving a convolution without one a bias. MatMul has none.
  void correctBias(Operation *op, ArrayRef<double> shift) {
    Value bias;
    double factor = 1.0;
    if (auto conv = dyn_cast<ConvOp>(op)) {
      bias = conv.getBias();
    } else if (auto gemm = dyn_cast<GemmOp>(op)) {
      bias = gemm.getC();
      factor = gemm.getAlpha().convertToDouble() / gemm.getBeta().convertToDouble();
      if (!bias || !std::isfinite(factor))
        return;
    } else {
      return;
    }
    auto type = RankedTensorType::get({static_cast<int64_t>(shift.size())},
                                      Float32Type::get(op->getContext()));
    Tensor values(type.getElementType(), type.getShape());
    if (bias) {
      std::optional<Tensor> old = reference::getConstantValue(bias);
      if (!old || !old->isFloat() || old->getNumElements() != values.getNumElements())
        return;
      type = cast<RankedTensorType>(bias.getType());
      llvm::copy(old->floats(), values.floats().begin());
    }
    for (auto [value, s] : llvm::zip(values.floats(), shift))
      value = static_cast<float>(value - factor * s);
    OpBuilder b(op);
    std::string blobName = getNodeName(op->getLoc()) + ".bias";
    Value corrected = ConstantOp::create(b, op->getLoc(), values.toAttr(type, blobName));
    if (!bias) {
      op->insertOperands(2, corrected);
    } else {
      op->setOperand(2, corrected);
      if (bias.use_empty())
        bias.getDefiningOp()->erase();
    }
    ++correctedLayers;
  }

  /// scope=all: quantizes an op between integer layers so that
  /// qc-fold-scales can make it integer too.
  LogicalResult quantizeBetweenLayers(Operation *op) {
    auto activation = dyn_cast<IntegerType>(*defaults.activation);
    if (!activation || op->getNumResults() != 1 ||
        !isa<FloatType>(getElementTypeOrSelf(op->getResult(0).getType())) ||
        llvm::any_of(op->getUsers(), [](Operation *u) { return isa<QuantizeOp>(u); }))
      return success();
    unsigned bits = activation.getWidth();
    bool symmetric = *defaults.scheme == Scheme::Symmetric;
    Value result = op->getResult(0);
    if (keepsQuantizedType(op)) {
      // The output shares the input's type: no new range, no rescaling.
      auto dq = op->getOperand(0).getDefiningOp<DequantizeOp>();
      if (auto type = dq ? getUniformType(dq.getInput().getType()) : nullptr)
        quantizedInputs[result] = quantizeAs(result, type);
      return success();
    }
    if (auto concat = dyn_cast<ConcatOp>(op))
      return quantizeConcat(concat, bits, symmetric);
    // A function of one 8-bit tensor (SiLU, x + f(x), ...) becomes a table;
    // additions and products of two tensors integer ops of their own.
    // Inside such a function (GELU's x * f(x)) products and sums of the
    // tensor with itself stay float: the table at its end computes them.
    if (isElementwise(op) && isQuantizedFunction(op)) {
      FailureOr<DenseF64ArrayAttr> range = getRange(result);
      if (!endsQuantizedFunction(op) || failed(range))
        return success();
      bool floatReaders = onlyFloatReaders(op);
      if (floatReaders && isCheapArithmetic(op))
        return success();
      // Float readers (a normalization's sums) get a 16-bit table: the
      // cost of the function goes, its rounding nearly all stays away.
      unsigned tableBits = floatReaders && !onnxExportable ? 16 : bits;
      quantizeAs(result, getActivationType(op->getContext(), (*range)[0],
                                           (*range)[1], tableBits, symmetric));
      return success();
    }
    if (isa<AddOp>(op) || (isa<MulOp>(op) && bits <= 8))
      return quantizeBinary(op, bits, symmetric);
    return success();
  }

  /// Concat inputs and output share one type, from the output's range.
  LogicalResult quantizeConcat(ConcatOp concat, unsigned bits, bool symmetric) {
    if (llvm::none_of(concat.getInputs(), [](Value v) {
          return v.getDefiningOp<DequantizeOp>();
        }))
      return success();
    FailureOr<DenseF64ArrayAttr> range = getRange(concat.getResult());
    if (failed(range))
      return success();
    auto type = getActivationType(concat.getContext(), (*range)[0], (*range)[1],
                                  bits, symmetric);
    for (OpOperand &input : concat->getOpOperands()) {
      auto dq = input.get().getDefiningOp<DequantizeOp>();
      if (dq && getUniformType(dq.getInput().getType()) == type)
        continue;
      input.set(insertQDQAs(input.get(), type));
    }
    quantizeAs(concat.getResult(), type);
    return success();
  }

  /// An addition or product of two tensors, one of them quantized: both
  /// inputs and the output get their own types.
  LogicalResult quantizeBinary(Operation *op, unsigned bits, bool symmetric) {
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    if (lhs.getDefiningOp<ConstantOp>() || rhs.getDefiningOp<ConstantOp>() ||
        (!lhs.getDefiningOp<DequantizeOp>() && !rhs.getDefiningOp<DequantizeOp>()))
      return success();
    // Inputs not yet quantized need a range; quantized ones keep their type.
    auto hasType = [&](Value v) {
      return v.getDefiningOp<DequantizeOp>() || succeeded(getRange(v));
    };
    Value result = op->getResult(0);
    if (failed(getRange(result)) || !hasType(lhs) || !hasType(rhs))
      return success();
    for (unsigned i = 0; i < 2; ++i) {
      FailureOr<Value> q =
          quantizeActivation(op->getOperand(i), bits, symmetric, op->getLoc());
      if (failed(q))
        return failure();
      op->setOperand(i, *q);
    }
    FailureOr<DenseF64ArrayAttr> range = getRange(result);
    quantizeAs(result, getActivationType(op->getContext(), (*range)[0],
                                         (*range)[1], bits, symmetric));
    return success();
  }

  /// A q/dq pair of `type` after `v`; returns the dequantized value.
  Value insertQDQAs(Value v, quant::UniformQuantizedType type) {
    OpBuilder b(v.getContext());
    b.setInsertionPointAfterValue(v);
    auto tensorType = cast<RankedTensorType>(v.getType());
    Value q = QuantizeOp::create(b, v.getLoc(), tensorType.clone(type), v);
    return DequantizeOp::create(b, v.getLoc(), tensorType, q);
  }

  /// Quantizes `v` to `type` for all its users; returns the dequantized value.
  Value quantizeAs(Value v, quant::UniformQuantizedType type) {
    Value dq = insertQDQAs(v, type);
    v.replaceAllUsesExcept(dq, dq.getDefiningOp()->getOperand(0).getDefiningOp());
    return dq;
  }

  LogicalResult quantizeLayer(Operation *op, const LayerInfo &info,
                              PrecisionAttr precision) {
    bool intActivations = precision.hasIntegerActivations();
    if (intActivations && !precision.hasIntegerWeights())
      return op->emitError("integer activations need integer weights, got ")
             << precision;
    Value weight = op->getOperand(info.weightOperand);
    bool constantWeight = weight.getDefiningOp<ConstantOp>() != nullptr;
    auto quantizeConstantWeight = [&] {
      return success(!precision.hasIntegerWeights() || !constantWeight ||
                     succeeded(quantizeWeightOperand(op, info, precision)));
    };
    if (!intActivations) {
      if (failed(quantizeConstantWeight()))
        return failure();
      if (auto floatType = dyn_cast<FloatType>(precision.getActivation());
          floatType && !floatType.isF32())
        castLayer(op, floatType);
      return success();
    }
    unsigned bits = precision.getActivation().getIntOrFloatBitWidth();
    bool symmetric = precision.getScheme() == Scheme::Symmetric;
    SmallVector<unsigned> inputs = info.activationOperands;
    if (!constantWeight)
      inputs.push_back(info.weightOperand);
    for (unsigned index : inputs) {
      FailureOr<Value> q = quantizeActivation(op->getOperand(index), bits,
                                              symmetric, op->getLoc());
      if (failed(q))
        return failure();
      op->setOperand(index, *q);
    }
    // After the inputs: the weight scales depend on the input's (see
    // biasScaleFloors).
    if (failed(quantizeConstantWeight()))
      return failure();
    return quantizeOutput(op, bits, symmetric);
  }

  LogicalResult quantizeWeightOperand(Operation *op, const LayerInfo &info,
                                      PrecisionAttr precision) {
    Value weight = op->getOperand(info.weightOperand);
    // Weights shared by layers of the same precision are quantized once.
    WeightKey key{weight, precision, info.channelAxis};
    if (Value cached = quantizedWeights.lookup(key)) {
      op->setOperand(info.weightOperand, cached);
      return success();
    }
    std::optional<Tensor> values = reference::getConstantValue(weight);
    if (!values)
      return op->emitError("cannot read the constant weights of this layer");
    auto shape = values->getShape();
    Granularity granularity = precision.getGranularity();
    SmallVector<int64_t> blockShape(shape.begin(), shape.end());
    if (granularity != Granularity::PerTensor)
      blockShape[info.channelAxis] = 1;
    if (granularity == Granularity::PerGroup) {
      int64_t group = precision.getGroupSize();
      if (shape[info.reductionAxis] % group != 0)
        return op->emitError("reduction dimension of size ")
               << shape[info.reductionAxis]
               << " is not a multiple of group_size " << group;
      blockShape[info.reductionAxis] = group;
    }
    SmallVector<double> floors;
    if (granularity != Granularity::PerGroup)
      floors = biasScaleFloors(op, shape[info.channelAxis]);
    if (granularity == Granularity::PerTensor && !floors.empty())
      floors = {*llvm::max_element(floors)};
    std::vector<double> shift;
    std::function<void(WeightLevels)> adjuster = weightAdjuster(op, *values, shift);
    WeightFormat format{precision.getWeight().getIntOrFloatBitWidth(), weightRange == "mse",
                        takesWeightZeroPoints(precision, weightScheme)};
    FailureOr<QuantizedWeights> quantized = quantizeWeights(
        *values, format, blockShape, granularity, info.channelAxis, info.reductionAxis, floors,
        format.mse ? inputImportance(op, values->getNumElements()) : std::vector<double>(),
        op->getLoc(), adjuster ? function_ref<void(WeightLevels)>(adjuster) : nullptr);
    if (failed(quantized))
      return failure();
    if (gptqFailed)
      return gptqFailed->emitError("gptq: the damped second moment of this layer's "
                                   "inputs is not positive definite; raise gptq-damping");
    if (!shift.empty())
      correctBias(op, shift);
    // Next to the constant, so that every layer sharing it is dominated.
    OpBuilder b(op->getContext());
    b.setInsertionPointAfterValue(weight);
    Location loc = weight.getLoc();
    auto storageType = quantized->storage.getType();
    std::string blobName = getNodeName(op->getLoc()) + ".weight";
    Value storage = ConstantOp::create(
        b, loc, quantized->storage.toAttr(storageType, blobName));
    Value cast = quant::StorageCastOp::create(
        b, loc, RankedTensorType::get(shape, quantized->type), storage);
    Value dequantized = DequantizeOp::create(b, loc, weight.getType(), cast);
    quantizedWeights[key] = dequantized;
    op->setOperand(info.weightOperand, dequantized);
    return success();
  }

  /// The least weight scale of each of `channels` output channels that
  /// keeps the layer's constant bias within 2^30 at the accumulator's scale
  /// (s_x * s_w): a channel of near-zero weights would otherwise take a scale
  /// so fine that its integer bias overflows i32, and the layer would stay
  /// float. Empty when the input is not yet quantized or there is no bias.
  SmallVector<double> biasScaleFloors(Operation *op, int64_t channels) {
    Value bias;
    double factor = 1.0; // bias multiplier / product multiplier
    if (auto conv = dyn_cast<ConvOp>(op)) {
      bias = conv.getBias();
    } else if (auto gemm = dyn_cast<GemmOp>(op)) {
      bias = gemm.getC();
      factor = std::fabs(gemm.getBeta().convertToDouble() / gemm.getAlpha().convertToDouble());
    }
    auto input = op->getOperand(0).getDefiningOp<DequantizeOp>();
    quant::UniformQuantizedType inType =
        input ? getUniformType(input.getInput().getType()) : nullptr;
    std::optional<Tensor> values = bias ? reference::getConstantValue(bias) : std::nullopt;
    if (!inType || !values || !values->isFloat() ||
        values->getNumElements() != channels || !std::isfinite(factor))
      return {};
    constexpr double kBiasLimit = double(int64_t(1) << 30);
    SmallVector<double> floors;
    for (float b : values->floats())
      floors.push_back(std::fabs(b) * factor / (inType.getScale() * kBiasLimit));
    return floors;
  }

  FailureOr<DenseF64ArrayAttr> getRange(Value v) {
    if (DenseF64ArrayAttr range = getCalibratedRange(v))
      return range;
    return failure();
  }

  /// A q/dq pair after `v`; returns the dequantized value.
  FailureOr<Value> insertQDQ(Value v, unsigned bits, bool symmetric,
                             Location user) {
    FailureOr<DenseF64ArrayAttr> range = getRange(v);
    if (failed(range))
      return emitError(user) << "an input or output of this layer has no "
                                "calibrated range (run qc-calibrate first)";
    return insertQDQAs(v, getActivationType(v.getContext(), (*range)[0],
                                            (*range)[1], bits, symmetric));
  }

  /// The quantized form of a layer input; shared by all layers that read it.
  FailureOr<Value> quantizeActivation(Value v, unsigned bits, bool symmetric,
                                      Location user) {
    if (v.getDefiningOp<DequantizeOp>())
      return v;
    if (Value cached = quantizedInputs.lookup(v))
      return cached;
    FailureOr<Value> dq = insertQDQ(v, bits, symmetric, user);
    if (succeeded(dq))
      quantizedInputs[v] = *dq;
    return dq;
  }

  /// Quantizes the layer's output after a following Relu or Clip; every
  /// consumer then reads the quantized value.
  LogicalResult quantizeOutput(Operation *op, unsigned bits, bool symmetric) {
    Value point = op->getResult(0);
    if (point.hasOneUse() &&
        isa<ReluOp, ClipOp>(*point.getUsers().begin()))
      point = point.getUsers().begin()->getResult(0);
    FailureOr<Value> dq = insertQDQ(point, bits, symmetric, op->getLoc());
    if (failed(dq))
      return failure();
    Operation *quantize = dq->getDefiningOp()->getOperand(0).getDefiningOp();
    point.replaceAllUsesExcept(*dq, quantize);
    return success();
  }

  /// Runs the layer in `type`: its float operands are cast to it and its
  /// result back to f32.
  void castLayer(Operation *op, FloatType type) {
    OpBuilder b(op);
    for (OpOperand &operand : op->getOpOperands()) {
      auto t = cast<RankedTensorType>(operand.get().getType());
      operand.set(CastOp::create(b, op->getLoc(), t.clone(type), operand.get()));
    }
    Value result = op->getResult(0);
    auto resultType = cast<RankedTensorType>(result.getType());
    result.setType(resultType.clone(type));
    b.setInsertionPointAfter(op);
    auto back = CastOp::create(b, op->getLoc(), resultType, result);
    result.replaceAllUsesExcept(back, back);
  }

  using WeightKey = std::tuple<Value, Attribute, int64_t>;
  PrecisionFields defaults;
  std::vector<PrecisionRule> rules;
  DenseMap<Value, Value> quantizedInputs;
  DenseMap<WeightKey, Value> quantizedWeights;
  LayerStatisticsMap layerStats;
  int64_t gptqLayers = 0, gptqChanged = 0;
  std::optional<ProgressLine> gptqProgress;
  Operation *gptqFailed = nullptr;
  int64_t movedLevels = 0, searchedLevels = 0, correctedLayers = 0;
  double adjustSeconds = 0;
};
} // namespace
