//===- WeightOnlyLowering.cpp - weight-only matmuls → microkernel -*- C++ -*-===//
//
// A float qc.matmul / qc.gemm whose weight is qc.dequantize of a constant 8-
// or 4-bit tensor (int4/int8 weight-only quantization, ONNX Runtime's
// MatMulNBits) becomes one call of quantc_wmatmul: the integers are packed
// here, once, into the panels the kernel streams (two 4-bit values per byte,
// so the library holds the weights at their quantized size), with a scale
// and a zero point per column and per group of rows. Without this the
// dequantized weights would be materialized as floats.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Reference/Tensor.h"
#include "quantc/Runtime/Microkernels.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// The constant quantized weight of a float layer, read as a [K, N] matrix.
struct QuantizedWeight {
  reference::Tensor stored;
  quant::QuantizedType type;
  qc::QuantLayout layout;
  bool transposed = false; // stored as [N, K]
  int64_t k = 0, n = 0, group = 0;
  /// Added to stored values and zero points: signed weights become the
  /// unsigned values the kernel reads.
  int64_t offset = 0;

  int64_t value(int64_t row, int64_t column) const {
    return stored.ints()[transposed ? column * k + row : row * n + column];
  }
  /// The scale and zero point block of element (row, column).
  int64_t block(int64_t row, int64_t column) const {
    int64_t i = transposed ? column : row, j = transposed ? row : column;
    return (i / layout.blockShape[0]) * layout.paramShape[1] + j / layout.blockShape[1];
  }
};

/// `rhs` as dequantize(constant) or transpose(dequantize(constant)), with one
/// scale per column and per group of rows.
FailureOr<QuantizedWeight> matchWeight(Value rhs, bool transposed) {
  if (auto transpose = rhs.getDefiningOp<qc::TransposeOp>()) {
    if (transpose.getPerm() != ArrayRef<int64_t>{1, 0})
      return failure();
    rhs = transpose.getInput();
    transposed = !transposed;
  }
  auto dequantize = rhs.getDefiningOp<qc::DequantizeOp>();
  if (!dequantize || !cast<ShapedType>(rhs.getType()).getElementType().isF32())
    return failure();
  QuantizedWeight w;
  Value stored = dequantize.getInput();
  w.type = qc::getQuantizedType(stored.getType());
  auto shape = cast<ShapedType>(stored.getType()).getShape();
  unsigned bits = w.type ? w.type.getStorageTypeIntegralWidth() : 0;
  ElementsAttr constant = getStoredConstant(stored);
  FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(stored.getType());
  if (shape.size() != 2 || (bits != 4 && bits != 8) || !constant || failed(layout))
    return failure();
  FailureOr<reference::Tensor> values = reference::Tensor::fromAttr(constant);
  if (failed(values))
    return failure();
  w.stored = std::move(*values);
  w.layout = std::move(*layout);
  w.transposed = transposed;
  w.k = shape[transposed ? 1 : 0];
  w.n = shape[transposed ? 0 : 1];
  w.group = w.layout.blockShape[transposed ? 1 : 0];
  int64_t columnBlock = w.layout.blockShape[transposed ? 0 : 1];
  if (w.k % w.group || (columnBlock != 1 && columnBlock != w.n))
    return failure();
  // Unsigned storage reads as signless i4/i8 values; keep their bits.
  if (!w.type.isSigned())
    for (int64_t &v : w.stored.ints())
      v &= (int64_t(1) << bits) - 1;
  else
    w.offset = int64_t(1) << (bits - 1);
  return w;
}

Value packedConstant(OpBuilder &b, Location loc, const QuantizedWeight &w) {
  constexpr int64_t panel = QC_WMATMUL_PANEL;
  int64_t bits = w.type.getStorageTypeIntegralWidth();
  int64_t panels = (w.n + panel - 1) / panel;
  int64_t panelBytes = w.k * panel * bits / 8;
  std::vector<uint8_t> packed(panels * panelBytes, 0);
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t k = 0; k < w.k; ++k)
      for (int64_t j = 0; j < panel && p * panel + j < w.n; ++j) {
        auto q = static_cast<uint8_t>(w.value(k, p * panel + j) + w.offset);
        uint8_t *row = packed.data() + p * panelBytes + k * panel * bits / 8;
        if (bits == 8)
          row[j] = q;
        else
          row[j % (panel / 2)] |= (q & 0xF) << (j < panel / 2 ? 0 : 4);
      }
  auto type = RankedTensorType::get({(int64_t)packed.size()}, b.getI8Type());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign<uint8_t>(packed);
  return arith::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, "packed_weights", std::move(blob)));
}

