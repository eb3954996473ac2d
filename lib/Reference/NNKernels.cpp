//===- NNKernels.cpp - pooling, normalization, softmax, reduce --*- C++ -*-===//
#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

namespace {
/// Splits `shape` around `axis` into (outer, axis, inner) extents.
std::array<int64_t, 3> splitAt(ArrayRef<int64_t> shape, int64_t axis) {
  if (shape.empty()) // a scalar: one element along the axis
    return {1, 1, 1};
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i)
    inner *= shape[i];
  return {outer, shape[axis], inner};
}

/// Steps `index` through the box `extents` in row-major order; false once
/// it wraps around to all zeros.
bool nextIndex(MutableArrayRef<int64_t> index, ArrayRef<int64_t> extents) {
  for (int64_t d = static_cast<int64_t>(index.size()) - 1; d >= 0; --d) {
    if (++index[d] < extents[d])
      return true;
    index[d] = 0;
  }
  return false;
}

/// Calls `visit(plane, o, taps)` for output position `o` of every N x C
/// plane of a pooling window (taps `dilations` apart, none: 1); `taps` holds
/// the in-bounds taps' row-major offsets in the plane, in window order.
template <typename PoolOp, typename Visit>
void forEachWindow(PoolOp op, ArrayRef<int64_t> inShape, ArrayRef<int64_t> outShape,
                   ArrayRef<int64_t> dilations, Visit visit) {
  int64_t spatial = inShape.size() - 2;
  ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                    pads = op.getPads();
  ArrayRef<int64_t> inSizes = inShape.drop_front(2), outSizes = outShape.drop_front(2);
  int64_t outPlane = computeProduct(outSizes), planes = inShape[0] * inShape[1];
  SmallVector<int64_t> taps, at(spatial), tap(spatial);
  for (int64_t pl = 0; pl < planes; ++pl) {
    std::fill(at.begin(), at.end(), 0);
    for (int64_t o = 0; o < outPlane; ++o, nextIndex(at, outSizes)) {
      taps.clear();
      std::fill(tap.begin(), tap.end(), 0);
      do {
        bool inside = true;
        int64_t offset = 0;
        for (int64_t d = 0; d < spatial; ++d) {
          int64_t dilation = dilations.empty() ? 1 : dilations[d];
          int64_t i = at[d] * strides[d] - pads[d] + tap[d] * dilation;
          inside &= i >= 0 && i < inSizes[d];
          offset = offset * inSizes[d] + i;
        }
        if (inside)
          taps.push_back(offset);
      } while (nextIndex(tap, kernel));
      visit(pl, o, ArrayRef(taps));
    }
  }
}

/// Pooling where `reduce(values)` gives one output from a window's in-bounds
/// values in row-major window order.
template <typename PoolOp, typename Reduce>
FailureOr<Tensor> pool(PoolOp op, const Tensor &in, ArrayRef<int64_t> dilations,
                       Reduce reduce) {
  Tensor out(in.getElementType(), llvm::cast<RankedTensorType>(op.getType()).getShape());
  int64_t inPlane = computeProduct(in.getShape().drop_front(2));
  int64_t outPlane = computeProduct(out.getShape().drop_front(2));
  SmallVector<float> window;
  forEachWindow(op, in.getShape(), out.getShape(), dilations,
                [&](int64_t pl, int64_t o, ArrayRef<int64_t> taps) {
                  window.clear();
                  for (int64_t tap : taps)
                    window.push_back(in.floats()[pl * inPlane + tap]);
                  out.floats()[pl * outPlane + o] = reduce(window);
                });
  return out;
}

/// The row-major offset `offset` in a plane of `sizes`, flattened
/// column-major instead (the first dim varying fastest).
int64_t columnMajorOffset(int64_t offset, ArrayRef<int64_t> sizes) {
  SmallVector<int64_t> position(sizes.size());
  for (int64_t d = sizes.size() - 1; d >= 0; --d) {
    position[d] = offset % sizes[d];
    offset /= sizes[d];
  }
  int64_t result = 0;
  for (int64_t d = sizes.size() - 1; d >= 0; --d)
    result = result * sizes[d] + position[d];
  return result;
}

