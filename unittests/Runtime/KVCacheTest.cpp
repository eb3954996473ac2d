//===- KVCacheTest.cpp - the generator's quantized KV cache -----*- C++ -*-===//
//
// What quantc_cached_attention stores is what the cache format says, level
// for level: rows written through two steps of a generator state and read
// back equal an independent model of each format (bit for bit), and the
// attention output equals attention over those rows. The integer formats
// also run with keys scaled per channel.
//
//===----------------------------------------------------------------------===//
#include "quantc/Runtime/Microkernels.h"
#include "gtest/gtest.h"

#include "llvm/ADT/bit.h"
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

extern "C" void quantc_artifact_set_num_threads(int32_t threads);

namespace {
constexpr int64_t kHeads = 4, kKVHeads = 2;

/// The row as `format` stores it, read back (the formats' definition).
std::vector<float> modelRow(const float *x, int64_t dim, int64_t format) {
  std::vector<float> out(x, x + dim);
  auto symmetric = [&](int64_t first, int64_t count, float qmax) {
    float absMax = 0;
    for (int64_t i = first; i < first + count; ++i)
      absMax = std::max(absMax, std::fabs(x[i]));
    float scale = absMax > 0 ? absMax / qmax : 1.0f;
    for (int64_t i = first; i < first + count; ++i)
      // An integer level (so -0.0 rounds to level 0, read back as +0.0).
      out[i] = static_cast<float>(static_cast<int>(
                   std::clamp(std::nearbyint(x[i] / scale), -qmax, qmax))) *
               scale;
  };
  switch (format) {
  case QC_KV_F16:
    for (float &v : out)
      v = static_cast<float>(static_cast<_Float16>(v));
    break;
  case QC_KV_BF16:
    for (float &v : out) {
      uint32_t bits = llvm::bit_cast<uint32_t>(v);
      bits = (bits + 0x7fff + ((bits >> 16) & 1)) & 0xffff0000u;
      v = llvm::bit_cast<float>(bits);
    }
    break;
  case QC_KV_I8:
    symmetric(0, dim, 127);
    break;
  case QC_KV_I4: {
    int64_t group = dim % 32 == 0 ? 32 : dim;
    for (int64_t g = 0; g < dim; g += group)
      symmetric(g, group, 7);
    break;
  }
  default:
    break;
  }
  return out;
}

/// The key row with channel factors `c`: the levels of x / c, times c.
std::vector<float> modelKeyRow(const float *x, const float *c, int64_t dim, int64_t format) {
  std::vector<float> scaled(dim);
  for (int64_t i = 0; i < dim; ++i)
    scaled[i] = x[i] / c[i];
  std::vector<float> out = modelRow(scaled.data(), dim, format);
  for (int64_t i = 0; i < dim; ++i)
    out[i] *= c[i];
  return out;
}

std::vector<int64_t> params(int64_t rows, int64_t dim, int64_t format, bool keyScaled) {
  std::vector<int64_t> p(QC_ATTENTION_NUM_PARAMS, 1);
  p[QC_ATTENTION_HEADS] = kHeads;
  p[QC_ATTENTION_KV_HEADS] = kKVHeads;
  p[QC_ATTENTION_ROWS] = rows;
  p[QC_ATTENTION_KEYS] = rows;
  p[QC_ATTENTION_DIM] = dim;
  p[QC_ATTENTION_SCALE_BITS] = llvm::bit_cast<uint32_t>(1.0f / std::sqrt(float(dim)));
  p[QC_ATTENTION_LAYER] = 1;
  p[QC_ATTENTION_CACHE] = format;
  p[QC_ATTENTION_KEY_SCALED] = keyScaled;
  return p;
}

struct Case {
  int64_t format, dim;
  bool keyScaled = false;
};

class KVCacheTest : public ::testing::TestWithParam<Case> {};

TEST_P(KVCacheTest, StoresTheFormatAndAttendsOverIt) {
  auto [format, dim, keyScaled] = GetParam();
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto randomTensor = [&](int64_t heads, int64_t rows) {
    std::vector<float> t(heads * rows * dim);
    for (float &v : t)
      v = normal(rng);
    return t;
  };
  // Channel factors per KV head, the outlier channel's largest.
  std::vector<float> keyScale(kKVHeads * dim);
  for (int64_t i = 0; i < kKVHeads * dim; ++i)
    keyScale[i] = i % dim == 3 ? 20.0f : 0.5f + 0.25f * (i % 5);
  void *state = quantc_kv_state_create(64);
  quantc_kv_state_bind(state);
  // Two steps (5 then 3 tokens); keys with an outlier channel, and one key
  // row of zeros.
  std::vector<std::vector<float>> keys, values; // [position][kv head][dim]
  std::vector<float> lastQuery, lastOut;
  for (int64_t rows : {5, 3}) {
    std::vector<float> q = randomTensor(kHeads, rows), k = randomTensor(kKVHeads, rows),
                       v = randomTensor(kKVHeads, rows), out(kHeads * rows * dim);
    for (int64_t i = 0; i < kKVHeads * rows; ++i)
      k[i * dim + 3] *= 20;
    std::fill(k.begin(), k.begin() + dim, 0.0f);
    std::vector<int64_t> p = params(rows, dim, format, keyScaled);
    quantc_cached_attention(q.data(), k.data(), v.data(), keyScale.data(), p.data(),
                            out.data());
    quantc_kv_state_advance(state, rows);
    for (int64_t t = 0; t < rows; ++t) {
      std::vector<float> kRow, vRow;
      for (int64_t h = 0; h < kKVHeads; ++h) {
        const float *key = &k[(h * rows + t) * dim];
        std::vector<float> km = keyScaled ? modelKeyRow(key, &keyScale[h * dim], dim, format)
                                          : modelRow(key, dim, format);
        std::vector<float> vm = modelRow(&v[(h * rows + t) * dim], dim, format);
        kRow.insert(kRow.end(), km.begin(), km.end());
        vRow.insert(vRow.end(), vm.begin(), vm.end());
      }
      keys.push_back(kRow);
      values.push_back(vRow);
    }
    lastQuery = q;
    lastOut = out;
  }
  ASSERT_FALSE(quantc_kv_state_failed(state));
  // Every stored row, bit for bit.
  std::vector<float> row(dim);
  for (int64_t pos = 0; pos < 8; ++pos)
    for (int64_t h = 0; h < kKVHeads; ++h) {
      ASSERT_EQ(quantc_kv_state_read(state, 1, pos, h, 0, row.data()), 1);
      for (int64_t i = 0; i < dim; ++i)
        EXPECT_EQ(llvm::bit_cast<uint32_t>(row[i]), llvm::bit_cast<uint32_t>(keys[pos][h * dim + i]))
            << "key " << pos << "," << h << "," << i;
      ASSERT_EQ(quantc_kv_state_read(state, 1, pos, h, 1, row.data()), 1);
      for (int64_t i = 0; i < dim; ++i)
        EXPECT_EQ(llvm::bit_cast<uint32_t>(row[i]), llvm::bit_cast<uint32_t>(values[pos][h * dim + i]))
            << "value " << pos << "," << h << "," << i;
    }
  EXPECT_EQ(quantc_kv_state_read(state, 1, 8, 0, 0, row.data()), 0);
  EXPECT_EQ(quantc_kv_state_read(state, 0, 0, 0, 0, row.data()), 0);
  // The last step's output: causal attention over the stored rows.
  float scale = 1.0f / std::sqrt(float(dim));
  for (int64_t h = 0; h < kHeads; ++h)
    for (int64_t t = 0; t < 3; ++t) {
      int64_t visible = 5 + t + 1, kv = h / (kHeads / kKVHeads);
      const float *query = &lastQuery[(h * 3 + t) * dim];
      std::vector<double> scores(visible);
      double top = -INFINITY, total = 0;
      for (int64_t j = 0; j < visible; ++j) {
        double dot = 0;
        for (int64_t i = 0; i < dim; ++i)
          dot += double(query[i]) * keys[j][kv * dim + i];
        scores[j] = dot * scale;
        top = std::max(top, scores[j]);
      }
      for (double &s : scores)
        total += (s = std::exp(s - top));
      for (int64_t i = 0; i < dim; ++i) {
        double expected = 0;
        for (int64_t j = 0; j < visible; ++j)
          expected += scores[j] / total * values[j][kv * dim + i];
        EXPECT_NEAR(lastOut[(h * 3 + t) * dim + i], expected, 1e-4) << h << "," << t << "," << i;
      }
    }
  quantc_kv_state_bind(nullptr);
  quantc_kv_state_free(state);
}

// A decode step over a long cache with threads to spare splits the keys
// into ranges whose softmax sums merge afterwards: the same output as one
// range, in float tolerance.
TEST(KVCacheRanges, MergeToTheWholeSoftmax) {
  for (int64_t format : {QC_KV_F32, QC_KV_I8}) {
    // Long enough that the step runs in parallel (kParallelWork).
    constexpr int64_t dim = 64, past = 1100;
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    auto randomTensor = [&](int64_t heads, int64_t rows) {
      std::vector<float> t(heads * rows * dim);
      for (float &v : t)
        v = 2 * normal(rng);
      return t;
    };
    void *state = quantc_kv_state_create(past + 1);
    quantc_kv_state_bind(state);
    std::vector<float> k = randomTensor(kKVHeads, past), v = randomTensor(kKVHeads, past),
                       q = randomTensor(kHeads, past), out(kHeads * past * dim);
    std::vector<int64_t> p = params(past, dim, format, false);
    quantc_cached_attention(q.data(), k.data(), v.data(), nullptr, p.data(), out.data());
    quantc_kv_state_advance(state, past);
    std::vector<float> q1 = randomTensor(kHeads, 1), k1 = randomTensor(kKVHeads, 1),
                       v1 = randomTensor(kKVHeads, 1);
    std::vector<float> whole(kHeads * dim), ranges(kHeads * dim);
    p = params(1, dim, format, false);
    quantc_artifact_set_num_threads(1);
    quantc_cached_attention(q1.data(), k1.data(), v1.data(), nullptr, p.data(), whole.data());
    quantc_kv_state_set_length(state, past);
    quantc_artifact_set_num_threads(2);
    quantc_cached_attention(q1.data(), k1.data(), v1.data(), nullptr, p.data(), ranges.data());
    quantc_artifact_set_num_threads(1);
    for (int64_t i = 0; i < kHeads * dim; ++i)
      EXPECT_NEAR(ranges[i], whole[i], 1e-5f * std::max(1.0f, std::fabs(whole[i])))
          << "format " << format << ", element " << i;
    quantc_kv_state_bind(nullptr);
    quantc_kv_state_free(state);
  }
}

// A prompt of one row block over fewer keys than one range takes (2 chunks,
// threads to spare, but too few key blocks to split): 2 threads compute
// what 1 does.
TEST(KVCacheRanges, ShortPromptKeepsOneRange) {
  constexpr int64_t dim = 256, rows = 16;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto randomTensor = [&](int64_t heads) {
    std::vector<float> t(heads * rows * dim);
    for (float &v : t)
      v = normal(rng);
    return t;
  };
  std::vector<float> q = randomTensor(kHeads), k = randomTensor(kKVHeads),
                     v = randomTensor(kKVHeads);
  std::vector<int64_t> p = params(rows, dim, QC_KV_F32, false);
  std::vector<float> outputs[2];
  for (int32_t threads : {1, 2}) {
    void *state = quantc_kv_state_create(rows);
    quantc_kv_state_bind(state);
    quantc_artifact_set_num_threads(threads);
    outputs[threads - 1].assign(kHeads * rows * dim, -1.0f);
    quantc_cached_attention(q.data(), k.data(), v.data(), nullptr, p.data(),
                            outputs[threads - 1].data());
    quantc_kv_state_bind(nullptr);
    quantc_kv_state_free(state);
  }
  quantc_artifact_set_num_threads(1);
  EXPECT_EQ(outputs[0], outputs[1]);
}

INSTANTIATE_TEST_SUITE_P(Formats, KVCacheTest,
                         ::testing::Values(Case{QC_KV_F32, 64}, Case{QC_KV_F16, 64},
                                           Case{QC_KV_BF16, 64}, Case{QC_KV_I8, 64},
                                           Case{QC_KV_I8, 40}, Case{QC_KV_I4, 64},
                                           Case{QC_KV_I4, 40}, Case{QC_KV_I8, 64, true},
                                           Case{QC_KV_I4, 64, true}, Case{QC_KV_I4, 40, true}));
} // namespace
