//===- runtime_stress.cpp - concurrent runs of model libraries --*- C++ -*-===//
//
// usage: runtime-stress [--callers N] [--runs R] lib.so[:threads] ...
//
// Loads each library as its own qc_model with its thread count (a library
// may be named several times: the models then share its worker pool), runs
// each once alone for the expected outputs, then lets N caller threads per
// model run it R times each, all at once, and checks that every output is
// bit-identical to the expected one. Exits non-zero on any failure.
//
//===----------------------------------------------------------------------===//
#include "quantc/Runtime/QuantCRuntime.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {
using Bytes = std::vector<unsigned char>;

/// Deterministic inputs every model accepts: floats in [-1, 1), small
/// non-negative integers (valid indices, token ids and booleans).
Bytes makeInput(const qc_tensor_info &info, unsigned seed) {
  Bytes bytes(info.size_bytes);
  std::mt19937 rng(seed);
  if (info.element_type == QC_ELEMENT_F32) {
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
      float v = value(rng);
      std::memcpy(&bytes[i], &v, 4);
    }
    return bytes;
  }
  size_t width = qc_element_size(info.element_type);
  for (size_t i = 0; i < bytes.size(); i += width)
    bytes[i] = static_cast<unsigned char>(rng() % 2);
  return bytes;
}

struct Subject {
  std::string name;
  int threads = 1;
  qc_model *model = nullptr;
  std::vector<Bytes> inputs, expected;

  /// Output buffers of the right sizes, filled with garbage.
  void freshOutputs(std::vector<Bytes> &outputs) const {
    outputs = expected;
    for (Bytes &o : outputs)
      std::fill(o.begin(), o.end(), 0xA5);
  }

  bool run(std::vector<Bytes> &outputs) const {
    std::vector<const void *> in;
    std::vector<void *> out;
    for (const Bytes &b : inputs)
      in.push_back(b.data());
    for (Bytes &b : outputs)
      out.push_back(b.data());
    return qc_model_run(model, in.data(), out.data()) == 0;
  }
};

bool load(const std::string &spec, unsigned seed, Subject &s) {
  size_t colon = spec.rfind(':');
  s.name = spec.substr(0, colon);
  if (colon != std::string::npos)
    s.threads = std::atoi(spec.c_str() + colon + 1);
  s.model = qc_model_load(s.name.c_str());
  if (!s.model || qc_model_set_num_threads(s.model, 1)) {
    std::fprintf(stderr, "error: %s\n", qc_last_error());
    return false;
  }
  qc_tensor_info info;
  for (size_t i = 0; i < qc_model_num_inputs(s.model); ++i) {
    qc_model_input_info(s.model, i, &info);
    s.inputs.push_back(makeInput(info, seed + static_cast<unsigned>(i)));
  }
  for (size_t i = 0; i < qc_model_num_outputs(s.model); ++i) {
    qc_model_output_info(s.model, i, &info);
    s.expected.emplace_back(info.size_bytes);
  }
  // The expected outputs: one run alone, on one thread.
  if (!s.run(s.expected) || qc_model_set_num_threads(s.model, s.threads)) {
    std::fprintf(stderr, "error: %s: %s\n", s.name.c_str(), qc_last_error());
    return false;
  }
  return true;
}
} // namespace

int main(int argc, char **argv) {
  int callers = 4, runs = 100;
  std::vector<std::string> specs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--callers" && i + 1 < argc)
      callers = std::atoi(argv[++i]);
    else if (arg == "--runs" && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else
      specs.push_back(arg);
  }
  if (specs.empty() || callers < 1 || runs < 1) {
    std::fprintf(stderr, "usage: runtime-stress [--callers N] [--runs R] lib.so[:threads] ...\n");
    return 2;
  }
  std::vector<Subject> subjects(specs.size());
  for (size_t i = 0; i < specs.size(); ++i)
    if (!load(specs[i], static_cast<unsigned>(i * 100), subjects[i]))
      return 1;

  std::atomic<long> done{0}, mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (const Subject &s : subjects)
    for (int c = 0; c < callers; ++c)
      threads.emplace_back([&s, &done, &mismatches, &failures, runs] {
        std::vector<Bytes> outputs;
        for (int r = 0; r < runs; ++r) {
          s.freshOutputs(outputs);
          if (!s.run(outputs))
            ++failures;
          else if (outputs != s.expected)
            ++mismatches;
          ++done;
        }
      });
  for (std::thread &t : threads)
    t.join();
  for (Subject &s : subjects)
    qc_model_free(s.model);
  std::printf("%zu models x %d callers x %d runs: %ld runs, %ld mismatches, "
              "%ld failures\n",
              subjects.size(), callers, runs, done.load(), mismatches.load(),
              failures.load());
  return mismatches || failures ? 1 : 0;
}
