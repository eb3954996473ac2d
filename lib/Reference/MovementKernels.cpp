//===- MovementKernels.cpp - reshape, transpose, slice, resize --*- C++ -*-===//
#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

namespace {
/// Copies `src` into a result of the op's type, reading element off[0] of
/// `src` for output element i with the given input strides.
FailureOr<Tensor> gatherStrided(Operation *op, const Tensor &src,
                                SmallVector<int64_t> strides,
                                int64_t baseOffset = 0) {
  Tensor out = makeResult(op);
  std::array<SmallVector<int64_t>, 1> s = {std::move(strides)};
  forEachIndex<1>(out.getShape(), s, [&](int64_t i, auto off) {
    out.copyElement(i, src, baseOffset + off[0]);
  });
  return out;
}

FailureOr<Tensor> transposeKernel(qc::TransposeOp op, OperandTensors args) {
  SmallVector<int64_t> own = computeStrides(args[0]->getShape()), strides;
  for (int64_t p : op.getPerm())
    strides.push_back(own[p]);
  return gatherStrided(op, *args[0], strides);
}

FailureOr<Tensor> sliceKernel(qc::SliceOp op, OperandTensors args) {
  SmallVector<int64_t> own = computeStrides(args[0]->getShape()), strides;
  int64_t base = 0;
  for (auto [i, stride] : llvm::enumerate(own)) {
    strides.push_back(stride * op.getSteps()[i]);
    base += stride * op.getStarts()[i];
  }
  return gatherStrided(op, *args[0], strides, base);
}

FailureOr<Tensor> broadcastKernel(qc::BroadcastToOp op, OperandTensors args) {
  return gatherStrided(op, *args[0],
                       broadcastStrides(args[0]->getShape(),
                                        op.getType().getShape()));
}

FailureOr<Tensor> concatKernel(qc::ConcatOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  int64_t rank = out.getRank();
  int64_t axis = normalizedAxis(op.getAxis(), rank);
  int64_t outer = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= out.getShape()[i];
  int64_t outBlock = out.getNumElements() / std::max<int64_t>(outer, 1);
  int64_t offset = 0;
  for (const Tensor *in : args) {
    int64_t block = in->getNumElements() / std::max<int64_t>(outer, 1);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < block; ++i)
        out.copyElement(o * outBlock + offset + i, *in, o * block + i);
    offset += block;
  }
  return out;
}

FailureOr<Tensor> gatherKernel(qc::GatherOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  const Tensor &data = *args[0], &indices = *args[1];
  int64_t axis = normalizedAxis(op.getAxis(), data.getRank());
  int64_t outer = 1, inner = 1, dim = data.getShape()[axis];
  for (int64_t i = 0; i < axis; ++i)
    outer *= data.getShape()[i];
  for (int64_t i = axis + 1; i < data.getRank(); ++i)
    inner *= data.getShape()[i];
  int64_t count = indices.getNumElements();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < count; ++j) {
      int64_t idx = indices.ints()[j];
      if (idx < 0)
        idx += dim;
      if (idx < 0 || idx >= dim)
        return op.emitOpError("index ") << indices.ints()[j]
                                        << " out of range for dimension of size "
                                        << dim;
      for (int64_t i = 0; i < inner; ++i)
        out.copyElement((o * count + j) * inner + i, data,
                        (o * dim + idx) * inner + i);
    }
  return out;
}

/// Maps each output element to its input element coordinate by coordinate.
template <typename MapCoord>
FailureOr<Tensor> mapCoordinates(Operation *op, const Tensor &in,
                                 MapCoord mapCoord) {
  Tensor out = makeResult(op);
  SmallVector<int64_t> inStrides = computeStrides(in.getShape());
  SmallVector<int64_t> outStrides = computeStrides(out.getShape());
  for (int64_t i = 0; i < out.getNumElements(); ++i) {
    int64_t rem = i, src = 0;
    bool inside = true;
    for (int64_t d = 0; d < out.getRank(); ++d) {
      int64_t coord = rem / outStrides[d];
      rem %= outStrides[d];
      int64_t mapped = mapCoord(d, coord);
      if (mapped < 0) {
        inside = false;
        break;
      }
      src += mapped * inStrides[d];
    }
    if (inside)
      out.copyElement(i, in, src);
  }
  return out;
}

FailureOr<Tensor> tileKernel(qc::TileOp op, OperandTensors args) {
  ArrayRef<int64_t> shape = args[0]->getShape();
  return mapCoordinates(op, *args[0],
                        [&](int64_t d, int64_t c) { return c % shape[d]; });
}

