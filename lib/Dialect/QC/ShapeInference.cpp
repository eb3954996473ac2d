//===- ShapeInference.cpp - result types of qc ops --------------*- C++ -*-===//
//
// Every qc op whose result shape follows from its operands and attributes
// implements InferTypeOpInterface here, so builders need no result type and
// the verifier rejects a written type that disagrees.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <limits>
#include <optional>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

LogicalResult setResult(ArrayRef<int64_t> shape, Type elementType,
                        SmallVectorImpl<Type> &types) {
  types.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

/// Checks that the spatial attributes of a window op have one entry per
/// spatial dimension (two for pads).
LogicalResult checkWindowAttrs(std::optional<Location> loc, int64_t spatial,
                               ArrayRef<std::pair<StringRef, size_t>> sizes) {
  for (auto [name, size] : sizes) {
    size_t expected = name == "pads" ? 2 * spatial : spatial;
    if (size != expected)
      return emitOptionalError(loc, "'", name, "' needs ", expected,
                               " entries, got ", size);
  }
  return success();
}

/// Shape arithmetic runs on sizes and attributes that models declare: it is
/// done in 128 bits and narrowed back, std::nullopt when out of range.
using WideSize = __int128;
std::optional<int64_t> narrowSize(WideSize size) {
  if (size > std::numeric_limits<int64_t>::max() ||
      size < std::numeric_limits<int64_t>::min())
    return std::nullopt;
  return static_cast<int64_t>(size);
}

/// Output extent of a sliding window (conv, pool); std::nullopt when it
/// overflows.
std::optional<int64_t> windowOutput(int64_t in, int64_t kernel, int64_t stride,
                                    int64_t dilation, int64_t padBegin,
                                    int64_t padEnd, bool ceilMode) {
  WideSize span = WideSize(kernel - 1) * dilation + 1;
  WideSize avail = WideSize(in) + padBegin + padEnd - span;
  if (avail < 0)
    return 0;
  WideSize out = (ceilMode ? (avail + stride - 1) / stride : avail / stride) + 1;
  // A window may not start inside the end padding (ONNX/PyTorch rule).
  if (ceilMode && (out - 1) * stride >= WideSize(in) + padBegin)
    --out;
  return narrowSize(out);
}

/// The verifiers' window checks, before inference divides by strides.
LogicalResult checkWindowValues(std::optional<Location> loc,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> dilations,
                                ArrayRef<int64_t> pads) {
  StringRef error = getConvWindowError(strides, dilations, pads);
  return error.empty() ? success() : emitOptionalError(loc, error);
}

LogicalResult inferPoolType(std::optional<Location> loc, Value input,
                            ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                            ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads,
                            bool ceilMode, SmallVectorImpl<Type> &types) {
  auto type = tensorType(input);
  int64_t spatial = type.getRank() - 2;
  if (spatial < 1)
    return emitOptionalError(loc, "pooling needs an N x C x spatial input");
  if (failed(checkWindowAttrs(loc, spatial,
                              {{"kernel_shape", kernel.size()},
                               {"strides", strides.size()},
                               {"dilations", dilations.size()},
                               {"pads", pads.size()}})))
    return failure();
  SmallVector<int64_t> shape(type.getShape().take_front(2));
  for (int64_t i = 0; i < spatial; ++i) {
    if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + spatial] < 0)
      return emitOptionalError(loc, "invalid pooling window in dimension ", i);
    std::optional<int64_t> out =
        windowOutput(type.getDimSize(i + 2), kernel[i], strides[i],
                     dilations[i], pads[i], pads[i + spatial], ceilMode);
    if (!out)
      return emitOptionalError(loc, "pooling output size overflows");
    if (*out < 1)
      return emitOptionalError(loc, "pooling window larger than the input");
    shape.push_back(*out);
  }
  return setResult(shape, type.getElementType(), types);
}

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}
} // namespace

FailureOr<SmallVector<int64_t>> qc::broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    shape[i] = da == 1 ? db : da;
  }
  return shape;
}

