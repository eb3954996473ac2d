//===- ParallelRangeTest.cpp - generated loops split over threads -*- C++ -*-===//
//
// quantc_parallel_range, which runs the loops qc-parallelize-loops outlines:
// its ranges cover the extent once, in aligned pieces, one per thread of the
// run; and the table lookups that split the same way give every byte.
//
//===----------------------------------------------------------------------===//
#include "quantc/Runtime/Microkernels.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

extern "C" void quantc_artifact_set_num_threads(int32_t threads);

namespace {
struct Ranges {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> seen;

  static void record(void *self, int64_t first, int64_t last) {
    auto *ranges = static_cast<Ranges *>(self);
    std::lock_guard<std::mutex> lock(ranges->mutex);
    ranges->seen.push_back({first, last});
  }
};

/// The ranges quantc_parallel_range hands out on `threads`, in order.
std::vector<std::pair<int64_t, int64_t>> rangesOf(int threads, int64_t extent, int64_t align) {
  quantc_artifact_set_num_threads(threads);
  Ranges ranges;
  quantc_parallel_range(Ranges::record, &ranges, extent, align);
  quantc_artifact_set_num_threads(1);
  std::sort(ranges.seen.begin(), ranges.seen.end());
  return ranges.seen;
}

TEST(ParallelRange, OneThreadRunsTheWholeExtentOnce) {
  EXPECT_EQ(rangesOf(1, 1000, 64), (std::vector<std::pair<int64_t, int64_t>>{{0, 1000}}));
}

TEST(ParallelRange, RangesCoverTheExtentInAlignedPieces) {
  for (auto [threads, extent, align] : {std::tuple{2, 307200L, 64L}, std::tuple{3, 1000L, 64L},
                                        std::tuple{3, 5L, 1L}, std::tuple{4, 130L, 2L}}) {
    std::vector<std::pair<int64_t, int64_t>> ranges = rangesOf(threads, extent, align);
    ASSERT_FALSE(ranges.empty());
    EXPECT_LE(static_cast<int>(ranges.size()), threads);
    EXPECT_GT(ranges.size(), 1u) << "extent " << extent << " was not split";
    int64_t next = 0;
    for (auto [first, last] : ranges) {
      EXPECT_EQ(first, next);
      EXPECT_LT(first, last);
      EXPECT_EQ(first % align, 0);
      EXPECT_TRUE(last == extent || last % align == 0) << last;
      next = last;
    }
    EXPECT_EQ(next, extent);
  }
}

TEST(ParallelRange, AnExtentWithinOneAlignmentIsOneRange) {
  EXPECT_EQ(rangesOf(2, 50, 64), (std::vector<std::pair<int64_t, int64_t>>{{0, 50}}));
}

// Lookups split over the threads from 16 KB: each byte, the unaligned tail
// included, is looked up once.
TEST(ParallelRange, LookupsSplitOverThreadsGiveEveryByte) {
  std::vector<uint8_t> table(256), input(100003), output(input.size(), 0);
  for (int i = 0; i < 256; ++i)
    table[i] = static_cast<uint8_t>(i * 7 + 3);
  for (size_t i = 0; i < input.size(); ++i)
    input[i] = static_cast<uint8_t>(i * 31 + (i >> 9));
  int64_t params[QC_LOOKUP_NUM_PARAMS] = {static_cast<int64_t>(input.size()), 0x80};
  quantc_artifact_set_num_threads(3);
  quantc_lookup(input.data(), table.data(), params, output.data());
  quantc_artifact_set_num_threads(1);
  for (size_t i = 0; i < input.size(); ++i)
    ASSERT_EQ(output[i], table[input[i] ^ 0x80]) << i;
}
} // namespace
