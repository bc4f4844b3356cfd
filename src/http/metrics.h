// Metrics of `wisp serve`, rendered in the Prometheus text format (version 0.0.4).
// Counters are relaxed atomics bumped on the request path (no locks); a route's series
// live as long as the process, across reloads, since Prometheus counters must never go
// backwards while the process lives.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "jit/vmcontext.h"

namespace wisp::http {

/// A histogram with fixed bucket bounds (in seconds, as Prometheus prefers).
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double seconds);
  /// Appends the _bucket, _sum and _count series; `labels` is `route="x"` or empty.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative) + overflow
  std::atomic<uint64_t> sumNanos_{0};
  std::atomic<uint64_t> count_{0};
};

/// Why a request failed, as far as the route is concerned (labels and log words).
enum class Outcome : uint8_t {
  Ok,           // the handler answered (whatever status it chose)
  Trap,         // 500
  Deadline,     // 504: interrupted at the route's timeout
  BadResponse,  // 502: malformed CGI output, or more than max_response
  ExitStatus,   // 500: the handler exited with a non-zero status
  Overload,     // 503: the route at max_concurrency, or the server at max_guests
  Error,        // 500: instantiation failed (e.g. out of memory reservations)
  NoRoute,      // 404
  Count,
};
const char* outcomeName(Outcome outcome);

constexpr size_t kTrapKinds = static_cast<size_t>(jit::TrapKind::Exit) + 1;
/// snake_case label of a trap kind ("unreachable", "out_of_bounds_memory_access", ...).
const char* trapLabel(jit::TrapKind kind);

struct RouteMetrics {
  explicit RouteMetrics(std::string routeName);
  void countStatus(unsigned status);
  void notePeakMemory(uint64_t bytes);

  const std::string name;
  std::atomic<uint64_t> requests{0};
  std::array<std::atomic<uint64_t>, 5> statusClasses{};  // 1xx .. 5xx
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Outcome::Count)> outcomes{};
  std::array<std::atomic<uint64_t>, kTrapKinds> traps{};
  std::atomic<uint64_t> deadlineKills{0};
  std::atomic<uint64_t> peakMemoryBytes{0};
  /// Instances running now; also the route's concurrency gate.
  std::atomic<int64_t> inflight{0};
  std::atomic<uint64_t> reloads{0};
  std::atomic<uint64_t> reloadFailures{0};
  Histogram latency;      // request received -> response ready
  Histogram instantiate;  // fresh Store + WASI context + instance
  Histogram run;          // _start
};

/// Protocol-level failures, counted per kind.
enum class HttpError : uint8_t {
  BadRequest,      // 400
  HeaderTooLarge,  // 431
  BodyTooLarge,    // 413
  Timeout,         // 408 or a connection closed for being too slow
  Version,         // 505
  Count,
};

class Metrics {
 public:
  /// The series of route `name`, created on first use; the pointer stays valid.
  RouteMetrics* route(const std::string& name);
  /// The route-less requests (404s, the metrics endpoint itself does not count).
  RouteMetrics* unrouted() { return route("(none)"); }

  void countHttpError(HttpError e) {
    httpErrors[static_cast<size_t>(e)].fetch_add(1, std::memory_order_relaxed);
  }

  std::atomic<int64_t> connectionsOpen{0};
  std::atomic<uint64_t> connectionsAccepted{0};
  std::atomic<uint64_t> connectionsRefused{0};  // over max_connections
  std::array<std::atomic<uint64_t>, static_cast<size_t>(HttpError::Count)> httpErrors{};
  std::atomic<uint64_t> ioThreads{0};
  std::atomic<int64_t> guestsRunning{0};
  std::atomic<int64_t> helperThreads{0};
  std::atomic<uint64_t> helperSpawns{0};
  std::atomic<uint64_t> logDropped{0};
  std::atomic<uint64_t> configReloads{0};
  std::atomic<uint64_t> configReloadFailures{0};

  /// The whole exposition.
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<RouteMetrics>> routes_;
};

}  // namespace wisp::http
