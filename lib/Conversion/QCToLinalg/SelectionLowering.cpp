//===- SelectionLowering.cpp - arg_max, arg_min, top_k, grid_sample -*- C++ -*-===//
//
// arg_max / arg_min are one reduction carrying the best value and its
// position; top_k calls quantc_top_k, a partial sort per slice, and
// grid_sample, roi_align, max_roi_pool and det call their runtime kernels
// (data-dependent gathers, pivoting).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "quantc/Runtime/GridSample.h"
#include "quantc/Runtime/Microkernels.h"

#include "llvm/ADT/bit.h"

#include <limits>

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// The extreme a search starts from: the lowest value for a maximum.
TypedAttr startValue(OpBuilder &b, Type element, bool isMax) {
  if (auto f = dyn_cast<FloatType>(element))
    return b.getFloatAttr(f, isMax ? -std::numeric_limits<double>::infinity()
                                   : std::numeric_limits<double>::infinity());
  unsigned width = element.getIntOrFloatBitWidth();
  return b.getIntegerAttr(element, isMax ? APInt::getSignedMinValue(width)
                                         : APInt::getSignedMaxValue(width));
}

template <typename OpTy>
struct ArgReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  static constexpr bool isMax = std::is_same_v<OpTy, qc::ArgMaxOp>;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    Type element = inType.getElementType();
    if (isa<IntegerType>(element) && !element.isSignlessInteger())
      return rewriter.notifyMatchFailure(op, "unsigned integer tensor");
    int64_t rank = inType.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    MLIRContext *ctx = op.getContext();
    SmallVector<int64_t> reducedShape;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t d = 0; d < rank; ++d) {
      iterators.push_back(d == axis ? utils::IteratorType::reduction
                                    : utils::IteratorType::parallel);
      if (d != axis) {
        reducedShape.push_back(inType.getDimSize(d));
        outExprs.push_back(getAffineDimExpr(d, ctx));
      }
    }
    Type i64 = rewriter.getI64Type();
    Value best = filledTensor(rewriter, loc, RankedTensorType::get(reducedShape, element),
                              startValue(rewriter, element, isMax));
    Value position = filledTensor(rewriter, loc, RankedTensorType::get(reducedShape, i64),
                                  rewriter.getI64IntegerAttr(0));
    AffineMap inMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
    bool last = op.getSelectLastIndex();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{best.getType(), position.getType()}, ValueRange{input},
        ValueRange{best, position}, ArrayRef<AffineMap>{inMap, outMap, outMap}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], current = args[1];
          Value better;
          if (isa<FloatType>(element)) {
            auto strict = isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT;
            auto loose = isMax ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OLE;
            better = arith::CmpFOp::create(b, l, last ? loose : strict, x, current);
          } else {
            auto strict = isMax ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt;
            auto loose = isMax ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle;
            better = arith::CmpIOp::create(b, l, last ? loose : strict, x, current);
          }
          // The first element always counts (the start value may equal it).
          Value j = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                               linalg::IndexOp::create(b, l, axis));
          Value first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, j,
                                              arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0)));
          better = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(b, l, ValueRange{
              arith::SelectOp::create(b, l, better, x, current),
              arith::SelectOp::create(b, l, better, j, args[2])});
        });
    auto type = cast<RankedTensorType>(op.getType());
    Value result = generic.getResult(1);
    if (type.getShape() != ArrayRef<int64_t>(reducedShape))
      result = tensor::ExpandShapeOp::create(
          rewriter, loc, type, result,
          getReassociationIndicesForReshape(cast<ShapedType>(result.getType()), type).value());
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The parameters of each op's runtime kernel (its operands are the
/// kernel's inputs, in order).
SmallVector<int64_t> kernelParams(qc::TopKOp op) {
  auto inType = op.getInput().getType();
  int64_t axis = normalizeAxis(op.getAxis(), inType.getRank());
  SmallVector<int64_t> params(QC_TOP_K_NUM_PARAMS);
  params[QC_TOP_K_OUTER] = 1;
  params[QC_TOP_K_INNER] = 1;
  for (int64_t d = 0; d < inType.getRank(); ++d)
    params[d < axis ? QC_TOP_K_OUTER : QC_TOP_K_INNER] *= d == axis ? 1 : inType.getDimSize(d);
  params[QC_TOP_K_SIZE] = inType.getDimSize(axis);
  params[QC_TOP_K_K] = op.getK();
  params[QC_TOP_K_LARGEST] = op.getLargest();
  return params;
}

SmallVector<int64_t> kernelParams(qc::GridSampleOp op) {
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  ArrayRef<int64_t> grid = op.getGrid().getType().getShape();
  grid_sample::Extents e = grid_sample::extentsOf(in.data(), grid.data(), in.size());
  SmallVector<int64_t> params(QC_GRID_SAMPLE_NUM_PARAMS);
  params[QC_GRID_SAMPLE_N] = e.n;
  params[QC_GRID_SAMPLE_C] = e.c;
  params[QC_GRID_SAMPLE_SPATIAL] = e.spatial;
  params[QC_GRID_SAMPLE_D] = e.in[0];
  params[QC_GRID_SAMPLE_H] = e.in[1];
  params[QC_GRID_SAMPLE_W] = e.in[2];
  params[QC_GRID_SAMPLE_DO] = e.out[0];
  params[QC_GRID_SAMPLE_HO] = e.out[1];
  params[QC_GRID_SAMPLE_WO] = e.out[2];
  params[QC_GRID_SAMPLE_MODE] = qc::getGridSampleMode(op);
  params[QC_GRID_SAMPLE_PADDING] = qc::getGridSamplePadding(op);
  params[QC_GRID_SAMPLE_ALIGN_CORNERS] = op.getAlignCorners();
  return params;
}

