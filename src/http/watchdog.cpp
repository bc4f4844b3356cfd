// The deadline thread.
#include "http/watchdog.h"

#include <algorithm>

#include "runtime/runtime.h"

namespace wisp::http {

namespace {
// While requests arrive, the thread wakes this often even with nothing due, so arming
// a later deadline needs no wake-up. After a second without requests it sleeps until
// notified.
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr auto kIdleAfter = std::chrono::seconds(1);
}  // namespace

Watchdog::Watchdog() {
  thread_ = std::thread([this] { run(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

uint64_t Watchdog::arm(runtime::Store* store, Clock::time_point deadline) {
  bool wake = false;
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ticket = nextTicket_++;
    active_.push_back({ticket, store, deadline});
    lastArm_ = Clock::now();
    wake = deadline < sleepUntil_;
    if (wake) sleepUntil_ = deadline;  // one notification is enough until it wakes
  }
  if (wake) cv_.notify_one();
  return ticket;
}

bool Watchdog::disarm(uint64_t ticket) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(active_.begin(), active_.end(),
                         [&](const Entry& e) { return e.ticket == ticket; });
  if (it == active_.end()) return true;  // fired and removed by run()
  *it = active_.back();
  active_.pop_back();
  return false;
}

void Watchdog::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    for (size_t i = 0; i < active_.size();) {
      if (active_[i].deadline <= now) {
        // Under mutex_: disarm() cannot return (and the store cannot be destroyed)
        // while this runs.
        active_[i].store->interrupt();
        active_[i] = active_.back();
        active_.pop_back();
      } else {
        next = std::min(next, active_[i].deadline);
        i++;
      }
    }
    if (now - lastArm_ < kIdleAfter) next = std::min(next, now + kTick);
    sleepUntil_ = next;
    if (next == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, next);
    }
  }
}

}  // namespace wisp::http
