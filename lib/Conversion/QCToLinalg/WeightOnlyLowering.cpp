//===- WeightOnlyLowering.cpp - weight-only matmuls, packed -----*- C++ -*-===//
//
// A float qc.matmul / qc.gemm whose weight is qc.dequantize of a constant 8-
// or 4-bit tensor (int4/int8 weight-only quantization, ONNX Runtime's
// MatMulNBits) keeps its weights at their quantized size (two 4-bit values
// per byte) and dequantizes them in registers; without this the dequantized
// weights would be materialized as floats. Two forms:
//
// - CPUs: one call of quantc_wmatmul, the integers packed here, once, into
//   the panels the kernel streams, with a scale and a zero point per column
//   and per group of rows;
// - GPUs (the unpacking form): a linalg.generic reading the packed [K/2, N]
//   bytes, so that threads of consecutive columns read consecutive bytes,
//   with K split into chunks summed in parallel when M x N alone is too few
//   outputs to fill the device (GEMV), and the partial sums added after.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Reference/Tensor.h"
#include "quantc/Runtime/Microkernels.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"

#include <optional>

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
  // The kernel reads zero points as unsigned values of the storage width.
  if (llvm::any_of(w.layout.zeroPoints, [&](int64_t z) {
        return z + w.offset < 0 || z + w.offset >= (int64_t(1) << bits);
      }))
    return failure();
  return w;
}

/// The zero point of every block of `w` (stored offset included), if they
/// are all equal, as with symmetric quantization.
std::optional<int64_t> uniformZeroPoint(const QuantizedWeight &w) {
  const auto &zeroPoints = w.layout.zeroPoints;
  if (zeroPoints.empty() || !llvm::all_equal(zeroPoints))
    return std::nullopt;
  return zeroPoints.front() + w.offset;
}

/// The kernel's stream (see Microkernels.h): per panel of 32 columns and per
/// group, the weights in blocks of 32-bit words, each holding one column's
/// values of 32 / bits consecutive rows, then the group's scales and, unless
/// `zeroPoint` covers them all, its zero points, a byte each.
Value packedConstant(OpBuilder &b, Location loc, const QuantizedWeight &w,
                     std::optional<int64_t> zeroPoint) {
  constexpr int64_t panel = QC_WMATMUL_PANEL;
  int64_t bits = w.type.getStorageTypeIntegralWidth(), rowsPerBlock = 32 / bits;
  int64_t blocks = (w.group + rowsPerBlock - 1) / rowsPerBlock;
  int64_t zeroWords = zeroPoint ? 0 : panel / 4;
  int64_t groupWords = (blocks + 1) * panel + zeroWords;
  int64_t panels = (w.n + panel - 1) / panel, groups = w.k / w.group;
  std::vector<uint32_t> words(panels * groups * groupWords, 0);
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t g = 0; g < groups; ++g) {
      uint32_t *groupStart = words.data() + (p * groups + g) * groupWords;
      for (int64_t j = 0; j < panel && p * panel + j < w.n; ++j) {
        int64_t column = p * panel + j;
        for (int64_t i = 0; i < w.group; ++i) {
          auto q = static_cast<uint32_t>(w.value(g * w.group + i, column) + w.offset);
          groupStart[i / rowsPerBlock * panel + j] |= q << (i % rowsPerBlock * bits);
        }
        int64_t block = w.block(g * w.group, column);
        auto scale = static_cast<float>(w.layout.scales[block]);
        groupStart[blocks * panel + j] = llvm::bit_cast<uint32_t>(scale);
        auto zero = static_cast<uint32_t>(w.layout.zeroPoints[block] + w.offset);
        if (!zeroPoint)
          groupStart[(blocks + 1) * panel + j / 4] |= (zero & 0xFF) << (j % 4 * 8);
      }
    }
  // Little-endian bytes, as the kernel reads them.
  std::vector<uint8_t> bytes(words.size() * 4);
  for (size_t i = 0; i < words.size(); ++i)
    llvm::support::endian::write32le(bytes.data() + 4 * i, words[i]);
  auto type = RankedTensorType::get({(int64_t)bytes.size()}, b.getI8Type());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign<uint8_t>(bytes);
  return arith::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, "packed_weights", std::move(blob)));
}

