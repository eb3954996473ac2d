//===- ReductionImporters.cpp - the Reduce* ops -----------------*- C++ -*-===//
//
// Sum, mean, max, min and product are qc reductions; ONNX's other
// reductions are those with an element-wise function before or after
// (L1, L2, sum of squares, log-sum), and log-sum-exp subtracts the maximum
// first so that exp cannot overflow. ArgMax and ArgMin reduce to positions.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {
struct ReduceAxes {
  SmallVector<int64_t> axes;
  bool keepdims;
  /// Empty axes with noop_with_empty_axes: nothing is reduced.
  bool noop;
};

/// Axes became an input in opset 13 for ReduceSum, 18 for the rest.
FailureOr<ReduceAxes> getReduceAxes(NodeImporter &n, int64_t axesInputSince) {
  FailureOr<SmallVector<int64_t>> axes = getAxesOperand(n, axesInputSince);
  if (failed(axes))
    return failure();
  auto normalized = normalizeAxes(n, *axes, n.inputType(0).getRank());
  if (failed(normalized))
    return failure();
  return ReduceAxes{*normalized, n.getInt("keepdims", 1) != 0,
                    normalized->empty() && n.getInt("noop_with_empty_axes", 0) != 0};
}

template <typename OpTy>
Value reduce(NodeImporter &n, Value x, const ReduceAxes &r, bool keepdims) {
  if (r.noop)
    return x;
  return n.create<OpTy>(x, i64Array(n, r.axes), n.builder().getBoolAttr(keepdims));
}

template <typename OpTy, int64_t axesInputSince>
LogicalResult importReduce(NodeImporter &n) {
  FailureOr<ReduceAxes> r = getReduceAxes(n, axesInputSince);
  if (failed(r))
    return failure();
  Value y = reduce<OpTy>(n, n.input(0), *r, r->keepdims);
  n.setOutput(0, r->noop ? n.create<qc::IdentityOp>(y) : y);
  return success();
}

enum class Composed { L1, L2, SumSquare, LogSum };

template <Composed kind>
LogicalResult importComposedReduce(NodeImporter &n) {
  FailureOr<ReduceAxes> r = getReduceAxes(n, 18);
  if (failed(r))
    return failure();
  Value x = n.input(0);
  if (kind == Composed::L1)
    x = n.create<qc::AbsOp>(x);
  else if (kind == Composed::L2 || kind == Composed::SumSquare)
    x = n.create<qc::MulOp>(x, x);
  Value y = reduce<qc::ReduceSumOp>(n, x, *r, r->keepdims);
  if (kind == Composed::L2)
    y = n.create<qc::SqrtOp>(y);
  else if (kind == Composed::LogSum)
    y = n.create<qc::LogOp>(y);
  n.setOutput(0, y);
  return success();
}

/// log(sum(exp(x - m))) + m with m the maximum over the axes.
LogicalResult importReduceLogSumExp(NodeImporter &n) {
  FailureOr<ReduceAxes> r = getReduceAxes(n, 18);
  if (failed(r))
    return failure();
  Value x = n.input(0);
  Value m = reduce<qc::ReduceMaxOp>(n, x, *r, /*keepdims=*/true);
  Value sum = reduce<qc::ReduceSumOp>(n, n.create<qc::ExpOp>(n.create<qc::SubOp>(x, m)), *r,
                                      /*keepdims=*/true);
  Value y = n.create<qc::AddOp>(n.create<qc::LogOp>(sum), m);
  if (!r->keepdims && !r->noop && y) {
    SmallVector<int64_t> shape;
    for (auto [i, d] : llvm::enumerate(n.inputType(0).getShape()))
      if (!r->axes.empty() && !llvm::is_contained(r->axes, static_cast<int64_t>(i)))
        shape.push_back(d);
    y = reshapeTo(n, y, shape);
  }
  n.setOutput(0, y);
  return success();
}

template <typename OpTy>
LogicalResult importArgReduce(NodeImporter &n) {
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  if (n.inputType(0).getDimSize(*axis) == 0)
    return n.error() << "axis " << *axis << " of " << n.inputType(0) << " is empty";
  n.setOutput(0, n.create<OpTy>(n.input(0), i64Attr(n, *axis),
                                n.builder().getBoolAttr(n.getInt("keepdims", 1)),
                                n.builder().getBoolAttr(n.getInt("select_last_index", 0))));
  return success();
}
} // namespace

void onnx_import::addReductionImporters(llvm::StringMap<OpImporter> &t) {
  t["ReduceSum"] = {importReduce<qc::ReduceSumOp, 13>, 1};
  t["ReduceMean"] = {importReduce<qc::ReduceMeanOp, 18>, 1};
  t["ReduceMax"] = {importReduce<qc::ReduceMaxOp, 18>, 1};
  t["ReduceMin"] = {importReduce<qc::ReduceMinOp, 18>, 1};
  t["ReduceProd"] = {importReduce<qc::ReduceProdOp, 18>, 1};
  t["ReduceL1"] = {importComposedReduce<Composed::L1>, 1};
  t["ReduceL2"] = {importComposedReduce<Composed::L2>, 1};
  t["ReduceSumSquare"] = {importComposedReduce<Composed::SumSquare>, 1};
  t["ReduceLogSum"] = {importComposedReduce<Composed::LogSum>, 1};
  t["ReduceLogSumExp"] = {importReduceLogSumExp, 1};
  t["ArgMax"] = {importArgReduce<qc::ArgMaxOp>, 1};
  t["ArgMin"] = {importArgReduce<qc::ArgMinOp>, 1};
}