LogicalResult qc::inferBroadcastType(std::optional<Location> loc,
                                     ValueRange operands, bool isComparison,
                                     SmallVectorImpl<Type> &types) {
  SmallVector<int64_t> shape;
  for (Value operand : operands) {
    auto next = broadcastShapes(shape, tensorType(operand).getShape());
    if (failed(next))
      return emitOptionalError(loc, "operand shapes do not broadcast: ",
                               operand.getType());
    shape = *next;
  }
  Type element = tensorType(operands.back()).getElementType();
  if (isComparison)
    element = IntegerType::get(operands[0].getContext(), 1);
  return setResult(shape, element, types);
}

LogicalResult qc::inferGlobalPoolType(std::optional<Location> loc, Value input,
                                      SmallVectorImpl<Type> &types) {
  auto type = tensorType(input);
  if (type.getRank() < 3)
    return emitOptionalError(loc, "global pooling needs an N x C x spatial input");
  SmallVector<int64_t> shape(type.getShape());
  std::fill(shape.begin() + 2, shape.end(), 1);
  return setResult(shape, type.getElementType(), types);
}

LogicalResult qc::inferReduceType(std::optional<Location> loc, Value input,
                                  ArrayRef<int64_t> axes, bool keepdims,
                                  SmallVectorImpl<Type> &types) {
  auto type = tensorType(input);
  int64_t rank = type.getRank();
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes) {
    int64_t a = normalizeAxis(axis, rank);
    if (a < 0 || a >= rank)
      return emitOptionalError(loc, "reduction axis ", axis,
                               " out of range for rank ", rank);
    reduced[a] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      shape.push_back(type.getDimSize(i));
    else if (keepdims)
      shape.push_back(1);
  }
  return setResult(shape, type.getElementType(), types);
}

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  return inferBroadcastType(loc, adaptor.getOperands(), false, types);
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto lhs = tensorType(adaptor.getLhs()), rhs = tensorType(adaptor.getRhs());
  if (lhs.getRank() == 0 || rhs.getRank() == 0)
    return emitOptionalError(loc, "matmul operands must not be scalars");
  SmallVector<int64_t> a(lhs.getShape()), b(rhs.getShape());
  bool vecLhs = a.size() == 1, vecRhs = b.size() == 1;
  if (vecLhs)
    a.insert(a.begin(), 1);
  if (vecRhs)
    b.push_back(1);
  if (a.back() != b[b.size() - 2])
    return emitOptionalError(loc, "matmul contraction sizes differ: ",
                             a.back(), " vs ", b[b.size() - 2]);
  auto batch = broadcastShapes(ArrayRef(a).drop_back(2), ArrayRef(b).drop_back(2));
  if (failed(batch))
    return emitOptionalError(loc, "matmul batch dimensions do not broadcast");
  SmallVector<int64_t> shape(*batch);
  if (!vecLhs)
    shape.push_back(a[a.size() - 2]);
  if (!vecRhs)
    shape.push_back(b.back());
  return setResult(shape, lhs.getElementType(), types);
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto a = tensorType(adaptor.getA()), b = tensorType(adaptor.getB());
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitOptionalError(loc, "gemm operands must be matrices");
  int64_t m = a.getDimSize(adaptor.getTransA() ? 1 : 0);
  int64_t ka = a.getDimSize(adaptor.getTransA() ? 0 : 1);
  int64_t kb = b.getDimSize(adaptor.getTransB() ? 1 : 0);
  int64_t n = b.getDimSize(adaptor.getTransB() ? 0 : 1);
  if (ka != kb)
    return emitOptionalError(loc, "gemm contraction sizes differ: ", ka,
                             " vs ", kb);
  return setResult({m, n}, a.getElementType(), types);
}

