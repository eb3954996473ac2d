//===- RecurrentImporters.cpp - LSTM, GRU and RNN ---------------*- C++ -*-===//
//
// Recurrent layers import as their cells unrolled over the (static) sequence:
// the input projection of every time step is one gemm with the constant
// weights, and each step is a small gemm with the recurrent weights plus
// element-wise gates. Every piece is an existing qc op, so the evaluator,
// calibration, int8 weights (float gates) and the CPU lowering all apply.
// `sequence_lens` becomes per-step masks: a finished sequence keeps its
// state and outputs zeros, which also gives the reverse direction its
// per-sequence start.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/InterleavedRange.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {
enum class CellKind { LSTM, GRU, RNN };

/// An activation named by the `activations` attribute, with its parameters.
struct Activation {
  std::string name;
  float alpha = 0, beta = 0;
};

/// How many of alpha and beta an activation consumes, and their defaults
/// (those of the ONNX operator of the same name).
struct ActivationParams {
  int count;
  float alpha, beta;
};
std::optional<ActivationParams> getActivationParams(StringRef name) {
  return llvm::StringSwitch<std::optional<ActivationParams>>(name)
      .Cases({"Sigmoid", "Tanh", "Relu", "Softsign", "Softplus"}, ActivationParams{0, 0, 0})
      .Case("LeakyRelu", ActivationParams{1, 0.01f, 0})
      .Case("ThresholdedRelu", ActivationParams{1, 1.0f, 0})
      .Case("Elu", ActivationParams{1, 1.0f, 0})
      .Case("HardSigmoid", ActivationParams{2, 0.2f, 0.5f})
      .Case("ScaledTanh", ActivationParams{2, 1.0f, 1.0f})
      .Case("Affine", ActivationParams{2, 1.0f, 0.0f})
      .Default(std::nullopt);
}

/// The three layer kinds differ in their gate count and activations; the
/// rest of the unrolling is shared.
struct CellSpec {
  CellKind kind;
  int64_t gates;
  ArrayRef<StringRef> defaultActivations;
};

class RecurrentImporter {
public:
  RecurrentImporter(NodeImporter &n, CellSpec spec) : n(n), spec(spec) {}
  LogicalResult import();

private:
  LogicalResult readAttributes();
  LogicalResult checkShapes();
  Value input(unsigned i, ArrayRef<int64_t> shape);
  Value activate(const Activation &act, Value x);
  Value clipped(Value x);
  Value scalar(double v) { return scalarConstant(n, element, v); }
  Value add(Value a, Value b) { return n.create<qc::AddOp>(a, b); }
  Value mul(Value a, Value b) { return n.create<qc::MulOp>(a, b); }
  Value sub(Value a, Value b) { return n.create<qc::SubOp>(a, b); }
  /// a [M, K] times b [N, K] transposed, plus c [N] when given.
  Value gemm(Value a, Value b, Value c = nullptr);
  Value stepMask(int64_t t);
  /// Runs direction `d` over the sequence; returns the outputs per time step
  /// and the final hidden (and cell) state.
  void runDirection(int64_t d, SmallVectorImpl<Value> &outputs, Value &lastH, Value &lastC);
  Value step(int64_t d, Value projected, Value r, Value recurrentBias, Value peephole,
             Value h, Value &c);

  NodeImporter &n;
  CellSpec spec;
  Type element;
  int64_t seqLength = 0, batch = 0, inputSize = 0, hidden = 0, directions = 1;
  bool reverse = false, batchFirst = false, inputForget = false, linearBeforeReset = false;
  std::optional<float> clip;
  SmallVector<Activation> activations;
  Value x, w, r, bias, initialH, initialC, peepholes, sequenceLens;
};

