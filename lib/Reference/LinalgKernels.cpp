//===- LinalgKernels.cpp - matmul, gemm, conv, einsum -----------*- C++ -*-===//
//
// Convolutions run as im2col + a cache-blocked GEMM so the evaluator is fast
// enough to calibrate real models.
//
//===----------------------------------------------------------------------===//
#include "Im2Col.h"
#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Runtime/FloatMatMulBlock.h"

#include "llvm/Support/Parallel.h"
#include <cstring>

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

namespace {
constexpr int64_t kBlockK = 256;
constexpr int64_t kBlockN = 512;
constexpr int64_t kRowsPerTask = 8;
} // namespace

void reference::sgemm(int64_t m, int64_t n, int64_t k, const float *a,
                      int64_t lda, const float *b, int64_t ldb, float *c,
                      int64_t ldc, bool accumulate) {
  if (!accumulate)
    for (int64_t i = 0; i < m; ++i)
      std::memset(c + i * ldc, 0, n * sizeof(float));
  int64_t tasks = (m + kRowsPerTask - 1) / kRowsPerTask;
  auto runRows = [&](size_t task) {
    int64_t r0 = task * kRowsPerTask, rows = std::min(kRowsPerTask, m - r0);
    for (int64_t j0 = 0; j0 < n; j0 += kBlockN)
      for (int64_t p0 = 0; p0 < k; p0 += kBlockK)
        runtime::floatMatMulBlock(rows, std::min(kBlockN, n - j0), std::min(kBlockK, k - p0),
                    a + r0 * lda + p0, lda, b + p0 * ldb + j0, ldb,
                    c + r0 * ldc + j0, ldc);
  };
  if (m * n * k < (1 << 16) || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t)
      runRows(t);
    return;
  }
  llvm::parallelFor(0, tasks, runRows);
}

namespace {
/// Row-major transpose of a [rows, cols] matrix.
std::vector<float> transposed(ArrayRef<float> x, int64_t rows, int64_t cols) {
  std::vector<float> t(x.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      t[j * rows + i] = x[i * cols + j];
  return t;
}

/// The lhs values a layer multiplies: `lhs`, or a copy rounded as its
/// dynamic_int8_block says.
ArrayRef<float> layerInput(const Tensor &lhs, std::optional<uint64_t> block,
                           std::vector<float> &rounded) {
  if (!block)
    return lhs.floats();
  rounded.assign(lhs.floats().begin(), lhs.floats().end());
  qc::roundToDynamicInt8(rounded, static_cast<int64_t>(*block));
  return rounded;
}

FailureOr<Tensor> matmulKernel(qc::MatMulOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  std::vector<float> rounded;
  ArrayRef<float> lhs = layerInput(*args[0], op.getDynamicInt8Block(), rounded);
  SmallVector<int64_t> a(args[0]->getShape()), b(args[1]->getShape());
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
  SmallVector<int64_t> batch(out.getShape().begin(),
                             out.getShape().end() -
                                 (args[0]->getRank() > 1) -
                                 (args[1]->getRank() > 1));
  // Batch strides in units of whole matrices.
  SmallVector<int64_t> aBatch(ArrayRef(a).drop_back(2)), bBatch(ArrayRef(b).drop_back(2));
  std::array<SmallVector<int64_t>, 2> strides = {
      broadcastStrides(aBatch, batch), broadcastStrides(bBatch, batch)};
  const float *x = lhs.data(), *y = args[1]->floats().data();
  float *o = out.floats().data();
  forEachIndex<2>(batch, strides, [&](int64_t i, auto off) {
    sgemm(m, n, k, x + off[0] * m * k, k, y + off[1] * k * n, n, o + i * m * n,
          n, false);
  });
  return out;
}

FailureOr<Tensor> gemmKernel(qc::GemmOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  int64_t m = out.getShape()[0], n = out.getShape()[1];
  const Tensor &a = *args[0], &b = *args[1];
  int64_t k = op.getTransA() ? a.getShape()[0] : a.getShape()[1];
  std::vector<float> at, bt, rounded;
  const float *ap = layerInput(a, op.getDynamicInt8Block(), rounded).data();
  const float *bp = b.floats().data();
  if (op.getTransA())
    ap = (at = transposed(a.floats(), k, m)).data();
  if (op.getTransB())
    bp = (bt = transposed(b.floats(), n, k)).data();
  sgemm(m, n, k, ap, k, bp, n, out.floats().data(), n, false);
  float alpha = op.getAlpha().convertToFloat();
  float beta = op.getBeta().convertToFloat();
  MutableArrayRef<float> o = out.floats();
  if (alpha != 1.0f)
    for (float &v : o)
      v *= alpha;
  if (op.getC()) {
    const Tensor &c = *args[2];
    std::array<SmallVector<int64_t>, 1> strides = {
        broadcastStrides(c.getShape(), out.getShape())};
    forEachIndex<1>(out.getShape(), strides, [&](int64_t i, auto off) {
      o[i] += beta * c.floats()[off[0]];
    });
  }
  return out;
}

/// Inverse of im2col: scatter-adds columns back into a [C, H, W] image.
void col2im(const float *cols, int64_t channels, const Window2D &w,
            float *image) {
  // Here `in*` is the (smaller) source grid and `out*` the image grid.
  int64_t inSize = w.inH * w.inW;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ky = 0; ky < w.kH; ++ky)
      for (int64_t kx = 0; kx < w.kW; ++kx) {
        const float *row = cols + ((c * w.kH + ky) * w.kW + kx) * inSize;
        for (int64_t iy = 0; iy < w.inH; ++iy) {
          int64_t oy = iy * w.strideH - w.padT + ky * w.dilH;
          if (oy < 0 || oy >= w.outH)
            continue;
          float *dst = image + (c * w.outH + oy) * w.outW;
          for (int64_t ix = 0; ix < w.inW; ++ix) {
            int64_t ox = ix * w.strideW - w.padL + kx * w.dilW;
            if (ox >= 0 && ox < w.outW)
              dst[ox] += row[iy * w.inW + ix];
          }
        }
      }
}

void addBias(Tensor &out, const Tensor *bias) {
  if (!bias)
    return;
  int64_t n = out.getShape()[0], c = out.getShape()[1];
  int64_t inner = out.getNumElements() / std::max<int64_t>(1, n * c);
  MutableArrayRef<float> o = out.floats();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      float v = bias->floats()[ch];
      for (float &x : o.slice((b * c + ch) * inner, inner))
        x += v;
    }
}