namespace {
/// Shared by qc.conv and qc.qconv, which differ only in element types.
template <typename ConvAdaptor>
LogicalResult inferConvType(std::optional<Location> loc, ConvAdaptor adaptor,
                            Type elementType, SmallVectorImpl<Type> &types) {
  auto input = tensorType(adaptor.getInput());
  auto weight = tensorType(adaptor.getWeight());
  int64_t spatial = input.getRank() - 2;
  if (spatial < 1 || weight.getRank() != input.getRank())
    return emitOptionalError(loc, "conv needs N x C x spatial input and "
                                  "matching O x C/group x kernel weight");
  if (failed(checkWindowAttrs(loc, spatial,
                              {{"strides", adaptor.getStrides().size()},
                               {"dilations", adaptor.getDilations().size()},
                               {"pads", adaptor.getPads().size()}})))
    return failure();
  if (failed(checkWindowValues(loc, adaptor.getStrides(), adaptor.getDilations(),
                               adaptor.getPads())))
    return failure();
  int64_t group = adaptor.getGroup();
  if (group < 1 || input.getDimSize(1) != weight.getDimSize(1) * group ||
      weight.getDimSize(0) % group != 0)
    return emitOptionalError(loc, "conv channels do not match: input has ",
                             input.getDimSize(1), ", weight expects ",
                             weight.getDimSize(1), " x group ", group);
  SmallVector<int64_t> shape = {input.getDimSize(0), weight.getDimSize(0)};
  ArrayRef<int64_t> pads = adaptor.getPads();
  for (int64_t i = 0; i < spatial; ++i) {
    std::optional<int64_t> out =
        windowOutput(input.getDimSize(i + 2), weight.getDimSize(i + 2),
                     adaptor.getStrides()[i], adaptor.getDilations()[i], pads[i],
                     pads[i + spatial], false);
    if (!out)
      return emitOptionalError(loc, "conv output size overflows");
    if (*out < 1)
      return emitOptionalError(loc, "conv kernel larger than padded input");
    shape.push_back(*out);
  }
  return setResult(shape, elementType, types);
}
} // namespace

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  return inferConvType(loc, adaptor,
                       tensorType(adaptor.getInput()).getElementType(), types);
}

LogicalResult QConvOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  return inferConvType(loc, adaptor, IntegerType::get(context, 32), types);
}

LogicalResult QMatMulOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto lhs = tensorType(adaptor.getLhs()), rhs = tensorType(adaptor.getRhs());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOptionalError(loc, "qmatmul operands must have rank 2 or more");
  if (rhs.getRank() != 2 && rhs.getShape().drop_back(2) !=
                                lhs.getShape().drop_back(2))
    return emitOptionalError(loc, "qmatmul rhs must be a matrix or have the "
                                  "batch dimensions of lhs");
  if (lhs.getShape().back() != rhs.getDimSize(rhs.getRank() - 2))
    return emitOptionalError(loc, "qmatmul contraction sizes differ: ",
                             lhs.getShape().back(), " vs ",
                             rhs.getDimSize(rhs.getRank() - 2));
  SmallVector<int64_t> shape(lhs.getShape().drop_back());
  shape.push_back(rhs.getShape().back());
  return setResult(shape, IntegerType::get(context, 32), types);
}

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto input = tensorType(adaptor.getInput());
  auto weight = tensorType(adaptor.getWeight());
  int64_t spatial = input.getRank() - 2;
  if (spatial < 1 || weight.getRank() != input.getRank())
    return emitOptionalError(loc, "conv_transpose needs N x C x spatial input "
                                  "and matching C x O/group x kernel weight");
  if (failed(checkWindowAttrs(
          loc, spatial,
          {{"strides", adaptor.getStrides().size()},
           {"dilations", adaptor.getDilations().size()},
           {"pads", adaptor.getPads().size()},
           {"output_padding", adaptor.getOutputPadding().size()}})))
    return failure();
  if (failed(checkWindowValues(loc, adaptor.getStrides(), adaptor.getDilations(),
                               adaptor.getPads())))
    return failure();
  int64_t group = adaptor.getGroup();
  if (group < 1 || input.getDimSize(1) != weight.getDimSize(0) ||
      input.getDimSize(1) % group != 0)
    return emitOptionalError(loc, "conv_transpose channels do not match");
  SmallVector<int64_t> shape = {input.getDimSize(0),
                                weight.getDimSize(1) * group};
  ArrayRef<int64_t> pads = adaptor.getPads();
  for (int64_t i = 0; i < spatial; ++i) {
    WideSize span = WideSize(weight.getDimSize(i + 2) - 1) * adaptor.getDilations()[i] + 1;
    std::optional<int64_t> out = narrowSize(
        WideSize(adaptor.getStrides()[i]) * (input.getDimSize(i + 2) - 1) +
        adaptor.getOutputPadding()[i] + span - pads[i] - pads[i + spatial]);
    if (!out)
      return emitOptionalError(loc, "conv_transpose output size overflows");
    if (*out < 1)
      return emitOptionalError(loc, "conv_transpose output is empty");
    shape.push_back(*out);
  }
  return setResult(shape, input.getElementType(), types);
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferPoolType(loc, adaptor.getInput(), adaptor.getKernelShape(),
                       adaptor.getStrides(), adaptor.getDilations(),
                       adaptor.getPads(), adaptor.getCeilMode(), types);
}

