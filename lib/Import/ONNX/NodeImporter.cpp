//===- NodeImporter.cpp - per-node import context ---------------*- C++ -*-===//
#include "NodeImporter.h"
#include "GraphImporter.h"

#include "quantc/Reference/Evaluator.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using reference::Tensor;

NodeImporter::NodeImporter(GraphImporter &graph, const onnx::NodeProto &node,
                           int64_t opset, Location loc)
    : graph(graph), nodeProto(node), opsetVersion(opset), location(loc) {}

OpBuilder &NodeImporter::builder() { return graph.builder; }

unsigned NodeImporter::numInputs() const {
  unsigned n = nodeProto.input_size();
  while (n > 0 && nodeProto.input(n - 1).empty())
    --n;
  return n;
}

bool NodeImporter::hasInput(unsigned i) const {
  return i < (unsigned)nodeProto.input_size() && !nodeProto.input(i).empty();
}

Value NodeImporter::input(unsigned i) {
  if (!hasInput(i))
    return nullptr;
  return graph.lookup(nodeProto.input(i), location);
}

RankedTensorType NodeImporter::inputType(unsigned i) {
  Value v = input(i);
  return v ? cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

FailureOr<SmallVector<Value>> NodeImporter::variadicInputs() {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < numInputs(); ++i) {
    if (!hasInput(i)) {
      error() << "missing input " << i;
      return failure();
    }
    inputs.push_back(input(i));
  }
  return inputs;
}

FailureOr<Tensor> NodeImporter::constantInput(unsigned i) {
  Value v = input(i);
  if (!v) {
    error() << "missing input " << i;
    return failure();
  }
  if (!v.getDefiningOp<qc::ConstantOp>()) {
    error() << "input " << i << " ('" << nodeProto.input(i)
            << "') must be a compile-time constant; bind dynamic dimensions "
               "with --input-shape, or graph inputs with --bind-inputs";
    return failure();
  }
  std::optional<Tensor> tensor = reference::getConstantValue(v);
  if (!tensor) {
    error() << "cannot read constant input '" << nodeProto.input(i) << "'";
    return failure();
  }
  return std::move(*tensor);
}

FailureOr<SmallVector<int64_t>> NodeImporter::constantInts(unsigned i) {
  FailureOr<Tensor> tensor = constantInput(i);
  if (failed(tensor))
    return failure();
  if (tensor->isFloat()) {
    error() << "input '" << nodeProto.input(i) << "' must hold integers";
    return failure();
  }
  return SmallVector<int64_t>(tensor->ints());
}

