//===- ShapeImporters.cpp - shapes, data movement, reductions ---*- C++ -*-===//
//
// Shape arguments (Reshape's shape, Slice's bounds, Pad's pads, ...) must be
// compile-time constants; Shape/Gather/Concat chains computing them fold to
// constants as they are imported.
//
//===----------------------------------------------------------------------===//
#include "GraphImporter.h"
#include "ImportUtils.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using reference::Tensor;

namespace {
Tensor intTensor(NodeImporter &n, ArrayRef<int64_t> values,
                 ArrayRef<int64_t> shape) {
  Tensor t(n.builder().getI64Type(), shape);
  llvm::copy(values, t.ints().begin());
  return t;
}

LogicalResult importReshape(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  // Before opset 5 the shape is an attribute.
  FailureOr<SmallVector<int64_t>> target =
      n.opset() < 5 ? FailureOr<SmallVector<int64_t>>(n.getInts("shape")) : n.constantInts(1);
  if (failed(target))
    return failure();
  bool allowZero = n.getInt("allowzero", 0);
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == 0 && !allowZero) {
      if ((int64_t)i >= in.getRank())
        return n.error() << "shape entry " << i << " copies a missing dimension";
      d = in.getDimSize(i);
    }
    if (d == -1) {
      if (inferred >= 0)
        return n.error() << "shape has more than one -1";
      inferred = i;
    } else if (d < 0) {
      return n.error() << "invalid shape entry " << d;
    } else if (llvm::MulOverflow(known, d, known)) {
      return n.error() << "the requested shape has too many elements";
    }
    shape.push_back(d);
  }
  int64_t total = in.getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known)
      return n.error() << "cannot reshape " << in << " to the requested shape";
    shape[inferred] = total / known;
  }
  if (product(shape) != total)
    return n.error() << "cannot reshape " << in << " ("
                     << total << " elements) to " << product(shape)
                     << " elements";
  n.setOutput(0, reshapeTo(n, n.input(0), shape));
  return success();
}

LogicalResult importFlatten(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t axis = n.getInt("axis", 1);
  if (axis < 0)
    axis += in.getRank();
  if (axis < 0 || axis > in.getRank())
    return n.error() << "axis out of range";
  n.setOutput(0, reshapeTo(n, n.input(0),
                           {product(in.getShape().take_front(axis)),
                            product(in.getShape().drop_front(axis))}));
  return success();
}

LogicalResult importSqueeze(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  FailureOr<SmallVector<int64_t>> axes = getAxesOperand(n, 13);
  if (failed(axes))
    return failure();
  auto normalized = normalizeAxes(n, *axes, in.getRank());
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    bool listed = llvm::is_contained(*normalized, i);
    if (listed && in.getDimSize(i) != 1)
      return n.error() << "cannot squeeze dimension " << i << " of size "
                       << in.getDimSize(i);
    if (!(listed || (normalized->empty() && in.getDimSize(i) == 1)))
      shape.push_back(in.getDimSize(i));
  }
  n.setOutput(0, reshapeTo(n, n.input(0), shape));
  return success();
}

LogicalResult importUnsqueeze(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  FailureOr<SmallVector<int64_t>> axes = getAxesOperand(n, 13);
  if (failed(axes))
    return failure();
  int64_t outRank = in.getRank() + axes->size();
  auto normalized = normalizeAxes(n, *axes, outRank);
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> shape;
  auto dims = in.getShape();
  for (int64_t i = 0, j = 0; i < outRank; ++i)
    shape.push_back(llvm::is_contained(*normalized, i) ? 1 : dims[j++]);
  n.setOutput(0, reshapeTo(n, n.input(0), shape));
  return success();
}

LogicalResult importTranspose(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> reversed;
  for (int64_t i = rank - 1; i >= 0; --i)
    reversed.push_back(i);
  SmallVector<int64_t> perm = n.getInts("perm", reversed);
  if ((int64_t)perm.size() != rank)
    return n.error() << "perm has " << perm.size() << " entries for rank " << rank;
  n.setOutput(0, n.create<qc::TransposeOp>(n.input(0), i64Array(n, perm)));
  return success();
}

