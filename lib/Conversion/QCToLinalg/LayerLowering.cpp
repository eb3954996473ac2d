//===- LayerLowering.cpp - matmul, gemm, conv (float and integer) -*- C++ -*-===//
//
// Matrix products become one linalg.generic with a reduction dim (batch dims
// broadcast in its maps); convolutions become linalg.conv_2d_ngchw_gfchw on a
// padded input, which covers groups and depthwise alike. Integer layers run
// the same structure on i32 values with their zero points subtracted; the
// accumulator starts from the bias.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Dialect/QC/QuantUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// Maps of `out[batch..., m, n] += lhs[..., m, k] * rhs[..., k, n]` for
/// ONNX MatMul operands of any rank (1-d operands drop m or n).
SmallVector<AffineMap> matmulMaps(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                                  ArrayRef<int64_t> out, MLIRContext *ctx) {
  int64_t rank = out.size(), k = rank;
  auto dim = [&](int64_t d) { return getAffineDimExpr(d, ctx); };
  bool hasM = lhs.size() > 1, hasN = rhs.size() > 1;
  int64_t batchRank = rank - hasM - hasN;
  ArrayRef<int64_t> outBatch = out.take_front(batchRank);
  auto batchExprs = [&](ArrayRef<int64_t> batch) {
    SmallVector<AffineExpr> exprs;
    size_t offset = outBatch.size() - batch.size();
    for (size_t i = 0; i < batch.size(); ++i)
      exprs.push_back(batch[i] == 1 && outBatch[i + offset] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : dim(i + offset));
    return exprs;
  };
  SmallVector<AffineExpr> lhsExprs, rhsExprs, outExprs;
  if (hasM) {
    lhsExprs = batchExprs(lhs.drop_back(2));
    lhsExprs.append({dim(batchRank), dim(k)});
  } else {
    lhsExprs = {dim(k)};
  }
  if (hasN) {
    rhsExprs = batchExprs(rhs.drop_back(2));
    rhsExprs.append({dim(k), dim(rank - 1)});
  } else {
    rhsExprs = {dim(k)};
  }
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(dim(d));
  return {AffineMap::get(rank + 1, 0, lhsExprs, ctx),
          AffineMap::get(rank + 1, 0, rhsExprs, ctx),
          AffineMap::get(rank + 1, 0, outExprs, ctx)};
}

/// `init + lhs x rhs` with `maps` (lhs, rhs, out); multiply-add in the
/// accumulator's element type.
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       Value init, ArrayRef<AffineMap> maps) {
  auto type = cast<RankedTensorType>(init.getType());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  bool isFloat = isa<FloatType>(type.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, type, ValueRange{lhs, rhs}, init, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value sum;
        if (isFloat)
          sum = arith::AddFOp::create(nb, l, args[2],
                                      arith::MulFOp::create(nb, l, args[0], args[1]));
        else
          sum = arith::AddIOp::create(nb, l, args[2],
                                      arith::MulIOp::create(nb, l, args[0], args[1]));
        linalg::YieldOp::create(nb, l, sum);
      });
  return generic.getResult(0);
}

/// A tensor of `type` holding `bias` broadcast along `axis` (or zeros).
Value initialAccumulator(OpBuilder &b, Location loc, RankedTensorType type,
                         Value bias, int64_t axis) {
  if (!bias)
    return filledTensor(b, loc, type, b.getZeroAttr(type.getElementType()));
  AffineMap map = AffineMap::get(type.getRank(), 0,
                                 getAffineDimExpr(axis, b.getContext()));
  return buildElementwise(b, loc, type, bias, map,
                          [](OpBuilder &, Location, ValueRange args) {
                            return args[0];
                          });
}

} // namespace

Value conversion::addChannelBias(OpBuilder &b, Location loc, Value value, Value bias) {
  auto type = cast<RankedTensorType>(value.getType());
  AffineMap channel = AffineMap::get(type.getRank(), 0,
                                     getAffineDimExpr(1, b.getContext()));
  return buildElementwise(b, loc, type, {value, bias},
                          {b.getMultiDimIdentityMap(type.getRank()), channel},
                          [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                            return arith::AddFOp::create(nb, l, a[0], a[1]);
                          });
}