FailureOr<Tensor> maxPoolKernel(qc::MaxPoolOp op, OperandTensors args) {
  bool quantized = !args[0]->isFloat();
  FailureOr<Tensor> out = pool(
      op, quantized ? storedAsFloat(*args[0]) : *args[0], op.getDilations(),
      [](ArrayRef<float> v) {
        float m = -std::numeric_limits<float>::infinity();
        for (float x : v)
          m = std::max(m, x);
        return m;
      });
  if (failed(out) || !quantized)
    return out;
  return storedAsType(*out, getElementTypeOrSelf(op.getType()));
}

/// The flat input position of each window's first largest value.
FailureOr<Tensor> maxPoolIndicesKernel(qc::MaxPoolIndicesOp op, OperandTensors args) {
  Tensor in = args[0]->isFloat() ? *args[0] : storedAsFloat(*args[0]);
  Tensor out = makeResult(op);
  ArrayRef<int64_t> inSizes = in.getShape().drop_front(2);
  int64_t inPlane = computeProduct(inSizes);
  int64_t outPlane = computeProduct(out.getShape().drop_front(2));
  bool columnMajor = op.getStorageOrder() == 1;
  forEachWindow(op, in.getShape(), out.getShape(), op.getDilations(),
                [&](int64_t pl, int64_t o, ArrayRef<int64_t> taps) {
                  ArrayRef<float> plane = in.floats().slice(pl * inPlane, inPlane);
                  int64_t best = -1; // -1 for a window wholly in the padding.
                  for (int64_t tap : taps)
                    if (best < 0 || plane[tap] > plane[best])
                      best = tap;
                  if (best >= 0)
                    best = pl * inPlane + (columnMajor ? columnMajorOffset(best, inSizes) : best);
                  out.ints()[pl * outPlane + o] = best;
                });
  return out;
}

FailureOr<Tensor> avgPoolKernel(qc::AvgPoolOp op, OperandTensors args) {
  // With count_include_pad every tap counts, also those a ceil-mode window
  // reaches past the padding (as ONNX Runtime and ONNX's tests do).
  int64_t taps = op.getCountIncludePad() ? computeProduct(op.getKernelShape()) : 0;
  return pool(op, *args[0], op.getDilations(),
              [taps](ArrayRef<float> v) {
                float sum = 0;
                for (float x : v)
                  sum += x;
                int64_t count = taps ? taps : v.size();
                return count ? sum / count : 0.0f;
              });
}

template <bool isMax>
FailureOr<Tensor> globalPoolKernel(Operation *op, OperandTensors args) {
  Tensor out = makeResult(op);
  const Tensor &in = *args[0];
  int64_t planes = in.getShape()[0] * in.getShape()[1];
  int64_t size = in.getNumElements() / std::max<int64_t>(planes, 1);
  for (int64_t p = 0; p < planes; ++p) {
    ArrayRef<float> v = in.floats().slice(p * size, size);
    if (isMax) {
      float m = -std::numeric_limits<float>::infinity();
      for (float x : v)
        m = std::max(m, x);
      out.floats()[p] = m;
    } else {
      double sum = 0;
      for (float x : v)
        sum += x;
      out.floats()[p] = sum / size;
    }
  }
  return out;
}

/// y = (x - mean) * invStd * scale[c] + bias[c] for every (outer, c, inner).
FailureOr<Tensor> batchNormKernel(qc::BatchNormOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  auto [n, c, inner] = splitAt(args[0]->getShape(), 1);
  float eps = op.getEpsilon().convertToFloat();
  for (int64_t ch = 0; ch < c; ++ch) {
    float scale = args[1]->floats()[ch] /
                  std::sqrt(args[4]->floats()[ch] + eps);
    float shift = args[2]->floats()[ch] - args[3]->floats()[ch] * scale;
    for (int64_t b = 0; b < n; ++b) {
      int64_t base = (b * c + ch) * inner;
      for (int64_t i = 0; i < inner; ++i)
        out.floats()[base + i] = args[0]->floats()[base + i] * scale + shift;
    }
  }
  return out;
}

