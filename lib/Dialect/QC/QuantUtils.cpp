//===- QuantUtils.cpp - quantization arithmetic shared by qc ----*- C++ -*-===//
#include "quantc/Dialect/QC/QuantUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseSet.h"
#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

quant::QuantizedType qc::getQuantizedType(Type t) {
  if (auto shaped = dyn_cast<ShapedType>(t))
    t = shaped.getElementType();
  return dyn_cast<quant::QuantizedType>(t);
}

quant::UniformQuantizedType qc::getUniformType(Type t) {
  return dyn_cast_or_null<quant::UniformQuantizedType>(getQuantizedType(t));
}

/// Zero points of a sub-channel type as integers of the storage type: the
/// attribute may hold them wider than the storage (a parsed type) or in its
/// width (a built one), and upstream prints unsigned ones as signed, so only
/// the low `width` bits count.
static void appendZeroPoints(DenseElementsAttr attr, unsigned width,
                             bool isSigned, SmallVectorImpl<int64_t> &out) {
  int64_t modulus = int64_t(1) << width;
  for (const APInt &v : attr.getValues<APInt>()) {
    int64_t low = v.getSExtValue() & (modulus - 1);
    out.push_back(isSigned && low >= modulus / 2 ? low - modulus : low);
  }
}

FailureOr<QuantLayout>
QuantLayout::get(quant::QuantizedType type, ArrayRef<int64_t> shape,
                 function_ref<InFlightDiagnostic()> emitError) {
  QuantLayout layout;
  layout.qmin = type.getStorageTypeMin();
  layout.qmax = type.getStorageTypeMax();
  int64_t rank = shape.size();
  layout.blockShape.assign(shape.begin(), shape.end());
  layout.paramShape.assign(rank, 1);
  if (auto uniform = dyn_cast<quant::UniformQuantizedType>(type)) {
    layout.scales.push_back(uniform.getScale());
    layout.zeroPoints.push_back(uniform.getZeroPoint());
    return layout;
  }
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(type)) {
    int64_t axis = perAxis.getQuantizedDimension();
    if (axis >= rank)
      return emitError() << "quantized dimension " << axis
                         << " is out of range for rank " << rank;
    if ((int64_t)perAxis.getScales().size() != shape[axis])
      return emitError() << "per-axis type has " << perAxis.getScales().size()
                         << " scales for dimension " << axis << " of size "
                         << shape[axis];
    layout.scales.assign(perAxis.getScales().begin(), perAxis.getScales().end());
    layout.zeroPoints.assign(perAxis.getZeroPoints().begin(),
                             perAxis.getZeroPoints().end());
    layout.blockShape[axis] = 1;
    layout.paramShape[axis] = shape[axis];
    return layout;
  }
  auto sub = dyn_cast<quant::UniformQuantizedSubChannelType>(type);
  if (!sub)
    return emitError() << "unsupported quantized type " << type;
  ArrayRef<int64_t> scaleShape = sub.getScales().getType().getShape();
  if ((int64_t)scaleShape.size() != rank)
    return emitError() << "sub-channel scales have rank " << scaleShape.size()
                       << ", tensor has rank " << rank;
  for (int64_t d = 0; d < rank; ++d) {
    if (scaleShape[d] < 1 || shape[d] % scaleShape[d] != 0)
      return emitError() << "dimension " << d << " of size " << shape[d]
                         << " is not a whole number of " << scaleShape[d]
                         << " blocks";
    layout.paramShape[d] = scaleShape[d];
    layout.blockShape[d] = shape[d] / scaleShape[d];
  }
  for (const APFloat &s : sub.getScales().getValues<APFloat>())
    layout.scales.push_back(s.convertToDouble());
  appendZeroPoints(sub.getZeroPoints(), sub.getStorageTypeIntegralWidth(),
                   sub.isSigned(), layout.zeroPoints);
  return layout;
}

