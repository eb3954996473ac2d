//===- IndexImporters.cpp - rearrangements and index arithmetic -*- C++ -*-===//
//
// ONNX ops that are compositions of qc's data movement: DepthToSpace and
// SpaceToDepth are reshape-transpose-reshape; OneHot compares indices with a
// range; GatherND gathers rows of the flattened data by linearized indices;
// ScatterElements and Scatter scatter with full coordinates built from the
// index tensor; ReverseSequence gathers with reversed positions; Upsample
// is Resize; CenterCropPad slices and pads; Compress needs its condition at
// import, where its output size becomes known; NonZero of a run-time tensor
// has a static maximum of columns. TopK and Hardmax select along an axis.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using reference::Tensor;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }


/// A constant i64 tensor of `shape` whose element is `fn(index)` (the
/// multi-dimensional index).
template <typename Fn>
Value indexConstant(NodeImporter &n, ArrayRef<int64_t> shape, Fn fn) {
  Tensor t(n.builder().getI64Type(), shape);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0, e = t.getNumElements(); i < e; ++i) {
    t.ints()[i] = fn(ArrayRef<int64_t>(index));
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return n.constant(t);
}

/// Integer indices into a dimension of `size`, negative ones counted from
/// the end, as i64.
Value normalizedIndices(NodeImporter &n, Value indices, int64_t size) {
  RankedTensorType type = typeOf(indices);
  Type i64 = n.builder().getI64Type();
  if (type.getElementType() != i64)
    indices = n.create<qc::CastOp>(type.clone(i64), indices);
  Value negative = n.create<qc::LessOp>(indices, scalarConstant(n, i64, 0));
  return n.create<qc::WhereOp>(negative,
                               n.create<qc::AddOp>(indices, scalarConstant(n, i64, size)),
                               indices);
}

LogicalResult importDepthToSpace(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t b = n.getInt("blocksize", 0);
  if (in.getRank() != 4 || b < 1 || in.getDimSize(1) % (b * b) != 0)
    return n.error() << "cannot move blocks of " << b << " out of the channels of " << in;
  int64_t N = in.getDimSize(0), C = in.getDimSize(1), H = in.getDimSize(2), W = in.getDimSize(3);
  std::string mode = n.getString("mode", "DCR");
  Value v;
  if (mode == "DCR")
    v = transposeTo(n, reshapeTo(n, n.input(0), {N, b, b, C / (b * b), H, W}), {0, 3, 4, 1, 5, 2});
  else if (mode == "CRD")
    v = transposeTo(n, reshapeTo(n, n.input(0), {N, C / (b * b), b, b, H, W}), {0, 1, 4, 2, 5, 3});
  else
    return n.error() << "unsupported mode '" << mode << "'";
  n.setOutput(0, reshapeTo(n, v, {N, C / (b * b), H * b, W * b}));
  return success();
}

LogicalResult importSpaceToDepth(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t b = n.getInt("blocksize", 0);
  if (in.getRank() != 4 || b < 1 || in.getDimSize(2) % b || in.getDimSize(3) % b)
    return n.error() << "cannot cut " << in << " into blocks of " << b;
  int64_t N = in.getDimSize(0), C = in.getDimSize(1), H = in.getDimSize(2), W = in.getDimSize(3);
  Value v = transposeTo(n, reshapeTo(n, n.input(0), {N, C, H / b, b, W / b, b}),
                        {0, 3, 5, 1, 2, 4});
  n.setOutput(0, reshapeTo(n, v, {N, C * b * b, H / b, W / b}));
  return success();
}