Value conversion::from2D(OpBuilder &b, Location loc, Value v, RankedTensorType type) {
  if (type.getRank() == 4)
    return v;
  return tensor::CollapseShapeOp::create(
      b, loc, type, v, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
}

RankedTensorType conversion::as2DType(RankedTensorType type) {
  return type.clone(shape2D(type.getShape()));
}

Value conversion::buildGemmEpilogue(OpBuilder &b, Location loc, qc::GemmOp op,
                                    Value product, Value c) {
  auto type = cast<RankedTensorType>(product.getType());
  float alpha = op.getAlpha().convertToFloat();
  float beta = op.getBeta().convertToFloat();
  if (alpha == 1.0f && !c)
    return product;
  SmallVector<Value> inputs = {product};
  if (c)
    inputs.push_back(c);
  return buildElementwise(
      b, loc, type, inputs, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value y = args[0];
        if (alpha != 1.0f)
          y = arith::MulFOp::create(nb, l, y, constantF32(nb, l, alpha));
        if (args.size() > 1)
          y = arith::AddFOp::create(
              nb, l, y, arith::MulFOp::create(nb, l, constantF32(nb, l, beta), args[1]));
        return y;
      });
}

namespace {
struct MatMulLowering : OpConversionPattern<qc::MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (type.getRank() == 0)
      return rewriter.notifyMatchFailure(op, "vector dot product");
    if (op.getDynamicInt8Block())
      return rewriter.notifyMatchFailure(op, "int8 inputs: the weight-only kernel only");
    Location loc = op.getLoc();
    auto maps = matmulMaps(cast<ShapedType>(op.getLhs().getType()).getShape(),
                           cast<ShapedType>(op.getRhs().getType()).getShape(),
                           type.getShape(), getContext());
    Value init = filledTensor(rewriter, loc, type, rewriter.getZeroAttr(type.getElementType()));
    rewriter.replaceOp(op, buildContraction(rewriter, loc, adaptor.getLhs(),
                                            adaptor.getRhs(), init, maps));
    return success();
  }
};

struct GemmLowering : OpConversionPattern<qc::GemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getDynamicInt8Block())
      return rewriter.notifyMatchFailure(op, "int8 inputs: the weight-only kernel only");
    auto type = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    // (m, n, k)
    AffineMap a = AffineMap::get(3, 0, op.getTransA() ? SmallVector<AffineExpr>{d(2), d(0)}
                                                      : SmallVector<AffineExpr>{d(0), d(2)}, ctx);
    AffineMap bMap = AffineMap::get(3, 0, op.getTransB() ? SmallVector<AffineExpr>{d(1), d(2)}
                                                         : SmallVector<AffineExpr>{d(2), d(1)}, ctx);
    AffineMap out = AffineMap::get(3, 0, {d(0), d(1)}, ctx);
    Value init = filledTensor(rewriter, loc, type, rewriter.getF32FloatAttr(0));
    Value product = buildContraction(rewriter, loc, adaptor.getA(), adaptor.getB(),
                                     init, {a, bMap, out});
    rewriter.replaceOp(op, buildGemmEpilogue(rewriter, loc, op, product, adaptor.getC()));
    return success();
  }
};

/// out[n, o, y, x] = init + sum input[n, c, y*s + ky*d, ...] * weight[o, c, ...]
/// over a padded 4-d `input` and a 4-d `weight`, in `group`s.
Value buildGroupedConv(OpBuilder &b, Location loc, Value input, Value weight,
                       Value init, int64_t group, const ConvGeometry &g) {
  auto inType = cast<RankedTensorType>(input.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  auto outType = cast<RankedTensorType>(init.getType());
  ArrayRef<int64_t> in = inType.getShape(), w = wType.getShape(),
                    out = outType.getShape();
  auto groups = groupDims({1, 2, 1, 1});
  Value groupedIn = tensor::ExpandShapeOp::create(
      b, loc, inType.clone({in[0], group, in[1] / group, in[2], in[3]}), input,
      groups);
  Value groupedW = tensor::ExpandShapeOp::create(
      b, loc, wType.clone({group, w[0] / group, w[1], w[2], w[3]}), weight,
      groupDims({2, 1, 1, 1}));
  Value groupedInit = tensor::ExpandShapeOp::create(
      b, loc, outType.clone({out[0], group, out[1] / group, out[2], out[3]}),
      init, groups);
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("strides", b.getI64TensorAttr(g.strides)),
      b.getNamedAttr("dilations", b.getI64TensorAttr(g.dilations))};
  Value conv = linalg::Conv2DNgchwGfchwOp::create(
                   b, loc, TypeRange{groupedInit.getType()},
                   ValueRange{groupedIn, groupedW}, ValueRange{groupedInit}, attrs)
                   .getResult(0);
  return tensor::CollapseShapeOp::create(b, loc, outType, conv, groups);
}


