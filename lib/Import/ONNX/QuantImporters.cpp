//===- QuantImporters.cpp - QDQ and integer ONNX ops ------------*- C++ -*-===//
//
// Pre-quantized models import into the same IR qc-quantize produces:
// QuantizeLinear / DequantizeLinear become qc.quantize / qc.dequantize on
// `!quant.uniform` tensors (per tensor, per axis, or blocked); QLinearConv and
// QLinearMatMul become their QDQ equivalent, which qc-fold-scales turns into
// integer layers; MatMulInteger and ConvInteger are integer layers already.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"

#include "mlir/Dialect/Quant/IR/Quant.h"

#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using reference::Tensor;

namespace {
/// Where a node keeps one set of quantization parameters.
struct ParamInputs {
  unsigned scale;
  std::optional<unsigned> zeroPoint;
};

/// The quantized element type that ONNX scale and zero-point inputs describe
/// for a tensor of `shape`: per tensor, per `axis`, or in blocks of
/// `blockSize` along `axis`. Without a zero point, the storage type is
/// `defaultStorage`.
FailureOr<quant::QuantizedType> readQuantType(NodeImporter &n, ParamInputs in,
                                              ArrayRef<int64_t> shape,
                                              int64_t axis, int64_t blockSize,
                                              IntegerType defaultStorage) {
  FailureOr<Tensor> scale = n.constantInput(in.scale);
  if (failed(scale))
    return failure();
  std::optional<Tensor> zeroPoint;
  if (in.zeroPoint && n.hasInput(*in.zeroPoint)) {
    FailureOr<Tensor> zp = n.constantInput(*in.zeroPoint);
    if (failed(zp))
      return failure();
    // A scalar scale with a one-element zero point (or the reverse) is one
    // set of parameters, as ONNX's reference reads it.
    bool oneEach = zp->getNumElements() == 1 && scale->getNumElements() == 1 &&
                   zp->getRank() <= 1 && scale->getRank() <= 1;
    if (zp->getShape() != scale->getShape() && !oneEach) {
      n.error() << "zero point and scale shapes differ";
      return failure();
    }
    zeroPoint = std::move(*zp);
  }
  auto storage = zeroPoint ? dyn_cast<IntegerType>(zeroPoint->getElementType())
                           : defaultStorage;
  if (!storage || storage.getWidth() > 32 || storage.getWidth() == 1) {
    n.error() << "unsupported quantized storage type "
              << (zeroPoint ? zeroPoint->getElementType() : Type(defaultStorage));
    return failure();
  }
  if (!scale->isFloat()) {
    n.error() << "scale must be a float tensor";
    return failure();
  }
  for (float s : scale->floats())
    if (!(s > 0) || !std::isfinite(s)) {
      n.error() << "scale " << s << " is not a positive finite number";
      return failure();
    }
  MLIRContext *ctx = n.context();
  bool isSigned = !storage.isUnsigned();
  unsigned width = storage.getWidth();
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  auto storageType = IntegerType::get(ctx, width);
  Type expressed = scale->getElementType();
  int64_t qmin = isSigned ? -(int64_t(1) << (width - 1)) : 0;
  int64_t qmax = isSigned ? (int64_t(1) << (width - 1)) - 1 : (int64_t(1) << width) - 1;
  int64_t count = scale->getNumElements();
  SmallVector<double> scales(scale->floats().begin(), scale->floats().end());
  SmallVector<int64_t> zeroPoints(count, 0);
  if (zeroPoint)
    zeroPoints.assign(zeroPoint->ints().begin(), zeroPoint->ints().end());

  if (blockSize <= 0 && count == 1 && scale->getRank() <= 1)
    return quant::QuantizedType(quant::UniformQuantizedType::get(
        flags, storageType, expressed, scales[0], zeroPoints[0], qmin, qmax));
  FailureOr<int64_t> a = n.normalizeAxis(axis, shape.size());
  if (failed(a))
    return failure();
  if (blockSize <= 0) {
    if (scale->getRank() != 1 || count != shape[*a]) {
      n.error() << "per-axis scale has " << count << " elements for axis "
                << *a << " of size " << shape[*a];
      return failure();
    }
    return quant::QuantizedType(quant::UniformQuantizedPerAxisType::get(
        flags, storageType, expressed, scales, zeroPoints, *a, qmin, qmax));
  }
  if (scale->getRank() != (int64_t)shape.size() || shape[*a] % blockSize != 0 ||
      scale->getShape()[*a] != shape[*a] / blockSize) {
    n.error() << "blocked quantization needs a scale of the input's rank with "
                 "dimension "
              << *a << " equal to " << shape[*a] << " / block_size "
              << blockSize << " (whole blocks)";
    return failure();
  }
  // Every other dimension has one scale per index (block size 1).
  SmallVector<int32_t> dims;
  SmallVector<int64_t> sizes;
  for (int64_t d = 0, e = shape.size(); d < e; ++d) {
    if (d != *a && scale->getShape()[d] != shape[d]) {
      n.error() << "blocked scale dimension " << d << " has size "
                << scale->getShape()[d] << ", expected " << shape[d];
      return failure();
    }
    if (d == *a || shape[d] > 1) {
      dims.push_back(d);
      sizes.push_back(d == *a ? blockSize : 1);
    }
  }
  auto scaleType = RankedTensorType::get(scale->getShape(), expressed);
  SmallVector<APFloat> scaleValues;
  for (float s : scale->floats())
    scaleValues.push_back(APFloat(s));
  SmallVector<APInt> zpValues;
  for (int64_t z : zeroPoints)
    zpValues.push_back(APInt(width, z, isSigned, /*implicitTrunc=*/true));
  auto type = quant::UniformQuantizedSubChannelType::getChecked(
      [&] { return n.error(); }, flags, storageType, expressed,
      DenseElementsAttr::get(scaleType, scaleValues),
      DenseElementsAttr::get(RankedTensorType::get(scale->getShape(), storageType),
                             zpValues),
      dims, sizes, qmin, qmax);
  if (!type)
    return failure();
  return quant::QuantizedType(type);
}

/// `v` viewed as a tensor of quantized element type `type`: constants are
/// re-materialized, integer tensors of the storage type and other quantized
/// tensors are reinterpreted with quant.scast.
FailureOr<Value> asQuantized(NodeImporter &n, Value v,
                             quant::QuantizedType type) {
  if (!v)
    return failure();
  auto tensorType = cast<RankedTensorType>(v.getType());
  auto target = tensorType.clone(type);
  if (tensorType == target)
    return v;
  if (std::optional<Tensor> constant = reference::getConstantValue(v)) {
    if (constant->isFloat()) {
      n.error() << "expected an integer tensor, got " << tensorType;
      return failure();
    }
    Tensor values(type, tensorType.getShape());
    llvm::copy(constant->ints(), values.ints().begin());
    int64_t lo = type.getStorageTypeMin(), hi = type.getStorageTypeMax();
    if (llvm::any_of(values.ints(), [&](int64_t x) { return x < lo || x > hi; })) {
      n.error() << "constant values lie outside the storage range [" << lo
                << ", " << hi << "]";
      return failure();
    }
    return reference::createConstant(n.builder(), n.loc(), values, "quantized");
  }
  OpBuilder &b = n.builder();
  auto storageTensor = tensorType.clone(type.getStorageType());
  if (auto from = qc::getQuantizedType(tensorType)) {
    if (from.getStorageType() != type.getStorageType() ||
        from.isSigned() != type.isSigned()) {
      n.error() << "quantized input " << tensorType
                << " does not have the storage type of " << type;
      return failure();
    }
    v = quant::StorageCastOp::create(b, n.loc(), storageTensor, v);
  } else if (auto it = dyn_cast<IntegerType>(tensorType.getElementType());
             it && it.isUnsigned() && it.getWidth() ==
                                          type.getStorageTypeIntegralWidth()) {
    // Storage types are signless: reinterpret the bits (200 becomes -56).
    v = n.create<qc::CastOp>(storageTensor, v);
  } else if (tensorType.getElementType() != type.getStorageType()) {
    n.error() << "input of type " << tensorType << " does not match " << type;
    return failure();
  }
  return Value(quant::StorageCastOp::create(b, n.loc(), target, v));
}

/// dequantize(input `data`) with the parameters of `params`.
FailureOr<Value> dequantizeInput(NodeImporter &n, unsigned data,
                                 ParamInputs params, int64_t axis = 1,
                                 int64_t blockSize = 0) {
  RankedTensorType type = n.inputType(data);
  IntegerType storage = dyn_cast<IntegerType>(type.getElementType());
  if (auto q = qc::getQuantizedType(type))
    storage = IntegerType::get(n.context(), q.getStorageTypeIntegralWidth(),
                               q.isSigned() ? IntegerType::Signless
                                            : IntegerType::Unsigned);
  if (!storage) {
    n.error() << "input " << data << " must be integer, got " << type;
    return failure();
  }
  FailureOr<quant::QuantizedType> qtype =
      readQuantType(n, params, type.getShape(), axis, blockSize, storage);
  if (failed(qtype))
    return failure();
  FailureOr<Value> q = asQuantized(n, n.input(data), *qtype);
  if (failed(q))
    return failure();
  return n.create<qc::DequantizeOp>(type.clone(qtype->getExpressedType()), *q);
}

/// quantize(`value`) with the parameters of `params` (uint8 without a zero
/// point, as ONNX says).
FailureOr<Value> quantizeValue(NodeImporter &n, Value value, ParamInputs params,
                               int64_t axis = 1, int64_t blockSize = 0,
                               IntegerType storage = {}) {
  if (!storage)
    storage = IntegerType::get(n.context(), 8, IntegerType::Unsigned);
  if (!value)
    return failure();
  auto type = cast<RankedTensorType>(value.getType());
  FailureOr<quant::QuantizedType> qtype =
      readQuantType(n, params, type.getShape(), axis, blockSize, storage);
  if (failed(qtype))
    return failure();
  if (qtype->getExpressedType() != type.getElementType()) {
    n.error() << "scale type " << qtype->getExpressedType()
              << " differs from the input type " << type.getElementType();
    return failure();
  }
  return n.create<qc::QuantizeOp>(type.clone(*qtype), value);
}

/// A float8 scale or zero point, shaped to broadcast against input 0 along
/// `axis` (one value, or one per index of the axis).
FailureOr<Value> alongAxis(NodeImporter &n, unsigned input, int64_t axis) {
  RankedTensorType type = n.inputType(input), data = n.inputType(0);
  if (type.getNumElements() == 1)
    return reshapeTo(n, n.input(input), {});
  FailureOr<int64_t> a = n.normalizeAxis(axis, std::max<int64_t>(data.getRank(), 1));
  if (failed(a))
    return failure();
  if (type.getRank() != 1 || type.getDimSize(0) != data.getDimSize(*a)) {
    n.error() << "float8 (de)quantization takes one value or one per index of axis " << *a
              << ", got " << type;
    return failure();
  }
  SmallVector<int64_t> shape(data.getRank(), 1);
  shape[*a] = type.getDimSize(0);
  return reshapeTo(n, n.input(input), shape);
}

/// The float8 zero point (input 2) along `axis` as `element`; null without
/// one.
FailureOr<Value> float8ZeroPoint(NodeImporter &n, int64_t axis, Type element) {
  if (!n.hasInput(2))
    return Value();
  FailureOr<Value> zeroPoint = alongAxis(n, 2, axis);
  if (failed(zeroPoint))
    return failure();
  auto type = cast<RankedTensorType>(zeroPoint->getType());
  return n.create<qc::CastOp>(type.clone(element), *zeroPoint);
}

/// Float8 quantization has no integer levels: QuantizeLinear is x / scale
/// (+ zero point) cast as Cast does, DequantizeLinear (x - zero point) x
/// scale, both in the scale's type.
LogicalResult quantizeToFloat8(NodeImporter &n, FloatType target) {
  if (n.getInt("block_size", 0) > 0)
    return n.error() << "blocked quantization to " << target << " is not supported";
  int64_t axis = n.getInt("axis", 1);
  FailureOr<Value> scale = alongAxis(n, 1, axis);
  if (failed(scale))
    return failure();
  FailureOr<Value> zeroPoint = float8ZeroPoint(n, axis, n.inputType(0).getElementType());
  if (failed(zeroPoint))
    return failure();
  Value y = n.create<qc::DivOp>(n.input(0), *scale);
  if (*zeroPoint)
    y = n.create<qc::AddOp>(y, *zeroPoint);
  n.setOutput(0, castToFloat8(n, y, target, n.getInt("saturate", 1)));
  return success();
}

LogicalResult dequantizeFloat8(NodeImporter &n) {
  int64_t axis = n.getInt("axis", 1);
  Type expressed = n.inputType(1).getElementType();
  FailureOr<Value> scale = alongAxis(n, 1, axis);
  if (failed(scale))
    return failure();
  FailureOr<Value> zeroPoint = float8ZeroPoint(n, axis, expressed);
  if (failed(zeroPoint))
    return failure();
  Value x = n.create<qc::CastOp>(n.inputType(0).clone(expressed), n.input(0));
  if (*zeroPoint)
    x = n.create<qc::SubOp>(x, *zeroPoint);
  n.setOutput(0, n.create<qc::MulOp>(x, *scale));
  return success();
}

LogicalResult importQuantizeLinear(NodeImporter &n) {
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.error() << "expects a float input, got " << n.inputType(0);
  // The output type: `output_dtype` when set, else the zero point's.
  int64_t outputDtype = n.getInt("output_dtype", 0);
  Type target = outputDtype ? convertElementType(n.context(), outputDtype)
                : n.hasInput(2) ? n.inputType(2).getElementType()
                                : Type();
  if (target && reference::isFloat8(target))
    return quantizeToFloat8(n, cast<FloatType>(target));
  IntegerType storage;
  if (outputDtype) {
    storage = dyn_cast_or_null<IntegerType>(target);
    if (!storage)
      return n.error() << "unsupported output_dtype " << outputDtype;
  }
  FailureOr<Value> q = quantizeValue(n, n.input(0), {1, 2}, n.getInt("axis", 1),
                                     n.getInt("block_size", 0), storage);
  if (failed(q))
    return failure();
  n.setOutput(0, *q);
  return success();
}

LogicalResult importDequantizeLinear(NodeImporter &n) {
  if (reference::isFloat8(n.inputType(0).getElementType()))
    return dequantizeFloat8(n);
  FailureOr<Value> x = dequantizeInput(n, 0, {1, 2}, n.getInt("axis", 1),
                                       n.getInt("block_size", 0));
  if (failed(x))
    return failure();
  n.setOutput(0, *x);
  return success();
}

/// The int32 bias of QLinearConv, dequantized with scale s_x * s_w.
FailureOr<Value> dequantizeBias(NodeImporter &n, unsigned bias,
                                const Tensor &xScale, const Tensor &wScale) {
  FailureOr<Tensor> b = n.constantInput(bias);
  if (failed(b))
    return failure();
  int64_t channels = b->getNumElements();
  if (b->getRank() != 1 || (wScale.getNumElements() != 1 &&
                            wScale.getNumElements() != channels)) {
    n.error() << "bias must be 1-d with one element per output channel";
    return failure();
  }
  Tensor scale(xScale.getElementType(), {channels});
  for (int64_t c = 0; c < channels; ++c)
    scale.floats()[c] = xScale.floats()[0] *
                        wScale.floats()[wScale.getNumElements() == 1 ? 0 : c];
  SmallVector<double> scales(scale.floats().begin(), scale.floats().end());
  MLIRContext *ctx = n.context();
  auto type = quant::UniformQuantizedPerAxisType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(ctx, 32),
      xScale.getElementType(), scales, SmallVector<int64_t>(channels, 0), 0,
      INT32_MIN, INT32_MAX);
  FailureOr<Value> q = asQuantized(n, n.input(bias), type);
  if (failed(q))
    return failure();
  return n.create<qc::DequantizeOp>(
      RankedTensorType::get({channels}, xScale.getElementType()), *q);
}