/// OneHot: where(indices == range(depth) along `axis`, on, off).
LogicalResult importOneHot(NodeImporter &n) {
  FailureOr<Tensor> depthTensor = n.constantInput(1);
  if (failed(depthTensor))
    return failure();
  if (depthTensor->getNumElements() != 1)
    return n.error() << "depth must hold one value";
  int64_t depth = static_cast<int64_t>(depthTensor->getAsDouble(0));
  RankedTensorType values = n.inputType(2);
  if (values.getNumElements() != 2 || depth < 1)
    return n.error() << "expected a positive depth and values [off, on]";
  RankedTensorType in = n.inputType(0);
  int64_t rank = in.getRank() + 1;
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  Value indices = n.input(0);
  if (isa<FloatType>(in.getElementType()))
    indices = n.create<qc::CastOp>(in.clone(n.builder().getI64Type()), indices);
  SmallVector<int64_t> expanded(in.getShape());
  expanded.insert(expanded.begin() + *axis, 1);
  Value at = reshapeTo(n, normalizedIndices(n, indices, depth), expanded);
  SmallVector<int64_t> rangeShape(rank, 1);
  rangeShape[*axis] = depth;
  Value positions = indexConstant(n, rangeShape, [&](ArrayRef<int64_t> i) { return i[*axis]; });
  Value off = reshapeTo(n, sliceDim(n, reshapeTo(n, n.input(2), {2}), 0, 0, 1), {});
  Value on = reshapeTo(n, sliceDim(n, reshapeTo(n, n.input(2), {2}), 0, 1, 1), {});
  n.setOutput(0, n.create<qc::WhereOp>(n.create<qc::EqualOp>(at, positions), on, off));
  return success();
}

/// GatherND: rows of data flattened to [batch * indexed, rest...], gathered
/// by the linearized index tuples.
LogicalResult importGatherND(NodeImporter &n) {
  RankedTensorType data = n.inputType(0), indices = n.inputType(1);
  int64_t batchDims = n.getInt("batch_dims", 0);
  if (indices.getRank() < 1 || batchDims < 0 || batchDims >= indices.getRank())
    return n.error() << "bad batch_dims " << batchDims << " for indices " << indices;
  int64_t k = indices.getShape().back();
  if (batchDims + k > data.getRank())
    return n.error() << "index tuples of " << k << " do not fit " << data;
  for (int64_t d = 0; d < batchDims; ++d)
    if (data.getDimSize(d) != indices.getDimSize(d))
      return n.error() << "batch dimension " << d << " differs between data and indices";
  ArrayRef<int64_t> batchShape = data.getShape().take_front(batchDims);
  ArrayRef<int64_t> indexed = data.getShape().slice(batchDims, k);
  ArrayRef<int64_t> rest = data.getShape().drop_front(batchDims + k);
  int64_t rows = product(batchShape) * product(indexed);
  SmallVector<int64_t> flatShape = {rows};
  llvm::append_range(flatShape, rest);
  Value flat = reshapeTo(n, n.input(0), flatShape);

  // linear = batch * prod(indexed) + sum_j index_j * stride_j
  ArrayRef<int64_t> tupleShape = indices.getShape().drop_back();
  Type i64 = n.builder().getI64Type();
  int64_t perBatch = product(indexed);
  Value linear = indexConstant(n, tupleShape, [&](ArrayRef<int64_t> i) {
    int64_t b = 0;
    for (int64_t d = 0; d < batchDims; ++d)
      b = b * batchShape[d] + i[d];
    return b * perBatch;
  });
  int64_t stride = perBatch;
  for (int64_t j = 0; j < k; ++j) {
    stride /= indexed[j];
    Value component = reshapeTo(n, sliceDim(n, n.input(1), indices.getRank() - 1, j, 1),
                                tupleShape);
    Value scaled = n.create<qc::MulOp>(normalizedIndices(n, component, indexed[j]),
                                       scalarConstant(n, i64, stride));
    linear = n.create<qc::AddOp>(linear, scaled);
  }
  n.setOutput(0, n.create<qc::GatherOp>(flat, linear, i64Attr(n, 0)));
  return success();
}

