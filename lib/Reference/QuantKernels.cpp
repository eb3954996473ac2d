//===- QuantKernels.cpp - quantize, requantize, integer layers --*- C++ -*-===//
//
// Integer ops run with exact integer arithmetic and the rounding helpers of
// QuantUtils, the same definitions the passes use. Accumulators are formed in
// 64 bits and checked against the i32 range, so an overflow the compiler
// failed to rule out is an error rather than a silently wrapped result.
//
//===----------------------------------------------------------------------===//
#include "Im2Col.h"
#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "llvm/Support/Parallel.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

namespace {
FailureOr<qc::QuantLayout> layoutOf(Value v) {
  return qc::QuantLayout::get(v.getType());
}

FailureOr<Tensor> quantizeKernel(qc::QuantizeOp op, OperandTensors args) {
  FailureOr<qc::QuantLayout> layout = layoutOf(op.getOutput());
  if (failed(layout))
    return failure();
  const Tensor &in = *args[0];
  Tensor out = makeResult(op);
  SmallVector<int64_t> blocks = layout->blockIndices(in.getShape());
  for (int64_t i = 0, e = in.getNumElements(); i < e; ++i)
    out.ints()[i] = qc::quantizeValue(
        in.floats()[i], layout->scales[blocks[i]],
        layout->zeroPoints[blocks[i]], layout->qmin, layout->qmax,
        op.getRounding());
  return out;
}

FailureOr<Tensor> dequantizeKernel(qc::DequantizeOp op, OperandTensors args) {
  return reference::dequantize(*args[0]);
}

FailureOr<Tensor> requantizeKernel(qc::RequantizeOp op, OperandTensors args) {
  const Tensor &in = *args[0];
  int64_t inputZeroPoint = 0;
  if (auto inType = qc::getUniformType(op.getInput().getType()))
    inputZeroPoint = inType.getZeroPoint();
  auto outType = qc::getUniformType(op.getOutput().getType());
  int64_t lo = std::max<int64_t>(outType.getStorageTypeMin(),
                                 op.getClampMin().value_or(INT64_MIN));
  int64_t hi = std::min<int64_t>(outType.getStorageTypeMax(),
                                 op.getClampMax().value_or(INT64_MAX));
  ArrayRef<int32_t> multipliers = op.getMultiplier(), shifts = op.getShift();
  int64_t inner = 1, channels = 1;
  if (multipliers.size() > 1) {
    int64_t axis = *op.getAxis();
    channels = in.getShape()[axis];
    for (int64_t d = axis + 1; d < in.getRank(); ++d)
      inner *= in.getShape()[d];
  }
  Tensor out = makeResult(op);
  for (int64_t i = 0, e = in.getNumElements(); i < e; ++i) {
    int64_t c = channels > 1 ? (i / inner) % channels : 0;
    int64_t y = qc::applyMultiplier(in.ints()[i] - inputZeroPoint,
                                    multipliers[c], shifts[c], op.getRounding());
    out.ints()[i] = std::clamp(y + outType.getZeroPoint(), lo, hi);
  }
  return out;
}

/// Signless storage integers are held sign-extended; unsigned quantized
/// values zero-extended. A storage cast converts between the two.
FailureOr<Tensor> storageCastKernel(quant::StorageCastOp op,
                                    OperandTensors args) {
  Tensor out = makeResult(op);
  auto quantized = qc::getQuantizedType(op.getType());
  auto source = qc::getQuantizedType(op.getInput().getType());
  auto unsignedType = quantized ? quantized : source;
  bool toUnsigned = quantized && !quantized.isSigned();
  bool fromUnsigned = source && !source.isSigned();
  unsigned width = unsignedType.getStorageTypeIntegralWidth();
  int64_t modulus = int64_t(1) << width;
  for (auto [to, from] : llvm::zip(out.ints(), args[0]->ints())) {
    to = from;
    if (toUnsigned && to < 0)
      to += modulus;
    else if (fromUnsigned && !quantized && width < 64 && to >= modulus / 2)
      to -= modulus;
  }
  return out;
}

/// The largest |x| in `values`.
int64_t maxMagnitude(ArrayRef<int32_t> values) {
  int64_t result = 0;
  for (int32_t v : values)
    result = std::max<int64_t>(result, std::abs(static_cast<int64_t>(v)));
  return result;
}

/// C[M,N] = A[M,K] * B[K,N], exactly, parallel over rows. Partial sums run in
/// i32 (which vectorizes twice as wide) over runs of K short enough that they
/// cannot overflow, and are added up in i64.
void igemm(int64_t m, int64_t n, int64_t k, ArrayRef<int32_t> a,
           ArrayRef<int32_t> b, int64_t *c) {
  int64_t bound = std::max<int64_t>(1, maxMagnitude(a) * maxMagnitude(b));
  int64_t run = std::clamp<int64_t>(INT32_MAX / bound, 1, k);
  llvm::parallelFor(0, m, [&](int64_t i) {
    int64_t *row = c + i * n;
    std::fill(row, row + n, 0);
    std::vector<int32_t> partial(n);
    for (int64_t start = 0; start < k; start += run) {
      std::fill(partial.begin(), partial.end(), 0);
      for (int64_t p = start, end = std::min(k, start + run); p < end; ++p) {
        int32_t x = a[i * k + p];
        if (x == 0)
          continue;
        const int32_t *bp = b.data() + p * n;
        for (int64_t j = 0; j < n; ++j)
          partial[j] += x * bp[j];
      }
      for (int64_t j = 0; j < n; ++j)
        row[j] += partial[j];
    }
  });
}

/// Stored values minus `offset` (a zero point, or 0 when it is folded).
std::vector<int32_t> shifted(ArrayRef<int64_t> values, int64_t offset) {
  std::vector<int32_t> result(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    result[i] = static_cast<int32_t>(values[i] - offset);
  return result;
}

/// Weight values minus their zero point per slice of `sliceSize` elements
/// along the quantized axis (or minus the one zero point).
std::vector<int32_t> centeredWeights(const Tensor &w, const qc::QuantLayout &l) {
  SmallVector<int64_t> blocks = l.blockIndices(w.getShape());
  std::vector<int32_t> result(w.getNumElements());
  for (int64_t i = 0, e = w.getNumElements(); i < e; ++i)
    result[i] = static_cast<int32_t>(w.ints()[i] - l.zeroPoints[blocks[i]]);
  return result;
}

/// Stores 64-bit accumulators (plus the bias of channel (i / inner) % n) into
/// the i32 result, failing on overflow.
LogicalResult storeAccumulators(Operation *op, ArrayRef<int64_t> acc,
                                const Tensor *bias, int64_t inner,
                                int64_t channels, Tensor &out) {
  for (size_t i = 0; i < acc.size(); ++i) {
    int64_t v = acc[i] + (bias ? bias->ints()[(i / inner) % channels] : 0);
    if (v < INT32_MIN || v > INT32_MAX)
      return op->emitOpError("accumulator overflows i32 (value ") << v << ")";
    out.ints()[i] = v;
  }
  return success();
}

int64_t lhsOffset(Value lhs, bool zeroPointFolded) {
  return zeroPointFolded ? 0 : qc::getUniformType(lhs.getType()).getZeroPoint();
}

FailureOr<Tensor> qmatmulKernel(qc::QMatMulOp op, OperandTensors args) {
  const Tensor &lhs = *args[0], &rhs = *args[1];
  FailureOr<qc::QuantLayout> rhsLayout = layoutOf(op.getRhs());
  if (failed(rhsLayout))
    return failure();
  int64_t k = lhs.getShape().back(), n = rhs.getShape().back();
  int64_t m = lhs.getShape()[lhs.getRank() - 2];
  int64_t batches = lhs.getNumElements() / std::max<int64_t>(1, m * k);
  bool batchedRhs = rhs.getRank() > 2;
  std::vector<int32_t> a =
      shifted(lhs.ints(), lhsOffset(op.getLhs(), op.getZeroPointFolded()));
  std::vector<int32_t> b = centeredWeights(rhs, *rhsLayout);
  std::vector<int64_t> acc(batches * m * n);
  for (int64_t i = 0; i < batches; ++i)
    igemm(m, n, k, ArrayRef(a).slice(i * m * k, m * k),
          ArrayRef(b).slice(batchedRhs ? i * k * n : 0, k * n),
          acc.data() + i * m * n);
  Tensor out = makeResult(op);
  if (failed(storeAccumulators(op, acc, op.getBias() ? args[2] : nullptr, 1, n,
                               out)))
    return failure();
  return out;
}

FailureOr<Tensor> qconvKernel(qc::QConvOp op, OperandTensors args) {
  const Tensor &in = *args[0], &weight = *args[1];
  if (in.getRank() > 4)
    return op.emitOpError("reference evaluator supports 1-d and 2-d conv");
  FailureOr<qc::QuantLayout> wLayout = layoutOf(op.getWeight());
  if (failed(wLayout))
    return failure();
  Tensor out = makeResult(op);
  Window2D w =
      getWindow(op, in.getShape(), weight.getShape(), out.getShape());
  int64_t n = in.getShape()[0], c = in.getShape()[1];
  int64_t o = out.getShape()[1], group = op.getGroup();
  int64_t cg = c / group, og = o / group;
  int64_t kSize = cg * w.kH * w.kW, outSize = w.outH * w.outW;
  int64_t inputZeroPoint = qc::getUniformType(op.getInput().getType()).getZeroPoint();
  int64_t offset = lhsOffset(op.getInput(), op.getZeroPointFolded());
  std::vector<int32_t> image = shifted(in.ints(), offset);
  std::vector<int32_t> weights = centeredWeights(weight, *wLayout);
  std::vector<int32_t> cols(kSize * outSize);
  std::vector<int64_t> acc(out.getNumElements());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t g = 0; g < group; ++g) {
      im2col(image.data() + (b * c + g * cg) * w.inH * w.inW, cg, w,
                 static_cast<int32_t>(inputZeroPoint - offset), cols.data());
      igemm(og, outSize, kSize, ArrayRef(weights).slice(g * og * kSize, og * kSize),
            cols, acc.data() + (b * o + g * og) * outSize);
    }
  if (failed(storeAccumulators(op, acc, op.getBias() ? args[2] : nullptr,
                               outSize, o, out)))
    return failure();
  return out;
}
FailureOr<Tensor> lookupTableKernel(qc::LookupTableOp op, OperandTensors args) {
  FailureOr<Tensor> table = Tensor::fromAttr(op.getTable());
  if (failed(table))
    return failure();
  auto in = qc::getQuantizedType(op.getInput().getType());
  auto out = qc::getQuantizedType(op.getType());
  int64_t modulus = int64_t(1) << out.getStorageTypeIntegralWidth();
  Tensor result = makeResult(op);
  for (auto [y, x] : llvm::zip(result.ints(), args[0]->ints())) {
    y = table->ints()[x - in.getStorageTypeMin()];
    // Tables hold signless storage integers; unsigned results wrap back.
    if (!out.isSigned() && y < 0)
      y += modulus;
  }
  return result;
}

FailureOr<Tensor> qaddKernel(qc::QAddOp op, OperandTensors args) {
  auto lhsType = qc::getUniformType(op.getLhs().getType());
  auto rhsType = qc::getUniformType(op.getRhs().getType());
  auto outType = qc::getUniformType(op.getType());
  ArrayRef<int32_t> m = op.getMultiplier(), s = op.getShift();
  int64_t scale = int64_t(1) << op.getLeftShift();
  qc::RoundingMode rounding = op.getRounding();
  Tensor out = makeResult(op);
  std::array<SmallVector<int64_t>, 2> strides = {
      broadcastStrides(args[0]->getShape(), out.getShape()),
      broadcastStrides(args[1]->getShape(), out.getShape())};
  forEachIndex<2>(out.getShape(), strides, [&](int64_t i, auto off) {
    int64_t a = qc::applyMultiplier(
        (args[0]->ints()[off[0]] - lhsType.getZeroPoint()) * scale, m[0], s[0],
        rounding);
    int64_t b = qc::applyMultiplier(
        (args[1]->ints()[off[1]] - rhsType.getZeroPoint()) * scale, m[1], s[1],
        rounding);
    int64_t y = qc::applyMultiplier(a + b, m[2], s[2], rounding) +
                outType.getZeroPoint();
    out.ints()[i] = std::clamp<int64_t>(y, outType.getStorageTypeMin(),
                                        outType.getStorageTypeMax());
  });
  return out;
}
FailureOr<Tensor> qmulKernel(qc::QMulOp op, OperandTensors args) {
  auto lhsType = qc::getUniformType(op.getLhs().getType());
  auto rhsType = qc::getUniformType(op.getRhs().getType());
  auto outType = qc::getUniformType(op.getType());
  Tensor out = makeResult(op);
  std::array<SmallVector<int64_t>, 2> strides = {
      broadcastStrides(args[0]->getShape(), out.getShape()),
      broadcastStrides(args[1]->getShape(), out.getShape())};
  forEachIndex<2>(out.getShape(), strides, [&](int64_t i, auto off) {
    int64_t product = (args[0]->ints()[off[0]] - lhsType.getZeroPoint()) *
                      (args[1]->ints()[off[1]] - rhsType.getZeroPoint());
    int64_t y = qc::applyMultiplier(product, op.getMultiplier(), op.getShift(),
                                    op.getRounding()) +
                outType.getZeroPoint();
    out.ints()[i] = std::clamp<int64_t>(y, outType.getStorageTypeMin(),
                                        outType.getStorageTypeMax());
  });
  return out;
}
} // namespace

