//===- GraphChecker.cpp - the ONNX checker's graph rules --------*- C++ -*-===//
//
// Rejects structurally invalid graphs before anything is imported, as the
// ONNX checker would: every value name assigned once (graph inputs,
// initializers and node outputs), nodes in topological order (a cycle is
// named as such), every node input defined, declared outputs present and
// produced, attributes with a type and the value of that type, each once.
// Importers may then rely on a well-formed graph.
//
//===----------------------------------------------------------------------===//
#include "GraphImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

using namespace mlir;

namespace {
/// How a node is named in diagnostics (as the importer names its location).
std::string nodeName(const onnx::NodeProto &node, size_t index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                             : node.name();
}

InFlightDiagnostic nodeError(Location loc, const onnx::NodeProto &node,
                             size_t index) {
  return emitError(loc) << "node '" << nodeName(node, index) << "' ("
                        << node.op_type() << "): ";
}

/// Whether `attr` carries exactly the value its declared type names.
bool hasValueOfItsType(const onnx::AttributeProto &attr) {
  using A = onnx::AttributeProto;
  int scalars = attr.has_f() + attr.has_i() + attr.has_s() + attr.has_t() +
                attr.has_g() + attr.has_sparse_tensor() + attr.has_tp();
  int lists = (attr.floats_size() > 0) + (attr.ints_size() > 0) +
              (attr.strings_size() > 0) + (attr.tensors_size() > 0) +
              (attr.graphs_size() > 0) + (attr.sparse_tensors_size() > 0) +
              (attr.type_protos_size() > 0);
  switch (attr.type()) {
  case A::FLOAT: return attr.has_f() && scalars == 1 && lists == 0;
  case A::INT: return attr.has_i() && scalars == 1 && lists == 0;
  case A::STRING: return attr.has_s() && scalars == 1 && lists == 0;
  case A::TENSOR: return attr.has_t() && scalars == 1 && lists == 0;
  case A::GRAPH: return attr.has_g() && scalars == 1 && lists == 0;
  case A::SPARSE_TENSOR:
    return attr.has_sparse_tensor() && scalars == 1 && lists == 0;
  case A::TYPE_PROTO: return attr.has_tp() && scalars == 1 && lists == 0;
  // Lists may be empty; then no field is set.
  case A::FLOATS: return scalars == 0 && lists <= (attr.floats_size() > 0);
  case A::INTS: return scalars == 0 && lists <= (attr.ints_size() > 0);
  case A::STRINGS: return scalars == 0 && lists <= (attr.strings_size() > 0);
  case A::TENSORS: return scalars == 0 && lists <= (attr.tensors_size() > 0);
  case A::GRAPHS: return scalars == 0 && lists <= (attr.graphs_size() > 0);
  case A::SPARSE_TENSORS:
    return scalars == 0 && lists <= (attr.sparse_tensors_size() > 0);
  case A::TYPE_PROTOS:
    return scalars == 0 && lists <= (attr.type_protos_size() > 0);
  default: return false;
  }
}

LogicalResult checkAttributes(const onnx::NodeProto &node, size_t index,
                              Location loc) {
  llvm::StringSet<> seen;
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (attr.name().empty())
      return nodeError(loc, node, index) << "has an attribute without a name";
    if (!seen.insert(attr.name()).second)
      return nodeError(loc, node, index)
             << "attribute '" << attr.name() << "' is given twice";
    if (attr.type() == onnx::AttributeProto::UNDEFINED)
      return nodeError(loc, node, index)
             << "attribute '" << attr.name() << "' has no type";
    if (!hasValueOfItsType(attr))
      return nodeError(loc, node, index)
             << "attribute '" << attr.name() << "' is declared "
             << onnx::AttributeProto::AttributeType_Name(attr.type())
             << " but does not hold exactly that value";
  }
  return success();
}