/// ScatterElements (and the older Scatter): a ScatterND whose index tuples
/// are the positions of the index tensor with `axis` replaced by its values.
LogicalResult importScatterElements(NodeImporter &n) {
  RankedTensorType data = n.inputType(0), indices = n.inputType(1);
  int64_t rank = data.getRank();
  if (indices.getRank() != rank || n.inputType(2).getShape() != indices.getShape())
    return n.error() << "indices " << indices << " and updates " << n.inputType(2)
                     << " must have the rank of " << data << " and one shape";
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  std::string reduction = n.getString("reduction", "none");
  SmallVector<int64_t> columnShape(indices.getShape());
  columnShape.push_back(1);
  SmallVector<Value> columns;
  for (int64_t d = 0; d < rank; ++d) {
    Value column = d == *axis ? normalizedIndices(n, n.input(1), data.getDimSize(d))
                              : indexConstant(n, indices.getShape(),
                                              [d](ArrayRef<int64_t> i) { return i[d]; });
    columns.push_back(reshapeTo(n, column, columnShape));
  }
  Value tuples = n.create<qc::ConcatOp>(columns, i64Attr(n, rank));
  n.setOutput(0, n.create<qc::ScatterNDOp>(n.input(0), tuples, n.input(2),
                                           n.builder().getStringAttr(reduction)));
  return success();
}

/// ReverseSequence: along time, position t of batch entry b reads
/// len[b] - 1 - t while t < len[b], and itself after.
LogicalResult importReverseSequence(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t timeAxis = n.getInt("time_axis", 0), batchAxis = n.getInt("batch_axis", 1);
  if (in.getRank() < 2 || timeAxis == batchAxis || std::min(timeAxis, batchAxis) < 0 ||
      std::max(timeAxis, batchAxis) > 1)
    return n.error() << "time_axis and batch_axis must be 0 and 1 in some order";
  int64_t time = in.getDimSize(timeAxis), batch = in.getDimSize(batchAxis);
  SmallVector<int64_t> timeShape(in.getRank(), 1), lensShape(in.getRank(), 1);
  timeShape[timeAxis] = time;
  lensShape[batchAxis] = batch;
  Type i64 = n.builder().getI64Type();
  Value t = indexConstant(n, timeShape, [&](ArrayRef<int64_t> i) { return i[timeAxis]; });
  Value lens = n.inputType(1).getElementType() == i64
                   ? n.input(1)
                   : n.create<qc::CastOp>(n.inputType(1).clone(i64), n.input(1));
  lens = reshapeTo(n, lens, lensShape);
  Value reversed = n.create<qc::SubOp>(n.create<qc::SubOp>(lens, scalarConstant(n, i64, 1)), t);
  Value source = n.create<qc::WhereOp>(n.create<qc::LessOp>(t, lens), reversed, t);
  Value full = n.create<qc::BroadcastToOp>(in.clone(i64), source);
  n.setOutput(0, n.create<qc::GatherElementsOp>(n.input(0), full, i64Attr(n, timeAxis)));
  return success();
}

/// Upsample (opsets 7-9): Resize with asymmetric coordinates, nearest
/// neighbours by flooring.
LogicalResult importUpsample(NodeImporter &n) {
  SmallVector<float> scales;
  if (n.opset() < 9) {
    scales = n.getFloats("scales");
  } else {
    FailureOr<Tensor> given = n.constantInput(1);
    if (failed(given))
      return failure();
    for (int64_t i = 0; i < given->getNumElements(); ++i)
      scales.push_back(static_cast<float>(given->getAsDouble(i)));
  }
  RankedTensorType in = n.inputType(0);
  if (static_cast<int64_t>(scales.size()) != in.getRank())
    return n.error() << "expected " << in.getRank() << " scales, got " << scales.size();
  std::string mode = n.getString("mode", "nearest");
  if (mode == "bilinear")
    mode = "linear";
  if (mode != "nearest" && mode != "linear")
    return n.error() << "unsupported mode '" << mode << "'";
  SmallVector<int64_t> sizes;
  for (auto [d, s] : llvm::zip(in.getShape(), scales))
    sizes.push_back(static_cast<int64_t>(std::floor(d * s)));
  n.setOutput(0, n.create<qc::ResizeOp>(RankedTensorType::get(sizes, in.getElementType()),
                                        n.input(0), n.builder().getDenseF32ArrayAttr(scales),
                                        n.builder().getStringAttr(mode),
                                        n.builder().getStringAttr("asymmetric"),
                                        n.builder().getStringAttr("floor"),
                                        n.builder().getF32FloatAttr(-0.75f),
                                        n.builder().getBoolAttr(false),
                                        n.builder().getBoolAttr(false),
                                        n.builder().getDenseF32ArrayAttr({}),
                                        n.builder().getF32FloatAttr(0.0f)));
  return success();
}

