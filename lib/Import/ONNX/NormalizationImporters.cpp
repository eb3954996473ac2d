//===- NormalizationImporters.cpp - normalizations and Lp pools -*- C++ -*-===//
//
// ONNX defines these as functions of simpler ops, and they import as those:
// group normalization is an instance normalization of channel groups, the
// Lp norms and pools are sums (or window averages) of |x|^p, and local
// response normalization sums squares over a channel window by average
// pooling. Each piece has its evaluator kernel, quantization rule and CPU
// lowering already.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {
Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

Value constantLike(NodeImporter &n, Value like, double value) {
  return scalarConstant(n, elementOf(like), value);
}

/// |x|^p, with the common powers as products.
Value absPower(NodeImporter &n, Value x, int64_t p) {
  if (p == 2)
    return n.create<qc::MulOp>(x, x);
  Value magnitude = n.create<qc::AbsOp>(x);
  return p == 1 ? magnitude : n.create<qc::PowOp>(magnitude, constantLike(n, x, p));
}

/// The inverse of absPower on non-negative sums.
Value root(NodeImporter &n, Value x, int64_t p) {
  if (p == 1)
    return x;
  if (p == 2)
    return n.create<qc::SqrtOp>(x);
  return n.create<qc::PowOp>(x, constantLike(n, x, 1.0 / p));
}

FailureOr<int64_t> getP(NodeImporter &n) {
  int64_t p = n.getInt("p", 2);
  if (p < 1) {
    n.error() << "p must be positive, got " << p;
    return failure();
  }
  return p;
}

/// GroupNormalization: instance normalization of [N, G, C/G * spatial], then
/// the per-channel (opset 21) or per-group (opset 18) scale and bias.
LogicalResult importGroupNorm(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t groups = n.getInt("num_groups", 0);
  if (in.getRank() < 3 || groups < 1 || in.getDimSize(1) % groups != 0)
    return n.error() << "cannot split the channels of " << in << " into " << groups
                     << " groups";
  int64_t batch = in.getDimSize(0), channels = in.getDimSize(1);
  int64_t perGroup = in.getNumElements() / (batch * groups);
  bool perChannel = n.opset() >= 21;
  int64_t params = perChannel ? channels : groups;
  for (unsigned i : {1u, 2u})
    if (n.inputType(i).getShape() != ArrayRef<int64_t>{params})
      return n.error() << "input " << i << " has type " << n.inputType(i) << ", expected "
                       << params << " values";
  Type element = in.getElementType();
  reference::Tensor ones(element, {groups}), zeros(element, {groups});
  llvm::fill(ones.floats(), 1.0f);
  Value normalized = n.create<qc::InstanceNormOp>(
      reshapeTo(n, n.input(0), {batch, groups, perGroup}), n.constant(ones),
      n.constant(zeros), f32Attr(n, n.getFloat("epsilon", 1e-5f)));
  // Scale and bias broadcast over [N, params, rest].
  SmallVector<int64_t> grouped = {batch, params, in.getNumElements() / (batch * params)};
  Value scale = reshapeTo(n, n.input(1), {params, 1});
  Value bias = reshapeTo(n, n.input(2), {params, 1});
  Value y = n.create<qc::AddOp>(
      n.create<qc::MulOp>(reshapeTo(n, normalized, grouped), scale), bias);
  n.setOutput(0, reshapeTo(n, y, in.getShape()));
  return success();
}

/// MeanVarianceNormalization, as ONNX's function body: (x - E[x]) /
/// (sqrt(E[x^2] - E[x]^2) + 1e-9) over `axes`.
LogicalResult importMeanVarianceNorm(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  auto axes = normalizeAxes(n, n.getInts("axes", {0, 2, 3}), in.getRank());
  if (failed(axes))
    return failure();
  Value x = n.input(0);
  auto mean = [&](Value v) {
    return n.create<qc::ReduceMeanOp>(v, i64Array(n, *axes), n.builder().getBoolAttr(true));
  };
  Value m = mean(x);
  Value variance = n.create<qc::SubOp>(mean(n.create<qc::MulOp>(x, x)), n.create<qc::MulOp>(m, m));
  Value std = n.create<qc::AddOp>(n.create<qc::SqrtOp>(variance), constantLike(n, x, 1e-9));
  n.setOutput(0, n.create<qc::DivOp>(n.create<qc::SubOp>(x, m), std));
  return success();
}

