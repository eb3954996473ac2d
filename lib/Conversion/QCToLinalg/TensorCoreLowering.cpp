//===- TensorCoreLowering.cpp - 8-bit layers as mma contractions -*- C++ -*-===//
//
// For GPU targets: an integer convolution or matmul with constant s8 weights
// (zero zero points) becomes one contraction of 8-bit operands into i32,
// marked for tensor cores (see quantc/Conversion/TensorCores.h):
//
//   conv:   C[b, oc, p] += W[oc, k] * im2col(x)[b, p, k]
//   matmul: C[m, n]     += x[m, k]  * Wt[n, k]
//
// Both operands stay 8-bit, so the input zero point cannot be subtracted
// first; it folds into the bias instead: sum (a - z) w = sum a w - z sum w.
// Padding holds the zero point, like the loop lowering's.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "PackableLayer.h"
#include "quantc/Conversion/TensorCores.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// The weights as an N x K constant (each output channel's taps contiguous,
/// the `col` layout of mma.sync).
Value transposedWeights(OpBuilder &b, Location loc, const PackableLayer &layer) {
  std::vector<int8_t> rows(layer.n * layer.k);
  for (int64_t c = 0; c < layer.n; ++c)
    for (int64_t k = 0; k < layer.k; ++k)
      rows[c * layer.k + k] = layer.weights[k * layer.n + c];
  auto type = RankedTensorType::get({layer.n, layer.k}, b.getI8Type());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign<int8_t>(rows);
  return arith::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, "mma_weights", std::move(blob)));
}

/// bias - offset * (sum of each channel's weights), wrapped to i32 (exact:
/// the true accumulator fits i32).
SmallVector<int32_t> correctedBias(const PackableLayer &layer) {
  SmallVector<int32_t> bias(layer.n);
  for (int64_t c = 0; c < layer.n; ++c) {
    int64_t b = layer.bias ? layer.bias->ints()[c] : 0;
    bias[c] = static_cast<int32_t>(
        static_cast<uint32_t>(b - layer.inputOffset * weightSum(layer, c)));
  }
  return bias;
}

/// `bias` broadcast along every dim of `type` but `channelDim`.
Value broadcastBias(OpBuilder &b, Location loc, ArrayRef<int32_t> bias,
                    RankedTensorType type, int64_t channelDim) {
  Value values = constantVector<int32_t>(b, loc, bias, b.getI32Type());
  AffineMap map = AffineMap::get(type.getRank(), 0,
                                 getAffineDimExpr(channelDim, b.getContext()));
  return buildElementwise(b, loc, type, {values}, {map},
                          [](OpBuilder &, Location, ValueRange args) {
                            return args[0];
                          });
}

StringRef ptxType(bool isUnsigned) { return isUnsigned ? "u8" : "s8"; }

/// init + sum_k a * b over the contraction maps `maps` (k the last loop),
/// marked with the operands' PTX types.
Value buildMMAContraction(OpBuilder &b, Location loc, Value a, Value bOperand,
                          Value init, ArrayRef<AffineMap> maps, bool aUnsigned,
                          bool bUnsigned) {
  int64_t loops = maps[0].getNumDims();
  SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{a, bOperand}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        auto widen = [&](Value v, bool isUnsigned) -> Value {
          if (isUnsigned)
            return arith::ExtUIOp::create(nb, l, nb.getI32Type(), v);
          return arith::ExtSIOp::create(nb, l, nb.getI32Type(), v);
        };
        Value product = arith::MulIOp::create(nb, l, widen(args[0], aUnsigned),
                                              widen(args[1], bUnsigned));
        linalg::YieldOp::create(nb, l,
                                ValueRange{arith::AddIOp::create(nb, l, args[2], product)});
      });
  generic->setAttr(kMMAOperandsAttr,
                   b.getStrArrayAttr({ptxType(aUnsigned), ptxType(bUnsigned)}));
  return generic.getResult(0);
}

/// x[n, c, y, x] (padded) → col[n, oy * OW + ox, (c * KH + ky) * KW + kx].
Value buildIm2Col(OpBuilder &b, Location loc, Value padded,
                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> outHW,
                  const ConvGeometry &g) {
  auto type = cast<RankedTensorType>(padded.getType());
  ArrayRef<int64_t> in = type.getShape();
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // Loops (n, oy, ox, c, ky, kx).
  AffineMap read = AffineMap::get(
      6, 0,
      {d(0), d(3), d(1) * g.strides[0] + d(4) * g.dilations[0],
       d(2) * g.strides[1] + d(5) * g.dilations[1]},
      ctx);
  auto colType = type.clone({in[0], outHW[0], outHW[1], in[1], kernel[0], kernel[1]});
  Value col = buildElementwise(b, loc, colType, {padded}, {read},
                               [](OpBuilder &, Location, ValueRange args) {
                                 return args[0];
                               });
  return tensor::CollapseShapeOp::create(
      b, loc,
      type.clone({in[0], outHW[0] * outHW[1], in[1] * kernel[0] * kernel[1]}), col,
      groupDims({1, 2, 3}));
}

