//===- Threads.cpp - the artifact's worker pool -----------------*- C++ -*-===//
//
// Layers take tens of microseconds, so handing out work must cost far less:
// workers spin on a generation counter for a while after each job before
// they sleep, and the caller spins on the completion count. Chunks are
// handed out through an atomic counter; the calling thread works too.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <immintrin.h>

namespace {
/// Spin iterations (each a pause) before a worker sleeps: about 100 µs.
constexpr int kSpins = 20000;

class ThreadPool {
public:
  ~ThreadPool() { resize(1); }

  void resize(int threads) {
    if (threads == size())
      return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      generation.fetch_add(1);
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
    workers.clear();
    stopping = false;
    // Workers start from the current generation: one that starts late must
    // not take the first job for one it has seen.
    uint64_t current = generation.load();
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this, current] { work(current); });
  }

  int size() const { return static_cast<int>(workers.size()) + 1; }

  void run(int64_t chunks, quantc::kernels::ChunkFn fn, void *context) {
    if (workers.empty() || chunks <= 1) {
      for (int64_t i = 0; i < chunks; ++i)
        fn(context, i);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      task = {fn, context, chunks};
      next.store(0);
      pending.store(static_cast<int>(workers.size()));
      generation.fetch_add(1);
    }
    wake.notify_all();
    drain();
    while (pending.load(std::memory_order_acquire) != 0)
      _mm_pause();
  }

private:
  struct Task {
    quantc::kernels::ChunkFn fn = nullptr;
    void *context = nullptr;
    int64_t chunks = 0;
  };

  void drain() {
    for (int64_t i; (i = next.fetch_add(1)) < task.chunks;)
      task.fn(task.context, i);
  }

  void work(uint64_t seen) {
    for (;;) {
      // Spin briefly for the next job, then sleep.
      int spins = 0;
      while (generation.load(std::memory_order_acquire) == seen && spins < kSpins) {
        _mm_pause();
        ++spins;
      }
      if (generation.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation.load() != seen; });
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        seen = generation.load();
        if (stopping)
          return;
      }
      drain();
      pending.fetch_sub(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  Task task;
  std::atomic<int64_t> next{0};
  std::atomic<int> pending{0};
  std::atomic<uint64_t> generation{0};
  bool stopping = false;
};

ThreadPool &pool() {
  static ThreadPool instance;
  return instance;
}
} // namespace

void quantc::kernels::parallelFor(int64_t chunks, ChunkFn fn, void *context) {
  pool().run(chunks, fn, context);
}

int quantc::kernels::numThreads() { return pool().size(); }

namespace {
/// Grow-only aligned buffers; freed when the thread exits.
struct ScratchSlots {
  void *data[quantc::kernels::kNumScratchSlots] = {};
  int64_t size[quantc::kernels::kNumScratchSlots] = {};
  ~ScratchSlots() {
    for (void *p : data)
      std::free(p);
  }
};
} // namespace

void *quantc::kernels::scratch(ScratchSlot slot, int64_t bytes) {
  thread_local ScratchSlots slots;
  if (bytes > slots.size[slot]) {
    std::free(slots.data[slot]);
    int64_t rounded = (bytes + 4095) / 4096 * 4096;
    slots.data[slot] = std::aligned_alloc(64, rounded);
    slots.size[slot] = rounded;
  }
  return slots.data[slot];
}

// The one symbol of this library that artifacts export (the runtime looks
// it up); everything else is hidden.
extern "C" __attribute__((visibility("default"))) void
quantc_artifact_set_num_threads(int32_t threads) {
  pool().resize(threads < 1 ? 1 : threads);
}
