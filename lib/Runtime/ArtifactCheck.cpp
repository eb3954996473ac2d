//===- ArtifactCheck.cpp - check a library before loading it ----*- C++ -*-===//
//
// dlopen() of a truncated or corrupted library crashes (SIGBUS) or runs
// garbage; one built for other instructions dies with SIGILL mid-run. So
// before loading, the runtime checks the library against the manifest the
// compiler wrote beside it: format version, the CPU features its code
// needs, its size and its XXH3 hash. After dlopen, the runtime makes sure
// the code mapped is that of the file checked (not a file swapped in since,
// nor an older library loaded from the same path and still in use).
//
//===----------------------------------------------------------------------===//
#include "RuntimeInternal.h"

#include "quantc/Runtime/LibraryHash.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

using namespace quantc::runtime;
using json = nlohmann::json;

namespace {
/// Whether this CPU has an LLVM-named x86 feature; std::nullopt for the
/// features the runtime cannot test (they are not checked).
std::optional<bool> cpuHas(const std::string &feature) {
#define QC_FEATURE(name)                                                       \
  if (feature == name)                                                         \
    return __builtin_cpu_supports(name) != 0;
  QC_FEATURE("sse4.2") QC_FEATURE("sse4a") QC_FEATURE("popcnt") QC_FEATURE("avx") QC_FEATURE("avx2")
  QC_FEATURE("fma") QC_FEATURE("f16c") QC_FEATURE("bmi") QC_FEATURE("bmi2")
  QC_FEATURE("movbe") QC_FEATURE("avx512f") QC_FEATURE("avx512bw")
  QC_FEATURE("avx512dq") QC_FEATURE("avx512vl") QC_FEATURE("avx512cd")
  QC_FEATURE("avx512vnni") QC_FEATURE("avx512bf16") QC_FEATURE("avx512vbmi")
  QC_FEATURE("avx512vbmi2") QC_FEATURE("avx512ifma") QC_FEATURE("avx512bitalg")
  QC_FEATURE("avx512vpopcntdq") QC_FEATURE("avx512fp16") QC_FEATURE("avxvnni")
  QC_FEATURE("gfni") QC_FEATURE("vpclmulqdq") QC_FEATURE("amx-tile")
  QC_FEATURE("amx-int8") QC_FEATURE("amx-bf16")
#undef QC_FEATURE
  return std::nullopt;
}

/// Records why `library` is not loaded; returns false.
bool refuse(const std::string &library, const std::string &why) {
  fail("cannot load " + library + ": " + why);
  return false;
}

std::string manifestPath(const std::string &library) {
  size_t slash = library.rfind('/');
  size_t dot = library.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return library + ".json";
  return library.substr(0, dot) + ".json";
}

/// The manifest as JSON, or a discarded value (qc_last_error set).
json readManifest(const std::string &library, const std::string &path) {
  std::ifstream file(path);
  if (!file) {
    refuse(library, "its manifest " + path +
                        " is missing (the runtime checks each library against "
                        "the manifest written beside it before loading it)");
    return json::value_t::discarded;
  }
  std::stringstream text;
  text << file.rdbuf();
  json manifest = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.is_object())
    refuse(library, "its manifest " + path + " is not valid JSON");
  return manifest;
}

/// The features of `features` (a JSON array) this CPU lacks, comma
/// separated; empty if it has them all.
std::string missingFeatures(const json &features) {
  std::string missing;
  for (const json &feature : features)
    if (feature.is_string() && cpuHas(feature.get<std::string>()) == false)
      missing += (missing.empty() ? "" : ", ") + feature.get<std::string>();
  return missing;
}

std::string stringField(const json &object, const char *key) {
  auto field = object.find(key);
  return field != object.end() && field->is_string() ? field->get<std::string>() : "?";
}

