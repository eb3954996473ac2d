//===- Sensitivity.cpp - cached and predicted layer sensitivities -*- C++ -*-===//
#include "Sensitivity.h"
#include "PrecisionRules.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <cmath>
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

namespace {
/// A hash that is the same in every run (xxh3 of each piece, chained).
class Fingerprint {
public:
  template <typename T>
  void add(ArrayRef<T> values) {
    uint64_t piece = llvm::xxh3_64bits(ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(values.data()), values.size() * sizeof(T)));
    uint64_t chain[2] = {hash, piece};
    hash = llvm::xxh3_64bits(ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(chain),
                                               sizeof(chain)));
  }
  void add(StringRef text) { add(ArrayRef<char>(text.data(), text.size())); }
  std::string str() const { return llvm::utohexstr(hash); }

private:
  uint64_t hash = 0;
};

} // namespace

std::string qc::fingerprint(func::FuncOp func, ArrayRef<calibration::Sample> samples) {
  Fingerprint hash;
  func.walk([&](Operation *op) {
    hash.add(op->getName().getStringRef());
    if (auto range = op->getAttrOfType<DenseF64ArrayAttr>("qc.range"))
      hash.add(range.asArrayRef());
    auto constant = dyn_cast<ConstantOp>(op);
    if (!constant)
      return;
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
      hash.add(dense.getRawData());
    else if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
        hash.add(blob->getData());
  });
  for (const calibration::Sample &sample : samples)
    for (const Tensor &t : sample)
      t.isFloat() ? hash.add(t.floats()) : hash.add(t.ints());
  return hash.str();
}


SensitivityCache::SensitivityCache(StringRef path, std::string fingerprint)
    : path(path), fingerprint(std::move(fingerprint)) {
  if (path.empty())
    return;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return;
  llvm::Expected<llvm::json::Value> json = llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    llvm::consumeError(json.takeError());
    return;
  }
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *errors = root ? root->getObject("errors") : nullptr;
  if (!errors || root->getString("fingerprint") != this->fingerprint)
    return;
  for (const auto &[key, value] : *errors)
    if (std::optional<double> e = value.getAsNumber())
      entries[key.str()] = *e;
}

std::optional<double> SensitivityCache::lookup(const std::string &key) const {
  auto it = entries.find(key);
  return it == entries.end() ? std::nullopt : std::optional<double>(it->second);
}

void SensitivityCache::store(const std::string &key, double error) {
  entries[key] = error;
  dirty = true;
}

LogicalResult SensitivityCache::save(Location loc) const {
  if (path.empty() || !dirty)
    return success();
  llvm::json::Object errors;
  for (const auto &[key, error] : entries)
    errors[key] = error;
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return emitError(loc, "cannot write the sensitivity cache '") << path << "': "
                                                                  << ec.message();
  out.os() << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                         {"fingerprint", fingerprint},
                                         {"errors", std::move(errors)}}));
  out.keep();
  return success();
}

