//===- ConcatInPlace.cpp - producers that write into their concat -*- C++ -*-===//
//
// qc-concat-in-place: merges, orders and roots the tensor.insert_slice
// chains of concatenations so that each input's producer writes into its
// slice. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <tuple>

namespace quantc {
#define GEN_PASS_DEF_QCCONCATINPLACE
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {
/// A static slice with unit strides that keeps its rank.
struct Slice {
  SmallVector<int64_t> offsets, sizes;

  static std::optional<Slice> of(OffsetSizeAndStrideOpInterface op, int64_t rank) {
    if (!op.hasUnitStride() || op.getStaticOffsets().size() != size_t(rank) ||
        ShapedType::isDynamicShape(op.getStaticOffsets()) ||
        ShapedType::isDynamicShape(op.getStaticSizes()))
      return std::nullopt;
    return Slice{SmallVector<int64_t>(op.getStaticOffsets()),
                 SmallVector<int64_t>(op.getStaticSizes())};
  }

  /// extract_slice of this slice of `source`, of `type` (a rank-reduced
  /// one) or else the slice's own.
  tensor::ExtractSliceOp extractFrom(OpBuilder &b, Location loc, Value source,
                                     RankedTensorType type = {}) const {
    auto [at, size, strides] = operands(b);
    if (type)
      return tensor::ExtractSliceOp::create(b, loc, type, source, at, size, strides);
    return tensor::ExtractSliceOp::create(b, loc, source, at, size, strides);
  }

  /// Offsets, sizes and unit strides as slice operands.
  std::tuple<SmallVector<OpFoldResult>, SmallVector<OpFoldResult>, SmallVector<OpFoldResult>>
  operands(OpBuilder &b) const {
    return {getAsIndexOpFoldResult(b.getContext(), offsets),
            getAsIndexOpFoldResult(b.getContext(), sizes),
            SmallVector<OpFoldResult>(offsets.size(), b.getIndexAttr(1))};
  }

  /// The one dimension along which `next` starts where this slice ends,
  /// all else equal.
  std::optional<int64_t> followedAlong(const Slice &next) const {
    std::optional<int64_t> axis;
    for (size_t d = 0; d < offsets.size(); ++d) {
      if (offsets[d] == next.offsets[d] && sizes[d] == next.sizes[d])
        continue;
      if (axis || next.offsets[d] != offsets[d] + sizes[d])
        return std::nullopt;
      axis = d;
    }
    return axis;
  }
};

/// insert_slice(extract_slice(x, b), insert_slice(extract_slice(x, a), d, p), q)
/// where b follows a in x and q follows p in d along the same dimension:
/// one insert_slice of the two slices together. Where they cover x (a
/// split whose halves are concatenated again), x itself is inserted, and
/// its producer can write into d.
struct MergeAdjacentSliceInsertions : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp second,
                                PatternRewriter &rewriter) const override {
    auto first = second.getDest().getDefiningOp<tensor::InsertSliceOp>();
    if (!first || !first->hasOneUse())
      return failure();
    auto firstPart = first.getSource().getDefiningOp<tensor::ExtractSliceOp>();
    auto secondPart = second.getSource().getDefiningOp<tensor::ExtractSliceOp>();
    if (!firstPart || !secondPart || firstPart.getSource() != secondPart.getSource())
      return rewriter.notifyMatchFailure(second, "not two slices of one tensor");
    int64_t rank = second.getDestType().getRank();
    if (firstPart.getSourceType().getRank() != rank || first.getSourceType().getRank() != rank)
      return rewriter.notifyMatchFailure(second, "rank-reducing slices");
    auto readA = Slice::of(firstPart, rank), readB = Slice::of(secondPart, rank);
    auto writeA = Slice::of(first, rank), writeB = Slice::of(second, rank);
    if (!readA || !readB || !writeA || !writeB)
      return rewriter.notifyMatchFailure(second, "dynamic or strided slices");
    std::optional<int64_t> axis = readA->followedAlong(*readB);
    if (!axis || writeA->followedAlong(*writeB) != axis)
      return rewriter.notifyMatchFailure(second, "slices not adjacent along one axis");
    Slice read = *readA, written = *writeA;
    read.sizes[*axis] += readB->sizes[*axis];
    written.sizes = read.sizes;
    rewriter.setInsertionPoint(secondPart);
    auto both = read.extractFrom(rewriter, second.getLoc(), firstPart.getSource());
    rewriter.setInsertionPoint(second);
    auto [at, size, strides] = written.operands(rewriter);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(second, both.getResult(), first.getDest(),
                                                       at, size, strides);
    return success();
  }
};