/// Lowers `op` (result [..., N] = lhs [..., K] x weight + bias) to one call.
LogicalResult lowerWeightOnly(Operation *op, Value lhs, const QuantizedWeight &w,
                              Value bias, std::optional<uint64_t> int8Block, StringRef suffix,
                              ConversionPatternRewriter &rewriter) {
  Location loc = op->getLoc();
  std::optional<int64_t> zeroPoint = uniformZeroPoint(w);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> params(QC_WMATMUL_NUM_PARAMS, 0);
  params[QC_WMATMUL_M] = type.getNumElements() / w.n;
  params[QC_WMATMUL_K] = w.k;
  params[QC_WMATMUL_N] = w.n;
  params[QC_WMATMUL_BITS] = w.type.getStorageTypeIntegralWidth();
  params[QC_WMATMUL_GROUP] = w.group;
  params[QC_WMATMUL_HAS_BIAS] = bias != nullptr;
  params[QC_WMATMUL_ZERO_POINTS] = !zeroPoint;
  params[QC_WMATMUL_ZERO_POINT] = zeroPoint.value_or(0);
  params[QC_WMATMUL_INT8_BLOCK] = int8Block.value_or(0);
  if (int8Block && (w.group % params[QC_WMATMUL_INT8_BLOCK] ||
                    params[QC_WMATMUL_INT8_BLOCK] % (32 / params[QC_WMATMUL_BITS])))
    return rewriter.notifyMatchFailure(op, "dynamic_int8_block does not fit the weight groups");
  Type f32 = rewriter.getF32Type();
  SmallVector<Value> inputs = {
      lhs, packedConstant(rewriter, loc, w, zeroPoint),
      bias ? bias : constantVector<float>(rewriter, loc, {0.0f}, f32),
      constantVector<int64_t>(rewriter, loc, params, rewriter.getI64Type())};
  auto call = qc::MicrokernelOp::create(
      rewriter, loc, TypeRange{type}, rewriter.getStringAttr("quantc_wmatmul_" + suffix.str()),
      inputs, ValueRange{emptyLike(rewriter, loc, type)});
  rewriter.replaceOp(op, call.getResult(0));
  return success();
}

//===----------------------------------------------------------------------===//
// The unpacking form (GPU targets)
//===----------------------------------------------------------------------===//

/// The unsigned stored values, `8 / bits` per byte along K: byte (r, c) holds
/// rows r * perByte ... of column c, the first in the low bits.
Value unpackingConstant(OpBuilder &b, Location loc, const QuantizedWeight &w) {
  int64_t bits = w.type.getStorageTypeIntegralWidth(), perByte = 8 / bits;
  std::vector<uint8_t> packed(w.k / perByte * w.n, 0);
  for (int64_t k = 0; k < w.k; ++k)
    for (int64_t c = 0; c < w.n; ++c) {
      auto q = static_cast<uint8_t>(w.value(k, c) + w.offset) & ((1 << bits) - 1);
      packed[k / perByte * w.n + c] |= q << (k % perByte * bits);
    }
  auto type = RankedTensorType::get({w.k / perByte, w.n}, b.getI8Type());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign<uint8_t>(packed);
  return arith::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, "packed_weights", std::move(blob)));
}

/// The number of chunks K is split into: enough independent sums for about
/// 2^17 threads, chunks of at least 64 rows that split evenly (and into whole
/// bytes).
int64_t splitKParts(int64_t m, int64_t n, int64_t k, int64_t perByte) {
  constexpr int64_t targetOutputs = 1 << 17, minChunk = 64;
  int64_t best = 1;
  for (int64_t parts = 2; parts * minChunk <= k && m * n * parts <= targetOutputs; ++parts)
    if (k % parts == 0 && (k / parts) % perByte == 0)
      best = parts;
  return best;
}

