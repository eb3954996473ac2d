//===- ContribImporters.cpp - ONNX Runtime's language-model ops -*- C++ -*-===//
//
// The contrib ops that ONNX Runtime GenAI's model builder emits, imported as
// the standard qc ops they stand for (so the evaluator, quantization and
// code generation need nothing new): SimplifiedLayerNormalization and
// SkipSimplifiedLayerNormalization (RMSNorm), RotaryEmbedding.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {
Value scalarF32(NodeImporter &n, float value) {
  reference::Tensor t(n.builder().getF32Type(), {});
  t.floats()[0] = value;
  return n.constant(t);
}

/// x / sqrt(mean(x^2 over the dims from `axis`) + eps) * scale.
Value rmsNorm(NodeImporter &n, Value x, Value scale, int64_t axis, float eps) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(axis, rank));
  Value squares = n.create<qc::MulOp>(x, x);
  Value mean = n.create<qc::ReduceMeanOp>(squares, i64Array(n, axes),
                                          n.builder().getBoolAttr(true));
  Value rms = n.create<qc::SqrtOp>(n.create<qc::AddOp>(mean, scalarF32(n, eps)));
  return n.create<qc::MulOp>(n.create<qc::DivOp>(x, rms), scale);
}

LogicalResult importSimplifiedLayerNorm(NodeImporter &n) {
  if (n.outputUsed(1))
    return n.error() << "the inv_std_var output is not supported";
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  n.setOutput(0, rmsNorm(n, n.input(0), n.input(1), *axis, n.getFloat("epsilon", 1e-5f)));
  return success();
}

/// Outputs: the normalized sum, (mean, inv_std_var: unsupported), and the
/// sum input + skip (+ bias) itself.
LogicalResult importSkipSimplifiedLayerNorm(NodeImporter &n) {
  if (n.outputUsed(1) || n.outputUsed(2))
    return n.error() << "the mean and inv_std_var outputs are not supported";
  Value sum = n.create<qc::AddOp>(n.input(0), n.input(1));
  if (n.hasInput(3))
    sum = n.create<qc::AddOp>(sum, n.input(3));
  int64_t rank = n.inputType(0).getRank();
  n.setOutput(0, rmsNorm(n, sum, n.input(2), rank - 1, n.getFloat("epsilon", 1e-5f)));
  if (n.numOutputs() > 3)
    n.setOutput(3, sum);
  return success();
}

Value sliceLast(NodeImporter &n, Value x, int64_t start, int64_t limit, int64_t step) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<int64_t> starts(shape.size(), 0), limits(shape), steps(shape.size(), 1);
  starts.back() = start;
  limits.back() = limit;
  steps.back() = step;
  return n.create<qc::SliceOp>(x, i64Array(n, starts), i64Array(n, limits), i64Array(n, steps));
}

/// The rotation of x [B, N, S, H] by cos/sin [B, 1, S, R/2]: halves
/// (x[:R/2], x[R/2:R]) or adjacent pairs (interleaved); x[R:] passes.
Value rotate(NodeImporter &n, Value x, Value cos, Value sin, int64_t rotary, bool interleaved) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t head = type.getShape().back(), half = rotary / 2;
  Value a = interleaved ? sliceLast(n, x, 0, rotary, 2) : sliceLast(n, x, 0, half, 1);
  Value b = interleaved ? sliceLast(n, x, 1, rotary, 2) : sliceLast(n, x, half, rotary, 1);
  Value ra = n.create<qc::SubOp>(n.create<qc::MulOp>(a, cos), n.create<qc::MulOp>(b, sin));
  Value rb = n.create<qc::AddOp>(n.create<qc::MulOp>(b, cos), n.create<qc::MulOp>(a, sin));
  int64_t rank = type.getRank();
  Value rotated;
  if (interleaved) {
    SmallVector<int64_t> pairShape(cast<RankedTensorType>(ra.getType()).getShape());
    pairShape.push_back(1);
    Value pairs = n.create<qc::ConcatOp>(
        ValueRange{reshapeTo(n, ra, pairShape), reshapeTo(n, rb, pairShape)},
        i64Attr(n, rank));
    SmallVector<int64_t> flat(type.getShape());
    flat.back() = rotary;
    rotated = reshapeTo(n, pairs, flat);
  } else {
    rotated = n.create<qc::ConcatOp>(ValueRange{ra, rb}, i64Attr(n, rank - 1));
  }
  if (rotary == head)
    return rotated;
  return n.create<qc::ConcatOp>(ValueRange{rotated, sliceLast(n, x, rotary, head, 1)},
                                i64Attr(n, rank - 1));
}

