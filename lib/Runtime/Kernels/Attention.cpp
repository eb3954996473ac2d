//===- Attention.cpp - attention over whole key and value tensors ---------===//
//
// quantc_attention computes, one query row at a time, the scaled scores
// against the visible keys, a softmax, and the weighted sum of values; no
// [T, S] tensor and no repeated key/value heads exist. Dot products sum in
// 16 lanes (a fixed order that vectorizes; with AVX-512 the lanes of 16
// keys are reduced together), so results agree with the reference
// evaluator's in float tolerance, not bit for bit. The attention over the
// generator's KV cache is in CachedAttention.cpp.
//
//===----------------------------------------------------------------------===//
#include "AttentionMath.h"
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cstring>

using namespace quantc::kernels;

namespace {
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
} // namespace

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

} // extern "C"
