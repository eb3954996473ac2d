//===- GraphImporter.cpp - ONNX graph to a qc function ----------*- C++ -*-===//
#include "GraphImporter.h"
#include "quantc/Reference/Npz.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

Value GraphImporter::lookup(StringRef name, Location loc) {
  if (Value v = values.lookup(name))
    return v;
  auto it = initializers.find(name);
  if (it == initializers.end())
    return nullptr;
  // Initializers become constants at their first use.
  FailureOr<ElementsAttr> attr = convertTensorProto(
      *it->second, llvm::sys::path::parent_path(modelPath),
      NameLoc::get(builder.getStringAttr(name)));
  if (failed(attr))
    return nullptr;
  Value v = qc::ConstantOp::create(builder, NameLoc::get(builder.getStringAttr(name)), *attr);
  setValue(name, v);
  return v;
}

void GraphImporter::setValue(StringRef name, Value value) {
  if (scope) {
    auto it = values.find(name);
    scope->values.emplace_back(name.str(), it == values.end() ? Value() : it->second);
  }
  values[name] = value;
}

void GraphImporter::bindList(StringRef name, ListValue list) {
  if (scope) {
    auto it = lists.find(name);
    scope->lists.emplace_back(name.str(), it == lists.end() ? std::optional<ListValue>()
                                                            : std::optional(it->second));
  }
  lists[name] = std::move(list);
}

InFlightDiagnostic GraphImporter::listWhereTensor(Location loc, StringRef what,
                                                  StringRef name) {
  return emitError(loc) << what << " '" << name << "' is "
                        << (lists.lookup(name).optional ? "an optional" : "a sequence")
                        << "; quantc resolves sequences and optionals at import, for the "
                           "sequence and optional ops inside a graph: graphs take, return "
                           "and carry tensors";
}

void GraphImporter::bind(StringRef name, Value value) {
  setValue(name, value);
  auto result = dyn_cast_if_present<OpResult>(value);
  if (!options.recordTensorNames || !result)
    return;
  // The first name wins: Identity-like nodes rebind a value to new names.
  Operation *op = result.getOwner();
  SmallVector<Attribute> names(op->getNumResults(), builder.getStringAttr(""));
  if (auto recorded = op->getAttrOfType<ArrayAttr>(kONNXNamesAttr))
    names.assign(recorded.begin(), recorded.end());
  if (!cast<StringAttr>(names[result.getResultNumber()]).empty())
    return;
  names[result.getResultNumber()] = builder.getStringAttr(name);
  op->setAttr(kONNXNamesAttr, builder.getArrayAttr(names));
}

/// `shape` as in an --input-shape value (DxDx...).
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  return text;
}

/// The shape a graph input declares, as in an --input-shape value: its
/// named dimensions by name, unnamed dynamic ones as '?'.
static std::string declaredShape(const onnx::ValueInfoProto &info) {
  SmallVector<std::string> dims;
  for (const auto &dim : info.type().tensor_type().shape().dim())
    dims.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? std::to_string(dim.dim_value())
                   : dim.has_dim_param() && !dim.dim_param().empty() ? dim.dim_param()
                                                                      : "?");
  return llvm::join(dims, "x");
}

