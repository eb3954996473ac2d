//===- MovementLowering.cpp - constants and data movement → tensor -*- C++ -*-===//
//
// Movement ops become tensor reshapes, slices and insertions where one
// exists, and otherwise a linalg.generic that computes each output element's
// source coordinate and extracts it (gather, tile, reflect/edge padding,
// resize).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
using CoordinateFn = function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                     ArrayRef<Value>)>;

/// out[i...] = element(i...): a linalg.generic over the output's indices.
Value buildFromIndices(
    OpBuilder &b, Location loc, RankedTensorType type,
    function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)> element) {
  int64_t rank = type.getRank();
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{}, emptyLike(b, loc, type),
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)}, iterators,
             [&](OpBuilder &nb, Location l, ValueRange) {
               SmallVector<Value> index;
               for (int64_t d = 0; d < rank; ++d)
                 index.push_back(linalg::IndexOp::create(nb, l, d));
               linalg::YieldOp::create(nb, l, element(nb, l, index));
             })
      .getResult(0);
}

/// out[i...] = source[coords(i...)], one extract per element.
Value buildGather(OpBuilder &b, Location loc, RankedTensorType type,
                  Value source, CoordinateFn coords) {
  return buildFromIndices(b, loc, type, [&](OpBuilder &nb, Location l, ArrayRef<Value> index) {
    return tensor::ExtractOp::create(nb, l, source, coords(nb, l, index)).getResult();
  });
}

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

struct ConstantLowering : OpConversionPattern<qc::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    if (!value)
      return rewriter.notifyMatchFailure(op, "constant without a type");
    if (value.getType() != type) {
      FailureOr<DenseElementsAttr> widened = widenToContainer(op, type);
      if (failed(widened))
        return rewriter.notifyMatchFailure(op, "constant of another type");
      value = *widened;
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }

  /// The values of a sub-byte integer constant in its i8 container (they are
  /// unsigned when the constant is the storage of unsigned quantized values),
  /// or of a float8 constant in its f32 one.
  static FailureOr<DenseElementsAttr> widenToContainer(qc::ConstantOp op,
                                                    RankedTensorType type) {
    auto from = dyn_cast<IntegerType>(op.getType().getElementType());
    FailureOr<reference::Tensor> values =
        reference::Tensor::fromAttr(cast<ElementsAttr>(op.getValue()));
    if (reference::isFloat8(op.getType().getElementType()) && succeeded(values))
      return DenseElementsAttr::get(type, values->floats());
    if (!from || from.getWidth() >= 8 || failed(values))
      return failure();
    bool isUnsigned = llvm::any_of(op->getUsers(), [](Operation *user) {
      return isa<quant::StorageCastOp>(user) && isUnsignedStorage(user->getResult(0).getType());
    });
    SmallVector<int8_t> bytes;
    for (int64_t v : values->ints())
      bytes.push_back(isUnsigned ? v & ((1 << from.getWidth()) - 1) : v);
    return DenseElementsAttr::get(type, ArrayRef<int8_t>(bytes));
  }
};

/// Any reshape of a static tensor: collapse to 1-d, expand to the result.
Value reshapeStatic(OpBuilder &b, Location loc, Value v, RankedTensorType to) {
  auto from = cast<RankedTensorType>(v.getType());
  if (from == to)
    return v;
  auto all = [](int64_t rank) {
    SmallVector<ReassociationIndices> groups;
    if (rank == 0)
      return groups;
    ReassociationIndices group;
    for (int64_t d = 0; d < rank; ++d)
      group.push_back(d);
    groups.push_back(group);
    return groups;
  };
  // Scalars reshape straight from or to all-ones shapes (no reassociation).
  if (from.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, to, v, ArrayRef<ReassociationIndices>{});
  if (to.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, to, v, ArrayRef<ReassociationIndices>{});
  auto flat = RankedTensorType::get({from.getNumElements()}, from.getElementType());
  if (from.getRank() != 1)
    v = tensor::CollapseShapeOp::create(b, loc, flat, v, all(from.getRank()));
  if (to.getRank() == 1)
    return v;
  return tensor::ExpandShapeOp::create(b, loc, to, v, all(to.getRank()));
}

