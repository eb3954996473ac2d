//===- PrecisionRules.cpp - layer precisions from rules ---------*- C++ -*-===//
#include "PrecisionRules.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
FailureOr<Type> parsePrecisionType(MLIRContext *ctx, StringRef name) {
  Builder b(ctx);
  if (name == "f32")
    return Type(b.getF32Type());
  if (name == "bf16")
    return Type(b.getBF16Type());
  if (name == "f16")
    return Type(b.getF16Type());
  if (name == "i4" || name == "i8" || name == "i16")
    return Type(b.getIntegerType(std::stoi(name.drop_front().str())));
  return failure();
}

} // namespace

LogicalResult qc::parseFields(MLIRContext *ctx,
                          llvm::function_ref<std::optional<StringRef>(StringRef)> get,
                          std::optional<int64_t> groupSize,
                          PrecisionFields &fields, std::string &error) {
  auto type = [&](StringRef key, std::optional<Type> &out) {
    if (std::optional<StringRef> v = get(key)) {
      FailureOr<Type> t = parsePrecisionType(ctx, *v);
      if (failed(t)) {
        error = (key + " precision '" + *v + "' is not one of f32, bf16, f16, "
                 "i16, i8, i4").str();
        return false;
      }
      out = *t;
    }
    return true;
  };
  if (!type("activation", fields.activation) || !type("weight", fields.weight))
    return failure();
  if (std::optional<StringRef> v = get("granularity")) {
    fields.granularity = symbolizeGranularity(*v);
    if (!fields.granularity) {
      error = ("granularity '" + *v + "' is not per_tensor, per_channel or "
               "per_group").str();
      return failure();
    }
  }
  if (std::optional<StringRef> v = get("scheme")) {
    fields.scheme = symbolizeScheme(*v);
    if (!fields.scheme) {
      error = ("scheme '" + *v + "' is not symmetric or asymmetric").str();
      return failure();
    }
  }
  fields.groupSize = groupSize;
  return success();
}

std::optional<LayerInfo> qc::getLayerInfo(Operation *op) {
  // A convolution's groups run along its input channels (each scale covers
  // group_size channels of one output channel's whole window).
  // 3-d convolutions stay float: the integer kernels are 1-d and 2-d
  // (quantc's pipeline makes them 2-d first, qc-decompose-conv3d).
  if (auto conv = dyn_cast<ConvOp>(op))
    return conv.getType().getRank() <= 4 ? std::optional(LayerInfo{1, 0, 1, {0}}) : std::nullopt;
  if (auto matmul = dyn_cast<MatMulOp>(op)) {
    int64_t rank = matmul.getRhs().getType().getRank();
    if (rank < 2 || matmul.getLhs().getType().getRank() < 2)
      return std::nullopt;
    return LayerInfo{1, rank - 1, rank - 2, {0}};
  }
  if (auto gemm = dyn_cast<GemmOp>(op)) {
    bool transB = gemm.getTransB();
    return LayerInfo{1, transB ? 0 : 1, transB ? 1 : 0, {0}};
  }
  return std::nullopt;
}

std::string qc::layerName(Operation *op) {
  std::string name = getNodeName(op->getLoc());
  return name.empty() ? op->getName().getStringRef().str() : name;
}

/// The ONNX op type a layer came from.
static StringRef getOnnxOpType(Operation *op) {
  if (isa<ConvOp>(op))
    return "Conv";
  if (isa<MatMulOp>(op))
    return "MatMul";
  return "Gemm";
}

bool qc::PrecisionRule::matches(Operation *op, StringRef nodeName) const {
  if (name) {
    llvm::Expected<llvm::GlobPattern> pattern = llvm::GlobPattern::create(*name);
    if (pattern && pattern->match(nodeName))
      return true;
    llvm::consumeError(pattern.takeError());
  }
  return !opType.empty() && opType == getOnnxOpType(op);
}

FailureOr<std::vector<PrecisionRule>> qc::readRules(MLIRContext *ctx,
                                                StringRef path,
                                                std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = "cannot read override file '" + path.str() +
            "': " + buffer.getError().message();
    return failure();
  }
  llvm::Expected<llvm::json::Value> root =
      llvm::json::parse((*buffer)->getBuffer());
  if (!root) {
    error = "override file '" + path.str() +
            "' is not JSON: " + llvm::toString(root.takeError());
    return failure();
  }
  const llvm::json::Object *object = root->getAsObject();
  const llvm::json::Array *rules = object ? object->getArray("rules") : nullptr;
  if (!rules) {
    error = "override file '" + path.str() + "' needs a \"rules\" list";
    return failure();
  }
  std::vector<PrecisionRule> result;
  for (const llvm::json::Value &value : *rules) {
    const llvm::json::Object *r = value.getAsObject();
    std::string where = "override file '" + path.str() + "': rule " +
                        std::to_string(result.size()) + ": ";
    if (!r || (!r->getString("name") && !r->getString("op_type"))) {
      error = where + "needs \"name\" or \"op_type\"";
      return failure();
    }
    PrecisionRule rule;
    if (std::optional<StringRef> name = r->getString("name")) {
      auto pattern = llvm::GlobPattern::create(*name);
      if (!pattern) {
        error = where + llvm::toString(pattern.takeError());
        return failure();
      }
      rule.name = name->str();
    }
    rule.opType = r->getString("op_type").value_or("").str();
    if (failed(parseFields(
            ctx, [&](StringRef key) { return r->getString(key); },
            r->getInteger("group_size"), rule.fields, error))) {
      error = where + error;
      return failure();
    }
    result.push_back(std::move(rule));
  }
  return result;
}