LogicalResult importConcat(NodeImporter &n) {
  FailureOr<SmallVector<Value>> inputs = n.variadicInputs();
  if (failed(inputs))
    return failure();
  // Before opset 4, `axis` may be left out and defaults to 1.
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.getInt("axis", n.opset() < 4 ? 1 : 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<qc::ConcatOp>(*inputs, i64Attr(n, *axis)));
  return success();
}

LogicalResult importSplit(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), in.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = in.getDimSize(*axis), outputs = n.numOutputs();
  SmallVector<int64_t> sizes;
  if (n.opset() < 13 && !(n.opset() < 2 && n.hasInput(1))) {
    sizes = n.getInts("split");
  } else if (n.hasInput(1)) { // Also opset 1's optional second input.
    FailureOr<SmallVector<int64_t>> s = n.constantInts(1);
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (sizes.empty()) {
    int64_t parts = n.hasAttr("num_outputs") ? n.getInt("num_outputs", outputs)
                                             : outputs;
    if (parts < 1)
      return n.error() << "num_outputs must be positive, got " << parts;
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  if ((int64_t)sizes.size() != outputs || product(sizes) < 0 ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != dim)
    return n.error() << "split sizes do not add up to dimension " << dim;
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    n.setOutput(i, sliceDim(n, n.input(0), *axis, offset, size));
    offset += size;
  }
  return success();
}

