//===- ChannelScaling.cpp - scaling matmul input channels -------*- C++ -*-===//
#include "ChannelScaling.h"

#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Evaluator.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

ConstantOp qc::getConstantWeight(MatMulOp matmul) {
  auto constant = matmul.getRhs().getDefiningOp<ConstantOp>();
  return constant && constant.getType().getRank() == 2 ? constant : nullptr;
}

namespace {
/// The matmuls reading `input` (as their lhs, with constant weights), when
/// they are all of its users.
SmallVector<MatMulOp> consumersOf(Value input, int64_t channels) {
  SmallVector<MatMulOp> consumers;
  for (Operation *user : input.getUsers()) {
    auto matmul = dyn_cast<MatMulOp>(user);
    if (!matmul || matmul.getLhs() != input || !getConstantWeight(matmul) ||
        getConstantWeight(matmul).getType().getDimSize(0) != channels)
      return {};
    consumers.push_back(matmul);
  }
  return consumers;
}

std::optional<ScalingGroup> matchGroup(MulOp mul) {
  auto type = cast<RankedTensorType>(mul.getType());
  int64_t channels = type.getShape().back();
  for (unsigned i = 0; i < 2; ++i) {
    Value other = mul->getOperand(i), data = mul->getOperand(1 - i);
    // x * w, w a vector over the channels used only here.
    if (auto norm = other.getDefiningOp<ConstantOp>()) {
      auto vector = cast<RankedTensorType>(norm.getType());
      if (vector.getRank() != 1 || vector.getDimSize(0) != channels || !norm->hasOneUse() ||
          !isa<FloatType>(vector.getElementType()))
        continue;
      SmallVector<MatMulOp> consumers = consumersOf(mul, channels);
      if (!consumers.empty())
        return ScalingGroup{mul, consumers, norm, nullptr};
    }
    // a * up(x), up a matmul with constant weights used only here.
    if (auto up = other.getDefiningOp<MatMulOp>();
        up && getConstantWeight(up) && up->hasOneUse() && other != data &&
        getConstantWeight(up).getType().getDimSize(1) == channels &&
        cast<RankedTensorType>(other.getType()) == type) {
      SmallVector<MatMulOp> consumers = consumersOf(mul, channels);
      if (consumers.size() == 1)
        return ScalingGroup{mul, consumers, nullptr, up};
    }
  }
  return std::nullopt;
}

Tensor valueOf(ConstantOp constant) { return *reference::getConstantValue(constant); }

/// Replaces `constant`'s value for `user` with `values`.
void replaceConstant(Operation *user, ConstantOp constant, const Tensor &values,
                     StringRef blobSuffix) {
  OpBuilder b(user);
  std::string blob = getNodeName(user->getLoc()) + "." + blobSuffix.str();
  Value scaled = ConstantOp::create(b, constant.getLoc(), values.toAttr(constant.getType(), blob));
  user->replaceUsesOfWith(constant, scaled);
  if (constant->use_empty())
    constant->erase();
}
} // namespace

SmallVector<ScalingGroup> qc::collectScalingGroups(func::FuncOp func, int64_t divisor) {
  SmallVector<ScalingGroup> groups;
  func.walk([&](MulOp mul) {
    if (std::optional<ScalingGroup> group = matchGroup(mul))
      if (mul.getType().getShape().back() % divisor == 0)
        groups.push_back(*group);
  });
  return groups;
}

FailureOr<LayerStatisticsMap> qc::measureGroupInputs(func::FuncOp func,
                                                     ArrayRef<ScalingGroup> groups,
                                                     ArrayRef<std::string> data,
                                                     int64_t maxSamples, bool withMoments) {
  llvm::Expected<std::vector<calibration::Sample>> samples =
      calibration::loadCalibrationSet(func, data, maxSamples);
  if (!samples)
    return emitError(func.getLoc(), toString(samples.takeError()));
  SmallVector<Operation *> measured;
  for (const ScalingGroup &group : groups)
    measured.push_back(group.consumers.front());
  return measureLayerInputs(measured, *samples, withMoments);
}

void qc::applyChannelScaling(const ScalingGroup &group, ArrayRef<double> s,
                             ArrayRef<Tensor> weights, StringRef blobSuffix,
                             function_ref<void(Tensor &)> adjust) {
  int64_t k = s.size();
  for (auto [consumer, w] : llvm::zip(group.consumers, weights)) {
    Tensor scaled = w;
    int64_t n = w.getShape()[1];
    for (int64_t r = 0; r < k; ++r)
      for (int64_t j = 0; j < n; ++j)
        scaled.floats()[r * n + j] = static_cast<float>(w.floats()[r * n + j] * s[r]);
    if (adjust)
      adjust(scaled);
    replaceConstant(consumer, getConstantWeight(consumer), scaled, blobSuffix);
  }
  if (llvm::all_of(s, [](double v) { return v == 1; }))
    return;
  if (group.norm) {
    Tensor vector = valueOf(group.norm);
    for (int64_t i = 0; i < k; ++i)
      vector.floats()[i] = static_cast<float>(vector.floats()[i] / s[i]);
    replaceConstant(group.input.getDefiningOp(), group.norm, vector, blobSuffix);
    return;
  }
  ConstantOp upWeight = getConstantWeight(group.producer);
  Tensor up = valueOf(upWeight);
  int64_t rows = up.getShape()[0];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j)
      up.floats()[r * k + j] = static_cast<float>(up.floats()[r * k + j] / s[j]);
  replaceConstant(group.producer, upWeight, up, blobSuffix);
}
