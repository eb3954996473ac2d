//===- QDQExport.cpp - quantc's quantization written as ONNX QDQ -*- C++ -*-===//
//
// Writes quantc's choices (which tensors are quantized, with which scales and
// zero points, and the quantized weights) into the original ONNX model in the
// QDQ form other runtimes read: QuantizeLinear -> DequantizeLinear after each
// quantized tensor, 8-bit integer initializers behind DequantizeLinear for
// weights. The module's ops carry the ONNX names of their results
// (`qc.onnx_names`, recorded at import), which ties each qc value to the
// tensor to rewrite; the rest of the model is copied as it is. Subgraphs (If
// branches, loop bodies) are rewritten the same way: a pair goes where its
// tensor is defined, a quantized value a branch or body returns becomes its
// output, and a pair no node reads (a branch that shares names with its
// sibling) is dropped.
//
//===----------------------------------------------------------------------===//
#include "GraphImporter.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "onnx/version_converter/convert.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

#include <map>
#include <set>

using namespace mlir;
using namespace quantc;

namespace {
/// A quantized tensor of the ONNX graph and its qc type.
struct QuantizedTensor {
  std::string name;
  RankedTensorType type;
  std::vector<int64_t> values; // stored integers, for weights
};

/// One QuantizeLinear -> DequantizeLinear pair: on `input` (an ONNX tensor,
/// or the output of an earlier pair when qc requantizes), placed after the
/// producer of `base`; the nodes in `readers` read `output` instead of `base`,
/// and the subgraphs in `returnedBy` ("<node>/<attribute>") return it.
struct QDQPair {
  std::string base, input, output;
  RankedTensorType type;
  std::vector<std::string> readers, returnedBy;
};

/// The ONNX tensor name of `v`, or an empty string.
std::string onnxName(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Operation *owner = arg.getOwner()->getParentOp();
    if (auto func = dyn_cast<func::FuncOp>(owner)) {
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "qc.name");
      return name ? name.str() : "";
    }
    // A region argument bound to a subgraph input (a loop's carried value).
    auto regions = owner->getAttrOfType<ArrayAttr>(kONNXArgNamesAttr);
    unsigned region = arg.getOwner()->getParent()->getRegionNumber();
    auto names = regions && region < regions.size() ? dyn_cast<ArrayAttr>(regions[region])
                                                    : ArrayAttr();
    if (!names || arg.getArgNumber() >= names.size())
      return "";
    return cast<StringAttr>(names[arg.getArgNumber()]).str();
  }
  auto result = cast<OpResult>(v);
  auto names = result.getOwner()->getAttrOfType<ArrayAttr>(kONNXNamesAttr);
  if (!names || result.getResultNumber() >= names.size())
    return "";
  return cast<StringAttr>(names[result.getResultNumber()]).str();
}

/// The graph that `op` ends when it returns the graph's values: "" for the
/// main graph, "<node>/<attribute>" for a branch or a loop body; nullopt
/// for other ops.
std::optional<std::string> returnedSubgraph(Operation *op) {
  if (isa<func::ReturnOp>(op))
    return "";
  if (!isa<scf::YieldOp>(op))
    return std::nullopt;
  Operation *parent = op->getParentOp();
  std::string node = qc::getNodeName(parent->getLoc());
  if (isa<scf::IfOp>(parent))
    return node + (op->getParentRegion()->getRegionNumber() == 0 ? "/then_branch"
                                                                 : "/else_branch");
  if (isa<scf::WhileOp>(parent))
    return node + "/body";
  return std::nullopt;
}

/// The 8-bit type QDQ can write, or an error naming `tensor`.
LogicalResult checkStorage(Location loc, StringRef tensor, RankedTensorType type) {
  auto q = qc::getQuantizedType(type);
  if (q.getStorageTypeIntegralWidth() != 8)
    return emitError(loc) << "tensor '" << tensor << "' is quantized to "
                          << q.getStorageTypeIntegralWidth()
                          << " bits; QDQ export writes 8-bit tensors only";
  if (isa<quant::UniformQuantizedSubChannelType>(q))
    return emitError(loc) << "tensor '" << tensor
                          << "' has block-wise scales; QDQ export writes "
                             "per-tensor and per-channel scales only";
  return success();
}