LogicalResult importSlice(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t rank = in.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (n.opset() < 10) {
    starts = n.getInts("starts");
    ends = n.getInts("ends");
    axes = n.getInts("axes");
  } else {
    auto s = n.constantInts(1), e = n.constantInts(2);
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    for (unsigned i : {3u, 4u}) {
      if (!n.hasInput(i))
        continue;
      auto v = n.constantInts(i);
      if (failed(v))
        return failure();
      (i == 3 ? axes : steps) = *v;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return n.error() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> outStarts(rank, 0), limits(in.getShape()),
      outSteps(rank, 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    FailureOr<int64_t> axis = n.normalizeAxis(axes[i], rank);
    if (failed(axis))
      return failure();
    int64_t dim = in.getDimSize(*axis), step = steps[i];
    if (step == 0)
      return n.error() << "slice step must not be zero";
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    outStarts[*axis] = start;
    limits[*axis] = end;
    outSteps[*axis] = step;
  }
  n.setOutput(0, n.create<qc::SliceOp>(n.input(0), i64Array(n, outStarts),
                                       i64Array(n, limits),
                                       i64Array(n, outSteps)));
  return success();
}

LogicalResult importGather(NodeImporter &n) {
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.getInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<qc::GatherOp>(n.input(0), n.input(1), i64Attr(n, *axis)));
  return success();
}

LogicalResult importShape(NodeImporter &n) {
  ArrayRef<int64_t> dims = n.inputType(0).getShape();
  int64_t rank = dims.size();
  int64_t start = n.getInt("start", 0), end = n.getInt("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  ArrayRef<int64_t> selected = dims.slice(start, std::max<int64_t>(0, end - start));
  n.setOutput(0, n.constant(intTensor(n, selected, {(int64_t)selected.size()})));
  return success();
}

LogicalResult importSize(NodeImporter &n) {
  n.setOutput(0, scalarConstant(n, n.builder().getI64Type(), n.inputType(0).getNumElements()));
  return success();
}

/// EyeLike: ones on diagonal `k` of a matrix of the input's shape.
LogicalResult importEyeLike(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  if (in.getRank() != 2)
    return n.error() << "expected a matrix, got " << in;
  Type element = in.getElementType();
  if (n.hasAttr("dtype") && !(element = convertElementType(n.context(), n.getInt("dtype", 0))))
    return n.error() << "unsupported dtype " << n.getInt("dtype", 0);
  Tensor eye(element, in.getShape());
  int64_t rows = in.getDimSize(0), cols = in.getDimSize(1), k = n.getInt("k", 0);
  for (int64_t i = 0; i < rows; ++i)
    if (int64_t j = i + k; j >= 0 && j < cols) {
      if (eye.isFloat())
        eye.floats()[i * cols + j] = 1;
      else
        eye.ints()[i * cols + j] = 1;
    }
  n.setOutput(0, n.constant(eye));
  return success();
}

LogicalResult importConstant(NodeImporter &n) {
  OpBuilder &b = n.builder();
  if (const onnx::TensorProto *t = n.getTensorAttr("value")) {
    onnx::TensorProto named = *t; // Name the blob after the node's output.
    if (named.name().empty())
      named.set_name(n.node().output(0));
    FailureOr<ElementsAttr> attr = convertTensorProto(named, "", n.loc());
    if (failed(attr))
      return failure();
    n.setOutput(0, qc::ConstantOp::create(b, n.loc(), *attr));
    return success();
  }
  if (n.hasAttr("value_float") || n.hasAttr("value_floats")) {
    SmallVector<float> values = n.hasAttr("value_float")
                                    ? SmallVector<float>{n.getFloat("value_float", 0)}
                                    : n.getFloats("value_floats");
    SmallVector<int64_t> shape;
    if (n.hasAttr("value_floats"))
      shape.push_back(values.size());
    Tensor t(b.getF32Type(), shape);
    llvm::copy(values, t.floats().begin());
    n.setOutput(0, n.constant(t));
    return success();
  }
  if (n.hasAttr("value_int") || n.hasAttr("value_ints")) {
    bool scalar = n.hasAttr("value_int");
    SmallVector<int64_t> values =
        scalar ? SmallVector<int64_t>{n.getInt("value_int", 0)} : n.getInts("value_ints");
    n.setOutput(0, n.constant(intTensor(
                       n, values, scalar ? ArrayRef<int64_t>{}
                                         : ArrayRef<int64_t>{(int64_t)values.size()})));
    return success();
  }
  return n.error() << "unsupported Constant form (sparse or string values)";
}

LogicalResult importConstantOfShape(NodeImporter &n) {
  FailureOr<SmallVector<int64_t>> shape = n.constantInts(0);
  if (failed(shape))
    return failure();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return n.error() << "negative dimension in shape";
  Type element = n.builder().getF32Type();
  double value = 0;
  if (const onnx::TensorProto *t = n.getTensorAttr("value")) {
    FailureOr<ElementsAttr> attr = convertTensorProto(*t, "", n.loc());
    if (failed(attr))
      return failure();
    FailureOr<Tensor> v = Tensor::fromAttr(*attr);
    if (failed(v) || v->getNumElements() != 1)
      return n.error() << "value must hold one element";
    element = v->getElementType();
    value = v->getAsDouble(0);
  }
  auto type = RankedTensorType::get(*shape, element);
  Attribute splat = isa<FloatType>(element)
                        ? Attribute(FloatAttr::get(element, value))
                        : Attribute(IntegerAttr::get(element, (int64_t)value));
  n.setOutput(0, qc::ConstantOp::create(n.builder(), n.loc(),
                                        DenseElementsAttr::get(type, splat)));
  return success();
}

LogicalResult importExpand(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  FailureOr<SmallVector<int64_t>> shape = n.constantInts(1);
  if (failed(shape))
    return failure();
  auto out = qc::broadcastShapes(in.getShape(), *shape);
  if (failed(out))
    return n.error() << "cannot expand " << in << " to the requested shape";
  auto type = RankedTensorType::get(*out, in.getElementType());
  n.setOutput(0, type == in ? n.input(0)
                            : n.create<qc::BroadcastToOp>(type, n.input(0)));
  return success();
}

LogicalResult importTile(NodeImporter &n) {
  FailureOr<SmallVector<int64_t>> repeats = n.constantInts(1);
  if (failed(repeats))
    return failure();
  if ((int64_t)repeats->size() != n.inputType(0).getRank())
    return n.error() << "repeats needs one entry per dimension";
  n.setOutput(0, n.create<qc::TileOp>(n.input(0), i64Array(n, *repeats)));
  return success();
}

LogicalResult importRange(NodeImporter &n) {
  FailureOr<Tensor> start = n.constantInput(0), limit = n.constantInput(1),
                    delta = n.constantInput(2);
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  for (const Tensor *scalar : {&*start, &*limit, &*delta})
    if (scalar->getNumElements() != 1)
      return n.error() << "start, limit and delta must be scalars, got "
                       << scalar->getType();
  if (start->getElementType() != limit->getElementType() ||
      start->getElementType() != delta->getElementType())
    return n.error() << "start, limit and delta must have one element type";
  double s = start->getAsDouble(0), l = limit->getAsDouble(0),
         d = delta->getAsDouble(0);
  if (d == 0)
    return n.error() << "delta must not be zero";
  double steps = std::ceil((l - s) / d);
  // Range folds to a constant at import: bound what it may allocate.
  constexpr double kMaxRangeElements = 1 << 24;
  if (!(steps <= kMaxRangeElements))
    return n.error() << "Range of " << steps << " elements is too large";
  int64_t count = steps > 0 ? static_cast<int64_t>(steps) : 0;
  Tensor t(start->getElementType(), {count});
  for (int64_t i = 0; i < count; ++i) {
    if (t.isFloat())
      t.floats()[i] = s + i * d;
    else // in the integers themselves, wrapping as integer arithmetic does
      t.ints()[i] = static_cast<int64_t>(uint64_t(start->ints()[0]) +
                                         uint64_t(i) * uint64_t(delta->ints()[0]));
  }
  n.setOutput(0, n.constant(t));
  return success();
}

/// Opset 19's wrap padding, as if each axis's ends were joined: output
/// position i along an axis of size L, padded by `before`, reads
/// (i - before) mod L, one gather per padded axis.
Value wrapPad(NodeImporter &n, Value x, ArrayRef<int64_t> pads) {
  int64_t rank = pads.size() / 2;
  for (int64_t axis = 0; axis < rank; ++axis) {
    int64_t before = pads[axis], after = pads[axis + rank];
    int64_t size = cast<RankedTensorType>(x.getType()).getDimSize(axis);
    if (before == 0 && after == 0)
      continue;
    Tensor positions(n.builder().getI64Type(), {before + size + after});
    for (int64_t i = 0; i < positions.getNumElements(); ++i)
      positions.ints()[i] = ((i - before) % size + size) % size;
    x = n.create<qc::GatherOp>(x, n.constant(positions), i64Attr(n, axis));
  }
  return x;
}

LogicalResult importPad(NodeImporter &n) {
  RankedTensorType in = n.inputType(0);
  int64_t rank = in.getRank();
  std::string mode = n.getString("mode", "constant");
  SmallVector<int64_t> pads;
  float value = 0;
  if (n.opset() < 11) {
    pads = n.getInts(n.opset() < 2 ? "paddings" : "pads");
    value = n.getFloat("value", 0);
  } else {
    FailureOr<SmallVector<int64_t>> p = n.constantInts(1);
    if (failed(p))
      return failure();
    pads = *p;
    if (n.hasInput(2)) {
      FailureOr<Tensor> v = n.constantInput(2);
      if (failed(v))
        return failure();
      value = v->getNumElements() ? v->getAsDouble(0) : 0.0;
    }
    if (n.hasInput(3)) { // Opset 18: pads for the listed axes only.
      FailureOr<SmallVector<int64_t>> axes = n.constantInts(3);
      if (failed(axes))
        return failure();
      SmallVector<int64_t> full(2 * rank, 0);
      for (auto [i, axis] : llvm::enumerate(*axes)) {
        FailureOr<int64_t> a = n.normalizeAxis(axis, rank);
        if (failed(a))
          return failure();
        full[*a] = pads[i];
        full[*a + rank] = pads[i + axes->size()];
      }
      pads = full;
    }
  }
  if ((int64_t)pads.size() != 2 * rank)
    return n.error() << "expected " << 2 * rank << " pads, got " << pads.size();
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return n.error() << "negative pads are not supported";
  if (mode == "wrap" && (!in.hasStaticShape() || llvm::is_contained(in.getShape(), 0)))
    return n.error() << "wrap padding needs a static, non-empty input shape";
  if (mode == "wrap") {
    n.setOutput(0, wrapPad(n, n.input(0), pads));
    return success();
  }
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return n.error() << "unsupported pad mode '" << mode << "'";
  n.setOutput(0, n.create<qc::PadOp>(n.input(0), i64Array(n, pads),
                                     n.builder().getStringAttr(mode),
                                     f32Attr(n, value)));
  return success();
}

} // namespace

namespace {
/// Trilu's optional `k` input must be a compile-time constant scalar.
LogicalResult importTrilu(NodeImporter &n) {
  int64_t k = 0;
  if (n.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> ks = n.constantInts(1);
    if (failed(ks))
      return failure();
    if (ks->size() != 1)
      return n.error() << "k must be a scalar, got " << ks->size() << " values";
    k = ks->front();
  }
  if (n.inputType(0).getRank() < 2)
    return n.error() << "Trilu needs a tensor of rank 2 or more";
  n.setOutput(0, n.create<qc::TriluOp>(n.input(0),
                                       n.builder().getBoolAttr(n.getInt("upper", 1)),
                                       n.builder().getI64IntegerAttr(k)));
  return success();
}

/// CumSum's `axis` input must be a compile-time constant scalar.
LogicalResult importCumSum(NodeImporter &n) {
  FailureOr<SmallVector<int64_t>> axis = n.constantInts(1);
  if (failed(axis))
    return failure();
  if (axis->size() != 1)
    return n.error() << "axis must be a scalar, got " << axis->size() << " values";
  FailureOr<int64_t> a = n.normalizeAxis(axis->front(), n.inputType(0).getRank());
  if (failed(a))
    return failure();
  Type element = n.inputType(0).getElementType();
  if (!element.isF32() && !element.isF64() && !element.isInteger(32) && !element.isInteger(64))
    return n.error() << "CumSum of " << element << " is not supported";
  n.setOutput(0, n.create<qc::CumSumOp>(n.input(0), n.builder().getI64IntegerAttr(*a),
                                        n.builder().getBoolAttr(n.getInt("exclusive", 0)),
                                        n.builder().getBoolAttr(n.getInt("reverse", 0))));
  return success();
}
} // namespace

namespace {
LogicalResult importGatherElements(NodeImporter &n) {
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  if (n.inputType(0).getRank() != n.inputType(1).getRank())
    return n.error() << "data and indices must have the same rank";
  n.setOutput(0, n.create<qc::GatherElementsOp>(n.input(0), n.input(1), i64Attr(n, *axis)));
  return success();
}

LogicalResult importScatterND(NodeImporter &n) {
  std::string reduction = n.getString("reduction", "none");
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return n.error() << "unknown reduction '" << reduction << "'";
  RankedTensorType data = n.inputType(0), indices = n.inputType(1), updates = n.inputType(2);
  if (indices.getRank() < 1)
    return n.error() << "indices " << indices << " must have rank 1 or more";
  int64_t k = indices.getShape().back();
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  if (k >= 1 && k <= data.getRank())
    llvm::append_range(expected, data.getShape().drop_front(k));
  if (k < 1 || k > data.getRank() ||
      updates.getShape() != ArrayRef<int64_t>(expected))
    return n.error() << "indices " << indices << " and updates " << updates
                     << " do not fit data " << data;
  n.setOutput(0, n.create<qc::ScatterNDOp>(n.input(0), n.input(1), n.input(2),
                                           n.builder().getStringAttr(reduction)));
  return success();
}
} // namespace

void onnx_import::addShapeImporters(llvm::StringMap<OpImporter> &t) {
  t["GatherElements"] = {importGatherElements, 2};
  t["ScatterND"] = {importScatterND, 3};
  t["Trilu"] = {importTrilu, 1};
  t["CumSum"] = {importCumSum, 2};
  t["Reshape"] = {importReshape, 1}; // The shape is an input from opset 5.
  t["Flatten"] = {importFlatten, 1};
  t["Squeeze"] = {importSqueeze, 1};
  t["Unsqueeze"] = {importUnsqueeze, 1};
  t["Transpose"] = {importTranspose, 1};
  t["Concat"] = {importConcat, 1};
  t["Split"] = {importSplit, 1};
  t["Slice"] = {importSlice, 1};
  t["Gather"] = {importGather, 2};
  t["Shape"] = {importShape, 1};
  t["Size"] = {importSize, 1};
  t["EyeLike"] = {importEyeLike, 1};
  t["Constant"] = {importConstant, 0};
  t["ConstantOfShape"] = {importConstantOfShape, 1};
  t["Expand"] = {importExpand, 2};
  t["Tile"] = {importTile, 2, /*firstOpset=*/6};
  t["Range"] = {importRange, 3};
  t["Pad"] = {importPad, 1};
}