/// CenterCropPad: per listed axis, a centered slice when smaller, centered
/// zero padding when larger.
LogicalResult importCenterCropPad(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  FailureOr<SmallVector<int64_t>> target = n.constantInts(1);
  if (failed(target))
    return failure();
  SmallVector<int64_t> axes = n.getInts("axes", llvm::to_vector(llvm::seq<int64_t>(0, target->size())));
  auto normalized = normalizeAxes(n, axes, in.getRank());
  if (failed(normalized))
    return failure();
  if (axes.size() != target->size())
    return n.error() << "shape has " << target->size() << " sizes for " << axes.size() << " axes";
  Value v = n.input(0);
  SmallVector<int64_t> pads(2 * in.getRank(), 0);
  for (auto [rawAxis, size] : llvm::zip(axes, *target)) {
    int64_t axis = rawAxis < 0 ? rawAxis + in.getRank() : rawAxis;
    int64_t dim = in.getDimSize(axis);
    if (size < dim)
      v = sliceDim(n, v, axis, (dim - size) / 2, size);
    pads[axis] = size > dim ? (size - dim) / 2 : 0;
    pads[axis + in.getRank()] = size > dim ? size - dim - pads[axis] : 0;
  }
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; }))
    v = n.create<qc::PadOp>(v, i64Array(n, pads), n.builder().getStringAttr("constant"),
                            f32Attr(n, 0));
  n.setOutput(0, v);
  return success();
}

/// Compress with a condition known at import: a gather of the kept indices.
LogicalResult importCompress(NodeImporter &n) {
  FailureOr<Tensor> condition = n.constantInput(1);
  if (failed(condition))
    return failure();
  Value data = n.input(0);
  RankedTensorType in = n.inputType(0);
  int64_t axis = 0;
  if (n.hasAttr("axis")) {
    FailureOr<int64_t> a = n.normalizeAxis(n.getInt("axis", 0), in.getRank());
    if (failed(a))
      return failure();
    axis = *a;
  } else {
    data = reshapeTo(n, data, {in.getNumElements()});
  }
  int64_t size = typeOf(data).getDimSize(axis);
  SmallVector<int64_t> kept;
  for (int64_t i = 0; i < std::min(size, condition->getNumElements()); ++i)
    if (condition->getAsDouble(i) != 0)
      kept.push_back(i);
  Tensor indices(n.builder().getI64Type(), {static_cast<int64_t>(kept.size())});
  llvm::copy(kept, indices.ints().begin());
  n.setOutput(0, n.create<qc::GatherOp>(data, n.constant(indices), i64Attr(n, axis)));
  return success();
}

/// NonZero of a tensor known only at run time: qc.non_zero's static
/// [rank, numel], padded with -1 (a scalar is read as one element).
LogicalResult importRunTimeNonZero(NodeImporter &n) {
  Value x = n.input(0);
  RankedTensorType in = n.inputType(0);
  if (!in.getElementType().isF32())
    x = n.create<qc::CastOp>(RankedTensorType::get(in.getShape(), n.builder().getF32Type()), x);
  if (in.getRank() == 0)
    x = reshapeTo(n, x, {1});
  int64_t rank = std::max<int64_t>(1, in.getRank());
  auto type = RankedTensorType::get({rank, in.getNumElements()}, n.builder().getI64Type());
  n.setOutput(0, n.create<qc::NonZeroOp>(type, x));
  return success();
}