LogicalResult MaxPoolIndicesOp::inferReturnTypes(MLIRContext *context,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  if (failed(inferPoolType(loc, adaptor.getInput(), adaptor.getKernelShape(),
                           adaptor.getStrides(), adaptor.getDilations(),
                           adaptor.getPads(), adaptor.getCeilMode(), types)))
    return failure();
  types.back() = cast<RankedTensorType>(types.back()).clone(IntegerType::get(context, 64));
  return success();
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  SmallVector<int64_t> dilations(adaptor.getDilations());
  if (dilations.empty())
    dilations.assign(adaptor.getKernelShape().size(), 1);
  return inferPoolType(loc, adaptor.getInput(), adaptor.getKernelShape(),
                       adaptor.getStrides(), dilations, adaptor.getPads(),
                       adaptor.getCeilMode(), types);
}

#define SAME_AS_INPUT(OP)                                                      \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,  \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    types.push_back(adaptor.getInput().getType());                             \
    return success();                                                          \
  }
SAME_AS_INPUT(BatchNormOp)
SAME_AS_INPUT(InstanceNormOp)
SAME_AS_INPUT(LayerNormOp)
#undef SAME_AS_INPUT

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto type = tensorType(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  SmallVector<bool> seen(type.getRank(), false);
  if ((int64_t)perm.size() != type.getRank())
    return emitOptionalError(loc, "perm has ", perm.size(),
                             " entries for rank ", type.getRank());
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= type.getRank() || seen[p])
      return emitOptionalError(loc, "perm is not a permutation");
    seen[p] = true;
    shape.push_back(type.getDimSize(p));
  }
  return setResult(shape, type.getElementType(), types);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "concat needs at least one input");
  auto first = tensorType(adaptor.getInputs()[0]);
  int64_t rank = first.getRank();
  int64_t axis = normalizeAxis(adaptor.getAxis(), rank);
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "concat axis out of range");
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : adaptor.getInputs()) {
    auto type = tensorType(v);
    if (type.getRank() != rank || type.getElementType() != first.getElementType())
      return emitOptionalError(loc, "concat inputs differ in rank or type");
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis && type.getDimSize(i) != shape[i])
        return emitOptionalError(loc, "concat inputs differ in dimension ", i);
    if (llvm::AddOverflow(shape[axis], type.getDimSize(axis), shape[axis]))
      return emitOptionalError(loc, "concat result dimension overflows");
  }
  return setResult(shape, first.getElementType(), types);
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto type = tensorType(adaptor.getInput());
  int64_t rank = type.getRank();
  ArrayRef<int64_t> starts = adaptor.getStarts(), limits = adaptor.getLimits(),
                    steps = adaptor.getSteps();
  if ((int64_t)starts.size() != rank || (int64_t)limits.size() != rank ||
      (int64_t)steps.size() != rank)
    return emitOptionalError(loc, "slice needs one start, limit and step per "
                                  "dimension");
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t dim = type.getDimSize(i), step = steps[i];
    if (step == 0)
      return emitOptionalError(loc, "slice step must not be zero");
    bool inRange = step > 0 ? (starts[i] >= 0 && limits[i] <= dim)
                            : (starts[i] < dim && limits[i] >= -1);
    if (!inRange)
      return emitOptionalError(loc, "slice bounds out of range in dimension ", i);
    WideSize span = step > 0 ? WideSize(limits[i]) - starts[i]
                             : WideSize(starts[i]) - limits[i];
    WideSize stride = step > 0 ? WideSize(step) : -WideSize(step);
    WideSize extent = (span + stride - 1) / stride;
    shape.push_back(extent < 0 ? 0 : static_cast<int64_t>(extent));
  }
  return setResult(shape, type.getElementType(), types);
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto data = tensorType(adaptor.getData());
  auto indices = tensorType(adaptor.getIndices());
  int64_t axis = normalizeAxis(adaptor.getAxis(), data.getRank());
  if (axis < 0 || axis >= data.getRank())
    return emitOptionalError(loc, "gather axis out of range");
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  return setResult(shape, data.getElementType(), types);
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto type = tensorType(adaptor.getInput());
  ArrayRef<int64_t> repeats = adaptor.getRepeats();
  if ((int64_t)repeats.size() != type.getRank())
    return emitOptionalError(loc, "tile needs one repeat per dimension");
  SmallVector<int64_t> shape;
  for (auto [dim, rep] : llvm::zip(type.getShape(), repeats)) {
    int64_t size;
    if (rep < 0)
      return emitOptionalError(loc, "tile repeats must be non-negative");
    if (llvm::MulOverflow(dim, rep, size))
      return emitOptionalError(loc, "tile result dimension overflows");
    shape.push_back(size);
  }
  return setResult(shape, type.getElementType(), types);
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  auto type = tensorType(adaptor.getInput());
  int64_t rank = type.getRank();
  ArrayRef<int64_t> pads = adaptor.getPads();
  if ((int64_t)pads.size() != 2 * rank)
    return emitOptionalError(loc, "pad needs ", 2 * rank, " pads, got ",
                             pads.size());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    std::optional<int64_t> dim =
        narrowSize(WideSize(type.getDimSize(i)) + pads[i] + pads[i + rank]);
    if (!dim)
      return emitOptionalError(loc, "pad makes dimension ", i, " overflow");
    if (*dim < 0)
      return emitOptionalError(loc, "pad makes dimension ", i, " negative");
    shape.push_back(*dim);
  }
  return setResult(shape, type.getElementType(), types);
}