struct ConvLowering : OpConversionPattern<qc::ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<ConvGeometry> g = getGeometry(op);
    if (failed(g))
      return rewriter.notifyMatchFailure(op, "only 1-d and 2-d convolutions");
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
    Value input = padTensor(rewriter, loc, as2D(rewriter, loc, adaptor.getInput()),
                            g->padLow, g->padHigh, zero);
    Value weight = as2D(rewriter, loc, adaptor.getWeight());
    RankedTensorType type2D = as2DType(type);
    // The bias comes after the sum, as in the evaluator, so that float
    // layers round identically.
    Value init = initialAccumulator(rewriter, loc, type2D, nullptr, 1);
    Value conv = buildGroupedConv(rewriter, loc, input, weight, init,
                                  op.getGroup(), *g);
    if (adaptor.getBias())
      conv = addChannelBias(rewriter, loc, conv, adaptor.getBias());
    rewriter.replaceOp(op, from2D(rewriter, loc, conv, type));
    return success();
  }
};

/// A 3-d convolution as one generic over (n, g, o, od, oh, ow, c, kd, kh, kw)
/// on the padded input split into groups: each output sums its taps in the
/// evaluator's order (channel, then window, row-major), then the bias.
struct Conv3DLowering : OpConversionPattern<qc::ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    FailureOr<ConvGeometry> g = getGeometry3D(op);
    if (failed(g) || !type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "f32 3-d convolutions only");
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
    Value input = padTensor(rewriter, loc, adaptor.getInput(), g->padLow, g->padHigh, zero);
    auto inType = cast<RankedTensorType>(input.getType());
    auto wType = cast<RankedTensorType>(adaptor.getWeight().getType());
    ArrayRef<int64_t> in = inType.getShape(), w = wType.getShape(), out = type.getShape();
    int64_t group = op.getGroup();
    Value groupedIn = tensor::ExpandShapeOp::create(
        rewriter, loc, inType.clone({in[0], group, in[1] / group, in[2], in[3], in[4]}), input,
        groupDims({1, 2, 1, 1, 1}));
    Value groupedW = tensor::ExpandShapeOp::create(
        rewriter, loc, wType.clone({group, w[0] / group, w[1], w[2], w[3], w[4]}),
        adaptor.getWeight(), groupDims({2, 1, 1, 1, 1}));
    auto groupedType = type.clone({out[0], group, out[1] / group, out[2], out[3], out[4]});
    Value init = filledTensor(rewriter, loc, groupedType, rewriter.getF32FloatAttr(0));
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> inExprs = {d(0), d(1), d(6)};
    for (int64_t i = 0; i < 3; ++i)
      inExprs.push_back(d(3 + i) * g->strides[i] + d(7 + i) * g->dilations[i]);
    SmallVector<AffineMap> maps = {
        AffineMap::get(10, 0, inExprs, ctx),
        AffineMap::get(10, 0, {d(1), d(2), d(6), d(7), d(8), d(9)}, ctx),
        AffineMap::get(10, 0, {d(0), d(1), d(2), d(3), d(4), d(5)}, ctx)};
    SmallVector<utils::IteratorType> iterators(6, utils::IteratorType::parallel);
    iterators.append(4, utils::IteratorType::reduction);
    Value conv = linalg::GenericOp::create(
                     rewriter, loc, groupedType, ValueRange{groupedIn, groupedW}, init, maps,
                     iterators,
                     [](OpBuilder &b, Location l, ValueRange args) {
                       Value product = arith::MulFOp::create(b, l, args[0], args[1]);
                       linalg::YieldOp::create(b, l,
                                               ValueRange{arith::AddFOp::create(b, l, args[2], product)});
                     })
                     .getResult(0);
    Value result = tensor::CollapseShapeOp::create(rewriter, loc, type, conv,
                                                   groupDims({1, 2, 1, 1, 1}));
    if (adaptor.getBias())
      result = addChannelBias(rewriter, loc, result, adaptor.getBias());
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A transposed convolution in the evaluator's order: for each window tap,
/// the sum over input channels (P), then the taps added in order, then the
/// bias. Inputs are spread out by the stride (zeros between pixels) and
/// padded by dilation x (kernel - 1) - pad, so that every tap of every
/// output reads an affine position. 1-d runs as 2-d; 3-d as it is.
struct ConvTransposeLowering : OpConversionPattern<qc::ConvTransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool is3D = type.getRank() == 5;
    FailureOr<ConvGeometry> g = is3D ? getGeometry3D(op) : getGeometry(op);
    if (failed(g))
      return rewriter.notifyMatchFailure(op, "only 1-d, 2-d and 3-d convolutions");
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    RankedTensorType typeND = is3D ? type : as2DType(type);
    Value input = is3D ? adaptor.getInput() : as2D(rewriter, loc, adaptor.getInput());
    Value weight = is3D ? adaptor.getWeight() : as2D(rewriter, loc, adaptor.getWeight());
    auto inType = cast<RankedTensorType>(input.getType());
    ArrayRef<int64_t> in = inType.getShape();
    ArrayRef<int64_t> w = cast<RankedTensorType>(weight.getType()).getShape();
    ArrayRef<int64_t> out = typeND.getShape();
    int64_t spatial = typeND.getRank() - 2;
    ArrayRef<int64_t> dilations = g->dilations;
    int64_t group = op.getGroup(), cg = in[1] / group, og = w[1];
    SmallVector<int64_t> shape(in.take_front(2)), offsets(2 + spatial, 0),
        strides(2 + spatial, 1);
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t k = w[2 + i], dil = dilations[i];
      int64_t low = dil * (k - 1) - g->padLow[2 + i];
      if (low < 0)
        return rewriter.notifyMatchFailure(op, "padding wider than the window");
      shape.push_back(out[2 + i] + dil * (k - 1));
      offsets[2 + i] = low;
      strides[2 + i] = g->strides[i];
    }
    Type element = type.getElementType();
    Value zeros = filledTensor(rewriter, loc, inType.clone(shape),
                               rewriter.getZeroAttr(element));
    Value spread = tensor::InsertSliceOp::create(
        rewriter, loc, input, zeros, ValueRange{}, ValueRange{}, ValueRange{},
        offsets, in, strides);
    // Loops (n, o, taps..., positions..., c):
    // P[n, o, k.., y..] = sum_c W[g*cg + c, o % og, k..] *
    //     S[n, g*cg + c, y + d*(K-1-k)..], g = o / og.
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    int64_t loops = 3 + 2 * spatial;
    AffineExpr channel = d(1).floorDiv(og) * cg + d(loops - 1);
    SmallVector<AffineExpr> wExprs = {channel, d(1) % og}, sExprs = {d(0), channel},
                            pExprs = {d(0), d(1)}, outExprs = {d(0), d(1)};
    SmallVector<int64_t> partialShape(out.take_front(2));
    for (int64_t i = 0; i < spatial; ++i) {
      AffineExpr tap = d(2 + i), position = d(2 + spatial + i);
      wExprs.push_back(tap);
      sExprs.push_back(position + (w[2 + i] - 1) * dilations[i] - tap * dilations[i]);
      partialShape.push_back(w[2 + i]);
      outExprs.push_back(d(2 + i));
    }
    for (int64_t i = 0; i < 2 * spatial; ++i)
      pExprs.push_back(d(2 + i));
    llvm::append_range(partialShape, out.drop_front(2));
    SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, wExprs, ctx),
                                   AffineMap::get(loops, 0, sExprs, ctx),
                                   AffineMap::get(loops, 0, {d(loops - 1)}, ctx),
                                   AffineMap::get(loops, 0, pExprs, ctx)};
    // Gives the channel loop its extent (linalg infers bounds from operands).
    Value channels = tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{cg}, element);
    auto partialType = typeND.clone(partialShape);
    Value partials = filledTensor(rewriter, loc, partialType, rewriter.getZeroAttr(element));
    SmallVector<utils::IteratorType> iterators(loops - 1, utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    partials = linalg::GenericOp::create(
                   rewriter, loc, partialType, ValueRange{weight, spread, channels},
                   partials, maps, iterators,
                   [](OpBuilder &b, Location l, ValueRange a) {
                     Value sum = arith::AddFOp::create(
                         b, l, a[3], arith::MulFOp::create(b, l, a[1], a[0]));
                     linalg::YieldOp::create(b, l, sum);
                   })
                   .getResult(0);
    // out[n, o, y..] = sum over taps k.. of P, in order: loops (n, o,
    // positions..., taps...).
    SmallVector<AffineExpr> readExprs = {d(0), d(1)};
    for (int64_t i = 0; i < spatial; ++i)
      readExprs.push_back(d(2 + spatial + i));
    for (int64_t i = 0; i < spatial; ++i)
      readExprs.push_back(d(2 + i));
    Value result = filledTensor(rewriter, loc, typeND, rewriter.getZeroAttr(element));
    SmallVector<utils::IteratorType> tapIterators(2 + spatial, utils::IteratorType::parallel);
    tapIterators.append(spatial, utils::IteratorType::reduction);
    result = linalg::GenericOp::create(
                 rewriter, loc, typeND, partials, result,
                 SmallVector<AffineMap>{AffineMap::get(2 + 2 * spatial, 0, readExprs, ctx),
                                        AffineMap::get(2 + 2 * spatial, 0, outExprs, ctx)},
                 tapIterators,
                 [](OpBuilder &b, Location l, ValueRange a) {
                   linalg::YieldOp::create(b, l, arith::AddFOp::create(b, l, a[1], a[0]).getResult());
                 })
                 .getResult(0);
    if (adaptor.getBias())
      result = addChannelBias(rewriter, loc, result, adaptor.getBias());
    rewriter.replaceOp(op, is3D ? result : from2D(rewriter, loc, result, type));
    return success();
  }
};