void qc::applyFields(const PrecisionFields &from, PrecisionFields &to) {
  if (from.activation)
    to.activation = from.activation;
  if (from.weight)
    to.weight = from.weight;
  if (from.granularity)
    to.granularity = from.granularity;
  if (from.scheme)
    to.scheme = from.scheme;
  if (from.groupSize)
    to.groupSize = from.groupSize;
}

int64_t qc::WeightGrid::level(float w, const WeightFormat &format) const {
  return quantizeValue(w, scale, zeroPoint, format.qmin(), format.qmax(),
                       RoundingMode::HalfToEven);
}

bool qc::takesWeightZeroPoints(PrecisionAttr precision, StringRef weightScheme) {
  return weightScheme == "asymmetric" && isa<IntegerType>(precision.getWeight()) &&
         isa<FloatType>(precision.getActivation());
}

namespace {
/// Squared error of rounding `values` to `grid`, each value's weighted by
/// its `importance` when given (one per value).
double quantizationError(ArrayRef<float> values, const WeightGrid &grid,
                         const WeightFormat &format, ArrayRef<double> importance) {
  double error = 0;
  for (auto [i, v] : llvm::enumerate(values)) {
    double d = v - grid.value(grid.level(v, format));
    error += d * d * (importance.empty() ? 1.0 : importance[i]);
  }
  return error;
}

/// The grid mapping [lo, hi] (lo <= 0 <= hi) onto [qmin, qmax], scale in f32.
WeightGrid asymmetricGrid(double lo, double hi, const WeightFormat &format) {
  WeightGrid grid;
  grid.scale = static_cast<float>((hi - lo) / (format.qmax() - format.qmin()));
  if (!(grid.scale > 0)) // all zeros, or a range below f32's least scale
    return WeightGrid{1.0, 0};
  grid.zeroPoint = std::clamp<int64_t>(
      roundToInt(format.qmin() - lo / grid.scale, RoundingMode::HalfToEven), format.qmin(),
      format.qmax());
  return grid;
}

/// The grid of least (weighted) squared error among `candidates`.
WeightGrid leastError(ArrayRef<float> values, ArrayRef<WeightGrid> candidates,
                      const WeightFormat &format, ArrayRef<double> importance) {
  WeightGrid best = candidates.front();
  double bestError = quantizationError(values, best, format, importance);
  for (const WeightGrid &candidate : candidates.drop_front()) {
    double error = quantizationError(values, candidate, format, importance);
    if (error < bestError) {
      bestError = error;
      best = candidate;
    }
  }
  return best;
}
} // namespace

/// Symmetric `mse` tries the half-step finer scale that maps [-|w| max,
/// |w| max] onto [qmin - 0.5, qmax + 0.5] and scales shrunk by up to 20 %;
/// asymmetric `mse` shrinks both ends of the range by up to 20 %.
WeightGrid qc::chooseWeightGrid(ArrayRef<float> values, const WeightFormat &format,
                                ArrayRef<double> importance) {
  constexpr int kShrinkSteps = 20; // 1 % each
  if (format.asymmetric) {
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    double low = values.empty() ? 0.0 : std::min<double>(*lo, 0.0);
    double high = values.empty() ? 0.0 : std::max<double>(*hi, 0.0);
    if (!format.mse)
      return asymmetricGrid(low, high, format);
    SmallVector<WeightGrid> candidates;
    for (int k = 0; k <= kShrinkSteps; ++k)
      candidates.push_back(asymmetricGrid(low * (1 - 0.01 * k), high * (1 - 0.01 * k), format));
    return leastError(values, candidates, format, importance);
  }
  double absMax = 0;
  for (float v : values)
    absMax = std::max<double>(absMax, std::fabs(v));
  if (absMax == 0)
    return WeightGrid{1.0, 0};
  int64_t qmax = format.qmax();
  SmallVector<WeightGrid> candidates = {{static_cast<float>(absMax / qmax), 0}};
  if (!format.mse)
    return candidates.front();
  candidates.push_back({static_cast<float>(absMax / (qmax + 0.5)), 0});
  for (int k = 1; k <= kShrinkSteps; ++k)
    candidates.push_back({static_cast<float>(absMax / qmax * (1 - 0.01 * k)), 0});
  return leastError(values, candidates, format, importance);
}