/// The taps of a 3-d convolution, walked over its output (of shape `out`)
/// in row-major order, each position's taps by input channel, then the
/// window: `visit(at, from, tap)` gets the flat positions in the output, in
/// the input (of shape `inShape`) and in the weight [out channels, in
/// channels per group, kd, kh, kw].
template <typename Visit>
void forEachTap3D(qc::ConvOp op, ArrayRef<int64_t> out, ArrayRef<int64_t> inShape,
                  ArrayRef<int64_t> ws, Visit visit) {
  int64_t outPerGroup = out[1] / op.getGroup(), inPerGroup = ws[1];
  ArrayRef<int64_t> strides = op.getStrides(), pads = op.getPads(),
                    dilations = op.getDilations();
  SmallVector<int64_t, 3> p(3), q(3);
  int64_t at = 0;
  for (int64_t n = 0; n < out[0]; ++n)
    for (int64_t ch = 0; ch < out[1]; ++ch)
      for (p[0] = 0; p[0] < out[2]; ++p[0])
        for (p[1] = 0; p[1] < out[3]; ++p[1])
          for (p[2] = 0; p[2] < out[4]; ++p[2], ++at) {
            int64_t tap = ch * inPerGroup * ws[2] * ws[3] * ws[4];
            for (int64_t c = 0; c < inPerGroup; ++c) {
              int64_t plane = n * inShape[1] + (ch / outPerGroup) * inPerGroup + c;
              for (int64_t kd = 0; kd < ws[2]; ++kd)
                for (int64_t kh = 0; kh < ws[3]; ++kh)
                  for (int64_t kw = 0; kw < ws[4]; ++kw, ++tap) {
                    bool inside = true;
                    for (auto [i, k] : llvm::enumerate(std::array<int64_t, 3>{kd, kh, kw})) {
                      q[i] = p[i] * strides[i] - pads[i] + k * dilations[i];
                      inside &= q[i] >= 0 && q[i] < inShape[2 + i];
                    }
                    if (inside)
                      visit(at, ((plane * inShape[2] + q[0]) * inShape[3] + q[1]) *
                                        inShape[4] + q[2],
                            tap);
                  }
            }
          }
}

