//===- RunArtifact.h - quant-run on a compiled model ------------*- C++ -*-===//
#ifndef QUANTC_TOOLS_QUANTRUN_RUNARTIFACT_H
#define QUANTC_TOOLS_QUANTRUN_RUNARTIFACT_H

#include "mlir/IR/MLIRContext.h"
#include <string>

namespace quantc {
struct ArtifactRunOptions {
  std::string modelPath, inputsPath, outputsPath;
  int threads = 1;
  int benchmarkRuns = 0, warmupRuns = 0;
  bool castInputs = false;
};
/// Loads, runs and optionally benchmarks a model library; the exit code.
int runArtifact(mlir::MLIRContext &ctx, const ArtifactRunOptions &options);
struct GenerateOptions {
  std::string modelPath, promptTokens;
  /// A text prompt and the tokenizer.json that encodes it (instead of
  /// promptTokens); the new tokens are then printed as text.
  std::string prompt, tokenizerPath;
  bool printPromptTokens = false;
  int threads = 1, maxNewTokens = 32;
  int64_t maxContext = 4096;
};
/// Greedy generation with a generator library (quantc --generator).
int generateTokens(const GenerateOptions &options);
} // namespace quantc

#endif // QUANTC_TOOLS_QUANTRUN_RUNARTIFACT_H
