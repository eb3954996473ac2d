//===- BitwiseCompare.h - kernel results compared bit for bit ---*- C++ -*-===//
#ifndef QUANTC_UNITTESTS_RUNTIME_BITWISECOMPARE_H
#define QUANTC_UNITTESTS_RUNTIME_BITWISECOMPARE_H

#include "gtest/gtest.h"

#include <cstring>
#include <string>
#include <vector>

namespace quantc::testing {
/// Fails, naming `what` and the first mismatches, unless the two results
/// are the same bits.
inline void expectSameBits(const std::vector<float> &expected, const std::vector<float> &actual,
                           const std::string &what) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  int mismatches = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    if (std::memcmp(&expected[i], &actual[i], sizeof(float)) != 0 && ++mismatches <= 3)
      ADD_FAILURE() << what << " at " << i << ": " << actual[i] << " instead of "
                    << expected[i];
}
} // namespace quantc::testing

#endif // QUANTC_UNITTESTS_RUNTIME_BITWISECOMPARE_H