FailureOr<Tensor> padKernel(qc::PadOp op, OperandTensors args) {
  const Tensor &in = *args[0];
  int64_t rank = in.getRank();
  ArrayRef<int64_t> pads = op.getPads(), shape = in.getShape();
  StringRef mode = op.getMode();
  auto map = [&](int64_t d, int64_t c) -> int64_t {
    int64_t x = c - pads[d], n = shape[d];
    if (x >= 0 && x < n)
      return x;
    if (mode == "constant")
      return -1;
    if (mode == "edge")
      return std::clamp<int64_t>(x, 0, n - 1);
    // reflect: mirror without repeating the edge.
    int64_t period = 2 * (n - 1);
    if (period == 0)
      return 0;
    x = ((x % period) + period) % period;
    return x < n ? x : period - x;
  };
  FailureOr<Tensor> out = mapCoordinates(op, in, map);
  if (failed(out) || mode != "constant")
    return out;
  // Fill the padding that mapCoordinates skipped.
  double value = qc::getPadFill(op);
  SmallVector<int64_t> strides = computeStrides(out->getShape());
  for (int64_t i = 0; i < out->getNumElements(); ++i) {
    bool padded = false;
    for (int64_t d = 0, rem = i; d < rank && !padded; ++d) {
      int64_t c = rem / strides[d];
      rem %= strides[d];
      padded = c < pads[d] || c >= pads[d] + shape[d];
    }
    if (!padded)
      continue;
    if (out->isFloat())
      out->floats()[i] = value;
    else
      out->ints()[i] = static_cast<int64_t>(value);
  }
  return out;
}

/// Source coordinate of output coordinate `x` under ONNX's coordinate
/// transformation modes.
/// Resizes one axis of `in` to `outSize`.
Tensor resizeAxis(const Tensor &in, int64_t axis, int64_t outSize, float scale,
                  qc::ResizeOp op) {
  SmallVector<int64_t> shape(in.getShape());
  int64_t inSize = shape[axis];
  shape[axis] = outSize;
  Tensor out(in.getElementType(), shape);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i)
    inner *= shape[i];
  if (qc::resizesThroughFilter(op, scale)) {
    qc::ResizeFilter filter = qc::getResizeFilter(op, axis, inSize, outSize, scale);
    for (int64_t x = 0; x < outSize; ++x)
      for (int64_t o = 0; o < outer; ++o) {
        float *y = out.floats().data() + (o * outSize + x) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          float sum = filter.starts[x];
          for (int64_t k = 0; k < filter.width; ++k) {
            int64_t at = x * filter.width + k;
            float term = filter.weights[at] *
                         in.floats()[(o * inSize + filter.indices[at]) * inner + i];
            sum = sum + term;
          }
          y[i] = sum;
        }
      }
    return out;
  }
  SmallVector<qc::ResizeTap> taps = qc::getResizeTaps(op, inSize, outSize, scale);
  for (int64_t x = 0; x < outSize; ++x) {
    auto [i0, i1, w] = taps[x];
    for (int64_t o = 0; o < outer; ++o) {
      const float *a = in.floats().data() + (o * inSize + i0) * inner;
      const float *b = in.floats().data() + (o * inSize + i1) * inner;
      float *y = out.floats().data() + (o * outSize + x) * inner;
      for (int64_t i = 0; i < inner; ++i)
        y[i] = a[i] + (b[i] - a[i]) * w;
    }
  }
  return out;
}

FailureOr<Tensor> resizeKernel(qc::ResizeOp op, OperandTensors args) {
  bool quantized = !args[0]->isFloat();
  Tensor current = quantized ? storedAsFloat(*args[0]) : *args[0];
  // N-linear and nearest interpolation are separable: one axis at a time.
  for (int64_t d = 0; d < current.getRank(); ++d) {
    int64_t outSize = cast<RankedTensorType>(op.getType()).getDimSize(d);
    float scale = op.getScales()[d];
    if (qc::keepsResizeAxis(op, d, current.getShape()[d], outSize))
      continue;
    current = resizeAxis(current, d, outSize, scale, op);
  }
  if (quantized)
    return storedAsType(current, getElementTypeOrSelf(op.getType()));
  return current;
}
} // namespace

