//===- WeightAdjustment.cpp - rounding search and bias correction -*- C++ -*-===//
#include "WeightAdjustment.h"

#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Reference/Sgemm.h"

#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

/// Patches per sample whose second moment is measured: enough for the
/// search to see the correlations of a layer's inputs, few enough that the
/// largest layers (thousands of inputs per patch) stay quick.
static constexpr int64_t kMomentPatchesPerSample = 256;

std::optional<WeightRows> qc::getWeightRows(Operation *layer) {
  if (auto conv = dyn_cast<ConvOp>(layer)) {
    ArrayRef<int64_t> shape = conv.getWeight().getType().getShape();
    if (shape.size() != 3 && shape.size() != 4)
      return std::nullopt;
    int64_t reduction = 1;
    for (int64_t d : shape.drop_front())
      reduction *= d;
    return WeightRows{shape[0], reduction, reduction, 1,
                      shape[0] / static_cast<int64_t>(conv.getGroup())};
  }
  auto weightShape = [](Value v) { return cast<RankedTensorType>(v.getType()).getShape(); };
  if (auto matmul = dyn_cast<MatMulOp>(layer)) {
    ArrayRef<int64_t> shape = weightShape(matmul.getRhs());
    if (shape.size() != 2)
      return std::nullopt;
    return WeightRows{shape[1], shape[0], 1, shape[1], shape[1]};
  }
  if (auto gemm = dyn_cast<GemmOp>(layer)) {
    ArrayRef<int64_t> shape = weightShape(gemm.getB());
    if (gemm.getTransB())
      return WeightRows{shape[0], shape[1], shape[1], 1, shape[0]};
    return WeightRows{shape[1], shape[0], 1, shape[1], shape[1]};
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Statistics
//===----------------------------------------------------------------------===//

LayerInputStatistics::LayerInputStatistics(int64_t groups, int64_t patchSize,
                                           bool withMoments)
    : groups(groups), patchSize(patchSize), means(groups * patchSize),
      maxima(groups * patchSize), meanCounts(groups), momentCounts(groups) {
  if (withMoments)
    moments.assign(groups * patchSize * patchSize, 0.0);
}

void LayerInputStatistics::addSums(int64_t group, ArrayRef<double> sums,
                                   ArrayRef<float> maxAbs, int64_t count) {
  double *out = means.data() + group * patchSize;
  float *largest = maxima.data() + group * patchSize;
  for (int64_t k = 0; k < patchSize; ++k) {
    out[k] += sums[k];
    largest[k] = std::max(largest[k], maxAbs[k]);
  }
  meanCounts[group] += count;
}

void LayerInputStatistics::addMomentPatch(int64_t group, ArrayRef<float> patch) {
  double *m = moments.data() + group * patchSize * patchSize;
  // The upper triangle only; finish() mirrors it.
  for (int64_t i = 0; i < patchSize; ++i) {
    double pi = patch[i];
    if (pi == 0)
      continue;
    double *row = m + i * patchSize;
    for (int64_t j = i; j < patchSize; ++j)
      row[j] += pi * patch[j];
  }
  ++momentCounts[group];
}

void LayerInputStatistics::addMomentPatches(int64_t group, ArrayRef<float> patches,
                                            int64_t count) {
  // P^T P in f32 (each sample's products summed in order), added in f64.
  int64_t size = patchSize;
  std::vector<float> transposed(size * count), product(size * size);
  for (int64_t n = 0; n < count; ++n)
    for (int64_t k = 0; k < size; ++k)
      transposed[k * count + n] = patches[n * size + k];
  reference::sgemm(size, size, count, transposed.data(), count, patches.data(), size,
                   product.data(), size, /*accumulate=*/false);
  double *m = moments.data() + group * size * size;
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = i; j < size; ++j)
      m[i * size + j] += product[i * size + j];
  momentCounts[group] += count;
}

void LayerInputStatistics::finish() {
  for (int64_t g = 0; g < groups; ++g) {
    double scale = meanCounts[g] ? 1.0 / meanCounts[g] : 0.0;
    for (int64_t k = 0; k < patchSize; ++k)
      means[g * patchSize + k] *= scale;
    if (moments.empty())
      continue;
    double *m = moments.data() + g * patchSize * patchSize;
    double momentScale = momentCounts[g] ? 1.0 / momentCounts[g] : 0.0;
    for (int64_t i = 0; i < patchSize; ++i)
      for (int64_t j = i; j < patchSize; ++j)
        m[j * patchSize + i] = m[i * patchSize + j] *= momentScale;
  }
}

namespace {
/// A 1-D or 2-D convolution's geometry, 1-D as 2-D of height 1.
struct ConvGeometry {
  int64_t batch, channels, height, width, kernelH, kernelW;
  int64_t strideH, strideW, dilationH, dilationW, padTop, padLeft;
  int64_t outH, outW, groups;

  static ConvGeometry get(ConvOp conv, ArrayRef<int64_t> inputShape) {
    ArrayRef<int64_t> kernel = conv.getWeight().getType().getShape().drop_front(2);
    ArrayRef<int64_t> outShape = conv.getOutput().getType().getShape();
    bool twoD = kernel.size() == 2;
    auto at = [&](ArrayRef<int64_t> values, int64_t i, int64_t dflt) {
      return twoD ? values[i] : (i == 0 ? dflt : values[0]);
    };
    ArrayRef<int64_t> pads = conv.getPads();
    return {inputShape[0], inputShape[1],
            twoD ? inputShape[2] : 1, inputShape.back(),
            twoD ? kernel[0] : 1, kernel.back(),
            at(conv.getStrides(), 0, 1), at(conv.getStrides(), 1, 1),
            at(conv.getDilations(), 0, 1), at(conv.getDilations(), 1, 1),
            twoD ? pads[0] : 0, twoD ? pads[1] : pads[0],
            twoD ? outShape[2] : 1, outShape.back(),
            static_cast<int64_t>(conv.getGroup())};
  }
};

/// Adds one sample's convolution patches to `stats`.
void measureConvInput(const ConvGeometry &c, const Tensor &input,
                      LayerInputStatistics &stats) {
  ArrayRef<float> x = input.floats();
  int64_t perGroup = c.channels / c.groups, taps = c.kernelH * c.kernelW;
  auto pixel = [&](int64_t n, int64_t channel, int64_t oh, int64_t ow, int64_t kh,
                   int64_t kw) -> float {
    int64_t ih = oh * c.strideH - c.padTop + kh * c.dilationH;
    int64_t iw = ow * c.strideW - c.padLeft + kw * c.dilationW;
    if (ih < 0 || ih >= c.height || iw < 0 || iw >= c.width)
      return 0.0f;
    return x[((n * c.channels + channel) * c.height + ih) * c.width + iw];
  };
  // Means over every output position (padding counts as zeros).
  std::vector<double> sums(stats.getPatchSize());
  std::vector<float> maxima(stats.getPatchSize());
  for (int64_t g = 0; g < c.groups; ++g) {
    llvm::fill(sums, 0.0);
    llvm::fill(maxima, 0.0f);
    for (int64_t n = 0; n < c.batch; ++n)
      for (int64_t ci = 0; ci < perGroup; ++ci)
        for (int64_t kh = 0; kh < c.kernelH; ++kh)
          for (int64_t kw = 0; kw < c.kernelW; ++kw) {
            double sum = 0;
            float &largest = maxima[ci * taps + kh * c.kernelW + kw];
            for (int64_t oh = 0; oh < c.outH; ++oh)
              for (int64_t ow = 0; ow < c.outW; ++ow) {
                float v = pixel(n, g * perGroup + ci, oh, ow, kh, kw);
                sum += v;
                largest = std::max(largest, std::fabs(v));
              }
            sums[ci * taps + kh * c.kernelW + kw] += sum;
          }
    stats.addSums(g, sums, maxima, c.batch * c.outH * c.outW);
  }
  if (!stats.hasMoments())
    return;
  int64_t positions = c.batch * c.outH * c.outW;
  int64_t step = std::max<int64_t>(1, positions / kMomentPatchesPerSample);
  std::vector<float> patch(stats.getPatchSize());
  for (int64_t p = 0; p < positions; p += step) {
    int64_t n = p / (c.outH * c.outW), oh = p / c.outW % c.outH, ow = p % c.outW;
    for (int64_t g = 0; g < c.groups; ++g) {
      for (int64_t ci = 0; ci < perGroup; ++ci)
        for (int64_t kh = 0; kh < c.kernelH; ++kh)
          for (int64_t kw = 0; kw < c.kernelW; ++kw)
            patch[ci * taps + kh * c.kernelW + kw] =
                pixel(n, g * perGroup + ci, oh, ow, kh, kw);
      stats.addMomentPatch(g, patch);
    }
  }
}

/// Adds one sample's rows (of a matmul's or gemm's input) to `stats`: row r
/// is element r * rowStride + k * elementStride, k < patch size.
void measureRows(const Tensor &input, int64_t rows, int64_t rowStride,
                 int64_t elementStride, LayerInputStatistics &stats) {
  ArrayRef<float> x = input.floats();
  int64_t size = stats.getPatchSize();
  std::vector<double> sums(size);
  std::vector<float> maxima(size), patches;
  int64_t step = std::max<int64_t>(1, rows / kMomentPatchesPerSample);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = 0; k < size; ++k) {
      float v = x[r * rowStride + k * elementStride];
      sums[k] += v;
      maxima[k] = std::max(maxima[k], std::fabs(v));
    }
    if (stats.hasMoments() && r % step == 0)
      for (int64_t k = 0; k < size; ++k)
        patches.push_back(x[r * rowStride + k * elementStride]);
  }
  stats.addSums(0, sums, maxima, rows);
  if (!patches.empty())
    stats.addMomentPatches(0, patches, patches.size() / size);
}