/// [N, C, H, W] of a region op's input, its region count and bins.
SmallVector<int64_t> regionParams(RankedTensorType in, RankedTensorType out, float scale) {
  SmallVector<int64_t> params(QC_REGION_NUM_PARAMS);
  for (int d = 0; d < 4; ++d)
    params[QC_REGION_N + d] = in.getDimSize(d);
  params[QC_REGION_COUNT] = out.getDimSize(0);
  params[QC_REGION_OUT_H] = out.getDimSize(2);
  params[QC_REGION_OUT_W] = out.getDimSize(3);
  params[QC_REGION_SCALE_BITS] = llvm::bit_cast<uint32_t>(scale);
  return params;
}

SmallVector<int64_t> kernelParams(qc::RoiAlignOp op) {
  SmallVector<int64_t> params = regionParams(op.getInput().getType(), op.getType(),
                                             op.getSpatialScale().convertToFloat());
  params[QC_REGION_SAMPLING] = op.getSamplingRatio();
  params[QC_REGION_MAX_MODE] = op.getMode() == "max";
  params[QC_REGION_HALF_PIXEL] = op.getHalfPixel();
  return params;
}

SmallVector<int64_t> kernelParams(qc::MaxRoiPoolOp op) {
  return regionParams(op.getInput().getType(), op.getType(),
                      op.getSpatialScale().convertToFloat());
}

SmallVector<int64_t> kernelParams(qc::DeformUnfoldOp op) {
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  ArrayRef<int64_t> offset = op.getOffset().getType().getShape();
  ArrayRef<int64_t> k = op.getKernelShape(), s = op.getStrides(), p = op.getPads(),
                    d = op.getDilations();
  return {in[0], in[1], in[2], in[3], k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1],
          static_cast<int64_t>(op.getOffsetGroup()), offset[2], offset[3]};
}

SmallVector<int64_t> kernelParams(qc::NonMaxSuppressionOp op) {
  ArrayRef<int64_t> boxes = op.getBoxes().getType().getShape();
  SmallVector<int64_t> params(QC_NMS_NUM_PARAMS);
  params[QC_NMS_BATCHES] = boxes[0];
  params[QC_NMS_CLASSES] = op.getScores().getType().getDimSize(1);
  params[QC_NMS_BOXES] = boxes[1];
  params[QC_NMS_MAX_PER_CLASS] = op.getMaxOutputBoxesPerClass();
  params[QC_NMS_IOU_BITS] = llvm::bit_cast<uint32_t>(op.getIouThreshold().convertToFloat());
  params[QC_NMS_HAS_SCORE_THRESHOLD] = op.getScoreThreshold().has_value();
  if (op.getScoreThreshold())
    params[QC_NMS_SCORE_BITS] = llvm::bit_cast<uint32_t>(op.getScoreThreshold()->convertToFloat());
  params[QC_NMS_CENTER_POINT] = op.getCenterPointBox();
  params[QC_NMS_ROWS] = op.getType().getDimSize(0);
  return params;
}

SmallVector<int64_t> kernelParams(qc::NonZeroOp op) {
  SmallVector<int64_t> params{op.getInput().getType().getRank()};
  llvm::append_range(params, op.getInput().getType().getShape());
  return params;
}

SmallVector<int64_t> kernelParams(qc::DetOp op) {
  SmallVector<int64_t> params(QC_DET_NUM_PARAMS);
  params[QC_DET_BATCH] = op.getType().getNumElements();
  params[QC_DET_SIZE] = op.getInput().getType().getShape().back();
  return params;
}

/// An op computed by one runtime kernel call on its operands.
template <typename OpTy>
struct RuntimeKernelLowering : OpConversionPattern<OpTy> {
  RuntimeKernelLowering(const TypeConverter &converter, MLIRContext *ctx, StringRef kernel)
      : OpConversionPattern<OpTy>(converter, ctx), kernel(kernel) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildKernelCall(rewriter, op.getLoc(), kernel,
                                           llvm::to_vector(adaptor.getOperands()),
                                           kernelParams(op), op.getType()));
    return success();
  }

  StringRef kernel;
};

template <typename OpTy>
void addKernelCall(QCTypeConverter &converter, RewritePatternSet &patterns, StringRef kernel) {
  patterns.add<RuntimeKernelLowering<OpTy>>(converter, patterns.getContext(), kernel);
}
} // namespace

void conversion::populateSelectionPatterns(QCTypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<ArgReduceLowering<qc::ArgMaxOp>, ArgReduceLowering<qc::ArgMinOp>>(
      converter, patterns.getContext());
  addKernelCall<qc::TopKOp>(converter, patterns, "quantc_top_k");
  addKernelCall<qc::GridSampleOp>(converter, patterns, "quantc_grid_sample");
  addKernelCall<qc::RoiAlignOp>(converter, patterns, "quantc_roi_align");
  addKernelCall<qc::MaxRoiPoolOp>(converter, patterns, "quantc_max_roi_pool");
  addKernelCall<qc::DeformUnfoldOp>(converter, patterns, "quantc_deform_unfold");
  addKernelCall<qc::NonMaxSuppressionOp>(converter, patterns, "quantc_non_max_suppression");
  addKernelCall<qc::NonZeroOp>(converter, patterns, "quantc_non_zero");
  addKernelCall<qc::DetOp>(converter, patterns, "quantc_det");
}
