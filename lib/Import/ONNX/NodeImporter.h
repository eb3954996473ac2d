//===- NodeImporter.h - per-node import context -----------------*- C++ -*-===//
//
// Internal to the ONNX importer. Each ONNX op type has one small function that
// receives a NodeImporter: typed access to the node's inputs, constant
// inputs and attributes, and a builder whose ops are folded eagerly when all
// their operands are constant (so shape arithmetic resolves at import).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_IMPORT_ONNX_NODEIMPORTER_H
#define QUANTC_LIB_IMPORT_ONNX_NODEIMPORTER_H

#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

namespace quantc::onnx_import {

class GraphImporter;

/// A sequence or an optional, known element by element at import (the
/// graphs quantc compiles hold tensors only): a sequence's tensors in
/// order; an optional holds zero or one.
struct ListValue {
  llvm::SmallVector<mlir::Value> elements;
  bool optional = false;
};

class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const onnx::NodeProto &node,
               int64_t opset, mlir::Location loc);

  const onnx::NodeProto &node() const { return nodeProto; }
  int64_t opset() const { return opsetVersion; }
  mlir::Location loc() const { return location; }
  mlir::OpBuilder &builder();
  mlir::MLIRContext *context() { return builder().getContext(); }

  /// Number of inputs, counting trailing empty names as absent.
  unsigned numInputs() const;
  bool hasInput(unsigned i) const;
  /// Input `i`, or null when absent (empty name or past the end).
  mlir::Value input(unsigned i);
  mlir::RankedTensorType inputType(unsigned i);
  /// Every input of a variadic op; fails on an empty name among them.
  llvm::FailureOr<llvm::SmallVector<mlir::Value>> variadicInputs();
  /// Input `i` as a host tensor; fails with a diagnostic when it is not a
  /// compile-time constant.
  llvm::FailureOr<reference::Tensor> constantInput(unsigned i);
  /// Input `i` as a list of integers (an int tensor constant).
  llvm::FailureOr<llvm::SmallVector<int64_t>> constantInts(unsigned i);

  bool hasAttr(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t dflt) const;
  float getFloat(llvm::StringRef name, float dflt) const;
  std::string getString(llvm::StringRef name, llvm::StringRef dflt) const;
  llvm::SmallVector<int64_t> getInts(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> dflt = {}) const;
  llvm::SmallVector<float> getFloats(llvm::StringRef name) const;
  llvm::SmallVector<std::string> getStrings(llvm::StringRef name) const;
  const onnx::TensorProto *getTensorAttr(llvm::StringRef name) const;
  const onnx::GraphProto *getGraphAttr(llvm::StringRef name) const;
  /// Imports subgraph `graph` here with its inputs bound to `inputs`.
  llvm::LogicalResult importSubgraph(const onnx::GraphProto &graph,
                                     mlir::ValueRange inputs,
                                     llvm::SmallVectorImpl<mlir::Value> &outputs);

  /// Records the ONNX names of `op`'s region arguments bound by
  /// importSubgraph (GraphImporter::nameRegionArguments).
  void nameRegionArguments(mlir::Operation *op);

  /// Input `i` as a sequence or optional known at import, or null (with a
  /// diagnostic) when it is a tensor or absent.
  const ListValue *listInput(unsigned i);
  /// Whether input `i` names a sequence or optional.
  bool isListInput(unsigned i) const;
  /// Binds output `i` to a sequence (or, with `optional`, an optional of
  /// zero or one element).
  void setListOutput(unsigned i, llvm::SmallVector<mlir::Value> elements,
                     bool optional = false);

  /// Binds output `i` of the node to `value`.
  void setOutput(unsigned i, mlir::Value value);
  unsigned numOutputs() const { return nodeProto.output_size(); }
  bool outputUsed(unsigned i) const;

  /// Emits an error naming the node and returns failure.
  mlir::InFlightDiagnostic error();
  /// Normalizes a possibly negative axis, or fails for out-of-range axes.
  llvm::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

  /// Creates a qc op; folds it into a constant when all operands are.
  /// Returns null (with a diagnostic) when the op's result type cannot be
  /// inferred, e.g. for shapes that do not broadcast; once that happened,
  /// further calls do nothing so that no op consumes the missing value.
  template <typename OpTy, typename... Args>
  mlir::Value create(Args &&...args) {
    if (hadError)
      return nullptr;
    if constexpr (OpTy::template hasTrait<mlir::InferTypeOpInterface::Trait>()) {
      // Infer first: the inferring builders abort on failure.
      mlir::OperationState state(location, OpTy::getOperationName());
      OpTy::build(builder(), state, mlir::Type(), std::forward<Args>(args)...);
      llvm::SmallVector<mlir::Type, 1> types;
      if (mlir::failed(OpTy::inferReturnTypes(
              context(), location, state.operands,
              state.attributes.getDictionary(context()),
              state.getRawProperties(), state.regions, types))) {
        hadError = true;
        return nullptr;
      }
      state.types.assign(types.begin(), types.end());
      return foldIfConstant(builder().create(state));
    } else {
      return foldIfConstant(
          OpTy::create(builder(), location, std::forward<Args>(args)...));
    }
  }
  /// Whether an op of this node failed to build.
  bool failedToBuild() const { return hadError; }
  /// Runs `build`, one way of importing the node that may not fit it, with
  /// its errors held back: on failure they are dropped and the node may
  /// build again (another way).
  /// `firstError`, where given, receives the first error held back.
  llvm::LogicalResult attempt(llvm::function_ref<llvm::LogicalResult()> build,
                              std::string *firstError = nullptr);
  /// Creates a constant from a host tensor.
  mlir::Value constant(const reference::Tensor &tensor);