void measureInput(Operation *layer, const Tensor &input, LayerInputStatistics &stats) {
  if (auto conv = dyn_cast<ConvOp>(layer))
    return measureConvInput(ConvGeometry::get(conv, input.getShape()), input, stats);
  int64_t size = stats.getPatchSize();
  if (auto gemm = dyn_cast<GemmOp>(layer); gemm && gemm.getTransA())
    return measureRows(input, input.getShape()[1], 1, input.getShape()[1], stats);
  measureRows(input, input.getNumElements() / size, size, 1, stats);
}
} // namespace

ProgressLine::ProgressLine(StringRef what, int64_t total)
    : what(what.str()), total(total), shown(llvm::errs().is_displayed() && total > 0) {}

ProgressLine::~ProgressLine() {
  if (shown)
    llvm::errs() << "\r\x1b[K";
}

void ProgressLine::advance() {
  ++done;
  if (shown)
    llvm::errs() << "\r" << what << ": " << done << "/" << total;
}

FailureOr<LayerStatisticsMap>
qc::measureLayerInputs(ArrayRef<Operation *> layers,
                       ArrayRef<calibration::Sample> samples, bool withMoments) {
  LayerStatisticsMap stats;
  DenseMap<Value, SmallVector<Operation *>> readers;
  func::FuncOp func;
  for (Operation *layer : layers) {
    std::optional<WeightRows> rows = getWeightRows(layer);
    if (!rows)
      continue;
    func = layer->getParentOfType<func::FuncOp>();
    int64_t groups = std::max<int64_t>(1, rows->rows / std::max<int64_t>(1, rows->rowsPerGroup));
    stats.try_emplace(layer, groups, rows->reduction, withMoments);
    readers[layer->getOperand(0)].push_back(layer);
  }
  if (!func)
    return stats;
  auto observe = [&](Value v, const Tensor &t) {
    auto it = readers.find(v);
    if (it == readers.end() || !t.isFloat())
      return;
    for (Operation *layer : it->second)
      measureInput(layer, t, stats.find(layer)->second);
  };
  ProgressLine progress("measuring layer inputs, samples", samples.size());
  for (const calibration::Sample &sample : samples) {
    for (BlockArgument arg : func.getArguments())
      observe(arg, sample[arg.getArgNumber()]);
    if (failed(reference::evaluateFunction(func, sample, observe)))
      return failure();
    progress.advance();
  }
  for (auto &entry : stats)
    entry.second.finish();
  return stats;
}