template <typename OpTy>
struct ReshapeLikeLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(
        this->getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(op, reshapeStatic(rewriter, op.getLoc(),
                                         adaptor.getInput(), type));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<qc::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(),
        emptyLike(rewriter, op.getLoc(), type), op.getPerm());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<qc::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    Value result = emptyLike(rewriter, loc, type);
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      auto inType = cast<RankedTensorType>(input.getType());
      SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
      offsets[axis] = offset;
      result = tensor::InsertSliceOp::create(
          rewriter, loc, input, result, ValueRange{}, ValueRange{}, ValueRange{},
          offsets, inType.getShape(), strides);
      offset += inType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<qc::SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, type, adaptor.getInput(), ValueRange{}, ValueRange{}, ValueRange{},
          starts, type.getShape(), steps);
      return success();
    }
    Value result = buildGather(
        rewriter, loc, type, adaptor.getInput(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> index) {
          SmallVector<Value> coords;
          for (auto [d, i] : llvm::enumerate(index))
            coords.push_back(arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, i, indexConstant(b, l, steps[d])),
                indexConstant(b, l, starts[d])));
          return coords;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GatherLowering : OpConversionPattern<qc::GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto dataType = cast<RankedTensorType>(adaptor.getData().getType());
    auto indicesType = cast<RankedTensorType>(adaptor.getIndices().getType());
    int64_t axis = normalizeAxis(op.getAxis(), dataType.getRank());
    int64_t indexRank = indicesType.getRank(), dim = dataType.getDimSize(axis);
    Value indices = adaptor.getIndices();
    Value result = buildGather(
        rewriter, loc, type, adaptor.getData(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> index) {
          SmallVector<Value> coords(index.take_front(axis));
          Value raw = tensor::ExtractOp::create(
              b, l, indices, index.slice(axis, indexRank));
          raw = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
          // Negative indices count from the end; out-of-range ones clamp.
          Value negative = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::slt, raw, indexConstant(b, l, 0));
          Value wrapped = arith::SelectOp::create(
              b, l, negative, arith::AddIOp::create(b, l, raw, indexConstant(b, l, dim)), raw);
          wrapped = arith::MaxSIOp::create(b, l, wrapped, indexConstant(b, l, 0));
          wrapped = arith::MinSIOp::create(b, l, wrapped, indexConstant(b, l, dim - 1));
          coords.push_back(wrapped);
          for (Value i : index.drop_front(axis + indexRank))
            coords.push_back(i);
          return coords;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<qc::BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(op, buildElementwise(rewriter, op.getLoc(), type,
                                            adaptor.getInput(),
                                            [](OpBuilder &, Location, ValueRange a) {
                                              return a[0];
                                            }));
    return success();
  }
};

struct TileLowering : OpConversionPattern<qc::TileOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::TileOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < type.getRank(); ++d)
      exprs.push_back(getAffineDimExpr(d, getContext()) % inType.getDimSize(d));
    AffineMap map = AffineMap::get(type.getRank(), 0, exprs, getContext());
    rewriter.replaceOp(op, buildElementwise(rewriter, op.getLoc(), type,
                                            adaptor.getInput(), map,
                                            [](OpBuilder &, Location, ValueRange a) {
                                              return a[0];
                                            }));
    return success();
  }
};

