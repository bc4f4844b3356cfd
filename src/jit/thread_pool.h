// A small fixed-size thread pool for compiling a module's functions in parallel.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wisp::jit {

class ThreadPool {
 public:
  /// `workers` threads besides the caller (0: the caller works alone). Threads start
  /// on first use, so processes that never compile in parallel never create them.
  explicit ThreadPool(unsigned workers) : workers_(workers) {}
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Runs fn(worker) on `workers` participants (the caller is worker 0) and waits.
  /// `workers` is capped at size() + 1.
  void run(unsigned workers, const std::function<void(unsigned worker)>& fn);
  unsigned size() const { return workers_; }

 private:
  void loop(unsigned index);

  unsigned workers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(unsigned)>* job_ = nullptr;
  unsigned jobWorkers_ = 0;
  unsigned pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::mutex runMutex_;  // one job at a time
};

}  // namespace wisp::jit
