//===- GridSample.h - 2-d grid sampling, shared by both engines -*- C++ -*-===//
//
// ONNX GridSample on [N, C, H, W] with a grid [N, Ho, Wo, 2] of (x, y) in
// [-1, 1], as ONNX's reference computes it: coordinates unnormalized by
// align_corners, moved inside by `border` or `reflection` padding, then
// nearest (ties to even), linear (2 x 2 taps) or cubic (4 x 4 taps, Keys'
// kernel with a = -0.75) sampling; taps outside read 0 (`zeros`), the edge
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

/// y [N, C, Ho, Wo] from x [N, C, H, W] and grid [N, Ho, Wo, 2].
inline void sample2D(const float *x, const float *grid, float *y, int64_t n, int64_t c,
                     int64_t h, int64_t w, int64_t ho, int64_t wo, Mode mode,
                     Padding padding, bool alignCorners) {
  Axis rows(h, alignCorners, padding), cols(w, alignCorners, padding);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t p = 0; p < ho * wo; ++p) {
      const float *g = grid + (b * ho * wo + p) * 2;
      double yy = rows.unnormalize(g[1], alignCorners);
      double xx = cols.unnormalize(g[0], alignCorners);
      if (mode == Nearest) {
        yy = std::nearbyint(yy);
        xx = std::nearbyint(xx);
      }
      yy = rows.inside(yy);
      xx = cols.inside(xx);
      int64_t taps = mode == Cubic ? 4 : mode == Linear ? 2 : 1;
      int64_t y0 = static_cast<int64_t>(std::floor(yy)) - (mode == Cubic);
      int64_t x0 = static_cast<int64_t>(std::floor(xx)) - (mode == Cubic);
      double wy[4] = {1, 0, 0, 0}, wx[4] = {1, 0, 0, 0};
      if (mode == Nearest) {
        y0 = static_cast<int64_t>(yy);
        x0 = static_cast<int64_t>(xx);
      } else if (mode == Linear) {
        wy[1] = yy - y0, wy[0] = 1 - wy[1];
        wx[1] = xx - x0, wx[0] = 1 - wx[1];
      } else {
        cubicCoefficients(yy - std::floor(yy), wy);
        cubicCoefficients(xx - std::floor(xx), wx);
      }
      for (int64_t ch = 0; ch < c; ++ch) {
        const float *plane = x + (b * c + ch) * h * w;
        double sum = 0;
        for (int64_t i = 0; i < taps; ++i) {
          int64_t r = rows.tap(y0 + i);
          if (r < 0)
            continue;
          double row = 0;
          for (int64_t j = 0; j < taps; ++j)
            if (int64_t col = cols.tap(x0 + j); col >= 0)
              row += wx[j] * plane[r * w + col];
          sum += wy[i] * row;
        }
        y[(b * c + ch) * ho * wo + p] = static_cast<float>(sum);
      }
    }
}

} // namespace quantc::grid_sample

#endif // QUANTC_RUNTIME_GRIDSAMPLE_H
