//===- Regions.h - region pooling and determinants, both engines -*- C++ -*-===//
//
// ONNX RoiAlign, MaxRoiPool and Det as ONNX's reference (and ONNX Runtime)
// compute them. Header-only: the runtime's kernels and the reference
// evaluator both call these; ONNX Runtime and ONNX's reference evaluator are
// the tests' oracles.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RUNTIME_REGIONS_H
#define QUANTC_RUNTIME_REGIONS_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace quantc::regions {

struct Image {
  const float *data;
  int64_t n, c, h, w;
};

/// RoiAlign: per region [x1, y1, x2, y2] of image batchIndices[r], bins of
/// bilinear samples averaged (or their weighted corners' maximum, as ONNX
/// defines `max`); out [R, C, oh, ow]. Regions of a missing image are 0.
inline void roiAlign(Image x, const float *rois, const int64_t *batchIndices, int64_t regions,
                     int64_t oh, int64_t ow, int64_t samplingRatio, float spatialScale,
                     bool maxMode, bool halfPixel, float *out) {
  struct Tap {
    int64_t pos[4];
    double weight[4];
  };
  for (int64_t r = 0; r < regions; ++r) {
    const float *roi = rois + 4 * r;
    double offset = halfPixel ? 0.5 : 0.0;
    double startW = roi[0] * spatialScale - offset, startH = roi[1] * spatialScale - offset;
    double roiW = roi[2] * spatialScale - offset - startW;
    double roiH = roi[3] * spatialScale - offset - startH;
    if (!halfPixel) {
      roiW = std::max(roiW, 1.0);
      roiH = std::max(roiH, 1.0);
    }
    double binH = roiH / oh, binW = roiW / ow;
    int64_t gridH = samplingRatio > 0 ? samplingRatio : int64_t(std::ceil(roiH / oh));
    int64_t gridW = samplingRatio > 0 ? samplingRatio : int64_t(std::ceil(roiW / ow));
    int64_t count = std::max<int64_t>(gridH * gridW, 1);
    std::vector<Tap> taps;
    for (int64_t ph = 0; ph < oh; ++ph)
      for (int64_t pw = 0; pw < ow; ++pw)
        for (int64_t iy = 0; iy < gridH; ++iy)
          for (int64_t ix = 0; ix < gridW; ++ix) {
            double y = startH + ph * binH + (iy + 0.5) * binH / gridH;
            double xx = startW + pw * binW + (ix + 0.5) * binW / gridW;
            Tap t{{0, 0, 0, 0}, {0, 0, 0, 0}};
            if (!(y < -1.0 || y > x.h || xx < -1.0 || xx > x.w)) {
              y = std::max(y, 0.0);
              xx = std::max(xx, 0.0);
              auto yLow = int64_t(y), xLow = int64_t(xx);
              int64_t yHigh = yLow + 1, xHigh = xLow + 1;
              if (yLow >= x.h - 1)
                yHigh = yLow = x.h - 1, y = double(yLow);
              if (xLow >= x.w - 1)
                xHigh = xLow = x.w - 1, xx = double(xLow);
              double ly = y - yLow, lx = xx - xLow, hy = 1 - ly, hx = 1 - lx;
              t = {{yLow * x.w + xLow, yLow * x.w + xHigh, yHigh * x.w + xLow,
                    yHigh * x.w + xHigh},
                   {hy * hx, hy * lx, ly * hx, ly * lx}};
            }
            taps.push_back(t);
          }
    // A region of an image that is not there (a bad index) reads zeros.
    bool valid = batchIndices[r] >= 0 && batchIndices[r] < x.n;
    for (int64_t ch = 0; ch < x.c; ++ch) {
      if (!valid) {
        std::fill_n(out + (r * x.c + ch) * oh * ow, oh * ow, 0.0f);
        continue;
      }
      const float *plane = x.data + (batchIndices[r] * x.c + ch) * x.h * x.w;
      const Tap *tap = taps.data();
      for (int64_t bin = 0; bin < oh * ow; ++bin) {
        double value = 0;
        for (int64_t s = 0; s < gridH * gridW; ++s, ++tap) {
          double v[4];
          for (int k = 0; k < 4; ++k)
            v[k] = tap->weight[k] * plane[tap->pos[k]];
          double sample = maxMode ? std::max({v[0], v[1], v[2], v[3]}) : v[0] + v[1] + v[2] + v[3];
          value = !maxMode ? value + sample : (s == 0 ? sample : std::max(value, sample));
        }
        out[(r * x.c + ch) * oh * ow + bin] = float(maxMode ? value : value / count);
      }
    }
  }
}

