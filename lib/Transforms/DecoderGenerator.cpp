//===- DecoderGenerator.cpp - the qc-decoder-generator pass -----*- C++ -*-===//
//
// A signature rewrite of @main, so a walk rather than patterns: every
// attention over concat(past, new) reads the runtime's cache instead, and
// the cache tensors leave the signature.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"

namespace quantc {
#define GEN_PASS_DEF_QCDECODERGENERATOR
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
/// The new keys or values when `v` is concat(past argument, new) along the
/// sequence axis.
struct CacheConcat {
  qc::ConcatOp concat;
  BlockArgument past;
  Value fresh;
};

FailureOr<CacheConcat> matchCacheConcat(Value v, qc::AttentionOp attention,
                                        StringRef what) {
  auto concat = v.getDefiningOp<qc::ConcatOp>();
  if (!concat || concat.getInputs().size() != 2 || concat.getAxis() != 2)
    return attention.emitOpError("has ") << what
           << " that are not concat(past, new) along the sequence axis; "
              "import the decoder with a past length of at least 1";
  auto past = dyn_cast<BlockArgument>(concat.getInputs()[0]);
  if (!past)
    return attention.emitOpError("has a past ") << what << " that is no model input";
  return CacheConcat{concat, past, concat.getInputs()[1]};
}

StringRef argName(func::FuncOp func, unsigned i) {
  auto name = func.getArgAttrOfType<StringAttr>(i, "qc.name");
  return name ? name.getValue() : StringRef();
}

/// Erases the ops left unused: qc ops are pure, and a reverse pass over the
/// one block sees every user before its operands' producers.
void eraseDeadOps(func::FuncOp func) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(func.getBody().front())))
    if (isOpTriviallyDead(&op))
      op.erase();
}

struct QCDecoderGeneratorPass
    : quantc::impl::QCDecoderGeneratorBase<QCDecoderGeneratorPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!qc::getKVCacheFormat(kvCache)) {
      module.emitError("qc-decoder-generator: kv-cache '")
          << kvCache << "' is not f32, f16, bf16, i8 or i4";
      return signalPassFailure();
    }
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("qc-decoder-generator needs a func.func @main");
      return signalPassFailure();
    }
    SmallVector<qc::AttentionOp> attentions;
    main.walk([&](qc::AttentionOp op) { attentions.push_back(op); });
    if (attentions.empty()) {
      main.emitError("no qc.attention in the model: not a decoder, or "
                     "qc-fuse-attention did not recognise its attention");
      return signalPassFailure();
    }
    if (failed(rewriteAttentions(main, attentions)) ||
        failed(pruneSignature(main)))
      return signalPassFailure();
  }

  LogicalResult rewriteAttentions(func::FuncOp main,
                                  ArrayRef<qc::AttentionOp> attentions) {
    OpBuilder b(main.getContext());
    int64_t kvHeads = -1, headDim = -1;
    for (auto [layer, op] : llvm::enumerate(attentions)) {
      qc::AttentionOp attention = op;
      FailureOr<CacheConcat> keys = matchCacheConcat(attention.getKey(), attention, "keys");
      if (failed(keys))
        return failure();
      FailureOr<CacheConcat> values =
          matchCacheConcat(attention.getValue(), attention, "values");
      if (failed(values))
        return failure();
      auto fresh = cast<RankedTensorType>(keys->fresh.getType());
      if (fresh.getDimSize(2) != attention.getQuery().getType().getDimSize(2))
        return attention.emitOpError("appends ")
               << fresh.getDimSize(2) << " keys for "
               << attention.getQuery().getType().getDimSize(2) << " queries";
      if (kvHeads >= 0 && (fresh.getDimSize(1) != kvHeads || fresh.getDimSize(3) != headDim))
        return attention.emitOpError("has another KV cache shape than the first layer");
      kvHeads = fresh.getDimSize(1);
      headDim = fresh.getDimSize(3);
      b.setInsertionPoint(attention);
      auto cached = qc::CachedAttentionOp::create(
          b, attention.getLoc(), attention.getQuery(), keys->fresh, values->fresh,
          b.getI64IntegerAttr(layer), attention.getScaleAttr(), b.getStringAttr(kvCache),
          integerCache() ? attention->getAttrOfType<DenseF32ArrayAttr>(qc::kKeyScaleAttr)
                         : DenseF32ArrayAttr());
      keyScaled |= static_cast<bool>(cached.getKeyScaleAttr());
      attention.replaceAllUsesWith(cached.getResult());
      attention.erase();
      caches.insert(keys->concat);
      caches.insert(values->concat);
    }
    MLIRContext *ctx = main.getContext();
    SmallVector<NamedAttribute> generator{
        b.getNamedAttr("layers", b.getI64IntegerAttr(attentions.size())),
        b.getNamedAttr("kv_heads", b.getI64IntegerAttr(kvHeads)),
        b.getNamedAttr("head_dim", b.getI64IntegerAttr(headDim)),
        b.getNamedAttr("kv_cache", b.getStringAttr(kvCache))};
    if (keyScaled)
      generator.push_back(b.getNamedAttr("key_scale", b.getUnitAttr()));
    main->getParentOfType<ModuleOp>()->setAttr("qc.generator",
                                               DictionaryAttr::get(ctx, generator));
    return success();
  }

  /// Whether keys may have channel factors (the integer caches).
  bool integerCache() const { return kvCache == "i8" || kvCache == "i4"; }

  /// Drops the present outputs, then every input left unused; what remains
  /// must be what a generator feeds.
  LogicalResult pruneSignature(func::FuncOp main) {
    Operation *ret = main.getBody().front().getTerminator();
    llvm::BitVector deadResults(ret->getNumOperands());
    for (OpOperand &operand : ret->getOpOperands())
      if (auto concat = operand.get().getDefiningOp<qc::ConcatOp>();
          concat && caches.contains(concat))
        deadResults.set(operand.getOperandNumber());
    ret->eraseOperands(deadResults);
    if (failed(main.eraseResults(deadResults)))
      return failure();
    for (qc::ConcatOp concat : caches)
      if (!concat->use_empty())
        return concat.emitOpError("holds a KV cache that the model reads "
                                  "elsewhere; a generator cannot provide it");
    eraseDeadOps(main);
    llvm::BitVector deadArgs(main.getNumArguments());
    for (BlockArgument arg : main.getArguments()) {
      StringRef name = argName(main, arg.getArgNumber());
      if (arg.use_empty()) {
        deadArgs.set(arg.getArgNumber());
        continue;
      }
      auto type = cast<RankedTensorType>(arg.getType());
      bool tokens = (name == "input_ids" || name == "position_ids") &&
                    type.getRank() == 2 && type.getDimSize(0) == 1 &&
                    type.getElementType().isInteger(64);
      if (!tokens)
        return main.emitError("input '")
               << name << "' of type " << type
               << " is still read after the KV cache was moved to the runtime; "
                  "a generator feeds only input_ids and position_ids [1, T]";
    }
    if (failed(main.eraseArguments(deadArgs)))
      return failure();
    bool hasTokens = llvm::any_of(llvm::seq(main.getNumArguments()), [&](unsigned i) {
      return argName(main, i) == "input_ids";
    });
    bool hasLogits = main.getNumResults() == 1;
    if (!hasTokens || !hasLogits)
      return main.emitError("a generator step takes input_ids and returns "
                            "only logits; this model has ")
             << main.getNumArguments() << " inputs and " << main.getNumResults()
             << " outputs left";
    return success();
  }

  llvm::SetVector<qc::ConcatOp> caches;
  bool keyScaled = false;
};
} // namespace
