//===- ElementwiseKernels.cpp - unary, binary, select, cast -----*- C++ -*-===//
#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

SmallVector<int64_t> reference::broadcastStrides(ArrayRef<int64_t> shape,
                                                 ArrayRef<int64_t> outShape) {
  SmallVector<int64_t> own = computeStrides(shape);
  SmallVector<int64_t> strides(outShape.size(), 0);
  size_t offset = outShape.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1 || outShape[i + offset] == 1)
      strides[i + offset] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

namespace {
template <typename Fn>
auto unary(Fn fn) {
  return [fn](Operation *op, OperandTensors args) -> FailureOr<Tensor> {
    Tensor out = makeResult(op);
    ArrayRef<float> in = args[0]->floats();
    MutableArrayRef<float> o = out.floats();
    for (int64_t i = 0, e = in.size(); i < e; ++i)
      o[i] = fn(in[i]);
    return out;
  };
}

/// A unary op on floats or signed integers; integer results wrap to the
/// element type, as two's complement arithmetic does.
template <typename FloatFn, typename IntFn>
auto signedUnary(FloatFn onFloat, IntFn onInt) {
  return [=](Operation *op, OperandTensors args) -> FailureOr<Tensor> {
    if (args[0]->isFloat())
      return unary(onFloat)(op, args);
    Tensor out = makeResult(op);
    auto type = cast<IntegerType>(out.getElementType());
    for (auto [o, x] : llvm::zip(out.ints(), args[0]->ints()))
      o = APInt(type.getWidth(), onInt(uint64_t(x)), /*isSigned=*/false,
                /*implicitTrunc=*/true)
              .getSExtValue();
    return out;
  };
}

/// Element-wise binary op with broadcasting; `fn` maps two doubles (exact for
/// integers up to 2^53 and for f32) to the result element.
template <typename Fn>
FailureOr<Tensor> binary(Operation *op, OperandTensors args, Fn fn) {
  Tensor out = makeResult(op);
  const Tensor &a = *args[0], &b = *args[1];
  std::array<SmallVector<int64_t>, 2> strides = {
      broadcastStrides(a.getShape(), out.getShape()),
      broadcastStrides(b.getShape(), out.getShape())};
  if (a.isFloat() && out.isFloat()) {
    ArrayRef<float> x = a.floats(), y = b.floats();
    MutableArrayRef<float> o = out.floats();
    forEachIndex<2>(out.getShape(), strides, [&](int64_t i, auto off) {
      o[i] = fn(x[off[0]], y[off[1]]);
    });
  } else if (a.isFloat()) { // Float comparison into i1.
    ArrayRef<float> x = a.floats(), y = b.floats();
    MutableArrayRef<int64_t> o = out.ints();
    forEachIndex<2>(out.getShape(), strides, [&](int64_t i, auto off) {
      o[i] = fn(x[off[0]], y[off[1]]);
    });
  } else {
    ArrayRef<int64_t> x = a.ints(), y = b.ints();
    MutableArrayRef<int64_t> o = out.ints();
    forEachIndex<2>(out.getShape(), strides, [&](int64_t i, auto off) {
      o[i] = static_cast<int64_t>(fn(x[off[0]], y[off[1]]));
    });
  }
  return out;
}

template <typename OpTy, typename Fn>
void addBinary(KernelRegistry &r, Fn fn) {
  r.add<OpTy>([fn](OpTy op, OperandTensors args) {
    return binary(op, args, fn);
  });
}

/// Integer division truncating toward zero, as ONNX Div on integers
/// (x / 0 gives 0, and INT64_MIN / -1 wraps to INT64_MIN).
auto divide = [](auto x, auto y) -> decltype(x / y) {
  using T = decltype(x);
  if constexpr (std::is_integral_v<T>) {
    if (y == 0)
      return 0;
    if (y == -1)
      return T(0 - std::make_unsigned_t<T>(x));
    return x / y;
  } else {
    return x / y;
  }
};

/// Integer arithmetic wraps around (two's complement), as the generated
/// code and ONNX Runtime compute it; in C++ signed overflow is undefined.
template <typename Fn>
auto wrapping(Fn fn) {
  return [fn](auto x, auto y) {
    using T = decltype(x);
    if constexpr (std::is_integral_v<T>)
      return T(fn(std::make_unsigned_t<T>(x), std::make_unsigned_t<T>(y)));
    else
      return fn(x, y);
  };
}

/// A double as integer type T: NaN gives 0, out-of-range values saturate.
template <typename T>
T saturatingCast(double value) {
  if (std::isnan(value))
    return 0;
  if (value >= double(std::numeric_limits<T>::max()))
    return std::numeric_limits<T>::max();
  if (value <= double(std::numeric_limits<T>::min()))
    return std::numeric_limits<T>::min();
  return static_cast<T>(value);
}

float gelu(float x, bool approximateTanh) {
  if (approximateTanh) {
    constexpr float kAlpha = 0.7978845608028654f; // sqrt(2/pi)
    return 0.5f * x * (1.0f + std::tanh(kAlpha * (x + 0.044715f * x * x * x)));
  }
  return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
}

FailureOr<Tensor> castKernel(qc::CastOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  const Tensor &in = *args[0];
  Type element = out.getElementType();
  for (int64_t i = 0, e = in.getNumElements(); i < e; ++i) {
    double v = in.getAsDouble(i);
    if (out.isFloat()) {
      out.floats()[i] = static_cast<float>(v);
      continue;
    }
    auto it = cast<IntegerType>(element);
    if (it.getWidth() == 1) {
      out.ints()[i] = v != 0;
      continue;
    }
    int64_t truncated = in.isFloat() ? static_cast<int64_t>(std::trunc(v))
                                     : in.ints()[i];
    APInt bits(it.getWidth(), truncated, /*isSigned=*/true,
               /*implicitTrunc=*/true);
    out.ints()[i] = it.isUnsigned() ? bits.getZExtValue() : bits.getSExtValue();
  }
  return out;
}

FailureOr<Tensor> whereKernel(qc::WhereOp op, OperandTensors args) {
  Tensor out = makeResult(op);
  std::array<SmallVector<int64_t>, 3> strides;
  for (int t = 0; t < 3; ++t)
    strides[t] = broadcastStrides(args[t]->getShape(), out.getShape());
  ArrayRef<int64_t> cond = args[0]->ints();
  forEachIndex<3>(out.getShape(), strides, [&](int64_t i, auto off) {
    if (cond[off[0]])
      out.copyElement(i, *args[1], off[1]);
    else
      out.copyElement(i, *args[2], off[2]);
  });
  return out;
}
} // namespace

