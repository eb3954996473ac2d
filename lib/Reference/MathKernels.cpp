//===- MathKernels.cpp - math functions, predicates and bitwise ops -*- C++ -*-===//
//
// The element-wise ops ONNX defines beyond the activations of common
// networks: inverse and hyperbolic trigonometry, rounding, the ELU family,
// float classification, Mod and the bitwise ops.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"

#include "llvm/ADT/APInt.h"

#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

namespace {
template <typename Fn>
FailureOr<Tensor> mapFloats(Operation *op, const Tensor &in, Fn fn) {
  Tensor out = makeResult(op);
  for (auto [o, x] : llvm::zip(out.floats(), in.floats()))
    o = fn(x);
  return out;
}

template <typename OpTy, typename Fn>
void addUnary(KernelRegistry &r, Fn fn) {
  r.add<OpTy>([fn](OpTy op, OperandTensors args) {
    return mapFloats(op, *args[0], [&](float x) { return fn(op, x); });
  });
}

/// Element-wise predicate of floats into booleans.
template <typename OpTy, typename Fn>
void addPredicate(KernelRegistry &r, Fn fn) {
  r.add<OpTy>([fn](OpTy op, OperandTensors args) -> FailureOr<Tensor> {
    Tensor out = makeResult(op);
    for (auto [o, x] : llvm::zip(out.ints(), args[0]->floats()))
      o = fn(op, x);
    return out;
  });
}

/// `value` wrapped to the integer element type `type`, stored as the
/// evaluator stores it (sign- or zero-extended to 64 bits).
int64_t wrapTo(Type type, uint64_t value) {
  auto it = cast<IntegerType>(type);
  APInt bits(it.getWidth(), value, /*isSigned=*/false, /*implicitTrunc=*/true);
  return it.isUnsigned() ? bits.getZExtValue() : bits.getSExtValue();
}

/// Integer and float binary op with broadcasting; `fn(x, y)` on int64
/// (wrapped to the element type afterwards) or float operands.
template <typename OpTy, typename Fn>
void addBinary(KernelRegistry &r, Fn fn) {
  r.add<OpTy>([fn](OpTy op, OperandTensors args) -> FailureOr<Tensor> {
    Tensor out = makeResult(op);
    const Tensor &a = *args[0], &b = *args[1];
    std::array<SmallVector<int64_t>, 2> strides = {
        broadcastStrides(a.getShape(), out.getShape()),
        broadcastStrides(b.getShape(), out.getShape())};
    Type element = out.getElementType();
    if (out.isFloat()) {
      forEachIndex<2>(out.getShape(), strides, [&](int64_t i, auto off) {
        out.floats()[i] = fn(op, a.floats()[off[0]], b.floats()[off[1]]);
      });
    } else {
      forEachIndex<2>(out.getShape(), strides, [&](int64_t i, auto off) {
        out.ints()[i] = wrapTo(element, fn(op, a.ints()[off[0]], b.ints()[off[1]]));
      });
    }
    return out;
  });
}

float elu(float x, float alpha) { return x >= 0 ? x : alpha * std::expm1(x); }

float softplus(float x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

/// ONNX Mod: truncated (C fmod) with `fmod`, floored (Python %) without.
/// An integer remainder by zero is zero.
struct Remainder {
  float operator()(qc::ModOp op, float x, float y) const {
    float r = std::fmod(x, y);
    if (!op.getFmod() && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
  int64_t operator()(qc::ModOp op, int64_t x, int64_t y) const {
    if (y == 0 || y == -1)
      return 0;
    int64_t r = x % y;
    if (!op.getFmod() && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
};

/// Shifts by the element width or more give zero (ONNX leaves it open;
/// x86 would shift by the count modulo the width).
uint64_t shiftLeft(Type element, uint64_t x, uint64_t by) {
  return by >= element.getIntOrFloatBitWidth() ? 0 : x << by;
}
uint64_t shiftRight(Type element, uint64_t x, uint64_t by) {
  unsigned width = element.getIntOrFloatBitWidth();
  if (by >= width)
    return 0;
  uint64_t mask = width == 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
  return (x & mask) >> by;
}

FailureOr<Tensor> signKernel(qc::SignOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  const Tensor &in = *args[0];
  if (in.isFloat())
    return mapFloats(op, in, [](float x) {
      return x > 0 ? 1.0f : (x < 0 ? -1.0f : x);
    });
  for (auto [o, x] : llvm::zip(out.ints(), in.ints()))
    o = (x > 0) - (x < 0);
  return out;
}
} // namespace

void reference::registerMathKernels(KernelRegistry &r) {
  auto plain = [](float (*fn)(float)) {
    return [fn](Operation *, float x) { return fn(x); };
  };
  addUnary<qc::TanOp>(r, plain(std::tan));
  addUnary<qc::AcosOp>(r, plain(std::acos));
  addUnary<qc::AsinOp>(r, plain(std::asin));
  addUnary<qc::AtanOp>(r, plain(std::atan));
  addUnary<qc::CoshOp>(r, plain(std::cosh));
  addUnary<qc::SinhOp>(r, plain(std::sinh));
  addUnary<qc::AcoshOp>(r, plain(std::acosh));
  addUnary<qc::AsinhOp>(r, plain(std::asinh));
  addUnary<qc::AtanhOp>(r, plain(std::atanh));
  addUnary<qc::CeilOp>(r, plain(std::ceil));
  addUnary<qc::FloorOp>(r, plain(std::floor));
  addUnary<qc::SoftsignOp>(r, [](Operation *, float x) { return x / (1 + std::fabs(x)); });
  addUnary<qc::MishOp>(r, [](Operation *, float x) { return x * std::tanh(softplus(x)); });
  addUnary<qc::EluOp>(r, [](qc::EluOp op, float x) {
    return elu(x, op.getAlpha().convertToFloat());
  });
  addUnary<qc::CeluOp>(r, [](qc::CeluOp op, float x) {
    float alpha = op.getAlpha().convertToFloat();
    return std::max(0.0f, x) + std::min(0.0f, alpha * std::expm1(x / alpha));
  });
  addUnary<qc::SeluOp>(r, [](qc::SeluOp op, float x) {
    float alpha = op.getAlpha().convertToFloat();
    return op.getGamma().convertToFloat() * (x > 0 ? x : alpha * std::expm1(x));
  });
  addUnary<qc::ThresholdedReluOp>(r, [](qc::ThresholdedReluOp op, float x) {
    return x > op.getAlpha().convertToFloat() ? x : 0.0f;
  });
  addUnary<qc::ShrinkOp>(r, [](qc::ShrinkOp op, float x) {
    float bias = op.getBias().convertToFloat();
    float lambd = op.getLambd().convertToFloat();
    return x < -lambd ? x + bias : (x > lambd ? x - bias : 0.0f);
  });
  r.add<qc::SignOp>(signKernel);
  addPredicate<qc::IsNaNOp>(r, [](Operation *, float x) { return std::isnan(x); });
  addPredicate<qc::IsInfOp>(r, [](qc::IsInfOp op, float x) {
    return std::isinf(x) &&
           (x > 0 ? op.getDetectPositive() : op.getDetectNegative());
  });

  addBinary<qc::ModOp>(r, Remainder());
  addBinary<qc::BitwiseAndOp>(r, [](Operation *, int64_t x, int64_t y) { return x & y; });
  addBinary<qc::BitwiseOrOp>(r, [](Operation *, int64_t x, int64_t y) { return x | y; });
  addBinary<qc::BitwiseXorOp>(r, [](Operation *, int64_t x, int64_t y) { return x ^ y; });
  addBinary<qc::ShiftLeftOp>(r, [](qc::ShiftLeftOp op, int64_t x, int64_t y) {
    return shiftLeft(op.getType().getElementType(), x, y);
  });
  addBinary<qc::ShiftRightOp>(r, [](qc::ShiftRightOp op, int64_t x, int64_t y) {
    return shiftRight(op.getType().getElementType(), x, y);
  });
  r.add<qc::BitwiseNotOp>([](qc::BitwiseNotOp op, OperandTensors args) -> FailureOr<Tensor> {
    Tensor out = makeResult(op);
    for (auto [o, x] : llvm::zip(out.ints(), args[0]->ints()))
      o = wrapTo(out.getElementType(), ~uint64_t(x));
    return out;
  });
}