FailureOr<QuantLayout> QuantLayout::get(Type tensorType) {
  auto shaped = dyn_cast<RankedTensorType>(tensorType);
  quant::QuantizedType type = getQuantizedType(tensorType);
  if (!shaped || !type)
    return failure();
  ScopedDiagnosticHandler silence(type.getContext(),
                                  [](Diagnostic &) { return success(); });
  return get(type, shaped.getShape(), [&] {
    return emitError(UnknownLoc::get(type.getContext()));
  });
}

SmallVector<int64_t> QuantLayout::blockIndices(ArrayRef<int64_t> shape) const {
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  SmallVector<int64_t> result(total, 0);
  if (isPerTensor())
    return result;
  int64_t rank = shape.size();
  SmallVector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t block = 0;
    for (int64_t d = 0; d < rank; ++d)
      block = block * paramShape[d] + index[d] / blockShape[d];
    result[i] = block;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return result;
}

double qc::getPadFill(PadOp op) {
  float value = op.getValue().convertToFloat();
  if (auto q = getUniformType(op.getType()))
    return quantizeValue(value, q.getScale(), q.getZeroPoint(),
                         q.getStorageTypeMin(), q.getStorageTypeMax(),
                         RoundingMode::HalfToEven);
  return value;
}

int64_t qc::roundToInt(double value, RoundingMode mode) {
  if (mode == RoundingMode::HalfToEven)
    return static_cast<int64_t>(std::nearbyint(value));
  return static_cast<int64_t>(std::round(value));
}

int64_t qc::quantizeValue(float x, double scale, int64_t zeroPoint,
                          int64_t qmin, int64_t qmax, RoundingMode mode) {
  // Divide in f32 as ONNX QuantizeLinear does, so QDQ models agree exactly.
  float scaled = x / static_cast<float>(scale);
  if (std::isnan(scaled))
    return std::clamp<int64_t>(zeroPoint, qmin, qmax);
  double clamped = std::clamp<double>(scaled, -4e18, 4e18);
  return std::clamp<int64_t>(roundToInt(clamped, mode) + zeroPoint, qmin, qmax);
}

quant::UniformQuantizedType qc::getActivationType(MLIRContext *ctx, double lo,
                                                 double hi, unsigned bits,
                                                 bool symmetric) {
  int64_t qmax = (int64_t(1) << (bits - 1)) - 1;
  int64_t qmin = symmetric ? -qmax : -qmax - 1;
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  double scale = symmetric ? std::max(-lo, hi) / qmax : (hi - lo) / (qmax - qmin);
  scale = static_cast<float>(scale);
  if (!(scale > 0) || !std::isfinite(scale))
    scale = 1.0;
  int64_t zeroPoint = 0;
  if (!symmetric)
    zeroPoint = std::clamp<int64_t>(
        static_cast<int64_t>(std::nearbyint(qmin - lo / scale)), qmin, qmax);
  return quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(ctx, bits),
      Float32Type::get(ctx), scale, zeroPoint, qmin, qmax);
}

FailureOr<FixedPointMultiplier> qc::getFixedPointMultiplier(double realScale) {
  if (!std::isfinite(realScale) || realScale < 0)
    return failure();
  if (realScale == 0)
    return FixedPointMultiplier{};
  int exponent = 0;
  double mantissa = std::frexp(realScale, &exponent);
  int64_t m = static_cast<int64_t>(std::llround(mantissa * (1ll << 31)));
  if (m == (1ll << 31)) {
    m /= 2;
    ++exponent;
  }
  int32_t shift = -exponent;
  if (31 + shift < 1 || 31 + shift > 62)
    return failure();
  return FixedPointMultiplier{static_cast<int32_t>(m), shift};
}

/// gemmlowp's SaturatingRoundingDoublingHighMul.
static int32_t roundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN)
    return INT32_MAX;
  int64_t ab = static_cast<int64_t>(a) * b;
  int64_t nudge = ab >= 0 ? (1ll << 30) : 1 - (1ll << 30);
  return static_cast<int32_t>((ab + nudge) / (1ll << 31));
}

