// The handlers `wisp serve` runs, independent of HTTP: the route table (compiled
// modules with their imports resolved once, per-route limits and metrics), running one
// request in a fresh sandboxed instance, the native comparison handler, and hot reload.
//
// The route table is immutable and swapped whole: a request holds the table it was
// routed with (a shared_ptr) until it is answered, so a reload never changes a module
// under a running request and never drops one; new requests see the new table at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "decoder/result.h"
#include "http/cgi.h"
#include "http/config.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/watchdog.h"
#include "runtime/runtime.h"

namespace wisp::http {

/// Identity of a module file's contents as the file system sees them: a changed
/// inode, size or mtime means "reload".
struct FileKey {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtimeNs = 0;
  bool operator==(const FileKey&) const = default;
};

/// A handler module compiled once, shared by every route (and request) using it.
struct HandlerModule {
  std::string path;
  FileKey key;
  std::shared_ptr<runtime::Module> module;
  std::shared_ptr<runtime::InstancePre> pre;  // imports (WASI) resolved once
  uint64_t minMemoryBytes = 0;                // the module's initial memory
};

struct Route {
  RouteConfig config;
  std::shared_ptr<const HandlerModule> module;  // null for native routes
  RouteMetrics* metrics = nullptr;              // lives as long as the process
};

struct RouteTable {
  std::shared_ptr<const Config> config;
  std::vector<Route> routes;
  Router router;
};

/// What running a handler produced: the response to send, or why there is none.
struct HandlerResult {
  Outcome outcome = Outcome::Ok;
  unsigned status = 200;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string detail;      // internal explanation, for the server's log only
  std::string stderrText;  // what the handler wrote to stderr (capped)
  jit::TrapKind trap = jit::TrapKind::None;
  double instantiateSeconds = 0;
  double runSeconds = 0;
  uint64_t peakMemoryBytes = 0;
};

/// The generic response for a failure: status and a body that says nothing internal.
HandlerResult errorResult(Outcome outcome, unsigned status, std::string detail = {});

class App {
 public:
  /// Compiles every module of `config`; the error names the route's file:line.
  /// Sizes the memory pools for max_guests instances at once.
  static Result<std::unique_ptr<App>> create(Config config, Metrics& metrics);
  ~App();

  std::shared_ptr<const RouteTable> table() const { return table_.load(); }
  runtime::Engine& engine() { return *engine_; }

  /// Runs `route`'s handler for one request in a fresh instance, on the calling
  /// thread. `done` receives the result as soon as it is known — before the instance
  /// is torn down, so the response can go out while its memory is being reset.
  void runWasm(const Route& route, const CgiRequest& request, std::string body,
               const std::function<void(HandlerResult&&)>& done);
  /// The built-in handler of a native route (the same work as examples/handlers/hello.c).
  static HandlerResult runNative(const Route& route, const CgiRequest& request);

  /// Starts the thread that reloads changed modules (every `pollMs`, 0: only when
  /// asked) and, when asked with config=true, the whole config file.
  void startReloader(uint32_t pollMs);
  /// SIGHUP: re-read the config file and rebuild the routes.
  void requestReload();
  /// Synchronous forms, for the reloader thread and tests. checkModules returns true
  /// when the table changed.
  bool checkModules();
  Result<void> reloadConfig();

 private:
  App(Metrics& metrics) : metrics_(metrics) {}
  // Builds a table for `config`, compiling modules not already loaded. With
  // keepOnError, a module that fails to compile keeps the route's previous module.
  Result<std::shared_ptr<const RouteTable>> build(std::shared_ptr<const Config> config,
                                                  const RouteTable* previous, bool keepOnError);
  Result<std::shared_ptr<const HandlerModule>> loadModule(const std::string& path);
  void reloaderLoop(uint32_t pollMs);

  Metrics& metrics_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<runtime::Linker> linker_;
  std::unique_ptr<Watchdog> watchdog_;
  std::atomic<std::shared_ptr<const RouteTable>> table_;

  std::mutex reloadMutex_;                     // one build at a time (reloader thread, tests)
  std::map<std::string, FileKey> failedKeys_;  // module versions that did not compile

  std::mutex wakeMutex_;
  std::condition_variable wakeCv_;
  bool reloadRequested_ = false;
  bool stop_ = false;
  std::thread reloader_;
};

}  // namespace wisp::http