/// LpNormalization: x / (sum |x|^p)^(1/p) along `axis`.
LogicalResult importLpNorm(NodeImporter &n) {
  FailureOr<int64_t> p = getP(n);
  if (failed(p))
    return failure();
  if (*p > 2)
    return n.error() << "p must be 1 or 2, got " << *p;
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  Value x = n.input(0);
  Value sum = n.create<qc::ReduceSumOp>(absPower(n, x, *p), i64Array(n, {*axis}),
                                        n.builder().getBoolAttr(true));
  n.setOutput(0, n.create<qc::DivOp>(x, root(n, sum, *p)));
  return success();
}

/// GlobalLpPool: (sum over the spatial dimensions of |x|^p)^(1/p).
LogicalResult importGlobalLpPool(NodeImporter &n) {
  FailureOr<int64_t> p = getP(n);
  int64_t rank = n.inputType(0).getRank();
  if (failed(p))
    return failure();
  if (rank < 3)
    return n.error() << "expects an N x C x spatial input, got " << n.inputType(0);
  SmallVector<int64_t> spatial = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  Value sum = n.create<qc::ReduceSumOp>(absPower(n, n.input(0), *p), i64Array(n, spatial),
                                        n.builder().getBoolAttr(true));
  n.setOutput(0, root(n, sum, *p));
  return success();
}

/// LpPool: the window average of |x|^p counting padding, times the window
/// size, to the power 1/p.
LogicalResult importLpPool(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  FailureOr<int64_t> p = getP(n);
  if (failed(p))
    return failure();
  if (in.getRank() < 3 || !n.hasAttr("kernel_shape"))
    return n.error() << "expects an N x C x spatial input and kernel_shape";
  FailureOr<WindowAttrs> w = getWindowAttrs(n, in.getShape().drop_front(2), {});
  if (failed(w))
    return failure();
  Value x = n.input(0);
  Value average = n.create<qc::AvgPoolOp>(
      absPower(n, x, *p), i64Array(n, w->kernel), i64Array(n, w->strides), i64Array(n, w->pads),
      n.builder().getBoolAttr(n.getInt("ceil_mode", 0)), n.builder().getBoolAttr(true),
      i64Array(n, w->dilations));
  Value sum = n.create<qc::MulOp>(average, constantLike(n, x, product(w->kernel)));
  n.setOutput(0, root(n, sum, *p));
  return success();
}

/// LRN: x / (bias + alpha / size * (sum of x^2 over `size` channels))^beta,
/// the channel window summed by average pooling [N, 1, C, rest].
LogicalResult importLRN(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t size = n.getInt("size", 0);
  if (in.getRank() < 3 || size < 1)
    return n.error() << "expects an N x C x spatial input and a positive size";
  int64_t batch = in.getDimSize(0), channels = in.getDimSize(1);
  int64_t rest = in.getNumElements() / (batch * channels);
  Value x = n.input(0);
  Value squares = reshapeTo(n, n.create<qc::MulOp>(x, x), {batch, 1, channels, rest});
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  Value average = n.create<qc::AvgPoolOp>(
      squares, i64Array(n, {size, 1}), i64Array(n, {1, 1}), i64Array(n, {before, 0, after, 0}),
      n.builder().getBoolAttr(false), n.builder().getBoolAttr(true), i64Array(n, {1, 1}));
  // alpha / size * (size * average) = alpha * average.
  float alpha = n.getFloat("alpha", 1e-4f), beta = n.getFloat("beta", 0.75f);
  Value base = n.create<qc::AddOp>(constantLike(n, x, n.getFloat("bias", 1.0f)),
                                   n.create<qc::MulOp>(average, constantLike(n, x, alpha)));
  Value divisor = n.create<qc::PowOp>(reshapeTo(n, base, in.getShape()), constantLike(n, x, beta));
  n.setOutput(0, n.create<qc::DivOp>(x, divisor));
  return success();
}
} // namespace

void onnx_import::addNormalizationImporters(llvm::StringMap<OpImporter> &t) {
  t["GroupNormalization"] = {importGroupNorm, 3};
  t["MeanVarianceNormalization"] = {importMeanVarianceNorm, 1};
  t["LpNormalization"] = {importLpNorm, 1};
  t["GlobalLpPool"] = {importGlobalLpPool, 1, /*firstOpset=*/2};
  t["LpPool"] = {importLpPool, 1, /*firstOpset=*/2};
  t["LRN"] = {importLRN, 1};
}
