//===- LossImporters.cpp - NegativeLogLikelihoodLoss and SCE ----*- C++ -*-===//
//
// The two losses ONNX defines are compositions of qc ops, as ONNX's own
// function bodies define them: each target picks its class's (log)
// probability along axis 1 (GatherElements), weighted by the class weight
// (Gather) and zero where the target is `ignore_index`; `mean` divides the
// sum by the sum of those weights (the count of targets kept when there are
// none). SoftmaxCrossEntropyLoss is the same over LogSoftmax(scores, 1).
// Evaluation graphs compute them (a language model's loss is its
// perplexity's log), so they import like any other op.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {
/// The operands of a loss after the log probabilities: targets
/// [N, d1, ...] and optional class weights [C].
struct LossInputs {
  Value logProb, target, weight;
};

LogicalResult checkShapes(NodeImporter &n, RankedTensorType input, RankedTensorType target,
                          Value weight) {
  if (input.getRank() < 2)
    return n.error() << "expected input [N, C, d1, ...], got " << input;
  SmallVector<int64_t> expected = {input.getDimSize(0)};
  llvm::append_range(expected, input.getShape().drop_front(2));
  if (target.getShape() != ArrayRef<int64_t>(expected))
    return n.error() << "target " << target << " does not match input " << input
                     << " (expected [N, d1, ...] = [" << expected << "])";
  if (!isa<IntegerType>(target.getElementType()))
    return n.error() << "target must hold integer class indices, got " << target;
  if (weight) {
    auto type = cast<RankedTensorType>(weight.getType());
    if (type.getRank() != 1 || type.getDimSize(0) != input.getDimSize(1))
      return n.error() << "weight " << type << " must hold one value per class ("
                       << input.getDimSize(1) << ")";
  }
  return success();
}

/// -logProb[n, target[n, d], d] x weight, reduced as `reduction` says.
LogicalResult importLoss(NodeImporter &n, const LossInputs &in) {
  auto inputType = cast<RankedTensorType>(in.logProb.getType());
  auto targetType = cast<RankedTensorType>(in.target.getType());
  if (failed(checkShapes(n, inputType, targetType, in.weight)))
    return failure();
  std::string reduction = n.getString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return n.error() << "unsupported reduction '" << reduction << "'";
  Type i64 = n.builder().getI64Type(), element = inputType.getElementType();
  Value target = in.target;
  if (targetType.getElementType() != i64)
    target = n.create<qc::CastOp>(targetType.clone(i64), target);
  // Ignored targets may lie outside [0, C): they read class 0, weighted 0.
  Value ignored;
  if (n.hasAttr("ignore_index")) {
    ignored = n.create<qc::EqualOp>(target,
                                    scalarConstant(n, i64, n.getInt("ignore_index", 0)));
    target = n.create<qc::WhereOp>(ignored, scalarConstant(n, i64, 0), target);
  }
  SmallVector<int64_t> picked(targetType.getShape());
  picked.insert(picked.begin() + 1, 1);
  Value logProb = n.create<qc::GatherElementsOp>(in.logProb, reshapeTo(n, target, picked),
                                                 i64Attr(n, 1));
  Value loss = n.create<qc::NegOp>(reshapeTo(n, logProb, targetType.getShape()));
  Value weight;
  if (in.weight)
    weight = n.create<qc::GatherOp>(in.weight, target, i64Attr(n, 0));
  if (ignored)
    weight = n.create<qc::WhereOp>(ignored, scalarConstant(n, element, 0),
                                   weight ? weight : scalarConstant(n, element, 1));
  if (weight)
    loss = n.create<qc::MulOp>(loss, weight);

  auto all = [&](Value v) {
    return n.create<qc::ReduceSumOp>(v, i64Array(n, {}), n.builder().getBoolAttr(false));
  };
  if (reduction == "none")
    n.setOutput(0, loss);
  else if (reduction == "sum")
    n.setOutput(0, all(loss));
  else if (weight)
    n.setOutput(0, n.create<qc::DivOp>(all(loss), all(weight)));
  else
    n.setOutput(0, n.create<qc::ReduceMeanOp>(loss, i64Array(n, {}),
                                              n.builder().getBoolAttr(false)));
  return success();
}

Value optionalInput(NodeImporter &n, unsigned i) {
  return n.hasInput(i) ? n.input(i) : Value();
}

LogicalResult importNegativeLogLikelihoodLoss(NodeImporter &n) {
  return importLoss(n, {n.input(0), n.input(1), optionalInput(n, 2)});
}

/// Its second output, when asked for, is the log probabilities.
LogicalResult importSoftmaxCrossEntropyLoss(NodeImporter &n) {
  if (n.inputType(0).getRank() < 2)
    return n.error() << "expected scores [N, C, d1, ...], got " << n.inputType(0);
  Value logProb = n.create<qc::LogSoftmaxOp>(n.input(0), i64Attr(n, 1));
  if (n.numOutputs() > 1)
    n.setOutput(1, logProb);
  return importLoss(n, {logProb, n.input(1), optionalInput(n, 2)});
}
} // namespace

void onnx_import::addLossImporters(llvm::StringMap<OpImporter> &t) {
  t["NegativeLogLikelihoodLoss"] = {importNegativeLogLikelihoodLoss, 2};
  t["SoftmaxCrossEntropyLoss"] = {importSoftmaxCrossEntropyLoss, 2};
}
