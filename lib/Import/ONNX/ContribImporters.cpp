//===- ContribImporters.cpp - ONNX Runtime's language-model ops -*- C++ -*-===//
//
// The contrib ops that ONNX Runtime GenAI's model builder emits, imported as
// the standard qc ops they stand for (so the evaluator, quantization and
// code generation need nothing new): SimplifiedLayerNormalization and
// SkipSimplifiedLayerNormalization (RMSNorm), RotaryEmbedding,
// GroupQueryAttention and MultiHeadAttention (qc.attention over
// concat(past, new)).
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

#include <cmath>

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
  if (!x)
    return nullptr; // a failed op before
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
  if (!x)
    return nullptr;
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  if (shape.empty()) {
    n.error() << "expected a tensor of rank 1 or more, got " << x.getType();
    return nullptr;
  }
  SmallVector<int64_t> starts(shape.size(), 0), limits(shape), steps(shape.size(), 1);
  starts.back() = start;
  limits.back() = limit;
  steps.back() = step;
  return n.create<qc::SliceOp>(x, i64Array(n, starts), i64Array(n, limits), i64Array(n, steps));
}

/// The rotation of x [B, N, S, H] by cos/sin [B, 1, S, R/2]: halves
/// (x[:R/2], x[R/2:R]) or adjacent pairs (interleaved); x[R:] passes.
Value rotate(NodeImporter &n, Value x, Value cos, Value sin, int64_t rotary, bool interleaved) {
  if (!x)
    return nullptr;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t head = type.getShape().back(), half = rotary / 2;
  Value a = interleaved ? sliceLast(n, x, 0, rotary, 2) : sliceLast(n, x, 0, half, 1);
  Value b = interleaved ? sliceLast(n, x, 1, rotary, 2) : sliceLast(n, x, half, rotary, 1);
  Value ra = n.create<qc::SubOp>(n.create<qc::MulOp>(a, cos), n.create<qc::MulOp>(b, sin));
  Value rb = n.create<qc::AddOp>(n.create<qc::MulOp>(b, cos), n.create<qc::MulOp>(a, sin));
  int64_t rank = type.getRank();
  Value rotated;
  if (!ra)
    return nullptr;
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
    if (head < 1)
      return n.error() << "hidden size " << hidden << " is not num_heads x head size";
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
  if (!positions)
    return failure();
  if (cast<RankedTensorType>(positions.getType()).getRank() != 2)
    return n.error() << "position_ids must be [B, S] or [1]";
  auto table = [&](unsigned i) {
    Value rows = n.create<qc::GatherOp>(n.input(i), positions, i64Attr(n, 0));
    if (!rows)
      return Value();
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
/// [B, S, heads * head] -> [B, heads, S, head].
Value splitHeads(NodeImporter &n, Value x, int64_t heads, int64_t head) {
  if (!x)
    return nullptr;
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  if (shape.size() != 3) {
    n.error() << "expected [batch, sequence, hidden], got " << x.getType();
    return nullptr;
  }
  return n.create<qc::TransposeOp>(reshapeTo(n, x, {shape[0], shape[1], heads, head}),
                                   i64Array(n, {0, 2, 1, 3}));
}

Value constantI64(NodeImporter &n, ArrayRef<int64_t> shape, ArrayRef<int64_t> values) {
  reference::Tensor t(n.builder().getI64Type(), shape);
  llvm::copy(values, t.ints().begin());
  return n.constant(t);
}

/// ONNX Runtime's GroupQueryAttention with separate (or packed) q, k, v and
/// a past cache of P entries: present = concat(past, new); query t of batch
/// b sees key j when j <= seqlens_k[b] - S + 1 + t (the causal mask of the
/// sequence's true length); optional rotary embedding of q and k at those
/// positions. Exact when every sequence fills its cache
/// (seqlens_k[b] = P + S - 1), as in single-sequence decoding; shorter
/// sequences inside a shared buffer (ONNX Runtime writes their new keys
/// after their own length) are not supported.
LogicalResult importGroupQueryAttention(NodeImporter &n) {
  int64_t heads = n.getInt("num_heads", 0), kvHeads = n.getInt("kv_num_heads", 0);
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads)
    return n.error() << "num_heads must be a positive multiple of kv_num_heads";
  if (n.getInt("local_window_size", -1) != -1 || n.getFloat("softcap", 0.0f) != 0.0f ||
      n.getInt("smooth_softmax", 0))
    return n.error() << "local windows, softcap and smooth softmax are not supported";
  if (!n.hasInput(3) || !n.hasInput(4) || !n.hasInput(5))
    return n.error() << "expects past_key, past_value and seqlens_k";
  RankedTensorType q = n.inputType(0), past = n.inputType(3);
  if (q.getRank() != 3 || past.getRank() != 4)
    return n.error() << "expects query [B, S, hidden] and past [B, kv_heads, P, head]";
  int64_t batch = q.getDimSize(0), seq = q.getDimSize(1), head = past.getDimSize(3);
  Value query = n.input(0), key = n.input(1), value = n.input(2);
  if (!n.hasInput(1)) { // Packed: [q | k | v] along the hidden dimension.
    int64_t qw = heads * head, kw = kvHeads * head;
    if (q.getDimSize(2) != qw + 2 * kw)
      return n.error() << "packed QKV of width " << q.getDimSize(2) << ", expected "
                       << qw + 2 * kw;
    key = sliceLast(n, n.input(0), qw, qw + kw, 1);
    value = sliceLast(n, n.input(0), qw + kw, qw + 2 * kw, 1);
    query = sliceLast(n, n.input(0), 0, qw, 1);
  } else if (!n.hasInput(2)) {
    return n.error() << "key without value";
  }
  if (!query)
    return failure();
  if (cast<RankedTensorType>(query.getType()).getDimSize(2) != heads * head)
    return n.error() << "query width is not num_heads x head size " << head;
  Value qh = splitHeads(n, query, heads, head);
  Value kh = splitHeads(n, key, kvHeads, head);
  Value vh = splitHeads(n, value, kvHeads, head);
  // Position of query t: seqlens_k[b] + 1 - S + t.
  Value lengths = n.create<qc::CastOp>(
      RankedTensorType::get({n.inputType(5).getNumElements()}, n.builder().getI64Type()),
      n.input(5));
  SmallVector<int64_t> steps;
  for (int64_t t = 0; t < seq; ++t)
    steps.push_back(1 - seq + t);
  Value positions = n.create<qc::AddOp>(reshapeTo(n, lengths, {batch, 1}),
                                        constantI64(n, {1, seq}, steps));
  if (n.getInt("do_rotary", 0)) {
    if (!n.hasInput(7) || !n.hasInput(8))
      return n.error() << "do_rotary needs cos_cache and sin_cache";
    int64_t rotary = 2 * n.inputType(7).getDimSize(1);
    auto table = [&](unsigned i) {
      Value rows = n.create<qc::GatherOp>(n.input(i), positions, i64Attr(n, 0));
      return reshapeTo(n, rows, {batch, 1, seq, rotary / 2});
    };
    Value cos = table(7), sin = table(8);
    bool interleaved = n.getInt("rotary_interleaved", 0);
    qh = rotate(n, qh, cos, sin, rotary, interleaved);
    kh = rotate(n, kh, cos, sin, rotary, interleaved);
  }
  Value presentKey = n.create<qc::ConcatOp>(ValueRange{n.input(3), kh}, i64Attr(n, 2));
  Value presentValue = n.create<qc::ConcatOp>(ValueRange{n.input(4), vh}, i64Attr(n, 2));
  int64_t total = past.getDimSize(2) + seq;
  SmallVector<int64_t> keyIndex = llvm::to_vector(llvm::seq<int64_t>(0, total));
  Value keep = n.create<qc::LessEqualOp>(
      constantI64(n, {1, 1, 1, total}, keyIndex),
      reshapeTo(n, positions, {batch, 1, seq, 1}));
  float scale = n.getFloat("scale", 0.0f);
  if (scale == 0.0f)
    scale = 1.0f / std::sqrt(static_cast<float>(head));
  Value attended = n.create<qc::AttentionOp>(qh, presentKey, presentValue, keep,
                                             f32Attr(n, scale));
  if (n.failedToBuild())
    return failure();
  Value out = n.create<qc::TransposeOp>(attended, i64Array(n, {0, 2, 1, 3}));
  n.setOutput(0, reshapeTo(n, out, {batch, seq, heads * head}));
  n.setOutput(1, presentKey);
  n.setOutput(2, presentValue);
  return success();
}
/// ONNX Runtime's MultiHeadAttention with 3-d query, key and value
/// [B, S, hidden] (optionally a packed bias [3 * hidden]), an optional past
/// cache (present = concat(past, new)), `unidirectional` causality and a
/// key padding mask [B, total] (0 hides a key; ONNX Runtime's mask filter
/// value then underflows to the same zero probability as qc.attention's
/// lowest float). Additive attention biases are not supported.
LogicalResult importMultiHeadAttention(NodeImporter &n) {
  int64_t heads = n.getInt("num_heads", 0);
  if (heads <= 0)
    return n.error() << "num_heads must be positive";
  if (n.hasInput(5))
    return n.error() << "additive attention bias is not supported";
  if (!n.hasInput(1) || !n.hasInput(2))
    return n.error() << "packed QKV is not supported; give key and value";
  RankedTensorType q = n.inputType(0), k = n.inputType(1);
  if (q.getRank() != 3 || k.getRank() != 3 || n.inputType(2).getRank() != 3)
    return n.error() << "expects query, key and value [B, S, hidden]";
  int64_t batch = q.getDimSize(0), seq = q.getDimSize(1), hidden = q.getDimSize(2);
  int64_t head = hidden / heads;
  if (head * heads != hidden || k.getDimSize(2) != hidden)
    return n.error() << "hidden size " << hidden << " is not num_heads x head size";
  Value query = n.input(0), key = n.input(1), value = n.input(2);
  if (n.hasInput(3)) {
    Value bias = n.input(3);
    query = n.create<qc::AddOp>(query, sliceLast(n, bias, 0, hidden, 1));
    key = n.create<qc::AddOp>(key, sliceLast(n, bias, hidden, 2 * hidden, 1));
    value = n.create<qc::AddOp>(value, sliceLast(n, bias, 2 * hidden, 3 * hidden, 1));
  }
  Value kh = splitHeads(n, key, heads, head), vh = splitHeads(n, value, heads, head);
  int64_t past = 0;
  if (n.hasInput(6) != n.hasInput(7))
    return n.error() << "past_key and past_value come together";
  if (n.hasInput(6)) {
    past = n.inputType(6).getDimSize(2);
    kh = n.create<qc::ConcatOp>(ValueRange{n.input(6), kh}, i64Attr(n, 2));
    vh = n.create<qc::ConcatOp>(ValueRange{n.input(7), vh}, i64Attr(n, 2));
  }
  if (!kh || !vh)
    return failure();
  int64_t total = cast<RankedTensorType>(kh.getType()).getDimSize(2);
  Value keep;
  if (n.getInt("unidirectional", 0)) {
    SmallVector<int64_t> keys = llvm::to_vector(llvm::seq<int64_t>(0, total));
    SmallVector<int64_t> limits = llvm::to_vector(llvm::seq<int64_t>(past, past + seq));
    keep = n.create<qc::LessEqualOp>(constantI64(n, {1, 1, 1, total}, keys),
                                     constantI64(n, {1, 1, seq, 1}, limits));
  }
  if (n.hasInput(4)) {
    RankedTensorType maskType = n.inputType(4);
    if (maskType.getRank() != 2 || maskType.getDimSize(1) != total)
      return n.error() << "key_padding_mask must be [B, " << total << "]";
    reference::Tensor zero(maskType.getElementType(), {});
    Value padding = reshapeTo(n, n.create<qc::GreaterOp>(n.input(4), n.constant(zero)),
                              {batch, 1, 1, total});
    keep = keep ? n.create<qc::AndOp>(keep, padding) : padding;
  }
  float scale = n.getFloat("scale", 0.0f);
  if (scale == 0.0f)
    scale = 1.0f / std::sqrt(static_cast<float>(head));
  Value attended = n.create<qc::AttentionOp>(splitHeads(n, query, heads, head), kh, vh,
                                             keep, f32Attr(n, scale));
  if (n.failedToBuild())
    return failure();
  Value out = n.create<qc::TransposeOp>(attended, i64Array(n, {0, 2, 1, 3}));
  n.setOutput(0, reshapeTo(n, out, {batch, seq, hidden}));
  if (n.numOutputs() > 1)
    n.setOutput(1, kh);
  if (n.numOutputs() > 2)
    n.setOutput(2, vh);
  return success();
}
} // namespace

void onnx_import::addContribImporters(llvm::StringMap<OpImporter> &t) {
  // ONNX Runtime registers SimplifiedLayerNormalization in the default domain.
  t["SimplifiedLayerNormalization"] = {importSimplifiedLayerNorm, 2};
  t["com.microsoft.SimplifiedLayerNormalization"] = {importSimplifiedLayerNorm, 2};
  t["com.microsoft.SkipSimplifiedLayerNormalization"] = {importSkipSimplifiedLayerNorm, 3};
  t["com.microsoft.RotaryEmbedding"] = {importRotaryEmbedding, 4};
  t["com.microsoft.GroupQueryAttention"] = {importGroupQueryAttention, 1};
  t["com.microsoft.MultiHeadAttention"] = {importMultiHeadAttention, 1};
}