/// sum over the rows of `lhs` [M, parts, chunk] times the dequantized packed
/// weights, into `init` read through `outMap`. Loops (m, part, n, inPart):
/// the weight's row is part * chunk + inPart.
Value buildUnpackingContraction(OpBuilder &b, Location loc, Value lhs,
                                const QuantizedWeight &w, int64_t chunk,
                                Value init, AffineMap outMap,
                                ArrayRef<utils::IteratorType> iterators) {
  MLIRContext *ctx = b.getContext();
  int64_t bits = w.type.getStorageTypeIntegralWidth(), perByte = 8 / bits;
  int64_t groups = w.k / w.group;
  SmallVector<float> scales(groups * w.n);
  SmallVector<int32_t> zeroPoints(groups * w.n);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < w.n; ++c) {
      int64_t block = w.block(g * w.group, c);
      scales[g * w.n + c] = static_cast<float>(w.layout.scales[block]);
      zeroPoints[g * w.n + c] = static_cast<int32_t>(w.layout.zeroPoints[block] + w.offset);
    }
  auto paramType = [&](Type element) {
    return RankedTensorType::get({groups, w.n}, element);
  };
  Value scaleTable = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(paramType(b.getF32Type()), ArrayRef<float>(scales)));
  Value zeroPointTable = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(paramType(b.getI32Type()), ArrayRef<int32_t>(zeroPoints)));

  AffineExpr m = getAffineDimExpr(0, ctx), part = getAffineDimExpr(1, ctx),
             n = getAffineDimExpr(2, ctx), inPart = getAffineDimExpr(3, ctx);
  AffineExpr row = part * chunk + inPart;
  SmallVector<AffineMap> maps = {
      AffineMap::get(4, 0, {m, part, inPart}, ctx),
      AffineMap::get(4, 0, {row.floorDiv(perByte), n}, ctx),
      AffineMap::get(4, 0, {row.floorDiv(w.group), n}, ctx),
      AffineMap::get(4, 0, {row.floorDiv(w.group), n}, ctx), outMap};
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(),
      ValueRange{lhs, unpackingConstant(b, loc, w), scaleTable, zeroPointTable},
      ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Type i32 = nb.getI32Type();
        Value q = arith::ExtUIOp::create(nb, l, i32, args[1]);
        if (perByte > 1) {
          // The value's bits within the byte: (row % perByte) * bits.
          Value rowIndex = arith::AddIOp::create(
              nb, l,
              arith::MulIOp::create(nb, l, linalg::IndexOp::create(nb, l, 1),
                                    arith::ConstantIndexOp::create(nb, l, chunk)),
              linalg::IndexOp::create(nb, l, 3));
          Value shift = arith::MulIOp::create(
              nb, l,
              arith::IndexCastOp::create(
                  nb, l, i32,
                  arith::RemUIOp::create(nb, l, rowIndex,
                                         arith::ConstantIndexOp::create(nb, l, perByte))),
              arith::ConstantIntOp::create(nb, l, i32, bits));
          q = arith::AndIOp::create(nb, l, arith::ShRUIOp::create(nb, l, q, shift),
                                    arith::ConstantIntOp::create(nb, l, i32, (1 << bits) - 1));
        }
        // (q - zp) * scale in f32, exactly the evaluator's dequantized weight.
        Value weight = arith::MulFOp::create(
            nb, l,
            arith::SIToFPOp::create(nb, l, nb.getF32Type(),
                                    arith::SubIOp::create(nb, l, q, args[3])),
            args[2]);
        Value product = arith::MulFOp::create(nb, l, args[0], weight);
        linalg::YieldOp::create(nb, l,
                                ValueRange{arith::AddFOp::create(nb, l, args[4], product)});
      });
  return generic.getResult(0);
}

