//===- CachedAttention.cpp - attention over the generator's KV cache ------===//
//
// The generator's KV cache (its state functions, found with dlsym) and the
// attention over it: every query row of one KV head at once over the
// cache's key blocks (KVCache.h), one channel of 16 keys per vector
// multiplied by each row's query element; scores, a softmax
// (AttentionMath.h) and the weighted sum of values, with no [T, S] tensor
// and no repeated key/value heads. Results agree with the reference
// evaluator's in float tolerance, not bit for bit.
//
//===----------------------------------------------------------------------===//
#include "AttentionMath.h"
#include "KVCache.h"
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace quantc::kernels;

namespace {
/// One query row of a chunk: its query, its softmax weights (first its
/// scores) over the keys it sees, and its output.
struct QueryRow {
  const float *query;
  float *weights, *out;
  int64_t visible;
};

/// Scores of `count` query rows against one key tile group: `tiles` blocks
/// of kKeyBlock keys, block i's [dim][16] at tile[i], written from key j0
/// on. Each key vector is loaded once for all the query rows.
__attribute__((target_clones("avx512f", "avx2", "default"))) void
tileScoresPortable(const QueryRow *rows, int64_t count, const float *const *tile, int64_t tiles,
                   int64_t dim, float scale, int64_t j0) {
  using quantc::kernels::kKeyBlock;
  for (int64_t m = 0; m < count; ++m)
    for (int64_t i = 0; i < tiles; ++i) {
      float acc[kKeyBlock] = {};
      for (int64_t d = 0; d < dim; ++d)
        for (int64_t l = 0; l < kKeyBlock; ++l)
          acc[l] += rows[m].query[d] * tile[i][d * kKeyBlock + l];
      for (int64_t l = 0; l < kKeyBlock; ++l)
        rows[m].weights[j0 + i * kKeyBlock + l] = acc[l] * scale;
    }
}

#if defined(__x86_64__)
/// R query rows x T tiles of sums in registers: per channel, T vector loads
/// and R x T multiply-adds in independent chains.
template <int R, int T>
__attribute__((target("avx512f"))) void tileScoresBlock(const QueryRow *rows,
                                                        const float *const *tile, int64_t dim,
                                                        float scale, int64_t j0) {
  using quantc::kernels::kKeyBlock;
  __m512 acc[R][T];
  for (auto &row : acc)
    for (__m512 &v : row)
      v = _mm512_setzero_ps();
  for (int64_t d = 0; d < dim; ++d) {
    __m512 keys[T];
    for (int i = 0; i < T; ++i)
      keys[i] = _mm512_loadu_ps(tile[i] + d * kKeyBlock);
    for (int r = 0; r < R; ++r) {
      __m512 q = _mm512_set1_ps(rows[r].query[d]);
      for (int i = 0; i < T; ++i)
        acc[r][i] = _mm512_fmadd_ps(q, keys[i], acc[r][i]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < T; ++i)
      _mm512_storeu_ps(rows[r].weights + j0 + i * kKeyBlock,
                       _mm512_mul_ps(acc[r][i], _mm512_set1_ps(scale)));
}

template <int T>
__attribute__((target("avx512f"))) void tileScoresRows(const QueryRow *rows, int64_t count,
                                                       const float *const *tile, int64_t dim,
                                                       float scale, int64_t j0) {
  int64_t m = 0;
  for (; m + 3 <= count; m += 3)
    tileScoresBlock<3, T>(rows + m, tile, dim, scale, j0);
  if (count - m == 2)
    tileScoresBlock<2, T>(rows + m, tile, dim, scale, j0);
  else if (count - m == 1)
    tileScoresBlock<1, T>(rows + m, tile, dim, scale, j0);
}
#endif

void tileScores(const QueryRow *rows, int64_t count, const float *const *tile, int64_t tiles,
                int64_t dim, float scale, int64_t j0) {
#if defined(__x86_64__)
  if (hasAVX512()) {
    switch (tiles) {
    case 1: return tileScoresRows<1>(rows, count, tile, dim, scale, j0);
    case 2: return tileScoresRows<2>(rows, count, tile, dim, scale, j0);
    case 3: return tileScoresRows<3>(rows, count, tile, dim, scale, j0);
    default: return tileScoresRows<4>(rows, count, tile, dim, scale, j0);
    }
  }
#endif
  tileScoresPortable(rows, count, tile, tiles, dim, scale, j0);
}

/// rows[m].out = sum_j rows[m].weights[j] values[j] over j < n: each value
/// row is read once for all the rows.
__attribute__((target_clones("avx512f", "avx2", "default"))) void
weightedSumsPortable(const QueryRow *rows, int64_t count, int64_t n, const float *values,
                     int64_t stride, int64_t dim) {
  for (int64_t m = 0; m < count; ++m)
    std::fill(rows[m].out, rows[m].out + dim, 0.0f);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t m = 0; m < count; ++m)
      for (int64_t d = 0; d < dim; ++d)
        rows[m].out[d] += rows[m].weights[j] * values[j * stride + d];
}

#if defined(__x86_64__)
/// R rows x V vectors of sums in registers (the last vector holds lanes
/// [0, tail) of its 16). Value rows are `stride` bytes apart: f32 values,
/// or with `Levels` an i8 row (its scale, then its levels), widened here
/// and its scale folded into the weight.
template <int R, int V, bool Levels>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void
weightedSumsBlock(const QueryRow *rows, int64_t n, const uint8_t *values, int64_t stride,
                  int64_t tail) {
  __m512 acc[R][V];
  for (auto &row : acc)
    for (__m512 &v : row)
      v = _mm512_setzero_ps();
  __mmask16 last = firstLanes(tail);
  for (int64_t j = 0; j < n; ++j) {
    const uint8_t *row = values + j * stride;
    __m512 x[V];
    float scale = 1.0f;
    if constexpr (Levels) {
      std::memcpy(&scale, row, sizeof scale);
      const uint8_t *levels = row + sizeof scale;
      for (int v = 0; v < V; ++v)
        x[v] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(
            v + 1 < V ? __mmask16(0xFFFF) : last, levels + 16 * v)));
    } else {
      auto *floats = reinterpret_cast<const float *>(row);
      for (int v = 0; v + 1 < V; ++v)
        x[v] = _mm512_loadu_ps(floats + 16 * v);
      x[V - 1] = _mm512_maskz_loadu_ps(last, floats + 16 * (V - 1));
    }
    for (int r = 0; r < R; ++r) {
      __m512 p = _mm512_set1_ps(rows[r].weights[j] * scale);
      for (int v = 0; v < V; ++v)
        acc[r][v] = _mm512_fmadd_ps(p, x[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v + 1 < V; ++v)
      _mm512_storeu_ps(rows[r].out + 16 * v, acc[r][v]);
    _mm512_mask_storeu_ps(rows[r].out + 16 * (V - 1), last, acc[r][V - 1]);
  }
}

/// Rows in groups whose R x V sums fit in registers beside the V values.
template <int V, bool Levels>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void
weightedSumsRows(const QueryRow *rows, int64_t count, int64_t n, const uint8_t *values,
                 int64_t stride, int64_t tail) {
  constexpr int kRows = std::clamp(24 / V, 1, 4);
  int64_t m = 0;
  for (; m + kRows <= count; m += kRows)
    weightedSumsBlock<kRows, V, Levels>(rows + m, n, values, stride, tail);
  switch (count - m) {
  case 3:
    return weightedSumsBlock<std::min(3, kRows), V, Levels>(rows + m, n, values, stride, tail);
  case 2:
    return weightedSumsBlock<std::min(2, kRows), V, Levels>(rows + m, n, values, stride, tail);
  case 1: return weightedSumsBlock<1, V, Levels>(rows + m, n, values, stride, tail);
  default: return;
  }
}

bool hasAVX512BW() {
  static const bool bw = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return bw;
}

/// weightedSums over value rows `stride` bytes apart, f32 or (with
/// `levels`) i8 rows read in place; false where this CPU or dim has no
/// such kernel.
template <bool Levels>
bool weightedSumsAVX512(const QueryRow *rows, int64_t count, int64_t n, const uint8_t *values,
                        int64_t stride, int64_t dim) {
  if (!hasAVX512BW())
    return false;
  int64_t tail = dim - (dim - 1) / 16 * 16;
  switch ((dim + 15) / 16) {
  case 1: weightedSumsRows<1, Levels>(rows, count, n, values, stride, tail); return true;
  case 2: weightedSumsRows<2, Levels>(rows, count, n, values, stride, tail); return true;
  case 3: weightedSumsRows<3, Levels>(rows, count, n, values, stride, tail); return true;
  case 4: weightedSumsRows<4, Levels>(rows, count, n, values, stride, tail); return true;
  case 8: weightedSumsRows<8, Levels>(rows, count, n, values, stride, tail); return true;
  default: return false;
  }
}
#endif

/// rows[m].out = sum_j rows[m].weights[j] v_j over the first n value rows
/// of one KV head, `positionBytes` apart from `values`, in `format`.
void weightedSums(const QueryRow *rows, int64_t count, int64_t n, const uint8_t *values,
                  int64_t positionBytes, int64_t format, int64_t dim) {
  using namespace quantc::kernels;
#if defined(__x86_64__)
  if (format == QC_KV_F32 &&
      weightedSumsAVX512<false>(rows, count, n, values, positionBytes, dim))
    return;
  if (format == QC_KV_I8 && weightedSumsAVX512<true>(rows, count, n, values, positionBytes, dim))
    return;
#endif
  if (format == QC_KV_F32)
    return weightedSumsPortable(rows, count, n, reinterpret_cast<const float *>(values),
                                positionBytes / sizeof(float), dim);
  // The rows read back as f32 once, in the scratch of the calling thread.
  KVRowFormat valueFormat(format, dim);
  auto *widened = static_cast<float *>(scratch(kAttentionValues, n * dim * sizeof(float)));
  for (int64_t j = 0; j < n; ++j)
    valueFormat.decode(values + j * positionBytes, widened + j * dim);
#if defined(__x86_64__)
  if (weightedSumsAVX512<false>(rows, count, n, reinterpret_cast<const uint8_t *>(widened),
                                dim * sizeof(float), dim))
    return;
#endif
  weightedSumsPortable(rows, count, n, widened, dim, dim);
}

/// Query rows of one step against the cache: kRowsPerChunk rows of every
/// query head of one KV head per chunk (rows are independent; later ones
/// see more keys, so there are many small chunks). Each key block is read
/// back once per chunk and multiplied by all of the chunk's query rows;
/// each value row likewise. A decode step's few rows over a long cache
/// also split the keys into ranges, one per chunk, whose partial softmax
/// sums are merged afterwards, so that every thread has work.
constexpr int64_t kRowsPerChunk = 16;
/// Key blocks read back together: a tile group of 4 x 16 keys.
constexpr int64_t kTilesPerGroup = 4;
/// Multiply-adds below which attention stays on the calling thread.
constexpr int64_t kParallelWork = int64_t(1) << 18;
/// Key blocks per range, at least, when the keys are split.
constexpr int64_t kBlocksPerRange = 8;

/// A query row's sums over one key range: its largest score, the sum of
/// exp(score - largest), and sum of those times the values (dim floats).
struct RangeSums {
  float largest, total;
};

struct CachedRows {
  const float *q;
  const uint8_t *keys, *values;
  float *out;
  int64_t past, rows, dim, kvHeads, group;
  float scale;
  int64_t rowBlocks, format;
  /// The keys' channel factors, [kv head][dim], or null.
  const float *keyScale;
  /// Key ranges per KV head and row block; with more than one, each range
  /// leaves its sums in `rangeSums` and `rangeOut` ([chunk][row]).
  int64_t ranges = 1;
  RangeSums *rangeSums = nullptr;
  float *rangeOut = nullptr;
  /// The most query rows of a chunk: each chunk's slots in those buffers.
  int64_t slots() const { return group * std::min(rows, kRowsPerChunk); }

  static void chunk(void *self, int64_t index) { static_cast<CachedRows *>(self)->run(index); }

  /// The query rows of chunk `index`'s KV head and row block.
  int64_t rowsOf(int64_t index, int64_t &kv, int64_t &first, int64_t &last) const {
    int64_t block = index / ranges;
    kv = block / rowBlocks;
    first = block % rowBlocks * kRowsPerChunk;
    last = std::min(rows, first + kRowsPerChunk);
    return group * (last - first);
  }

  void run(int64_t index) const {
    using namespace quantc::kernels;
    int64_t kv, first, last;
    int64_t count = rowsOf(index, kv, first, last), span = last - first, seen = past + last;
    int64_t blocks = (seen + kKeyBlock - 1) / kKeyBlock;
    int64_t perRange = (blocks + ranges - 1) / ranges, range = index % ranges;
    int64_t firstBlock = std::min(blocks, range * perRange);
    int64_t lastBlock = std::min(blocks, firstBlock + perRange);
    int64_t j0 = firstBlock * kKeyBlock, j1 = std::min(seen, lastBlock * kKeyBlock);
    int64_t stride = (lastBlock - firstBlock) * kKeyBlock;
    // Scratch of the thread that runs the chunk: the rows and their
    // weights (whole blocks of scores), one tile group.
    auto *queryRows = static_cast<QueryRow *>(scratch(
        kAttentionScores, count * (sizeof(QueryRow) + std::max<int64_t>(stride, 1) * sizeof(float))));
    auto *weights = reinterpret_cast<float *>(queryRows + count);
    for (int64_t g = 0; g < group; ++g)
      for (int64_t t = first; t < last; ++t) {
        int64_t m = g * span + t - first, row = (kv * group + g) * rows + t;
        float *target = ranges == 1 ? out + row * dim : rangeOut + (index * slots() + m) * dim;
        // Keys of the range the row sees.
        int64_t visible = std::clamp<int64_t>(past + t + 1 - j0, 0, j1 - j0);
        queryRows[m] = {q + row * dim, weights + m * stride, target, visible};
      }
    KVKeyBlocks keyFormat(format, dim, keyScale ? keyScale + kv * dim : nullptr);
    int64_t blockBytes = keyFormat.blockBytes();
    auto *tiles = static_cast<float *>(
        scratch(kAttentionKeys, kTilesPerGroup * dim * kKeyBlock * sizeof(float)));
    for (int64_t b = firstBlock; b < lastBlock; b += kTilesPerGroup) {
      const float *tile[kTilesPerGroup];
      int64_t n = std::min(kTilesPerGroup, lastBlock - b);
      for (int64_t i = 0; i < n; ++i)
        tile[i] = keyFormat.decode(keys + ((b + i) * kvHeads + kv) * blockBytes,
                                   tiles + i * dim * kKeyBlock);
      tileScores(queryRows, count, tile, n, dim, scale, (b - firstBlock) * kKeyBlock);
    }
    // Softmax weights (over the range: relative to its largest score, not
    // yet divided); the keys past a row's view weigh nothing.
    for (int64_t m = 0; m < count; ++m) {
      QueryRow &r = queryRows[m];
      float largest = kMasked, inverse = 0;
      if (r.visible > 0)
        inverse = exponentials(r.weights, r.visible, largest);
      if (ranges == 1)
        for (int64_t j = 0; j < r.visible; ++j)
          r.weights[j] *= inverse;
      else
        rangeSums[index * slots() + m] = {largest, r.visible > 0 ? 1.0f / inverse : 0.0f};
      std::fill(r.weights + r.visible, r.weights + (j1 - j0), 0.0f);
    }
    int64_t rowBytes = KVRowFormat(format, dim).rowBytes();
    weightedSums(queryRows, count, j1 - j0, values + (j0 * kvHeads + kv) * rowBytes,
                 kvHeads * rowBytes, format, dim);
  }

  /// out = the ranges' sums merged: each scaled by exp(its largest - the
  /// largest of all), divided by the scaled totals.
  void mergeRanges() const {
    for (int64_t block = 0; block < kvHeads * rowBlocks; ++block) {
      int64_t kv, first, last;
      int64_t count = rowsOf(block * ranges, kv, first, last), span = last - first;
      for (int64_t m = 0; m < count; ++m) {
        float largest = kMasked;
        for (int64_t p = 0; p < ranges; ++p)
          largest = std::max(largest, rangeSums[(block * ranges + p) * slots() + m].largest);
        int64_t row = (kv * group + m / span) * rows + first + m % span;
        float *target = out + row * dim, total = 0;
        std::fill(target, target + dim, 0.0f);
        for (int64_t p = 0; p < ranges; ++p) {
          int64_t chunkRow = (block * ranges + p) * slots() + m;
          const RangeSums &sums = rangeSums[chunkRow];
          if (sums.total == 0)
            continue;
          float weight = std::exp(sums.largest - largest);
          total += weight * sums.total;
          const float *partial = rangeOut + chunkRow * dim;
          for (int64_t d = 0; d < dim; ++d)
            target[d] += weight * partial[d];
        }
        for (int64_t d = 0; d < dim; ++d)
          target[d] /= total;
      }
    }
  }
};

/// The caches of one sequence: per layer, keys and values stored position
/// by position ([position][kv head][dim]), so appending never moves the
/// entries already there except when the capacity doubles.
struct KVState {
  struct Layer {
    /// Key blocks ([block][kv head], kKeyBlock positions each) and value
    /// rows ([position][kv head]) of the layer's format.
    std::vector<uint8_t> keys, values;
    int64_t format = QC_KV_F32, kvHeads = 0, dim = 0;
    /// The keys' channel factors, [kv head][dim]; empty when unscaled.
    std::vector<float> keyScale;

    quantc::kernels::KVKeyBlocks keyFormat(int64_t kvHead) const {
      return {format, dim, keyScale.empty() ? nullptr : &keyScale[kvHead * dim]};
    }
    /// Key `position` of `kvHead`: its block and lane.
    std::pair<uint8_t *, int64_t> keySlot(int64_t position, int64_t kvHead) {
      using quantc::kernels::kKeyBlock;
      int64_t block = position / kKeyBlock;
      return {&keys[(block * kvHeads + kvHead) * keyFormat(kvHead).blockBytes()],
              position % kKeyBlock};
    }
  };
  std::vector<Layer> layers;
  int64_t length = 0;
  int64_t maxContext;
  bool failed = false;
};

thread_local KVState *boundState = nullptr;

/// Makes room for `units` entries of `width` bytes, doubling; the first
/// capacity holds `firstUnits` (64 positions).
void reserveFor(std::vector<uint8_t> &cache, int64_t units, int64_t width, int64_t firstUnits) {
  size_t needed = static_cast<size_t>(units * width);
  if (needed > cache.capacity())
    cache.reserve(
        std::max(needed, std::max<size_t>(2 * cache.capacity(), firstUnits * width)));
  if (needed > cache.size())
    cache.resize(needed);
}
} // namespace

// The generator runtime finds the state functions with dlsym.
#define QC_EXPORT __attribute__((visibility("default")))

extern "C" {

QC_EXPORT void *quantc_kv_state_create(int64_t max_context) {
  auto *state = new KVState;
  state->maxContext = max_context;
  return state;
}

QC_EXPORT void quantc_kv_state_free(void *state) { delete static_cast<KVState *>(state); }

QC_EXPORT void quantc_kv_state_bind(void *state) { boundState = static_cast<KVState *>(state); }

QC_EXPORT int64_t quantc_kv_state_length(const void *state) {
  return static_cast<const KVState *>(state)->length;
}

QC_EXPORT void quantc_kv_state_set_length(void *state, int64_t length) {
  auto *s = static_cast<KVState *>(state);
  s->length = std::clamp<int64_t>(length, 0, s->length);
  s->failed = false;
}

QC_EXPORT void quantc_kv_state_advance(void *state, int64_t tokens) {
  static_cast<KVState *>(state)->length += tokens;
}

QC_EXPORT int64_t quantc_kv_state_bytes(const void *state) {
  int64_t bytes = 0;
  for (const KVState::Layer &layer : static_cast<const KVState *>(state)->layers)
    bytes += layer.keys.capacity() + layer.values.capacity();
  return bytes;
}

QC_EXPORT int quantc_kv_state_failed(const void *state) {
  return static_cast<const KVState *>(state)->failed;
}

QC_EXPORT int quantc_kv_state_read(const void *state, int64_t layer, int64_t position,
                                   int64_t kv_head, int values, float *row) {
  const auto *s = static_cast<const KVState *>(state);
  if (layer < 0 || layer >= static_cast<int64_t>(s->layers.size()) || position < 0 ||
      position >= s->length)
    return 0;
  const KVState::Layer &l = s->layers[layer];
  if (kv_head < 0 || kv_head >= l.kvHeads)
    return 0;
  if (!values) {
    auto [block, lane] = const_cast<KVState::Layer &>(l).keySlot(position, kv_head);
    l.keyFormat(kv_head).decodeLane(block, lane, row);
    return 1;
  }
  quantc::kernels::KVRowFormat format(l.format, l.dim);
  format.decode(&l.values[(position * l.kvHeads + kv_head) * format.rowBytes()], row);
  return 1;
}

void quantc_cached_attention(const float *q, const float *k, const float *v,
                             const float *key_scale, const int64_t *params, float *out) {
  int64_t heads = params[QC_ATTENTION_HEADS], kvHeads = params[QC_ATTENTION_KV_HEADS];
  int64_t rows = params[QC_ATTENTION_ROWS], dim = params[QC_ATTENTION_DIM];
  int64_t layerIndex = params[QC_ATTENTION_LAYER], group = heads / kvHeads;
  KVState *state = boundState;
  if (!state || state->length + rows > state->maxContext) {
    if (state)
      state->failed = true;
    std::fill(out, out + heads * rows * dim, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  if (static_cast<int64_t>(state->layers.size()) <= layerIndex)
    state->layers.resize(layerIndex + 1);
  KVState::Layer &layer = state->layers[layerIndex];
  layer.format = params[QC_ATTENTION_CACHE];
  layer.kvHeads = kvHeads;
  layer.dim = dim;
  if (params[QC_ATTENTION_KEY_SCALED])
    layer.keyScale.assign(key_scale, key_scale + kvHeads * dim);
  else
    layer.keyScale.clear();
  using quantc::kernels::kKeyBlock;
  quantc::kernels::KVRowFormat valueFormat(layer.format, dim);
  int64_t past = state->length, rowBytes = valueFormat.rowBytes(), width = kvHeads * rowBytes;
  constexpr int64_t kFirstPositions = 64;
  reserveFor(layer.keys, (past + rows + kKeyBlock - 1) / kKeyBlock,
             kvHeads * layer.keyFormat(0).blockBytes(), kFirstPositions / kKeyBlock);
  reserveFor(layer.values, past + rows, width, kFirstPositions);
  // Append: k and v are [1, Hkv, T, D].
  for (int64_t h = 0; h < kvHeads; ++h) {
    quantc::kernels::KVKeyBlocks keyFormat = layer.keyFormat(h);
    for (int64_t t = 0; t < rows; ++t) {
      auto [block, lane] = layer.keySlot(past + t, h);
      keyFormat.encode(k + (h * rows + t) * dim, block, lane);
      valueFormat.encode(v + (h * rows + t) * dim,
                         &layer.values[(past + t) * width + h * rowBytes]);
    }
  }
  CachedRows work{q, layer.keys.data(), layer.values.data(), out, past, rows, dim,
                  kvHeads, group, scaleOf(params),
                  (rows + kRowsPerChunk - 1) / kRowsPerChunk, layer.format,
                  layer.keyScale.empty() ? nullptr : layer.keyScale.data()};
  int64_t chunks = kvHeads * work.rowBlocks;
  // Prompts are worth splitting over the threads; a decode step's few
  // short rows are not, unless the cache is long: its keys then split into
  // ranges, about two chunks per thread.
  if (heads * rows * (past + rows) * dim < kParallelWork) {
    for (int64_t i = 0; i < chunks; ++i)
      CachedRows::chunk(&work, i);
    return;
  }
  int64_t threads = quantc::kernels::threadBudget();
  int64_t blocks = (past + rows + kKeyBlock - 1) / kKeyBlock;
  if (threads > 1 && chunks < 2 * threads)
    work.ranges = std::clamp<int64_t>((2 * threads + chunks - 1) / chunks, 1,
                                      std::max<int64_t>(1, blocks / kBlocksPerRange));
  if (work.ranges > 1) {
    int64_t perChunk = work.slots();
    auto *buffer = static_cast<uint8_t *>(quantc::kernels::scratch(
        quantc::kernels::kAttentionRanges,
        chunks * work.ranges * perChunk * (sizeof(RangeSums) + dim * sizeof(float))));
    work.rangeSums = reinterpret_cast<RangeSums *>(buffer);
    work.rangeOut = reinterpret_cast<float *>(work.rangeSums + chunks * work.ranges * perChunk);
  }
  quantc::kernels::parallelFor(chunks * work.ranges, CachedRows::chunk, &work);
  if (work.ranges > 1)
    work.mergeRanges();
}

} // extern "C"
