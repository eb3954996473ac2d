//===- ControlFlowImporters.cpp - If, Loop and Scan -------------*- C++ -*-===//
//
// Control flow resolves at import where it can, and becomes structured
// control flow where it cannot:
//  - `If` with a condition known at import (shape checks, folded constants)
//    imports the branch taken; with a run-time condition it becomes an
//    `scf.if` whose regions hold the branches, which must agree in type.
//  - `Loop` and `Scan` become an `scf.while` over (iteration, condition,
//    carried values, stacked scan outputs) holding the body once, so that
//    a value of the body is one value for calibration and quantization,
//    whatever the iteration. Where the iterations are known at import the
//    loop is first unrolled (the body imported once per iteration): when
//    that folds it to constants (shape computations), or its carried
//    values change shape from one iteration to the next, it stays
//    unrolled.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"
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

/// A branch that does not import with the model's shapes: qc.fail, then
/// zeros of the other branch's output types (never read).
void buildFailingBranch(NodeImporter &n, Block *block, StringRef message, TypeRange types) {
  OpBuilder &b = n.builder();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(block);
  qc::FailOp::create(b, n.loc(), message);
  SmallVector<Value> zeros;
  for (Type type : types) {
    auto tensorType = cast<RankedTensorType>(type);
    zeros.push_back(qc::ConstantOp::create(
        b, n.loc(),
        DenseElementsAttr::get(tensorType, b.getZeroAttr(tensorType.getElementType()))));
  }
  scf::YieldOp::create(b, n.loc(), zeros);
}