/// Quantizes a QLinear* node's float result `y` with its y_scale and
/// y_zero_point (inputs 6 and 7) and binds it as the node's output.
LogicalResult setQLinearOutput(NodeImporter &n, Value y) {
  if (!y)
    return failure();
  auto storage = dyn_cast<IntegerType>(n.inputType(7).getElementType());
  FailureOr<Value> q = quantizeValue(n, y, {6, 7}, 1, 0, storage);
  if (failed(q))
    return failure();
  n.setOutput(0, *q);
  return success();
}

LogicalResult importQLinearConv(NodeImporter &n) {
  FailureOr<Value> x = dequantizeInput(n, 0, {1, 2});
  FailureOr<Value> w = dequantizeInput(n, 3, {4, 5}, 0);
  if (failed(x) || failed(w))
    return failure();
  FailureOr<ConvWindow> window = getConvWindow(
      n, cast<RankedTensorType>(x->getType()), cast<RankedTensorType>(w->getType()));
  if (failed(window))
    return failure();
  Value bias;
  if (n.hasInput(8)) {
    FailureOr<Tensor> xScale = n.constantInput(1), wScale = n.constantInput(4);
    if (failed(xScale) || failed(wScale))
      return failure();
    FailureOr<Value> b = dequantizeBias(n, 8, *xScale, *wScale);
    if (failed(b))
      return failure();
    bias = *b;
  }
  Value y = n.create<qc::ConvOp>(*x, *w, bias, i64Array(n, window->strides),
                                 i64Array(n, window->dilations),
                                 i64Array(n, window->pads),
                                 i64Attr(n, window->group));
  return setQLinearOutput(n, y);
}