LogicalResult EinsumOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto parsed = parseEinsum(adaptor.getEquation(), adaptor.getInputs().size());
  if (failed(parsed))
    return emitOptionalError(loc, "unsupported einsum equation '",
                             adaptor.getEquation(), "'");
  llvm::DenseMap<char, int64_t> sizes;
  for (auto [subscript, input] : llvm::zip(parsed->inputs, adaptor.getInputs())) {
    auto type = tensorType(input);
    if ((int64_t)subscript.size() != type.getRank())
      return emitOptionalError(loc, "einsum subscript '", subscript,
                               "' does not match rank ", type.getRank());
    for (auto [letter, dim] : llvm::zip(subscript, type.getShape())) {
      auto [it, inserted] = sizes.try_emplace(letter, dim);
      if (!inserted && it->second != dim)
        return emitOptionalError(loc, "einsum index '", StringRef(&letter, 1),
                                 "' has sizes ", it->second, " and ", dim);
    }
  }
  SmallVector<int64_t> shape;
  for (char letter : parsed->output) {
    if (!sizes.count(letter))
      return emitOptionalError(loc, "einsum output index not in any input");
    shape.push_back(sizes[letter]);
  }
  return setResult(shape, tensorType(adaptor.getInputs()[0]).getElementType(),
                   types);
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getQuery().getType());
  return success();
}

LogicalResult CachedAttentionOp::inferReturnTypes(MLIRContext *,
                                                  std::optional<Location>,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getQuery().getType());
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  types.push_back(indices.clone(getElementTypeOrSelf(adaptor.getData().getType())));
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                            Adaptor adaptor, SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getData().getType());
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                       Adaptor adaptor, SmallVectorImpl<Type> &types) {
  auto type = tensorType(adaptor.getInput());
  int64_t axis = normalizeAxis(adaptor.getAxis(), type.getRank());
  if (axis < 0 || axis >= type.getRank())
    return emitOptionalError(loc, "axis ", static_cast<int64_t>(adaptor.getAxis()),
                             " out of range for rank ", type.getRank());
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = adaptor.getK();
  types.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}