struct PadLowering : OpConversionPattern<qc::PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = type.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
      return rewriter.notifyMatchFailure(op, "negative pads");
    StringRef mode = op.getMode();
    if (mode == "constant") {
      Type element = type.getElementType();
      double value = qc::getPadFill(op);
      TypedAttr attr = isa<FloatType>(element)
                           ? TypedAttr(rewriter.getFloatAttr(element, value))
                           : TypedAttr(rewriter.getIntegerAttr(element, int64_t(value)));
      Value padValue = arith::ConstantOp::create(rewriter, loc, attr);
      rewriter.replaceOp(op, padTensor(rewriter, loc, adaptor.getInput(),
                                       pads.take_front(rank),
                                       pads.drop_front(rank), padValue));
      return success();
    }
    bool edge = mode == "edge";
    Value result = buildGather(
        rewriter, loc, type, adaptor.getInput(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> index) {
          SmallVector<Value> coords;
          for (auto [d, i] : llvm::enumerate(index)) {
            int64_t n = inType.getDimSize(d);
            Value x = arith::SubIOp::create(b, l, i, indexConstant(b, l, pads[d]));
            if (edge || n == 1) {
              x = arith::MaxSIOp::create(b, l, x, indexConstant(b, l, 0));
              coords.push_back(arith::MinSIOp::create(b, l, x, indexConstant(b, l, n - 1)));
              continue;
            }
            // Reflect: x mod 2(n-1), mirrored past n-1.
            Value period = indexConstant(b, l, 2 * (n - 1));
            Value m = arith::RemSIOp::create(
                b, l, arith::AddIOp::create(b, l, arith::RemSIOp::create(b, l, x, period), period),
                period);
            Value beyond = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, m,
                                                 indexConstant(b, l, n));
            coords.push_back(arith::SelectOp::create(
                b, l, beyond, arith::SubIOp::create(b, l, period, m), m));
          }
          return coords;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Resize, one axis at a time like the evaluator: per-position source taps
/// are compile-time tables.
struct ResizeLowering : OpConversionPattern<qc::ResizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto finalType = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    bool linear = op.getMode() == "linear";
    if (op.getMode() != "nearest" && !finalType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "interpolating resize of non-f32");
    Value current = adaptor.getInput();
    for (int64_t d = 0; d < finalType.getRank(); ++d) {
      auto type = cast<RankedTensorType>(current.getType());
      int64_t inSize = type.getDimSize(d), outSize = finalType.getDimSize(d);
      float scale = op.getScales()[d];
      if (qc::keepsResizeAxis(op, d, inSize, outSize))
        continue;
      SmallVector<int64_t> shape(type.getShape());
      shape[d] = outSize;
      if (qc::resizesThroughFilter(op, scale)) {
        current = filterAxis(rewriter, loc, current, type.clone(shape), d,
                             qc::getResizeFilter(op, d, inSize, outSize, scale));
        continue;
      }
      SmallVector<qc::ResizeTap> taps = qc::getResizeTaps(op, inSize, outSize, scale);
      current = resizeAxis(rewriter, loc, current, type.clone(shape), d, taps, linear);
    }
    rewriter.replaceOp(op, current);
    return success();
  }

  /// out[..., x, ...] = in[..., i0[x], ...] (+ (in[..., i1[x], ...] - that)
  /// * w[x] when linear).
  static Value resizeAxis(OpBuilder &b, Location loc, Value input,
                          RankedTensorType type, int64_t axis,
                          ArrayRef<qc::ResizeTap> taps, bool linear) {
    SmallVector<int64_t> first, second;
    SmallVector<float> weights;
    for (const qc::ResizeTap &t : taps) {
      first.push_back(t.i0);
      second.push_back(t.i1);
      weights.push_back(t.weight);
    }
    Value firstTable = constantI64Tensor(b, loc, first);
    Value secondTable = constantI64Tensor(b, loc, second);
    Value weightTable = constantF32Tensor(b, loc, weights);
    return buildFromIndices(b, loc, type, [&](OpBuilder &nb, Location l, ArrayRef<Value> index) {
      auto read = [&](Value table) {
        SmallVector<Value> coords(index);
        Value i = tensor::ExtractOp::create(nb, l, table, index[axis]);
        coords[axis] = arith::IndexCastOp::create(nb, l, nb.getIndexType(), i);
        return tensor::ExtractOp::create(nb, l, input, coords).getResult();
      };
      Value y = read(firstTable);
      if (linear) {
        Value w = tensor::ExtractOp::create(nb, l, weightTable, index[axis]);
        Value diff = arith::SubFOp::create(nb, l, read(secondTable), y);
        y = arith::AddFOp::create(nb, l, y, arith::MulFOp::create(nb, l, diff, w));
      }
      return y;
    });
  }

  /// out[..., x, ...] = the sum over k, in order from start[x], of
  /// weight[x, k] * in[..., index[x, k], ...], as the evaluator sums it.
  static Value filterAxis(OpBuilder &b, Location loc, Value input, RankedTensorType type,
                          int64_t axis, const qc::ResizeFilter &filter) {
    int64_t outSize = type.getDimSize(axis), width = filter.width;
    auto tableType = [&](Type element) {
      return RankedTensorType::get({outSize, width}, element);
    };
    Value indexTable = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tableType(b.getI64Type()), ArrayRef(filter.indices)));
    Value weightTable = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tableType(b.getF32Type()), ArrayRef(filter.weights)));
    Value startTable = constantF32Tensor(b, loc, filter.starts);
    return buildFromIndices(b, loc, type, [&](OpBuilder &nb, Location l, ArrayRef<Value> index) {
      Value sum = tensor::ExtractOp::create(nb, l, startTable, index[axis]);
      for (int64_t k = 0; k < width; ++k) {
        Value tap = arith::ConstantIndexOp::create(nb, l, k);
        SmallVector<Value> coords(index);
        Value at = tensor::ExtractOp::create(nb, l, indexTable, ValueRange{index[axis], tap});
        coords[axis] = arith::IndexCastOp::create(nb, l, nb.getIndexType(), at);
        Value x = tensor::ExtractOp::create(nb, l, input, coords);
        Value w = tensor::ExtractOp::create(nb, l, weightTable, ValueRange{index[axis], tap});
        sum = arith::AddFOp::create(nb, l, sum, arith::MulFOp::create(nb, l, w, x));
      }
      return sum;
    });
  }
};
/// Keeps element (i, j) of every matrix where j - i >= k (upper) or
/// j - i <= k (lower), zero elsewhere.
struct TriluLowering : OpConversionPattern<qc::TriluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = type.getRank();
    Type element = type.getElementType();
    int64_t k = op.getK();
    bool upper = op.getUpper();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getInput(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value row = linalg::IndexOp::create(b, loc, rank - 2);
          Value col = linalg::IndexOp::create(b, loc, rank - 1);
          Value diff = arith::IndexCastOp::create(
              b, loc, b.getI64Type(), arith::SubIOp::create(b, loc, col, row));
          Value keep = arith::CmpIOp::create(
              b, loc, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              diff, constantI64(b, loc, k));
          Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
          return arith::SelectOp::create(b, loc, keep, args[0], zero);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A reduction over a second copy of the axis: y[i] = sum over j of x[j]
/// where j is in the prefix (or suffix) of i. Quadratic in the axis length,
/// which is fine for the masks and positions CumSum builds in real models.
struct CumSumLowering : OpConversionPattern<qc::CumSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    Type element = type.getElementType();
    bool isFloat = isa<FloatType>(element);
    MLIRContext *ctx = rewriter.getContext();
    // Iteration space: the result dims, then j (the summed position).
    SmallVector<AffineExpr> inputExprs, outputExprs;
    for (int64_t d = 0; d < rank; ++d) {
      outputExprs.push_back(getAffineDimExpr(d, ctx));
      inputExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, inputExprs, ctx),
                                   AffineMap::get(rank + 1, 0, outputExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value init = filledTensor(rewriter, loc, type, rewriter.getZeroAttr(element));
    arith::CmpIPredicate predicate =
        op.getReverse() ? (op.getExclusive() ? arith::CmpIPredicate::ugt
                                             : arith::CmpIPredicate::uge)
                        : (op.getExclusive() ? arith::CmpIPredicate::ult
                                             : arith::CmpIPredicate::ule);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, type, adaptor.getInput(), init, maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value i = linalg::IndexOp::create(b, l, axis);
              Value j = linalg::IndexOp::create(b, l, rank);
              Value inRange = arith::CmpIOp::create(b, l, predicate, j, i);
              Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(element));
              Value term = arith::SelectOp::create(b, l, inRange, args[0], zero);
              Value sum = isFloat ? arith::AddFOp::create(b, l, args[1], term).getResult()
                                  : arith::AddIOp::create(b, l, args[1], term).getResult();
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};
/// An index element as an i64 in [0, size): negative values count from the
/// end; what is still out of range is clamped (the evaluator rejects it).
Value normalizedIndex(OpBuilder &b, Location loc, Value index, int64_t size) {
  if (!index.getType().isInteger(64))
    index = arith::ExtSIOp::create(b, loc, b.getI64Type(), index);
  Value zero = constantI64(b, loc, 0);
  Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, zero);
  index = arith::SelectOp::create(
      b, loc, negative, arith::AddIOp::create(b, loc, index, constantI64(b, loc, size)), index);
  index = arith::MaxSIOp::create(b, loc, index, zero);
  return arith::MinSIOp::create(b, loc, index, constantI64(b, loc, std::max<int64_t>(size - 1, 0)));
}

