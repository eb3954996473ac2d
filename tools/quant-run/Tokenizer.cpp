//===- Tokenizer.cpp - byte-level BPE tokenizers for quant-run --*- C++ -*-===//
//
// Character classes come from ICU (letters \p{L}, numbers \p{N}, white
// space), so the GPT-2 pre-tokenization rules hold for all of Unicode.
//
//===----------------------------------------------------------------------===//
#include "Tokenizer.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <limits>

using namespace llvm;
using namespace quantc;

namespace {
/// GPT-2's map of bytes to printable code points (byte-level BPE tokens
/// are strings of these).
const std::vector<UTF32> &byteToCodePoint() {
  static const std::vector<UTF32> table = [] {
    std::vector<UTF32> t(256);
    UTF32 next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      t[b] = printable ? b : next++;
    }
    return t;
  }();
  return table;
}

std::string utf8(UTF32 c) {
  char buffer[UNI_MAX_UTF8_BYTES_PER_CODE_POINT];
  char *end = buffer;
  ConvertCodePointToUTF8(c, end);
  return std::string(buffer, end);
}

/// Code points of `text` with their byte offsets (invalid bytes count as
/// one code point each, classified as symbols).
struct CodePoint {
  UTF32 value;
  size_t begin, end;
};

std::vector<CodePoint> decodeUTF8(StringRef text) {
  std::vector<CodePoint> out;
  const UTF8 *p = reinterpret_cast<const UTF8 *>(text.begin());
  const UTF8 *end = reinterpret_cast<const UTF8 *>(text.end());
  while (p < end) {
    const UTF8 *start = p;
    UTF32 c;
    if (convertUTF8Sequence(&p, end, &c, strictConversion) != conversionOK) {
      c = 0xFFFD;
      p = start + 1;
    }
    out.push_back({c, size_t(start - reinterpret_cast<const UTF8 *>(text.begin())),
                   size_t(p - reinterpret_cast<const UTF8 *>(text.begin()))});
  }
  return out;
}

bool isLetter(UTF32 c) { return U_GET_GC_MASK(c) & U_GC_L_MASK; }
bool isNumber(UTF32 c) { return U_GET_GC_MASK(c) & U_GC_N_MASK; }
bool isSpace(UTF32 c) { return u_isUWhiteSpace(c); }

/// The GPT-2 pattern, one match at `i`:
///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t matchPiece(const std::vector<CodePoint> &cps, size_t i) {
  size_t n = cps.size();
  if (cps[i].value == '\'' && i + 1 < n) {
    auto at = [&](size_t k) { return k < n ? cps[k].value : 0; };
    UTF32 a = at(i + 1), b = at(i + 2);
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
      return i + 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
      return i + 3;
  }
  size_t j = i;
  if (cps[j].value == ' ' && j + 1 < n && !isSpace(cps[j + 1].value))
    ++j;
  auto run = [&](auto pred) {
    size_t k = j;
    while (k < n && pred(cps[k].value))
      ++k;
    return k;
  };
  UTF32 c = cps[j].value;
  if (isLetter(c))
    return run(isLetter);
  if (isNumber(c))
    return run(isNumber);
  if (!isSpace(c))
    return run([](UTF32 x) { return !isSpace(x) && !isLetter(x) && !isNumber(x); });
  // White space: all of it, but leave the last space before a non-space.
  size_t k = run(isSpace);
  if (k < n && k - i > 1)
    return k - 1;
  return k;
}
} // namespace

