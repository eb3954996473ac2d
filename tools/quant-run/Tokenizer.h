//===- Tokenizer.h - byte-level BPE tokenizers for quant-run ----*- C++ -*-===//
//
// The tokenizers of GPT-2 style language models (byte-level BPE, as
// Hugging Face `tokenizer.json` files describe them): special tokens
// matched whole, digits split one by one (where the file says so), the
// GPT-2 pre-tokenization rules, then BPE merges by rank.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_TOOLS_QUANTRUN_TOKENIZER_H
#define QUANTC_TOOLS_QUANTRUN_TOKENIZER_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace quantc {

class BPETokenizer {
public:
  /// Reads a `tokenizer.json` with a BPE model and a ByteLevel
  /// pre-tokenizer (optionally after Digits); fails naming the file.
  static llvm::Expected<BPETokenizer> load(llvm::StringRef path);

  std::vector<int64_t> encode(llvm::StringRef text) const;
  /// The text of `ids` (special tokens included).
  std::string decode(llvm::ArrayRef<int64_t> ids) const;

private:
  void encodePiece(llvm::StringRef piece, std::vector<int64_t> &ids) const;
  void encodeOrdinary(llvm::StringRef text, std::vector<int64_t> &ids) const;

  llvm::StringMap<int64_t> vocab;
  std::vector<std::string> tokens;           // id -> token (byte-level form)
  llvm::StringMap<int64_t> mergeRanks;       // "left right" -> rank
  std::vector<std::pair<std::string, int64_t>> specials; // longest first
  bool splitDigits = false;
};

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTRUN_TOKENIZER_H
