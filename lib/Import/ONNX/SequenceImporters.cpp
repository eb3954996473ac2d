//===- SequenceImporters.cpp - sequences and optionals at import -*- C++ -*-===//
//
// quantc's graphs hold tensors, so sequences and optionals live only in the
// importer: each is the list of its tensors, known element by element at
// import (ListValue). The sequence ops then become what they select or
// build: SequenceAt a tensor of the list, ConcatFromSequence one
// concatenation, SplitToSequence slices, SequenceMap its body once per
// element. Positions must be known at import; a sequence or optional that a
// graph takes, returns or carries through a loop is refused, naming it.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {
/// Input `i`, a position known at import, in [-size, size + extra) (the
/// insertion point may be one past the end: `extra` 1), counted from 0;
/// `absent` where the input is optional and not given.
FailureOr<int64_t> position(NodeImporter &n, unsigned i, int64_t size, int64_t extra,
                            std::optional<int64_t> absent = std::nullopt) {
  if (absent && !n.hasInput(i))
    return *absent;
  FailureOr<SmallVector<int64_t>> values = n.constantInts(i);
  if (failed(values))
    return failure();
  if (values->size() != 1)
    return n.error() << "the position must be one integer";
  int64_t p = values->front();
  if (p < -size || p >= size + extra)
    return n.error() << "position " << p << " is outside the sequence of " << size
                     << " tensors";
  return p < 0 ? p + size : p;
}

/// The list of input `i`, or failure (diagnosed).
FailureOr<ListValue> list(NodeImporter &n, unsigned i) {
  const ListValue *value = n.listInput(i);
  if (!value)
    return failure();
  return *value;
}

LogicalResult importSequenceEmpty(NodeImporter &n) {
  n.setListOutput(0, {});
  return success();
}

LogicalResult importSequenceConstruct(NodeImporter &n) {
  FailureOr<SmallVector<Value>> inputs = n.variadicInputs();
  if (failed(inputs))
    return failure();
  Type element = cast<RankedTensorType>(inputs->front().getType()).getElementType();
  for (Value v : *inputs)
    if (cast<RankedTensorType>(v.getType()).getElementType() != element)
      return n.error() << "the tensors of a sequence must have one element type";
  n.setListOutput(0, *inputs);
  return success();
}

LogicalResult importSequenceInsert(NodeImporter &n) {
  FailureOr<ListValue> seq = list(n, 0);
  if (failed(seq))
    return failure();
  Value tensor = n.input(1);
  if (!tensor)
    return n.error() << "input 1 must be a tensor";
  if (!seq->elements.empty() &&
      cast<RankedTensorType>(seq->elements.front().getType()).getElementType() !=
          cast<RankedTensorType>(tensor.getType()).getElementType())
    return n.error() << "the tensor's element type differs from the sequence's";
  int64_t size = seq->elements.size();
  FailureOr<int64_t> at = position(n, 2, size, 1, /*absent=*/size);
  if (failed(at))
    return failure();
  seq->elements.insert(seq->elements.begin() + *at, tensor);
  n.setListOutput(0, seq->elements);
  return success();
}

LogicalResult importSequenceErase(NodeImporter &n) {
  FailureOr<ListValue> seq = list(n, 0);
  if (failed(seq))
    return failure();
  int64_t size = seq->elements.size();
  if (size == 0)
    return n.error() << "erases from an empty sequence";
  FailureOr<int64_t> at = position(n, 1, size, 0, /*absent=*/size - 1);
  if (failed(at))
    return failure();
  seq->elements.erase(seq->elements.begin() + *at);
  n.setListOutput(0, seq->elements);
  return success();
}

LogicalResult importSequenceAt(NodeImporter &n) {
  FailureOr<ListValue> seq = list(n, 0);
  if (failed(seq))
    return failure();
  FailureOr<int64_t> at = position(n, 1, seq->elements.size(), 0);
  if (failed(at))
    return failure();
  n.setOutput(0, seq->elements[*at]);
  return success();
}

LogicalResult importSequenceLength(NodeImporter &n) {
  FailureOr<ListValue> seq = list(n, 0);
  if (failed(seq))
    return failure();
  n.setOutput(0, scalarConstant(n, n.builder().getI64Type(), seq->elements.size()));
  return success();
}

LogicalResult importConcatFromSequence(NodeImporter &n) {
  FailureOr<ListValue> seq = list(n, 0);
  if (failed(seq))
    return failure();
  if (seq->elements.empty())
    return n.error() << "concatenates an empty sequence";
  bool newAxis = n.getInt("new_axis", 0);
  if (!n.hasAttr("axis"))
    return n.error() << "missing attribute 'axis'";
  int64_t rank = cast<RankedTensorType>(seq->elements.front().getType()).getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), rank + newAxis);
  if (failed(axis))
    return failure();
  SmallVector<Value> parts;
  for (Value v : seq->elements) {
    SmallVector<int64_t> shape(cast<RankedTensorType>(v.getType()).getShape());
    if (newAxis)
      shape.insert(shape.begin() + *axis, 1);
    parts.push_back(reshapeTo(n, v, shape));
  }
  n.setOutput(0, parts.size() == 1 ? parts.front()
                                   : n.create<qc::ConcatOp>(parts, i64Attr(n, *axis)));
  return success();
}