/// MaxRoiPool: per region [batch, x1, y1, x2, y2], rounded to pixels, the
/// maximum of each of ph x pw bins (0 for an empty bin); out [R, C, ph, pw].
inline void maxRoiPool(Image x, const float *rois, int64_t regions, int64_t ph, int64_t pw,
                       float spatialScale, float *out) {
  for (int64_t r = 0; r < regions; ++r) {
    const float *roi = rois + 5 * r;
    auto batch = int64_t(roi[0]);
    auto startW = int64_t(std::round(roi[1] * spatialScale));
    auto startH = int64_t(std::round(roi[2] * spatialScale));
    auto endW = int64_t(std::round(roi[3] * spatialScale));
    auto endH = int64_t(std::round(roi[4] * spatialScale));
    double binH = double(std::max<int64_t>(endH - startH + 1, 1)) / ph;
    double binW = double(std::max<int64_t>(endW - startW + 1, 1)) / pw;
    for (int64_t ch = 0; ch < x.c; ++ch) {
      if (batch < 0 || batch >= x.n) {
        std::fill_n(out + (r * x.c + ch) * ph * pw, ph * pw, 0.0f);
        continue;
      }
      const float *plane = x.data + (batch * x.c + ch) * x.h * x.w;
      for (int64_t i = 0; i < ph; ++i)
        for (int64_t j = 0; j < pw; ++j) {
          auto clampTo = [](int64_t v, int64_t hi) { return std::min(std::max<int64_t>(v, 0), hi); };
          int64_t h0 = clampTo(int64_t(std::floor(i * binH)) + startH, x.h);
          int64_t h1 = clampTo(int64_t(std::ceil((i + 1) * binH)) + startH, x.h);
          int64_t w0 = clampTo(int64_t(std::floor(j * binW)) + startW, x.w);
          int64_t w1 = clampTo(int64_t(std::ceil((j + 1) * binW)) + startW, x.w);
          float best = 0;
          if (h1 > h0 && w1 > w0) {
            best = plane[h0 * x.w + w0];
            for (int64_t y = h0; y < h1; ++y)
              for (int64_t xx = w0; xx < w1; ++xx)
                best = std::max(best, plane[y * x.w + xx]);
          }
          out[((r * x.c + ch) * ph + i) * pw + j] = best;
        }
    }
  }
}

/// The columns of a deformable convolution: for output position p and tap
/// (c, kh, kw), x[n, c] sampled bilinearly (zeros outside) at the tap's
/// position moved by its offset [N, G, kH, kW, 2, oH, oW], times the mask
/// [N, G, kH, kW, oH, oW] (ones when null); out [N, oH x oW, C x kH x kW].
struct DeformWindow {
  int64_t kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups, oh, ow;
};
inline void deformUnfold(Image x, const float *offset, const float *mask, DeformWindow k,
                         float *out) {
  int64_t taps = k.kh * k.kw, positions = k.oh * k.ow, columns = x.c * taps;
  int64_t perGroup = x.c / k.groups;
  auto sample = [&](const float *plane, double h, double w) {
    auto h0 = int64_t(std::floor(h)), w0 = int64_t(std::floor(w));
    double lh = h - h0, lw = w - w0, value = 0;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        int64_t hh = h0 + i, ww = w0 + j;
        if (hh >= 0 && hh < x.h && ww >= 0 && ww < x.w)
          value += (i ? lh : 1 - lh) * (j ? lw : 1 - lw) * plane[hh * x.w + ww];
      }
    return value;
  };
  for (int64_t n = 0; n < x.n; ++n)
    for (int64_t c = 0; c < x.c; ++c) {
      const float *plane = x.data + (n * x.c + c) * x.h * x.w;
      int64_t g = c / perGroup;
      for (int64_t t = 0; t < taps; ++t) {
        int64_t ki = t / k.kw, kj = t % k.kw;
        const float *dy = offset + (((n * k.groups + g) * taps + t) * 2) * positions;
        const float *dx = dy + positions;
        const float *m = mask ? mask + ((n * k.groups + g) * taps + t) * positions : nullptr;
        for (int64_t p = 0; p < positions; ++p) {
          int64_t i = p / k.ow, j = p % k.ow;
          double h = i * k.strideH - k.padH + ki * k.dilationH + dy[p];
          double w = j * k.strideW - k.padW + kj * k.dilationW + dx[p];
          double v = sample(plane, h, w) * (m ? m[p] : 1.0);
          out[(n * positions + p) * columns + c * taps + t] = float(v);
        }
      }
    }
}

