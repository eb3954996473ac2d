//===- LibraryHash.h - the hash a manifest records for its library -*- C++ -*-===//
//
// The compiler writes it into model.json; the runtime recomputes it before
// loading model.so. XXH3 (64 bits) reads gigabytes per second, so checking a
// large language-model library costs milliseconds; it guards against
// truncation, corruption and mix-ups, not against tampering.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RUNTIME_LIBRARYHASH_H
#define QUANTC_RUNTIME_LIBRARYHASH_H

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <string>

namespace quantc {
/// The hash of a library's bytes as 16 lowercase hex digits.
inline std::string hashLibraryBytes(const void *data, size_t size) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64,
                static_cast<uint64_t>(XXH3_64bits(data, size)));
  return text;
}
} // namespace quantc

#endif // QUANTC_RUNTIME_LIBRARYHASH_H