LogicalResult importQLinearMatMul(NodeImporter &n) {
  FailureOr<Value> a = dequantizeInput(n, 0, {1, 2});
  FailureOr<Value> b = dequantizeInput(n, 3, {4, 5}, -1);
  if (failed(a) || failed(b))
    return failure();
  Value y = n.create<qc::MatMulOp>(*a, *b, IntegerAttr());
  return setQLinearOutput(n, y);
}

/// An integer input of MatMulInteger / ConvInteger as a quantized tensor of
/// scale 1 with its zero point (per tensor, or per `axis`).
FailureOr<Value> integerOperand(NodeImporter &n, unsigned data,
                                std::optional<unsigned> zeroPoint, int64_t axis) {
  RankedTensorType type = n.inputType(data);
  auto storage = dyn_cast<IntegerType>(type.getElementType());
  if (!storage || storage.getWidth() != 8) {
    n.error() << "input " << data << " must be int8 or uint8, got " << type;
    return failure();
  }
  SmallVector<int64_t> zeroPoints = {0};
  if (zeroPoint && n.hasInput(*zeroPoint)) {
    FailureOr<Tensor> zp = n.constantInput(*zeroPoint);
    if (failed(zp))
      return failure();
    zeroPoints.assign(zp->ints().begin(), zp->ints().end());
  }
  MLIRContext *ctx = n.context();
  bool isSigned = !storage.isUnsigned();
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  int64_t qmin = isSigned ? -128 : 0, qmax = isSigned ? 127 : 255;
  Type i8 = IntegerType::get(ctx, 8), f32 = Float32Type::get(ctx);
  quant::QuantizedType qtype;
  if (zeroPoints.size() == 1) {
    qtype = quant::UniformQuantizedType::get(flags, i8, f32, 1.0, zeroPoints[0],
                                             qmin, qmax);
  } else {
    FailureOr<int64_t> a = n.normalizeAxis(axis, type.getRank());
    if (failed(a))
      return failure();
    if ((int64_t)zeroPoints.size() != type.getDimSize(*a)) {
      n.error() << "zero point of input " << data << " has "
                << zeroPoints.size() << " elements for a dimension of size "
                << type.getDimSize(*a);
      return failure();
    }
    qtype = quant::UniformQuantizedPerAxisType::get(
        flags, i8, f32, SmallVector<double>(zeroPoints.size(), 1.0), zeroPoints,
        *a, qmin, qmax);
  }
  return asQuantized(n, n.input(data), qtype);
}

