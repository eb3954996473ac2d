//===- Attention.cpp - attention kernels and the generator's KV cache -----===//
//
// Both kernels compute the scaled scores against the visible keys, a
// softmax, and the weighted sum of values; no [T, S] tensor and no repeated
// key/value heads exist. quantc_attention takes one query row at a time,
// its dot products summed in 16 lanes (a fixed order that vectorizes; with
// AVX-512 the lanes of 16 keys are reduced together). The cached kernel
// takes every query row of one KV head at once over the cache's key blocks
// (KVCache.h): one channel of 16 keys per vector, multiplied by each row's
// query element. Results agree with the reference evaluator's in float
// tolerance, not bit for bit.
//
//===----------------------------------------------------------------------===//
#include "KVCache.h"
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {
constexpr float kMasked = std::numeric_limits<float>::lowest();

float scaleOf(const int64_t *params) {
  auto bits = static_cast<uint32_t>(params[QC_ATTENTION_SCALE_BITS]);
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return scale;
}

constexpr int kLanes = 16;

/// sum_d a[d] * b[d] in kLanes independent partial sums (lane l adds the
/// elements l, l + kLanes, ... in order), then the lanes in order: a fixed
/// order that vectorizes, unlike one running sum.
__attribute__((always_inline)) inline float dot(const float *a, const float *b, int64_t n) {
  float lanes[kLanes] = {};
  int64_t d = 0;
  for (; d + kLanes <= n; d += kLanes)
    for (int l = 0; l < kLanes; ++l)
      lanes[l] += a[d + l] * b[d + l];
  for (int l = 0; d < n; ++d, ++l)
    lanes[l] += a[d] * b[d];
  float sum = 0;
  for (float lane : lanes)
    sum += lane;
  return sum;
}

/// Replaces scores[0, n) by exp(score - max) and returns 1 / their sum;
/// the max in `top`.
float exponentialsPortable(float *scores, int64_t n, float &top) {
  float max = kMasked;
  for (int64_t j = 0; j < n; ++j)
    max = std::max(max, scores[j]);
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    scores[j] = std::exp(scores[j] - max);
    sum += scores[j];
  }
  top = max;
  return 1.0f / sum;
}

#if defined(__x86_64__)
bool hasAVX512() {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512;
}

/// Lanes [0, count) of 16.
inline __mmask16 firstLanes(int64_t count) {
  return count >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
}

/// exp(x) within about 1 ulp: x = n ln 2 + r (ln 2 in two parts, so r is
/// exact), exp(r) by its Taylor series to r^7 (|r| <= ln 2 / 2: the rest is
/// below 2^-27), scaled by 2^n. Masked scores (the lowest float) give 0.
__attribute__((target("avx512f"))) inline __m512 expAVX512(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.8f)), _mm512_set1_ps(-104.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860682030941723e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  for (float c : {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f})
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  return _mm512_scalef_ps(p, n);
}

/// exponentialsPortable, 16 scores at a time.
__attribute__((target("avx512f"))) float exponentialsAVX512(float *scores, int64_t n,
                                                           float &largest) {
  __m512 max = _mm512_set1_ps(kMasked);
  for (int64_t j = 0; j < n; j += 16)
    max = _mm512_max_ps(max, _mm512_mask_loadu_ps(max, firstLanes(n - j), scores + j));
  largest = _mm512_reduce_max_ps(max);
  __m512 top = _mm512_set1_ps(largest), sum = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; j += 16) {
    __mmask16 live = firstLanes(n - j);
    __m512 e = expAVX512(_mm512_sub_ps(_mm512_maskz_loadu_ps(live, scores + j), top));
    _mm512_mask_storeu_ps(scores + j, live, e);
    sum = _mm512_mask_add_ps(sum, live, sum, e);
  }
  return 1.0f / _mm512_reduce_add_ps(sum);
}
#endif

float exponentials(float *scores, int64_t n, float &top) {
#if defined(__x86_64__)
  if (hasAVX512())
    return exponentialsAVX512(scores, n, top);
#endif
  return exponentialsPortable(scores, n, top);
}

