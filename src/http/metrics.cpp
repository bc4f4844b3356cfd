// Metrics: histograms and the Prometheus text exposition.
#include "http/metrics.h"

#include <cinttypes>
#include <cstdio>

namespace wisp::http {

namespace {

constexpr double kLatencyBounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
// Instantiation is meant to take microseconds: the buckets resolve them.
constexpr double kInstantiateBounds[] = {0.000001, 0.0000025, 0.000005, 0.00001, 0.000025,
                                         0.00005,  0.0001,    0.00025,  0.001,   0.01};

void appendDouble(std::string& out, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

void appendU64(std::string& out, uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%" PRIu64, v);
  out += buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// `name{labels} value`.
void sample(std::string& out, const std::string& name, const std::string& labels, uint64_t v) {
  out += name;
  if (!labels.empty()) out += '{' + labels + '}';
  out += ' ';
  appendU64(out, v);
  out += '\n';
}

// Route names are [A-Za-z0-9_.-] (config.cpp), so they need no escaping.
std::string routeLabel(const RouteMetrics& r) { return "route=\"" + r.name + "\""; }

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); i++) counts_[i].store(0);
}

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) i++;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sumNanos_.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); i++) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    out += name + "_bucket{" + labels + sep + "le=\"";
    if (i < bounds_.size()) {
      appendDouble(out, bounds_[i]);
    } else {
      out += "+Inf";
    }
    out += "\"} ";
    appendU64(out, cumulative);
    out += '\n';
  }
  out += name + "_sum";
  if (!labels.empty()) out += '{' + labels + '}';
  out += ' ';
  appendDouble(out, sumNanos_.load(std::memory_order_relaxed) / 1e9);
  out += '\n';
  sample(out, name + "_count", labels, count_.load(std::memory_order_relaxed));
}

const char* outcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::Ok:
      return "ok";
    case Outcome::Trap:
      return "trap";
    case Outcome::Deadline:
      return "deadline";
    case Outcome::BadResponse:
      return "bad_response";
    case Outcome::ExitStatus:
      return "exit_status";
    case Outcome::Overload:
      return "overload";
    case Outcome::Error:
      return "error";
    case Outcome::NoRoute:
      return "no_route";
    case Outcome::Count:
      break;
  }
  return "?";
}

const char* trapLabel(jit::TrapKind kind) {
  using K = jit::TrapKind;
  switch (kind) {
    case K::None:
      return "none";
    case K::Unreachable:
      return "unreachable";
    case K::IntegerDivideByZero:
      return "integer_divide_by_zero";
    case K::IntegerOverflow:
      return "integer_overflow";
    case K::InvalidConversionToInteger:
      return "invalid_conversion_to_integer";
    case K::OutOfBoundsMemoryAccess:
      return "out_of_bounds_memory_access";
    case K::OutOfBoundsTableAccess:
      return "out_of_bounds_table_access";
    case K::IndirectCallTypeMismatch:
      return "indirect_call_type_mismatch";
    case K::UndefinedElement:
      return "undefined_element";
    case K::UninitializedElement:
      return "uninitialized_element";
    case K::NullReference:
      return "null_reference";
    case K::StackOverflow:
      return "stack_overflow";
    case K::Interrupted:
      return "interrupted";
    case K::OutOfFuel:
      return "out_of_fuel";
    case K::HostError:
      return "host_error";
    case K::Exit:
      return "exit";
  }
  return "unknown";
}

RouteMetrics::RouteMetrics(std::string routeName)
    : name(std::move(routeName)),
      latency(kLatencyBounds),
      instantiate(kInstantiateBounds),
      run(kLatencyBounds) {}

void RouteMetrics::countStatus(unsigned status) {
  if (status >= 100 && status < 600) {
    statusClasses[status / 100 - 1].fetch_add(1, std::memory_order_relaxed);
  }
}

void RouteMetrics::notePeakMemory(uint64_t bytes) {
  uint64_t seen = peakMemoryBytes.load(std::memory_order_relaxed);
  while (bytes > seen &&
         !peakMemoryBytes.compare_exchange_weak(seen, bytes, std::memory_order_relaxed)) {
  }
}

