//===- Generate.cpp - quant-run on a generator library ----------*- C++ -*-===//
//
// Greedy generation through the runtime's generator API, from a text
// prompt (with the model's tokenizer.json) or from token ids: the new
// tokens stream to stdout as they come (text, or ids), the speed goes to
// stderr.
//
//===----------------------------------------------------------------------===//
#include "RunArtifact.h"
#include "Tokenizer.h"
#include "quantc/Runtime/QuantCRuntime.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

using namespace quantc;

namespace {
int error(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
} // namespace

int quantc::generateTokens(const GenerateOptions &options) {
  std::vector<int64_t> prompt;
  std::optional<BPETokenizer> tokenizer;
  if (!options.prompt.empty()) {
    if (options.tokenizerPath.empty())
      return error("--prompt needs the model's --tokenizer (tokenizer.json)");
    auto loaded = BPETokenizer::load(options.tokenizerPath);
    if (!loaded)
      return error(llvm::toString(loaded.takeError()));
    tokenizer = std::move(*loaded);
    prompt = tokenizer->encode(options.prompt);
    if (prompt.empty())
      return error("--prompt encodes to no tokens");
    if (options.printPromptTokens) {
      for (auto [i, id] : llvm::enumerate(prompt))
        llvm::errs() << (i ? " " : "") << id;
      llvm::errs() << "\n";
    }
  }
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(options.promptTokens).split(parts, ',', -1, false);
  for (llvm::StringRef part : parts) {
    int64_t id;
    if (part.trim().getAsInteger(10, id))
      return error("--prompt-tokens: '" + part + "' is not a token id");
    prompt.push_back(id);
  }
  if (prompt.empty())
    return error("--prompt-tokens: no token ids");
  if (tokenizer)
    llvm::outs() << options.prompt;
  std::unique_ptr<qc_model, void (*)(qc_model *)> model(
      qc_model_load(options.modelPath.c_str()), qc_model_free);
  if (!model)
    return error(qc_last_error());
  if (qc_model_set_num_threads(model.get(), options.threads))
    return error(qc_last_error());
  std::unique_ptr<qc_generator, void (*)(qc_generator *)> generator(
      qc_generator_create(model.get(), options.maxContext), qc_generator_free);
  if (!generator)
    return error(qc_last_error());
  size_t vocab = qc_generator_vocab_size(generator.get());
  auto start = std::chrono::steady_clock::now();
  if (qc_generator_prefill(generator.get(), prompt.data(), prompt.size()))
    return error(qc_last_error());
  double prefill = secondsSince(start);
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.maxNewTokens; ++i) {
    const float *logits = qc_generator_logits(generator.get());
    int64_t next = std::max_element(logits, logits + vocab) - logits;
    if (tokenizer)
      llvm::outs() << tokenizer->decode({next});
    else
      llvm::outs() << (i ? " " : "") << next;
    llvm::outs().flush();
    if (i + 1 < options.maxNewTokens && qc_generator_step(generator.get(), next))
      return error(qc_last_error());
  }
  double decode = secondsSince(start);
  llvm::outs() << "\n";
  llvm::errs() << llvm::formatv("{0} prompt tokens at {1:f1} tokens/s, {2} new tokens at "
                                "{3:f1} tokens/s\n",
                                prompt.size(), prompt.size() / prefill, options.maxNewTokens,
                                std::max(options.maxNewTokens - 1, 0) / std::max(decode, 1e-9));
  return 0;
}