LogicalResult importSplitToSequence(NodeImporter &n) {
  Value input = n.input(0);
  RankedTensorType type = n.inputType(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  int64_t length = type.getDimSize(*axis);
  SmallVector<int64_t> sizes;
  bool squeeze = false;
  if (!n.hasInput(1)) {
    sizes.assign(length, 1);
    squeeze = !n.getInt("keepdims", 1);
  } else {
    FailureOr<SmallVector<int64_t>> split = n.constantInts(1);
    if (failed(split))
      return failure();
    if (n.inputType(1).getRank() == 0) {
      if ((*split)[0] <= 0)
        return n.error() << "the split size must be positive";
      for (int64_t start = 0; start < length; start += (*split)[0])
        sizes.push_back(std::min((*split)[0], length - start));
    } else {
      sizes = *split;
      int64_t total = 0;
      for (int64_t s : sizes) {
        if (s < 0)
          return n.error() << "split sizes must not be negative";
        total += s;
      }
      if (total != length)
        return n.error() << "split sizes sum to " << total << ", not the axis length "
                         << length;
    }
  }
  SmallVector<Value> parts;
  int64_t start = 0;
  for (int64_t size : sizes) {
    Value part = sliceDim(n, input, *axis, start, size);
    start += size;
    if (squeeze) {
      SmallVector<int64_t> shape(type.getShape());
      shape.erase(shape.begin() + *axis);
      part = reshapeTo(n, part, shape);
    }
    parts.push_back(part);
  }
  n.setListOutput(0, parts);
  return success();
}

/// The body once per element of the input sequences (all of one length;
/// tensor inputs passed to every iteration), its outputs collected into
/// sequences.
LogicalResult importSequenceMap(NodeImporter &n) {
  const onnx::GraphProto *body = n.getGraphAttr("body");
  if (!body)
    return n.error() << "missing graph attribute 'body'";
  SmallVector<ListValue> lists(n.numInputs());
  std::optional<size_t> length;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    if (!n.isListInput(i))
      continue;
    lists[i] = *n.listInput(i);
    size_t size = lists[i].elements.size();
    if (length && *length != size)
      return n.error() << "the input sequences have different lengths (" << *length << ", "
                       << size << ")";
    length = size;
  }
  if (!n.isListInput(0))
    return n.error() << "input 0 must be a sequence";
  SmallVector<SmallVector<Value>> outputs(n.numOutputs());
  for (size_t k = 0; k < *length; ++k) {
    SmallVector<Value> inputs, results;
    for (unsigned i = 0; i < n.numInputs(); ++i)
      inputs.push_back(n.isListInput(i) ? lists[i].elements[k] : n.input(i));
    if (failed(n.importSubgraph(*body, inputs, results)))
      return failure();
    if (results.size() != n.numOutputs())
      return n.error() << "the body has " << results.size() << " outputs, expected "
                       << n.numOutputs();
    for (auto [j, result] : llvm::enumerate(results))
      outputs[j].push_back(result);
  }
  for (auto [j, elements] : llvm::enumerate(outputs))
    n.setListOutput(j, elements);
  return success();
}

LogicalResult importOptional(NodeImporter &n) {
  if (!n.hasInput(0)) {
    n.setListOutput(0, {}, /*optional=*/true);
    return success();
  }
  if (n.isListInput(0))
    return n.error() << "optionals of sequences are not supported";
  n.setListOutput(0, {n.input(0)}, /*optional=*/true);
  return success();
}

LogicalResult importOptionalHasElement(NodeImporter &n) {
  bool has = n.hasInput(0);
  if (has && n.isListInput(0)) {
    const ListValue *value = n.listInput(0);
    has = !value->optional || !value->elements.empty();
  }
  n.setOutput(0, scalarConstant(n, n.builder().getI1Type(), has));
  return success();
}

LogicalResult importOptionalGetElement(NodeImporter &n) {
  if (!n.isListInput(0)) {
    n.setOutput(0, n.input(0));
    return success();
  }
  const ListValue *value = n.listInput(0);
  if (!value->optional) {
    n.setListOutput(0, value->elements);
    return success();
  }
  if (value->elements.empty())
    return n.error() << "the optional is empty";
  n.setOutput(0, value->elements.front());
  return success();
}
} // namespace

void onnx_import::addSequenceImporters(llvm::StringMap<OpImporter> &t) {
  t["SequenceEmpty"] = {importSequenceEmpty, 0, 1, true};
  t["SequenceConstruct"] = {importSequenceConstruct, 1, 1, true};
  t["SequenceInsert"] = {importSequenceInsert, 2, 1, true};
  t["SequenceErase"] = {importSequenceErase, 1, 1, true};
  t["SequenceAt"] = {importSequenceAt, 2, 1, true};
  t["SequenceLength"] = {importSequenceLength, 1, 1, true};
  t["ConcatFromSequence"] = {importConcatFromSequence, 1, 1, true};
  t["SplitToSequence"] = {importSplitToSequence, 1, 1, true};
  t["SequenceMap"] = {importSequenceMap, 1, 1, true};
  t["Optional"] = {importOptional, 0, 1, true};
  t["OptionalHasElement"] = {importOptionalHasElement, 0, 1, true};
  t["OptionalGetElement"] = {importOptionalGetElement, 1, 1, true};
}