FailureOr<RankedTensorType>
GraphImporter::inputType(const onnx::ValueInfoProto &info) {
  MLIRContext *ctx = builder.getContext();
  Location loc = NameLoc::get(builder.getStringAttr(info.name()));
  if (!info.type().has_tensor_type())
    return emitError(loc, "graph input '") << info.name() << "' is not a tensor";
  const auto &tensorType = info.type().tensor_type();
  Type element = convertElementType(ctx, tensorType.elem_type());
  if (!element)
    return emitError(loc, "graph input '")
           << info.name() << "' has unsupported element type "
           << tensorType.elem_type();
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim()) {
    auto named = dim.has_dim_param() ? options.dimParams.find(dim.dim_param())
                                     : options.dimParams.end();
    if (named != options.dimParams.end())
      shape.push_back(named->second);
    else
      shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value()
                                                             : ShapedType::kDynamic);
  }
  auto bound = options.inputShapes.find(info.name());
  if (bound != options.inputShapes.end()) {
    ArrayRef<int64_t> given = bound->second;
    bool compatible = given.size() == shape.size();
    for (size_t i = 0; compatible && i < shape.size(); ++i)
      compatible = ShapedType::isDynamic(shape[i]) || shape[i] == given[i];
    if (!compatible)
      return emitError(loc, "--input-shape for '")
             << info.name() << "' is " << formatShape(given)
             << ", which does not match the model's shape " << declaredShape(info);
    shape.assign(given.begin(), given.end());
  } else if (auto data = options.dataShapes.find(info.name());
             data != options.dataShapes.end() &&
             data->second.size() == shape.size()) {
    for (auto [dim, fed] : llvm::zip(shape, data->second))
      if (ShapedType::isDynamic(dim))
        dim = fed;
  }
  if (llvm::any_of(shape, ShapedType::isDynamic))
    return emitError(loc, "graph input '")
           << info.name() << "' has dynamic dimensions (" << declaredShape(info)
           << "); bind them with --input-shape " << info.name() << "=DxDx...";
  return RankedTensorType::get(shape, element);
}

/// Whether `value` is a numpy array that carries the values of `declared`
/// (int8 for INT4, float32 for float8, ...; reference::carrierElementType)
/// and `declared` holds every one.
static bool carries(Type declared, const reference::Tensor &value) {
  return value.getElementType() == reference::carrierElementType(declared) &&
         !reference::firstValueNotHeld(value, declared);
}

FailureOr<RankedTensorType>
GraphImporter::boundInputType(const onnx::ValueInfoProto &info,
                              const reference::Tensor &value) {
  Location loc = NameLoc::get(builder.getStringAttr(info.name()));
  const auto &tensorType = info.type().tensor_type();
  Type element = convertElementType(builder.getContext(), tensorType.elem_type());
  auto fail = [&]() {
    return emitError(loc, "--bind-inputs gives '")
           << info.name() << "' as " << value.getType() << ", the model declares "
           << (element ? element : builder.getNoneType()) << " of rank "
           << tensorType.shape().dim_size();
  };
  if (!element ||
      (element != value.getElementType() && !carries(element, value)) ||
      tensorType.shape().dim_size() != value.getRank())
    return fail();
  for (auto [dim, size] : llvm::zip(tensorType.shape().dim(), value.getShape()))
    if (dim.has_dim_value() && dim.dim_value() != size)
      return fail();
  return RankedTensorType::get(value.getShape(), element);
}

LogicalResult GraphImporter::importInputs(const onnx::GraphProto &graph,
                                          func::FuncOp &func, ModuleOp module) {
  for (const auto &init : graph.initializer())
    initializers[init.name()] = &init;
  for (const auto &entry : options.inputShapes)
    if (llvm::none_of(graph.input(), [&](const onnx::ValueInfoProto &info) {
          return info.name() == entry.getKey();
        }))
      return emitError(module.getLoc(), "--input-shape names '")
             << entry.getKey() << "', which is not a graph input";
  for (const auto &entry : options.inputValues)
    if (llvm::none_of(graph.input(), [&](const onnx::ValueInfoProto &info) {
          return info.name() == entry.getKey();
        }))
      return emitError(module.getLoc(), "--bind-inputs names '")
             << entry.getKey() << "', which is not a graph input";
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<std::pair<std::string, RankedTensorType>> boundInputs;
  for (const auto &info : graph.input()) {
    if (initializers.contains(info.name()))
      continue; // An initializer with a default value, not a real input.
    if (auto bound = options.inputValues.find(info.name()); bound != options.inputValues.end()) {
      FailureOr<RankedTensorType> type = boundInputType(info, bound->second);
      if (failed(type))
        return failure();
      boundInputs.emplace_back(info.name(), *type);
      continue;
    }
    FailureOr<RankedTensorType> type = inputType(info);
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    argNames.push_back(info.name());
  }
  builder.setInsertionPointToEnd(module.getBody());
  func = func::FuncOp::create(builder, module.getLoc(), "main",
                              builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "qc.name", builder.getStringAttr(name));
    values[name] = entry->getArgument(i);
  }
  builder.setInsertionPointToEnd(entry);
  for (const auto &[name, type] : boundInputs)
    values[name] = qc::ConstantOp::create(builder, NameLoc::get(builder.getStringAttr(name)),
                                          options.inputValues.lookup(name).toAttr(type, name));
  return success();
}