/// Normalizes each contiguous run of `size` elements to zero mean, unit
/// variance (two-pass, in double for accuracy).
void normalizeRun(const float *x, float *y, int64_t size, float eps) {
  double mean = 0, var = 0;
  for (int64_t i = 0; i < size; ++i)
    mean += x[i];
  mean /= size;
  for (int64_t i = 0; i < size; ++i)
    var += (x[i] - mean) * (x[i] - mean);
  var /= size;
  float inv = 1.0 / std::sqrt(var + eps);
  for (int64_t i = 0; i < size; ++i)
    y[i] = (x[i] - mean) * inv;
}

FailureOr<Tensor> instanceNormKernel(qc::InstanceNormOp op,
                                     OperandTensors args) {
  Tensor out = makeResult(op);
  auto [n, c, inner] = splitAt(args[0]->getShape(), 1);
  float eps = op.getEpsilon().convertToFloat();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t base = (b * c + ch) * inner;
      float *y = out.floats().data() + base;
      normalizeRun(args[0]->floats().data() + base, y, inner, eps);
      for (int64_t i = 0; i < inner; ++i)
        y[i] = y[i] * args[1]->floats()[ch] + args[2]->floats()[ch];
    }
  return out;
}

FailureOr<Tensor> layerNormKernel(qc::LayerNormOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  const Tensor &in = *args[0];
  int64_t rank = in.getRank();
  int64_t axis = normalizedAxis(op.getAxis(), rank);
  ArrayRef<int64_t> normShape = in.getShape().drop_front(axis);
  int64_t size = 1;
  for (int64_t d : normShape)
    size *= d;
  // Expand scale and bias to the normalized shape once.
  auto expand = [&](const Tensor *p) {
    std::vector<float> full(size, 0.0f);
    if (!p)
      return full;
    std::array<SmallVector<int64_t>, 1> st = {
        broadcastStrides(p->getShape(), normShape)};
    forEachIndex<1>(normShape, st, [&](int64_t i, auto off) {
      full[i] = p->floats()[off[0]];
    });
    return full;
  };
  std::vector<float> scale = expand(args[1]);
  std::vector<float> bias = expand(op.getBias() ? args[2] : nullptr);
  float eps = op.getEpsilon().convertToFloat();
  for (int64_t base = 0; base < in.getNumElements(); base += size) {
    float *y = out.floats().data() + base;
    normalizeRun(in.floats().data() + base, y, size, eps);
    for (int64_t i = 0; i < size; ++i)
      y[i] = y[i] * scale[i] + bias[i];
  }
  return out;
}

template <bool isLog>
FailureOr<Tensor> softmaxKernel(Operation *op, int64_t axis,
                                OperandTensors args) {
  Tensor out = makeResult(op);
  const Tensor &in = *args[0];
  auto [outer, n, inner] =
      splitAt(in.getShape(), normalizedAxis(axis, in.getRank()));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float *x = in.floats().data() + o * n * inner + i;
      float *y = out.floats().data() + o * n * inner + i;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < n; ++j)
        m = std::max(m, x[j * inner]);
      double sum = 0;
      for (int64_t j = 0; j < n; ++j)
        sum += std::exp(x[j * inner] - m);
      for (int64_t j = 0; j < n; ++j)
        y[j * inner] = isLog ? x[j * inner] - m - std::log(sum)
                             : std::exp(x[j * inner] - m) / sum;
    }
  return out;
}

enum class ReduceKind { Sum, Mean, Max, Min, Prod };

/// An integer reduction in the elements' own type: sums and products wrap
/// around as two's complement; bools' maximum is any, their minimum all.
template <ReduceKind kind>
void reduceIntegers(const Tensor &in, Tensor &out,
                    const std::array<SmallVector<int64_t>, 1> &strides) {
  unsigned bits = in.getElementType().getIntOrFloatBitWidth();
  int64_t lowest = bits == 1 ? 0 : std::numeric_limits<int64_t>::min() >> (64 - bits);
  int64_t highest = bits == 1 ? 1 : std::numeric_limits<int64_t>::max() >> (64 - bits);
  std::fill(out.ints().begin(), out.ints().end(),
            kind == ReduceKind::Max   ? lowest
            : kind == ReduceKind::Min ? highest
            : kind == ReduceKind::Prod ? 1
                                       : 0);
  ArrayRef<int64_t> x = in.ints();
  MutableArrayRef<int64_t> acc = out.ints();
  auto wrap = [&](uint64_t v) {
    return bits == 64 ? static_cast<int64_t>(v)
                      : static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
  };
  forEachIndex<1>(in.getShape(), strides, [&](int64_t i, auto off) {
    int64_t &a = acc[off[0]];
    if constexpr (kind == ReduceKind::Max)
      a = std::max(a, x[i]);
    else if constexpr (kind == ReduceKind::Min)
      a = std::min(a, x[i]);
    else if constexpr (kind == ReduceKind::Prod)
      a = wrap(static_cast<uint64_t>(a) * static_cast<uint64_t>(x[i]));
    else
      a = wrap(static_cast<uint64_t>(a) + static_cast<uint64_t>(x[i]));
  });
}