/// Einsum as one linalg.generic: output letters are parallel dims, the
/// other letters reduction dims; operands read their letters' dims.
struct EinsumLowering : OpConversionPattern<qc::EinsumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::EinsumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {

    auto parsed = qc::parseEinsum(op.getEquation(), adaptor.getOperands().size());
    if (failed(parsed) || parsed->inputs.size() > 2)
      return rewriter.notifyMatchFailure(op, "einsum of 1 or 2 operands");
    MLIRContext *ctx = getContext();
    std::string letters = parsed->output;
    for (const std::string &in : parsed->inputs)
      for (char c : in)
        if (letters.find(c) == std::string::npos)
          letters.push_back(c);
    int64_t loops = letters.size();
    auto mapOf = [&](StringRef subscripts) {
      SmallVector<AffineExpr> exprs;
      for (char c : subscripts)
        exprs.push_back(getAffineDimExpr(letters.find(c), ctx));
      return AffineMap::get(loops, 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps;
    for (const std::string &in : parsed->inputs)
      maps.push_back(mapOf(in));
    maps.push_back(mapOf(parsed->output));
    SmallVector<utils::IteratorType> iterators;
    for (int64_t i = 0; i < loops; ++i)
      iterators.push_back(i < (int64_t)parsed->output.size()
                              ? utils::IteratorType::parallel
                              : utils::IteratorType::reduction);
    auto type = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    Value init = filledTensor(rewriter, loc, type, rewriter.getZeroAttr(type.getElementType()));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getOperands(), init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value term = args[0];
          if (args.size() > 2)
            term = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(b, l, arith::AddFOp::create(b, l, args.back(), term).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Stored integers of an operand as i32 minus `offset` (a zero point, or 0).
Value centeredI32(OpBuilder &b, Location loc, Value v, Type quantizedTensor,
                  int64_t offset) {
  auto type = cast<RankedTensorType>(v.getType());
  bool isUnsigned = isUnsignedStorage(quantizedTensor);
  return buildElementwise(
      b, loc, type.clone(b.getI32Type()), v,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value wide = extendToI64(nb, l, args[0], isUnsigned);
        Value c = arith::SubIOp::create(nb, l, wide, constantI64(nb, l, offset));
        return arith::TruncIOp::create(nb, l, nb.getI32Type(), c).getResult();
      });
}

/// Weights as i32 minus their zero point per parameter block.
FailureOr<Value> centeredWeightsI32(OpBuilder &b, Location loc, Value v,
                                    Type quantizedTensor) {
  FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(quantizedTensor);
  if (failed(layout))
    return failure();
  if (llvm::all_equal(layout->zeroPoints))
    return centeredI32(b, loc, v, quantizedTensor, layout->zeroPoints[0]);
  AffineMap paramMap = quantParamMap(*layout, b.getContext());
  auto zpType = RankedTensorType::get(layout->paramShape, b.getI64Type());
  Value zeroPoints = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(zpType, ArrayRef(layout->zeroPoints)));
  auto type = cast<RankedTensorType>(v.getType());
  bool isUnsigned = isUnsignedStorage(quantizedTensor);
  return buildElementwise(
      b, loc, type.clone(b.getI32Type()), {v, zeroPoints},
      {b.getMultiDimIdentityMap(paramMap.getNumDims()), paramMap},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value c = arith::SubIOp::create(
            nb, l, extendToI64(nb, l, args[0], isUnsigned), args[1]);
        return arith::TruncIOp::create(nb, l, nb.getI32Type(), c).getResult();
      });
}

int64_t inputOffset(Value input, bool zeroPointFolded) {
  return zeroPointFolded ? 0 : qc::getUniformType(input.getType()).getZeroPoint();
}

struct QMatMulLowering : OpConversionPattern<qc::QMatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::QMatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    if (!qc::getUniformType(op.getLhs().getType()))
      return rewriter.notifyMatchFailure(op, "per-tensor activations expected");
    Value lhs = centeredI32(rewriter, loc, adaptor.getLhs(), op.getLhs().getType(),
                            inputOffset(op.getLhs(), op.getZeroPointFolded()));
    FailureOr<Value> rhs = centeredWeightsI32(rewriter, loc, adaptor.getRhs(),
                                              op.getRhs().getType());
    if (failed(rhs))
      return rewriter.notifyMatchFailure(op, "unsupported weight type");
    auto maps = matmulMaps(cast<ShapedType>(op.getLhs().getType()).getShape(),
                           cast<ShapedType>(op.getRhs().getType()).getShape(),
                           type.getShape(), getContext());
    Value init = initialAccumulator(rewriter, loc, type, adaptor.getBias(),
                                    type.getRank() - 1);
    rewriter.replaceOp(op, buildContraction(rewriter, loc, lhs, *rhs, init, maps));
    return success();
  }
};

