//===- ControlFlowImporters.cpp - If, Loop and Scan -------------*- C++ -*-===//
//
// Control flow resolves at import, where shapes are static:
//  - `If` with a condition known at import (shape checks, folded constants)
//    imports the branch taken; with a run-time condition both branches are
//    imported and their outputs selected element-wise, which needs branches
//    whose outputs agree in type (graphs are free of side effects).
//  - `Loop` and `Scan` unroll: the body is imported once per iteration with
//    its carried values, so trip counts and loop conditions must be known at
//    import. Every iteration's ops are ordinary qc ops, which calibration,
//    quantization and code generation handle like any others.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"
#include "quantc/Reference/Evaluator.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using reference::Tensor;

namespace {
/// Iterations beyond which unrolling is refused (each copies the body).
constexpr int64_t kMaxUnrolledIterations = 4096;

/// The value of a one-element constant, if `v` is one.
std::optional<int64_t> constantScalar(Value v) {
  std::optional<Tensor> t = v ? reference::getConstantValue(v) : std::nullopt;
  if (!t || t->getNumElements() != 1)
    return std::nullopt;
  return static_cast<int64_t>(t->getAsDouble(0));
}

/// Stacks same-typed values along a new dimension `axis`.
Value stack(NodeImporter &n, ArrayRef<Value> values, int64_t axis) {
  SmallVector<Value> expanded;
  for (Value v : values) {
    SmallVector<int64_t> shape(cast<RankedTensorType>(v.getType()).getShape());
    shape.insert(shape.begin() + axis, 1);
    expanded.push_back(reshapeTo(n, v, shape));
  }
  return n.create<qc::ConcatOp>(expanded, i64Attr(n, axis));
}

const onnx::GraphProto *requireGraph(NodeImporter &n, StringRef name) {
  const onnx::GraphProto *graph = n.getGraphAttr(name);
  if (!graph)
    n.error() << "missing graph attribute '" << name << "'";
  return graph;
}

LogicalResult importIf(NodeImporter &n) {
  const onnx::GraphProto *thenBranch = requireGraph(n, "then_branch");
  const onnx::GraphProto *elseBranch = requireGraph(n, "else_branch");
  if (!thenBranch || !elseBranch)
    return failure();
  if (n.inputType(0).getNumElements() != 1)
    return n.error() << "the condition must hold one element, got " << n.inputType(0);
  auto bindOutputs = [&](ArrayRef<Value> outputs) -> LogicalResult {
    if (outputs.size() != n.numOutputs())
      return n.error() << "a branch has " << outputs.size() << " outputs, the node "
                       << n.numOutputs();
    for (auto [i, v] : llvm::enumerate(outputs))
      n.setOutput(i, v);
    return success();
  };
  SmallVector<Value> thenOutputs, elseOutputs;
  if (std::optional<int64_t> taken = constantScalar(n.input(0))) {
    if (failed(n.importSubgraph(*taken ? *thenBranch : *elseBranch, {}, thenOutputs)))
      return failure();
    return bindOutputs(thenOutputs);
  }
  if (failed(n.importSubgraph(*thenBranch, {}, thenOutputs)) ||
      failed(n.importSubgraph(*elseBranch, {}, elseOutputs)))
    return n.error() << "the condition is known only at run time, so both branches must "
                        "import (bind the inputs it depends on to make it a constant)";
  if (thenOutputs.size() != elseOutputs.size())
    return n.error() << "the branches have " << thenOutputs.size() << " and "
                     << elseOutputs.size() << " outputs";
  Value condition = reshapeTo(n, n.input(0), {});
  SmallVector<Value> selected;
  for (auto [i, t, e] : llvm::enumerate(thenOutputs, elseOutputs)) {
    if (t.getType() != e.getType())
      return n.error() << "output " << i << " is " << t.getType() << " in then_branch and "
                       << e.getType() << " in else_branch: a condition known only at run "
                       << "time needs branches of one type";
    selected.push_back(n.create<qc::WhereOp>(condition, t, e));
  }
  return bindOutputs(selected);
}

LogicalResult importLoop(NodeImporter &n) {
  const onnx::GraphProto *body = requireGraph(n, "body");
  if (!body)
    return failure();
  // Loops unroll: the trip count and the first condition must be known.
  auto scalarInput = [&](unsigned i) -> std::optional<int64_t> {
    FailureOr<Tensor> t = n.constantInput(i);
    if (failed(t))
      return std::nullopt;
    if (t->getNumElements() != 1) {
      n.error() << "input " << i << " must hold one value";
      return std::nullopt;
    }
    return static_cast<int64_t>(t->getAsDouble(0));
  };
  std::optional<int64_t> tripCount;
  if (n.hasInput(0) && !(tripCount = scalarInput(0)))
    return failure();
  bool hasCondition = n.hasInput(1);
  std::optional<int64_t> running = 1;
  if (hasCondition && !(running = scalarInput(1)))
    return failure();
  SmallVector<Value> carried;
  for (unsigned i = 2; i < n.numInputs(); ++i)
    carried.push_back(n.input(i));
  int64_t numScans = body->output_size() - 1 - static_cast<int64_t>(carried.size());
  if (numScans < 0)
    return n.error() << "the body has " << body->output_size() << " outputs, expected at least "
                     << carried.size() + 1;
  SmallVector<SmallVector<Value>> scans(numScans);
  Type i64 = n.builder().getI64Type(), i1 = n.builder().getI1Type();
  for (int64_t iteration = 0; (!tripCount || iteration < *tripCount) && *running; ++iteration) {
    if (iteration == kMaxUnrolledIterations)
      return n.error() << "more than " << kMaxUnrolledIterations
                       << " iterations: loops unroll at import";
    SmallVector<Value> inputs{scalarConstant(n, i64, iteration), scalarConstant(n, i1, 1)};
    inputs.append(carried);
    SmallVector<Value> outputs;
    if (failed(n.importSubgraph(*body, inputs, outputs)))
      return failure();
    // Without a condition input the loop is a for loop: the body's
    // condition output is not read.
    if (hasCondition && !(running = constantScalar(outputs[0])))
      return n.error() << "the loop condition depends on run-time values (loops unroll "
                          "at import)";
    carried.assign(outputs.begin() + 1, outputs.begin() + 1 + carried.size());
    for (int64_t k = 0; k < numScans; ++k)
      scans[k].push_back(outputs[1 + carried.size() + k]);
  }
  for (auto [i, v] : llvm::enumerate(carried))
    n.setOutput(i, v);
  for (auto [k, values] : llvm::enumerate(scans)) {
    if (values.empty())
      return n.error() << "the loop runs no iteration, so scan output " << k
                       << " has no shape";
    n.setOutput(carried.size() + k, stack(n, values, 0));
  }
  return success();
}

/// A list attribute of `count` axes or directions, zeros by default.
FailureOr<SmallVector<int64_t>> getPerTensor(NodeImporter &n, StringRef name, int64_t count) {
  SmallVector<int64_t> values = n.getInts(name, SmallVector<int64_t>(count, 0));
  if (static_cast<int64_t>(values.size()) != count) {
    n.error() << name << " has " << values.size() << " entries, expected " << count;
    return failure();
  }
  return values;
}

LogicalResult importScan(NodeImporter &n) {
  if (n.opset() < 9)
    return n.error() << "Scan before opset 9 (with a batch dimension) is not supported";
  const onnx::GraphProto *body = requireGraph(n, "body");
  FailureOr<SmallVector<Value>> inputs = n.variadicInputs();
  if (!body || failed(inputs))
    return failure();
  int64_t numScanInputs = n.getInt("num_scan_inputs", 0);
  int64_t numStates = static_cast<int64_t>(inputs->size()) - numScanInputs;
  int64_t numScanOutputs = body->output_size() - numStates;
  if (numScanInputs < 1 || numStates < 0 || numScanOutputs < 0)
    return n.error() << "num_scan_inputs " << numScanInputs << " does not fit "
                     << inputs->size() << " inputs and " << body->output_size()
                     << " body outputs";
  auto inAxes = getPerTensor(n, "scan_input_axes", numScanInputs);
  auto inDirections = getPerTensor(n, "scan_input_directions", numScanInputs);
  auto outAxes = getPerTensor(n, "scan_output_axes", numScanOutputs);
  auto outDirections = getPerTensor(n, "scan_output_directions", numScanOutputs);
  if (failed(inAxes) || failed(inDirections) || failed(outAxes) || failed(outDirections))
    return failure();
  ArrayRef<Value> scanInputs = ArrayRef(*inputs).drop_front(numStates);
  int64_t length = -1;
  for (auto [j, v] : llvm::enumerate(scanInputs)) {
    auto type = cast<RankedTensorType>(v.getType());
    FailureOr<int64_t> axis = n.normalizeAxis((*inAxes)[j], type.getRank());
    if (failed(axis))
      return failure();
    (*inAxes)[j] = *axis;
    if (length >= 0 && type.getDimSize(*axis) != length)
      return n.error() << "scan input " << j << " has " << type.getDimSize(*axis)
                       << " steps, another has " << length;
    length = type.getDimSize(*axis);
  }
  if (length > kMaxUnrolledIterations)
    return n.error() << length << " scan steps: more than " << kMaxUnrolledIterations
                     << " (scans unroll at import)";

  SmallVector<Value> states(inputs->begin(), inputs->begin() + numStates);
  SmallVector<SmallVector<Value>> scans(numScanOutputs);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<Value> bodyInputs(states);
    for (auto [j, v] : llvm::enumerate(scanInputs)) {
      int64_t axis = (*inAxes)[j];
      int64_t index = (*inDirections)[j] ? length - 1 - t : t;
      SmallVector<int64_t> shape(cast<RankedTensorType>(v.getType()).getShape());
      shape.erase(shape.begin() + axis);
      bodyInputs.push_back(reshapeTo(n, sliceDim(n, v, axis, index, 1), shape));
    }
    SmallVector<Value> outputs;
    if (failed(n.importSubgraph(*body, bodyInputs, outputs)))
      return failure();
    states.assign(outputs.begin(), outputs.begin() + numStates);
    for (int64_t k = 0; k < numScanOutputs; ++k)
      scans[k].push_back(outputs[numStates + k]);
  }
  for (auto [i, v] : llvm::enumerate(states))
    n.setOutput(i, v);
  for (auto [k, values] : llvm::enumerate(scans)) {
    if (values.empty())
      return n.error() << "the scan has no steps, so scan output " << k << " has no shape";
    if ((*outDirections)[k])
      std::reverse(values.begin(), values.end());
    int64_t rank = cast<RankedTensorType>(values.front().getType()).getRank();
    FailureOr<int64_t> axis = n.normalizeAxis((*outAxes)[k], rank + 1);
    if (failed(axis))
      return failure();
    n.setOutput(numStates + k, stack(n, values, *axis));
  }
  return success();
}
} // namespace

void onnx_import::addControlFlowImporters(llvm::StringMap<OpImporter> &t) {
  t["If"] = {importIf, 1};
  t["Loop"] = {importLoop, 0};
  t["Scan"] = {importScan, 1};
}