float exponentials(float *scores, int64_t n) {
  float top;
  return exponentials(scores, n, top);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void
weightedSumPortable(const float *scores, float inverse, int64_t n, const float *values,
                    int64_t stride, int64_t dim, float *out) {
  std::fill(out, out + dim, 0.0f);
  for (int64_t j = 0; j < n; ++j) {
    const float *row = values + j * stride;
    float p = scores[j] * inverse;
    for (int64_t d = 0; d < dim; ++d)
      out[d] += p * row[d];
  }
}

#if defined(__x86_64__)
/// The same with the V x 16 sums in registers, in two chains (even and odd
/// rows) so that consecutive rows do not wait on each other.
/// The last vector holds lanes [0, tail) of its 16.
template <int V>
__attribute__((target("avx512f"))) void
weightedSumAVX512(const float *scores, float inverse, int64_t n, const float *values,
                  int64_t stride, int64_t tail, float *out) {
  __m512 acc[2][V];
  for (auto &chain : acc)
    for (__m512 &v : chain)
      v = _mm512_setzero_ps();
  __mmask16 last = firstLanes(tail);
  auto add = [&](int chain, int64_t j) __attribute__((target("avx512f"))) {
    __m512 p = _mm512_set1_ps(scores[j] * inverse);
    const float *row = values + j * stride;
    for (int v = 0; v + 1 < V; ++v)
      acc[chain][v] = _mm512_fmadd_ps(p, _mm512_loadu_ps(row + 16 * v), acc[chain][v]);
    acc[chain][V - 1] = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(last, row + 16 * (V - 1)),
                                        acc[chain][V - 1]);
  };
  int64_t j = 0;
  for (; j + 2 <= n; j += 2) {
    add(0, j);
    add(1, j + 1);
  }
  if (j < n)
    add(0, j);
  for (int v = 0; v + 1 < V; ++v)
    _mm512_storeu_ps(out + 16 * v, _mm512_add_ps(acc[0][v], acc[1][v]));
  _mm512_mask_storeu_ps(out + 16 * (V - 1), last, _mm512_add_ps(acc[0][V - 1], acc[1][V - 1]));
}
#endif

/// out = softmax(scores) @ values, where row j of the values is at
/// values + j * stride; `scores` is overwritten with exp(score - max).
void weightedSum(float *scores, int64_t n, const float *values, int64_t stride,
                 int64_t dim, float *out) {
  float inverse = exponentials(scores, n);
#if defined(__x86_64__)
  if (hasAVX512()) {
    int64_t tail = dim - (dim - 1) / 16 * 16; // lanes of the last vector
    switch ((dim + 15) / 16) {
    case 1: return weightedSumAVX512<1>(scores, inverse, n, values, stride, tail, out);
    case 2: return weightedSumAVX512<2>(scores, inverse, n, values, stride, tail, out);
    case 3: return weightedSumAVX512<3>(scores, inverse, n, values, stride, tail, out);
    case 4: return weightedSumAVX512<4>(scores, inverse, n, values, stride, tail, out);
    case 8: return weightedSumAVX512<8>(scores, inverse, n, values, stride, tail, out);
    default: break;
    }
  }
#endif
  weightedSumPortable(scores, inverse, n, values, stride, dim, out);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void
scaledScoresPortable(const float *query, const float *keys, int64_t n, int64_t stride,
                     int64_t dim, float scale, float *scores) {
  for (int64_t j = 0; j < n; ++j)
    scores[j] = dot(query, keys + j * stride, dim) * scale;
}

#if defined(__x86_64__)
/// Sums of neighbouring 128-bit lanes: a's two pairs, then b's.
__attribute__((target("avx512f"), always_inline)) inline __m512 foldLanes(__m512 a, __m512 b) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x88), _mm512_shuffle_f32x4(a, b, 0xDD));
}