RouteMetrics* Metrics::route(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = routes_[name];
  if (!slot) slot = std::make_unique<RouteMetrics>(name);
  return slot.get();
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out.reserve(4096 + routes_.size() * 8192);
  auto perRoute = [&](const char* name, const char* type, const char* help, auto value) {
    header(out, name, type, help);
    for (const auto& [_, r] : routes_) sample(out, name, routeLabel(*r), value(*r));
  };
  perRoute("wisp_requests_total", "counter", "Requests routed to the route.",
           [](const RouteMetrics& r) { return r.requests.load(); });

  header(out, "wisp_responses_total", "counter", "Responses by status class.");
  for (const auto& [_, r] : routes_) {
    for (size_t c = 0; c < r->statusClasses.size(); c++) {
      sample(out, "wisp_responses_total",
             routeLabel(*r) + ",code=\"" + std::to_string(c + 1) + "xx\"",
             r->statusClasses[c].load());
    }
  }
  header(out, "wisp_request_outcomes_total", "counter",
         "Requests by outcome (ok, trap, deadline, bad_response, exit_status, overload, "
         "error, no_route).");
  for (const auto& [_, r] : routes_) {
    for (size_t o = 0; o < r->outcomes.size(); o++) {
      if (const uint64_t v = r->outcomes[o].load(); v || o == 0) {
        sample(out, "wisp_request_outcomes_total",
               routeLabel(*r) + ",outcome=\"" + outcomeName(static_cast<Outcome>(o)) + "\"", v);
      }
    }
  }
  header(out, "wisp_traps_total", "counter", "Handler traps by kind (deadline kills included).");
  for (const auto& [_, r] : routes_) {
    for (size_t k = 1; k < r->traps.size(); k++) {
      if (const uint64_t v = r->traps[k].load()) {
        sample(out, "wisp_traps_total",
               routeLabel(*r) + ",kind=\"" + trapLabel(static_cast<jit::TrapKind>(k)) + "\"", v);
      }
    }
  }
  perRoute("wisp_deadline_kills_total", "counter", "Handlers interrupted at the route's timeout.",
           [](const RouteMetrics& r) { return r.deadlineKills.load(); });
  perRoute("wisp_guest_memory_peak_bytes", "gauge",
           "Largest linear memory any instance of the route reached.",
           [](const RouteMetrics& r) { return r.peakMemoryBytes.load(); });
  perRoute("wisp_instances_running", "gauge", "Instances of the route running now.",
           [](const RouteMetrics& r) { return static_cast<uint64_t>(r.inflight.load()); });
  perRoute("wisp_module_reloads_total", "counter", "Hot reloads of the route's module.",
           [](const RouteMetrics& r) { return r.reloads.load(); });
  perRoute("wisp_module_reload_failures_total", "counter",
           "Changed modules that failed to load (the old one stays).",
           [](const RouteMetrics& r) { return r.reloadFailures.load(); });

  header(out, "wisp_request_duration_seconds", "histogram",
         "From the complete request to the response being ready.");
  for (const auto& [_, r] : routes_) {
    r->latency.render(out, "wisp_request_duration_seconds", routeLabel(*r));
  }
  header(out, "wisp_instantiate_duration_seconds", "histogram",
         "Creating the fresh instance (store, WASI context, instantiation).");
  for (const auto& [_, r] : routes_) {
    r->instantiate.render(out, "wisp_instantiate_duration_seconds", routeLabel(*r));
  }
  header(out, "wisp_run_duration_seconds", "histogram", "Running the handler's _start.");
  for (const auto& [_, r] : routes_) {
    r->run.render(out, "wisp_run_duration_seconds", routeLabel(*r));
  }

  header(out, "wisp_connections_open", "gauge", "Open client connections.");
  sample(out, "wisp_connections_open", "", static_cast<uint64_t>(connectionsOpen.load()));
  header(out, "wisp_connections_accepted_total", "counter", "Accepted client connections.");
  sample(out, "wisp_connections_accepted_total", "", connectionsAccepted.load());
  header(out, "wisp_connections_refused_total", "counter",
         "Connections closed at accept because max_connections were open.");
  sample(out, "wisp_connections_refused_total", "", connectionsRefused.load());
  header(out, "wisp_http_errors_total", "counter", "Requests refused at the protocol level.");
  static const char* const kErrorNames[] = {"bad_request", "header_too_large", "body_too_large",
                                            "timeout", "version"};
  for (size_t e = 0; e < httpErrors.size(); e++) {
    sample(out, "wisp_http_errors_total", std::string("reason=\"") + kErrorNames[e] + "\"",
           httpErrors[e].load());
  }
  header(out, "wisp_io_threads", "gauge", "io threads (each also runs short handlers inline).");
  sample(out, "wisp_io_threads", "", ioThreads.load());
  header(out, "wisp_guests_running", "gauge", "Handlers running now, all routes.");
  sample(out, "wisp_guests_running", "",
         static_cast<uint64_t>(std::max<int64_t>(0, guestsRunning.load())));
  header(out, "wisp_helper_threads", "gauge",
         "Extra threads serving io while long-running handlers hold the io threads.");
  sample(out, "wisp_helper_threads", "",
         static_cast<uint64_t>(std::max<int64_t>(0, helperThreads.load())));
  header(out, "wisp_helper_spawns_total", "counter", "Helper threads started.");
  sample(out, "wisp_helper_spawns_total", "", helperSpawns.load());
  header(out, "wisp_access_log_dropped_total", "counter",
         "Access log lines dropped because the log could not keep up.");
  sample(out, "wisp_access_log_dropped_total", "", logDropped.load());
  header(out, "wisp_config_reloads_total", "counter", "Config reloads (SIGHUP) applied.");
  sample(out, "wisp_config_reloads_total", "", configReloads.load());
  header(out, "wisp_config_reload_failures_total", "counter",
         "Config reloads refused (the running config stays).");
  sample(out, "wisp_config_reload_failures_total", "", configReloadFailures.load());
  return out;
}

}  // namespace wisp::http