namespace {
FailureOr<Tensor> triluKernel(qc::TriluOp op, OperandTensors args) {
  const Tensor &in = *args[0];
  Tensor out = makeResult(op);
  ArrayRef<int64_t> shape = in.getShape();
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  int64_t k = op.getK();
  bool upper = op.getUpper();
  for (int64_t i = 0, e = in.getNumElements(); i < e; ++i) {
    int64_t col = i % cols, row = (i / cols) % rows;
    bool keep = upper ? col - row >= k : col - row <= k;
    if (keep)
      out.copyElement(i, in, i);
    // Otherwise the element stays zero.
  }
  return out;
}

/// Wraps an integer sum to the element type's width, as the generated code's
/// fixed-width additions do.
int64_t wrapToWidth(int64_t v, unsigned width) {
  return width >= 64 ? v : llvm::SignExtend64(static_cast<uint64_t>(v), width);
}

FailureOr<Tensor> cumsumKernel(qc::CumSumOp op, OperandTensors args) {
  const Tensor &in = *args[0];
  Tensor out = makeResult(op);
  ArrayRef<int64_t> shape = in.getShape();
  int64_t axis = normalizedAxis(op.getAxis(), shape.size());
  int64_t len = shape[axis];
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
    inner *= shape[d];
  int64_t outer = len == 0 ? 0 : in.getNumElements() / (len * inner);
  bool exclusive = op.getExclusive(), reverse = op.getReverse();
  unsigned width = in.isFloat() ? 0 : in.getElementType().getIntOrFloatBitWidth();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      float fsum = 0;
      int64_t isum = 0;
      for (int64_t step = 0; step < len; ++step) {
        int64_t i = reverse ? len - 1 - step : step;
        int64_t at = (o * len + i) * inner + j;
        if (in.isFloat()) {
          if (!exclusive)
            fsum += in.floats()[at];
          out.floats()[at] = fsum;
          if (exclusive)
            fsum += in.floats()[at];
        } else {
          if (!exclusive)
            isum = wrapToWidth(isum + in.ints()[at], width);
          out.ints()[at] = isum;
          if (exclusive)
            isum = wrapToWidth(isum + in.ints()[at], width);
        }
      }
    }
  }
  return out;
}
/// The flat offsets of `shape`'s elements: unravel `flat` into coordinates.
SmallVector<int64_t> unravel(int64_t flat, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> coords(shape.size());
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    coords[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return coords;
}

FailureOr<Tensor> gatherElementsKernel(qc::GatherElementsOp op, OperandTensors args) {
  const Tensor &data = *args[0], &indices = *args[1];
  Tensor out = makeResult(op);
  ArrayRef<int64_t> shape = data.getShape();
  int64_t axis = normalizedAxis(op.getAxis(), shape.size());
  SmallVector<int64_t> strides = computeStrides(shape);
  for (int64_t i = 0, e = out.getNumElements(); i < e; ++i) {
    SmallVector<int64_t> coords = unravel(i, out.getShape());
    int64_t index = indices.ints()[i];
    if (index < 0)
      index += shape[axis];
    if (index < 0 || index >= shape[axis])
      return op.emitOpError("index ") << indices.ints()[i] << " is out of range for axis "
                                      << axis << " of size " << shape[axis];
    coords[axis] = index;
    int64_t from = 0;
    for (size_t d = 0; d < coords.size(); ++d)
      from += coords[d] * strides[d];
    out.copyElement(i, data, from);
  }
  return out;
}

FailureOr<Tensor> scatterNDKernel(qc::ScatterNDOp op, OperandTensors args) {
  const Tensor &data = *args[0], &indices = *args[1], &updates = *args[2];
  Tensor out = data;
  ArrayRef<int64_t> shape = data.getShape();
  int64_t k = indices.getShape().back();
  int64_t tuples = k ? indices.getNumElements() / k : 0;
  int64_t slice = 1;
  for (int64_t d = k; d < static_cast<int64_t>(shape.size()); ++d)
    slice *= shape[d];
  SmallVector<int64_t> strides = computeStrides(shape);
  StringRef reduction = op.getReduction();
  for (int64_t n = 0; n < tuples; ++n) {
    int64_t base = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t index = indices.ints()[n * k + j];
      if (index < 0)
        index += shape[j];
      if (index < 0 || index >= shape[j])
        return op.emitOpError("index ") << indices.ints()[n * k + j]
                                        << " is out of range for dimension " << j
                                        << " of size " << shape[j];
      base += index * strides[j];
    }
    for (int64_t e = 0; e < slice; ++e) {
      int64_t to = base + e, from = n * slice + e;
      if (reduction == "none") {
        out.copyElement(to, updates, from);
        continue;
      }
      auto combine = [&](auto a, auto b) -> decltype(a) {
        if (reduction == "add")
          return a + b;
        if (reduction == "mul")
          return a * b;
        return reduction == "max" ? std::max(a, b) : std::min(a, b);
      };
      if (out.isFloat())
        out.floats()[to] = combine(out.floats()[to], updates.floats()[from]);
      else
        out.ints()[to] = combine(out.ints()[to], updates.ints()[from]);
    }
  }
  return out;
}
} // namespace

void reference::registerMovementKernels(KernelRegistry &r) {
  r.add<qc::GatherElementsOp>(gatherElementsKernel);
  r.add<qc::ScatterNDOp>(scatterNDKernel);
  r.add<qc::TriluOp>(triluKernel);
  r.add<qc::CumSumOp>(cumsumKernel);
  r.add<qc::ReshapeOp>([](qc::ReshapeOp op, OperandTensors args) {
    return FailureOr<Tensor>(args[0]->reshaped(op.getType().getShape()));
  });
  r.add<qc::TransposeOp>(transposeKernel);
  r.add<qc::SliceOp>(sliceKernel);
  r.add<qc::BroadcastToOp>(broadcastKernel);
  r.add<qc::ConcatOp>(concatKernel);
  r.add<qc::GatherOp>(gatherKernel);
  r.add<qc::TileOp>(tileKernel);
  r.add<qc::PadOp>(padKernel);
  r.add<qc::ResizeOp>(resizeKernel);
}