/// Lowers `op` (result [..., N] = lhs [..., K] x weight + bias) to the
/// unpacking form.
LogicalResult lowerUnpacking(Operation *op, Value lhs, const QuantizedWeight &w,
                             Value bias, ConversionPatternRewriter &rewriter) {
  Location loc = op->getLoc();
  MLIRContext *ctx = rewriter.getContext();
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  int64_t perByte = 8 / w.type.getStorageTypeIntegralWidth();
  if (w.k % perByte)
    return rewriter.notifyMatchFailure(op, "4-bit weights need an even K");
  int64_t m = type.getNumElements() / w.n;
  int64_t parts = splitKParts(m, w.n, w.k, perByte);
  int64_t chunk = w.k / parts;
  if (lhsType.getRank() != 2)
    lhs = tensor::CollapseShapeOp::create(rewriter, loc, lhsType.clone({m, w.k}), lhs,
                                          groupDims({lhsType.getRank() - 1, 1}));
  Value lhs3d = tensor::ExpandShapeOp::create(
      rewriter, loc, lhsType.clone({m, parts, chunk}), lhs, groupDims({1, 2}));

  auto outType = type.clone({m, w.n});
  Value init =
      bias ? buildElementwise(rewriter, loc, outType, {bias},
                              {broadcastMap(cast<RankedTensorType>(bias.getType()).getShape(),
                                            {m, w.n}, ctx)},
                              [](OpBuilder &, Location, ValueRange args) { return args[0]; })
           : filledTensor(rewriter, loc, outType, rewriter.getF32FloatAttr(0.0f));

  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  using utils::IteratorType;
  Value result;
  if (parts == 1) {
    result = buildUnpackingContraction(
        rewriter, loc, lhs3d, w, chunk, init, AffineMap::get(4, 0, {d(0), d(2)}, ctx),
        {IteratorType::parallel, IteratorType::reduction, IteratorType::parallel,
         IteratorType::reduction});
  } else {
    auto partialType = type.clone({m, parts, w.n});
    Value partial = buildUnpackingContraction(
        rewriter, loc, lhs3d, w, chunk,
        filledTensor(rewriter, loc, partialType, rewriter.getF32FloatAttr(0.0f)),
        AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx),
        {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
         IteratorType::reduction});
    // Loops (m, n, part).
    result = linalg::GenericOp::create(
                 rewriter, loc, outType, ValueRange{partial}, ValueRange{init},
                 SmallVector<AffineMap>{AffineMap::get(3, 0, {d(0), d(2), d(1)}, ctx),
                                        AffineMap::get(3, 0, {d(0), d(1)}, ctx)},
                 SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                           IteratorType::reduction},
                 [](OpBuilder &nb, Location l, ValueRange args) {
                   linalg::YieldOp::create(
                       nb, l, ValueRange{arith::AddFOp::create(nb, l, args[1], args[0])});
                 })
                 .getResult(0);
  }
  if (type.getRank() == 2)
    rewriter.replaceOp(op, result);
  else
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, result,
                                                       groupDims({type.getRank() - 1, 1}));
  return success();
}

/// Where a weight-only layer goes: a microkernel call of the instruction set
/// `suffix`, or (empty suffix) the unpacking form.
struct WeightOnlyLowering {
  std::string suffix;

  LogicalResult lower(Operation *op, Value lhs, const QuantizedWeight &w, Value bias,
                      std::optional<uint64_t> int8Block,
                      ConversionPatternRewriter &rewriter) const {
    if (suffix.empty()) {
      if (int8Block)
        return rewriter.notifyMatchFailure(op, "no unpacking form of dynamic_int8_block");
      return lowerUnpacking(op, lhs, w, bias, rewriter);
    }
    return lowerWeightOnly(op, lhs, w, bias, int8Block, suffix, rewriter);
  }
};

struct WeightOnlyMatMulLowering : OpConversionPattern<qc::MatMulOp>, WeightOnlyLowering {
  WeightOnlyMatMulLowering(const TypeConverter &converter, MLIRContext *ctx, StringRef suffix)
      : OpConversionPattern(converter, ctx, /*benefit=*/3),
        WeightOnlyLowering{suffix.str()} {}

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
    return lower(op, adaptor.getLhs(), *w, nullptr, op.getDynamicInt8Block(), rewriter);
  }
};

/// Gemm with alpha = beta = 1, no transposed A and a bias of N values.
struct WeightOnlyGemmLowering : OpConversionPattern<qc::GemmOp>, WeightOnlyLowering {
  WeightOnlyGemmLowering(const TypeConverter &converter, MLIRContext *ctx, StringRef suffix)
      : OpConversionPattern(converter, ctx, /*benefit=*/3),
        WeightOnlyLowering{suffix.str()} {}

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
    return lower(op, adaptor.getA(), *w, bias, op.getDynamicInt8Block(), rewriter);
  }
};
} // namespace

void conversion::populateWeightOnlyPatterns(QCTypeConverter &converter,
                                            RewritePatternSet &patterns,
                                            StringRef kernelSuffix) {
  patterns.add<WeightOnlyMatMulLowering, WeightOnlyGemmLowering>(
      converter, patterns.getContext(), kernelSuffix);
}

void conversion::populateWeightOnlyUnpackingPatterns(QCTypeConverter &converter,
                                                     RewritePatternSet &patterns) {
  patterns.add<WeightOnlyMatMulLowering, WeightOnlyGemmLowering>(
      converter, patterns.getContext(), /*suffix=*/"");
}