const onnx::AttributeProto *NodeImporter::findAttr(StringRef name) const {
  for (const auto &attr : nodeProto.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

bool NodeImporter::hasAttr(StringRef name) const { return findAttr(name); }

int64_t NodeImporter::getInt(StringRef name, int64_t dflt) const {
  const auto *a = findAttr(name);
  return a ? a->i() : dflt;
}

float NodeImporter::getFloat(StringRef name, float dflt) const {
  const auto *a = findAttr(name);
  return a ? a->f() : dflt;
}

std::string NodeImporter::getString(StringRef name, StringRef dflt) const {
  const auto *a = findAttr(name);
  return a ? a->s() : dflt.str();
}

SmallVector<int64_t> NodeImporter::getInts(StringRef name,
                                           ArrayRef<int64_t> dflt) const {
  const auto *a = findAttr(name);
  if (!a)
    return SmallVector<int64_t>(dflt);
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

SmallVector<float> NodeImporter::getFloats(StringRef name) const {
  const auto *a = findAttr(name);
  if (!a)
    return {};
  return SmallVector<float>(a->floats().begin(), a->floats().end());
}

SmallVector<std::string> NodeImporter::getStrings(StringRef name) const {
  const auto *a = findAttr(name);
  if (!a)
    return {};
  return SmallVector<std::string>(a->strings().begin(), a->strings().end());
}

const onnx::TensorProto *NodeImporter::getTensorAttr(StringRef name) const {
  const auto *a = findAttr(name);
  return a && a->has_t() ? &a->t() : nullptr;
}

const onnx::GraphProto *NodeImporter::getGraphAttr(StringRef name) const {
  const auto *a = findAttr(name);
  return a && a->has_g() ? &a->g() : nullptr;
}

LogicalResult NodeImporter::importSubgraph(const onnx::GraphProto &g, ValueRange inputs,
                                           SmallVectorImpl<Value> &outputs) {
  if (failed(graph.importSubgraph(g, location, inputs, outputs))) {
    hadError = true;
    return failure();
  }
  return success();
}

void NodeImporter::nameRegionArguments(Operation *op) { graph.nameRegionArguments(op); }

LogicalResult NodeImporter::attempt(function_ref<LogicalResult()> build,
                                    std::string *firstError) {
  bool failedBefore = hadError;
  LogicalResult result = success();
  {
    ScopedDiagnosticHandler holdErrors(context(), [&](Diagnostic &diag) {
      if (diag.getSeverity() != DiagnosticSeverity::Error)
        return failure();
      if (firstError && firstError->empty())
        *firstError = diag.str();
      return success();
    });
    result = build();
  }
  if (failed(result))
    hadError = failedBefore;
  return result;
}

bool NodeImporter::isListInput(unsigned i) const {
  return hasInput(i) && graph.lookupList(nodeProto.input(i));
}

const ListValue *NodeImporter::listInput(unsigned i) {
  if (!hasInput(i)) {
    error() << "missing input " << i;
    return nullptr;
  }
  const ListValue *list = graph.lookupList(nodeProto.input(i));
  if (!list)
    error() << "input " << i << " ('" << nodeProto.input(i)
            << "') must be a sequence or optional";
  return list;
}

void NodeImporter::setListOutput(unsigned i, SmallVector<Value> elements, bool optional) {
  if (i < (unsigned)nodeProto.output_size() && !nodeProto.output(i).empty())
    graph.bindList(nodeProto.output(i), {std::move(elements), optional});
}

void NodeImporter::setOutput(unsigned i, Value value) {
  if (i < (unsigned)nodeProto.output_size() && !nodeProto.output(i).empty())
    graph.bind(nodeProto.output(i), value);
}

bool NodeImporter::outputUsed(unsigned i) const {
  return i < (unsigned)nodeProto.output_size() &&
         !nodeProto.output(i).empty() && graph.isUsed(nodeProto.output(i));
}

InFlightDiagnostic NodeImporter::error() {
  hadError = true; // the node failed: no op may consume its missing values
  StringRef name = cast<NameLoc>(location).getName();
  return emitError(location) << "node '" << name << "' ("
                             << nodeProto.op_type() << "): ";
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    error() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return a;
}

Value NodeImporter::constant(const Tensor &tensor) {
  return reference::createConstant(
      builder(), location, tensor,
      nodeProto.name().empty() ? "const" : nodeProto.name());
}

Value NodeImporter::foldIfConstant(Operation *op) {
  // An op the node's types make invalid (an integer tensor where the op
  // takes floats, ...) is an error of the node, and must never reach the
  // evaluator, whose kernels rely on verified types.
  if (failed(mlir::verify(op, /*verifyRecursively=*/false))) {
    op->erase();
    hadError = true;
    return nullptr;
  }
  // Shape arithmetic and other small constant subgraphs resolve right away.
  constexpr int64_t kMaxFoldElements = 1 << 16;
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (type.getNumElements() > kMaxFoldElements ||
      (type.getElementType().isF32() && type.getNumElements() > 1024))
    return op->getResult(0);
  std::optional<Tensor> result = reference::evaluateConstantOperands(op);
  if (!result)
    return op->getResult(0);
  Value folded = constant(*result);
  op->getResult(0).replaceAllUsesWith(folded);
  op->erase();
  return folded;
}