/// `If` on a run-time condition: an scf.if with each branch in its region.
/// A branch that does not import with the model's shapes (it would fail in
/// ONNX Runtime too, if taken) becomes a run-time failure, with a warning.
FailureOr<scf::IfOp> buildIf(NodeImporter &n, const onnx::GraphProto &thenBranch,
                             const onnx::GraphProto &elseBranch) {
  if (!n.inputType(0).getElementType().isInteger(1))
    return n.error() << "the condition must be bool, got " << n.inputType(0);
  OpBuilder &b = n.builder();
  Value condition = extractCondition(n, n.input(0));
  // The result types are the branches' output types, known once imported:
  // the branches go into blocks of their own first.
  struct Branch {
    StringRef name;
    const onnx::GraphProto &graph;
    std::unique_ptr<Block> block = std::make_unique<Block>();
    SmallVector<Value> outputs;
    std::string error;
  };
  std::array<Branch, 2> branches{Branch{"then_branch", thenBranch},
                                 Branch{"else_branch", elseBranch}};
  for (Branch &branch : branches)
    if (failed(n.attempt(
            [&]() -> LogicalResult {
              FailureOr<SmallVector<Value>> outputs = importRegion(n, branch.graph,
                                                                   branch.block.get());
              if (failed(outputs))
                return failure();
              branch.outputs = std::move(*outputs);
              return success();
            },
            &branch.error)))
      branch.block = std::make_unique<Block>();
  auto &[thenB, elseB] = branches;
  if (!thenB.error.empty() && !elseB.error.empty())
    return n.error() << "neither branch imports with these shapes (then_branch: "
                     << thenB.error << "; else_branch: " << elseB.error << ")";
  for (auto [broken, other] : {std::pair(&thenB, &elseB), std::pair(&elseB, &thenB)}) {
    if (broken->error.empty())
      continue;
    std::string message = (broken->name + " of '" + qc::getNodeName(n.loc()) +
                           "' cannot run with these input shapes: " + broken->error)
                              .str();
    emitWarning(n.loc()) << message << "; the model fails at run time if it is taken";
    buildFailingBranch(n, broken->block.get(), message,
                       ValueRange(other->outputs).getTypes());
    broken->outputs = other->outputs;
  }
  if (thenB.outputs.size() != elseB.outputs.size())
    return n.error() << "the branches have " << thenB.outputs.size() << " and "
                     << elseB.outputs.size() << " outputs";
  for (auto [i, t, e] : llvm::enumerate(thenB.outputs, elseB.outputs))
    if (t.getType() != e.getType())
      return n.error() << "output " << i << " is " << t.getType() << " in then_branch and "
                       << e.getType() << " in else_branch: a condition known only at run "
                       << "time needs branches of one type";
  auto ifOp = scf::IfOp::create(b, n.loc(), ValueRange(thenB.outputs).getTypes(), condition,
                                /*withElseRegion=*/true);
  for (auto [region, branch] : {std::pair(&ifOp.getThenRegion(), &thenB),
                                std::pair(&ifOp.getElseRegion(), &elseB)}) {
    region->getBlocks().clear();
    region->push_back(branch->block.release());
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
  if (std::optional<int64_t> taken = constantScalar(n.input(0))) {
    SmallVector<Value> outputs;
    if (failed(n.importSubgraph(*taken ? *thenBranch : *elseBranch, {}, outputs)))
      return failure();
    return bindOutputs(outputs);
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

/// A Loop or Scan node as a loop over its body: what the body reads and
/// returns, and how the iterations go.
struct LoopForm {
  const onnx::GraphProto *body = nullptr;
  /// Scan's body takes (states, elements) and returns (states, scans);
  /// Loop's takes (iteration, condition, states) and returns (condition,
  /// states, scans).
  bool isScan = false;
  /// Loop with a condition input: the body's first output decides whether
  /// the next iteration runs.
  bool readsCondition = false;
  /// The iterations: an upper bound (null for none) and the first
  /// condition (null for true); rank 0 or one-element tensors.
  Value tripCount, firstCondition;
  SmallVector<Value> states;
  /// Scan's inputs, each sliced along its axis, last slice first where
  /// reversed.
  SmallVector<Value> scanInputs;
  SmallVector<int64_t> inAxes, inReversed;
  /// Scan outputs: stacked along their axis, reversed where asked.
  int64_t numScanOutputs = 0;
  SmallVector<int64_t> outAxes, outReversed;
  /// The number of iterations where known (scan outputs need it).
  std::optional<int64_t> length;

  size_t bodyOutputOffset() const { return isScan ? 0 : 1; }
};

/// The slot of iteration `iteration` (rank-0 i64) counting from the end
/// when `reversed`.
Value slotOf(NodeImporter &n, Value iteration, int64_t length, bool reversed) {
  if (!reversed)
    return iteration;
  Value last = scalarConstant(n, n.builder().getI64Type(), length - 1);
  return n.create<qc::SubOp>(last, iteration);
}

/// Moves the leading (stacking) dimension of `v` to `axis`.
Value moveLeadingDimTo(NodeImporter &n, Value v, int64_t axis) {
  if (axis == 0)
    return v;
  int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
  SmallVector<int64_t> perm;
  for (int64_t d = 1; d <= axis; ++d)
    perm.push_back(d);
  perm.push_back(0);
  for (int64_t d = axis + 1; d < rank; ++d)
    perm.push_back(d);
  return transposeTo(n, v, perm);
}

/// Imports the body of `form` into `after`, whose first arguments are the
/// iteration, the condition and the states; appends an argument per scan
/// output (its stack) and returns the values the after region yields, and
/// the stacks' types.
FailureOr<SmallVector<Value>> importLoopBody(NodeImporter &n, const LoopForm &form,
                                             Block *after,
                                             SmallVectorImpl<RankedTensorType> &stackTypes) {
  OpBuilder &b = n.builder();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(after);
  Value iteration = after->getArgument(0), condition = after->getArgument(1);
  SmallVector<Value> inputs;
  ValueRange stateArgs = after->getArguments().drop_front(2);
  if (form.isScan) {
    inputs.append(stateArgs.begin(), stateArgs.end());
    for (auto [j, input] : llvm::enumerate(form.scanInputs))
      inputs.push_back(n.create<qc::GatherOp>(
          input, slotOf(n, iteration, *form.length, form.inReversed[j]),
          i64Attr(n, form.inAxes[j])));
  } else {
    inputs = {iteration, condition};
    inputs.append(stateArgs.begin(), stateArgs.end());
  }
  SmallVector<Value> outputs;
  if (n.failedToBuild() || failed(n.importSubgraph(*form.body, inputs, outputs)))
    return failure();
  size_t offset = form.bodyOutputOffset();
  if (outputs.size() != offset + form.states.size() + form.numScanOutputs)
    return n.error() << "the body has " << outputs.size() << " outputs, expected "
                     << offset + form.states.size() + form.numScanOutputs;
  ArrayRef<Value> nextStates = ArrayRef(outputs).slice(offset, form.states.size());
  ArrayRef<Value> scans = ArrayRef(outputs).drop_front(offset + form.states.size());
  for (auto [i, next, state] : llvm::enumerate(nextStates, form.states))
    if (next.getType() != state.getType())
      return n.error() << "loop-carried value " << i << " changes from " << state.getType()
                       << " to " << next.getType() << " in an iteration; only loops with "
                       << "a trip count known at import (which unroll) may do so";
  if (!scans.empty() && !form.length)
    return n.error() << "the loop has scan outputs, whose length would be known only at run "
                        "time: bind the inputs its trip count and condition depend on";

  Type i64 = b.getI64Type();
  SmallVector<Value> next{n.create<qc::AddOp>(iteration, scalarConstant(n, i64, 1)),
                          form.readsCondition ? reshapeTo(n, outputs[0], {}) : condition};
  next.append(nextStates.begin(), nextStates.end());
  for (auto [k, element] : llvm::enumerate(scans)) {
    auto elementType = cast<RankedTensorType>(element.getType());
    SmallVector<int64_t> shape{*form.length};
    llvm::append_range(shape, elementType.getShape());
    stackTypes.push_back(RankedTensorType::get(shape, elementType.getElementType()));
    Value stack = after->addArgument(stackTypes.back(), n.loc());
    shape[0] = 1;
    bool reversed = !form.outReversed.empty() && form.outReversed[k];
    next.push_back(n.create<qc::ScatterNDOp>(
        stack, reshapeTo(n, slotOf(n, iteration, *form.length, reversed), {1, 1}),
        reshapeTo(n, element, shape), b.getStringAttr("none")));
  }
  if (n.failedToBuild())
    return failure();
  scf::YieldOp::create(b, n.loc(), next);
  return next;
}

/// Builds `form` as an scf.while carrying (iteration, condition, states,
/// stacked scan outputs). The before region tests the condition and the
/// trip count; the after region holds the body once, writes its scan
/// outputs into their stacks (qc.scatter_nd at the iteration's slot) and
/// counts the iteration. Returns the node's outputs.
FailureOr<SmallVector<Value>> buildWhileLoop(NodeImporter &n, const LoopForm &form) {
  OpBuilder &b = n.builder();
  Location loc = n.loc();
  Type i64 = b.getI64Type(), i1 = b.getI1Type();
  Value limit = form.tripCount ? reshapeTo(n, form.tripCount, {}) : nullptr;
  Value running = form.firstCondition ? reshapeTo(n, form.firstCondition, {})
                                      : scalarConstant(n, i1, 1);
  if (limit && cast<RankedTensorType>(limit.getType()).getElementType() != i64)
    return n.error() << "the trip count must be int64";
  if (cast<RankedTensorType>(running.getType()).getElementType() != i1)
    return n.error() << "the condition must be bool";

  // The body goes into a block of its own first: the stacks' types are
  // known once its scan outputs are.
  auto after = std::make_unique<Block>();
  SmallVector<Value> inits{scalarConstant(n, i64, 0), running};
  inits.append(form.states);
  for (Value v : inits)
    after->addArgument(v.getType(), loc);
  SmallVector<RankedTensorType> stackTypes;
  if (failed(importLoopBody(n, form, after.get(), stackTypes)))
    return failure();
  for (RankedTensorType type : stackTypes)
    inits.push_back(qc::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType()))));

  auto loop = scf::WhileOp::create(b, loc, ValueRange(inits).getTypes(), inits, nullptr,
                                   nullptr);
  loop.getAfter().getBlocks().clear();
  loop.getAfter().push_back(after.release());
  n.nameRegionArguments(loop);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *before = loop.getBeforeBody();
    b.setInsertionPointToEnd(before);
    Value go = before->getArgument(1);
    if (limit)
      go = n.create<qc::AndOp>(go, n.create<qc::LessOp>(before->getArgument(0), limit));
    if (n.failedToBuild())
      return failure();
    scf::ConditionOp::create(b, loc, extractCondition(n, go), before->getArguments());
  }
  SmallVector<Value> results(loop.getResults().drop_front(2).take_front(form.states.size()));
  for (auto [k, stack] : llvm::enumerate(loop.getResults().drop_front(2 + form.states.size()))) {
    FailureOr<int64_t> axis = n.normalizeAxis(form.outAxes.empty() ? 0 : form.outAxes[k],
                                              cast<RankedTensorType>(stack.getType()).getRank());
    if (failed(axis))
      return failure();
    results.push_back(moveLeadingDimTo(n, stack, *axis));
  }
  return results;
}

