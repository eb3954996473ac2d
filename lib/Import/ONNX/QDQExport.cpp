//===- QDQExport.cpp - quantc's quantization written as ONNX QDQ -*- C++ -*-===//
//
// Writes quantc's choices (which tensors are quantized, with which scales and
// zero points, and the quantized weights) into the original ONNX model in the
// QDQ form other runtimes read: QuantizeLinear -> DequantizeLinear after each
// quantized tensor, 8-bit integer initializers behind DequantizeLinear for
// weights. The module's ops carry the ONNX names of their results
// (`qc.onnx_names`, recorded at import), which ties each qc value to the
// tensor to rewrite; the rest of the model is copied as it is.
//
//===----------------------------------------------------------------------===//
#include "GraphImporter.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "onnx/version_converter/convert.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

#include <map>

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
/// producer of `base`; the nodes in `readers` read `output` instead of `base`.
struct QDQPair {
  std::string base, input, output;
  RankedTensorType type;
  std::vector<std::string> readers;
};
/// The ONNX tensor name of `v`, or an empty string.
std::string onnxName(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = cast<func::FuncOp>(arg.getOwner()->getParentOp());
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "qc.name");
    return name ? name.str() : "";
  }
  auto result = cast<OpResult>(v);
  auto names = result.getOwner()->getAttrOfType<ArrayAttr>(kONNXNamesAttr);
  if (!names || result.getResultNumber() >= names.size())
    return "";
  return cast<StringAttr>(names[result.getResultNumber()]).str();
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
      if (!isa<func::FuncOp>(op->getParentOp())) {
        // Pairs go into the main graph; a value of an If branch or a loop
        // body lives in a subgraph.
        quantize.emitWarning("quantizes a value inside a subgraph (an If branch or a loop "
                             "body), which this export keeps in float");
        pairOf[quantize.getResult()] = kSkipped;
        return WalkResult::advance();
      }
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
      // The ONNX nodes whose ops read the dequantized value.
      for (Operation *dq : quantize->getUsers())
        for (Operation *reader : dq->getUsers())
          if (!isa<qc::QuantizeOp>(reader))
            pair.readers.push_back(qc::getNodeName(reader->getLoc()));
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
    // Quantized weights keep the location of their initializer.
    auto name = dyn_cast<NameLoc>(constant.getLoc());
    if (!name)
      return dequantize.emitError("quantizes a constant that is no ONNX initializer");
    auto type = llvm::cast<RankedTensorType>(storageCast.getType());
    if (failed(checkStorage(op->getLoc(), name.getName(), type)))
      return WalkResult::interrupt();
    FailureOr<reference::Tensor> values =
        reference::Tensor::fromAttr(llvm::cast<ElementsAttr>(constant.getValue()));
    if (failed(values))
      return dequantize.emitError("cannot read the quantized weights");
    if (!seenWeights[name.getName().str()]) {
      seenWeights[name.getName().str()] = true;
      weights.push_back({name.getName().str(), type,
                         {values->ints().begin(), values->ints().end()}});
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

/// Edits a ModelProto: names, initializers, nodes.
class QDQWriter {
public:
  explicit QDQWriter(onnx::ModelProto &model) : model(model), graph(*model.mutable_graph()) {
    for (const auto &t : graph.initializer())
      names.insert(t.name());
    for (const auto &node : graph.node())
      for (const auto &out : node.output())
        names.insert(out);
    for (const auto &in : graph.input())
      names.insert(in.name());
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

  /// The initializer `w` becomes integers read through a DequantizeLinear
  /// whose output keeps the name `w`. With `emulateAxis`, for models that
  /// cannot move to opset 13, per-channel weights are dequantized by
  /// Cast -> Sub -> Mul with broadcast zero points and scales instead: the
  /// same values, though runtimes then compute those layers in float.
  std::vector<onnx::NodeProto> quantizeWeight(const QuantizedTensor &w, bool emulateAxis) {
    auto q = qc::getQuantizedType(w.type);
    std::string stored = fresh(w.name + "_quantized");
    auto *initializers = graph.mutable_initializer();
    for (int i = 0; i < initializers->size(); ++i)
      if (initializers->Get(i).name() == w.name) {
        initializers->DeleteSubrange(i, 1);
        break;
      }
    onnx::TensorProto *t = graph.add_initializer();
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

  onnx::ModelProto &model;
  onnx::GraphProto &graph;
  std::set<std::string> names;
};

LogicalResult rewriteModel(ModuleOp module, onnx::ModelProto &model) {
  std::vector<QDQPair> pairs;
  std::vector<QuantizedTensor> weights;
  if (failed(collect(module, pairs, weights)))
    return failure();
  for (const auto &initializer : model.graph().initializer())
    if (initializer.data_location() == onnx::TensorProto::EXTERNAL)
      return emitError(module.getLoc(), "initializer '")
             << initializer.name()
             << "' holds external data; QDQ export writes self-contained models";
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

  // Name every pair, then build its nodes.
  std::vector<std::vector<onnx::NodeProto>> pairNodes(pairs.size());
  std::map<std::string, std::vector<size_t>> pairsAfter; // by base tensor
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
  // Which node input reads which pair.
  std::map<std::string, std::map<std::string, std::string>> rewired;
  for (const QDQPair &pair : pairs)
    for (const std::string &reader : pair.readers)
      rewired[reader][pair.base] = pair.output;

  std::vector<onnx::NodeProto> nodes;
  for (const QuantizedTensor &w : weights)
    llvm::append_range(nodes, writer.quantizeWeight(w, emulateAxis));
  auto emitPairs = [&](const std::string &tensor) {
    for (size_t index : pairsAfter[tensor])
      llvm::append_range(nodes, pairNodes[index]);
  };
  for (const auto &input : model.graph().input())
    emitPairs(input.name());
  for (const onnx::NodeProto &original : model.graph().node()) {
    onnx::NodeProto node = original;
    if (auto it = rewired.find(node.name()); it != rewired.end())
      for (int i = 0; i < node.input_size(); ++i)
        if (auto to = it->second.find(node.input(i)); to != it->second.end())
          node.set_input(i, to->second);
    nodes.push_back(node);
    for (const std::string &out : original.output())
      emitPairs(out);
  }
  auto *graphNodes = model.mutable_graph()->mutable_node();
  graphNodes->Clear();
  for (onnx::NodeProto &node : nodes)
    *graphNodes->Add() = std::move(node);
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
