//===- GridSample.h - grid sampling, shared by both engines ----*- C++ -*-===//
//
// ONNX GridSample on [N, C, H, W] with a grid [N, Ho, Wo, 2] of (x, y) in
// [-1, 1], or volumetric on [N, C, D, H, W] with a grid [N, Do, Ho, Wo, 3] of
// (x, y, z), as ONNX's reference computes it: coordinates unnormalized by
// align_corners, moved inside by `border` or `reflection` padding, then
// nearest (ties to even), linear (2 taps per axis) or, in 2-d, cubic (4 x 4
// taps, Keys' kernel with a = -0.75) sampling; taps outside read 0 (`zeros`), the edge
// (`border`) or their reflection. Header-only: the runtime's kernel and the
// reference evaluator both call it (ONNX Runtime and ONNX's reference
// evaluator are the tests' oracles).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RUNTIME_GRIDSAMPLE_H
#define QUANTC_RUNTIME_GRIDSAMPLE_H

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace quantc::grid_sample {

enum Mode : int64_t { Linear, Nearest, Cubic };
enum Padding : int64_t { Zeros, Border, Reflection };

struct Axis {
  int64_t size;
  double low, high; // the coordinates' borders
  Padding padding;

  Axis(int64_t size, bool alignCorners, Padding padding)
      : size(size), low(alignCorners ? 0.0 : -0.5),
        high(alignCorners ? size - 1.0 : size - 0.5), padding(padding) {}

  double unnormalize(double n, bool alignCorners) const {
    return alignCorners ? (n + 1) / 2 * (size - 1) : ((n + 1) * size - 1) / 2;
  }
  /// Reflects `x` at the borders until it lies between them.
  double reflect(double x) const {
    double range = high - low;
    if (range <= 0)
      return low;
    if (x < low) {
      double d = low - x;
      auto k = static_cast<int64_t>(d / range);
      double r = d - k * range;
      return k % 2 == 0 ? low + r : high - r;
    }
    if (x > high) {
      double d = x - high;
      auto k = static_cast<int64_t>(d / range);
      double r = d - k * range;
      return k % 2 == 0 ? high - r : low + r;
    }
    return x;
  }
  /// The coordinate moved inside for border and reflection padding.
  double inside(double x) const {
    if (x >= low && x <= high)
      return x;
    if (padding == Border)
      return std::clamp(x, 0.0, size - 1.0);
    return padding == Reflection ? reflect(x) : x;
  }
  /// The index tap `i` reads, or -1 for a zero.
  int64_t tap(int64_t i) const {
    if (padding == Zeros)
      return i >= 0 && i < size ? i : -1;
    if (padding == Border)
      return std::clamp<int64_t>(i, 0, size - 1);
    return static_cast<int64_t>(reflect(static_cast<double>(i)));
  }
};

inline void cubicCoefficients(double t, double c[4]) {
  const double a = -0.75;
  t = std::fabs(t);
  c[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
  c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  c[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
  c[3] = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
}

/// The extents of a sampling: `in` and `out` are (depth, height, width), the
/// depths 1 in 2-d (`spatial` 2).
struct Extents {
  int64_t n, c, spatial;
  int64_t in[3], out[3];
};

/// The extents of sampling an input of `shape` (rank 4 or 5) at a grid of
/// `gridShape`.
inline Extents extentsOf(const int64_t *shape, const int64_t *gridShape, int64_t rank) {
  int64_t spatial = rank - 2, lead = 3 - spatial;
  Extents e = {shape[0], shape[1], spatial, {1, 1, 1}, {1, 1, 1}};
  for (int64_t a = 0; a < spatial; ++a) {
    e.in[lead + a] = shape[2 + a];
    e.out[lead + a] = gridShape[1 + a];
  }
  return e;
}

/// y [N, C, (Do,) Ho, Wo] from x [N, C, (D,) H, W] and grid
/// [N, (Do,) Ho, Wo, spatial] of (x, y(, z)) positions.
inline void sample(const float *x, const float *grid, float *y, const Extents &e, Mode mode,
                   Padding padding, bool alignCorners) {
  const Axis axes[3] = {Axis(e.in[0], alignCorners, padding), Axis(e.in[1], alignCorners, padding),
                        Axis(e.in[2], alignCorners, padding)};
  int64_t inPlane = e.in[0] * e.in[1] * e.in[2], outPlane = e.out[0] * e.out[1] * e.out[2];
  // In 2-d the depth axis is one tap of weight 1 at 0.
  int64_t firstAxis = 3 - e.spatial, taps = mode == Cubic ? 4 : mode == Linear ? 2 : 1;
  for (int64_t b = 0; b < e.n; ++b)
    for (int64_t p = 0; p < outPlane; ++p) {
      const float *g = grid + (b * outPlane + p) * e.spatial;
      int64_t first[3] = {0, 0, 0}, count[3] = {1, 1, 1};
      double weights[3][4] = {{1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}};
      for (int64_t a = firstAxis; a < 3; ++a) {
        // Axis a (depth, height, width) reads grid component 2 - a (z, y, x).
        double v = axes[a].unnormalize(g[2 - a], alignCorners);
        if (mode == Nearest)
          v = std::nearbyint(v);
        v = axes[a].inside(v);
        count[a] = taps;
        first[a] = static_cast<int64_t>(std::floor(v)) - (mode == Cubic);
        if (mode == Nearest) {
          first[a] = static_cast<int64_t>(v);
        } else if (mode == Linear) {
          weights[a][1] = v - first[a];
          weights[a][0] = 1 - weights[a][1];
        } else {
          cubicCoefficients(v - std::floor(v), weights[a]);
        }
      }
      for (int64_t ch = 0; ch < e.c; ++ch) {
        const float *volume = x + (b * e.c + ch) * inPlane;
        double sum = 0;
        for (int64_t i = 0; i < count[0]; ++i) {
          int64_t d = e.spatial == 2 ? 0 : axes[0].tap(first[0] + i);
          if (d < 0)
            continue;
          double slab = 0;
          for (int64_t j = 0; j < count[1]; ++j) {
            int64_t r = axes[1].tap(first[1] + j);
            if (r < 0)
              continue;
            double row = 0;
            for (int64_t k = 0; k < count[2]; ++k)
              if (int64_t col = axes[2].tap(first[2] + k); col >= 0)
                row += weights[2][k] * volume[(d * e.in[1] + r) * e.in[2] + col];
            slab += weights[1][j] * row;
          }
          sum += weights[0][i] * slab;
        }
        y[(b * e.c + ch) * outPlane + p] = static_cast<float>(sum);
      }
    }
}

} // namespace quantc::grid_sample

#endif // QUANTC_RUNTIME_GRIDSAMPLE_H
