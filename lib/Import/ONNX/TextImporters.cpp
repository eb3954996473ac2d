//===- TextImporters.cpp - TfIdfVectorizer ----------------------*- C++ -*-===//
//
// TfIdfVectorizer counts the pool's n-grams of token ids in each row: for
// every n-gram size n in [min_gram_length, max_gram_length] and every skip
// distance d (1 to max_skip_count + 1; unigrams only at d = 1), the row's
// windows of n tokens d apart are compared with each pool n-gram of that
// size (strided slices, equality, and), the matches summed over the row, and
// the counts moved to their output columns (`ngram_indexes`) by a constant
// 0/1 matrix product. The mode then weights them: TF the counts, IDF the
// weight where the count is positive, TFIDF their product. Pools of strings
// are declined: quantc compiles numeric tensors.
//
//===----------------------------------------------------------------------===//
#include "ImportUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using reference::Tensor;

namespace {
/// The pool's n-grams of one size: their rows in the pool and their index
/// among all the pool's n-grams (which `ngram_indexes` is indexed by).
struct PoolGrams {
  int64_t size;
  SmallVector<SmallVector<int64_t>> tokens;
  SmallVector<int64_t> ids;
};

/// The pool, cut by `ngram_counts` (each size's first position) into the
/// n-grams of the sizes in [minSize, maxSize].
FailureOr<SmallVector<PoolGrams>> readPool(NodeImporter &n, int64_t minSize, int64_t maxSize) {
  SmallVector<int64_t> pool = n.getInts("pool_int64s", {});
  SmallVector<int64_t> starts = n.getInts("ngram_counts", {});
  SmallVector<PoolGrams> sizes;
  int64_t id = 0;
  for (auto [i, start] : llvm::enumerate(starts)) {
    int64_t size = i + 1;
    int64_t end = i + 1 < starts.size() ? starts[i + 1] : static_cast<int64_t>(pool.size());
    if (start < 0 || end < start || end > static_cast<int64_t>(pool.size()) ||
        (end - start) % size)
      return n.error() << "ngram_counts does not cut pool_int64s (" << pool.size()
                       << " ids) into whole " << size << "-grams";
    PoolGrams grams{size, {}, {}};
    for (int64_t at = start; at < end; at += size, ++id) {
      if (size < minSize || size > maxSize)
        continue;
      grams.tokens.emplace_back(pool.begin() + at, pool.begin() + at + size);
      grams.ids.push_back(id);
    }
    if (!grams.ids.empty())
      sizes.push_back(std::move(grams));
  }
  return sizes;
}

/// How often each n-gram of `grams` occurs in the rows of `x` [B, C]
/// (i64), d tokens apart: [B, K] in f32.
Value countGrams(NodeImporter &n, Value x, const PoolGrams &grams, int64_t d) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rows = type.getDimSize(0), width = type.getDimSize(1);
  int64_t windows = width - (grams.size - 1) * d, count = grams.ids.size();
  Type i64 = n.builder().getI64Type();
  Value all;
  for (int64_t j = 0; j < grams.size; ++j) {
    Value tokens = sliceDim(n, x, 1, j * d, windows);
    Tensor column(i64, {1, 1, count});
    for (int64_t k = 0; k < count; ++k)
      column.ints()[k] = grams.tokens[k][j];
    Value equal = n.create<qc::EqualOp>(reshapeTo(n, tokens, {rows, windows, 1}),
                                        n.constant(column));
    all = all ? n.create<qc::AndOp>(all, equal) : equal;
  }
  Value matches = n.create<qc::CastOp>(
      RankedTensorType::get({rows, windows, count}, n.builder().getF32Type()), all);
  return n.create<qc::ReduceSumOp>(matches, i64Array(n, {1}), n.builder().getBoolAttr(false));
}

