//===- SignalImporters.cpp - windows, mel filters, DFT, STFT ----*- C++ -*-===//
//
// The window functions and the mel filter bank depend only on their
// (constant) sizes: they import as constants. A DFT of static length L is
// two matmuls with constant cosine and sine matrices [L, K] (K = L, or
// L / 2 + 1 one-sided), which quantize and compile like any matmul; STFT
// gathers the frames, applies the window and takes that DFT.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using reference::Tensor;

namespace {
constexpr double kPi = 3.14159265358979323846;

/// A scalar integer input known at import.
FailureOr<int64_t> constantScalarInput(NodeImporter &n, unsigned i) {
  FailureOr<Tensor> t = n.constantInput(i);
  if (failed(t))
    return failure();
  if (t->getNumElements() != 1) {
    n.error() << "input " << i << " must hold one value";
    return failure();
  }
  return static_cast<int64_t>(t->getAsDouble(0));
}

/// The element type named by `output_datatype` (float by default).
Type outputType(NodeImporter &n) {
  Type element = convertElementType(n.context(), n.getInt("output_datatype", 1));
  if (!element)
    n.error() << "unsupported output_datatype " << n.getInt("output_datatype", 1);
  return element;
}

/// Hann, Hamming and Blackman windows: sums of cosines of 2 pi k n / N with
/// N the size (periodic) or the size - 1 (symmetric).
template <int kind>
LogicalResult importWindow(NodeImporter &n) {
  FailureOr<int64_t> size = constantScalarInput(n, 0);
  Type element = outputType(n);
  if (failed(size) || !element)
    return failure();
  if (*size < 0)
    return n.error() << "the window size must not be negative, got " << *size;
  double span = n.getInt("periodic", 1) ? *size : *size - 1;
  Tensor window(element, {*size});
  for (int64_t i = 0; i < *size; ++i) {
    double phase = span > 0 ? 2 * kPi * i / span : 0;
    double w = kind == 0   ? 0.5 - 0.5 * std::cos(phase)
               : kind == 1 ? 25.0 / 46 - 21.0 / 46 * std::cos(phase)
                           : 0.42 - 0.5 * std::cos(phase) + 0.08 * std::cos(2 * phase);
    if (window.isFloat())
      window.floats()[i] = static_cast<float>(w);
    else
      window.ints()[i] = static_cast<int64_t>(w);
  }
  n.setOutput(0, n.constant(window));
  return success();
}

/// MelWeightMatrix [dft_length / 2 + 1, num_mel_bins]: triangular filters
/// between mel-spaced edges, as ONNX's reference computes them.
LogicalResult importMelWeightMatrix(NodeImporter &n) {
  FailureOr<int64_t> bins = constantScalarInput(n, 0), dftLength = constantScalarInput(n, 1);
  FailureOr<int64_t> rate = constantScalarInput(n, 2);
  FailureOr<Tensor> lower = n.constantInput(3), upper = n.constantInput(4);
  Type element = outputType(n);
  if (failed(bins) || failed(dftLength) || failed(rate) || failed(lower) || failed(upper) ||
      !element)
    return failure();
  if (*bins < 1 || *dftLength < 1 || *rate < 1)
    return n.error() << "num_mel_bins, dft_length and sample_rate must be positive";
  auto mel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
  double low = mel(lower->getAsDouble(0)), high = mel(upper->getAsDouble(0));
  double step = (high - low) / (*bins + 2);
  int64_t spectrum = *dftLength / 2 + 1;
  SmallVector<int64_t> edges;
  for (int64_t i = 0; i < *bins + 2; ++i) {
    double hz = 700 * (std::pow(10.0, (i * step + low) / 2595) - 1);
    edges.push_back(static_cast<int64_t>(std::floor((*dftLength + 1) * hz / *rate)));
  }
  std::vector<double> weights(spectrum * *bins, 0.0);
  auto set = [&](int64_t j, int64_t i, double v) {
    if (j >= 0 && j < spectrum)
      weights[j * *bins + i] = v;
  };
  for (int64_t i = 0; i < *bins; ++i) {
    int64_t left = edges[i], center = edges[i + 1], right = edges[i + 2];
    if (center == left)
      set(center, i, 1);
    else
      for (int64_t j = left; j <= center; ++j)
        set(j, i, double(j - left) / double(center - left));
    if (right > center)
      for (int64_t j = center; j < right; ++j)
        set(j, i, double(right - j) / double(right - center));
  }
  Tensor matrix(element, {spectrum, *bins});
  for (auto [i, w] : llvm::enumerate(weights)) {
    if (matrix.isFloat())
      matrix.floats()[i] = static_cast<float>(w);
    else
      matrix.ints()[i] = static_cast<int64_t>(w);
  }
  n.setOutput(0, n.constant(matrix));
  return success();
}

/// cos (or sin) of 2 pi n k / length as a [length, bins] matrix.
Value twiddles(NodeImporter &n, Type element, int64_t length, int64_t bins, bool sine) {
  Tensor t(element, {length, bins});
  for (int64_t i = 0; i < length; ++i)
    for (int64_t k = 0; k < bins; ++k) {
      double phase = 2 * kPi * static_cast<double>((i * k) % length) / length;
      t.floats()[i * bins + k] = static_cast<float>(sine ? std::sin(phase) : std::cos(phase));
    }
  return n.constant(t);
}

/// The DFT along the last dimension of `re` and `im` (im may be null: a
/// real signal), zero-padded or cut to `length`; returns [..., K, 2].
Value dftLastAxis(NodeImporter &n, Value re, Value im, int64_t length, bool inverse,
                  bool onesided) {
  auto type = cast<RankedTensorType>(re.getType());
  int64_t rank = type.getRank(), size = type.getShape().back();
  auto fit = [&](Value v) -> Value {
    if (!v || size == length)
      return v;
    if (size > length)
      return sliceDim(n, v, rank - 1, 0, length);
    SmallVector<int64_t> pads(2 * rank, 0);
    pads.back() = length - size;
    return n.create<qc::PadOp>(v, i64Array(n, pads), n.builder().getStringAttr("constant"),
                               f32Attr(n, 0));
  };
  re = fit(re);
  im = fit(im);
  int64_t bins = onesided ? length / 2 + 1 : length;
  Type element = type.getElementType();
  Value cosines = twiddles(n, element, length, bins, false);
  Value sines = twiddles(n, element, length, bins, true);
  auto matmul = [&](Value a, Value b) {
    return a ? n.create<qc::MatMulOp>(a, b, IntegerAttr()) : nullptr;
  };
  Value reCos = matmul(re, cosines), reSin = matmul(re, sines);
  Value imCos = matmul(im, cosines), imSin = matmul(im, sines);
  // Forward: (re + i im)(cos - i sin) = re cos + im sin + i (im cos - re sin).
  // Inverse: (re + i im)(cos + i sin) / L = re cos - im sin + i (im cos + re sin).
  Value outRe = reCos, outIm;
  if (inverse) {
    if (imSin)
      outRe = n.create<qc::SubOp>(reCos, imSin);
    outIm = imCos ? n.create<qc::AddOp>(imCos, reSin) : reSin;
    Value scale = scalarConstant(n, element, 1.0 / length);
    outRe = n.create<qc::MulOp>(outRe, scale);
    outIm = n.create<qc::MulOp>(outIm, scale);
  } else {
    if (imSin)
      outRe = n.create<qc::AddOp>(reCos, imSin);
    outIm = imCos ? n.create<qc::SubOp>(imCos, reSin) : n.create<qc::NegOp>(reSin);
  }
  SmallVector<int64_t> shape(cast<RankedTensorType>(outRe.getType()).getShape());
  shape.push_back(1);
  return n.create<qc::ConcatOp>(ValueRange{reshapeTo(n, outRe, shape), reshapeTo(n, outIm, shape)},
                                i64Attr(n, rank));
}

/// Splits [..., 1 or 2] into the real and imaginary parts (null when real).
std::pair<Value, Value> complexParts(NodeImporter &n, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape().drop_back());
  int64_t last = type.getRank() - 1;
  Value re = reshapeTo(n, sliceDim(n, x, last, 0, 1), shape);
  Value im = type.getShape().back() == 2 ? reshapeTo(n, sliceDim(n, x, last, 1, 1), shape)
                                         : nullptr;
  return {re, im};
}