FailureOr<Tensor> reference::dequantize(const Tensor &in) {
  FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(in.getType());
  if (failed(layout))
    return failure();
  auto quantized = qc::getQuantizedType(in.getType());
  Tensor out(quantized.getExpressedType(), in.getShape());
  SmallVector<int64_t> blocks = layout->blockIndices(in.getShape());
  // (q - zp) * scale in f32, as ONNX DequantizeLinear computes it.
  for (int64_t i = 0, e = in.getNumElements(); i < e; ++i)
    out.floats()[i] =
        static_cast<float>(in.ints()[i] - layout->zeroPoints[blocks[i]]) *
        static_cast<float>(layout->scales[blocks[i]]);
  return out;
}

void reference::registerQuantKernels(KernelRegistry &r) {
  r.add<qc::QuantizeOp>(quantizeKernel);
  r.add<qc::DequantizeOp>(dequantizeKernel);
  r.add<qc::RequantizeOp>(requantizeKernel);
  r.add<quant::StorageCastOp>(storageCastKernel);
  r.add<qc::QMatMulOp>(qmatmulKernel);
  r.add<qc::QConvOp>(qconvKernel);
  r.add<qc::LookupTableOp>(lookupTableKernel);
  r.add<qc::QAddOp>(qaddKernel);
  r.add<qc::QMulOp>(qmulKernel);
}
