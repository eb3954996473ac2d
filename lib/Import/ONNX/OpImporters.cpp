//===- OpImporters.cpp - the table of op importers --------------*- C++ -*-===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

const llvm::StringMap<OpImporter> &onnx_import::getOpImporters() {
  static const llvm::StringMap<OpImporter> table = [] {
    llvm::StringMap<OpImporter> t;
    addElementwiseImporters(t);
    addNNImporters(t);
    addShapeImporters(t);
    addQuantImporters(t);
    addContribImporters(t);
    addRecurrentImporters(t);
    addControlFlowImporters(t);
    addReductionImporters(t);
    addNormalizationImporters(t);
    addIndexImporters(t);
    addSignalImporters(t);
    addRegionImporters(t);
    addLossImporters(t);
    addTextImporters(t);
    addSequenceImporters(t);
    return t;
  }();
  return table;
}

const llvm::StringMap<StringRef> &onnx_import::getDeclinedOps() {
  static constexpr StringLiteral kRandom =
      "a random generator: its values differ from run to run and from every "
      "other runtime's stream";
  static constexpr StringLiteral kString =
      "string and byte tensors: quantc compiles numeric tensors";
  static constexpr StringLiteral kDataDependent =
      "its output size depends on the input values: quantc's shapes are static "
      "(Compress resolves when its condition is known at import; NonZero and "
      "NonMaxSuppression return their static maximum, padded with -1)";
  static const llvm::StringMap<StringRef> table = {
      {"Bernoulli", kRandom}, {"Multinomial", kRandom}, {"RandomNormal", kRandom},
      {"RandomNormalLike", kRandom}, {"RandomUniform", kRandom},
      {"RandomUniformLike", kRandom},
      {"ImageDecoder", kString}, {"RegexFullMatch", kString}, {"StringConcat", kString},
      {"StringNormalizer", kString}, {"StringSplit", kString},
      {"Unique", kDataDependent},
  };
  return table;
}

FailureOr<SmallVector<int64_t>> onnx_import::getAxesOperand(NodeImporter &n,
                                                            int64_t inputSince) {
  if (n.opset() < inputSince)
    return n.getInts("axes");
  if (!n.hasInput(1))
    return SmallVector<int64_t>();
  return n.constantInts(1);
}

FailureOr<SmallVector<int64_t>>
onnx_import::normalizeAxes(NodeImporter &n, ArrayRef<int64_t> axes,
                           int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = n.normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    if (llvm::is_contained(result, *a)) {
      n.error() << "axis " << axis << " is listed twice";
      return failure();
    }
    result.push_back(*a);
  }
  llvm::sort(result);
  return result;
}

FailureOr<SmallVector<int64_t>>
onnx_import::resolveWindowPads(NodeImporter &n, ArrayRef<int64_t> inSpatial,
                               ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations) {
  size_t spatial = inSpatial.size();
  std::string autoPad = n.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    SmallVector<int64_t> pads = n.getInts("pads", SmallVector<int64_t>(2 * spatial, 0));
    if (pads.size() != 2 * spatial) {
      n.error() << "expected " << 2 * spatial << " pads, got " << pads.size();
      return failure();
    }
    return pads;
  }
  SmallVector<int64_t> pads(2 * spatial, 0);
  if (autoPad == "VALID")
    return pads;
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") {
    n.error() << "unsupported auto_pad '" << autoPad << "'";
    return failure();
  }
  for (size_t i = 0; i < spatial; ++i) {
    int64_t out = (inSpatial[i] + strides[i] - 1) / strides[i];
    int64_t span = (kernel[i] - 1) * dilations[i] + 1;
    int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + span - inSpatial[i]);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + spatial] = autoPad == "SAME_UPPER" ? large : small;
  }
  return pads;
}