private:
  mlir::Value foldIfConstant(mlir::Operation *op);
  const onnx::AttributeProto *findAttr(llvm::StringRef name) const;

  GraphImporter &graph;
  const onnx::NodeProto &nodeProto;
  int64_t opsetVersion;
  mlir::Location location;
  bool hadError = false;
};

using ImportFn = llvm::LogicalResult (*)(NodeImporter &);

struct OpImporter {
  ImportFn import;
  /// Leading inputs that must be present (named); checked before `import`
  /// runs, so importers may use them without null checks.
  unsigned requiredInputs;
  /// The first opset whose form of the op is imported: older models (opsets
  /// 1-6, from before broadcasting was uniform) may use a form that differs.
  int64_t firstOpset = 1;
  /// Whether the op reads sequences or optionals (NodeImporter::listInput);
  /// other ops are refused one.
  bool readsLists = false;
};

/// All op importers, by ONNX op type; ops of other domains (ONNX Runtime's
/// com.microsoft) as "<domain>.<op type>".
const llvm::StringMap<OpImporter> &getOpImporters();

/// Default-domain ONNX ops quantc does not import, with the reason.
const llvm::StringMap<llvm::StringRef> &getDeclinedOps();

// Registration of each group of op importers.
void addElementwiseImporters(llvm::StringMap<OpImporter> &table);
void addNNImporters(llvm::StringMap<OpImporter> &table);
void addShapeImporters(llvm::StringMap<OpImporter> &table);
void addQuantImporters(llvm::StringMap<OpImporter> &table);
void addContribImporters(llvm::StringMap<OpImporter> &table);
void addRecurrentImporters(llvm::StringMap<OpImporter> &table);
void addControlFlowImporters(llvm::StringMap<OpImporter> &table);
void addReductionImporters(llvm::StringMap<OpImporter> &table);
void addNormalizationImporters(llvm::StringMap<OpImporter> &table);
void addIndexImporters(llvm::StringMap<OpImporter> &table);
void addSignalImporters(llvm::StringMap<OpImporter> &table);
void addRegionImporters(llvm::StringMap<OpImporter> &table);
void addLossImporters(llvm::StringMap<OpImporter> &table);
void addTextImporters(llvm::StringMap<OpImporter> &table);
void addSequenceImporters(llvm::StringMap<OpImporter> &table);

/// ONNX's float8 data types (newer than the system's onnx headers).
constexpr int32_t kFloat8E4M3FN = 17, kFloat8E4M3FNUZ = 18, kFloat8E5M2 = 19,
                  kFloat8E5M2FNUZ = 20;

/// MLIR element type of an ONNX TensorProto data type, or null.
mlir::Type convertElementType(mlir::MLIRContext *ctx, int32_t onnxType);

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_IMPORT_ONNX_NODEIMPORTER_H