//===----------------------------------------------------------------------===//
// Adjustments
//===----------------------------------------------------------------------===//

/// Relative damping of the second moment: patches measured on a few samples
/// leave some directions unseen, where no move should look free.
static constexpr double kMomentDamping = 0.01;
static constexpr int kMaxSweeps = 16;

int64_t qc::searchRounding(WeightLevels weights, ArrayRef<float> w,
                           const WeightRows &rows, const LayerInputStatistics &stats) {
  int64_t size = rows.reduction, moved = 0;
  std::vector<double> error(size), gradient(size), scale(size);
  std::vector<int64_t> index(size);
  for (int64_t row = 0; row < rows.rows; ++row) {
    ArrayRef<double> m = stats.moment(row / rows.rowsPerGroup);
    double damping = 0;
    for (int64_t k = 0; k < size; ++k)
      damping += m[k * size + k];
    damping *= kMomentDamping / size;
    if (damping == 0)
      continue;
    for (int64_t k = 0; k < size; ++k) {
      index[k] = rows.index(row, k);
      scale[k] = weights.scaleOf(index[k]);
      error[k] = weights.value(index[k]) - w[index[k]];
    }
    // gradient = (M + damping I) e, half the gradient of e^T (M + dI) e.
    for (int64_t i = 0; i < size; ++i) {
      double sum = damping * error[i];
      for (int64_t j = 0; j < size; ++j)
        sum += m[i * size + j] * error[j];
      gradient[i] = sum;
    }
    for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
      int64_t movedThisSweep = 0;
      for (int64_t k = 0; k < size; ++k) {
        if (scale[k] <= 0)
          continue;
        int64_t level = weights.levels[index[k]];
        int64_t below = std::clamp<int64_t>(
            static_cast<int64_t>(std::floor(w[index[k]] / scale[k])) +
                weights.zeroOf(index[k]),
            weights.qmin, weights.qmax);
        int64_t above = std::min(below + 1, weights.qmax);
        int64_t other = level == below ? above : level == above ? below : level;
        if (other == level)
          continue;
        double step = scale[k] * static_cast<double>(other - level);
        double change = step * (2 * gradient[k] + step * (m[k * size + k] + damping));
        if (change >= 0)
          continue;
        weights.levels[index[k]] = other;
        const double *column = m.data() + k * size; // M is symmetric
        for (int64_t i = 0; i < size; ++i)
          gradient[i] += step * column[i];
        gradient[k] += step * damping;
        ++movedThisSweep;
      }
      moved += movedThisSweep;
      if (!movedThisSweep)
        break;
    }
  }
  return moved;
}

std::vector<double> qc::expectedOutputShift(const WeightLevels &weights,
                                            ArrayRef<float> w,
                                            const WeightRows &rows,
                                            const LayerInputStatistics &stats) {
  std::vector<double> shift(rows.rows);
  for (int64_t row = 0; row < rows.rows; ++row) {
    ArrayRef<double> mean = stats.mean(row / rows.rowsPerGroup);
    double sum = 0;
    for (int64_t k = 0; k < rows.reduction; ++k) {
      int64_t i = rows.index(row, k);
      sum += (weights.value(i) - w[i]) * mean[k];
    }
    shift[row] = sum;
  }
  return shift;
}

std::vector<double> qc::meanSquareOfInputs(const LayerInputStatistics &stats,
                                           const WeightRows &rows, int64_t elements) {
  if (!stats.hasMoments())
    return {};
  std::vector<double> importance(elements, 0.0);
  int64_t size = rows.reduction;
  for (int64_t row = 0; row < rows.rows; ++row) {
    ArrayRef<double> moment = stats.moment(row / rows.rowsPerGroup);
    for (int64_t k = 0; k < size; ++k)
      importance[rows.index(row, k)] = moment[k * size + k];
  }
  return importance;
}
