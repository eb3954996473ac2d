//===- Threads.cpp - the artifact's worker pool -----------------*- C++ -*-===//
//
// One pool per artifact serves every thread that runs the model at the same
// time. Each parallelFor posts a job that its caller drains itself, so a
// caller never waits for a worker to be free: concurrent callers cannot
// deadlock, and each job admits at most (the caller's thread count - 1)
// helpers, so models run with their own thread counts side by side.
//
// Layers take tens of microseconds, so handing out work must cost far less:
// workers spin on the post counter for a while after each job before they
// sleep, and chunks are handed out through an atomic counter.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include <immintrin.h>

namespace {
/// Spin iterations (each a pause) before a worker sleeps: about 100 µs.
constexpr int kSpins = 20000;

/// Threads (the caller included) that this thread's runs may use; set by
/// quantc_artifact_set_num_threads before each run.
thread_local int callThreads = 1;

/// One parallelFor in flight; lives on its caller's stack.
struct Job {
  quantc::kernels::ChunkFn fn;
  void *context;
  int64_t chunks;
  int maxHelpers;
  int helpers = 0; // workers that joined; guarded by the pool's mutex
  std::atomic<int64_t> next{0};
  std::atomic<int> active{0}; // helpers still inside drain()
  Job *nextJob = nullptr;     // the pool's list of open jobs

  void drain() {
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < chunks;)
      fn(context, i);
  }
  bool wantsHelp() const {
    return helpers < maxHelpers && next.load(std::memory_order_relaxed) < chunks;
  }
};

class ThreadPool {
public:
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      posted.fetch_add(1);
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }

  /// Makes sure `count` workers exist; the pool never shrinks while the
  /// artifact is loaded (idle workers sleep).
  void reserve(int count) {
    if (count <= workerCount.load(std::memory_order_acquire))
      return;
    std::lock_guard<std::mutex> lock(mutex);
    while (static_cast<int>(workers.size()) < count)
      workers.emplace_back([this] { work(); });
    workerCount.store(static_cast<int>(workers.size()), std::memory_order_release);
  }

  void run(int64_t chunks, quantc::kernels::ChunkFn fn, void *context) {
    int helpers = static_cast<int>(std::min<int64_t>(callThreads - 1, chunks - 1));
    if (helpers <= 0 || workerCount.load(std::memory_order_relaxed) == 0) {
      for (int64_t i = 0; i < chunks; ++i)
        fn(context, i);
      return;
    }
    Job job{fn, context, chunks, helpers};
    {
      std::lock_guard<std::mutex> lock(mutex);
      job.nextJob = open;
      open = &job;
      posted.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    job.drain();
    {
      std::lock_guard<std::mutex> lock(mutex);
      Job **link = &open;
      while (*link != &job)
        link = &(*link)->nextJob;
      *link = job.nextJob;
    }
    // Unlinked: no helper joins any more; wait for those inside.
    while (job.active.load(std::memory_order_acquire) != 0)
      _mm_pause();
  }

private:
  void work() {
    uint64_t seen = posted.load();
    for (;;) {
      Job *job = nullptr;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping)
          return;
        seen = posted.load(std::memory_order_relaxed);
        for (Job *j = open; j && !job; j = j->nextJob)
          if (j->wantsHelp())
            job = j;
        if (job) {
          ++job->helpers;
          job->active.fetch_add(1, std::memory_order_relaxed);
        }
      }
      if (job) {
        job->drain();
        job->active.fetch_sub(1, std::memory_order_release);
        continue; // other callers' jobs may still want help
      }
      waitForPost(seen);
    }
  }

  /// Spins briefly for a job posted after `seen`, then sleeps.
  void waitForPost(uint64_t seen) {
    for (int spins = 0; spins < kSpins; ++spins) {
      if (posted.load(std::memory_order_acquire) != seen)
        return;
      _mm_pause();
    }
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait(lock, [&] { return posted.load() != seen; });
  }

  std::mutex mutex;
  std::condition_variable wake;
  std::vector<std::thread> workers;
  std::atomic<int> workerCount{0};
  Job *open = nullptr; // jobs whose callers have not finished; guarded by mutex
  std::atomic<uint64_t> posted{0};
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

int quantc::kernels::threadBudget() { return callThreads; }

extern "C" void quantc_parallel_range(void (*fn)(void *, int64_t, int64_t), void *context,
                                      int64_t extent, int64_t align) {
  quantc::kernels::forEachAlignedSlice(extent, align, /*parallel=*/true,
                                       [&](int64_t begin, int64_t end) { fn(context, begin, end); });
}

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
    slots.data[slot] = quantc::kernels::allocateBuffer(rounded);
    slots.size[slot] = rounded;
  }
  return slots.data[slot];
}

// The one symbol of this library that artifacts export (the runtime calls
// it before each run); everything else is hidden.
/// Runs started on the calling thread from now on use up to `threads`
/// threads: the caller and threads - 1 of the pool's workers.
extern "C" __attribute__((visibility("default"))) void
quantc_artifact_set_num_threads(int32_t threads) {
  callThreads = threads < 1 ? 1 : threads;
  pool().reserve(callThreads - 1);
}

void quantc::kernels::forEachChunk(int64_t chunks, ChunkFn fn, void *context, bool parallel) {
  if (parallel)
    return parallelFor(chunks, fn, context);
  for (int64_t i = 0; i < chunks; ++i)
    fn(context, i);
}