LogicalResult importDFT(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  if (in.getRank() < 2 || (in.getShape().back() != 1 && in.getShape().back() != 2) ||
      !isa<FloatType>(in.getElementType()))
    return n.error() << "expected a float signal [..., 1 or 2], got " << in;
  int64_t axis = n.getInt("axis", 1);
  if (n.opset() >= 20) {
    axis = -2;
    if (n.hasInput(2)) {
      FailureOr<int64_t> given = constantScalarInput(n, 2);
      if (failed(given))
        return failure();
      axis = *given;
    }
  }
  FailureOr<int64_t> normalized = n.normalizeAxis(axis, in.getRank());
  if (failed(normalized))
    return failure();
  if (*normalized == in.getRank() - 1)
    return n.error() << "the DFT axis cannot be the real/imaginary dimension";
  int64_t length = in.getDimSize(*normalized);
  if (n.hasInput(1)) {
    FailureOr<int64_t> given = constantScalarInput(n, 1);
    if (failed(given))
      return failure();
    length = *given;
  }
  bool inverse = n.getInt("inverse", 0), onesided = n.getInt("onesided", 0);
  if (length < 1 || (inverse && onesided))
    return n.error() << "unsupported dft_length " << length << " or one-sided inverse";
  // Move the axis last, transform, and move it back in front of [.., 2].
  int64_t rank = in.getRank() - 1;
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    if (d != *normalized)
      perm.push_back(d);
  perm.push_back(*normalized);
  auto [re, im] = complexParts(n, n.input(0));
  auto toLast = [&](Value v) {
    return v ? n.create<qc::TransposeOp>(v, i64Array(n, perm)) : v;
  };
  Value y = dftLastAxis(n, toLast(re), toLast(im), length, inverse, onesided);
  SmallVector<int64_t> back(rank + 1);
  for (int64_t d = 0; d < rank; ++d)
    back[perm[d]] = d;
  back[rank] = rank;
  n.setOutput(0, n.create<qc::TransposeOp>(y, i64Array(n, back)));
  return success();
}