/// The quantized activations (in program order) and weights of `module`.
LogicalResult collect(ModuleOp module, std::vector<QDQPair> &pairs,
                      std::vector<QuantizedTensor> &weights) {
  // Pairs are named here; the writer makes the names unique in the graph.
  constexpr size_t kSkipped = SIZE_MAX;
  DenseMap<Value, size_t> pairOf; // quantize results -> their pair
  std::map<std::string, bool> seenWeights;
  WalkResult walk = module.walk([&](Operation *op) -> WalkResult {
    if (auto quantize = dyn_cast<qc::QuantizeOp>(op)) {
      if (failed(checkStorage(op->getLoc(), onnxName(quantize.getInput()), quantize.getType())))
        return WalkResult::interrupt();
      QDQPair pair;
      pair.type = quantize.getType();
      // A requantization (quantize of a dequantize) chains a second pair.
      auto source = quantize.getInput().getDefiningOp<qc::DequantizeOp>();
      if (source && pairOf.count(source.getInput())) {
        size_t first = pairOf.lookup(source.getInput());
        if (first == kSkipped) {
          pairOf[quantize.getResult()] = kSkipped;
          return WalkResult::advance();
        }
        pair.base = pairs[first].base;
        pair.input = "#" + std::to_string(first);
      } else {
        pair.base = pair.input = onnxName(quantize.getInput());
        if (pair.base.empty()) {
          // A value inside one ONNX node that quantc decomposed (Softmax
          // below opset 13 flattens, for one) has no tensor to put a pair on.
          quantize.emitWarning("quantizes a value inside ONNX node '")
              << qc::getNodeName(quantize.getLoc())
              << "', which QDQ cannot express; the exported model keeps it in float";
          pairOf[quantize.getResult()] = kSkipped;
          return WalkResult::advance();
        }
      }
      // The ONNX nodes whose ops read the dequantized value, and the
      // subgraphs that return it.
      for (Operation *dq : quantize->getUsers())
        for (Operation *reader : dq->getUsers()) {
          if (isa<qc::QuantizeOp>(reader))
            continue;
          if (std::optional<std::string> subgraph = returnedSubgraph(reader))
            pair.returnedBy.push_back(*subgraph);
          else
            pair.readers.push_back(qc::getNodeName(reader->getLoc()));
        }
      pairOf[quantize.getResult()] = pairs.size();
      pairs.push_back(std::move(pair));
      return WalkResult::advance();
    }
    auto dequantize = dyn_cast<qc::DequantizeOp>(op);
    auto storageCast = dequantize ? dequantize.getInput().getDefiningOp<quant::StorageCastOp>()
                                  : quant::StorageCastOp();
    auto constant = storageCast ? storageCast.getInput().getDefiningOp<qc::ConstantOp>()
                                : qc::ConstantOp();
    if (!constant)
      return WalkResult::advance();
    // A Constant node's output carries its tensor name; an initializer's
    // constant keeps the initializer's name as its location.
    std::string name = onnxName(constant.getResult());
    if (auto loc = dyn_cast<NameLoc>(constant.getLoc()); name.empty() && loc)
      name = loc.getName().str();
    if (name.empty())
      return dequantize.emitError("quantizes a constant that is no ONNX initializer");
    auto type = llvm::cast<RankedTensorType>(storageCast.getType());
    if (failed(checkStorage(op->getLoc(), name, type)))
      return WalkResult::interrupt();
    FailureOr<reference::Tensor> values =
        reference::Tensor::fromAttr(llvm::cast<ElementsAttr>(constant.getValue()));
    if (failed(values))
      return dequantize.emitError("cannot read the quantized weights");
    if (!seenWeights[name]) {
      seenWeights[name] = true;
      weights.push_back({name, type, {values->ints().begin(), values->ints().end()}});
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

/// The version of the default ONNX domain the model imports.
int64_t defaultOpset(const onnx::ModelProto &model) {
  for (const auto &opset : model.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      return opset.version();
  return 0;
}

/// Calls `fn` on `graph` and on every subgraph of its nodes, outer first.
void forEachGraph(onnx::GraphProto &graph, function_ref<void(onnx::GraphProto &)> fn) {
  fn(graph);
  for (onnx::NodeProto &node : *graph.mutable_node())
    for (onnx::AttributeProto &attribute : *node.mutable_attribute()) {
      if (attribute.has_g())
        forEachGraph(*attribute.mutable_g(), fn);
      for (onnx::GraphProto &g : *attribute.mutable_graphs())
        forEachGraph(g, fn);
    }
}

/// Renames tensor `from` to `to` where `graph`'s nodes and those of its
/// subgraphs define or read it.
void renameTensor(onnx::GraphProto &graph, const std::string &from, const std::string &to) {
  for (onnx::NodeProto &node : *graph.mutable_node()) {
    for (std::string &name : *node.mutable_input())
      if (name == from)
        name = to;
    for (std::string &name : *node.mutable_output())
      if (name == from)
        name = to;
    for (onnx::AttributeProto &attribute : *node.mutable_attribute()) {
      if (attribute.has_g())
        renameTensor(*attribute.mutable_g(), from, to);
      for (onnx::GraphProto &g : *attribute.mutable_graphs())
        renameTensor(g, from, to);
    }
  }
}

/// The names `graph` and its subgraphs read: node inputs and graph outputs.
void collectReads(const onnx::GraphProto &graph, std::set<std::string> &read) {
  for (const onnx::NodeProto &node : graph.node()) {
    read.insert(node.input().begin(), node.input().end());
    for (const onnx::AttributeProto &attribute : node.attribute()) {
      if (attribute.has_g())
        collectReads(attribute.g(), read);
      for (const onnx::GraphProto &g : attribute.graphs())
        collectReads(g, read);
    }
  }
  for (const onnx::ValueInfoProto &output : graph.output())
    read.insert(output.name());
}

/// Edits a ModelProto: names, initializers, nodes.
class QDQWriter {
public:
  explicit QDQWriter(onnx::ModelProto &model) : graph(*model.mutable_graph()) {
    // Subgraphs see the names of the graphs around them: new names are
    // unique in the whole model.
    forEachGraph(graph, [&](onnx::GraphProto &g) {
      for (const auto &t : g.initializer())
        names.insert(t.name());
      for (const auto &node : g.node())
        for (const auto &out : node.output())
          names.insert(out);
      for (const auto &in : g.input())
        names.insert(in.name());
    });
  }

  /// A name not yet used in the graph.
  std::string fresh(const std::string &base) {
    std::string name = base;
    for (int i = 1; names.count(name); ++i)
      name = base + "_" + std::to_string(i);
    names.insert(name);
    return name;
  }

  /// Scale and zero-point initializers of `type` (1-d per channel).
  std::pair<std::string, std::string> addParams(const std::string &tensor,
                                                RankedTensorType type) {
    FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(type);
    auto q = qc::getQuantizedType(type);
    bool perAxis = !layout->isPerTensor();
    std::string scale = fresh(tensor + "_scale"), zeroPoint = fresh(tensor + "_zero_point");
    added.insert(scale);
    added.insert(zeroPoint);
    onnx::TensorProto *s = graph.add_initializer();
    s->set_name(scale);
    s->set_data_type(onnx::TensorProto::FLOAT);
    onnx::TensorProto *z = graph.add_initializer();
    z->set_name(zeroPoint);
    z->set_data_type(q.isSigned() ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8);
    if (perAxis) {
      s->add_dims(layout->scales.size());
      z->add_dims(layout->zeroPoints.size());
    }
    std::string scaleBytes, zeroBytes;
    for (double v : layout->scales) {
      float f = static_cast<float>(v);
      scaleBytes.append(reinterpret_cast<const char *>(&f), 4);
    }
    for (int64_t v : layout->zeroPoints)
      zeroBytes.push_back(static_cast<char>(v));
    s->set_raw_data(scaleBytes);
    z->set_raw_data(zeroBytes);
    return {scale, zeroPoint};
  }

  onnx::NodeProto makeNode(const std::string &opType, std::vector<std::string> inputs,
                           const std::string &output, std::optional<int64_t> axis) {
    onnx::NodeProto node;
    node.set_op_type(opType);
    node.set_name(fresh(output + "_" + opType));
    for (const std::string &in : inputs)
      node.add_input(in);
    node.add_output(output);
    if (axis) {
      onnx::AttributeProto *a = node.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(*axis);
    }
    return node;
  }

  std::optional<int64_t> axisOf(RankedTensorType type) {
    if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(type.getElementType()))
      return perAxis.getQuantizedDimension();
    return std::nullopt;
  }

  /// The weights `w` (an initializer or a Constant node's output, which the
  /// caller removes) become integers, an initializer of the graph `owner`
  /// that held them, read through a DequantizeLinear whose output keeps the
  /// name `w`. With `emulateAxis`, for models that cannot
  /// move to opset 13, per-channel weights are dequantized by Cast -> Sub ->
  /// Mul with broadcast zero points and scales instead: the same values,
  /// though runtimes then compute those layers in float.
  std::vector<onnx::NodeProto> quantizeWeight(const QuantizedTensor &w, bool emulateAxis,
                                              onnx::GraphProto &owner) {
    auto q = qc::getQuantizedType(w.type);
    std::string stored = fresh(w.name + "_quantized");
    onnx::TensorProto *t = owner.add_initializer();
    t->set_name(stored);
    t->set_data_type(q.isSigned() ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8);
    for (int64_t d : w.type.getShape())
      t->add_dims(d);
    std::string bytes;
    for (int64_t v : w.values)
      bytes.push_back(static_cast<char>(v));
    t->set_raw_data(bytes);
    std::optional<int64_t> axis = axisOf(w.type);
    if (!axis || !emulateAxis) {
      auto [scale, zeroPoint] = addParams(w.name, w.type);
      return {makeNode("DequantizeLinear", {stored, scale, zeroPoint}, w.name, axis)};
    }
    FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(w.type);
    SmallVector<int64_t> shape(w.type.getRank(), 1);
    shape[*axis] = w.type.getDimSize(*axis);
    auto floats = [&](const std::string &base, auto values) {
      std::string name = fresh(base);
      onnx::TensorProto *t = graph.add_initializer();
      t->set_name(name);
      t->set_data_type(onnx::TensorProto::FLOAT);
      for (int64_t d : shape)
        t->add_dims(d);
      std::string bytes;
      for (auto v : values) {
        float f = static_cast<float>(v);
        bytes.append(reinterpret_cast<const char *>(&f), 4);
      }
      t->set_raw_data(bytes);
      return name;
    };
    std::string scale = floats(w.name + "_scale", layout->scales);
    std::string zeroPoint = floats(w.name + "_zero_point", layout->zeroPoints);
    std::string cast = fresh(w.name + "_as_float"), centered = fresh(w.name + "_centered");
    onnx::NodeProto toFloat = makeNode("Cast", {stored}, cast, {});
    onnx::AttributeProto *to = toFloat.add_attribute();
    to->set_name("to");
    to->set_type(onnx::AttributeProto::INT);
    to->set_i(onnx::TensorProto::FLOAT);
    return {toFloat, makeNode("Sub", {cast, zeroPoint}, centered, {}),
            makeNode("Mul", {centered, scale}, w.name, {})};
  }

  /// Drops the scale and zero-point initializers no node reads any more.
  void dropUnreadParams() {
    std::set<std::string> read;
    collectReads(graph, read);
    auto *initializers = graph.mutable_initializer();
    for (int i = initializers->size() - 1; i >= 0; --i)
      if (added.count(initializers->Get(i).name()) && !read.count(initializers->Get(i).name()))
        initializers->DeleteSubrange(i, 1);
  }

  onnx::GraphProto &graph;
  std::set<std::string> names;
  std::set<std::string> added; // scale and zero-point initializers
};

/// The float tensor a Constant node holds, or null.
const onnx::TensorProto *floatConstant(const onnx::NodeProto &node) {
  if (node.op_type() != "Constant" || node.output_size() != 1)
    return nullptr;
  for (const onnx::AttributeProto &attribute : node.attribute())
    if (attribute.name() == "value" && attribute.has_t() &&
        attribute.t().data_type() == onnx::TensorProto::FLOAT)
      return &attribute.t();
  return nullptr;
}

/// Places the pairs and the weights in the graphs of a model.
class GraphRewriter {
public:
  GraphRewriter(ModuleOp module, QDQWriter &writer, std::vector<QDQPair> &pairs,
                const std::vector<QuantizedTensor> &weights, bool emulateAxis)
      : module(module), writer(writer), pairs(pairs), emulateAxis(emulateAxis) {
    for (const QuantizedTensor &w : weights)
      unplacedWeights.emplace(w.name, w);
    pairNodes.resize(pairs.size());
    for (auto [index, pair] : llvm::enumerate(pairs)) {
      if (StringRef(pair.input).starts_with("#"))
        pair.input = pairs[std::stoul(pair.input.substr(1))].output;
      auto [scale, zeroPoint] = writer.addParams(pair.base, pair.type);
      std::string quantized = writer.fresh(pair.base + "_QuantizeLinear_Output");
      pair.output = writer.fresh(pair.base + "_DequantizeLinear_Output");
      pairNodes[index] = {
          writer.makeNode("QuantizeLinear", {pair.input, scale, zeroPoint}, quantized, {}),
          writer.makeNode("DequantizeLinear", {quantized, scale, zeroPoint}, pair.output, {})};
      pairsAfter[pair.base].push_back(index);
    }
    for (auto [index, pair] : llvm::enumerate(pairs)) {
      for (const std::string &reader : pair.readers)
        route(readers[reader], pair.base, index, "node '" + reader + "'");
      for (const std::string &subgraph : pair.returnedBy)
        route(returned[subgraph], pair.base, index, "subgraph '" + subgraph + "'");
    }
  }

  /// Rewrites `graph`, the subgraph `key` ("<node>/<attribute>", empty for
  /// the main graph), and its subgraphs.
  void rewrite(onnx::GraphProto &graph, const std::string &key) {
    std::vector<onnx::NodeProto> nodes;
    std::set<std::string> placed; // outputs of the pair nodes placed here
    auto placePairs = [&](const std::string &tensor) {
      for (size_t index : pairsAfter[tensor])
        for (const onnx::NodeProto &node : pairNodes[index]) {
          nodes.push_back(node);
          placed.insert(node.output(0));
        }
    };
    // Weights named `key` (their tensor, or the Constant node whose location
    // the quantized constant kept), placed as tensor `tensor`. Node names
    // made from op types repeat across subgraphs: the shape must match too.
    auto placeWeight = [&](const std::string &key, const std::string &tensor,
                           ArrayRef<int64_t> shape) {
      auto it = unplacedWeights.find(key);
      if (it == unplacedWeights.end() || it->second.type.getShape() != shape)
        return false;
      QuantizedTensor w = it->second;
      w.name = tensor;
      llvm::append_range(nodes, writer.quantizeWeight(w, emulateAxis, graph));
      unplacedWeights.erase(it);
      return true;
    };
    auto *initializers = graph.mutable_initializer();
    for (int i = initializers->size() - 1; i >= 0; --i)
      if (const onnx::TensorProto &t = initializers->Get(i);
          t.data_type() == onnx::TensorProto::FLOAT &&
          placeWeight(t.name(), t.name(), SmallVector<int64_t>(t.dims().begin(), t.dims().end())))
        initializers->DeleteSubrange(i, 1);
    for (const auto &input : graph.input())
      placePairs(input.name());
    for (auto [index, original] : llvm::enumerate(graph.node())) {
      std::string name = onnx_import::importedNodeName(original, index);
      if (const onnx::TensorProto *value = floatConstant(original)) {
        SmallVector<int64_t> shape(value->dims().begin(), value->dims().end());
        if (placeWeight(original.output(0), original.output(0), shape) ||
            placeWeight(name, original.output(0), shape))
          continue;
      }
      onnx::NodeProto node = original;
      if (auto it = readers.find(name); it != readers.end())
        for (int i = 0; i < node.input_size(); ++i)
          if (std::optional<size_t> pair = it->second.lookup(node.input(i)))
            node.set_input(i, pairs[*pair].output);
      for (onnx::AttributeProto &attribute : *node.mutable_attribute()) {
        if (attribute.has_g())
          rewrite(*attribute.mutable_g(), name + "/" + attribute.name());
        for (onnx::GraphProto &g : *attribute.mutable_graphs())
          rewrite(g, name + "/" + attribute.name());
      }
      nodes.push_back(std::move(node));
      for (const std::string &out : original.output())
        placePairs(out);
    }
    auto *graphNodes = graph.mutable_node();
    graphNodes->Clear();
    for (onnx::NodeProto &node : nodes)
      *graphNodes->Add() = std::move(node);
    if (auto it = returned.find(key); it != returned.end())
      returnQuantized(graph, key.empty(), it->second);
    dropUnread(graph, placed);
  }

  /// Warns about the weights no graph holds.
  void checkWeightsPlaced() {
    for (const auto &[name, weight] : unplacedWeights)
      emitWarning(module.getLoc(), "quantized weights '")
          << name << "' are no initializer or Constant output of the model; the export "
          << "keeps them in float";
  }

private:
  /// Where a reader (node or subgraph) reads tensor `base`: the pair it
  /// reads instead. Pairs of different scales for one reader (a loop body
  /// unrolled at import: one scale per iteration) leave it in float.
  struct Routes {
    std::map<std::string, size_t> pairOf;
    std::set<std::string> conflicting;
    std::optional<size_t> lookup(const std::string &base) const {
      auto it = pairOf.find(base);
      if (it == pairOf.end() || conflicting.count(base))
        return std::nullopt;
      return it->second;
    }
  };

  void route(Routes &routes, const std::string &base, size_t index, const std::string &reader) {
    auto [it, inserted] = routes.pairOf.emplace(base, index);
    if (inserted || pairs[it->second].type == pairs[index].type ||
        !routes.conflicting.insert(base).second)
      return;
    emitWarning(module.getLoc(), "tensor '")
        << base << "' is quantized with different scales where " << reader
        << " reads it (a loop unrolled at import has one per iteration); QDQ gives a "
        << "tensor one scale, so the export keeps it in float there";
  }

  /// A quantized value `graph` returns: a subgraph returns the pair's
  /// output instead (its outputs bind by position). The main graph keeps its
  /// output names, so the pair's output takes the name and the tensor before
  /// it a new one, as ONNX Runtime's quantizer does.
  void returnQuantized(onnx::GraphProto &graph, bool isMain, const Routes &routes) {
    std::set<std::string> inputs;
    for (const auto &input : graph.input())
      inputs.insert(input.name());
    for (onnx::ValueInfoProto &output : *graph.mutable_output()) {
      std::optional<size_t> index = routes.lookup(output.name());
      if (!index)
        continue;
      const QDQPair &pair = pairs[*index];
      if (!isMain) {
        output.set_name(pair.output);
      } else if (!inputs.count(pair.base)) {
        renameTensor(graph, pair.base, writer.fresh(pair.base + "_float"));
        renameTensor(graph, pair.output, pair.base);
      }
    }
  }

  /// Drops the pair nodes in `placed` whose outputs `graph` (subgraphs
  /// included) does not read: pairs for a sibling branch's tensor of the
  /// same name, or for readers left in float.
  static void dropUnread(onnx::GraphProto &graph, const std::set<std::string> &placed) {
    for (bool dropped = true; dropped;) {
      dropped = false;
      std::set<std::string> read;
      collectReads(graph, read);
      auto *nodes = graph.mutable_node();
      for (int i = nodes->size() - 1; i >= 0; --i)
        if (placed.count(nodes->Get(i).output(0)) && !read.count(nodes->Get(i).output(0))) {
          nodes->DeleteSubrange(i, 1);
          dropped = true;
        }
    }
  }

  ModuleOp module;
  QDQWriter &writer;
  std::vector<QDQPair> &pairs;
  std::vector<std::vector<onnx::NodeProto>> pairNodes;
  std::map<std::string, std::vector<size_t>> pairsAfter;  // by base tensor
  std::map<std::string, Routes> readers, returned;        // by node, by subgraph
  bool emulateAxis;
  std::map<std::string, QuantizedTensor> unplacedWeights; // by name or node
};

LogicalResult rewriteModel(ModuleOp module, onnx::ModelProto &model) {
  std::vector<QDQPair> pairs;
  std::vector<QuantizedTensor> weights;
  if (failed(collect(module, pairs, weights)))
    return failure();
  LogicalResult external = success();
  forEachGraph(*model.mutable_graph(), [&](onnx::GraphProto &graph) {
    for (const auto &initializer : graph.initializer())
      if (initializer.data_location() == onnx::TensorProto::EXTERNAL && succeeded(external))
        external = emitError(module.getLoc(), "initializer '")
                   << initializer.name()
                   << "' holds external data; QDQ export writes self-contained models";
  });
  if (failed(external))
    return failure();
  bool perAxis = llvm::any_of(weights, [](const QuantizedTensor &w) {
    return isa<quant::UniformQuantizedPerAxisType>(w.type.getElementType());
  });
  bool emulateAxis = false;
  if (perAxis && defaultOpset(model) < 13) {
    // DequantizeLinear takes an axis from opset 13; ONNX's converter
    // rewrites the ops whose form changed since. Where it cannot, the
    // per-channel weights are dequantized with plain ops instead.
    try {
      model = onnx::version_conversion::ConvertVersion(model, 13);
    } catch (const std::exception &e) {
      emulateAxis = true;
      emitWarning(module.getLoc(), "the model stays at opset ")
          << defaultOpset(model)
          << " (ONNX's converter to opset 13 failed: " << StringRef(e.what()).split('\n').first
          << "); its per-channel weights are dequantized by Cast, Sub and Mul";
    }
  }
  QDQWriter writer(model);
  GraphRewriter rewriter(module, writer, pairs, weights, emulateAxis);
  rewriter.rewrite(*model.mutable_graph(), "");
  rewriter.checkWeightsPlaced();
  writer.dropUnreadParams();
  return success();
}
} // namespace

LogicalResult quantc::exportQDQModel(ModuleOp module, StringRef originalPath,
                                     StringRef outputPath) {
  Location loc = FileLineColLoc::get(module.getContext(), originalPath, 0, 0);
  try {
    auto buffer = llvm::MemoryBuffer::getFile(originalPath, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return emitError(loc, "cannot open '") << originalPath << "': "
                                             << buffer.getError().message();
    onnx::ModelProto model;
    std::string error;
    if (failed(onnx_import::parseModel((*buffer)->getBuffer(),
                                       originalPath.ends_with(".onnxtxt"),
                                       originalPath, model, error)))
      return emitError(loc, error);
    if (failed(rewriteModel(module, model)))
      return failure();
    std::string bytes;
    if (!model.SerializeToString(&bytes))
      return emitError(loc, "cannot serialize the QDQ model");
    std::error_code ec;
    llvm::ToolOutputFile out(outputPath, ec, llvm::sys::fs::OF_None);
    if (ec)
      return emitError(loc, "cannot write '") << outputPath << "': " << ec.message();
    out.os() << bytes;
    out.os().flush();
    if (out.os().has_error())
      return emitError(loc, "cannot write '") << outputPath << "'";
    out.keep();
    return success();
  } catch (const std::exception &e) {
    return emitError(loc, "cannot export '") << originalPath << "': " << e.what();
  }
}