/// ONNX Runtime's RotaryEmbedding: input [B, S, N*H] (num_heads given) or
/// [B, N, S, H]; position_ids [B, S], or [1] holding the first position;
/// cos_cache and sin_cache [max position, R/2].
LogicalResult importRotaryEmbedding(NodeImporter &n) {
  if (n.getInt("is_packed_batching", 0))
    return n.error() << "packed batching is not supported";
  if (n.getFloat("scale", 1.0f) != 1.0f)
    return n.error() << "a scale other than 1 is not supported";
  RankedTensorType in = n.inputType(0), cache = n.inputType(2);
  if (cache.getRank() != 2 || in.getRank() < 3 || in.getRank() > 4)
    return n.error() << "expects input [B, S, hidden] or [B, N, S, H] and a [positions, "
                        "R/2] cache";
  int64_t rotary = 2 * cache.getDimSize(1);
  int64_t batch = in.getDimSize(0), seq, heads, head;
  if (in.getRank() == 3) {
    heads = n.getInt("num_heads", 0);
    int64_t hidden = in.getDimSize(2);
    head = heads > 0 ? hidden / heads : rotary;
    heads = hidden / head;
    seq = in.getDimSize(1);
    if (heads * head != hidden)
      return n.error() << "hidden size " << hidden << " is not num_heads x head size";
  } else {
    heads = in.getDimSize(1);
    seq = in.getDimSize(2);
    head = in.getDimSize(3);
  }
  if (int64_t dim = n.getInt("rotary_embedding_dim", 0))
    rotary = dim;
  if (rotary > head || rotary % 2 || cache.getDimSize(1) * 2 != rotary)
    return n.error() << "rotary dimension " << rotary << " does not fit head size " << head;
  // Positions [B, S]: given, or the first position plus 0..S-1.
  Value positions = n.input(1);
  RankedTensorType posType = n.inputType(1);
  if (posType.getNumElements() == 1 && !(posType.getRank() == 2 && seq == 1 && batch == 1)) {
    reference::Tensor offsets(posType.getElementType(), {1, seq});
    for (int64_t s = 0; s < seq; ++s)
      offsets.ints()[s] = s;
    positions = n.create<qc::AddOp>(reshapeTo(n, positions, {1, 1}), n.constant(offsets));
  }
  if (cast<RankedTensorType>(positions.getType()).getRank() != 2)
    return n.error() << "position_ids must be [B, S] or [1]";
  auto table = [&](unsigned i) {
    Value rows = n.create<qc::GatherOp>(n.input(i), positions, i64Attr(n, 0));
    auto shape = cast<RankedTensorType>(rows.getType()).getShape();
    return reshapeTo(n, rows, {shape[0], 1, shape[1], shape[2]});
  };
  Value cos = table(2), sin = table(3);
  Value x = n.input(0);
  if (in.getRank() == 3)
    x = n.create<qc::TransposeOp>(reshapeTo(n, x, {batch, seq, heads, head}),
                                  i64Array(n, {0, 2, 1, 3}));
  Value y = rotate(n, x, cos, sin, rotary, n.getInt("interleaved", 0));
  if (in.getRank() == 3)
    y = reshapeTo(n, n.create<qc::TransposeOp>(y, i64Array(n, {0, 2, 1, 3})), in.getShape());
  if (n.failedToBuild())
    return failure();
  n.setOutput(0, y);
  return success();
}
} // namespace

void onnx_import::addContribImporters(llvm::StringMap<OpImporter> &t) {
  // ONNX Runtime registers SimplifiedLayerNormalization in the default domain.
  t["SimplifiedLayerNormalization"] = {importSimplifiedLayerNorm, 2};
  t["com.microsoft.SimplifiedLayerNormalization"] = {importSimplifiedLayerNorm, 2};
  t["com.microsoft.SkipSimplifiedLayerNormalization"] = {importSkipSimplifiedLayerNorm, 3};
  t["com.microsoft.RotaryEmbedding"] = {importRotaryEmbedding, 4};
}