/// NonZero: the coordinates, [rank, count] when the input is known at
/// import, else qc.non_zero.
LogicalResult importNonZero(NodeImporter &n) {
  if (!n.input(0).getDefiningOp<qc::ConstantOp>())
    return importRunTimeNonZero(n);
  FailureOr<Tensor> in = n.constantInput(0);
  if (failed(in))
    return failure();
  ArrayRef<int64_t> shape = in->getShape();
  SmallVector<int64_t> strides = reference::computeStrides(shape);
  SmallVector<int64_t> nonZero;
  for (int64_t i = 0; i < in->getNumElements(); ++i)
    if (in->getAsDouble(i) != 0)
      nonZero.push_back(i);
  int64_t rank = std::max<int64_t>(1, shape.size()), count = nonZero.size();
  Tensor out(n.builder().getI64Type(), {rank, count});
  for (auto [j, flat] : llvm::enumerate(nonZero))
    for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
      out.ints()[d * count + j] = flat / strides[d] % shape[d];
  n.setOutput(0, n.constant(out));
  return success();
}

/// TopK: qc.top_k gives the positions; the values are gathered at them.
LogicalResult importTopK(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  if (!in.getElementType().isF32())
    return n.error() << "TopK of " << in << " is not supported (f32 only)";
  int64_t k = n.getInt("k", -1);
  if (n.opset() >= 10) {
    FailureOr<SmallVector<int64_t>> given = n.constantInts(1);
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return n.error() << "K must hold one value";
    k = given->front();
  }
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", -1), in.getRank());
  if (failed(axis))
    return failure();
  if (k < 0 || k > in.getDimSize(*axis))
    return n.error() << "K = " << k << " is not in [0, " << in.getDimSize(*axis) << "]";
  Value positions = n.create<qc::TopKOp>(n.input(0), i64Attr(n, k), i64Attr(n, *axis),
                                         n.builder().getBoolAttr(n.getInt("largest", 1)));
  n.setOutput(0, n.create<qc::GatherElementsOp>(n.input(0), positions, i64Attr(n, *axis)));
  n.setOutput(1, positions);
  return success();
}

/// Hardmax: 1 at the first maximum along `axis` (of the input flattened to
/// 2-d at `axis` before opset 13), 0 elsewhere.
LogicalResult importHardmax(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  if (in.getRank() == 0 || in.getNumElements() == 0)
    return n.error() << "expected a non-empty tensor of rank 1 or more, got " << in;
  bool legacy = n.opset() < 13;
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", legacy ? 1 : -1),
                                            std::max<int64_t>(in.getRank(), 1));
  if (failed(axis))
    return failure();
  Value x = n.input(0);
  int64_t along = *axis;
  if (legacy) {
    x = reshapeTo(n, x, {product(in.getShape().take_front(*axis)),
                         product(in.getShape().drop_front(*axis))});
    along = 1;
  }
  RankedTensorType type = typeOf(x);
  Value best = n.create<qc::ArgMaxOp>(x, i64Attr(n, along), n.builder().getBoolAttr(true),
                                      n.builder().getBoolAttr(false));
  SmallVector<int64_t> rangeShape(type.getRank(), 1);
  rangeShape[along] = type.getDimSize(along);
  Value positions = indexConstant(n, rangeShape, [&](ArrayRef<int64_t> i) { return i[along]; });
  Value hot = n.create<qc::EqualOp>(best, positions);
  n.setOutput(0, reshapeTo(n, n.create<qc::CastOp>(type, hot), in.getShape()));
  return success();
}

