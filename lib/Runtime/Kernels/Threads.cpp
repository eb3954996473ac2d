//===- Threads.cpp - the artifact's worker pool -----------------*- C++ -*-===//
#include "Kernels.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace {
/// A fixed pool: parallelFor hands out chunk indices through an atomic
/// counter; the caller's thread works too.
class ThreadPool {
public:
  ~ThreadPool() { resize(1); }

  void resize(int threads) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      ++generation;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
    workers.clear();
    stopping = false;
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this] { work(); });
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
      next = 0;
      pending = static_cast<int>(workers.size());
      ++generation;
    }
    wake.notify_all();
    drain();
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [this] { return pending == 0; });
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

  void work() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation != seen; });
        seen = generation;
        if (stopping)
          return;
      }
      drain();
      std::lock_guard<std::mutex> lock(mutex);
      if (--pending == 0)
        done.notify_one();
    }
  }

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, done;
  Task task;
  std::atomic<int64_t> next{0};
  int pending = 0;
  uint64_t generation = 0;
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

// The one symbol of this library that artifacts export (the runtime looks
// it up); everything else is hidden.
extern "C" __attribute__((visibility("default"))) void
quantc_artifact_set_num_threads(int32_t threads) {
  pool().resize(threads < 1 ? 1 : threads);
}