LogicalResult importMatMulInteger(NodeImporter &n) {
  if (n.inputType(0).getRank() < 2 || n.inputType(1).getRank() != 2)
    return n.error() << "supports a matrix or batch of matrices times a matrix";
  // A zero point computed at run time (DynamicQuantizeLinear) is subtracted
  // after the product: acc - z_a * sum_k (b[k, n] - z_b[n]).
  bool dynamicZeroPoint = n.hasInput(2) && !reference::getConstantValue(n.input(2));
  FailureOr<Value> a = integerOperand(
      n, 0, dynamicZeroPoint ? std::nullopt : std::optional<unsigned>(2), -2);
  if (failed(a))
    return failure();
  FailureOr<Value> b = integerOperand(n, 1, 3, -1);
  if (failed(b))
    return failure();
  if (!qc::getUniformType(a->getType()))
    return n.error() << "a per-row zero point for the first input is not supported";
  Value acc = n.create<qc::QMatMulOp>(*a, *b, Value(), n.builder().getBoolAttr(false));
  if (!acc || !dynamicZeroPoint) {
    n.setOutput(0, acc);
    return success();
  }
  FailureOr<Tensor> weights = n.constantInput(1);
  if (failed(weights))
    return failure();
  auto params = qc::QuantLayout::get(b->getType());
  if (failed(params))
    return failure();
  int64_t k = weights->getShape()[0], columns = weights->getShape()[1];
  Tensor sums(n.builder().getI32Type(), {columns});
  for (int64_t i = 0; i < k * columns; ++i)
    sums.ints()[i % columns] +=
        weights->ints()[i] - params->zeroPoints[params->isPerTensor() ? 0 : i % columns];
  auto i32 = n.builder().getI32Type();
  Value zeroPoint = n.create<qc::CastOp>(n.inputType(2).clone(i32), n.input(2));
  Value correction = n.create<qc::MulOp>(zeroPoint, n.constant(sums));
  n.setOutput(0, n.create<qc::SubOp>(acc, correction));
  return success();
}