Expected<BPETokenizer> BPETokenizer::load(StringRef path) {
  auto fail = [&](const Twine &why) {
    return createStringError(inconvertibleErrorCode(), "%s: %s", path.str().c_str(),
                             why.str().c_str());
  };
  auto buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return fail(buffer.getError().message());
  Expected<json::Value> parsed = json::parse((*buffer)->getBuffer());
  if (!parsed)
    return fail("not JSON: " + toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  const json::Object *model = root ? root->getObject("model") : nullptr;
  if (!model || model->getString("type") != "BPE")
    return fail("no BPE model");
  const json::Object *vocab = model->getObject("vocab");
  const json::Array *merges = model->getArray("merges");
  if (!vocab || !merges)
    return fail("the BPE model lacks its vocab or merges");
  BPETokenizer t;
  for (const auto &[token, id] : *vocab) {
    std::optional<int64_t> value = id.getAsInteger();
    if (!value || *value < 0)
      return fail("bad id of token '" + token.str() + "'");
    t.vocab[token.str()] = *value;
    if (t.tokens.size() <= size_t(*value))
      t.tokens.resize(*value + 1);
    t.tokens[*value] = token.str();
  }
  for (const json::Value &merge : *merges) {
    std::string pair;
    if (auto s = merge.getAsString()) {
      pair = s->str();
    } else if (const json::Array *two = merge.getAsArray(); two && two->size() == 2) {
      pair = (*(*two)[0].getAsString() + " " + *(*two)[1].getAsString()).str();
    } else {
      return fail("bad merge entry");
    }
    t.mergeRanks.try_emplace(pair, t.mergeRanks.size());
  }
  if (const json::Array *added = root->getArray("added_tokens"))
    for (const json::Value &entry : *added) {
      const json::Object *o = entry.getAsObject();
      auto content = o ? o->getString("content") : std::nullopt;
      auto id = o ? o->getInteger("id") : std::nullopt;
      if (content && id && !content->empty())
        t.specials.emplace_back(content->str(), *id);
    }
  llvm::sort(t.specials, [](auto &a, auto &b) { return a.first.size() > b.first.size(); });
  // The pre-tokenizer: ByteLevel, alone or after Digits(individual_digits).
  if (const json::Object *pre = root->getObject("pre_tokenizer"))
    if (const json::Array *steps = pre->getArray("pretokenizers"))
      for (const json::Value &step : *steps)
        if (const json::Object *o = step.getAsObject();
            o && o->getString("type") == "Digits")
          t.splitDigits = o->getBoolean("individual_digits").value_or(false);
  return t;
}

void BPETokenizer::encodePiece(StringRef piece, std::vector<int64_t> &ids) const {
  // Byte-level symbols, then the best-ranked merge until none applies.
  std::vector<std::string> symbols;
  for (unsigned char byte : piece)
    symbols.push_back(utf8(byteToCodePoint()[byte]));
  while (symbols.size() > 1) {
    int64_t best = std::numeric_limits<int64_t>::max();
    size_t at = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto rank = mergeRanks.find(symbols[i] + " " + symbols[i + 1]);
      if (rank != mergeRanks.end() && rank->second < best) {
        best = rank->second;
        at = i;
      }
    }
    if (best == std::numeric_limits<int64_t>::max())
      break;
    symbols[at] += symbols[at + 1];
    symbols.erase(symbols.begin() + at + 1);
  }
  for (const std::string &symbol : symbols) {
    auto id = vocab.find(symbol);
    if (id != vocab.end())
      ids.push_back(id->second);
  }
}

void BPETokenizer::encodeOrdinary(StringRef text, std::vector<int64_t> &ids) const {
  std::vector<CodePoint> cps = decodeUTF8(text);
  // Digits first: each one is a piece of its own.
  size_t begin = 0;
  auto flush = [&](size_t end) {
    std::vector<CodePoint> part(cps.begin() + begin, cps.begin() + end);
    for (size_t i = 0; i < part.size();) {
      size_t next = matchPiece(part, i);
      encodePiece(text.slice(part[i].begin, part[next - 1].end), ids);
      i = next;
    }
  };
  for (size_t i = 0; i < cps.size(); ++i) {
    if (!splitDigits || !isNumber(cps[i].value))
      continue;
    flush(i);
    encodePiece(text.slice(cps[i].begin, cps[i].end), ids);
    begin = i + 1;
  }
  flush(cps.size());
}

std::vector<int64_t> BPETokenizer::encode(StringRef text) const {
  std::vector<int64_t> ids;
  while (!text.empty()) {
    size_t at = StringRef::npos;
    const std::pair<std::string, int64_t> *special = nullptr;
    for (const auto &s : specials) {
      size_t found = text.find(s.first);
      if (found < at) {
        at = found;
        special = &s;
      }
    }
    encodeOrdinary(text.take_front(at), ids);
    if (!special)
      break;
    ids.push_back(special->second);
    text = text.drop_front(at + special->first.size());
  }
  return ids;
}

std::string BPETokenizer::decode(ArrayRef<int64_t> ids) const {
  static const DenseMap<UTF32, unsigned char> toByte = [] {
    DenseMap<UTF32, unsigned char> m;
    for (int b = 0; b < 256; ++b)
      m[byteToCodePoint()[b]] = b;
    return m;
  }();
  std::string out;
  for (int64_t id : ids) {
    if (id < 0 || size_t(id) >= tokens.size())
      continue;
    for (const CodePoint &cp : decodeUTF8(tokens[id])) {
      auto byte = toByte.find(cp.value);
      if (byte != toByte.end())
        out.push_back(static_cast<char>(byte->second));
      else
        out += StringRef(tokens[id]).slice(cp.begin, cp.end);
    }
  }
  return out;
}