/// gemmlowp's RoundingDivideByPOT: ties away from zero.
static int32_t roundingDivideByPOT(int32_t x, int exponent) {
  if (exponent == 0)
    return x;
  int32_t mask = static_cast<int32_t>((1ll << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int64_t qc::applyMultiplier(int64_t value, int32_t multiplier, int32_t shift,
                            RoundingMode mode) {
  if (mode == RoundingMode::DoubleRound) {
    int leftShift = shift < 0 ? -shift : 0;
    int rightShift = shift > 0 ? shift : 0;
    int64_t shifted = std::clamp<int64_t>(value * (1ll << leftShift),
                                          INT32_MIN, INT32_MAX);
    return roundingDivideByPOT(
        roundingDoublingHighMul(static_cast<int32_t>(shifted), multiplier),
        rightShift);
  }
  __int128 product = static_cast<__int128>(value) * multiplier;
  int totalShift = 31 + shift;
  __int128 half = static_cast<__int128>(1) << (totalShift - 1);
  if (mode == RoundingMode::HalfUp) // an arithmetic shift floors
    return static_cast<int64_t>((product + half) >> totalShift);
  bool negative = product < 0;
  __int128 magnitude = negative ? -product : product;
  __int128 quotient = magnitude >> totalShift;
  __int128 remainder = magnitude - (quotient << totalShift);
  bool up = remainder > half ||
            (remainder == half && (mode == RoundingMode::HalfAwayFromZero ||
                                   (quotient & 1)));
  quotient += up ? 1 : 0;
  return static_cast<int64_t>(negative ? -quotient : quotient);
}

static constexpr StringLiteral kResultRanges = "qc.result_ranges";
static constexpr StringLiteral kRegionRanges = "qc.region_ranges";

/// Where the range of `v` is kept among the entries of an array attribute
/// on `holder` (a multi-result op or a region's parent): the entry list,
/// its length and the index of `v`.
struct RangeSlot {
  Operation *holder;
  StringLiteral name;
  unsigned region; // for region arguments
  unsigned index;
};

static std::optional<RangeSlot> getRangeSlot(Value v) {
  if (auto result = dyn_cast<OpResult>(v)) {
    if (result.getOwner()->getNumResults() == 1)
      return std::nullopt;
    return RangeSlot{result.getOwner(), kResultRanges, 0, result.getResultNumber()};
  }
  auto arg = cast<BlockArgument>(v);
  Operation *parent = arg.getOwner()->getParentOp();
  if (!parent || isa<func::FuncOp>(parent))
    return std::nullopt;
  return RangeSlot{parent, kRegionRanges, arg.getOwner()->getParent()->getRegionNumber(),
                   arg.getArgNumber()};
}

/// The entries of the slot's list, sized to what it holds now (a pass that
/// drops a result or a region argument leaves a list that no longer fits,
/// which then reads as no range rather than a wrong one).
static ArrayAttr getSlotEntries(const RangeSlot &slot) {
  auto all = slot.holder->getAttrOfType<ArrayAttr>(slot.name);
  if (!all)
    return {};
  if (slot.name == kResultRanges)
    return all.size() == slot.holder->getNumResults() ? all : ArrayAttr();
  if (all.size() != slot.holder->getNumRegions())
    return {};
  auto entries = dyn_cast<ArrayAttr>(all[slot.region]);
  Region &region = slot.holder->getRegion(slot.region);
  return entries && !region.empty() && entries.size() == region.getNumArguments()
             ? entries
             : ArrayAttr();
}

DenseF64ArrayAttr qc::getCalibratedRange(Value v) {
  DenseF64ArrayAttr range;
  if (std::optional<RangeSlot> slot = getRangeSlot(v)) {
    if (ArrayAttr entries = getSlotEntries(*slot))
      range = dyn_cast<DenseF64ArrayAttr>(entries[slot->index]);
  } else if (Operation *def = v.getDefiningOp()) {
    range = def->getAttrOfType<DenseF64ArrayAttr>("qc.range");
  } else {
    auto func = cast<func::FuncOp>(cast<BlockArgument>(v).getOwner()->getParentOp());
    range = func.getArgAttrOfType<DenseF64ArrayAttr>(
        cast<BlockArgument>(v).getArgNumber(), "qc.range");
  }
  return range && range.size() == 2 ? range : DenseF64ArrayAttr();
}

void qc::setCalibratedRange(Value v, DenseF64ArrayAttr range) {
  std::optional<RangeSlot> slot = getRangeSlot(v);
  if (!slot) {
    if (Operation *def = v.getDefiningOp())
      def->setAttr("qc.range", range);
    else
      cast<func::FuncOp>(cast<BlockArgument>(v).getOwner()->getParentOp())
          .setArgAttr(cast<BlockArgument>(v).getArgNumber(), "qc.range", range);
    return;
  }
  Builder b(v.getContext());
  auto update = [&](ArrayAttr entries, unsigned size) {
    SmallVector<Attribute> list(size, b.getUnitAttr());
    if (entries)
      list.assign(entries.begin(), entries.end());
    list[slot->index] = range;
    return b.getArrayAttr(list);
  };
  Operation *holder = slot->holder;
  if (slot->name == kResultRanges) {
    holder->setAttr(kResultRanges, update(getSlotEntries(*slot), holder->getNumResults()));
    return;
  }
  SmallVector<Attribute> regions;
  for (Region &region : holder->getRegions())
    regions.push_back(b.getArrayAttr(SmallVector<Attribute>(
        region.empty() ? 0 : region.getNumArguments(), b.getUnitAttr())));
  if (auto all = holder->getAttrOfType<ArrayAttr>(kRegionRanges);
      all && all.size() == regions.size())
    regions.assign(all.begin(), all.end());
  regions[slot->region] = update(getSlotEntries(*slot),
                                 holder->getRegion(slot->region).getNumArguments());
  holder->setAttr(kRegionRanges, b.getArrayAttr(regions));
}

LogicalResult qc::collectElementwiseRegion(Value root,
                                           SmallVectorImpl<Operation *> &region,
                                           DequantizeOp &source) {
  ArrayRef<int64_t> shape = cast<ShapedType>(root.getType()).getShape();
  SmallVector<Value> worklist = {root};
  DenseSet<Operation *> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (auto dq = dyn_cast_or_null<DequantizeOp>(def)) {
      if (v == root || (source && source != dq) ||
          cast<ShapedType>(v.getType()).getShape() != shape)
        return failure();
      source = dq;
      continue;
    }
    if (auto constant = dyn_cast_or_null<ConstantOp>(def)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense || !dense.isSplat() || !isa<FloatType>(dense.getElementType()))
        return failure();
      continue;
    }
    if (!def || !isElementwise(def) ||
        cast<ShapedType>(v.getType()).getShape() != shape)
      return failure();
    if (!seen.insert(def).second)
      continue;
    region.push_back(def);
    llvm::append_range(worklist, def->getOperands());
  }
  if (!source || region.empty())
    return failure();
  llvm::sort(region,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return success();
}

void qc::roundToDynamicInt8(MutableArrayRef<float> values, int64_t block) {
  for (size_t start = 0; start + block <= values.size(); start += block) {
    MutableArrayRef<float> x = values.slice(start, block);
    float largest = 0.0f;
    for (float v : x)
      largest = std::max(largest, std::fabs(v));
    if (largest == 0.0f)
      continue;
    float inverse = 127.0f / largest, scale = largest / 127.0f;
    for (float &v : x)
      v = std::nearbyint(v * inverse) * scale;
  }
}