/// DynamicQuantizeLinear as ONNX defines it, in float ops: the uint8 scale
/// and zero point come from the tensor's own range at run time.
LogicalResult importDynamicQuantizeLinear(NodeImporter &n) {
  RankedTensorType type = n.inputType(0);
  if (!type.getElementType().isF32())
    return n.error() << "expects an f32 input, got " << type;
  auto f32 = n.builder().getF32Type();
  auto scalar = [&](float v) {
    Tensor t(f32, {});
    t.floats()[0] = v;
    return n.constant(t);
  };
  Value x = n.input(0), zero = scalar(0.0f), qmax = scalar(255.0f);
  auto all = n.builder().getDenseI64ArrayAttr({});
  auto noKeep = n.builder().getBoolAttr(false);
  Value hi = n.create<qc::MaxOp>(n.create<qc::ReduceMaxOp>(x, all, noKeep), zero);
  Value lo = n.create<qc::MinOp>(n.create<qc::ReduceMinOp>(x, all, noKeep), zero);
  Value scale = n.create<qc::DivOp>(n.create<qc::SubOp>(hi, lo), qmax);
  auto clamp = [&](Value v) {
    return n.create<qc::ClipOp>(v, f32Attr(n, 0.0f), f32Attr(n, 255.0f));
  };
  Value zeroPoint = clamp(
      n.create<qc::RoundOp>(n.create<qc::NegOp>(n.create<qc::DivOp>(lo, scale))));
  Value y = clamp(n.create<qc::AddOp>(
      n.create<qc::RoundOp>(n.create<qc::DivOp>(x, scale)), zeroPoint));
  if (n.failedToBuild())
    return failure();
  auto u8 = IntegerType::get(n.context(), 8, IntegerType::Unsigned);
  n.setOutput(0, n.create<qc::CastOp>(type.clone(u8), y));
  n.setOutput(1, scale);
  n.setOutput(2, n.create<qc::CastOp>(RankedTensorType::get({}, u8), zeroPoint));
  return success();
}