LogicalResult RecurrentImporter::readAttributes() {
  std::string direction = n.getString("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return n.error() << "unsupported direction '" << direction << "'";
  directions = direction == "bidirectional" ? 2 : 1;
  reverse = direction == "reverse";
  batchFirst = n.getInt("layout", 0) != 0;
  inputForget = n.getInt("input_forget", 0) != 0;
  linearBeforeReset = n.getInt("linear_before_reset", 0) != 0;
  if (n.hasAttr("clip"))
    clip = n.getFloat("clip", 0);
  hidden = n.getInt("hidden_size", 0);

  SmallVector<std::string> names = n.getStrings("activations");
  if (names.empty())
    for (int64_t d = 0; d < directions; ++d)
      for (StringRef name : spec.defaultActivations)
        names.push_back(name.str());
  size_t expected = spec.defaultActivations.size() * directions;
  if (names.size() != expected)
    return n.error() << "expected " << expected << " activations, got " << names.size();
  SmallVector<float> alphas = n.getFloats("activation_alpha");
  SmallVector<float> betas = n.getFloats("activation_beta");
  size_t nextAlpha = 0, nextBeta = 0;
  for (const std::string &name : names) {
    std::optional<ActivationParams> params = getActivationParams(name);
    if (!params)
      return n.error() << "unsupported activation '" << name << "'";
    Activation act{name, params->alpha, params->beta};
    if (params->count > 0 && nextAlpha < alphas.size())
      act.alpha = alphas[nextAlpha++];
    if (params->count > 1 && nextBeta < betas.size())
      act.beta = betas[nextBeta++];
    activations.push_back(act);
  }
  return success();
}

/// Input `i` when present, checked against `shape`.
Value RecurrentImporter::input(unsigned i, ArrayRef<int64_t> shape) {
  if (!n.hasInput(i))
    return nullptr;
  RankedTensorType type = n.inputType(i);
  if (type.getShape() != shape) {
    n.error() << "input " << i << " has type " << type << ", expected shape "
              << llvm::interleaved(shape, "x");
    return nullptr;
  }
  return n.input(i);
}

LogicalResult RecurrentImporter::checkShapes() {
  RankedTensorType xType = n.inputType(0), wType = n.inputType(1);
  element = xType.getElementType();
  if (!isa<FloatType>(element) || xType.getRank() != 3 || wType.getRank() != 3)
    return n.error() << "expected float X and W of rank 3, got " << xType << " and " << wType;
  seqLength = xType.getDimSize(batchFirst ? 1 : 0);
  batch = xType.getDimSize(batchFirst ? 0 : 1);
  inputSize = xType.getDimSize(2);
  if (hidden <= 0)
    hidden = wType.getDimSize(1) / spec.gates;
  int64_t gh = spec.gates * hidden;
  if (wType.getShape() != ArrayRef<int64_t>{directions, gh, inputSize})
    return n.error() << "W has type " << wType << ", expected " << directions << "x" << gh
                     << "x" << inputSize;
  x = n.input(0);
  if (batchFirst)
    x = n.create<qc::TransposeOp>(x, i64Array(n, {1, 0, 2}));
  w = n.input(1);
  r = input(2, {directions, gh, hidden});
  if (!r)
    return failure();
  bias = input(3, {directions, 2 * gh});
  if (n.hasInput(4)) {
    RankedTensorType lens = n.inputType(4);
    if (lens.getShape() != ArrayRef<int64_t>{batch} || !lens.getElementType().isInteger())
      return n.error() << "sequence_lens has type " << lens << ", expected " << batch
                       << " integers";
    sequenceLens = n.input(4);
  }
  SmallVector<int64_t> stateShape = batchFirst ? SmallVector<int64_t>{batch, directions, hidden}
                                               : SmallVector<int64_t>{directions, batch, hidden};
  auto stateInput = [&](unsigned i) -> Value {
    Value v = input(i, stateShape);
    return v && batchFirst ? n.create<qc::TransposeOp>(v, i64Array(n, {1, 0, 2})) : v;
  };
  initialH = stateInput(5);
  if (spec.kind == CellKind::LSTM) {
    initialC = stateInput(6);
    peepholes = input(7, {directions, 3 * hidden});
  }
  return success(!n.failedToBuild());
}

Value RecurrentImporter::gemm(Value a, Value b, Value c) {
  return n.create<qc::GemmOp>(a, b, c, f32Attr(n, 1.0f), f32Attr(n, 1.0f),
                              n.builder().getBoolAttr(false), n.builder().getBoolAttr(true),
                              IntegerAttr());
}

Value RecurrentImporter::clipped(Value v) {
  if (!clip)
    return v;
  return n.create<qc::ClipOp>(v, f32Attr(n, -*clip), f32Attr(n, *clip));
}

Value RecurrentImporter::activate(const Activation &act, Value v) {
  StringRef name = act.name;
  FloatAttr alpha = f32Attr(n, act.alpha), beta = f32Attr(n, act.beta);
  if (name == "Sigmoid")
    return n.create<qc::SigmoidOp>(v);
  if (name == "Tanh")
    return n.create<qc::TanhOp>(v);
  if (name == "Relu")
    return n.create<qc::ReluOp>(v);
  if (name == "Softsign")
    return n.create<qc::SoftsignOp>(v);
  if (name == "Softplus")
    return n.create<qc::SoftplusOp>(v);
  if (name == "LeakyRelu")
    return n.create<qc::LeakyReluOp>(v, alpha);
  if (name == "ThresholdedRelu")
    return n.create<qc::ThresholdedReluOp>(v, alpha);
  if (name == "Elu")
    return n.create<qc::EluOp>(v, alpha);
  if (name == "HardSigmoid")
    return n.create<qc::HardSigmoidOp>(v, alpha, beta);
  if (name == "ScaledTanh")
    return mul(scalar(act.alpha), n.create<qc::TanhOp>(mul(scalar(act.beta), v)));
  assert(name == "Affine" && "activations are checked when read");
  return add(mul(scalar(act.alpha), v), scalar(act.beta));
}

/// [B, 1] booleans: whether step `t` is inside each sequence.
Value RecurrentImporter::stepMask(int64_t t) {
  Type lensElement = cast<RankedTensorType>(sequenceLens.getType()).getElementType();
  Value inside = n.create<qc::LessOp>(scalarConstant(n, lensElement, t), sequenceLens);
  return reshapeTo(n, inside, {batch, 1});
}

/// One cell step of direction `d` from state (h, c); returns the new h and
/// updates c (LSTM).
Value RecurrentImporter::step(int64_t d, Value projected, Value rd, Value recurrentBias,
                              Value peephole, Value h, Value &c) {
  ArrayRef<Activation> acts =
      ArrayRef(activations).slice(d * spec.defaultActivations.size(),
                                  spec.defaultActivations.size());
  auto gate = [&](Value v, int64_t g) { return sliceDim(n, v, 1, g * hidden, hidden); };
  switch (spec.kind) {
  case CellKind::RNN:
    return activate(acts[0], clipped(add(projected, gemm(h, rd))));
  case CellKind::GRU: {
    // Gates z, r, h; the recurrent term of h depends on linear_before_reset.
    Value zr = add(sliceDim(n, projected, 1, 0, 2 * hidden),
                   gemm(h, sliceDim(n, rd, 0, 0, 2 * hidden)));
    Value z = activate(acts[0], clipped(gate(zr, 0)));
    Value reset = activate(acts[0], clipped(gate(zr, 1)));
    Value rh = sliceDim(n, rd, 0, 2 * hidden, hidden);
    Value recurrent = linearBeforeReset ? mul(reset, gemm(h, rh, recurrentBias))
                                        : gemm(mul(reset, h), rh);
    Value candidate = activate(acts[1], clipped(add(gate(projected, 2), recurrent)));
    // (1 - z) * candidate + z * h
    return add(mul(sub(scalar(1), z), candidate), mul(z, h));
  }
  case CellKind::LSTM: {
    // Gates i, o, f, c (ONNX order); peepholes P = [Pi, Po, Pf].
    Value gates = add(projected, gemm(h, rd));
    Value i = gate(gates, 0), o = gate(gates, 1), f = gate(gates, 2), g = gate(gates, 3);
    auto peep = [&](Value v, int64_t k, Value state) {
      return peephole ? add(v, mul(sliceDim(n, peephole, 0, k * hidden, hidden), state)) : v;
    };
    i = activate(acts[0], clipped(peep(i, 0, c)));
    f = inputForget ? sub(scalar(1), i) : activate(acts[0], clipped(peep(f, 2, c)));
    c = add(mul(f, c), mul(i, activate(acts[1], clipped(g))));
    o = activate(acts[0], clipped(peep(o, 1, c)));
    return mul(o, activate(acts[2], c));
  }
  }
  llvm_unreachable("cell kinds are covered");
}

void RecurrentImporter::runDirection(int64_t d, SmallVectorImpl<Value> &outputs,
                                     Value &lastH, Value &lastC) {
  int64_t gh = spec.gates * hidden;
  Value wd = reshapeTo(n, sliceDim(n, w, 0, d, 1), {gh, inputSize});
  Value rd = reshapeTo(n, sliceDim(n, r, 0, d, 1), {gh, hidden});
  // Every bias joins the input projection, except the recurrent bias of a
  // GRU's h gate with linear_before_reset (it is inside the reset product).
  Value projectionBias, recurrentBias;
  if (bias) {
    Value b = reshapeTo(n, sliceDim(n, bias, 0, d, 1), {2 * gh});
    Value wb = sliceDim(n, b, 0, 0, gh), rb = sliceDim(n, b, 0, gh, gh);
    if (spec.kind == CellKind::GRU && linearBeforeReset) {
      recurrentBias = sliceDim(n, rb, 0, 2 * hidden, hidden);
      Value none = n.constant(reference::Tensor(element, {hidden}));
      rb = n.create<qc::ConcatOp>(ValueRange{sliceDim(n, rb, 0, 0, 2 * hidden), none},
                                  i64Attr(n, 0));
    }
    projectionBias = add(wb, rb);
  }
  Value flat = reshapeTo(n, x, {seqLength * batch, inputSize});
  Value projected = reshapeTo(n, gemm(flat, wd, projectionBias), {seqLength, batch, gh});
  Value peephole =
      peepholes ? reshapeTo(n, sliceDim(n, peepholes, 0, d, 1), {3 * hidden}) : nullptr;

  Value zeros = n.constant(reference::Tensor(element, {batch, hidden}));
  auto initial = [&](Value state) {
    return state ? reshapeTo(n, sliceDim(n, state, 0, d, 1), {batch, hidden}) : zeros;
  };
  Value h = initial(initialH);
  Value c = spec.kind == CellKind::LSTM ? initial(initialC) : nullptr;
  outputs.assign(seqLength, nullptr);
  bool backwards = reverse || d == 1;
  for (int64_t k = 0; k < seqLength; ++k) {
    int64_t t = backwards ? seqLength - 1 - k : k;
    Value xt = reshapeTo(n, sliceDim(n, projected, 0, t, 1), {batch, gh});
    Value newC = c;
    Value newH = step(d, xt, rd, recurrentBias, peephole, h, newC);
    if (sequenceLens) {
      Value mask = stepMask(t);
      outputs[t] = n.create<qc::WhereOp>(mask, newH, zeros);
      h = n.create<qc::WhereOp>(mask, newH, h);
      if (c)
        c = n.create<qc::WhereOp>(mask, newC, c);
    } else {
      outputs[t] = h = newH;
      c = newC;
    }
  }
  lastH = h;
  lastC = c;
}

LogicalResult RecurrentImporter::import() {
  if (failed(readAttributes()) || failed(checkShapes()))
    return failure();
  SmallVector<Value> ys, hs, cs;
  for (int64_t d = 0; d < directions; ++d) {
    SmallVector<Value> steps;
    Value lastH, lastC;
    runDirection(d, steps, lastH, lastC);
    if (n.failedToBuild())
      return failure();
    for (Value &s : steps)
      s = reshapeTo(n, s, {1, 1, batch, hidden});
    ys.push_back(n.create<qc::ConcatOp>(steps, i64Attr(n, 0)));
    hs.push_back(reshapeTo(n, lastH, {1, batch, hidden}));
    if (lastC)
      cs.push_back(reshapeTo(n, lastC, {1, batch, hidden}));
  }
  // Y [T, D, B, H] and states [D, B, H]; batch first with layout = 1.
  Value y = n.create<qc::ConcatOp>(ys, i64Attr(n, 1));
  Value yh = n.create<qc::ConcatOp>(hs, i64Attr(n, 0));
  Value yc = cs.empty() ? nullptr : n.create<qc::ConcatOp>(cs, i64Attr(n, 0));
  if (batchFirst) {
    y = n.create<qc::TransposeOp>(y, i64Array(n, {2, 0, 1, 3}));
    yh = n.create<qc::TransposeOp>(yh, i64Array(n, {1, 0, 2}));
    if (yc)
      yc = n.create<qc::TransposeOp>(yc, i64Array(n, {1, 0, 2}));
  }
  n.setOutput(0, y);
  n.setOutput(1, yh);
  if (yc)
    n.setOutput(2, yc);
  return success(!n.failedToBuild());
}

constexpr StringRef kLSTMActivations[] = {"Sigmoid", "Tanh", "Tanh"};
constexpr StringRef kGRUActivations[] = {"Sigmoid", "Tanh"};
constexpr StringRef kRNNActivations[] = {"Tanh"};

LogicalResult importLSTM(NodeImporter &n) {
  return RecurrentImporter(n, {CellKind::LSTM, 4, kLSTMActivations}).import();
}
LogicalResult importGRU(NodeImporter &n) {
  return RecurrentImporter(n, {CellKind::GRU, 3, kGRUActivations}).import();
}
LogicalResult importRNN(NodeImporter &n) {
  return RecurrentImporter(n, {CellKind::RNN, 1, kRNNActivations}).import();
}
} // namespace

void onnx_import::addRecurrentImporters(llvm::StringMap<OpImporter> &t) {
  t["LSTM"] = {importLSTM, 3, /*firstOpset=*/7};
  t["GRU"] = {importGRU, 3, /*firstOpset=*/7};
  t["RNN"] = {importRNN, 3, /*firstOpset=*/7};
}
