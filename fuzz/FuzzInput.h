//===- FuzzInput.h - fuzz inputs for readers that take a path ---*- C++ -*-===//
#ifndef QUANTC_FUZZ_FUZZINPUT_H
#define QUANTC_FUZZ_FUZZINPUT_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace quantc::fuzz {
/// Writes the input to this process's scratch file named `suffix` and
/// returns its path (readers of files are fuzzed through real files).
inline std::string writeInput(const uint8_t *data, size_t size,
                              const std::string &suffix) {
  std::string path = "/tmp/quantc-fuzz-" + std::to_string(getpid()) + suffix;
  if (FILE *file = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, file);
    std::fclose(file);
  }
  return path;
}
} // namespace quantc::fuzz

#endif // QUANTC_FUZZ_FUZZINPUT_H