LogicalResult importConvInteger(NodeImporter &n) {
  FailureOr<Value> x = integerOperand(n, 0, 2, 1);
  if (failed(x))
    return failure();
  FailureOr<Value> w = integerOperand(n, 1, 3, 0);
  if (failed(w))
    return failure();
  FailureOr<ConvWindow> window = getConvWindow(n, n.inputType(0), n.inputType(1));
  if (failed(window))
    return failure();
  n.setOutput(0, n.create<qc::QConvOp>(*x, *w, Value(), i64Array(n, window->strides),
                                       i64Array(n, window->dilations),
                                       i64Array(n, window->pads),
                                       i64Attr(n, window->group),
                                       n.builder().getBoolAttr(false)));
  return success();
}
/// ONNX Runtime's MatMulNBits (com.microsoft): A [..., K] times B, given as
/// N x K unsigned `bits`-bit values packed low bits first in blocks of
/// `block_size` along K, each block with a scale and a zero point (packed
/// the same way; 2^(bits-1) when absent). B becomes a packed constant with a
/// sub-channel type, dequantized for a float matmul: weight-only quantization.
LogicalResult importMatMulNBits(NodeImporter &n) {
  int64_t k = n.getInt("K", 0), columns = n.getInt("N", 0);
  int64_t bits = n.getInt("bits", 4), block = n.getInt("block_size", 0);
  if (bits != 4 && bits != 8)
    return n.error() << "supports 4 and 8 bits, got " << bits;
  if (k <= 0 || columns <= 0 || block < 16 || (block & (block - 1)))
    return n.error() << "needs positive K and N and a power-of-two block_size >= 16";
  if (n.hasInput(4) || n.hasInput(5))
    return n.error() << "g_idx and bias inputs are not supported";
  if (n.inputType(0).getShape().back() != k)
    return n.error() << "input has inner dimension "
                     << n.inputType(0).getShape().back() << ", K is " << k;
  int64_t blocks = (k + block - 1) / block;
  if (k % block)
    return n.error() << "K = " << k << " is not a whole number of blocks of "
                     << block;
  FailureOr<Tensor> packed = n.constantInput(1), scales = n.constantInput(2);
  if (failed(packed) || failed(scales))
    return failure();
  int64_t perByte = 8 / bits, mask = (1 << bits) - 1;
  if (packed->getNumElements() != columns * k / perByte ||
      scales->getNumElements() != columns * blocks)
    return n.error() << "packed weights or scales do not match K, N and block_size";
  auto unpack = [&](const Tensor &bytes, int64_t i) {
    return (bytes.ints()[i / perByte] >> (bits * (i % perByte))) & mask;
  };
  std::optional<Tensor> zeros;
  if (n.hasInput(3)) {
    FailureOr<Tensor> z = n.constantInput(3);
    if (failed(z))
      return failure();
    if (z->isFloat())
      return n.error() << "float zero points are not supported";
    zeros = std::move(*z);
  }
  MLIRContext *ctx = n.context();
  auto storage = IntegerType::get(ctx, bits);
  auto f32 = Float32Type::get(ctx);
  // Quantized types need positive scales; ONNX Runtime's symmetric
  // quantizer writes negative ones. (q - z) * s = (q' - z') * -s with
  // q' = mask - q and z' = mask - z, exactly, within the same range.
  Tensor weights(storage, {columns, k});
  for (int64_t i = 0; i < columns * k; ++i)
    weights.ints()[i] = unpack(*packed, i);
  SmallVector<APFloat> scaleValues;
  SmallVector<APInt> zeroValues;
  int64_t zerosPerColumn = (blocks + perByte - 1) / perByte;
  for (int64_t c = 0; c < columns; ++c)
    for (int64_t b = 0; b < blocks; ++b) {
      float scale = scales->floats()[c * blocks + b];
      int64_t z = zeros ? unpack(*zeros, c * zerosPerColumn * perByte + b)
                        : int64_t(1) << (bits - 1);
      MutableArrayRef<int64_t> values =
          weights.ints().slice(c * k + b * block, block);
      if (scale < 0) {
        scale = -scale;
        z = mask - z;
        for (int64_t &q : values)
          q = mask - q;
      } else if (scale == 0) {
        scale = 1.0f;
        std::fill(values.begin(), values.end(), z);
      }
      if (!std::isfinite(scale))
        return n.error() << "scale " << scale << " is not finite";
      scaleValues.push_back(APFloat(scale));
      zeroValues.push_back(APInt(bits, z));
    }
  auto paramType = RankedTensorType::get({columns, blocks}, f32);
  int32_t dims[] = {0, 1};
  int64_t sizes[] = {1, block};
  unsigned unsignedFlags = 0;
  auto type = quant::UniformQuantizedSubChannelType::getChecked(
      [&] { return n.error(); }, unsignedFlags, storage, f32,
      DenseElementsAttr::get(paramType, scaleValues),
      DenseElementsAttr::get(RankedTensorType::get({columns, blocks}, storage),
                             zeroValues),
      ArrayRef<int32_t>(dims), ArrayRef<int64_t>(sizes), 0, mask);
  if (!type)
    return failure();
  Tensor quantized(type, {columns, k});
  llvm::copy(weights.ints(), quantized.ints().begin());
  Value w = n.create<qc::DequantizeOp>(RankedTensorType::get({columns, k}, f32),
                                       reference::createConstant(
                                           n.builder(), n.loc(), quantized, "weight"));
  Value wt = n.create<qc::TransposeOp>(w, n.builder().getDenseI64ArrayAttr({1, 0}));
  // accuracy_level 4 asks for int8 inputs, rounded per block of the weights.
  IntegerAttr int8Block;
  if (n.getInt("accuracy_level", 0) == 4 && k % block == 0)
    int8Block = n.builder().getI64IntegerAttr(block);
  n.setOutput(0, n.create<qc::MatMulOp>(n.input(0), wt, int8Block));
  return success();
}
} // namespace

void onnx_import::addQuantImporters(llvm::StringMap<OpImporter> &t) {
  t["QuantizeLinear"] = {importQuantizeLinear, 2};
  t["DequantizeLinear"] = {importDequantizeLinear, 2};
  t["QLinearConv"] = {importQLinearConv, 8};
  t["QLinearMatMul"] = {importQLinearMatMul, 8};
  t["MatMulInteger"] = {importMatMulInteger, 2};
  t["ConvInteger"] = {importConvInteger, 2};
  t["DynamicQuantizeLinear"] = {importDynamicQuantizeLinear, 1};
  t["com.microsoft.MatMulNBits"] = {importMatMulNBits, 3};
}
