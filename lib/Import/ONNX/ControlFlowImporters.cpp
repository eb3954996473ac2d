//===- ControlFlowImporters.cpp - If, Loop and Scan -------------*- C++ -*-===//
//
// Control flow resolves at import where it can, and becomes structured
// control flow where it cannot:
//  - `If` with a condition known at import (shape checks, folded constants)
//    imports the branch taken; with a run-time condition it becomes an
//    `scf.if` whose regions hold the branches, which must agree in type.
//  - `Loop` with a trip count and condition known at import, and `Scan`,
//    unroll: the body is imported once per iteration with its carried
//    values, so constant computations fold and carried values may change
//    shape. A loop whose trip count or condition is known only at run time
//    becomes an `scf.while` over (iteration, condition, carried values);
//    its carried values keep their types, and a value of its body is one
//    value for calibration and quantization, whatever the iteration.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"
#include "quantc/Reference/Evaluator.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

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

/// A scalar i1 for scf.if or scf.condition from a one-element bool tensor.
Value extractCondition(NodeImporter &n, Value condition) {
  return tensor::ExtractOp::create(n.builder(), n.loc(), reshapeTo(n, condition, {}),
                                   ValueRange{});
}

/// Imports `graph` into `block` with its arguments as the graph's inputs,
/// ended by an scf.yield of its outputs, which are returned.
FailureOr<SmallVector<Value>> importRegion(NodeImporter &n, const onnx::GraphProto &graph,
                                           Block *block) {
  OpBuilder::InsertionGuard guard(n.builder());
  n.builder().setInsertionPointToEnd(block);
  SmallVector<Value> outputs;
  if (failed(n.importSubgraph(graph, block->getArguments(), outputs)))
    return failure();
  scf::YieldOp::create(n.builder(), n.loc(), outputs);
  return outputs;
}

/// `If` on a run-time condition: an scf.if with each branch in its region.
FailureOr<scf::IfOp> buildIf(NodeImporter &n, const onnx::GraphProto &thenBranch,
                             const onnx::GraphProto &elseBranch) {
  if (!n.inputType(0).getElementType().isInteger(1))
    return n.error() << "the condition must be bool, got " << n.inputType(0);
  OpBuilder &b = n.builder();
  Value condition = extractCondition(n, n.input(0));
  // The result types are the branches' output types, known once imported:
  // the branches go into blocks of their own first.
  auto thenBlock = std::make_unique<Block>(), elseBlock = std::make_unique<Block>();
  FailureOr<SmallVector<Value>> thenOutputs = importRegion(n, thenBranch, thenBlock.get());
  FailureOr<SmallVector<Value>> elseOutputs = failure();
  if (succeeded(thenOutputs))
    elseOutputs = importRegion(n, elseBranch, elseBlock.get());
  if (failed(elseOutputs))
    return n.error() << "the condition is known only at run time, so both branches must "
                        "import with these shapes (bind the inputs it depends on with "
                        "--bind-inputs to import only the branch taken)";
  if (thenOutputs->size() != elseOutputs->size())
    return n.error() << "the branches have " << thenOutputs->size() << " and "
                     << elseOutputs->size() << " outputs";
  for (auto [i, t, e] : llvm::enumerate(*thenOutputs, *elseOutputs))
    if (t.getType() != e.getType())
      return n.error() << "output " << i << " is " << t.getType() << " in then_branch and "
                       << e.getType() << " in else_branch: a condition known only at run "
                       << "time needs branches of one type";
  auto ifOp = scf::IfOp::create(b, n.loc(), ValueRange(*thenOutputs).getTypes(), condition,
                                /*withElseRegion=*/true);
  for (auto [region, block] : {std::pair(&ifOp.getThenRegion(), &thenBlock),
                               std::pair(&ifOp.getElseRegion(), &elseBlock)}) {
    region->getBlocks().clear();
    region->push_back(block->release());
  }
  return ifOp;
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
  FailureOr<scf::IfOp> branches = buildIf(n, *thenBranch, *elseBranch);
  if (failed(branches))
    return failure();
  return bindOutputs(SmallVector<Value>(branches->getResults()));
}

/// The value of one-element input `i` when it is known at import; nullopt
/// when it is known only at run time.
FailureOr<std::optional<int64_t>> knownScalarInput(NodeImporter &n, unsigned i) {
  if (n.inputType(i).getNumElements() != 1)
    return n.error() << "input " << i << " must hold one value, got " << n.inputType(i);
  return constantScalar(n.input(i));
}