/// STFT: frames [batch, frames, frame_length] gathered by constant indices,
/// windowed, then the DFT of each frame.
LogicalResult importSTFT(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  if (in.getRank() != 3 || (in.getShape().back() != 1 && in.getShape().back() != 2) ||
      !isa<FloatType>(in.getElementType()))
    return n.error() << "expected a float signal [batch, length, 1 or 2], got " << in;
  FailureOr<int64_t> step = constantScalarInput(n, 1);
  if (failed(step))
    return failure();
  int64_t frameLength = -1;
  if (n.hasInput(3)) {
    FailureOr<int64_t> given = constantScalarInput(n, 3);
    if (failed(given))
      return failure();
    frameLength = *given;
  }
  if (n.hasInput(2)) {
    RankedTensorType window = n.inputType(2);
    if (window.getRank() != 1 || (frameLength >= 0 && window.getDimSize(0) != frameLength))
      return n.error() << "the window " << window << " does not match frame_length "
                       << frameLength;
    frameLength = window.getDimSize(0);
  }
  int64_t length = in.getDimSize(1);
  if (*step < 1 || frameLength < 1 || frameLength > length)
    return n.error() << "frame_step " << *step << " and frame_length " << frameLength
                     << " do not fit a signal of " << length;
  int64_t frames = 1 + (length - frameLength) / *step;
  Tensor positions(n.builder().getI64Type(), {frames, frameLength});
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t j = 0; j < frameLength; ++j)
      positions.ints()[f * frameLength + j] = f * *step + j;
  auto [re, im] = complexParts(n, n.input(0));
  Value indices = n.constant(positions);
  auto frame = [&](Value v) -> Value {
    if (!v)
      return v;
    Value framed = n.create<qc::GatherOp>(v, indices, i64Attr(n, 1));
    return n.hasInput(2) ? n.create<qc::MulOp>(framed, n.input(2)) : framed;
  };
  n.setOutput(0, dftLastAxis(n, frame(re), frame(im), frameLength, /*inverse=*/false,
                             n.getInt("onesided", 1) != 0));
  return success();
}
} // namespace

void onnx_import::addSignalImporters(llvm::StringMap<OpImporter> &t) {
  t["HannWindow"] = {importWindow<0>, 1};
  t["HammingWindow"] = {importWindow<1>, 1};
  t["BlackmanWindow"] = {importWindow<2>, 1};
  t["MelWeightMatrix"] = {importMelWeightMatrix, 5};
  t["DFT"] = {importDFT, 1};
  t["STFT"] = {importSTFT, 2};
}
