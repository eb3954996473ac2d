//===- ConvGeometry.h - the float convolutions' parameters ------*- C++ -*-===//
//
// Shared by the float (FConv.cpp) and bf16 (BConv.cpp) convolution kernels:
// the qc_fconv_param array, and the image unfolded into rows of pixels, one
// per tap, in the order each output sums its taps.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_CONVGEOMETRY_H
#define QUANTC_LIB_RUNTIME_KERNELS_CONVGEOMETRY_H

#include "Kernels.h"
#include "Unfold.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>

namespace quantc::kernels {
// Internal linkage: each instruction-set build of a kernel compiles its own
// copy, which must not be merged with another build's.
namespace {

struct ConvGeometry {
  const int64_t *p;
  int64_t operator[](qc_fconv_param i) const { return p[i]; }
  int64_t groups() const { return p[QC_FCONV_GROUP]; }
  int64_t groupChannels() const { return p[QC_FCONV_C] / groups(); }
  int64_t groupOutputs() const { return p[QC_FCONV_N] / groups(); }
  int64_t taps() const { return groupChannels() * p[QC_FCONV_KH] * p[QC_FCONV_KW]; }
  int64_t pixels() const { return p[QC_FCONV_OH] * p[QC_FCONV_OW]; }
  Window window() const {
    return {groupChannels(),       p[QC_FCONV_H],          p[QC_FCONV_W],
            p[QC_FCONV_KH],        p[QC_FCONV_KW],         p[QC_FCONV_STRIDE_H],
            p[QC_FCONV_STRIDE_W],  p[QC_FCONV_DILATION_H], p[QC_FCONV_DILATION_W],
            p[QC_FCONV_PAD_TOP],   p[QC_FCONV_PAD_LEFT],   p[QC_FCONV_OH],
            p[QC_FCONV_OW]};
  }
  bool isPointwise() const { return window().isPointwise(); }
  /// One input and one output channel per group.
  bool isDepthwise() const { return groups() == p[QC_FCONV_C] && groupOutputs() == 1; }
};

/// Rows of pixels, one per tap (channel, window row, window column), zero
/// in the padding.
template <typename T>
void unfold(const ConvGeometry &g, const T *image, T *columns) {
  unfoldWindow(
      g.window(), image, columns, T(0), [](T v) { return v; },
      [](T *dst, const T *src, int64_t n) { std::copy(src, src + n, dst); });
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_CONVGEOMETRY_H