struct QConvLowering : OpConversionPattern<qc::QConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::QConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<ConvGeometry> g = getGeometry(op);
    auto inType = qc::getUniformType(op.getInput().getType());
    if (failed(g) || !inType)
      return rewriter.notifyMatchFailure(op, "1-d/2-d per-tensor input expected");
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    // Padding holds the input zero point (real zero) before centring.
    Type storage = cast<RankedTensorType>(adaptor.getInput().getType()).getElementType();
    Value zeroPoint = arith::ConstantOp::create(
        rewriter, loc, rewriter.getIntegerAttr(storage, inType.getZeroPoint()));
    Value padded = padTensor(rewriter, loc, as2D(rewriter, loc, adaptor.getInput()),
                             g->padLow, g->padHigh, zeroPoint);
    Value input = centeredI32(rewriter, loc, padded, op.getInput().getType(),
                              inputOffset(op.getInput(), op.getZeroPointFolded()));
    FailureOr<Value> weight = centeredWeightsI32(
        rewriter, loc, adaptor.getWeight(), op.getWeight().getType());
    if (failed(weight))
      return rewriter.notifyMatchFailure(op, "unsupported weight type");
    RankedTensorType type2D = as2DType(type);
    Value init = initialAccumulator(rewriter, loc, type2D, adaptor.getBias(), 1);
    Value conv = buildGroupedConv(rewriter, loc, input,
                                  as2D(rewriter, loc, *weight), init,
                                  op.getGroup(), *g);
    rewriter.replaceOp(op, from2D(rewriter, loc, conv, type));
    return success();
  }
};
} // namespace

void conversion::populateLayerPatterns(QCTypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering, ConvLowering, Conv3DLowering, ConvTransposeLowering,
               EinsumLowering,
               QMatMulLowering,
               QConvLowering>(converter, patterns.getContext());
}
