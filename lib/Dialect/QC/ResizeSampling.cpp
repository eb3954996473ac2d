//===- ResizeSampling.cpp - where qc.resize reads its input -----*- C++ -*-===//
//
// The source positions and weights of a resize along one axis, shared by
// the reference evaluator and the lowerings so that both sum the same
// terms: taps (nearest, linear) or filters (cubic, antialiased, cropped),
// per ONNX Resize's coordinate transformation and nearest modes.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
/// Output position x's coordinate in the input. align_corners divides by
/// the output's length, as the ONNX spec words it and ONNX Runtime computes
/// it (ONNX's Python reference uses `scale * inSize` instead, which differs
/// where that is fractional); half_pixel_symmetric centres the output on
/// the scaled length.
double sourceCoordinate(StringRef mode, int64_t x, int64_t inSize, int64_t outSize,
                        float scale) {
  if (mode == "asymmetric")
    return x / scale;
  if (mode == "align_corners")
    return outSize == 1 ? 0.0 : double(x) * (inSize - 1) / (outSize - 1);
  if (mode == "pytorch_half_pixel")
    return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "tf_half_pixel_for_nn")
    return (x + 0.5) / scale;
  if (mode == "half_pixel_symmetric") {
    double offset = inSize / 2.0 * (1 - outSize / (double(scale) * inSize));
    return offset + (x + 0.5) / scale - 0.5;
  }
  return (x + 0.5) / scale - 0.5; // half_pixel
}

int64_t roundNearest(StringRef mode, double x) {
  if (mode == "floor")
    return std::floor(x);
  if (mode == "ceil")
    return std::ceil(x);
  double frac = x - std::floor(x);
  if (frac == 0.5)
    return mode == "round_prefer_floor" ? std::floor(x) : std::ceil(x);
  return std::round(x);
}

bool crops(ResizeOp op) { return op.getCoordinateTransformationMode() == "tf_crop_and_resize"; }

/// tf_crop_and_resize's region of `axis`: its start and end, in fractions
/// of the axis's last index.
std::pair<double, double> cropRegion(ResizeOp op, int64_t axis) {
  ArrayRef<float> roi = op.getRoi();
  return {roi[axis], roi[axis + roi.size() / 2]};
}

/// Keys' cubic kernel of parameter a at distance d.
double cubicKernel(double d, double a) {
  d = std::fabs(d);
  if (d <= 1)
    return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2)
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

/// The weights of the neighbours left - n/2 + 1 .. left + n/2 of a source
/// coordinate `ratio` past `left` (in (0, 1]), as ONNX's reference computes
/// them: nearest as a choice of two; linear on two; Keys' cubic on four;
/// with antialias, the cubic or linear (triangle) kernel stretched by 1 /
/// scale and normalized.
SmallVector<double> filterWeights(ResizeOp op, double ratio, double scale) {
  if (op.getMode() == "nearest") {
    // The left or right neighbour, as roundNearest picks (ratio 1: right).
    bool right = ratio == 1 || roundNearest(op.getNearestMode(), ratio) == 1;
    return {right ? 0.0 : 1.0, right ? 1.0 : 0.0};
  }
  bool cubic = op.getMode() == "cubic", antialias = op.getAntialias();
  if (!cubic && !antialias)
    return {1 - ratio, ratio};
  double a = op.getCubicCoeffA().convertToDouble();
  double stretch = antialias ? std::min(scale, 1.0) : 1.0;
  int64_t start = static_cast<int64_t>(std::floor((cubic ? -2 : -1) / stretch)) + 1;
  SmallVector<double> weights;
  double sum = 0;
  for (int64_t i = start; i < 2 - start; ++i) {
    double d = stretch * (i - ratio);
    double w = cubic ? cubicKernel(d, a) : std::clamp(1 - std::fabs(d), 0.0, 1.0);
    weights.push_back(w);
    sum += w;
  }
  if (antialias)
    for (double &w : weights)
      w /= sum;
  return weights;
}
} // namespace

SmallVector<ResizeTap> qc::getResizeTaps(ResizeOp op, int64_t inSize, int64_t outSize,
                                         float scale) {
  bool linear = op.getMode() == "linear";
  SmallVector<ResizeTap> taps;
  for (int64_t x = 0; x < outSize; ++x) {
    double src = sourceCoordinate(op.getCoordinateTransformationMode(), x, inSize, outSize,
                                  scale);
    if (linear) {
      src = std::clamp(src, 0.0, double(inSize - 1));
      int64_t i0 = std::floor(src);
      taps.push_back({i0, std::min(i0 + 1, inSize - 1), float(src - i0)});
    } else {
      int64_t i = std::clamp<int64_t>(roundNearest(op.getNearestMode(), src), 0, inSize - 1);
      taps.push_back({i, i, 0.0f});
    }
  }
  return taps;
}

bool qc::keepsResizeAxis(ResizeOp op, int64_t axis, int64_t inSize, int64_t outSize) {
  if (inSize != outSize || op.getScales()[axis] != 1.0f)
    return false;
  return !crops(op) || cropRegion(op, axis) == std::pair(0.0, 1.0);
}

bool qc::resizesThroughFilter(ResizeOp op, float scale) {
  return crops(op) || op.getMode() == "cubic" ||
         (op.getMode() == "linear" && op.getAntialias() && scale < 1.0f);
}

ResizeFilter qc::getResizeFilter(ResizeOp op, int64_t axis, int64_t inSize, int64_t outSize,
                                 float scale) {
  ResizeFilter filter;
  for (int64_t x = 0; x < outSize; ++x) {
    double src;
    if (crops(op)) {
      // In the order of ONNX's reference.
      auto [start, end] = cropRegion(op, axis);
      src = start * (inSize - 1) + (outSize == 1 ? (end - start) * (inSize - 1) / 2
                                                  : x * (end - start) * (inSize - 1) /
                                                        (outSize - 1));
    } else {
      src = sourceCoordinate(op.getCoordinateTransformationMode(), x, inSize, outSize, scale);
    }
    // The neighbour left of src (src - 1 when src is whole), so that the
    // ratio is in (0, 1].
    double left = std::ceil(src) - 1;
    SmallVector<double> weights = filterWeights(op, src - left, scale);
    int64_t n = static_cast<int64_t>(weights.size());
    filter.width = n;
    bool outside = crops(op) && (src < 0 || src > inSize - 1);
    filter.starts.push_back(outside ? op.getExtrapolationValue().convertToFloat() : 0.0f);
    int64_t first = static_cast<int64_t>(left) - n / 2 + 1;
    if (outside) {
      weights.assign(n, 0.0);
    } else if (op.getExcludeOutside()) {
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        if (first + k < 0 || first + k >= inSize)
          weights[k] = 0;
        sum += weights[k];
      }
      for (double &w : weights)
        w /= sum;
    }
    for (int64_t k = 0; k < n; ++k) {
      filter.indices.push_back(std::clamp<int64_t>(first + k, 0, inSize - 1));
      filter.weights.push_back(static_cast<float>(weights[k]));
    }
  }
  return filter;
}
