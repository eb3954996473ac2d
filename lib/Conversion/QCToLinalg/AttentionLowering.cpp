//===- AttentionLowering.cpp - attention → runtime kernel calls -*- C++ -*-===//
//
// qc.attention and qc.cached_attention become calls of quantc_attention and
// quantc_cached_attention: the kernels stream over the keys of one query
// row at a time, so the compiled code holds no score tensor and no repeated
// KV heads (and, for the cached form, no cache tensor at all).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Runtime/Microkernels.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
SmallVector<int64_t> attentionParams(RankedTensorType query, RankedTensorType key,
                                     float scale) {
  SmallVector<int64_t> params(QC_ATTENTION_NUM_PARAMS, 1);
  params[QC_ATTENTION_BATCH] = query.getDimSize(0);
  params[QC_ATTENTION_HEADS] = query.getDimSize(1);
  params[QC_ATTENTION_KV_HEADS] = key.getDimSize(1);
  params[QC_ATTENTION_ROWS] = query.getDimSize(2);
  params[QC_ATTENTION_KEYS] = key.getDimSize(2);
  params[QC_ATTENTION_DIM] = query.getDimSize(3);
  params[QC_ATTENTION_SCALE_BITS] = llvm::bit_cast<uint32_t>(scale);
  params[QC_ATTENTION_LAYER] = 0;
  params[QC_ATTENTION_CACHE] = QC_KV_F32;
  params[QC_ATTENTION_KEY_SCALED] = 0;
  return params;
}

struct AttentionLowering : OpConversionPattern<qc::AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType query = op.getQuery().getType(), key = op.getKey().getType();
    SmallVector<int64_t> params =
        attentionParams(query, key, op.getScale().convertToFloat());
    // The mask as a rank-4 tensor (leading 1s); its own dims tell the
    // kernel which ones broadcast. Without one, a single true.
    Value mask;
    SmallVector<int64_t> maskShape(4, 1);
    if (Value given = adaptor.getMask()) {
      auto type = cast<RankedTensorType>(given.getType());
      llvm::copy(type.getShape(), maskShape.end() - type.getRank());
      mask = tensor::ReshapeOp::create(
          rewriter, loc, RankedTensorType::get(maskShape, rewriter.getI1Type()), given,
          constantVector<int64_t>(rewriter, loc, maskShape, rewriter.getI64Type()));
    } else {
      mask = filledTensor(rewriter, loc,
                          RankedTensorType::get(maskShape, rewriter.getI1Type()),
                          rewriter.getBoolAttr(true));
    }
    for (int i = 0; i < 4; ++i)
      params[QC_ATTENTION_MASK_B + i] = maskShape[i];
    rewriter.replaceOp(op, buildKernelCall(rewriter, loc, "quantc_attention",
                                      {adaptor.getQuery(), adaptor.getKey(),
                                       adaptor.getValue(), mask},
                                      params, op.getType()));
    return success();
  }
};

struct CachedAttentionLowering : OpConversionPattern<qc::CachedAttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::CachedAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<int64_t> params = attentionParams(
        op.getQuery().getType(), op.getKey().getType(), op.getScale().convertToFloat());
    params[QC_ATTENTION_LAYER] = op.getLayer();
    params[QC_ATTENTION_CACHE] = *qc::getKVCacheFormat(op.getCache());
    // The keys' channel factors, a constant the kernel copies into the
    // state; a single unused 1 without them.
    SmallVector<float> keyScale{1.0f};
    if (std::optional<ArrayRef<float>> given = op.getKeyScale()) {
      keyScale.assign(given->begin(), given->end());
      params[QC_ATTENTION_KEY_SCALED] = 1;
    }
    Value keyScaleTensor =
        constantVector<float>(rewriter, op.getLoc(), keyScale, rewriter.getF32Type());
    rewriter.replaceOp(op, buildKernelCall(rewriter, op.getLoc(), "quantc_cached_attention",
                                           {adaptor.getQuery(), adaptor.getKey(),
                                            adaptor.getValue(), keyScaleTensor},
                                           params, op.getType()));
    return success();
  }
};
} // namespace

void conversion::populateAttentionPatterns(QCTypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<AttentionLowering, CachedAttentionLowering>(converter,
                                                           patterns.getContext());
}
