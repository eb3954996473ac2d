//===- SelectionKernels.cpp - arg, top_k, sampling and region ops -*- C++ -*-===//
#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Runtime/GridSample.h"
#include "quantc/Runtime/Regions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

namespace {
/// A tensor seen as [outer, size, inner] around `axis`.
struct AxisView {
  int64_t outer = 1, size, inner = 1;
  AxisView(ArrayRef<int64_t> shape, int64_t axis) : size(shape[axis]) {
    for (int64_t d = 0; d < axis; ++d)
      outer *= shape[d];
    for (int64_t d = axis + 1, e = shape.size(); d < e; ++d)
      inner *= shape[d];
  }
  int64_t at(int64_t o, int64_t j, int64_t i) const { return (o * size + j) * inner + i; }
};

template <typename OpTy>
FailureOr<Tensor> argKernel(OpTy op, OperandTensors args) {
  constexpr bool isMax = std::is_same_v<OpTy, qc::ArgMaxOp>;
  Tensor out = makeResult(op);
  const Tensor &in = *args[0];
  AxisView view(in.getShape(), normalizedAxis(op.getAxis(), in.getRank()));
  bool last = op.getSelectLastIndex();
  for (int64_t o = 0; o < view.outer; ++o)
    for (int64_t i = 0; i < view.inner; ++i) {
      int64_t best = 0;
      double bestValue = in.getAsDouble(view.at(o, 0, i));
      for (int64_t j = 1; j < view.size; ++j) {
        double v = in.getAsDouble(view.at(o, j, i));
        bool better = isMax ? (v > bestValue || (last && v == bestValue))
                            : (v < bestValue || (last && v == bestValue));
        if (better) {
          best = j;
          bestValue = v;
        }
      }
      out.ints()[o * view.inner + i] = best;
    }
  return out;
}

FailureOr<Tensor> topKKernel(qc::TopKOp op, OperandTensors args) {
  const Tensor &in = *args[0];
  Tensor indices = makeResult(op);
  int64_t axis = normalizedAxis(op.getAxis(), in.getRank());
  AxisView view(in.getShape(), axis);
  AxisView outView(indices.getShape(), axis);
  bool largest = op.getLargest();
  std::vector<int64_t> order(view.size);
  for (int64_t o = 0; o < view.outer; ++o)
    for (int64_t i = 0; i < view.inner; ++i) {
      auto value = [&](int64_t j) { return in.floats()[view.at(o, j, i)]; };
      std::iota(order.begin(), order.end(), 0);
      // NaN above every number; ties keep the order of positions.
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        float x = value(a), y = value(b);
        if (std::isnan(x) != std::isnan(y))
          return largest ? std::isnan(x) : std::isnan(y);
        return largest ? x > y : x < y;
      });
      for (int64_t r = 0; r < outView.size; ++r)
        indices.ints()[outView.at(o, r, i)] = order[r];
    }
  return indices;
}
FailureOr<Tensor> gridSampleKernel(qc::GridSampleOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  ArrayRef<int64_t> in = args[0]->getShape(), grid = args[1]->getShape();
  grid_sample::sample(args[0]->floats().data(), args[1]->floats().data(), out.floats().data(),
                      grid_sample::extentsOf(in.data(), grid.data(), in.size()),
                      static_cast<grid_sample::Mode>(qc::getGridSampleMode(op)),
                      static_cast<grid_sample::Padding>(qc::getGridSamplePadding(op)),
                      op.getAlignCorners());
  return out;
}
regions::Image imageOf(const Tensor &t) {
  ArrayRef<int64_t> shape = t.getShape();
  return {t.floats().data(), shape[0], shape[1], shape[2], shape[3]};
}

FailureOr<Tensor> roiAlignKernel(qc::RoiAlignOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  ArrayRef<int64_t> shape = out.getShape();
  regions::roiAlign(imageOf(*args[0]), args[1]->floats().data(), args[2]->ints().data(),
                    shape[0], shape[2], shape[3], op.getSamplingRatio(),
                    op.getSpatialScale().convertToFloat(), op.getMode() == "max",
                    op.getHalfPixel(), out.floats().data());
  return out;
}

FailureOr<Tensor> maxRoiPoolKernel(qc::MaxRoiPoolOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  ArrayRef<int64_t> shape = out.getShape();
  regions::maxRoiPool(imageOf(*args[0]), args[1]->floats().data(), shape[0], shape[2],
                      shape[3], op.getSpatialScale().convertToFloat(), out.floats().data());
  return out;
}

regions::DeformWindow deformWindow(qc::DeformUnfoldOp op) {
  ArrayRef<int64_t> k = op.getKernelShape(), s = op.getStrides(), p = op.getPads(),
                    d = op.getDilations(), offset = op.getOffset().getType().getShape();
  return {k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], static_cast<int64_t>(op.getOffsetGroup()),
          offset[2], offset[3]};
}

FailureOr<Tensor> deformUnfoldKernel(qc::DeformUnfoldOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  regions::deformUnfold(imageOf(*args[0]), args[1]->floats().data(), args[2]->floats().data(),
                        deformWindow(op), out.floats().data());
  return out;
}

FailureOr<Tensor> nmsKernel(qc::NonMaxSuppressionOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  ArrayRef<int64_t> boxes = args[0]->getShape(), scores = args[1]->getShape();
  std::optional<float> threshold;
  if (op.getScoreThreshold())
    threshold = op.getScoreThreshold()->convertToFloat();
  regions::nonMaxSuppression(args[0]->floats().data(), args[1]->floats().data(), boxes[0],
                             scores[1], boxes[1], op.getMaxOutputBoxesPerClass(),
                             op.getIouThreshold().convertToFloat(),
                             threshold ? &*threshold : nullptr, op.getCenterPointBox(),
                             out.getShape()[0], out.ints().data());
  return out;
}

FailureOr<Tensor> nonZeroKernel(qc::NonZeroOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  ArrayRef<int64_t> shape = args[0]->getShape();
  regions::nonZero(args[0]->floats().data(), shape.data(), shape.size(), out.ints().data());
  return out;
}

FailureOr<Tensor> detKernel(qc::DetOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  int64_t m = args[0]->getShape().back();
  regions::determinants(args[0]->floats().data(), out.getNumElements(), m, out.floats().data());
  return out;
}
} // namespace

void reference::registerSelectionKernels(KernelRegistry &r) {
  r.add<qc::ArgMaxOp>(argKernel<qc::ArgMaxOp>);
  r.add<qc::ArgMinOp>(argKernel<qc::ArgMinOp>);
  r.add<qc::TopKOp>(topKKernel);
  r.add<qc::GridSampleOp>(gridSampleKernel);
  r.add<qc::RoiAlignOp>(roiAlignKernel);
  r.add<qc::MaxRoiPoolOp>(maxRoiPoolKernel);
  r.add<qc::DetOp>(detKernel);
  r.add<qc::NonMaxSuppressionOp>(nmsKernel);
  r.add<qc::NonZeroOp>(nonZeroKernel);
  r.add<qc::DeformUnfoldOp>(deformUnfoldKernel);
}
