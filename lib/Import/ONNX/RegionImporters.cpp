//===- RegionImporters.cpp - sampling, regions, NMS, Det -------*- C++ -*-===//
//
// The ops whose kernels gather at data-dependent positions or pivot run in
// the runtime (include/quantc/Runtime/GridSample.h, Regions.h): GridSample,
// RoiAlign, MaxRoiPool, NonMaxSuppression (with a static number of rows)
// and Det; DeformConv samples its columns there and multiplies them with
// the weights as a matmul.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using reference::Tensor;

namespace {
/// GridSample (2-d): opset 16's bilinear / bicubic are opset 20's linear /
/// cubic.
LogicalResult importGridSample(NodeImporter &n) {
  RankedTensorType in = n.inputType(0), grid = n.inputType(1);
  int64_t rank = in.getRank();
  if ((rank != 4 && rank != 5) || !in.getElementType().isF32() || !grid.getElementType().isF32())
    return n.error() << "GridSample of " << in << " is not supported (2-d and 3-d f32 only)";
  std::string mode = n.getString("mode", n.opset() >= 20 ? "linear" : "bilinear");
  mode = mode == "bilinear" ? "linear" : mode == "bicubic" ? "cubic" : mode;
  if (mode != "linear" && mode != "nearest" && mode != "cubic")
    return n.error() << "unsupported mode '" << mode << "'";
  std::string padding = n.getString("padding_mode", "zeros");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return n.error() << "unsupported padding_mode '" << padding << "'";
  if (mode == "cubic" && rank == 5)
    return n.error() << "cubic sampling is 2-d only";
  if (grid.getRank() != rank || grid.getDimSize(rank - 1) != rank - 2 ||
      grid.getDimSize(0) != in.getDimSize(0))
    return n.error() << "the grid " << grid << " does not fit " << in;
  SmallVector<int64_t> shape(in.getShape().take_front(2));
  llvm::append_range(shape, grid.getShape().slice(1, rank - 2));
  auto type = RankedTensorType::get(shape, in.getElementType());
  n.setOutput(0, n.create<qc::GridSampleOp>(type, n.input(0), n.input(1),
                                            n.builder().getStringAttr(mode),
                                            n.builder().getStringAttr(padding),
                                            n.builder().getBoolAttr(n.getInt("align_corners", 0))));
  return success();
}
LogicalResult importRoiAlign(NodeImporter &n) {
  RankedTensorType in = n.inputType(0), rois = n.inputType(1);
  if (in.getRank() != 4 || !in.getElementType().isF32() || rois.getRank() != 2)
    return n.error() << "expected an f32 [N, C, H, W] input and [R, 4] rois";
  std::string mode = n.getString("mode", "avg");
  std::string transform = n.getString("coordinate_transformation_mode",
                                      n.opset() >= 16 ? "half_pixel" : "output_half_pixel");
  if (transform != "half_pixel" && transform != "output_half_pixel")
    return n.error() << "unsupported coordinate_transformation_mode '" << transform << "'";
  Value indices = n.input(2);
  RankedTensorType indexType = n.inputType(2);
  if (!indexType.getElementType().isInteger(64))
    indices = n.create<qc::CastOp>(indexType.clone(n.builder().getI64Type()), indices);
  auto type = RankedTensorType::get({rois.getDimSize(0), in.getDimSize(1),
                                     n.getInt("output_height", 1), n.getInt("output_width", 1)},
                                    in.getElementType());
  n.setOutput(0, n.create<qc::RoiAlignOp>(type, n.input(0), n.input(1), indices,
                                          n.builder().getStringAttr(mode),
                                          i64Attr(n, n.getInt("sampling_ratio", 0)),
                                          f32Attr(n, n.getFloat("spatial_scale", 1.0f)),
                                          n.builder().getBoolAttr(transform == "half_pixel")));
  return success();
}

LogicalResult importMaxRoiPool(NodeImporter &n) {
  RankedTensorType in = n.inputType(0), rois = n.inputType(1);
  SmallVector<int64_t> pooled = n.getInts("pooled_shape");
  if (in.getRank() != 4 || !in.getElementType().isF32() || rois.getRank() != 2 ||
      pooled.size() != 2)
    return n.error() << "expected an f32 [N, C, H, W] input, [R, 5] rois and pooled_shape";
  auto type = RankedTensorType::get({rois.getDimSize(0), in.getDimSize(1), pooled[0], pooled[1]},
                                    in.getElementType());
  n.setOutput(0, n.create<qc::MaxRoiPoolOp>(type, n.input(0), n.input(1),
                                            f32Attr(n, n.getFloat("spatial_scale", 1.0f))));
  return success();
}

/// DeformConv (2-d): the sampled columns [N, P, C x kH x kW], then per
/// group a matmul with the weights [K, O/g] (constant weights quantize as
/// any matmul's), the bias, and [N, O, oH, oW].
LogicalResult importDeformConv(NodeImporter &n) {
  RankedTensorType in = n.inputType(0), weight = n.inputType(1), offset = n.inputType(2);
  if (in.getRank() != 4 || weight.getRank() != 4 || offset.getRank() != 4 ||
      !in.getElementType().isF32())
    return n.error() << "DeformConv of " << in << " is not supported (2-d f32 only)";
  int64_t groups = n.getInt("group", 1), offsetGroups = n.getInt("offset_group", 1);
  int64_t batch = in.getDimSize(0), channels = in.getDimSize(1), outChannels = weight.getDimSize(0);
  SmallVector<int64_t> kernel = n.getInts("kernel_shape", weight.getShape().drop_front(2));
  if (groups < 1 || channels != weight.getDimSize(1) * groups || outChannels % groups != 0 ||
      kernel.size() != 2)
    return n.error() << "weights " << weight << " do not fit " << in << " in " << groups
                     << " groups";
  int64_t oh = offset.getDimSize(2), ow = offset.getDimSize(3), positions = oh * ow;
  int64_t taps = kernel[0] * kernel[1];
  SmallVector<int64_t> strides = n.getInts("strides", {1, 1}), pads = n.getInts("pads", {0, 0, 0, 0});
  SmallVector<int64_t> dilations = n.getInts("dilations", {1, 1});
  if (strides.size() != 2 || pads.size() != 4 || dilations.size() != 2 ||
      llvm::any_of(strides, [](int64_t s) { return s < 1; }))
    return n.error() << "expected 2 strides, 4 pads and 2 dilations";
  for (int d = 0; d < 2; ++d) {
    int64_t span = dilations[d] * (kernel[d] - 1) + 1;
    int64_t expected = (in.getDimSize(2 + d) + pads[d] + pads[d + 2] - span) / strides[d] + 1;
    if (offset.getDimSize(2 + d) != expected)
      return n.error() << "the offset " << offset << " does not match the output size "
                       << expected << " in spatial dimension " << d;
  }
  Value mask = n.hasInput(4)
                   ? n.input(4)
                   : n.constant([&] {
                       Tensor ones(in.getElementType(), {batch, offsetGroups * taps, oh, ow});
                       llvm::fill(ones.floats(), 1.0f);
                       return ones;
                     }());
  auto columnsType = RankedTensorType::get({batch, positions, channels * taps}, in.getElementType());
  Value columns = n.create<qc::DeformUnfoldOp>(
      columnsType, n.input(0), n.input(2), mask, i64Array(n, kernel),
      i64Array(n, strides), i64Array(n, pads), i64Array(n, dilations), i64Attr(n, offsetGroups));
  int64_t k = channels / groups * taps, perGroup = outChannels / groups;
  // [N, P, g, K] -> [N, g, P, K] times weights [g, K, O/g] -> [N, g, P, O/g].
  Value grouped = transposeTo(n, reshapeTo(n, columns, {batch, positions, groups, k}), {0, 2, 1, 3});
  Value weights = transposeTo(n, reshapeTo(n, n.input(1), {groups, perGroup, k}), {0, 2, 1});
  Value product = n.create<qc::MatMulOp>(grouped, weights, IntegerAttr());
  Value y = reshapeTo(n, transposeTo(n, product, {0, 1, 3, 2}), {batch, outChannels, oh, ow});
  if (n.hasInput(3))
    y = n.create<qc::AddOp>(y, reshapeTo(n, n.input(3), {outChannels, 1, 1}));
  n.setOutput(0, y);
  return success();
}

/// NonMaxSuppression: its output size depends on the values, so the result
/// has the static maximum of rows, the selected triples first and -1 after.
LogicalResult importNonMaxSuppression(NodeImporter &n) {
  RankedTensorType boxes = n.inputType(0), scores = n.inputType(1);
  if (boxes.getRank() != 3 || scores.getRank() != 3 || !boxes.getElementType().isF32())
    return n.error() << "expected f32 boxes [B, N, 4] and scores [B, C, N]";
  auto scalarInput = [&](unsigned i, double dflt) -> FailureOr<double> {
    if (!n.hasInput(i))
      return dflt;
    FailureOr<Tensor> t = n.constantInput(i);
    if (failed(t))
      return failure();
    return t->getNumElements() ? t->getAsDouble(0) : dflt;
  };
  FailureOr<double> maxPerClass = scalarInput(2, 0), iou = scalarInput(3, 0);
  FailureOr<double> threshold = scalarInput(4, 0);
  if (failed(maxPerClass) || failed(iou) || failed(threshold))
    return failure();
  int64_t perClass = std::min<int64_t>(std::max<int64_t>(int64_t(*maxPerClass), 0),
                                       boxes.getDimSize(1));
  auto type = RankedTensorType::get({boxes.getDimSize(0) * scores.getDimSize(1) * perClass, 3},
                                    n.builder().getI64Type());
  FloatAttr scoreThreshold = n.hasInput(4) ? f32Attr(n, *threshold) : FloatAttr();
  n.setOutput(0, n.create<qc::NonMaxSuppressionOp>(
                     type, n.input(0), n.input(1), i64Attr(n, int64_t(*maxPerClass)),
                     f32Attr(n, *iou), scoreThreshold,
                     n.builder().getBoolAttr(n.getInt("center_point_box", 0))));
  return success();
}

LogicalResult importDet(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  if (in.getRank() < 2 || !in.getElementType().isF32())
    return n.error() << "expected f32 square matrices, got " << in;
  auto type = RankedTensorType::get(in.getShape().drop_back(2), in.getElementType());
  n.setOutput(0, n.create<qc::DetOp>(type, n.input(0)));
  return success();
}
} // namespace

void onnx_import::addRegionImporters(llvm::StringMap<OpImporter> &t) {
  t["GridSample"] = {importGridSample, 2};
  t["RoiAlign"] = {importRoiAlign, 3};
  t["MaxRoiPool"] = {importMaxRoiPool, 2};
  t["Det"] = {importDet, 1};
  t["DeformConv"] = {importDeformConv, 3};
  t["NonMaxSuppression"] = {importNonMaxSuppression, 2};
}