/// Erases the ops of `block` after `last` (all of them when null), newest
/// first: what an unrolled attempt left.
void eraseOpsAfter(Block *block, Operation *last) {
  while (!block->empty() && &block->back() != last)
    block->back().erase();
}

/// What unrolling a loop gave: the node's outputs, and whether the body's
/// states kept their types in every iteration.
struct Unrolled {
  SmallVector<Value> outputs;
  int64_t iterations = 0;
  bool typesChange = false;
};

/// Unrolls `form`, whose iterations are known at import while they run:
/// nullopt (having built nothing) when the condition turns out to depend on
/// run-time values or there are more than kMaxUnrolledIterations.
FailureOr<std::optional<Unrolled>> unrollLoop(NodeImporter &n, const LoopForm &form,
                                             std::optional<int64_t> tripCount,
                                             int64_t running) {
  Block *block = n.builder().getInsertionBlock();
  Operation *last = block->empty() ? nullptr : &block->back();
  auto giveUp = [&]() -> std::optional<Unrolled> {
    eraseOpsAfter(block, last);
    return std::nullopt;
  };
  Unrolled result;
  SmallVector<Value> states(form.states);
  SmallVector<SmallVector<Value>> scans(form.numScanOutputs);
  Type i64 = n.builder().getI64Type(), i1 = n.builder().getI1Type();
  size_t offset = form.bodyOutputOffset();
  for (int64_t t = 0; (!tripCount || t < *tripCount) && running; ++t) {
    if (t == kMaxUnrolledIterations)
      return giveUp();
    SmallVector<Value> inputs;
    if (form.isScan) {
      inputs = states;
      for (auto [j, v] : llvm::enumerate(form.scanInputs)) {
        int64_t axis = form.inAxes[j];
        SmallVector<int64_t> shape(cast<RankedTensorType>(v.getType()).getShape());
        shape.erase(shape.begin() + axis);
        int64_t index = form.inReversed[j] ? *tripCount - 1 - t : t;
        inputs.push_back(reshapeTo(n, sliceDim(n, v, axis, index, 1), shape));
      }
    } else {
      inputs = {scalarConstant(n, i64, t), scalarConstant(n, i1, 1)};
      inputs.append(states);
    }
    SmallVector<Value> outputs;
    if (failed(n.importSubgraph(*form.body, inputs, outputs)))
      return failure();
    if (outputs.size() != offset + states.size() + form.numScanOutputs)
      return n.error() << "the body has " << outputs.size() << " outputs, expected "
                       << offset + states.size() + form.numScanOutputs;
    if (form.readsCondition) {
      std::optional<int64_t> next = constantScalar(outputs[0]);
      if (!next)
        return giveUp();
      running = *next;
    }
    for (auto [state, next] : llvm::zip(states, ArrayRef(outputs).drop_front(offset))) {
      result.typesChange |= state.getType() != next.getType();
      state = next;
    }
    for (int64_t k = 0; k < form.numScanOutputs; ++k)
      scans[k].push_back(outputs[offset + states.size() + k]);
    ++result.iterations;
  }
  result.outputs = states;
  for (auto [k, values] : llvm::enumerate(scans)) {
    if (values.empty())
      return n.error() << "the loop runs no iteration, so scan output " << k
                       << " has no shape";
    bool reversed = !form.outReversed.empty() && form.outReversed[k];
    if (reversed)
      std::reverse(values.begin(), values.end());
    int64_t rank = cast<RankedTensorType>(values.front().getType()).getRank();
    FailureOr<int64_t> axis =
        n.normalizeAxis(form.outAxes.empty() ? 0 : form.outAxes[k], rank + 1);
    if (failed(axis))
      return failure();
    result.outputs.push_back(stack(n, values, *axis));
  }
  return std::optional<Unrolled>(std::move(result));
}