LogicalResult importTfIdfVectorizer(NodeImporter &n) {
  if (n.hasAttr("pool_strings"))
    return n.error() << "a pool of strings: quantc compiles numeric tensors";
  RankedTensorType in = n.inputType(0);
  if (in.getRank() > 2 || !isa<IntegerType>(in.getElementType()))
    return n.error() << "expected integer token ids [C] or [B, C], got " << in;
  int64_t minSize = n.getInt("min_gram_length", 0), maxSize = n.getInt("max_gram_length", 0);
  int64_t maxSkip = n.getInt("max_skip_count", 0);
  std::string mode = n.getString("mode", "");
  if (minSize < 1 || maxSize < minSize || maxSkip < 0)
    return n.error() << "bad n-gram lengths [" << minSize << ", " << maxSize
                     << "] or max_skip_count " << maxSkip;
  if (mode != "TF" && mode != "IDF" && mode != "TFIDF")
    return n.error() << "unsupported mode '" << mode << "' (TF, IDF, TFIDF)";
  SmallVector<int64_t> indexes = n.getInts("ngram_indexes", {});
  SmallVector<float> weights = n.getFloats("weights");
  FailureOr<SmallVector<PoolGrams>> pool = readPool(n, minSize, maxSize);
  if (failed(pool))
    return failure();
  int64_t outputs = indexes.empty() ? 0 : *llvm::max_element(indexes) + 1;
  if (llvm::any_of(indexes, [](int64_t i) { return i < 0; }) ||
      (!weights.empty() && static_cast<int64_t>(weights.size()) != outputs))
    return n.error() << "ngram_indexes must be non-negative and weights hold one value per "
                        "output column ("
                     << outputs << ")";

  int64_t rows = in.getRank() == 2 ? in.getDimSize(0) : 1;
  int64_t width = in.getRank() == 0 ? 1 : in.getShape().back();
  Type i64 = n.builder().getI64Type(), f32 = n.builder().getF32Type();
  Value x = reshapeTo(n, n.input(0), {rows, width});
  if (in.getElementType() != i64)
    x = n.create<qc::CastOp>(RankedTensorType::get({rows, width}, i64), x);
  // counts [B, K] x columns [K, O]: each pool n-gram's count in its column.
  Value y;
  for (const PoolGrams &grams : *pool) {
    Value counts;
    for (int64_t d = 1; d <= maxSkip + 1 && (d == 1 || grams.size > 1); ++d) {
      if (width - (grams.size - 1) * d < 1)
        break;
      Value c = countGrams(n, x, grams, d);
      counts = counts ? n.create<qc::AddOp>(counts, c) : c;
    }
    if (!counts)
      continue;
    int64_t count = grams.ids.size();
    Tensor columns(f32, {count, outputs});
    for (int64_t k = 0; k < count; ++k) {
      int64_t id = grams.ids[k];
      if (id >= static_cast<int64_t>(indexes.size()))
        return n.error() << "ngram_indexes has no entry for n-gram " << id;
      columns.floats()[k * outputs + indexes[id]] = 1.0f;
    }
    Value part = n.create<qc::MatMulOp>(counts, n.constant(columns), IntegerAttr());
    y = y ? n.create<qc::AddOp>(y, part) : part;
  }
  if (!y)
    y = n.constant(Tensor(f32, {rows, outputs}));
  // Without weights every weight is 1: TFIDF is TF, IDF marks the n-grams
  // present.
  if (mode != "TF" && !(mode == "TFIDF" && weights.empty())) {
    Value weight = scalarConstant(n, f32, 1);
    if (!weights.empty()) {
      Tensor w(f32, {1, outputs});
      llvm::copy(weights, w.floats().begin());
      weight = n.constant(w);
    }
    Value zero = scalarConstant(n, f32, 0);
    y = mode == "TFIDF" ? n.create<qc::MulOp>(y, weight)
                        : n.create<qc::WhereOp>(n.create<qc::GreaterOp>(y, zero), weight, zero);
  }
  n.setOutput(0, in.getRank() == 2 ? y : reshapeTo(n, y, {outputs}));
  return success();
}
} // namespace

void onnx_import::addTextImporters(llvm::StringMap<OpImporter> &t) {
  t["TfIdfVectorizer"] = {importTfIdfVectorizer, 1};
}
