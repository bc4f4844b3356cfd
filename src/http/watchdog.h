// Deadlines for running handlers: one thread interrupts a Store (Store::interrupt, so
// the guest traps with TrapKind::Interrupted at its next function entry or loop
// header, or gives up a blocking WASI call) when its request's time is up.
//
// Arming and disarming take one uncontended lock and usually no system call: the
// thread sleeps until the earliest deadline, and while requests keep coming it also
// wakes every 100 ms, so a new deadline that is later than its wake-up needs no
// notification. Disarm guarantees the store is no longer touched once it returns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace wisp::runtime {
class Store;
}

namespace wisp::http {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Interrupts `store` at `deadline` unless disarmed first; returns a ticket.
  uint64_t arm(runtime::Store* store, Clock::time_point deadline);
  /// Cancels a ticket; true when its deadline had already fired.
  bool disarm(uint64_t ticket);

 private:
  struct Entry {
    uint64_t ticket;
    runtime::Store* store;
    Clock::time_point deadline;
  };
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Entry> active_;  // at most one per running guest: a scan beats a heap
  uint64_t nextTicket_ = 1;
  Clock::time_point sleepUntil_ = Clock::time_point::max();
  Clock::time_point lastArm_{};
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace wisp::http
