//===- EraseSelfCopies.cpp - the qc-erase-self-copies pass ------*- C++ -*-===//
//
// qc-erase-self-copies: erases memref.copy ops whose source and target are
// the same elements of one buffer. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCERASESELFCOPIES
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {
/// Where a statically laid out view's elements lie in the buffer it views:
/// the buffer, the offset, and the size and stride of each dimension of
/// more than one element (a unit dimension's stride places nothing).
struct Placement {
  Value buffer;
  int64_t offset = 0;
  SmallVector<std::pair<int64_t, int64_t>> dims;
  bool operator==(const Placement &) const = default;

  static std::optional<Placement> of(Value view) {
    auto type = cast<MemRefType>(view.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (!type.hasStaticShape() || failed(type.getStridesAndOffset(strides, offset)) ||
        ShapedType::isDynamic(offset) || ShapedType::isDynamicShape(strides))
      return std::nullopt;
    // Layouts of views compose: the offset counts from the viewed buffer.
    Value buffer = view;
    while (auto viewLike = buffer.getDefiningOp<ViewLikeOpInterface>())
      buffer = viewLike.getViewSource();
    Placement placement{buffer, offset, {}};
    for (auto [size, stride] : llvm::zip(type.getShape(), strides))
      if (size != 1)
        placement.dims.push_back({size, stride});
    return placement;
  }
};

/// memref.copy from a view onto a view of the same elements: nothing to do.
/// A flattened element-wise op that wrote in place into a slice of a
/// concatenation leaves one (its result seen through reshapes, copied into
/// the slice's own view).
struct EraseCopyOntoItself : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp copy,
                                PatternRewriter &rewriter) const override {
    auto source = Placement::of(copy.getSource());
    auto target = Placement::of(copy.getTarget());
    if (!source || !target || !(*source == *target))
      return rewriter.notifyMatchFailure(copy, "not the same elements");
    rewriter.eraseOp(copy);
    return success();
  }
};

struct QCEraseSelfCopiesPass : quantc::impl::QCEraseSelfCopiesBase<QCEraseSelfCopiesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<EraseCopyOntoItself>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