/// Imports `form` unrolled where that folds it to constants or where its
/// states change type, and as an scf.while otherwise: a loop's body is then
/// one piece of code, and each of its values one tensor to calibrate and
/// quantize, whatever the iteration. A body that needs its iteration number
/// as a constant (to slice by it, say) stays unrolled too.
FailureOr<SmallVector<Value>> buildLoopForm(NodeImporter &n, LoopForm form,
                                            std::optional<int64_t> tripCount,
                                            std::optional<int64_t> running) {
  Block *block = n.builder().getInsertionBlock();
  Operation *last = block->empty() ? nullptr : &block->back();
  if (!running)
    return buildWhileLoop(n, form);
  FailureOr<std::optional<Unrolled>> unrolled = unrollLoop(n, form, tripCount, *running);
  if (failed(unrolled))
    return failure();
  if (!*unrolled)
    return buildWhileLoop(n, form);
  bool folded = llvm::all_of((*unrolled)->outputs, [](Value v) {
    return v.getDefiningOp<qc::ConstantOp>() != nullptr;
  });
  if (folded || (*unrolled)->typesChange || (*unrolled)->iterations == 0)
    return (*unrolled)->outputs;
  // The iterations that ran are the loop's length: its condition held
  // until then.
  eraseOpsAfter(block, last);
  form.length = (*unrolled)->iterations;
  SmallVector<Value> outputs;
  if (succeeded(n.attempt([&]() -> LogicalResult {
        form.tripCount = scalarConstant(n, n.builder().getI64Type(), *form.length);
        FailureOr<SmallVector<Value>> built = buildWhileLoop(n, form);
        if (succeeded(built))
          outputs = std::move(*built);
        return built;
      })))
    return outputs;
  eraseOpsAfter(block, last);
  unrolled = unrollLoop(n, form, tripCount, *running);
  if (failed(unrolled) || !*unrolled)
    return failure();
  return (*unrolled)->outputs;
}