std::string onnx_import::importedNodeName(const onnx::NodeProto &node, size_t index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index) : node.name();
}

Location GraphImporter::nodeLocation(const onnx::NodeProto &node,
                                     size_t index) {
  return NameLoc::get(builder.getStringAttr(importedNodeName(node, index)));
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        size_t index) {
  Location loc = nodeLocation(node, index);
  auto emit = [&]() {
    return emitError(loc) << "node '" << cast<NameLoc>(loc).getName().getValue() << "' ("
                          << node.op_type() << "): ";
  };
  // Ops of other domains are registered as "<domain>.<op type>".
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  if (!domain.empty() && domain != "com.microsoft")
    return emit() << "unsupported op domain '" << domain << "'";
  const auto &importers = getOpImporters();
  auto it = importers.find(domain.empty() ? node.op_type()
                                          : domain + "." + node.op_type());
  if (it == importers.end() && domain.empty() && getDeclinedOps().count(node.op_type()))
    return emit() << "ONNX op '" << node.op_type()
                  << "' is not supported: " << getDeclinedOps().lookup(node.op_type());
  if (it == importers.end())
    return emit() << "unsupported ONNX op '" << node.op_type() << "'"
                  << (domain.empty() ? "" : " of domain '" + domain + "'");
  if (llvm::all_of(node.output(), [](const std::string &name) { return name.empty(); }))
    return emit() << "has no output";
  const OpImporter &opImporter = it->second;
  int64_t opset = opsets.lookup("");
  if (opset < 1 || opset > 22)
    return emit() << "unsupported opset " << opset << " (supported: 1-22)";
  if (opset < opImporter.firstOpset)
    return emit() << "the opset " << opset << " form of " << node.op_type()
                  << " is not supported (it is imported from opset "
                  << opImporter.firstOpset << ")";
  for (unsigned i = 0; i < opImporter.requiredInputs; ++i)
    if (i >= (unsigned)node.input_size() || node.input(i).empty())
      return emit() << "missing required input " << i;
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty())
      continue;
    if (lists.contains(node.input(i))) {
      if (!opImporter.readsLists)
        return listWhereTensor(loc, "node '" + cast<NameLoc>(loc).getName().str() + "' (" +
                                        node.op_type() + "): input",
                               node.input(i));
      continue;
    }
    if (!lookup(node.input(i), loc))
      return emit() << "input '" << node.input(i) << "' is not defined";
  }
  NodeImporter importer(*this, node, opset, loc);
  if (failed(opImporter.import(importer)) || importer.failedToBuild())
    return failure();
  for (int i = 0; i < node.output_size(); ++i)
    if (!node.output(i).empty() && !values.contains(node.output(i)) &&
        !lists.contains(node.output(i)) && isUsed(node.output(i)))
      return emit() << "output " << i << " ('" << node.output(i)
                    << "') is not supported";
  return success();
}

/// Every name a node of `graph` or of its subgraphs reads, and the outputs.
static void collectUsedNames(const onnx::GraphProto &graph, llvm::StringSet<> &used) {
  for (const auto &node : graph.node()) {
    for (const auto &in : node.input())
      used.insert(in);
    for (const auto &attr : node.attribute()) {
      if (attr.has_g())
        collectUsedNames(attr.g(), used);
      for (const auto &g : attr.graphs())
        collectUsedNames(g, used);
    }
  }
  for (const auto &out : graph.output())
    used.insert(out.name());
}

/// Puts back what `log` says each name held, last change first.
template <typename T>
static void undo(llvm::StringMap<T> &map, ArrayRef<std::pair<std::string, T>> log) {
  for (const auto &[name, previous] : llvm::reverse(log)) {
    if (previous)
      map[name] = previous;
    else
      map.erase(name);
  }
}