/// A 3-d convolution: each output sums its group's (channel, kd, kh, kw)
/// taps in row-major order, as the generated code's loop does.
Tensor conv3D(qc::ConvOp op, const Tensor &in, const Tensor &weight) {
  Tensor out = makeResult(op);
  forEachTap3D(op, out.getShape(), in.getShape(), weight.getShape(),
               [&](int64_t at, int64_t from, int64_t tap) {
                 out.floats()[at] += in.floats()[from] * weight.floats()[tap];
               });
  return out;
}

/// A 3-d transposed convolution in the order of the 2-d one: each output
/// starts from zero and adds, window tap by window tap in row-major order,
/// the tap's sum over its group's input channels (from zero, in order) at
/// the input position the tap maps onto it, where there is one.
Tensor convTranspose3D(qc::ConvTransposeOp op, const Tensor &in, const Tensor &weight) {
  Tensor out = makeResult(op);
  ArrayRef<int64_t> is = in.getShape(), os = out.getShape(), ws = weight.getShape();
  ArrayRef<int64_t> strides = op.getStrides(), pads = op.getPads(),
                    dilations = op.getDilations();
  int64_t cg = is[1] / op.getGroup(), og = ws[1], taps = ws[2] * ws[3] * ws[4];
  int64_t inPlane = is[2] * is[3] * is[4];
  // The input position along axis `i` that window position `k` maps output
  // position `o` onto, or -1.
  auto source = [&](int i, int64_t o, int64_t k) -> int64_t {
    int64_t spread = o + pads[i] - k * dilations[i];
    if (spread < 0 || spread % strides[i] != 0 || spread / strides[i] >= is[2 + i])
      return -1;
    return spread / strides[i];
  };
  float *y = out.floats().data();
  for (int64_t n = 0; n < os[0]; ++n)
    for (int64_t o = 0; o < os[1]; ++o) {
      int64_t group = o / og;
      const float *image = in.floats().data() + (n * is[1] + group * cg) * inPlane;
      const float *w = weight.floats().data() + (group * cg * og + o % og) * taps;
      for (int64_t z = 0; z < os[2]; ++z)
        for (int64_t r = 0; r < os[3]; ++r)
          for (int64_t x = 0; x < os[4]; ++x, ++y) {
            float sum = 0.0f;
            for (int64_t kd = 0, tap = 0; kd < ws[2]; ++kd)
              for (int64_t kh = 0; kh < ws[3]; ++kh)
                for (int64_t kw = 0; kw < ws[4]; ++kw, ++tap) {
                  int64_t iz = source(0, z, kd), iy = source(1, r, kh), ix = source(2, x, kw);
                  if (iz < 0 || iy < 0 || ix < 0)
                    continue;
                  int64_t at = (iz * is[3] + iy) * is[4] + ix;
                  float channels = 0.0f;
                  for (int64_t c = 0; c < cg; ++c)
                    channels += image[c * inPlane + at] * w[c * og * taps + tap];
                  sum += channels;
                }
            *y = sum;
          }
    }
  return out;
}

FailureOr<Tensor> convKernel(qc::ConvOp op, OperandTensors args) {
  const Tensor &in = *args[0], &weight = *args[1];
  if (in.getRank() == 5) {
    Tensor out = conv3D(op, in, weight);
    addBias(out, op.getBias() ? args[2] : nullptr);
    return out;
  }
  if (in.getRank() > 4)
    return op.emitOpError("reference evaluator supports 1-d, 2-d and 3-d conv");
  Tensor out = makeResult(op);
  Window2D w = getWindow(op, in.getShape(), weight.getShape(), out.getShape());
  int64_t n = in.getShape()[0], c = in.getShape()[1];
  int64_t o = out.getShape()[1], group = op.getGroup();
  int64_t cg = c / group, og = o / group;
  int64_t kSize = cg * w.kH * w.kW, outSize = w.outH * w.outW;
  bool pointwise = w.kH == 1 && w.kW == 1 && w.strideH == 1 &&
                   w.strideW == 1 && w.padT == 0 && w.padL == 0 &&
                   w.inH == w.outH && w.inW == w.outW;
  std::vector<float> cols(pointwise ? 0 : kSize * outSize);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t g = 0; g < group; ++g) {
      const float *image = in.floats().data() + (b * c + g * cg) * w.inH * w.inW;
      const float *colPtr = image;
      if (!pointwise) {
        im2col(image, cg, w, 0.0f, cols.data());
        colPtr = cols.data();
      }
      sgemm(og, outSize, kSize, weight.floats().data() + g * og * kSize, kSize,
            colPtr, outSize, out.floats().data() + (b * o + g * og) * outSize,
            outSize, false);
    }
  addBias(out, op.getBias() ? args[2] : nullptr);
  return out;
}