void reference::registerElementwiseKernels(KernelRegistry &r) {
  r.add<qc::SqrtOp>(unary([](float x) { return std::sqrt(x); }));
  r.add<qc::ExpOp>(unary([](float x) { return std::exp(x); }));
  r.add<qc::LogOp>(unary([](float x) { return std::log(x); }));
  r.add<qc::NegOp>(signedUnary([](float x) { return -x; },
                               [](uint64_t x) { return uint64_t(0) - x; }));
  r.add<qc::AbsOp>(signedUnary([](float x) { return std::fabs(x); }, [](uint64_t x) {
    return int64_t(x) < 0 ? uint64_t(0) - x : x;
  }));
  r.add<qc::ReciprocalOp>(unary([](float x) { return 1.0f / x; }));
  r.add<qc::ReluOp>(unary([](float x) { return x > 0 ? x : 0.0f; }));
  r.add<qc::SigmoidOp>(unary([](float x) { return 1.0f / (1.0f + std::exp(-x)); }));
  r.add<qc::TanhOp>(unary([](float x) { return std::tanh(x); }));
  r.add<qc::RoundOp>(unary([](float x) { return std::nearbyint(x); }));
  r.add<qc::ErfOp>(unary([](float x) { return std::erf(x); }));
  r.add<qc::HardSwishOp>(unary([](float x) {
    return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f));
  }));
  r.add<qc::SoftplusOp>(unary([](float x) {
    return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }));
  r.add<qc::CosOp>(unary([](float x) { return std::cos(x); }));
  r.add<qc::SinOp>(unary([](float x) { return std::sin(x); }));
  r.add<qc::NotOp>([](qc::NotOp op, OperandTensors args) -> FailureOr<Tensor> {
    Tensor out = makeResult(op);
    for (auto [o, x] : llvm::zip(out.ints(), args[0]->ints()))
      o = x == 0;
    return out;
  });
  r.add<qc::IdentityOp>([](qc::IdentityOp, OperandTensors args) {
    return FailureOr<Tensor>(*args[0]);
  });
  r.add<qc::LeakyReluOp>([](qc::LeakyReluOp op, OperandTensors args) {
    float alpha = op.getAlpha().convertToFloat();
    return unary([alpha](float x) { return x >= 0 ? x : alpha * x; })(op, args);
  });
  r.add<qc::HardSigmoidOp>([](qc::HardSigmoidOp op, OperandTensors args) {
    float alpha = op.getAlpha().convertToFloat();
    float beta = op.getBeta().convertToFloat();
    return unary([=](float x) {
      return std::max(0.0f, std::min(1.0f, alpha * x + beta));
    })(op, args);
  });
  r.add<qc::GeluOp>([](qc::GeluOp op, OperandTensors args) {
    bool approx = op.getApproximateTanh();
    return unary([approx](float x) { return gelu(x, approx); })(op, args);
  });
  r.add<qc::ClipOp>([](qc::ClipOp op, OperandTensors args) {
    float lo = op.getMin().convertToFloat(), hi = op.getMax().convertToFloat();
    return unary([=](float x) { return std::min(hi, std::max(lo, x)); })(op, args);
  });

  addBinary<qc::AddOp>(r, wrapping([](auto x, auto y) { return x + y; }));
  addBinary<qc::SubOp>(r, wrapping([](auto x, auto y) { return x - y; }));
  addBinary<qc::MulOp>(r, wrapping([](auto x, auto y) { return x * y; }));
  addBinary<qc::DivOp>(r, divide);
  addBinary<qc::PowOp>(r, [](auto x, auto y) {
    using T = decltype(x);
    double power = std::pow(double(x), double(y));
    if constexpr (std::is_integral_v<T>)
      return saturatingCast<T>(power);
    else
      return static_cast<T>(power);
  });
  addBinary<qc::MinOp>(r, [](auto x, auto y) { return std::min(x, y); });
  addBinary<qc::MaxOp>(r, [](auto x, auto y) { return std::max(x, y); });
  addBinary<qc::PReluOp>(r, [](auto x, auto slope) {
    return x >= 0 ? x : slope * x;
  });
  addBinary<qc::EqualOp>(r, [](auto x, auto y) { return x == y; });
  addBinary<qc::LessOp>(r, [](auto x, auto y) { return x < y; });
  addBinary<qc::GreaterOp>(r, [](auto x, auto y) { return x > y; });
  addBinary<qc::LessEqualOp>(r, [](auto x, auto y) { return x <= y; });
  addBinary<qc::GreaterEqualOp>(r, [](auto x, auto y) { return x >= y; });
  addBinary<qc::AndOp>(r, [](auto x, auto y) { return x && y; });
  addBinary<qc::OrOp>(r, [](auto x, auto y) { return x || y; });
  addBinary<qc::XorOp>(r, [](auto x, auto y) { return (x != 0) != (y != 0); });

  r.add<qc::WhereOp>(whereKernel);
  r.add<qc::CastOp>(castKernel);
}
