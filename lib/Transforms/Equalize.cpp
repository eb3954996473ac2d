//===- Equalize.cpp - the qc-equalize pass ----------------------*- C++ -*-===//
//
// Cross-layer equalization: two layers with a positively homogeneous function
// between them (none, Relu, LeakyRelu, PRelu) compute the same model when
// output channel c of the first is divided by s_c and the weights reading
// input channel c of the second are multiplied by s_c. The pass chooses s to
// make the pair easier to quantize. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "AccuracyBudget.h"
#include "PrecisionRules.h"
#include "Sensitivity.h"
#include "WeightAdjustment.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <deque>

namespace quantc {
#define GEN_PASS_DEF_QCEQUALIZE
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

namespace {
/// A layer's constant weight and bias, scaled in place while the pass runs
/// and written back as new constants at the end.
struct LayerWeights {
  Operation *op;
  WeightRows rows;
  Tensor weight;
  std::optional<Tensor> bias;
  bool changed = false;

  /// The weights of output channel `row`.
  template <typename Fn> void forRow(int64_t row, Fn fn) {
    for (int64_t k = 0; k < rows.reduction; ++k)
      fn(weight.floats()[rows.index(row, k)]);
  }
  /// The weights reading input channel `channel` of `channels`, with the row
  /// each belongs to.
  template <typename Fn> void forColumn(int64_t channel, int64_t channels, Fn fn) {
    int64_t groups = rows.rows / rows.rowsPerGroup;
    int64_t perGroup = channels / groups, taps = rows.reduction / perGroup;
    int64_t group = channel / perGroup, first = (channel % perGroup) * taps;
    for (int64_t row = group * rows.rowsPerGroup; row < (group + 1) * rows.rowsPerGroup; ++row)
      for (int64_t k = first; k < first + taps; ++k)
        fn(weight.floats()[rows.index(row, k)], row);
  }
};

/// Per-channel statistics of the tensor between the two layers of a pair,
/// in the pair's current scaling.
struct ChannelStatistics {
  std::vector<double> low, high, power;
  int64_t count = 0;
};

/// Two layers whose channels may be rescaled against each other.
struct Pair {
  LayerWeights *first, *second;
  Value between; // the second layer's input
  int64_t channels;
  ChannelStatistics stats; // empty without data
};

double rowRange(LayerWeights &layer, int64_t row) {
  double range = 0;
  layer.forRow(row, [&](float w) { range = std::max(range, double(std::fabs(w))); });
  return range;
}

double columnRange(LayerWeights &layer, int64_t channel, int64_t channels) {
  double range = 0;
  layer.forColumn(channel, channels,
                  [&](float w, int64_t) { range = std::max(range, double(std::fabs(w))); });
  return range;
}

/// Divides channel c of the pair's middle tensor by scales[c].
void applyScales(Pair &pair, ArrayRef<double> scales) {
  for (int64_t c = 0; c < pair.channels; ++c) {
    double s = scales[c];
    if (s == 1.0)
      continue;
    pair.first->forRow(c, [&](float &w) { w = static_cast<float>(w / s); });
    if (pair.first->bias)
      pair.first->bias->floats()[c] = static_cast<float>(pair.first->bias->floats()[c] / s);
    pair.second->forColumn(c, pair.channels,
                           [&](float &w, int64_t) { w = static_cast<float>(w * s); });
    if (!pair.stats.low.empty()) {
      pair.stats.low[c] /= s;
      pair.stats.high[c] /= s;
      pair.stats.power[c] /= s * s;
    }
  }
  pair.first->changed = pair.second->changed = true;
}

/// The quantization noise power at the second layer's output predicted for
/// `scales`: 8-bit rounding of the middle tensor (one asymmetric scale for
/// all channels) through the second layer's weights, plus 8-bit rounding of
/// those weights (one scale per output channel) times the middle tensor's
/// power. The first layer's per-channel weight noise does not depend on
/// the scales.
double predictedNoise(Pair &pair, ArrayRef<double> scales) {
  const ChannelStatistics &st = pair.stats;
  double low = 0, high = 0;
  for (int64_t c = 0; c < pair.channels; ++c) {
    low = std::min(low, st.low[c] / scales[c]);
    high = std::max(high, st.high[c] / scales[c]);
  }
  double step = (high - low) / 255;
  int64_t rows = pair.second->rows.rows;
  std::vector<double> rowMax(rows), rowPower(rows);
  double activationNoise = 0;
  for (int64_t c = 0; c < pair.channels; ++c) {
    double s = scales[c], columnEnergy = 0;
    pair.second->forColumn(c, pair.channels, [&](float w, int64_t row) {
      double scaled = std::fabs(w) * s;
      columnEnergy += scaled * scaled;
      rowMax[row] = std::max(rowMax[row], scaled);
      rowPower[row] += st.power[c] / (s * s);
    });
    activationNoise += columnEnergy;
  }
  activationNoise *= step * step / 12;
  double weightNoise = 0;
  for (int64_t row = 0; row < rows; ++row) {
    double weightStep = rowMax[row] / 127;
    weightNoise += weightStep * weightStep / 12 * rowPower[row];
  }
  return activationNoise + weightNoise;
}

/// `scales` rounded to powers of two, so that dividing and multiplying the
/// weights by them is exact in float: the equalized model computes exactly
/// what the original does (a ratio within sqrt(2) of the ideal costs little).
std::vector<double> powersOfTwo(std::vector<double> scales) {
  for (double &s : scales)
    s = std::exp2(std::round(std::log2(s)));
  return scales;
}

/// Scales that make two per-channel ranges meet: s_c = sqrt(a_c / b_c),
/// 1 where either is zero; powers of two.
std::vector<double> meetingScales(ArrayRef<double> a, ArrayRef<double> b) {
  std::vector<double> scales(a.size(), 1.0);
  for (size_t c = 0; c < a.size(); ++c)
    if (a[c] > 0 && b[c] > 0)
      scales[c] = std::sqrt(a[c] / b[c]);
  return powersOfTwo(std::move(scales));
}

/// How the scales of a function's pairs are chosen.
enum class Method { None, Weights, Noise };

StringRef methodName(Method method) {
  return method == Method::None ? "none" : method == Method::Weights ? "weights" : "noise";
}

struct EqualizePass : quantc::impl::QCEqualizeBase<EqualizePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (method != "weights" && method != "noise" && method != "auto") {
      emitError(module.getLoc(), "qc-equalize: unknown method '")
          << method << "' (weights, noise or auto)";
      return signalPassFailure();
    }
    if (method != "weights" && data.empty()) {
      emitError(module.getLoc(), "qc-equalize: method=") << method << " needs data=";
      return signalPassFailure();
    }
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>()))
      if (failed(equalizeFunction(module, func)))
        return signalPassFailure();
  }

  LogicalResult equalizeFunction(ModuleOp module, func::FuncOp func) {
    std::vector<calibration::Sample> samples;
    if (!data.empty()) {
      llvm::Expected<std::vector<calibration::Sample>> loaded =
          calibration::loadCalibrationSet(func, data, maxSamples);
      if (!loaded)
        return emitError(func.getLoc(), toString(loaded.takeError()));
      samples = std::move(*loaded);
    }
    Method chosen = method == "weights" ? Method::Weights : Method::Noise;
    if (method == "auto") {
      // Trials only where there are pairs to rescale.
      FailureOr<std::pair<int64_t, size_t>> found = equalize(func, Method::None, samples);
      if (failed(found) || found->second == 0)
        return success(succeeded(found));
      FailureOr<Method> measured = chooseMethod(module, func, samples);
      if (failed(measured))
        return failure();
      chosen = *measured;
    }
    FailureOr<std::pair<int64_t, size_t>> counts = equalize(func, chosen, samples);
    if (failed(counts))
      return failure();
    if (counts->second)
      emitRemark(func.getLoc()) << "cross-layer equalization: " << counts->first << " of "
                                << counts->second << " layer pairs rescaled";
    return success();
  }

  /// method=auto: equalizes copies of the module each way (or not at all),
  /// quantizes them with the pipeline and keeps the way of least output
  /// noise against the float model on the samples.
  FailureOr<Method> chooseMethod(ModuleOp module, func::FuncOp func,
                                 ArrayRef<calibration::Sample> samples) {
    // Scored on held-out samples where given: on the calibration samples
    // themselves every candidate looks better than it is.
    std::vector<calibration::Sample> scoring;
    if (!scoreData.empty()) {
      llvm::Expected<std::vector<calibration::Sample>> loaded =
          calibration::loadCalibrationSet(func, scoreData, maxSamples);
      if (!loaded)
        return emitError(func.getLoc(), toString(loaded.takeError()));
      scoring = std::move(*loaded);
    } else {
      scoring.assign(samples.begin(), samples.end());
    }
    FailureOr<std::vector<SmallVector<Tensor>>> reference = evaluateSamples(func, scoring);
    if (failed(reference))
      return failure();
    std::string pipeline = quantizePipeline;
    if (pipeline.empty())
      pipeline = "qc-calibrate{data=" + llvm::join(data, ",") + "},qc-quantize";
    std::optional<std::pair<Method, double>> best;
    std::string measuredText;
    for (Method candidate : {Method::None, Method::Weights, Method::Noise}) {
      OwningOpRef<ModuleOp> trial = module.clone();
      auto trialFunc = trial->lookupSymbol<func::FuncOp>(func.getSymName());
      if (failed(equalize(trialFunc, candidate, samples, /*remarks=*/false)) ||
          failed(runTrialPipeline(pipeline, *trial)))
        return failure();
      FailureOr<OutputError> error = measureOutputError(trialFunc, scoring, *reference);
      if (failed(error))
        return failure();
      double relative = error->relativeNoise();
      measuredText += llvm::formatv("{0}{1} {2:e2}", measuredText.empty() ? "" : ", ",
                                    methodName(candidate), relative)
                          .str();
      if (!best || relative < best->second)
        best = {candidate, relative};
    }
    emitRemark(func.getLoc()) << "cross-layer equalization: chose " << methodName(best->first)
                              << " by the quantized model's relative output noise ("
                              << measuredText << ")";
    return best->first;
  }

  /// Equalizes the pairs of `func` by `how`; returns how many pairs were
  /// rescaled and how many there are.
  FailureOr<std::pair<int64_t, size_t>> equalize(func::FuncOp func, Method how,
                                                  ArrayRef<calibration::Sample> samples,
                                                  bool remarks = true) {
    std::deque<LayerWeights> layers;
    DenseMap<Operation *, LayerWeights *> byOp;
    auto layerOf = [&](Operation *op) -> LayerWeights * {
      if (LayerWeights *known = byOp.lookup(op))
        return known;
      std::optional<LayerWeights> loaded = loadLayer(op);
      if (!loaded)
        return nullptr;
      layers.push_back(std::move(*loaded));
      return byOp[op] = &layers.back();
    };
    SmallVector<Pair> pairs;
    func.walk([&](Operation *op) {
      if (std::optional<Pair> pair = matchPair(op, layerOf))
        pairs.push_back(std::move(*pair));
    });
    if (pairs.empty() || how == Method::None)
      return std::make_pair(int64_t(0), pairs.size());
    if (how == Method::Noise && failed(measure(func, pairs, samples)))
      return failure();
    int64_t equalized =
        how == Method::Weights ? equalizeWeightRanges(pairs) : equalizeByNoise(pairs, remarks);
    for (LayerWeights &layer : layers)
      if (layer.changed)
        writeBack(layer);
    return std::make_pair(equalized, pairs.size());
  }

  /// The layer's constant weight (and bias) when it has weight rows.
  static std::optional<LayerWeights> loadLayer(Operation *op) {
    std::optional<WeightRows> rows = getWeightRows(op);
    if (!rows || (isa<GemmOp>(op) && cast<GemmOp>(op).getTransA()))
      return std::nullopt;
    std::optional<Tensor> weight = reference::getConstantValue(op->getOperand(1));
    if (!weight || !weight->isFloat())
      return std::nullopt;
    LayerWeights layer{op, *rows, std::move(*weight), std::nullopt};
    if (op->getNumOperands() > 2) {
      layer.bias = reference::getConstantValue(op->getOperand(2));
      if (!layer.bias || !layer.bias->isFloat() ||
          layer.bias->getNumElements() != rows->rows)
        return std::nullopt;
    }
    return layer;
  }

  /// A pair whose second layer is `op`: its input comes from a layer used
  /// nowhere else, through at most one positively homogeneous function.
  static std::optional<Pair> matchPair(Operation *op,
                                       function_ref<LayerWeights *(Operation *)> layerOf) {
    if (!isa<ConvOp, MatMulOp, GemmOp>(op))
      return std::nullopt;
    Value between = op->getOperand(0);
    Operation *producer = between.getDefiningOp();
    if (!producer || !between.hasOneUse())
      return std::nullopt;
    if (isa<ReluOp, LeakyReluOp, PReluOp>(producer)) {
      if (!producer->getOperand(0).hasOneUse())
        return std::nullopt;
      producer = producer->getOperand(0).getDefiningOp();
    }
    // Channels run along the same axis: conv to conv, or matmul/gemm rows.
    if (!producer || isa<ConvOp>(producer) != isa<ConvOp>(op))
      return std::nullopt;
    LayerWeights *first = layerOf(producer), *second = layerOf(op);
    if (!first || !second || first == second)
      return std::nullopt;
    int64_t channels = first->rows.rows;
    int64_t groups = second->rows.rows / second->rows.rowsPerGroup;
    if (channels % groups || second->rows.reduction % (channels / groups))
      return std::nullopt;
    return Pair{first, second, between, channels, {}};
  }

  /// Per-channel low, high and mean square of every pair's middle tensor.
  LogicalResult measure(func::FuncOp func, MutableArrayRef<Pair> pairs,
                        ArrayRef<calibration::Sample> samples) {
    DenseMap<Value, Pair *> byValue;
    for (Pair &pair : pairs) {
      byValue[pair.between] = &pair;
      pair.stats.low.assign(pair.channels, 0.0);
      pair.stats.high.assign(pair.channels, 0.0);
      pair.stats.power.assign(pair.channels, 0.0);
    }
    auto observe = [&](Value v, const Tensor &t) {
      Pair *pair = byValue.lookup(v);
      if (!pair || !t.isFloat())
        return;
      ArrayRef<int64_t> shape = t.getShape();
      bool conv = isa<ConvOp>(pair->second->op);
      int64_t inner = 1;
      if (conv)
        for (int64_t d : shape.drop_front(2))
          inner *= d;
      ChannelStatistics &st = pair->stats;
      for (int64_t i = 0, e = t.getNumElements(); i < e; ++i) {
        int64_t c = conv ? i / inner % pair->channels : i % pair->channels;
        double x = t.floats()[i];
        st.low[c] = std::min(st.low[c], x);
        st.high[c] = std::max(st.high[c], x);
        st.power[c] += x * x;
      }
      st.count += t.getNumElements() / pair->channels;
    };
    for (const calibration::Sample &sample : samples)
      if (failed(reference::evaluateFunction(func, sample, observe)))
        return failure();
    for (Pair &pair : pairs)
      for (double &p : pair.stats.power)
        p /= std::max<int64_t>(1, pair.stats.count);
    return success();
  }

  /// Without data (Nagel et al.): scales that give row c of the first layer
  /// and column c of the second the same range, repeated over all pairs
  /// until they settle.
  int64_t equalizeWeightRanges(MutableArrayRef<Pair> pairs) {
    DenseSet<Pair *> rescaled;
    for (int64_t round = 0; round < maxRounds; ++round) {
      double largestChange = 0;
      for (Pair &pair : pairs) {
        std::vector<double> firstRanges, secondRanges;
        for (int64_t c = 0; c < pair.channels; ++c) {
          firstRanges.push_back(rowRange(*pair.first, c));
          secondRanges.push_back(columnRange(*pair.second, c, pair.channels));
        }
        std::vector<double> scales = meetingScales(firstRanges, secondRanges);
        for (double s : scales)
          largestChange = std::max(largestChange, std::fabs(std::log(s)));
        if (llvm::any_of(scales, [](double s) { return s != 1.0; })) {
          applyScales(pair, scales);
          rescaled.insert(&pair);
        }
      }
      if (largestChange < 1e-3)
        break;
    }
    return rescaled.size();
  }

  /// With data: for every pair, the candidate scales of least predicted
  /// noise, if any predicts less than the pair as it is: equal weight ranges
  /// (as without data), equal middle-tensor ranges, or the middle tensor's
  /// ranges meeting the second layer's column ranges.
  int64_t equalizeByNoise(MutableArrayRef<Pair> pairs, bool remarks) {
    DenseSet<Pair *> rescaled;
    for (int64_t round = 0; round < maxRounds; ++round) {
      bool any = false;
      for (Pair &pair : pairs) {
        if (!pair.stats.count)
          continue;
        std::vector<double> firstRanges, secondRanges, middleRanges, ones(pair.channels, 1.0);
        for (int64_t c = 0; c < pair.channels; ++c) {
          firstRanges.push_back(rowRange(*pair.first, c));
          secondRanges.push_back(columnRange(*pair.second, c, pair.channels));
          middleRanges.push_back(std::max(-pair.stats.low[c], pair.stats.high[c]));
        }
        double largest = *llvm::max_element(middleRanges);
        std::vector<double> flat(pair.channels, 1.0);
        for (int64_t c = 0; c < pair.channels; ++c)
          flat[c] = std::max(middleRanges[c], 1e-3 * largest) / std::max(largest, 1e-30);
        std::vector<double> candidates[] = {meetingScales(firstRanges, secondRanges),
                                            powersOfTwo(flat),
                                            meetingScales(middleRanges, secondRanges)};
        static constexpr const char *kNames[] = {"weight ranges", "middle ranges",
                                                 "middle and weight ranges"};
        double before = predictedNoise(pair, ones), best = before;
        int chosen = -1;
        for (auto [i, scales] : llvm::enumerate(candidates)) {
          double noise = predictedNoise(pair, scales);
          // A clear gain only: the prediction is a model, not a measurement.
          if (noise < 0.95 * best) {
            best = noise;
            chosen = i;
          }
        }
        if (chosen < 0)
          continue;
        applyScales(pair, candidates[chosen]);
        if (remarks)
          emitRemark(pair.second->op->getLoc())
            << "equalized with " << layerName(pair.first->op) << " ("
            << kNames[chosen] << "): predicted quantization noise "
            << llvm::formatv("{0:F1}", 10 * std::log10(best / before)) << " dB";
        rescaled.insert(&pair);
        any = true;
      }
      if (!any)
        break;
    }
    return rescaled.size();
  }

  /// New constants for a rescaled layer's weight and bias.
  static void writeBack(LayerWeights &layer) {
    Operation *op = layer.op;
    OpBuilder b(op);
    std::string name = getNodeName(op->getLoc());
    auto replace = [&](unsigned index, const Tensor &values, StringRef suffix) {
      Value old = op->getOperand(index);
      auto type = cast<RankedTensorType>(old.getType());
      op->setOperand(index, ConstantOp::create(b, op->getLoc(),
                                               values.toAttr(type, name + suffix.str())));
      if (old.use_empty())
        old.getDefiningOp()->erase();
    };
    replace(1, layer.weight, ".weight");
    if (layer.bias)
      replace(2, *layer.bias, ".bias");
  }
};
} // namespace