/// out[i] = data[i with the axis coordinate from indices[i]].
struct GatherElementsLowering : OpConversionPattern<qc::GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto dataType = cast<RankedTensorType>(adaptor.getData().getType());
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    Value data = adaptor.getData();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getIndices(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < rank; ++d)
            coords.push_back(linalg::IndexOp::create(b, loc, d));
          Value index = normalizedIndex(b, loc, args[0], dataType.getDimSize(axis));
          coords[axis] = arith::IndexCastOp::create(b, loc, b.getIndexType(), index);
          return tensor::ExtractOp::create(b, loc, data, coords);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A reduction over the index tuples n on top of the data: every output
/// element takes updates[n, its trailing coordinates] from each tuple that
/// names it, in order (the last wins, or they combine).
struct ScatterNDLowering : OpConversionPattern<qc::ScatterNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto indicesType = cast<RankedTensorType>(adaptor.getIndices().getType());
    auto updatesType = cast<RankedTensorType>(adaptor.getUpdates().getType());
    int64_t rank = type.getRank(), k = indicesType.getShape().back();
    int64_t tuples = indicesType.getNumElements() / k;
    if (tuples == 0) {
      rewriter.replaceOp(op, adaptor.getData());
      return success();
    }
    auto reshaped = [&](Value v, RankedTensorType like, SmallVector<int64_t> shape) -> Value {
      return tensor::ReshapeOp::create(
          rewriter, loc, RankedTensorType::get(shape, like.getElementType()), v,
          constantVector<int64_t>(rewriter, loc, shape, rewriter.getI64Type()));
    };
    Value indices = reshaped(adaptor.getIndices(), indicesType, {tuples, k});
    SmallVector<int64_t> updateShape = {tuples};
    llvm::append_range(updateShape, type.getShape().drop_front(k));
    Value updates = reshaped(adaptor.getUpdates(), updatesType, updateShape);
    SmallVector<AffineExpr> updateExprs = {getAffineDimExpr(rank, ctx)};
    for (int64_t d = k; d < rank; ++d)
      updateExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineExpr> outputExprs;
    for (int64_t d = 0; d < rank; ++d)
      outputExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, updateExprs, ctx),
                                   AffineMap::get(rank + 1, 0, outputExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    StringRef reduction = op.getReduction();
    bool isFloat = isa<FloatType>(type.getElementType());
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, type, updates, adaptor.getData(), maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value n = linalg::IndexOp::create(b, l, rank);
              Value match = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
              for (int64_t j = 0; j < k; ++j) {
                Value at = tensor::ExtractOp::create(
                    b, l, indices, ValueRange{n, arith::ConstantIndexOp::create(b, l, j)});
                Value index = normalizedIndex(b, l, at, type.getDimSize(j));
                Value coord = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                                         linalg::IndexOp::create(b, l, j));
                match = arith::AndIOp::create(
                    b, l, match,
                    arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, index, coord));
              }
              Value update = args[0], acc = args[1], combined = update;
              if (reduction == "add")
                combined = isFloat ? arith::AddFOp::create(b, l, acc, update).getResult()
                                   : arith::AddIOp::create(b, l, acc, update).getResult();
              else if (reduction == "mul")
                combined = isFloat ? arith::MulFOp::create(b, l, acc, update).getResult()
                                   : arith::MulIOp::create(b, l, acc, update).getResult();
              else if (reduction == "max")
                combined = isFloat ? arith::MaximumFOp::create(b, l, acc, update).getResult()
                                   : arith::MaxSIOp::create(b, l, acc, update).getResult();
              else if (reduction == "min")
                combined = isFloat ? arith::MinimumFOp::create(b, l, acc, update).getResult()
                                   : arith::MinSIOp::create(b, l, acc, update).getResult();
              linalg::YieldOp::create(b, l,
                                      Value(arith::SelectOp::create(b, l, match, combined, acc)));
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

void conversion::populateMovementPatterns(QCTypeConverter &converter,
                                          RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLikeLowering<qc::ReshapeOp>,
               TransposeLowering, ConcatLowering, SliceLowering, GatherLowering,
               BroadcastToLowering, TileLowering, PadLowering, ResizeLowering,
               TriluLowering, CumSumLowering, GatherElementsLowering, ScatterNDLowering>(
      converter, patterns.getContext());
}
