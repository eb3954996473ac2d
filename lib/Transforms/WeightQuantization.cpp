//===- WeightQuantization.cpp - constant weights to integers ----*- C++ -*-===//
#include "WeightQuantization.h"

#include "quantc/Dialect/QC/QuantUtils.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include <algorithm>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

FailureOr<QuantizedWeights>
qc::quantizeWeights(const Tensor &w, const WeightFormat &format, ArrayRef<int64_t> blockShape,
                    Granularity granularity, int64_t channelAxis, int64_t reductionAxis,
                    ArrayRef<double> scaleFloors, ArrayRef<double> importance, Location loc,
                    function_ref<void(WeightLevels)> adjust) {
  MLIRContext *ctx = loc.getContext();
  QuantLayout layout;
  layout.blockShape.assign(blockShape.begin(), blockShape.end());
  for (auto [size, block] : llvm::zip(w.getShape(), blockShape))
    layout.paramShape.push_back(size / block);
  int64_t numBlocks = 1;
  for (int64_t d : layout.paramShape)
    numBlocks *= d;
  SmallVector<int64_t> blocks = layout.blockIndices(w.getShape());
  std::vector<std::vector<float>> values(numBlocks);
  std::vector<std::vector<double>> weights(importance.empty() ? 0 : numBlocks);
  for (int64_t i = 0, e = w.getNumElements(); i < e; ++i) {
    values[blocks[i]].push_back(w.floats()[i]);
    if (!importance.empty())
      weights[blocks[i]].push_back(importance[i]);
  }
  int64_t qmin = format.qmin(), qmax = format.qmax();
  SmallVector<WeightGrid> grids;
  for (auto [b, block] : llvm::enumerate(values)) {
    ArrayRef<double> blockImportance;
    if (!importance.empty())
      blockImportance = weights[b];
    grids.push_back(chooseWeightGrid(block, format, blockImportance));
  }
  for (auto [grid, floor] : llvm::zip(grids, scaleFloors))
    grid.scale = std::max(grid.scale, floor);
  unsigned bits = format.bits;
  auto storageType = IntegerType::get(ctx, bits);
  QuantizedWeights result{Tensor(storageType, w.getShape()), {}};
  for (int64_t i = 0, e = w.getNumElements(); i < e; ++i)
    result.storage.ints()[i] = grids[blocks[i]].level(w.floats()[i], format);
  if (adjust)
    adjust({result.storage.ints(), [&](int64_t i) { return grids[blocks[i]].scale; },
            [&](int64_t i) { return grids[blocks[i]].zeroPoint; }, qmin, qmax});
  SmallVector<double> scales;
  SmallVector<int64_t> zeros;
  for (const WeightGrid &grid : grids) {
    scales.push_back(grid.scale);
    zeros.push_back(grid.zeroPoint);
  }
  auto f32 = Float32Type::get(ctx);
  unsigned flags = quant::QuantizationFlags::Signed;
  switch (granularity) {
  case Granularity::PerTensor:
    result.type = quant::UniformQuantizedType::get(flags, storageType, f32,
                                                   scales[0], zeros[0], qmin, qmax);
    break;
  case Granularity::PerChannel:
    result.type = quant::UniformQuantizedPerAxisType::get(
        flags, storageType, f32, scales, zeros, channelAxis, qmin, qmax);
    break;
  case Granularity::PerGroup: {
    auto paramType = RankedTensorType::get(layout.paramShape, f32);
    SmallVector<float> scales32(scales.begin(), scales.end());
    SmallVector<APInt> zeroPoints;
    for (int64_t z : zeros)
      zeroPoints.push_back(APInt(bits, z, /*isSigned=*/true));
    int32_t dims[2] = {static_cast<int32_t>(std::min(channelAxis, reductionAxis)),
                       static_cast<int32_t>(std::max(channelAxis, reductionAxis))};
    int64_t sizes[2] = {blockShape[dims[0]], blockShape[dims[1]]};
    result.type = quant::UniformQuantizedSubChannelType::getChecked(
        [&] { return emitError(loc); }, flags, storageType, f32,
        DenseElementsAttr::get(paramType, ArrayRef(scales32)),
        DenseElementsAttr::get(RankedTensorType::get(layout.paramShape, storageType),
                               zeroPoints),
        dims, sizes, qmin, qmax);
    if (!result.type)
      return failure();
    break;
  }
  }
  return result;
}