/// `Loop` whose trip count or condition is known only at run time: an
/// scf.while carrying the iteration number, the condition and the loop's
/// values. The before region tests the condition (and the trip count), the
/// after region holds the body and counts the iteration.
LogicalResult buildWhileLoop(NodeImporter &n, const onnx::GraphProto &body,
                             ArrayRef<Value> carried) {
  int64_t numScans = body.output_size() - 1 - static_cast<int64_t>(carried.size());
  if (numScans > 0)
    return n.error() << "the loop has scan outputs, whose length would be known only at run "
                        "time: bind the inputs its trip count and condition depend on";
  OpBuilder &b = n.builder();
  Location loc = n.loc();
  Type i64 = b.getI64Type(), i1 = b.getI1Type();
  Value limit = n.hasInput(0) ? reshapeTo(n, n.input(0), {}) : nullptr;
  SmallVector<Value> inits{scalarConstant(n, i64, 0),
                           n.hasInput(1) ? reshapeTo(n, n.input(1), {})
                                         : scalarConstant(n, i1, 1)};
  if (limit && !cast<RankedTensorType>(limit.getType()).getElementType().isInteger(64))
    return n.error() << "the trip count must be int64";
  if (!cast<RankedTensorType>(inits[1].getType()).getElementType().isInteger(1))
    return n.error() << "the condition must be bool";
  llvm::append_range(inits, carried);

  // The builder makes both blocks, with the carried values' types.
  auto loop = scf::WhileOp::create(b, loc, ValueRange(inits).getTypes(), inits, nullptr,
                                   nullptr);
  OpBuilder::InsertionGuard guard(b);
  Block *before = loop.getBeforeBody();
  b.setInsertionPointToEnd(before);
  Value running = before->getArgument(1);
  if (limit)
    running = n.create<qc::AndOp>(running,
                                  n.create<qc::LessOp>(before->getArgument(0), limit));
  scf::ConditionOp::create(b, loc, extractCondition(n, running), before->getArguments());

  Block *after = loop.getAfterBody();
  b.setInsertionPointToEnd(after);
  SmallVector<Value> outputs;
  if (failed(n.importSubgraph(body, after->getArguments(), outputs)))
    return failure();
  if (outputs.size() != inits.size() - 1)
    return n.error() << "the body has " << outputs.size() << " outputs, expected "
                     << inits.size() - 1;
  for (auto [i, next, value] : llvm::enumerate(ArrayRef(outputs).drop_front(), carried))
    if (next.getType() != value.getType())
      return n.error() << "loop-carried value " << i << " changes from " << value.getType()
                       << " to " << next.getType() << " in an iteration; only loops with "
                       << "a trip count known at import (which unroll) may do so";
  // Without a condition input the loop is a for loop: the body's condition
  // output is not read.
  SmallVector<Value> next{n.create<qc::AddOp>(after->getArgument(0), scalarConstant(n, i64, 1)),
                          n.hasInput(1) ? reshapeTo(n, outputs[0], {}) : after->getArgument(1)};
  llvm::append_range(next, ArrayRef(outputs).drop_front());
  if (n.failedToBuild())
    return failure();
  scf::YieldOp::create(b, loc, next);
  for (auto [i, result] : llvm::enumerate(loop.getResults().drop_front(2)))
    n.setOutput(i, result);
  return success();
}

/// Erases the ops of `block` after `last` (all of them when null), newest
/// first: what a failed attempt to unroll left.
void eraseOpsAfter(Block *block, Operation *last) {
  while (!block->empty() && &block->back() != last)
    block->back().erase();
}

/// Unrolls `Loop` whose trip count and first condition are known. Returns
/// false (having erased what it built) when the condition turns out to
/// depend on run-time values, so that the caller builds a loop instead.
FailureOr<bool> unrollLoop(NodeImporter &n, const onnx::GraphProto &body,
                           std::optional<int64_t> tripCount, int64_t running,
                           SmallVector<Value> carried) {
  int64_t numScans = body.output_size() - 1 - static_cast<int64_t>(carried.size());
  if (numScans < 0)
    return n.error() << "the body has " << body.output_size() << " outputs, expected at least "
                     << carried.size() + 1;
  Block *block = n.builder().getInsertionBlock();
  Operation *last = block->empty() ? nullptr : &block->back();
  SmallVector<SmallVector<Value>> scans(numScans);
  Type i64 = n.builder().getI64Type(), i1 = n.builder().getI1Type();
  bool hasCondition = n.hasInput(1);
  for (int64_t iteration = 0; (!tripCount || iteration < *tripCount) && running; ++iteration) {
    if (iteration == kMaxUnrolledIterations) {
      eraseOpsAfter(block, last);
      return false;
    }
    SmallVector<Value> inputs{scalarConstant(n, i64, iteration), scalarConstant(n, i1, 1)};
    inputs.append(carried);
    SmallVector<Value> outputs;
    if (failed(n.importSubgraph(body, inputs, outputs)))
      return failure();
    // Without a condition input the loop is a for loop: the body's condition
    // output is not read.
    if (hasCondition) {
      std::optional<int64_t> next = constantScalar(outputs[0]);
      if (!next) {
        eraseOpsAfter(block, last);
        return false;
      }
      running = *next;
    }
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
  return true;
}

LogicalResult importLoop(NodeImporter &n) {
  const onnx::GraphProto *body = requireGraph(n, "body");
  if (!body)
    return failure();
  std::optional<int64_t> tripCount, running = 1;
  bool known = true;
  for (auto [i, value] : {std::pair(0u, &tripCount), std::pair(1u, &running)}) {
    if (!n.hasInput(i))
      continue;
    FailureOr<std::optional<int64_t>> scalar = knownScalarInput(n, i);
    if (failed(scalar))
      return failure();
    *value = *scalar;
    known &= scalar->has_value();
  }
  SmallVector<Value> carried;
  for (unsigned i = 2; i < n.numInputs(); ++i)
    carried.push_back(n.input(i));
  if (known) {
    FailureOr<bool> unrolled = unrollLoop(n, *body, tripCount, *running, carried);
    if (failed(unrolled) || *unrolled)
      return unrolled;
  }
  return buildWhileLoop(n, *body, carried);
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