LogicalResult GraphImporter::importSubgraph(const onnx::GraphProto &graph, Location loc,
                                            ValueRange inputs,
                                            SmallVectorImpl<Value> &outputs) {
  if (graph.input_size() != static_cast<int>(inputs.size()))
    return emitError(loc) << "subgraph '" << graph.name() << "' has " << graph.input_size()
                          << " inputs, expected " << inputs.size();
  auto isOuterName = [&](StringRef name) {
    return values.contains(name) || initializers.contains(name) || lists.contains(name);
  };
  if (failed(checkGraphStructure(graph, loc, [&](size_t index) {
        return nodeLocation(graph.node(index), index);
      }, isOuterName)))
    return failure();
  // The subgraph's names live in a scope of their own: what it binds is
  // undone afterwards (restoring what it shadowed), innermost scope first.
  Scope inner;
  Scope *outer = std::exchange(scope, &inner);
  auto restore = llvm::make_scope_exit([&] {
    undo<Value>(values, inner.values);
    undo<const onnx::TensorProto *>(initializers, inner.initializers);
    for (auto &[name, previous] : llvm::reverse(inner.lists)) {
      if (previous)
        lists[name] = *previous;
      else
        lists.erase(name);
    }
    scope = outer;
  });
  for (const auto &init : graph.initializer()) {
    auto it = initializers.find(init.name());
    inner.initializers.emplace_back(init.name(), it == initializers.end() ? nullptr : it->second);
    initializers[init.name()] = &init;
  }
  for (auto [info, value] : llvm::zip(graph.input(), inputs)) {
    // An input made for this subgraph (a scan's slice) is that tensor; an
    // input that is a region's argument (a loop's carried value) is named
    // on the region's op once that exists.
    if (isa<BlockArgument>(value) &&
        !isa_and_present<func::FuncOp>(value.getParentBlock()->getParentOp()))
      regionArgumentNames[value] = info.name();
    bind(info.name(), value);
  }
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return failure();
  for (const auto &out : graph.output()) {
    if (lists.contains(out.name()))
      return listWhereTensor(loc, "subgraph output", out.name());
    Value v = lookup(out.name(), loc);
    if (!v)
      return emitError(loc) << "subgraph output '" << out.name() << "' is not produced";
    outputs.push_back(v);
  }
  return success();
}

void GraphImporter::nameRegionArguments(Operation *op) {
  if (!options.recordTensorNames)
    return;
  SmallVector<Attribute> regions;
  for (Region &region : op->getRegions()) {
    SmallVector<Attribute> names;
    if (!region.empty())
      for (BlockArgument arg : region.getArguments())
        names.push_back(builder.getStringAttr(regionArgumentNames.lookup(arg)));
    regions.push_back(builder.getArrayAttr(names));
  }
  op->setAttr(kONNXArgNamesAttr, builder.getArrayAttr(regions));
}

LogicalResult GraphImporter::importModel(const onnx::ModelProto &model,
                                         ModuleOp module) {
  for (const auto &opset : model.opset_import())
    opsets[opset.domain() == "ai.onnx" ? "" : opset.domain()] = opset.version();
  if (!opsets.count(""))
    return emitError(module.getLoc(), "model imports no default-domain opset");
  const onnx::GraphProto &graph = model.graph();
  if (failed(checkGraphStructure(graph, module.getLoc(), [&](size_t index) {
        return nodeLocation(graph.node(index), index);
      })))
    return failure();
  collectUsedNames(graph, usedNames);

  func::FuncOp func;
  if (failed(importInputs(graph, func, module)))
    return failure();
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return failure();

  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    if (lists.contains(out.name()))
      return listWhereTensor(module.getLoc(), "graph output", out.name());
    Value v = lookup(out.name(), module.getLoc());
    if (!v)
      return emitError(module.getLoc(), "graph output '")
             << out.name() << "' is not produced by any node";
    results.push_back(v);
  }
  func::ReturnOp::create(builder, module.getLoc(), results);
  func.setFunctionType(builder.getFunctionType(
      func.getArgumentTypes(), ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "qc.name", builder.getStringAttr(out.name()));

  // Constants consumed by import-time folding are dead now.
  for (Operation &op : llvm::make_early_inc_range(
           llvm::reverse(func.getBody().front().getOperations())))
    if (isa<qc::QCDialect>(op.getDialect()) && op.use_empty())
      op.erase();
  return success();
}
