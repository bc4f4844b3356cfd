#include "jit/thread_pool.h"

namespace wisp::jit {

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::run(unsigned workers, const std::function<void(unsigned)>& fn) {
  std::lock_guard<std::mutex> runLock(runMutex_);
  if (workers > size() + 1) workers = size() + 1;
  if (workers <= 1) {
    fn(0);
    return;
  }
  if (threads_.empty()) {
    for (unsigned i = 0; i < workers_; i++) threads_.emplace_back([this, i] { loop(i + 1); });
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    jobWorkers_ = workers;
    pending_ = workers - 1;
    generation_++;
  }
  wake_.notify_all();
  fn(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void ThreadPool::loop(unsigned index) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(unsigned)>* job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (index >= jobWorkers_) continue;  // not needed for this job
      job = job_;
    }
    (*job)(index);
    std::lock_guard<std::mutex> lock(mutex_);
    if (--pending_ == 0) done_.notify_all();
  }
}

}  // namespace wisp::jit
