//===- ONNXImporter.cpp - entry points of the ONNX importer -----*- C++ -*-===//
//
// ONNX and protobuf report errors by throwing; this file is compiled with
// exceptions and is the boundary where they become diagnostics.
//
//===----------------------------------------------------------------------===//
#include "quantc/Import/ONNXImporter.h"

#include "GraphImporter.h"
#include "quantc/Reference/Npz.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/defs/parser.h>

using namespace mlir;
using namespace quantc;

bool quantc::isONNXFile(StringRef path) {
  return path.ends_with(".onnx") || path.ends_with(".onnxtxt");
}

OwningOpRef<ModuleOp>
quantc::loadModelFile(StringRef path, MLIRContext *context,
                      llvm::SourceMgr &sourceMgr,
                      ArrayRef<std::string> inputShapeSpecs,
                      const llvm::StringMap<SmallVector<int64_t>> &dataShapes,
                      const llvm::StringMap<int64_t> &dimParams,
                      ArrayRef<std::string> inputValueFiles) {
  if (!isONNXFile(path)) {
    if (!inputValueFiles.empty()) {
      llvm::errs() << "error: --bind-inputs applies to ONNX models only\n";
      return nullptr;
    }
    return parseSourceFile<ModuleOp>(path, sourceMgr, context);
  }
  ONNXImportOptions options;
  options.dataShapes = dataShapes;
  options.dimParams = dimParams;
  std::string error;
  if (failed(readInputValues(inputValueFiles, context, options, error))) {
    llvm::errs() << "error: --bind-inputs: " << error << "\n";
    return nullptr;
  }
  for (const std::string &spec : inputShapeSpecs) {
    std::string error;
    if (failed(parseInputShapeSpec(spec, options, error))) {
      llvm::errs() << "error: --input-shape: " << error << "\n";
      return nullptr;
    }
  }
  return importONNXFile(path, context, options);
}

void quantc::printONNXOpSupport(llvm::raw_ostream &os) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto &entry : onnx_import::getOpImporters()) {
    int64_t first = entry.getValue().firstOpset;
    lines.emplace_back(entry.getKey().str(),
                       first > 1 ? "imported\tfrom opset " + std::to_string(first) : "imported");
  }
  for (const auto &entry : onnx_import::getDeclinedOps())
    lines.emplace_back(entry.getKey().str(), "declined\t" + entry.getValue().str());
  llvm::sort(lines);
  for (const auto &[op, status] : lines)
    os << op << "\t" << status << "\n";
}

LogicalResult quantc::readInputValues(ArrayRef<std::string> files, MLIRContext *context,
                                     ONNXImportOptions &options, std::string &error) {
  for (const std::string &file : files) {
    auto arrays = reference::readNpz(context, file, /*keepFloatTypes=*/true);
    if (!arrays) {
      error = llvm::toString(arrays.takeError());
      return failure();
    }
    for (auto &[name, tensor] : *arrays)
      options.inputValues[name] = std::move(tensor);
  }
  return success();
}

LogicalResult quantc::parseDimSpec(StringRef spec, ONNXImportOptions &options,
                                   std::string &error) {
  auto [name, value] = spec.rsplit('=');
  int64_t size;
  if (name.empty() || value.getAsInteger(10, size) || size < 0) {
    error = "expected NAME=SIZE, got '" + spec.str() + "'";
    return failure();
  }
  options.dimParams[name] = size;
  return success();
}

void quantc::addGeneratorDims(ONNXImportOptions &options, int64_t stepTokens) {
  auto set = [&](StringRef name, int64_t size) {
    options.dimParams.try_emplace(name, size);
  };
  for (StringRef batch : {"batch_size", "batch"})
    set(batch, 1);
  for (StringRef seq : {"sequence_length", "seq_len"})
    set(seq, stepTokens);
  for (StringRef past : {"past_sequence_length", "past_seq_len"})
    set(past, 1);
  for (StringRef total : {"total_sequence_length", "total_seq_len",
                          "past_sequence_length + 1",
                          "past_sequence_length + sequence_length"})
    set(total, 1 + stepTokens);
}

LogicalResult quantc::parseInputShapeSpec(StringRef spec,
                                          ONNXImportOptions &options,
                                          std::string &error) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty()) {
    error = "expected NAME=D0xD1x..., got '" + spec.str() + "'";
    return failure();
  }
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0) {
      error = "invalid dimension '" + p.str() + "' in '" + spec.str() + "'";
      return failure();
    }
    shape.push_back(d);
  }
  if (dims == "scalar")
    shape.clear();
  options.inputShapes[name] = shape;
  return success();
}

static bool parseBinary(StringRef buffer, onnx::ModelProto &model) {
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(buffer.data()), buffer.size());
  stream.SetTotalBytesLimit(INT_MAX);
  return model.ParseFromCodedStream(&stream) && stream.ConsumedEntireMessage();
}

LogicalResult onnx_import::parseModel(StringRef buffer, bool isText,
                                      StringRef name, onnx::ModelProto &model,
                                      std::string &error) {
  if (isText) {
    std::string text = buffer.str();
    auto status = onnx::OnnxParser::Parse(model, text.c_str());
    if (!status.IsOK()) {
      error = "invalid ONNX text model: " + status.ErrorMessage();
      return failure();
    }
  } else if (!parseBinary(buffer, model)) {
    error = "'" + name.str() + "' is not a valid ONNX model (truncated or corrupt protobuf)";
    return failure();
  }
  if (!model.has_graph()) {
    error = "'" + name.str() + "' holds no graph";
    return failure();
  }
  return success();
}

OwningOpRef<ModuleOp> quantc::importONNXBuffer(StringRef buffer, bool isText,
                                               StringRef name,
                                               MLIRContext *context,
                                               const ONNXImportOptions &options) {
  context->loadDialect<qc::QCDialect, func::FuncDialect, scf::SCFDialect,
                       tensor::TensorDialect>();
  Location fileLoc = FileLineColLoc::get(context, name, 0, 0);
  try {
    onnx::ModelProto model;
    std::string error;
    if (failed(onnx_import::parseModel(buffer, isText, name, model, error))) {
      emitError(fileLoc, error);
      return nullptr;
    }
    OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
    onnx_import::GraphImporter importer(context, name, options);
    if (failed(importer.importModel(model, *module)) ||
        failed(verify(*module)))
      return nullptr;
    return module;
  } catch (const std::exception &e) {
    emitError(fileLoc, "cannot import '") << name << "': " << e.what();
    return nullptr;
  }
}

OwningOpRef<ModuleOp> quantc::importONNXFile(StringRef path,
                                             MLIRContext *context,
                                             const ONNXImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(context, path, 0, 0), "cannot open '")
        << path << "': " << buffer.getError().message();
    return nullptr;
  }
  return importONNXBuffer((*buffer)->getBuffer(), path.ends_with(".onnxtxt"),
                          path, context, options);
}