/// AffineGrid: the normalized output coordinates (x, y[, z], 1) of every
/// position, a constant, times theta transposed.
LogicalResult importAffineGrid(NodeImporter &n) {
  RankedTensorType theta = n.inputType(0);
  FailureOr<SmallVector<int64_t>> size = n.constantInts(1);
  if (failed(size))
    return failure();
  int64_t spatial = static_cast<int64_t>(size->size()) - 2;
  if ((spatial != 2 && spatial != 3) || theta.getRank() != 3 ||
      theta.getShape() != ArrayRef<int64_t>{(*size)[0], spatial, spatial + 1})
    return n.error() << "theta " << theta << " does not match size " << size->size() << "-d";
  bool alignCorners = n.getInt("align_corners", 0) != 0;
  // Dimensions from the fastest (x = width) to the slowest.
  SmallVector<int64_t> extent(size->rbegin(), size->rbegin() + spatial);
  int64_t positions = product(extent);
  // base [spatial + 1, positions]: theta [N, spatial, spatial + 1] times it
  // is a matmul with a constant right operand, as layers have.
  Tensor base(theta.getElementType(), {spatial + 1, positions});
  for (int64_t p = 0; p < positions; ++p) {
    int64_t rest = p;
    for (int64_t d = 0; d < spatial; ++d) {
      int64_t i = rest % extent[d], e = extent[d];
      rest /= e;
      double c = alignCorners ? (e > 1 ? -1.0 + 2.0 * i / (e - 1) : -1.0)
                              : (2.0 * i + 1) / e - 1;
      base.floats()[d * positions + p] = static_cast<float>(c);
    }
    base.floats()[spatial * positions + p] = 1;
  }
  Value product = n.create<qc::MatMulOp>(n.input(0), n.constant(base), IntegerAttr());
  Value grid = n.create<qc::TransposeOp>(product, i64Array(n, {0, 2, 1}));
  SmallVector<int64_t> shape = {(*size)[0]};
  shape.append(size->begin() + 2, size->end());
  shape.push_back(spatial);
  n.setOutput(0, reshapeTo(n, grid, shape));
  return success();
}

/// Col2Im: every element of every sliding block adds into its image
/// position (a ScatterND with constant positions; those in the padding drop).
LogicalResult importCol2Im(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  FailureOr<SmallVector<int64_t>> image = n.constantInts(1), block = n.constantInts(2);
  if (failed(image) || failed(block))
    return failure();
  size_t dims = image->size();
  SmallVector<int64_t> strides = n.getInts("strides", SmallVector<int64_t>(dims, 1));
  SmallVector<int64_t> dilations = n.getInts("dilations", SmallVector<int64_t>(dims, 1));
  SmallVector<int64_t> pads = n.getInts("pads", SmallVector<int64_t>(2 * dims, 0));
  int64_t kernel = product(*block);
  if (in.getRank() != 3 || block->size() != dims || strides.size() != dims ||
      dilations.size() != dims || pads.size() != 2 * dims || kernel < 1 ||
      in.getDimSize(1) % kernel != 0)
    return n.error() << "input " << in << " does not fit blocks of " << block->size()
                     << "-d images";
  SmallVector<int64_t> blocks;
  for (size_t d = 0; d < dims; ++d) {
    int64_t span = dilations[d] * ((*block)[d] - 1) + 1;
    int64_t padded = (*image)[d] + pads[d] + pads[d + dims];
    if (strides[d] < 1 || padded < span)
      return n.error() << "blocks do not fit the image in dimension " << d;
    blocks.push_back((padded - span) / strides[d] + 1);
  }
  int64_t batch = in.getDimSize(0), channels = in.getDimSize(1) / kernel;
  int64_t count = in.getDimSize(2), pixels = product(*image);
  if (count != product(blocks))
    return n.error() << "the input has " << count << " blocks, the image " << product(blocks);
  // Input element (c, k, l) lands on pixel (c, position of tap k in block l).
  SmallVector<int64_t> sources, targets;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t k = 0; k < kernel; ++k)
      for (int64_t l = 0; l < count; ++l) {
        int64_t pixel = 0, tap = k, at = l;
        bool inside = true;
        for (int64_t d = static_cast<int64_t>(dims) - 1, scale = 1; d >= 0; --d) {
          int64_t kd = tap % (*block)[d], ld = at % blocks[d];
          tap /= (*block)[d];
          at /= blocks[d];
          int64_t pos = ld * strides[d] - pads[d] + kd * dilations[d];
          inside &= pos >= 0 && pos < (*image)[d];
          pixel += pos * scale;
          scale *= (*image)[d];
        }
        if (inside) {
          sources.push_back((c * kernel + k) * count + l);
          targets.push_back(c * pixels + pixel);
        }
      }
  Type i64 = n.builder().getI64Type();
  Tensor from(i64, {static_cast<int64_t>(sources.size())});
  Tensor to(i64, {static_cast<int64_t>(targets.size()), 1});
  llvm::copy(sources, from.ints().begin());
  llvm::copy(targets, to.ints().begin());
  // Rows are positions, columns the batch: [C * K * L, N] -> [C * H * W, N].
  Value columns = n.create<qc::TransposeOp>(reshapeTo(n, n.input(0), {batch, channels * kernel * count}),
                                            i64Array(n, {1, 0}));
  Value updates = n.create<qc::GatherOp>(columns, n.constant(from), i64Attr(n, 0));
  Value zeros = n.constant(Tensor(in.getElementType(), {channels * pixels, batch}));
  Value sums = n.create<qc::ScatterNDOp>(zeros, n.constant(to), updates,
                                         n.builder().getStringAttr("add"));
  SmallVector<int64_t> shape = {batch, channels};
  shape.append(image->begin(), image->end());
  n.setOutput(0, reshapeTo(n, n.create<qc::TransposeOp>(sums, i64Array(n, {1, 0})), shape));
  return success();
}

