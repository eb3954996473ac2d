//===- Im2Col.h - convolution windows of the reference evaluator -*- C++ -*-===//
//
// Internal to the evaluator: float and integer convolutions both unfold their
// input into columns and multiply by the weight matrix.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_REFERENCE_IM2COL_H
#define QUANTC_LIB_REFERENCE_IM2COL_H

#include "llvm/ADT/ArrayRef.h"
#include <algorithm>
#include <cstdint>

namespace quantc::reference {

/// A 2-d view of an N x C x [H x] W problem; 1-d convolutions use H = 1.
struct Window2D {
  int64_t inH, inW, outH, outW, kH, kW;
  int64_t strideH, strideW, dilH, dilW, padT, padL;
};

template <typename ConvLike>
Window2D getWindow(ConvLike op, llvm::ArrayRef<int64_t> inShape,
                   llvm::ArrayRef<int64_t> wShape,
                   llvm::ArrayRef<int64_t> outShape) {
  bool is1D = inShape.size() == 3;
  auto dim = [&](llvm::ArrayRef<int64_t> v, int i, int64_t dflt) {
    return is1D ? (i == 0 ? dflt : v[0]) : v[i];
  };
  llvm::ArrayRef<int64_t> pads = op.getPads();
  int64_t spatial = inShape.size() - 2;
  Window2D w;
  w.inH = is1D ? 1 : inShape[2];
  w.inW = inShape.back();
  w.outH = is1D ? 1 : outShape[2];
  w.outW = outShape.back();
  w.kH = is1D ? 1 : wShape[2];
  w.kW = wShape.back();
  w.strideH = dim(op.getStrides(), 0, 1);
  w.strideW = dim(op.getStrides(), 1, 1);
  w.dilH = dim(op.getDilations(), 0, 1);
  w.dilW = dim(op.getDilations(), 1, 1);
  w.padT = is1D ? 0 : pads[0];
  w.padL = pads[spatial - 1];
  return w;
}

/// Unfolds the [C, inH, inW] image into columns [C * kH * kW, outH * outW];
/// positions in the padding read `padValue`.
template <typename T>
void im2col(const T *image, int64_t channels, const Window2D &w, T padValue,
            T *cols) {
  int64_t outSize = w.outH * w.outW;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ky = 0; ky < w.kH; ++ky)
      for (int64_t kx = 0; kx < w.kW; ++kx) {
        T *row = cols + ((c * w.kH + ky) * w.kW + kx) * outSize;
        for (int64_t oy = 0; oy < w.outH; ++oy) {
          int64_t iy = oy * w.strideH - w.padT + ky * w.dilH;
          T *dst = row + oy * w.outW;
          if (iy < 0 || iy >= w.inH) {
            std::fill(dst, dst + w.outW, padValue);
            continue;
          }
          const T *src = image + (c * w.inH + iy) * w.inW;
          for (int64_t ox = 0; ox < w.outW; ++ox) {
            int64_t ix = ox * w.strideW - w.padL + kx * w.dilW;
            dst[ox] = ix >= 0 && ix < w.inW ? src[ix] : padValue;
          }
        }
      }
}

} // namespace quantc::reference

#endif // QUANTC_LIB_REFERENCE_IM2COL_H