template <ReduceKind kind, typename ReduceOp>
FailureOr<Tensor> reduceKernel(ReduceOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  const Tensor &in = *args[0];
  int64_t rank = in.getRank();
  // Walk the input with output strides that are zero on reduced axes.
  SmallVector<int64_t> keptShape(in.getShape());
  SmallVector<bool> reduced(rank, op.getAxes().empty());
  for (int64_t a : op.getAxes())
    reduced[normalizedAxis(a, rank)] = true;
  for (int64_t i = 0; i < rank; ++i)
    if (reduced[i])
      keptShape[i] = 1;
  std::array<SmallVector<int64_t>, 1> strides = {
      broadcastStrides(keptShape, in.getShape())};
  if constexpr (kind != ReduceKind::Mean) {
    if (!in.isFloat()) {
      reduceIntegers<kind>(in, out, strides);
      return out;
    }
  }
  std::vector<double> acc(out.getNumElements(),
                          kind == ReduceKind::Max ? -INFINITY
                          : kind == ReduceKind::Min  ? INFINITY
                          : kind == ReduceKind::Prod ? 1.0
                                                     : 0.0);
  ArrayRef<float> x = in.floats();
  forEachIndex<1>(in.getShape(), strides, [&](int64_t i, auto off) {
    double &a = acc[off[0]];
    if constexpr (kind == ReduceKind::Max)
      a = std::max<double>(a, x[i]);
    else if constexpr (kind == ReduceKind::Min)
      a = std::min<double>(a, x[i]);
    else if constexpr (kind == ReduceKind::Prod)
      a *= x[i];
    else
      a += x[i];
  });
  double count = out.getNumElements()
                     ? double(in.getNumElements()) / out.getNumElements()
                     : 1.0;
  for (int64_t i = 0; i < out.getNumElements(); ++i)
    out.floats()[i] = kind == ReduceKind::Mean ? acc[i] / count : acc[i];
  return out;
}
} // namespace

void reference::registerNNKernels(KernelRegistry &r) {
  r.add<qc::MaxPoolOp>(maxPoolKernel);
  r.add<qc::MaxPoolIndicesOp>(maxPoolIndicesKernel);
  r.add<qc::AvgPoolOp>(avgPoolKernel);
  r.add<qc::GlobalAvgPoolOp>(globalPoolKernel<false>);
  r.add<qc::GlobalMaxPoolOp>(globalPoolKernel<true>);
  r.add<qc::BatchNormOp>(batchNormKernel);
  r.add<qc::InstanceNormOp>(instanceNormKernel);
  r.add<qc::LayerNormOp>(layerNormKernel);
  r.add<qc::SoftmaxOp>([](qc::SoftmaxOp op, OperandTensors args) {
    return softmaxKernel<false>(op, op.getAxis(), args);
  });
  r.add<qc::LogSoftmaxOp>([](qc::LogSoftmaxOp op, OperandTensors args) {
    return softmaxKernel<true>(op, op.getAxis(), args);
  });
  r.add<qc::ReduceSumOp>(reduceKernel<ReduceKind::Sum, qc::ReduceSumOp>);
  r.add<qc::ReduceMeanOp>(reduceKernel<ReduceKind::Mean, qc::ReduceMeanOp>);
  r.add<qc::ReduceMaxOp>(reduceKernel<ReduceKind::Max, qc::ReduceMaxOp>);
  r.add<qc::ReduceMinOp>(reduceKernel<ReduceKind::Min, qc::ReduceMinOp>);
  r.add<qc::ReduceProdOp>(reduceKernel<ReduceKind::Prod, qc::ReduceProdOp>);
}