/// Fails unless the manifest is of this runtime's format and this CPU has
/// every feature the library's code needs (of a library with several
/// variants, one of them: the first it can run is picked).
bool checkFormatAndCPU(const std::string &library, const json &manifest, Variant &picked) {
  auto format = manifest.find("format");
  if (format == manifest.end() || !format->is_string() ||
      *format != QC_ARTIFACT_FORMAT) {
    std::string found = format != manifest.end() && format->is_string()
                            ? format->get<std::string>()
                            : "none";
    return refuse(library, "it was built by an incompatible quantc (artifact "
                           "format " + found + "; this runtime loads " +
                           QC_ARTIFACT_FORMAT + "): compile the model again");
  }
  auto variants = manifest.find("variants");
  if (variants != manifest.end() && variants->is_array()) {
    std::string reasons;
    for (const json &variant : *variants) {
      auto features = variant.find("target_features");
      auto symbol = variant.find("run_symbol");
      if (features == variant.end() || !features->is_array() || symbol == variant.end() ||
          !symbol->is_string())
        return refuse(library, "its manifest has a variant without target_features or "
                               "run_symbol");
      std::string missing = missingFeatures(*features);
      if (missing.empty()) {
        picked = {symbol->get<std::string>(), stringField(variant, "target_cpu")};
        return true;
      }
      reasons += "; " + stringField(variant, "target_cpu_option") + " needs " + missing;
    }
    return refuse(library, "this CPU runs none of its variants" + reasons +
                               " (compile it for this CPU, e.g. --target-cpu=host)");
  }
  auto features = manifest.find("target_features");
  if (features == manifest.end() || !features->is_array()) {
    return refuse(library, "its manifest lacks target_features");
  }
  std::string missing = missingFeatures(*features);
  if (!missing.empty())
    return refuse(library, "it was compiled for --target-cpu=" +
                               stringField(manifest, "target_cpu") + " and this CPU lacks " +
                               missing + " (compile it for this CPU, e.g. --target-cpu=host)");
  picked = {"quantc_artifact_run", stringField(manifest, "target_cpu")};
  return true;
}

/// Fails unless the open file has the manifest's size and hash.
bool checkContents(const std::string &library, int fd, const json &manifest) {
  auto entry = manifest.find("library");
  if (entry == manifest.end() || !entry->is_object() ||
      !entry->contains("size") || !(*entry)["size"].is_number_unsigned() ||
      !entry->contains("xxh3_64") || !(*entry)["xxh3_64"].is_string()) {
    return refuse(library, "its manifest lacks the library's size and hash");
  }
  uint64_t expectedSize = (*entry)["size"].get<uint64_t>();
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return refuse(library, "not a regular file");
  }
  if (static_cast<uint64_t>(info.st_size) != expectedSize) {
    return refuse(library, "it has " + std::to_string(info.st_size) +
                               " bytes, its manifest says " +
                               std::to_string(expectedSize) + " (truncated or replaced?)");
  }
  std::string hash = quantc::hashLibraryBytes(nullptr, 0);
  if (info.st_size > 0) {
    void *bytes = mmap(nullptr, info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (bytes == MAP_FAILED) {
      return refuse(library, "cannot read it");
    }
    hash = quantc::hashLibraryBytes(bytes, info.st_size);
    munmap(bytes, info.st_size);
  }
  if ((*entry)["xxh3_64"] != hash) {
    return refuse(library, "its contents do not match its manifest (hash " + hash +
                               ", expected " + (*entry)["xxh3_64"].get<std::string>() +
                               "): the file is corrupted or belongs to another model");
  }
  return true;
}
} // namespace

int quantc::runtime::openVerifiedLibrary(const std::string &library, Variant &variant) {
  int fd = open(library.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    refuse(library, std::strerror(errno));
    return -1;
  }
  json manifest = readManifest(library, manifestPath(library));
  if (manifest.is_discarded() || !checkFormatAndCPU(library, manifest, variant) ||
      !checkContents(library, fd, manifest)) {
    close(fd);
    return -1;
  }
  return fd;
}

bool quantc::runtime::isMappedFrom(const void *symbol, int fd) {
  Dl_info info;
  struct stat checked;
  if (!dladdr(symbol, &info) || !info.dli_fbase || fstat(fd, &checked) != 0)
    return false;
  // The mapping that holds the library's base names its file's inode.
  auto base = reinterpret_cast<uintptr_t>(info.dli_fbase);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    uintptr_t start = 0, end = 0;
    unsigned long long offset = 0, inode = 0;
    char perms[8], device[16];
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %7s %llx %15s %llu",
                    &start, &end, perms, &offset, device, &inode) == 6 &&
        start <= base && base < end)
      return inode == static_cast<unsigned long long>(checked.st_ino);
  }
  return false;
}