LogicalResult setOutputs(NodeImporter &n, FailureOr<SmallVector<Value>> outputs) {
  if (failed(outputs))
    return failure();
  for (auto [i, v] : llvm::enumerate(*outputs))
    n.setOutput(i, v);
  return success();
}

LogicalResult importLoop(NodeImporter &n) {
  LoopForm form;
  form.body = requireGraph(n, "body");
  if (!form.body)
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
  form.tripCount = n.hasInput(0) ? n.input(0) : nullptr;
  form.firstCondition = n.hasInput(1) ? n.input(1) : nullptr;
  form.readsCondition = n.hasInput(1);
  for (unsigned i = 2; i < n.numInputs(); ++i)
    form.states.push_back(n.input(i));
  form.numScanOutputs = form.body->output_size() - 1 - static_cast<int64_t>(form.states.size());
  if (form.numScanOutputs < 0)
    return n.error() << "the body has " << form.body->output_size()
                     << " outputs, expected at least " << form.states.size() + 1;
  // Scan outputs are as long as the loop runs, which must be known: the
  // trip count and first condition name the inputs to bind.
  if (form.numScanOutputs > 0)
    for (unsigned i : {0u, 1u})
      if (n.hasInput(i) && failed(n.constantInput(i)))
        return failure();
  // Without a condition, a known trip count is the number of iterations.
  if (tripCount && !n.hasInput(1))
    form.length = *tripCount;
  return setOutputs(n, buildLoopForm(n, std::move(form), tripCount,
                                      known ? running : std::nullopt));
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

/// Scan's axes and directions, per scan input and per scan output.
struct ScanAxes {
  SmallVector<int64_t> inAxes, inReversed, outAxes, outReversed;
};

/// Scan (opset 9 on) of `states` over `scanInputs`: the final states, then
/// the scan outputs.
FailureOr<SmallVector<Value>> buildScan(NodeImporter &n, const onnx::GraphProto *body,
                                        ArrayRef<Value> states, ArrayRef<Value> scanInputs,
                                        const ScanAxes &axes) {
  LoopForm form;
  form.isScan = true;
  form.body = body;
  form.numScanOutputs = body->output_size() - static_cast<int64_t>(states.size());
  form.states.assign(states.begin(), states.end());
  form.scanInputs.assign(scanInputs.begin(), scanInputs.end());
  form.inReversed = axes.inReversed;
  form.outReversed = axes.outReversed;
  int64_t length = -1;
  for (auto [j, v] : llvm::enumerate(form.scanInputs)) {
    auto type = cast<RankedTensorType>(v.getType());
    FailureOr<int64_t> axis = n.normalizeAxis(axes.inAxes[j], type.getRank());
    if (failed(axis))
      return failure();
    form.inAxes.push_back(*axis);
    if (length >= 0 && type.getDimSize(*axis) != length)
      return n.error() << "scan input " << j << " has " << type.getDimSize(*axis)
                       << " steps, another has " << length;
    length = type.getDimSize(*axis);
  }
  // Output axes count in the stacked rank, known once the body is.
  form.outAxes = axes.outAxes;
  form.length = length;
  form.tripCount = scalarConstant(n, n.builder().getI64Type(), length);
  return buildLoopForm(n, std::move(form), length, 1);
}

/// Scan of opset 8: states [B, ...] and scan inputs [B, S, ...] with a
/// batch axis first, scanned per batch element (sequence_lens, when given,
/// must be S for every element).
LogicalResult importScan8(NodeImporter &n, const onnx::GraphProto *body,
                          ArrayRef<Value> states, ArrayRef<Value> scanInputs) {
  int64_t numScanOutputs = body->output_size() - static_cast<int64_t>(states.size());
  ScanAxes axes;
  axes.inAxes.assign(scanInputs.size(), 0);
  axes.outAxes.assign(numScanOutputs, 0);
  axes.outReversed.assign(numScanOutputs, 0);
  FailureOr<SmallVector<int64_t>> directions =
      getPerTensor(n, "directions", scanInputs.size());
  if (failed(directions))
    return failure();
  axes.inReversed = *directions;
  auto first = cast<RankedTensorType>(scanInputs.front().getType());
  if (first.getRank() < 2)
    return n.error() << "scan inputs need a batch and a sequence axis, got " << first;
  int64_t batch = first.getDimSize(0), length = first.getDimSize(1);
  if (n.hasInput(0)) {
    FailureOr<SmallVector<int64_t>> lengths = n.constantInts(0);
    if (failed(lengths))
      return failure();
    if (llvm::any_of(*lengths, [&](int64_t l) { return l != length; }))
      return n.error() << "sequence_lens other than the full " << length
                       << " steps are not supported";
  }
  // Element b of every input and state, without its batch axis.
  auto element = [&](Value v, int64_t b) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() == 0 || type.getDimSize(0) != batch)
      return Value();
    return reshapeTo(n, sliceDim(n, v, 0, b, 1), type.getShape().drop_front());
  };
  SmallVector<SmallVector<Value>> perBatch;
  for (int64_t b = 0; b < batch; ++b) {
    SmallVector<Value> elements;
    for (Value v : llvm::concat<const Value>(states, scanInputs)) {
      elements.push_back(element(v, b));
      if (!elements.back())
        return n.error() << "input " << v.getType() << " has no batch axis of " << batch;
    }
    ArrayRef<Value> all(elements);
    FailureOr<SmallVector<Value>> outputs = buildScan(
        n, body, all.take_front(states.size()), all.drop_front(states.size()), axes);
    if (failed(outputs))
      return failure();
    perBatch.push_back(std::move(*outputs));
  }
  // Each output stacked back along a batch axis.
  for (unsigned i = 0; i < perBatch.front().size(); ++i) {
    SmallVector<Value> parts;
    for (ArrayRef<Value> outputs : perBatch) {
      auto type = cast<RankedTensorType>(outputs[i].getType());
      SmallVector<int64_t> shape{1};
      llvm::append_range(shape, type.getShape());
      parts.push_back(reshapeTo(n, outputs[i], shape));
    }
    n.setOutput(i, parts.size() == 1 ? parts.front()
                                     : n.create<qc::ConcatOp>(parts, i64Attr(n, 0)));
  }
  return success();
}