/// NonZero with a static output: the coordinates of the non-zero elements
/// of `x` (`rank` dims `dims`, row-major; NaN is non-zero) fill the first
/// columns of `out` [rank, numel], the columns past them hold -1.
inline void nonZero(const float *x, const int64_t *dims, int64_t rank, int64_t *out) {
  int64_t numel = 1;
  for (int64_t d = 0; d < rank; ++d)
    numel *= dims[d];
  std::fill_n(out, rank * numel, int64_t(-1));
  int64_t column = 0;
  for (int64_t i = 0; i < numel; ++i) {
    if (x[i] == 0)
      continue;
    for (int64_t d = rank - 1, rest = i; d >= 0; --d) {
      out[d * numel + column] = rest % dims[d];
      rest /= dims[d];
    }
    ++column;
  }
}

/// NonMaxSuppression with a static output: per batch and class, boxes by
/// decreasing score (ties: lower index first), above `scoreThreshold` when
/// given, each kept unless its IoU with a kept one exceeds `iou`, at most
/// `maxPerClass`; the (batch, class, box) rows in that order fill `out`
/// [rows, 3] and rows past them hold -1.
inline void nonMaxSuppression(const float *boxes, const float *scores, int64_t batches,
                              int64_t classes, int64_t count, int64_t maxPerClass, float iou,
                              const float *scoreThreshold, bool centerPoint, int64_t rows,
                              int64_t *out) {
  struct Box {
    double x0, y0, x1, y1;
  };
  auto box = [&](const float *b) {
    if (centerPoint)
      return Box{b[0] - b[2] / 2.0, b[1] - b[3] / 2.0, b[0] + b[2] / 2.0, b[1] + b[3] / 2.0};
    return Box{std::min(b[1], b[3]), std::min(b[0], b[2]), std::max(b[1], b[3]),
               std::max(b[0], b[2])};
  };
  auto suppresses = [&](const Box &a, const Box &b) {
    double w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
    double h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
    if (w <= 0 || h <= 0)
      return false;
    double inter = w * h, areaA = (a.x1 - a.x0) * (a.y1 - a.y0);
    double areaB = (b.x1 - b.x0) * (b.y1 - b.y0), uni = areaA + areaB - inter;
    if (areaA <= 0 || areaB <= 0 || uni <= 0)
      return false;
    return inter / uni > iou;
  };
  std::fill_n(out, rows * 3, int64_t(-1));
  int64_t row = 0;
  std::vector<int64_t> order;
  std::vector<Box> kept;
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t c = 0; c < classes; ++c) {
      const float *score = scores + (b * classes + c) * count;
      order.clear();
      for (int64_t i = 0; i < count; ++i)
        if (!scoreThreshold || score[i] > *scoreThreshold)
          order.push_back(i);
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t i, int64_t j) { return score[i] > score[j]; });
      kept.clear();
      for (int64_t i : order) {
        if (int64_t(kept.size()) >= maxPerClass || row >= rows)
          break;
        Box candidate = box(boxes + (b * count + i) * 4);
        if (std::any_of(kept.begin(), kept.end(),
                        [&](const Box &k) { return suppresses(candidate, k); }))
          continue;
        kept.push_back(candidate);
        out[row * 3] = b, out[row * 3 + 1] = c, out[row * 3 + 2] = i;
        ++row;
      }
    }
}

/// Det of `batch` m x m matrices: LU with partial pivoting in double.
inline void determinants(const float *in, int64_t batch, int64_t m, float *out) {
  std::vector<double> a(m * m);
  for (int64_t b = 0; b < batch; ++b) {
    std::copy(in + b * m * m, in + (b + 1) * m * m, a.begin());
    double det = 1;
    for (int64_t k = 0; k < m && det != 0; ++k) {
      int64_t pivot = k;
      for (int64_t i = k + 1; i < m; ++i)
        if (std::fabs(a[i * m + k]) > std::fabs(a[pivot * m + k]))
          pivot = i;
      if (a[pivot * m + k] == 0) {
        det = 0;
        break;
      }
      if (pivot != k) {
        for (int64_t j = 0; j < m; ++j)
          std::swap(a[k * m + j], a[pivot * m + j]);
        det = -det;
      }
      det *= a[k * m + k];
      for (int64_t i = k + 1; i < m; ++i) {
        double f = a[i * m + k] / a[k * m + k];
        for (int64_t j = k + 1; j < m; ++j)
          a[i * m + j] -= f * a[k * m + j];
      }
    }
    out[b] = float(det);
  }
}

} // namespace quantc::regions

#endif // QUANTC_RUNTIME_REGIONS_H