/// Names a node of a cycle when the nodes cannot be ordered at all (Kahn's
/// algorithm leaves them behind); -1 when an order exists.
int64_t findNodeOnCycle(const onnx::GraphProto &graph,
                        const llvm::StringMap<size_t> &producer) {
  size_t n = graph.node_size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<size_t>> readers(n);
  for (size_t i = 0; i < n; ++i)
    for (const std::string &in : graph.node(i).input()) {
      auto it = producer.find(in);
      if (!in.empty() && it != producer.end()) {
        ++pending[i];
        readers[it->second].push_back(i);
      }
    }
  std::vector<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (!pending[i])
      ready.push_back(i);
  size_t ordered = 0;
  while (!ready.empty()) {
    size_t i = ready.back();
    ready.pop_back();
    ++ordered;
    for (size_t reader : readers[i])
      if (--pending[reader] == 0)
        ready.push_back(reader);
  }
  if (ordered == n)
    return -1;
  for (size_t i = 0; i < n; ++i)
    if (pending[i])
      return static_cast<int64_t>(i);
  return -1;
}
} // namespace

LogicalResult
quantc::onnx_import::checkGraphStructure(const onnx::GraphProto &graph,
                                         Location graphLoc,
                                         function_ref<Location(size_t)> nodeLoc,
                                         function_ref<bool(StringRef)> isOuterName) {
  if (graph.output_size() == 0)
    return emitError(graphLoc, "the graph has no outputs");
  // Where each name is assigned: "graph input", "initializer" or a node.
  llvm::StringMap<std::string> assigned;
  llvm::StringMap<size_t> producer;
  auto assign = [&](const std::string &name, std::string by) -> LogicalResult {
    auto [it, inserted] = assigned.try_emplace(name, by);
    if (inserted)
      return success();
    return emitError(graphLoc, "value '")
           << name << "' is assigned twice (by " << it->second << " and by "
           << by << "): ONNX values have one producer";
  };
  for (const auto &init : graph.initializer()) {
    if (init.name().empty())
      return emitError(graphLoc, "an initializer has no name");
    if (failed(assign(init.name(), "an initializer")))
      return failure();
  }
  for (const auto &input : graph.input()) {
    if (input.name().empty())
      return emitError(graphLoc, "a graph input has no name");
    // An input that is also an initializer gives it a default (IR >= 4).
    auto it = assigned.find(input.name());
    if (it != assigned.end() && it->second == "an initializer")
      continue;
    if (failed(assign(input.name(), "a graph input")))
      return failure();
  }
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue; // an optional output left out
      if (failed(assign(out, "node '" + nodeName(node, index) + "'")))
        return failure();
      producer[out] = index;
    }
  }
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    if (failed(checkAttributes(node, index, nodeLoc(index))))
      return failure();
    for (const std::string &in : node.input()) {
      if (in.empty())
        continue; // an optional input left out
      if (!assigned.count(in) && !(isOuterName && isOuterName(in)))
        return nodeError(nodeLoc(index), node, index)
               << "input '" << in << "' is not defined";
      auto it = producer.find(in);
      if (it == producer.end() || it->second < index)
        continue;
      int64_t onCycle = findNodeOnCycle(graph, producer);
      if (onCycle >= 0)
        return nodeError(nodeLoc(onCycle), graph.node(onCycle), onCycle)
               << "is on a cycle of the graph: ONNX graphs are acyclic";
      return nodeError(nodeLoc(index), node, index)
             << "reads '" << in << "' before node '"
             << nodeName(graph.node(it->second), it->second)
             << "' produces it: ONNX nodes must be in topological order";
    }
  }
  for (const auto &out : graph.output()) {
    if (out.name().empty())
      return emitError(graphLoc, "a graph output has no name");
    if (!assigned.count(out.name()) && !(isOuterName && isOuterName(out.name())))
      return emitError(graphLoc, "graph output '")
             << out.name() << "' is not produced by any node";
  }
  return success();
}