/// extract_slice(x, s) after insert_slice(x, d, p) in the same block:
/// extract_slice of that insertion at p + s, the same values. Once x's
/// producer writes into d, a read of a part of x after the insertion is a
/// read of d, which bufferization sees as disjoint from the later
/// insertions into d; read through x, it would count the insertion of x as
/// a write between x's definition and the read, and copy x.
struct ReadSlicesFromInsertion : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ExtractSliceOp extraction,
                                PatternRewriter &rewriter) const override {
    Value whole = extraction.getSource();
    int64_t rank = extraction.getSourceType().getRank();
    auto read = Slice::of(extraction, rank);
    if (!read)
      return rewriter.notifyMatchFailure(extraction, "dynamic or strided slice");
    for (Operation *user : whole.getUsers()) {
      auto insertion = dyn_cast<tensor::InsertSliceOp>(user);
      if (!insertion || insertion.getSource() != whole ||
          insertion->getBlock() != extraction->getBlock() ||
          !insertion->isBeforeInBlock(extraction) ||
          insertion.getDestType().getRank() != rank)
        continue;
      auto written = Slice::of(insertion, rank);
      // Read before the next insertion into the result, which overwrites
      // it in place: after it, the read would need a copy of all of d.
      if (!written || llvm::any_of(insertion.getResult().getUsers(), [&](Operation *next) {
            return isa<tensor::InsertSliceOp>(next) &&
                   (next->getBlock() != extraction->getBlock() ||
                    !extraction->isBeforeInBlock(next));
          }))
        continue;
      Slice within = *read;
      for (int64_t d = 0; d < rank; ++d)
        within.offsets[d] += written->offsets[d];
      rewriter.replaceOp(extraction, within.extractFrom(rewriter, extraction.getLoc(),
                                                        insertion.getResult(),
                                                        extraction.getType()));
      return success();
    }
    return rewriter.notifyMatchFailure(extraction, "no insertion of the source before");
  }
};

/// The last op of `block` that defines one of `op`'s operands (null where
/// all are defined before the block or are its arguments).
Operation *lastOperandDefinition(Operation *op, Block *block) {
  Operation *last = nullptr;
  for (Value operand : op->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (def && def->getBlock() == block && (!last || last->isBeforeInBlock(def)))
      last = def;
  }
  return last;
}

/// Moves each insert_slice up to just after its operands' definitions: a
/// concatenation's insertions were created where the concat op was, after
/// all its inputs, so an input's insertion comes after the next input's
/// producer, and the slice that producer could write into did not exist
/// yet when it ran.
void insertEarly(Block &block) {
  SmallVector<tensor::InsertSliceOp> insertions(block.getOps<tensor::InsertSliceOp>());
  for (tensor::InsertSliceOp insertion : insertions) {
    Operation *last = lastOperandDefinition(insertion, &block);
    if (!last)
      insertion->moveBefore(&block, block.begin());
    else if (last->getNextNode() != insertion)
      insertion->moveAfter(last);
  }
}

/// The operand whose buffer `value` is written into in place: a
/// destination-style op's tied init, or a reshape's source (null for any
/// other value).
OpOperand *writtenThrough(Value value) {
  Operation *def = value.getDefiningOp();
  if (auto dps = dyn_cast_or_null<DestinationStyleOpInterface>(def))
    return dps.getTiedOpOperand(cast<OpResult>(value));
  if (isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
    return &def->getOpOperand(0);
  return nullptr;
}

/// The first op of `block` that writes `value`'s buffer in place: through
/// writtenThrough and slices.
Operation *firstWriter(Value value, Block *block) {
  Operation *first = nullptr;
  while (Operation *def = value.getDefiningOp()) {
    if (def->getBlock() != block || isa<tensor::EmptyOp>(def))
      break;
    first = def;
    if (OpOperand *next = writtenThrough(value))
      value = next->get();
    else if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def))
      value = slice.getSource();
    else
      break;
  }
  return first;
}