LogicalResult importScan(NodeImporter &n) {
  const onnx::GraphProto *body = requireGraph(n, "body");
  if (!body)
    return failure();
  // Opset 8's first input is the optional sequence_lens.
  bool batched = n.opset() < 9;
  SmallVector<Value> inputs;
  for (unsigned i = batched ? 1 : 0; i < n.numInputs(); ++i) {
    if (!n.hasInput(i))
      return n.error() << "missing input " << i;
    inputs.push_back(n.input(i));
  }
  int64_t numScanInputs = n.getInt("num_scan_inputs", 0);
  int64_t numStates = static_cast<int64_t>(inputs.size()) - numScanInputs;
  int64_t numScanOutputs = body->output_size() - numStates;
  if (numScanInputs < 1 || numStates < 0 || numScanOutputs < 0)
    return n.error() << "num_scan_inputs " << numScanInputs << " does not fit "
                     << inputs.size() << " inputs and " << body->output_size()
                     << " body outputs";
  ArrayRef<Value> states = ArrayRef(inputs).take_front(numStates),
                  scanInputs = ArrayRef(inputs).drop_front(numStates);
  if (batched)
    return importScan8(n, body, states, scanInputs);
  auto inAxes = getPerTensor(n, "scan_input_axes", numScanInputs);
  auto inReversed = getPerTensor(n, "scan_input_directions", numScanInputs);
  auto outAxes = getPerTensor(n, "scan_output_axes", numScanOutputs);
  auto outReversed = getPerTensor(n, "scan_output_directions", numScanOutputs);
  if (failed(inAxes) || failed(inReversed) || failed(outAxes) || failed(outReversed))
    return failure();
  return setOutputs(n, buildScan(n, body, states, scanInputs,
                                  {*inAxes, *inReversed, *outAxes, *outReversed}));
}
} // namespace

void onnx_import::addControlFlowImporters(llvm::StringMap<OpImporter> &t) {
  t["If"] = {importIf, 1};
  t["Loop"] = {importLoop, 0};
  // Opset 8's first input, sequence_lens, is optional.
  t["Scan"] = {importScan, 0};
}