namespace {
/// The axis of a layer's activation that its weights' input channels run
/// along.
int64_t activationChannelAxis(Operation *op) {
  if (isa<ConvOp>(op))
    return 1;
  if (auto gemm = dyn_cast<GemmOp>(op))
    return gemm.getTransA() ? 0 : 1;
  return cast<ShapedType>(op->getOperand(0).getType()).getRank() - 1;
}

/// The input channel each weight element multiplies, and its output channel.
void weightChannels(Operation *op, ArrayRef<int64_t> shape,
                    SmallVectorImpl<std::pair<int64_t, int64_t>> &channels) {
  SmallVector<int64_t> strides = reference::computeStrides(shape);
  int64_t n = ShapedType::getNumElements(shape);
  LayerInfo info = *getLayerInfo(op);
  int64_t inputAxis = info.reductionAxis;
  int64_t groups = 1, perGroup = shape[info.channelAxis];
  if (auto conv = dyn_cast<ConvOp>(op)) {
    groups = conv.getGroup();
    perGroup = shape[0] / groups;
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t out = (i / strides[info.channelAxis]) % shape[info.channelAxis];
    int64_t in = (i / strides[inputAxis]) % shape[inputAxis];
    if (groups > 1)
      in += (out / perGroup) * shape[1];
    channels.push_back({out, in});
  }
}


/// w - Q(w) for every weight at precision `p` (minmax grids per block, as
/// qc-quantize chooses them, with zero points when `zeroPoints`; bf16
/// rounding for bf16).
std::vector<float> weightError(Operation *op, const Tensor &w, PrecisionAttr p,
                               bool zeroPoints) {
  std::vector<float> error(w.getNumElements(), 0.0f);
  Type weight = p.getWeight();
  if (auto floatType = dyn_cast<FloatType>(weight)) {
    if (floatType.isF32())
      return error;
    for (int64_t i = 0; i < w.getNumElements(); ++i) {
      APFloat v(w.floats()[i]);
      bool lost;
      v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      error[i] = w.floats()[i] - v.convertToFloat();
    }
    return error;
  }
  LayerInfo info = *getLayerInfo(op);
  SmallVector<int64_t> blockShape(w.getShape());
  if (p.getGranularity() != Granularity::PerTensor)
    blockShape[info.channelAxis] = 1;
  if (p.getGranularity() == Granularity::PerGroup)
    blockShape[info.reductionAxis] = p.getGroupSize();
  QuantLayout layout;
  layout.blockShape = blockShape;
  for (auto [size, block] : llvm::zip(w.getShape(), blockShape))
    layout.paramShape.push_back(size / block);
  SmallVector<int64_t> blocks = layout.blockIndices(w.getShape());
  int64_t numBlocks = 1;
  for (int64_t d : layout.paramShape)
    numBlocks *= d;
  std::vector<std::vector<float>> values(numBlocks);
  for (int64_t i = 0; i < w.getNumElements(); ++i)
    values[blocks[i]].push_back(w.floats()[i]);
  WeightFormat format{weight.getIntOrFloatBitWidth(), /*mse=*/false, zeroPoints};
  std::vector<WeightGrid> grids;
  for (const std::vector<float> &block : values)
    grids.push_back(chooseWeightGrid(block, format));
  for (int64_t i = 0; i < w.getNumElements(); ++i) {
    const WeightGrid &grid = grids[blocks[i]];
    error[i] = w.floats()[i] - static_cast<float>(grid.value(grid.level(w.floats()[i], format)));
  }
  return error;
}
} // namespace

FailureOr<std::vector<LayerEnergy>>
qc::measureLayerEnergies(func::FuncOp func, ArrayRef<calibration::Sample> samples,
                       ArrayRef<Operation *> layers) {
  std::vector<LayerEnergy> energies(layers.size());
  DenseMap<Value, SmallVector<size_t>> readers, writers;
  for (auto [i, layer] : llvm::enumerate(layers)) {
    readers[layer->getOperand(0)].push_back(i);
    writers[layer->getResult(0)].push_back(i);
  }
  auto observe = [&](Value v, const Tensor &t) {
    if (!t.isFloat())
      return;
    for (size_t i : readers.lookup(v)) {
      LayerEnergy &e = energies[i];
      int64_t axis = activationChannelAxis(layers[i]);
      int64_t size = t.getShape()[axis];
      int64_t stride = reference::computeStrides(t.getShape())[axis];
      e.channel.resize(size, 0.0);
      e.counts.resize(size, 0);
      for (int64_t j = 0; j < t.getNumElements(); ++j) {
        int64_t c = (j / stride) % size;
        e.channel[c] += double(t.floats()[j]) * t.floats()[j];
        ++e.counts[c];
      }
    }
    for (size_t i : writers.lookup(v)) {
      for (float y : t.floats())
        energies[i].output += double(y) * y;
      energies[i].outputCount += t.getNumElements();
    }
  };
  for (const calibration::Sample &sample : samples) {
    for (auto [arg, tensor] : llvm::zip(func.getArguments(), sample))
      observe(arg, tensor);
    if (failed(reference::evaluateFunction(func, sample, observe)))
      return failure();
  }
  for (auto [layer, energy] : llvm::zip(layers, energies)) {
    energy.weight = reference::getConstantValue(
        layer->getOperand(getLayerInfo(layer)->weightOperand));
    if (energy.weight)
      weightChannels(layer, energy.weight->getShape(), energy.weightChannels);
  }
  return energies;
}