/// Moves the tensor.empty at the root of each insertion chain before the
/// first writer of any of its inserted values, which can then write into
/// its slice.
void createDestinationsFirst(Block &block) {
  SmallVector<tensor::EmptyOp> empties(block.getOps<tensor::EmptyOp>());
  for (tensor::EmptyOp empty : empties) {
    if (empty->getNumOperands() != 0)
      continue;
    Operation *first = nullptr;
    SmallVector<Value> chain(empty->getResults());
    while (!chain.empty()) {
      Value dest = chain.pop_back_val();
      for (OpOperand &use : dest.getUses()) {
        auto insertion = dyn_cast<tensor::InsertSliceOp>(use.getOwner());
        if (!insertion || use.getOperandNumber() != insertion.getDestMutable().getOperandNumber())
          continue;
        Operation *writer = firstWriter(insertion.getSource(), &block);
        if (writer && (!first || writer->isBeforeInBlock(first)))
          first = writer;
        chain.push_back(insertion.getResult());
      }
    }
    if (first && first->isBeforeInBlock(empty))
      empty->moveBefore(first);
  }
}

/// What `value` is a view of, through slices and reshapes.
Value viewedTensor(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (!isa<tensor::ExtractSliceOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      break;
    value = def->getOperand(0);
  }
  return value;
}

/// The use of a tensor.empty as the init at the root of the ops that write
/// `value` in place (destination-style ops through their tied inits, and
/// reshapes: an element-wise op over a flattened tensor); null where there
/// is none, or where one of those ops also reads a view of `dest`'s
/// insertion chain. Bufferization would see that op read one slice of the
/// destination while writing another, and copy both.
OpOperand *emptyInitAtRoot(Value value, Value dest) {
  SmallPtrSet<Value, 8> destination;
  for (Value d = dest; d;) {
    destination.insert(d);
    auto insertion = d.getDefiningOp<tensor::InsertSliceOp>();
    d = insertion ? insertion.getDest() : Value();
  }
  while (OpOperand *next = writtenThrough(value)) {
    auto dps = value.getDefiningOp<DestinationStyleOpInterface>();
    if (dps && llvm::any_of(dps.getDpsInputs(), [&](Value in) {
          return destination.contains(viewedTensor(in));
        }))
      return nullptr;
    if (next->get().getDefiningOp<tensor::EmptyOp>())
      return next;
    value = next->get();
  }
  return nullptr;
}

/// Has the ops that write each inserted value start from the slice it is
/// inserted into, where that slice is defined before them: the root
/// tensor.empty's use becomes an extract_slice of the insertion's
/// destination (the values of a tensor.empty are undefined, so any are
/// as good). Upstream's empty tensor elimination does the same but follows
/// no reshape.
void writeIntoSlices(Block &block) {
  for (tensor::InsertSliceOp insertion : block.getOps<tensor::InsertSliceOp>()) {
    int64_t rank = insertion.getDestType().getRank();
    auto slot = Slice::of(insertion, rank);
    if (!slot || insertion.getSourceType().getRank() != rank)
      continue;
    OpOperand *init = emptyInitAtRoot(insertion.getSource(), insertion.getDest());
    if (!init || init->get().getType() != insertion.getSourceType())
      continue;
    Operation *writer = init->getOwner();
    Operation *dest = insertion.getDest().getDefiningOp();
    if (writer->getBlock() != &block ||
        (dest && (dest->getBlock() != &block || !dest->isBeforeInBlock(writer))))
      continue;
    OpBuilder builder(writer);
    init->set(slot->extractFrom(builder, insertion.getLoc(), insertion.getDest()));
  }
}

struct QCConcatInPlacePass : quantc::impl::QCConcatInPlaceBase<QCConcatInPlacePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // The driver folds a slice of all of x to x.
    patterns.add<MergeAdjacentSliceInsertions>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks) {
      createDestinationsFirst(*block);
      insertEarly(*block);
    }
    RewritePatternSet reads(&getContext());
    reads.add<ReadSlicesFromInsertion>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(reads))))
      return signalPassFailure();
    for (Block *block : blocks)
      writeIntoSlices(*block);
  }
};
} // namespace