FailureOr<Tensor> convTransposeKernel(qc::ConvTransposeOp op,
                                      OperandTensors args) {
  const Tensor &in = *args[0], &weight = *args[1];
  if (in.getRank() == 5) {
    Tensor out = convTranspose3D(op, in, weight);
    addBias(out, op.getBias() ? args[2] : nullptr);
    return out;
  }
  if (in.getRank() > 4)
    return op.emitOpError("reference evaluator supports 1-d, 2-d and 3-d conv_transpose");
  Tensor out = makeResult(op);
  // The window maps input positions (source grid) onto output positions.
  Window2D w = getWindow(op, in.getShape(), weight.getShape(), out.getShape());
  int64_t n = in.getShape()[0], c = in.getShape()[1];
  int64_t o = out.getShape()[1], group = op.getGroup();
  int64_t cg = c / group, og = o / group;
  int64_t inSize = w.inH * w.inW, kSize = og * w.kH * w.kW;
  std::vector<float> cols(kSize * inSize);
  for (int64_t g = 0; g < group; ++g) {
    // Weight slice [cg, og*kH*kW] transposed to [og*kH*kW, cg].
    std::vector<float> wt = transposed(
        weight.floats().slice(g * cg * kSize, cg * kSize), cg, kSize);
    for (int64_t b = 0; b < n; ++b) {
      const float *image = in.floats().data() + (b * c + g * cg) * inSize;
      sgemm(kSize, inSize, cg, wt.data(), cg, image, inSize, cols.data(),
            inSize, false);
      col2im(cols.data(), og, w,
             out.floats().data() + (b * o + g * og) * w.outH * w.outW);
    }
  }
  addBias(out, op.getBias() ? args[2] : nullptr);
  return out;
}

/// Generic einsum: loops over every index combination.
FailureOr<Tensor> einsumKernel(qc::EinsumOp op, OperandTensors args) {
  auto parsed = qc::parseEinsum(op.getEquation(), args.size());
  if (failed(parsed))
    return failure();
  std::string letters = parsed->output;
  llvm::DenseMap<char, int64_t> sizes;
  for (auto [sub, t] : llvm::zip(parsed->inputs, args))
    for (auto [ch, d] : llvm::zip(sub, t->getShape())) {
      sizes[ch] = d;
      if (letters.find(ch) == std::string::npos)
        letters.push_back(ch);
    }
  SmallVector<int64_t> loopShape;
  for (char ch : letters)
    loopShape.push_back(sizes[ch]);
  // Strides of every operand (and the output) over the loop space.
  auto loopStrides = [&](StringRef sub, ArrayRef<int64_t> shape) {
    SmallVector<int64_t> own = computeStrides(shape), strides(letters.size(), 0);
    for (auto [i, ch] : llvm::enumerate(sub))
      strides[letters.find(ch)] += own[i];
    return strides;
  };
  Tensor out = makeResult(op);
  SmallVector<SmallVector<int64_t>> strides;
  for (auto [sub, t] : llvm::zip(parsed->inputs, args))
    strides.push_back(loopStrides(sub, t->getShape()));
  std::array<SmallVector<int64_t>, 3> s3;
  s3[0] = loopStrides(parsed->output, out.getShape());
  s3[1] = strides[0];
  s3[2] = strides.size() > 1 ? strides[1] : SmallVector<int64_t>(letters.size(), 0);
  if (args.size() > 2)
    return op.emitOpError("reference evaluator supports einsum of 1 or 2 inputs");
  MutableArrayRef<float> o = out.floats();
  ArrayRef<float> x = args[0]->floats();
  ArrayRef<float> y = args.size() > 1 ? args[1]->floats() : ArrayRef<float>();
  forEachIndex<3>(loopShape, s3, [&](int64_t, auto off) {
    o[off[0]] += x[off[1]] * (y.empty() ? 1.0f : y[off[2]]);
  });
  return out;
}
} // namespace

void reference::registerLinalgKernels(KernelRegistry &r) {
  r.add<qc::MatMulOp>(matmulKernel);
  r.add<qc::GemmOp>(gemmKernel);
  r.add<qc::ConvOp>(convKernel);
  r.add<qc::ConvTransposeOp>(convTransposeKernel);
  r.add<qc::EinsumOp>(einsumKernel);
}