/// The 16 lane sums of acc[0..16), in order, in one vector: pairs, then
/// quads inside each 128-bit lane, then across lanes (30 shuffles and adds
/// instead of 16 separate reductions).
__attribute__((target("avx512f"))) inline __m512 laneSums(__m512 (&acc)[16]) {
  __m512 pairs[8], quads[4];
  for (int i = 0; i < 8; ++i)
    pairs[i] = _mm512_add_ps(_mm512_unpacklo_ps(acc[2 * i], acc[2 * i + 1]),
                             _mm512_unpackhi_ps(acc[2 * i], acc[2 * i + 1]));
  for (int i = 0; i < 4; ++i) {
    __m512d a = _mm512_castps_pd(pairs[2 * i]), b = _mm512_castps_pd(pairs[2 * i + 1]);
    quads[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                             _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  // quads[i]: 128-bit lane L holds lane L's sums of vectors 4i .. 4i + 3.
  return foldLanes(foldLanes(quads[0], quads[1]), foldLanes(quads[2], quads[3]));
}

/// The 16 lane sums of q . key; the last vector's lanes past dim are 0.
__attribute__((target("avx512f"), always_inline)) inline __m512
dotLanes(const float *query, const float *key, int64_t dim) {
  __m512 sum = _mm512_setzero_ps();
  int64_t d = 0;
  for (; d + 16 <= dim; d += 16)
    sum = _mm512_fmadd_ps(_mm512_loadu_ps(query + d), _mm512_loadu_ps(key + d), sum);
  if (d < dim) {
    __mmask16 live = firstLanes(dim - d);
    sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(live, query + d),
                          _mm512_maskz_loadu_ps(live, key + d), sum);
  }
  return sum;
}

/// Scores of 16 keys at a time, each a dot product in 16 lanes whose lane
/// sums are reduced together.
__attribute__((target("avx512f"))) void
scaledScoresAVX512(const float *query, const float *keys, int64_t n, int64_t stride,
                   int64_t dim, float scale, float *scores) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    __m512 acc[16];
    for (int i = 0; i < 16; ++i)
      acc[i] = dotLanes(query, keys + (j + i) * stride, dim);
    _mm512_storeu_ps(scores + j, _mm512_mul_ps(laneSums(acc), _mm512_set1_ps(scale)));
  }
  for (; j < n; ++j)
    scores[j] = _mm512_reduce_add_ps(dotLanes(query, keys + j * stride, dim)) * scale;
}
#endif

void scaledScores(const float *query, const float *keys, int64_t n, int64_t stride,
                  int64_t dim, float scale, float *scores) {
#if defined(__x86_64__)
  if (hasAVX512())
    return scaledScoresAVX512(query, keys, n, stride, dim, scale, scores);
#endif
  scaledScoresPortable(query, keys, n, stride, dim, scale, scores);
}

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

void quantc_attention(const float *q, const float *k, const float *v,
                      const uint8_t *mask, const int64_t *params, float *out) {
  int64_t batch = params[QC_ATTENTION_BATCH], heads = params[QC_ATTENTION_HEADS];
  int64_t kvHeads = params[QC_ATTENTION_KV_HEADS], rows = params[QC_ATTENTION_ROWS];
  int64_t keys = params[QC_ATTENTION_KEYS], dim = params[QC_ATTENTION_DIM];
  int64_t group = heads / kvHeads;
  float scale = scaleOf(params);
  // Mask strides: a broadcast dimension (size 1) does not move.
  int64_t mb = params[QC_ATTENTION_MASK_B], mh = params[QC_ATTENTION_MASK_H];
  int64_t mt = params[QC_ATTENTION_MASK_T], ms = params[QC_ATTENTION_MASK_S];
  int64_t sS = ms > 1 ? 1 : 0, sT = mt > 1 ? ms : 0, sH = mh > 1 ? mt * ms : 0,
          sB = mb > 1 ? mh * mt * ms : 0;
  auto *scores = static_cast<float *>(
      quantc::kernels::scratch(quantc::kernels::kAttentionScores, keys * sizeof(float)));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const float *kh = k + (b * kvHeads + h / group) * keys * dim;
      const float *vh = v + (b * kvHeads + h / group) * keys * dim;
      for (int64_t t = 0; t < rows; ++t) {
        int64_t row = (b * heads + h) * rows + t;
        scaledScores(q + row * dim, kh, keys, dim, dim, scale, scores);
        const uint8_t *m = mask + b * sB + h * sH + t * sT;
        for (int64_t j = 0; j < keys; ++j)
          if (!m[j * sS])
            scores[j] = kMasked;
        weightedSum(scores, keys, vh, dim, dim, out + row * dim);
      }
    }
}

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