/// Lowers `op` (result [..., N] = lhs [..., K] x weight + bias) to one call.
LogicalResult lowerWeightOnly(Operation *op, Value lhs, const QuantizedWeight &w,
                              Value bias, StringRef suffix,
                              ConversionPatternRewriter &rewriter) {
  Location loc = op->getLoc();
  constexpr int64_t panel = QC_WMATMUL_PANEL;
  int64_t paddedN = (w.n + panel - 1) / panel * panel, groups = w.k / w.group;
  SmallVector<float> scales(groups * paddedN, 0.0f), zeroScales(groups * paddedN, 0.0f);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < w.n; ++c) {
      int64_t block = w.block(g * w.group, c);
      double scale = w.layout.scales[block];
      int64_t zeroPoint = w.layout.zeroPoints[block] + w.offset;
      scales[g * paddedN + c] = static_cast<float>(scale);
      zeroScales[g * paddedN + c] = static_cast<float>(scale * zeroPoint);
    }
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> params(QC_WMATMUL_NUM_PARAMS, 0);
  params[QC_WMATMUL_M] = type.getNumElements() / w.n;
  params[QC_WMATMUL_K] = w.k;
  params[QC_WMATMUL_N] = w.n;
  params[QC_WMATMUL_BITS] = w.type.getStorageTypeIntegralWidth();
  params[QC_WMATMUL_GROUP] = w.group;
  params[QC_WMATMUL_HAS_BIAS] = bias != nullptr;
  Type f32 = rewriter.getF32Type();
  SmallVector<Value> inputs = {
      lhs, packedConstant(rewriter, loc, w),
      constantVector<float>(rewriter, loc, scales, f32),
      constantVector<float>(rewriter, loc, zeroScales, f32),
      bias ? bias : constantVector<float>(rewriter, loc, {0.0f}, f32),
      constantVector<int64_t>(rewriter, loc, params, rewriter.getI64Type())};
  auto call = qc::MicrokernelOp::create(
      rewriter, loc, TypeRange{type}, rewriter.getStringAttr("quantc_wmatmul_" + suffix.str()),
      inputs, ValueRange{emptyLike(rewriter, loc, type)});
  rewriter.replaceOp(op, call.getResult(0));
  return success();
}

struct WeightOnlyMatMulLowering : KernelCallPattern<qc::MatMulOp> {
  WeightOnlyMatMulLowering(const TypeConverter &converter, MLIRContext *ctx, StringRef suffix)
      : KernelCallPattern(converter, ctx, suffix, /*benefit=*/3) {}

  LogicalResult
  matchAndRewrite(qc::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    if (lhsType.getRank() < 2 || !lhsType.getElementType().isF32() ||
        cast<ShapedType>(op.getRhs().getType()).getRank() != 2)
      return failure();
    FailureOr<QuantizedWeight> w = matchWeight(op.getRhs(), /*transposed=*/false);
    if (failed(w))
      return failure();
    return lowerWeightOnly(op, adaptor.getLhs(), *w, nullptr, suffix, rewriter);
  }
};

/// Gemm with alpha = beta = 1, no transposed A and a bias of N values.
struct WeightOnlyGemmLowering : KernelCallPattern<qc::GemmOp> {
  WeightOnlyGemmLowering(const TypeConverter &converter, MLIRContext *ctx, StringRef suffix)
      : KernelCallPattern(converter, ctx, suffix, /*benefit=*/3) {}

  LogicalResult
  matchAndRewrite(qc::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getTransA() || op.getAlpha().convertToFloat() != 1.0f ||
        !cast<ShapedType>(op.getA().getType()).getElementType().isF32())
      return failure();
    FailureOr<QuantizedWeight> w = matchWeight(op.getB(), op.getTransB());
    if (failed(w))
      return failure();
    Value bias = adaptor.getC();
    if (bias) {
      auto biasType = cast<ShapedType>(op.getC().getType());
      if (op.getBeta().convertToFloat() != 1.0f || biasType.getNumElements() != w->n ||
          biasType.getShape().back() != w->n)
        return failure();
    }
    return lowerWeightOnly(op, adaptor.getA(), *w, bias, suffix, rewriter);
  }
};
} // namespace

void conversion::populateWeightOnlyPatterns(QCTypeConverter &converter,
                                            RewritePatternSet &patterns,
                                            StringRef kernelSuffix) {
  patterns.add<WeightOnlyMatMulLowering, WeightOnlyGemmLowering>(
      converter, patterns.getContext(), kernelSuffix);
}