struct TensorCoreConvLowering : OpConversionPattern<qc::QConvOp> {
  TensorCoreConvLowering(const TypeConverter &converter, MLIRContext *ctx)
      : OpConversionPattern(converter, ctx, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(qc::QConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getGroup() != 1)
      return rewriter.notifyMatchFailure(op, "grouped convolutions use loops");
    FailureOr<PackableLayer> layer = matchPackableLayer(op);
    if (failed(layer))
      return rewriter.notifyMatchFailure(op, "not an 8-bit constant-weight layer");
    Location loc = op.getLoc();
    ConvGeometry g = *getGeometry(op);
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<int64_t, 4> out = shape2D(type.getShape());
    SmallVector<int64_t, 4> kernel =
        shape2D(cast<ShapedType>(op.getWeight().getType()).getShape());
    Type storage = cast<RankedTensorType>(adaptor.getInput().getType()).getElementType();
    Value zeroPoint = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getIntegerAttr(storage, layer->inputType.getZeroPoint()));
    Value padded = padTensor(rewriter, loc, as2D(rewriter, loc, adaptor.getInput()),
                             g.padLow, g.padHigh, zeroPoint);
    Value col = buildIm2Col(rewriter, loc, padded, {kernel[2], kernel[3]},
                            {out[2], out[3]}, g);
    auto accType = type.clone({out[0], out[1], out[2] * out[3]});
    Value init = broadcastBias(rewriter, loc, correctedBias(*layer), accType, 1);
    MLIRContext *ctx = getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // Loops (b, m = oc, n = pixel, k).
    SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {d(1), d(3)}, ctx),
                                   AffineMap::get(4, 0, {d(0), d(2), d(3)}, ctx),
                                   AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)};
    Value acc = buildMMAContraction(rewriter, loc, transposedWeights(rewriter, loc, *layer),
                                    col, init, maps, /*aUnsigned=*/false,
                                    !layer->inputType.isSigned());
    if (type.getRank() == 3) {
      rewriter.replaceOp(op, acc); // N x OC x OW already
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, acc,
                                                       groupDims({1, 1, 2}));
    return success();
  }
};

struct TensorCoreMatMulLowering : OpConversionPattern<qc::QMatMulOp> {
  TensorCoreMatMulLowering(const TypeConverter &converter, MLIRContext *ctx)
      : OpConversionPattern(converter, ctx, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(qc::QMatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<PackableLayer> layer = matchPackableLayer(op);
    if (failed(layer))
      return rewriter.notifyMatchFailure(op, "not an 8-bit constant-weight layer");
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto inType = cast<RankedTensorType>(adaptor.getLhs().getType());
    int64_t rows = inType.getNumElements() / layer->k;
    Value lhs = adaptor.getLhs();
    if (inType.getRank() != 2)
      lhs = tensor::CollapseShapeOp::create(
          rewriter, loc, inType.clone({rows, layer->k}), lhs,
          groupDims({inType.getRank() - 1, 1}));
    auto accType = type.clone({rows, layer->n});
    Value init = broadcastBias(rewriter, loc, correctedBias(*layer), accType, 1);
    MLIRContext *ctx = getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // Loops (m, n, k).
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                   AffineMap::get(3, 0, {d(1), d(2)}, ctx),
                                   AffineMap::get(3, 0, {d(0), d(1)}, ctx)};
    Value acc = buildMMAContraction(rewriter, loc, lhs,
                                    transposedWeights(rewriter, loc, *layer), init,
                                    maps, !layer->inputType.isSigned(),
                                    /*bUnsigned=*/false);
    if (type.getRank() == 2) {
      rewriter.replaceOp(op, acc);
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, type, acc, groupDims({type.getRank() - 1, 1}));
    return success();
  }
};
} // namespace

void conversion::populateTensorCorePatterns(QCTypeConverter &converter,
                                            RewritePatternSet &patterns) {
  patterns.add<TensorCoreConvLowering, TensorCoreMatMulLowering>(
      converter, patterns.getContext());
}
