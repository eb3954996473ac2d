//===- NNImporters.cpp - conv, matmul, pooling, normalization ---*- C++ -*-===//
#include "ImportUtils.h"

#include <map>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

FailureOr<WindowAttrs> onnx_import::getWindowAttrs(NodeImporter &n,
                                      ArrayRef<int64_t> inSpatial,
                                      ArrayRef<int64_t> kernelFromWeight) {
  size_t spatial = inSpatial.size();
  WindowAttrs w;
  w.kernel = n.getInts("kernel_shape", kernelFromWeight);
  w.strides = n.getInts("strides", SmallVector<int64_t>(spatial, 1));
  w.dilations = n.getInts("dilations", SmallVector<int64_t>(spatial, 1));
  if (w.kernel.size() != spatial || w.strides.size() != spatial ||
      w.dilations.size() != spatial) {
    n.error() << "kernel_shape, strides and dilations need " << spatial
              << " entries";
    return failure();
  }
  if (llvm::any_of(w.strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(w.dilations, [](int64_t d) { return d < 1; })) {
    n.error() << "strides and dilations must be positive";
    return failure();
  }
  FailureOr<SmallVector<int64_t>> pads =
      resolveWindowPads(n, inSpatial, w.kernel, w.strides, w.dilations);
  if (failed(pads))
    return failure();
  w.pads = *pads;
  return w;
}

namespace {
LogicalResult checkSpatialInput(NodeImporter &n, RankedTensorType type) {
  if (type.getRank() < 3)
    return n.error() << "expects an N x C x spatial input, got " << type;
  return success();
}
} // namespace

FailureOr<ConvWindow> onnx_import::getConvWindow(NodeImporter &n,
                                                 RankedTensorType in,
                                                 RankedTensorType weight) {
  if (failed(checkSpatialInput(n, in)))
    return failure();
  if (weight.getRank() != in.getRank()) {
    n.error() << "weight rank " << weight.getRank()
              << " does not match input rank " << in.getRank();
    return failure();
  }
  FailureOr<WindowAttrs> w = getWindowAttrs(n, in.getShape().drop_front(2),
                                            weight.getShape().drop_front(2));
  if (failed(w))
    return failure();
  if (ArrayRef<int64_t>(w->kernel) != weight.getShape().drop_front(2)) {
    n.error() << "kernel_shape does not match the weight shape";
    return failure();
  }
  int64_t group = n.getInt("group", 1);
  if (group < 1 || in.getDimSize(1) != weight.getDimSize(1) * group) {
    n.error() << "input has " << in.getDimSize(1)
              << " channels but the weight expects " << weight.getDimSize(1)
              << " x group " << group;
    return failure();
  }
  return ConvWindow{w->strides, w->dilations, w->pads, group};
}

namespace {

LogicalResult importConv(NodeImporter &n) {
  FailureOr<ConvWindow> w = getConvWindow(n, n.inputType(0), n.inputType(1));
  if (failed(w))
    return failure();
  n.setOutput(0, n.create<qc::ConvOp>(
                     n.input(0), n.input(1), n.input(2), i64Array(n, w->strides),
                     i64Array(n, w->dilations), i64Array(n, w->pads),
                     i64Attr(n, w->group)));
  return success();
}

LogicalResult importConvTranspose(NodeImporter &n) {
  RankedTensorType in = n.inputType(0), weight = n.inputType(1);
  if (failed(checkSpatialInput(n, in)))
    return failure();
  if (weight.getRank() != in.getRank())
    return n.error() << "weight rank does not match input rank";
  ArrayRef<int64_t> inSpatial = in.getShape().drop_front(2);
  ArrayRef<int64_t> kernel = weight.getShape().drop_front(2);
  size_t spatial = inSpatial.size();
  SmallVector<int64_t> strides = n.getInts("strides", SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> dilations =
      n.getInts("dilations", SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> outputPadding =
      n.getInts("output_padding", SmallVector<int64_t>(spatial, 0));
  SmallVector<int64_t> pads = n.getInts("pads", SmallVector<int64_t>(2 * spatial, 0));
  SmallVector<int64_t> outputShape = n.getInts("output_shape");
  std::string autoPad = n.getString("auto_pad", "NOTSET");
  if (strides.size() != spatial || dilations.size() != spatial ||
      outputPadding.size() != spatial || pads.size() != 2 * spatial)
    return n.error() << "window attributes need " << spatial << " entries";
  if (outputShape.size() > spatial)
    outputShape.erase(outputShape.begin(), outputShape.end() - spatial);
  if (outputShape.empty() && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"))
    for (size_t i = 0; i < spatial; ++i)
      outputShape.push_back(inSpatial[i] * strides[i]);
  if (!outputShape.empty()) {
    // Derive pads from the requested output size (ONNX formula).
    for (size_t i = 0; i < spatial; ++i) {
      int64_t total = strides[i] * (inSpatial[i] - 1) + outputPadding[i] +
                      (kernel[i] - 1) * dilations[i] + 1 - outputShape[i];
      if (total < 0) {
        outputPadding[i] -= total;
        total = 0;
      }
      int64_t half = total / 2;
      pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
      pads[i + spatial] = total - pads[i];
    }
  }
  n.setOutput(0, n.create<qc::ConvTransposeOp>(
                     n.input(0), n.input(1), n.input(2), i64Array(n, strides),
                     i64Array(n, dilations), i64Array(n, pads),
                     i64Array(n, outputPadding),
                     i64Attr(n, n.getInt("group", 1))));
  return success();
}

LogicalResult importMatMul(NodeImporter &n) {
  n.setOutput(0, n.create<qc::MatMulOp>(n.input(0), n.input(1), IntegerAttr()));
  return success();
}

LogicalResult importGemm(NodeImporter &n) {
  if (n.inputType(0).getRank() != 2 || n.inputType(1).getRank() != 2)
    return n.error() << "Gemm expects matrices, got " << n.inputType(0)
                     << " and " << n.inputType(1);
  n.setOutput(0, n.create<qc::GemmOp>(
                     n.input(0), n.input(1), n.input(2),
                     f32Attr(n, n.getFloat("alpha", 1.0f)),
                     f32Attr(n, n.getFloat("beta", 1.0f)),
                     n.builder().getBoolAttr(n.getInt("transA", 0)),
                     n.builder().getBoolAttr(n.getInt("transB", 0)), IntegerAttr()));
  return success();
}

LogicalResult importMaxPool(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  if (failed(checkSpatialInput(n, in)))
    return failure();
  if (!n.hasAttr("kernel_shape"))
    return n.error() << "missing kernel_shape";
  FailureOr<WindowAttrs> w = getWindowAttrs(n, in.getShape().drop_front(2), {});
  if (failed(w))
    return failure();
  BoolAttr ceilMode = n.builder().getBoolAttr(n.getInt("ceil_mode", 0));
  n.setOutput(0, n.create<qc::MaxPoolOp>(n.input(0), i64Array(n, w->kernel),
                                         i64Array(n, w->strides), i64Array(n, w->dilations),
                                         i64Array(n, w->pads), ceilMode));
  if (n.outputUsed(1)) // Opset 8's Indices.
    n.setOutput(1, n.create<qc::MaxPoolIndicesOp>(
                       n.input(0), i64Array(n, w->kernel), i64Array(n, w->strides),
                       i64Array(n, w->dilations), i64Array(n, w->pads), ceilMode,
                       i64Attr(n, n.getInt("storage_order", 0))));
  return success();
}

LogicalResult importAveragePool(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  if (failed(checkSpatialInput(n, in)))
    return failure();
  if (!n.hasAttr("kernel_shape"))
    return n.error() << "missing kernel_shape";
  FailureOr<WindowAttrs> w = getWindowAttrs(n, in.getShape().drop_front(2), {});
  if (failed(w))
    return failure();
  n.setOutput(0, n.create<qc::AvgPoolOp>(
                     n.input(0), i64Array(n, w->kernel), i64Array(n, w->strides),
                     i64Array(n, w->pads),
                     n.builder().getBoolAttr(n.getInt("ceil_mode", 0)),
                     n.builder().getBoolAttr(n.getInt("count_include_pad", 0)),
                     i64Array(n, w->dilations)));
  return success();
}

template <typename OpTy>
LogicalResult importGlobalPool(NodeImporter &n) {
  if (failed(checkSpatialInput(n, n.inputType(0))))
    return failure();
  n.setOutput(0, n.create<OpTy>(n.input(0)));
  return success();
}

/// Training mode (opset 14 on): the batch's own statistics over every axis
/// but the channels normalize it, and the running statistics (outputs 1
/// and 2) move towards them by 1 - momentum.
LogicalResult importTrainingBatchNorm(NodeImporter &n) {
  RankedTensorType type = n.inputType(0);
  if (type.getRank() < 2)
    return n.error() << "expected an input [N, C, ...], got " << type;
  SmallVector<int64_t> axes = {0};
  llvm::append_range(axes, llvm::seq<int64_t>(2, type.getRank()));
  BoolAttr drop = n.builder().getBoolAttr(false);
  Value x = n.input(0);
  Value mean = n.create<qc::ReduceMeanOp>(x, i64Array(n, axes), n.builder().getBoolAttr(true));
  Value centered = n.create<qc::SubOp>(x, mean);
  Value variance = n.create<qc::ReduceMeanOp>(n.create<qc::MulOp>(centered, centered),
                                              i64Array(n, axes), drop);
  mean = reshapeTo(n, mean, {type.getDimSize(1)});
  n.setOutput(0, n.create<qc::BatchNormOp>(x, n.input(1), n.input(2), mean, variance,
                                           f32Attr(n, n.getFloat("epsilon", 1e-5f))));
  Type element = type.getElementType();
  float momentum = n.getFloat("momentum", 0.9f);
  auto running = [&](unsigned input, Value batch) {
    return n.create<qc::AddOp>(
        n.create<qc::MulOp>(n.input(input), scalarConstant(n, element, momentum)),
        n.create<qc::MulOp>(batch, scalarConstant(n, element, 1.0f - momentum)));
  };
  if (n.outputUsed(1))
    n.setOutput(1, running(3, mean));
  if (n.outputUsed(2))
    n.setOutput(2, running(4, variance));
  return success();
}

LogicalResult importBatchNorm(NodeImporter &n) {
  if (n.getInt("training_mode", 0) != 0)
    return importTrainingBatchNorm(n);
  // Before opset 14 the statistics outputs themselves asked for training.
  if (n.outputUsed(1) || n.outputUsed(2))
    return n.error() << (n.opset() < 14
                             ? "training-mode BatchNormalization (its statistics outputs) is "
                               "supported from opset 14"
                             : "running_mean and running_var are outputs of training mode only");
  n.setOutput(0, n.create<qc::BatchNormOp>(
                     n.input(0), n.input(1), n.input(2), n.input(3), n.input(4),
                     f32Attr(n, n.getFloat("epsilon", 1e-5f))));
  return success();
}

LogicalResult importInstanceNorm(NodeImporter &n) {
  if (failed(checkSpatialInput(n, n.inputType(0))))
    return failure();
  n.setOutput(0, n.create<qc::InstanceNormOp>(
                     n.input(0), n.input(1), n.input(2),
                     f32Attr(n, n.getFloat("epsilon", 1e-5f))));
  return success();
}

/// LayerNormalization's optional Mean and InvStdDev outputs (the statistics
/// over dimensions `axis`.., kept as size 1).
void importLayerNormStatistics(NodeImporter &n, int64_t axis, float epsilon) {
  Value x = n.input(0);
  auto rank = static_cast<int64_t>(n.inputType(0).getRank());
  DenseI64ArrayAttr axes = i64Array(n, llvm::to_vector(llvm::seq<int64_t>(axis, rank)));
  BoolAttr keep = n.builder().getBoolAttr(true);
  Value mean = n.create<qc::ReduceMeanOp>(x, axes, keep);
  Value centered = n.create<qc::SubOp>(x, mean);
  Value variance = n.create<qc::ReduceMeanOp>(n.create<qc::MulOp>(centered, centered), axes, keep);
  Type element = n.inputType(0).getElementType();
  Value std = n.create<qc::SqrtOp>(
      n.create<qc::AddOp>(variance, scalarConstant(n, element, epsilon)));
  n.setOutput(1, mean);
  n.setOutput(2, n.create<qc::ReciprocalOp>(std));
}

LogicalResult importLayerNorm(NodeImporter &n) {
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.getInt("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  float epsilon = n.getFloat("epsilon", 1e-5f);
  n.setOutput(0, n.create<qc::LayerNormOp>(n.input(0), n.input(1), n.input(2),
                                           i64Attr(n, *axis), f32Attr(n, epsilon)));
  if (n.outputUsed(1) || n.outputUsed(2))
    importLayerNormStatistics(n, *axis, epsilon);
  return success();
}

/// `equation` with each `...` spelled out as letters it does not use, one
/// per dimension the ellipsis stands for (right-aligned across the inputs,
/// as they broadcast), and the output made explicit when it has an
/// ellipsis: those dims first, then the letters used once, sorted.
FailureOr<std::string> expandEllipsis(StringRef equation, ArrayRef<int64_t> ranks) {
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq.push_back(c);
  if (!StringRef(eq).contains("..."))
    return eq;
  auto [lhs, rhs] = StringRef(eq).split("->");
  bool explicitOutput = StringRef(eq).contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size())
    return failure();
  std::string unused;
  for (char c : StringRef("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    if (!StringRef(eq).contains(c))
      unused.push_back(c);
  SmallVector<int64_t> spans;
  for (auto [term, rank] : llvm::zip(terms, ranks))
    spans.push_back(term.contains("...") ? rank - static_cast<int64_t>(term.size() - 3) : 0);
  int64_t longest = *llvm::max_element(spans);
  if (llvm::any_of(spans, [](int64_t s) { return s < 0; }) ||
      longest > static_cast<int64_t>(unused.size()))
    return failure();
  StringRef letters = StringRef(unused).take_front(longest);
  std::string expanded;
  std::map<char, int> counts;
  for (auto [i, term] : llvm::enumerate(terms)) {
    auto [before, after] = term.split("...");
    std::string full = (before + letters.take_back(spans[i]) + after).str();
    for (char c : full)
      ++counts[c];
    expanded += (i ? "," : "") + full;
  }
  std::string output;
  if (explicitOutput) {
    auto [before, after] = rhs.split("...");
    output = rhs.contains("...") ? (before + letters + after).str() : rhs.str();
  } else {
    output = letters.str();
    for (auto [letter, count] : counts)
      if (count == 1 && !letters.contains(letter))
        output.push_back(letter);
  }
  return expanded + "->" + output;
}

LogicalResult importEinsum(NodeImporter &n) {
  SmallVector<int64_t> ranks;
  for (unsigned i = 0; i < n.numInputs(); ++i)
    ranks.push_back(n.inputType(i).getRank());
  FailureOr<std::string> expanded = expandEllipsis(n.getString("equation", ""), ranks);
  std::string equation = succeeded(expanded) ? *expanded : n.getString("equation", "");
  if (failed(expanded) || failed(qc::parseEinsum(equation, n.numInputs())))
    return n.error() << "unsupported einsum equation '" << equation << "'";
  FailureOr<SmallVector<Value>> inputs = n.variadicInputs();
  if (failed(inputs))
    return failure();
  n.setOutput(0, n.create<qc::EinsumOp>(*inputs,
                                        n.builder().getStringAttr(equation)));
  return success();
}

LogicalResult importResize(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t rank = in.getRank();
  // Opset 18: scales/sizes may name only `axes`; the others keep their size.
  SmallVector<int64_t> axes;
  for (int64_t axis : n.getInts("axes")) {
    if (axis < -rank || axis >= rank)
      return n.error() << "axis " << axis << " is out of range for rank " << rank;
    axes.push_back(axis < 0 ? axis + rank : axis);
  }
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::string policy = n.getString("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    return n.error() << "unknown keep_aspect_ratio_policy '" << policy << "'";
  std::string mode = n.getString("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return n.error() << "unsupported resize mode '" << mode << "'";
  bool antialias = n.getInt("antialias", 0);
  if (antialias && mode == "nearest")
    return n.error() << "antialias applies to linear and cubic modes only";
  std::string coordMode = n.getString(
      "coordinate_transformation_mode", n.opset() < 11 ? "asymmetric" : "half_pixel");
  // tf_crop_and_resize's region: starts, then ends, of the named axes.
  SmallVector<float> roi;
  if (coordMode == "tf_crop_and_resize") {
    if (!n.hasInput(1))
      return n.error() << "tf_crop_and_resize needs a roi input";
    FailureOr<reference::Tensor> given = n.constantInput(1);
    if (failed(given))
      return failure();
    int64_t count = static_cast<int64_t>(axes.size());
    if (given->getNumElements() != 2 * count)
      return n.error() << "roi needs " << 2 * count << " values, got " << given->getNumElements();
    roi.assign(rank, 0.0f);
    roi.append(rank, 1.0f);
    for (int64_t i = 0; i < count; ++i) {
      roi[axes[i]] = static_cast<float>(given->getAsDouble(i));
      roi[rank + axes[i]] = static_cast<float>(given->getAsDouble(count + i));
    }
  }
  // Opset 10: (X, scales); later: (X, roi, scales, sizes).
  unsigned scalesIdx = n.opset() < 11 ? 1 : 2, sizesIdx = 3;
  SmallVector<float> scales;
  SmallVector<int64_t> sizes;
  if (n.hasInput(sizesIdx)) {
    FailureOr<SmallVector<int64_t>> s = n.constantInts(sizesIdx);
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (sizes.empty() && n.hasInput(scalesIdx)) {
    FailureOr<reference::Tensor> s = n.constantInput(scalesIdx);
    if (failed(s))
      return failure();
    for (int64_t i = 0; i < s->getNumElements(); ++i)
      scales.push_back(s->getAsDouble(i));
  }
  if (sizes.empty() && scales.empty())
    return n.error() << "Resize needs constant scales or sizes";
  if ((!sizes.empty() && sizes.size() != axes.size()) ||
      (!scales.empty() && scales.size() != axes.size()))
    return n.error() << "scales/sizes need " << axes.size() << " entries";
  if (!sizes.empty()) {
    SmallVector<int64_t> given = sizes;
    sizes = llvm::to_vector(in.getShape());
    for (auto [axis, size] : llvm::zip(axes, given))
      sizes[axis] = size;
    for (int64_t i = 0; i < rank; ++i)
      scales.push_back(float(sizes[i]) / in.getDimSize(i));
    if (policy != "stretch") {
      // One scale for every named axis, the smallest (not_larger) or the
      // largest (not_smaller); sizes round half up, as ONNX says.
      float scale = scales[axes.front()];
      for (int64_t axis : axes)
        scale = policy == "not_larger" ? std::min(scale, scales[axis])
                                       : std::max(scale, scales[axis]);
      for (int64_t axis : axes) {
        scales[axis] = scale;
        sizes[axis] = int64_t(scale * in.getDimSize(axis) + 0.5f);
      }
    }
  } else {
    SmallVector<float> given = scales;
    scales.assign(rank, 1.0f);
    for (auto [axis, scale] : llvm::zip(axes, given))
      scales[axis] = scale;
    for (int64_t i = 0; i < rank; ++i) {
      // Scales come from the model: bound them before converting.
      double size = std::floor(in.getDimSize(i) * double(scales[i]));
      if (!(scales[i] > 0) || !(size <= double(1 << 30)))
        return n.error() << "scale " << scales[i] << " of dimension " << i
                         << " is not positive or gives a size beyond 2^30";
      sizes.push_back(int64_t(size));
    }
  }
  OpBuilder &b = n.builder();
  n.setOutput(0, n.create<qc::ResizeOp>(
                     RankedTensorType::get(sizes, in.getElementType()), n.input(0),
                     b.getDenseF32ArrayAttr(scales), b.getStringAttr(mode),
                     b.getStringAttr(coordMode),
                     b.getStringAttr(n.getString("nearest_mode", "round_prefer_floor")),
                     b.getF32FloatAttr(n.getFloat("cubic_coeff_a", -0.75f)),
                     b.getBoolAttr(n.getInt("exclude_outside", 0)), b.getBoolAttr(antialias),
                     b.getDenseF32ArrayAttr(roi),
                     b.getF32FloatAttr(n.getFloat("extrapolation_value", 0.0f))));
  return success();
}
} // namespace

void onnx_import::addNNImporters(llvm::StringMap<OpImporter> &t) {
  t["Conv"] = {importConv, 2};
  t["ConvTranspose"] = {importConvTranspose, 2};
  t["MatMul"] = {importMatMul, 2};
  t["Gemm"] = {importGemm, 2};
  t["MaxPool"] = {importMaxPool, 1};
  t["AveragePool"] = {importAveragePool, 1};
  t["GlobalAveragePool"] = {importGlobalPool<qc::GlobalAvgPoolOp>, 1};
  t["GlobalMaxPool"] = {importGlobalPool<qc::GlobalMaxPoolOp>, 1};
  t["BatchNormalization"] = {importBatchNorm, 5};
  t["InstanceNormalization"] = {importInstanceNorm, 3};
  t["LayerNormalization"] = {importLayerNorm, 2};
  t["Einsum"] = {importEinsum, 1};
  t["Resize"] = {importResize, 1};
}