/// MaxUnpool: the values scattered to their flat output positions, zeros
/// elsewhere.
LogicalResult importMaxUnpool(NodeImporter &n) {
  RankedTensorType in = n.inputType(0), indices = n.inputType(1);
  if (in.getRank() < 3 || indices.getShape() != in.getShape())
    return n.error() << "values " << in << " and indices " << indices << " must agree";
  SmallVector<int64_t> shape;
  if (n.hasInput(2)) {
    FailureOr<SmallVector<int64_t>> given = n.constantInts(2);
    if (failed(given))
      return failure();
    shape = *given;
  } else {
    FailureOr<WindowAttrs> w = getWindowAttrs(n, in.getShape().drop_front(2), {});
    if (failed(w))
      return failure();
    shape.assign(in.getShape().begin(), in.getShape().begin() + 2);
    size_t spatial = w->kernel.size();
    for (size_t d = 0; d < spatial; ++d)
      shape.push_back((in.getDimSize(d + 2) - 1) * w->strides[d] + w->kernel[d] -
                      w->pads[d] - w->pads[d + spatial]);
  }
  if (static_cast<int64_t>(shape.size()) != in.getRank())
    return n.error() << "output_shape must have rank " << in.getRank();
  int64_t total = product(shape), count = in.getNumElements();
  Value flat = n.constant(Tensor(in.getElementType(), {total}));
  Value positions = reshapeTo(n, normalizedIndices(n, n.input(1), total), {count, 1});
  Value scattered = n.create<qc::ScatterNDOp>(flat, positions, reshapeTo(n, n.input(0), {count}),
                                              n.builder().getStringAttr("none"));
  n.setOutput(0, reshapeTo(n, scattered, shape));
  return success();
}
} // namespace

void onnx_import::addIndexImporters(llvm::StringMap<OpImporter> &t) {
  t["DepthToSpace"] = {importDepthToSpace, 1};
  t["SpaceToDepth"] = {importSpaceToDepth, 1};
  t["OneHot"] = {importOneHot, 3};
  t["GatherND"] = {importGatherND, 2};
  t["ScatterElements"] = {importScatterElements, 3};
  t["Scatter"] = {importScatterElements, 3};
  t["ReverseSequence"] = {importReverseSequence, 2};
  t["Upsample"] = {importUpsample, 1, /*firstOpset=*/7};
  t["CenterCropPad"] = {importCenterCropPad, 2};
  t["Compress"] = {importCompress, 2};
  t["NonZero"] = {importNonZero, 1};
  t["TopK"] = {importTopK, 1};
  t["Hardmax"] = {importHardmax, 1};
  t["AffineGrid"] = {importAffineGrid, 2};
  t["Col2Im"] = {importCol2Im, 3};
  t["MaxUnpool"] = {importMaxUnpool, 2};
}