double qc::proxyError(Operation *layer, const LayerEnergy &energy, PrecisionAttr p,
                      bool zeroPoints) {
  bool isFloat32 = p.getActivation().isF32() && p.getWeight().isF32();
  if (isFloat32 || energy.outputCount == 0 || energy.output == 0)
    return 0;
  const std::optional<Tensor> &w = energy.weight;
  if (!w)
    return 0;
  ArrayRef<std::pair<int64_t, int64_t>> channels = energy.weightChannels;
  std::vector<float> error = weightError(layer, *w, p, zeroPoints);
  LayerInfo info = *getLayerInfo(layer);
  int64_t outputs = w->getShape()[info.channelAxis];
  // Rounding noise of 8-bit activations: step^2 / 12 on every input.
  auto roundingNoise = [](Value v) {
    DenseF64ArrayAttr range = getCalibratedRange(v);
    if (!range)
      return 0.0;
    double step = (std::max(range[1], 0.0) - std::min(range[0], 0.0)) / 255;
    return step * step / 12;
  };
  bool integerActivations = p.hasIntegerActivations();
  double inputNoise = integerActivations ? roundingNoise(layer->getOperand(0)) : 0;
  double noise = 0;
  for (int64_t i = 0; i < w->getNumElements(); ++i) {
    auto [out, in] = channels[i];
    double x2 = in < (int64_t)energy.channel.size() && energy.counts[in]
                    ? energy.channel[in] / energy.counts[in]
                    : 0;
    double wi = w->floats()[i];
    noise += x2 * double(error[i]) * error[i] + inputNoise * wi * wi;
  }
  noise /= outputs;
  if (integerActivations)
    noise += roundingNoise(layer->getResult(0));
  return noise / (energy.output / energy.outputCount);
}

/// KL(softmax(p) || softmax(q)) of two rows of logits, in f64.
static double klDivergence(ArrayRef<float> p, ArrayRef<float> q) {
  auto logSumExp = [](ArrayRef<float> v) {
    double top = *std::max_element(v.begin(), v.end()), sum = 0;
    for (float x : v)
      sum += std::exp(double(x) - top);
    return top + std::log(sum);
  };
  double lp = logSumExp(p), lq = logSumExp(q), kl = 0;
  for (auto [x, y] : llvm::zip(p, q)) {
    double logP = double(x) - lp;
    kl += std::exp(logP) * (logP - (double(y) - lq));
  }
  return std::max(kl, 0.0);
}

void qc::OutputError::add(ArrayRef<Tensor> actual, ArrayRef<Tensor> expected) {
  for (auto [a, e] : llvm::zip(actual, expected))
    for (auto [x, y] : llvm::zip(a.floats(), e.floats())) {
      signal += double(y) * y;
      noise += (double(x) - y) * (double(x) - y);
    }
  if (expected.empty() || expected.front().getRank() == 0)
    return;
  ArrayRef<float> a = actual.front().floats(), e = expected.front().floats();
  int64_t classes = expected.front().getShape().back();
  for (int64_t start = 0; classes > 0 && start + classes <= int64_t(e.size());
       start += classes) {
    auto top = [&](ArrayRef<float> v) {
      ArrayRef<float> row = v.slice(start, classes);
      return std::max_element(row.begin(), row.end()) - row.begin();
    };
    mismatches += top(a) != top(e);
    divergence += klDivergence(e.slice(start, classes), a.slice(start, classes));
    ++positions;
  }
}

FailureOr<std::vector<SmallVector<Tensor>>>
qc::evaluateSamples(func::FuncOp func, ArrayRef<calibration::Sample> samples) {
  std::vector<SmallVector<Tensor>> outputs;
  for (const calibration::Sample &sample : samples) {
    FailureOr<SmallVector<Tensor>> result = reference::evaluateFunction(func, sample);
    if (failed(result))
      return failure();
    outputs.push_back(std::move(*result));
  }
  return outputs;
}

FailureOr<OutputError> qc::measureOutputError(func::FuncOp func,
                                              ArrayRef<calibration::Sample> samples,
                                              ArrayRef<SmallVector<Tensor>> expected) {
  OutputError error;
  for (auto [sample, want] : llvm::zip(samples, expected)) {
    FailureOr<SmallVector<Tensor>> outputs = reference::evaluateFunction(func, sample);
    if (failed(outputs))
      return failure();
    error.add(*outputs, want);
  }
  return error;
}
