//===- Memory.cpp - the buffers of lowered memref.alloc ---------*- C++ -*-===//
//
// Artifacts lower memref.alloc / memref.dealloc to finalize-memref-to-llvm's
// generic allocation functions, served here from a pool of freed blocks
// reused by size. A model allocates the same intermediate sizes every run,
// so after the first run no run maps fresh pages (which the kernel zeroes on
// first touch) or unmaps them again: with malloc, every large intermediate
// cost page faults on every run.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include <sys/mman.h>

namespace {
constexpr uint64_t kAlignment = 64; // a cache line, and AVX-512 loads

struct Pool {
  std::mutex mutex;
  std::multimap<uint64_t, void *> freeBlocks;       // by rounded size
  std::unordered_map<void *, uint64_t> blockSizes; // every block handed out

  void *allocate(uint64_t size, uint64_t alignment) {
    size = (size + kAlignment - 1) / kAlignment * kAlignment;
    if (alignment > kAlignment) // rare: served outside the pool
      return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
    std::lock_guard<std::mutex> lock(mutex);
    auto it = freeBlocks.find(size);
    if (it != freeBlocks.end()) {
      void *block = it->second;
      freeBlocks.erase(it);
      return block;
    }
    void *block = quantc::kernels::allocateBuffer(size ? size : kAlignment);
    if (block)
      blockSizes[block] = size;
    return block;
  }

  void release(void *block) {
    if (!block)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = blockSizes.find(block);
    if (it == blockSizes.end()) {
      std::free(block); // an over-aligned block
      return;
    }
    freeBlocks.emplace(it->second, block);
  }

  ~Pool() {
    for (auto &[size, block] : freeBlocks)
      std::free(block);
  }
};

/// Destroyed when the library unloads (dlclose, or exit), with its cached
/// buffers: a server that reloads models must not keep every version's
/// intermediates. Runs have finished by then.
Pool &pool() {
  static Pool instance;
  return instance;
}
} // namespace

void *quantc::kernels::allocateBuffer(uint64_t bytes) {
  constexpr uint64_t hugePage = uint64_t(2) << 20;
  if (bytes < kHugePageMinBytes)
    return std::aligned_alloc(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  uint64_t rounded = (bytes + hugePage - 1) / hugePage * hugePage;
  void *block = std::aligned_alloc(hugePage, rounded);
  if (block)
    madvise(block, rounded, MADV_HUGEPAGE); // advice only: failure changes nothing
  return block;
}

namespace {
/// Whether huge-page copies of weights pay: the kernel has transparent huge
/// pages and QUANTC_HUGE_PAGE_WEIGHTS=0 does not decline the memory.
bool copiesWeightsToHugePages() {
  static const bool enabled = [] {
    if (const char *setting = std::getenv("QUANTC_HUGE_PAGE_WEIGHTS");
        setting && !std::strcmp(setting, "0"))
      return false;
    std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string setting((std::istreambuf_iterator<char>(file)), {});
    return setting.find("[never]") == std::string::npos && !setting.empty();
  }();
  return enabled;
}

/// The huge-page copies by original address; destroyed with the library,
/// whose weights they copy.
struct HugePageCopies {
  std::shared_mutex mutex;
  std::unordered_map<const int8_t *, std::unique_ptr<int8_t, decltype(&std::free)>> copies;
};
HugePageCopies &hugePageCopies() {
  static HugePageCopies instance;
  return instance;
}
} // namespace

const int8_t *quantc::kernels::hugePageCopy(const int8_t *data, int64_t bytes) {
  if (bytes < static_cast<int64_t>(kHugePageMinBytes) || !copiesWeightsToHugePages())
    return data;
  HugePageCopies &cache = hugePageCopies();
  {
    std::shared_lock<std::shared_mutex> lock(cache.mutex);
    auto it = cache.copies.find(data);
    if (it != cache.copies.end())
      return it->second.get();
  }
  std::unique_lock<std::shared_mutex> lock(cache.mutex);
  auto &copy = cache.copies.try_emplace(data, nullptr, &std::free).first->second;
  if (!copy) {
    copy.reset(static_cast<int8_t *>(allocateBuffer(bytes)));
    if (!copy)
      return data;
    std::memcpy(copy.get(), data, bytes);
  }
  return copy.get();
}

extern "C" void *_mlir_memref_to_llvm_alloc(uint64_t size) {
  return pool().allocate(size, kAlignment);
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment,
                                                    uint64_t size) {
  return pool().allocate(size, alignment);
}

extern "C" void _mlir_memref_to_llvm_free(void *block) { pool().release(block); }
