//===- MaxPoolIndicesLowering.cpp - qc.max_pool_indices to linalg -*- C++ -*-===//
//
// One linalg.generic over (N, C, output positions, window taps) keeps, per
// window, the largest in-bounds value seen so far and its flat position in
// the input. A tap replaces them only when strictly larger, so the first
// maximum in window order wins, as in the reference evaluator.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "PoolingWindow.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// The flat input position of a tap, and whether it lies inside the input:
/// `loop(i)` is the generic's i-th loop index, (N, C, outputs..., taps...).
std::pair<Value, Value> tapPosition(OpBuilder &b, Location loc, const Window &w,
                                    ArrayRef<int64_t> inShape, bool columnMajor,
                                    function_ref<Value(int64_t)> loop) {
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  int64_t rank = inShape.size();
  Value inside = arith::ConstantIntOp::create(b, loc, 1, 1);
  SmallVector<Value> positions;
  for (int64_t i = 0; i < w.spatial; ++i) {
    Value p = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, loop(2 + i), index(w.strides[i])),
        arith::MulIOp::create(b, loc, loop(rank + i), index(w.dilations[i])));
    p = arith::SubIOp::create(b, loc, p, index(w.padLow[i]));
    Value low = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, p, index(0));
    Value high = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, p,
                                       index(inShape[2 + i]));
    inside = arith::AndIOp::create(b, loc, inside, arith::AndIOp::create(b, loc, low, high));
    positions.push_back(p);
  }
  // (n * C + c) planes before this one, then the spatial position, its
  // first dim varying fastest when column-major.
  Value flat = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, loop(0), index(inShape[1])), loop(1));
  SmallVector<int64_t> sizes(inShape.drop_front(2));
  if (columnMajor) {
    std::reverse(positions.begin(), positions.end());
    std::reverse(sizes.begin(), sizes.end());
  }
  for (auto [p, size] : llvm::zip(positions, sizes))
    flat = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, flat, index(size)), p);
  return {arith::IndexCastOp::create(b, loc, b.getI64Type(), flat), inside};
}

struct MaxPoolIndicesLowering : OpConversionPattern<qc::MaxPoolIndicesOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::MaxPoolIndicesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type element = inType.getElementType();
    // Like the other ops, generated code computes on signless integers only.
    if (isa<IntegerType>(element) && !element.isSignlessInteger())
      return rewriter.notifyMatchFailure(op, "unsigned integer tensor");
    bool isUnsigned = isUnsignedStorage(op.getInput().getType());
    auto type = cast<RankedTensorType>(op.getType());
    Window w = getWindow(op, op.getDilations());
    // Taps outside the input are skipped by position: the pads' value is moot.
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
    Value padded = padTensor(rewriter, loc, adaptor.getInput(), fullPads(w.padLow),
                             fullPads(w.padHigh), zero);
    Value bestValues = filledTensor(rewriter, loc, type.clone(element),
                                    rewriter.getZeroAttr(element));
    Value bestIndices = filledTensor(rewriter, loc, type, rewriter.getI64IntegerAttr(-1));

    // The window maps, the output map twice: best values and their indices.
    SmallVector<AffineMap> maps(windowMaps(w, getContext()));
    maps.push_back(maps.back());
    Value windowShape = tensor::EmptyOp::create(rewriter, loc, w.kernel, element);
    ArrayRef<int64_t> inShape = cast<RankedTensorType>(op.getInput().getType()).getShape();
    bool columnMajor = op.getStorageOrder() == 1;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{bestValues.getType(), type}, ValueRange{padded, windowShape},
        ValueRange{bestValues, bestIndices}, maps, windowIterators(w),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[2], bestIndex = args[3];
          auto [position, inside] = tapPosition(
              b, l, w, inShape, columnMajor,
              [&](int64_t i) -> Value { return linalg::IndexOp::create(b, l, i); });
          Value larger =
              isa<FloatType>(element)
                  ? Value(arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, best))
                  : Value(arith::CmpIOp::create(b, l,
                                                isUnsigned ? arith::CmpIPredicate::ugt
                                                           : arith::CmpIPredicate::sgt,
                                                x, best));
          Value none = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::slt, bestIndex,
              arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0)));
          Value take = arith::AndIOp::create(b, l, inside,
                                             arith::OrIOp::create(b, l, none, larger));
          linalg::YieldOp::create(
              b, l, ValueRange{arith::SelectOp::create(b, l, take, x, best),
                               arith::SelectOp::create(b, l, take, position, bestIndex)});
        });
    rewriter.replaceOp(op, generic.getResult(1));
    return success();
  }
};
} // namespace

void conversion::populateMaxPoolIndicesPatterns(QCTypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<MaxPoolIndicesLowering>(converter, patterns.getContext());
}
