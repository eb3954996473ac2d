//===- GraphImporter.h - ONNX graph to a qc function ------------*- C++ -*-===//
#ifndef QUANTC_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
#define QUANTC_LIB_IMPORT_ONNX_GRAPHIMPORTER_H

#include "NodeImporter.h"
#include "quantc/Import/ONNXImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSet.h"

namespace quantc::onnx_import {

/// Converts a TensorProto (inline, raw or external data) to an attribute.
/// External data is memory-mapped and referenced, never copied.
llvm::FailureOr<mlir::ElementsAttr>
convertTensorProto(const onnx::TensorProto &tensor, llvm::StringRef modelDir,
                   mlir::Location loc);

/// Parses a binary (or, with `isText`, text) ONNX model; `name` names it in
/// errors.
llvm::LogicalResult parseModel(llvm::StringRef buffer, bool isText,
                               llvm::StringRef name, onnx::ModelProto &model,
                               std::string &error);

/// The name the importer gives `node`, the `index`th node of its graph: its
/// own, or "<op type>_<index>" when it has none. Ops carry it as their
/// location; QDQ export finds the node again by it.
std::string importedNodeName(const onnx::NodeProto &node, size_t index);

/// The ONNX checker's structural rules for `graph` (GraphChecker.cpp):
/// single assignment, topological order, defined inputs and outputs, typed
/// attributes. Emits an error naming the value or node and fails.
/// A subgraph (If branch, loop body) may also read the names for which
/// `isOuterName` holds.
llvm::LogicalResult
checkGraphStructure(const onnx::GraphProto &graph, mlir::Location graphLoc,
                    llvm::function_ref<mlir::Location(size_t)> nodeLoc,
                    llvm::function_ref<bool(llvm::StringRef)> isOuterName = nullptr);

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext *ctx, llvm::StringRef modelPath,
                const ONNXImportOptions &options)
      : builder(ctx), modelPath(modelPath), options(options) {}

  /// Imports the main graph of `model` into `module`.
  llvm::LogicalResult importModel(const onnx::ModelProto &model,
                                  mlir::ModuleOp module);

  mlir::OpBuilder builder;

  /// The value bound to an ONNX name, materializing initializers lazily.
  mlir::Value lookup(llvm::StringRef name, mlir::Location loc);
  void bind(llvm::StringRef name, mlir::Value value);
  bool isUsed(llvm::StringRef name) const { return usedNames.contains(name); }

  /// Imports the nodes of `graph` (an If branch, a loop body) at the current
  /// insertion point, its inputs bound to `inputs`, and returns its outputs.
  /// The names it defines are visible only inside it.
  llvm::LogicalResult importSubgraph(const onnx::GraphProto &graph,
                                     mlir::Location loc, mlir::ValueRange inputs,
                                     llvm::SmallVectorImpl<mlir::Value> &outputs);

  /// The sequence or optional bound to `name`, or null.
  const ListValue *lookupList(llvm::StringRef name) const {
    auto it = lists.find(name);
    return it == lists.end() ? nullptr : &it->second;
  }
  void bindList(llvm::StringRef name, ListValue list);

  /// With `recordTensorNames`, records on `op` (kONNXArgNamesAttr) the ONNX
  /// names of its regions' entry-block arguments that a subgraph import
  /// bound to a graph input ("" for the others).
  void nameRegionArguments(mlir::Operation *op);

private:
  llvm::LogicalResult importInputs(const onnx::GraphProto &graph,
                                   mlir::func::FuncOp &func,
                                   mlir::ModuleOp module);
  llvm::LogicalResult importNode(const onnx::NodeProto &node, size_t index);
  mlir::Location nodeLocation(const onnx::NodeProto &node, size_t index);
  mlir::FailureOr<mlir::RankedTensorType>
  inputType(const onnx::ValueInfoProto &info);
  /// The type of a graph input fixed by --bind-inputs, checked against the
  /// model's declaration.
  mlir::FailureOr<mlir::RankedTensorType>
  boundInputType(const onnx::ValueInfoProto &info, const reference::Tensor &value);

  /// Binds `name`, logged in the current subgraph scope.
  void setValue(llvm::StringRef name, mlir::Value value);

  /// What a subgraph import bound: the names and what they held before
  /// (null: nothing), undone when the subgraph is done.
  struct Scope {
    std::vector<std::pair<std::string, mlir::Value>> values;
    std::vector<std::pair<std::string, const onnx::TensorProto *>> initializers;
    std::vector<std::pair<std::string, std::optional<ListValue>>> lists;
  };

  /// The error for a sequence or optional read where a tensor must be.
  mlir::InFlightDiagnostic listWhereTensor(mlir::Location loc, llvm::StringRef what,
                                           llvm::StringRef name);

  llvm::StringRef modelPath;
  const ONNXImportOptions &options;
  Scope *scope = nullptr;
  llvm::StringMap<mlir::Value> values;
  llvm::StringMap<const onnx::TensorProto *> initializers;
  /// Region arguments bound to subgraph inputs, by the inputs' names (blocks
  /// are filled before the op that owns them exists).
  llvm::DenseMap<mlir::Value, std::string> regionArgumentNames;
  llvm::StringMap<ListValue> lists;
  llvm::StringSet<> usedNames;
  llvm::StringMap<int64_t> opsets;
};

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
