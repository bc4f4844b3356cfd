// App: loading modules, building route tables, running a request in a fresh instance,
// and hot reload.
#include "http/app.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "http/log.h"
#include "wasi/wasi.h"

namespace wisp::http {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Largest module file accepted (clang.wasm, among the largest real modules, is 75 MB).
constexpr uint64_t kMaxModuleBytes = 512ull << 20;

FileKey keyOf(const struct stat& st) {
  return FileKey{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                 static_cast<uint64_t>(st.st_size),
                 static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

bool statKey(const std::string& path, FileKey& key) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return false;
  key = keyOf(st);
  return true;
}

const char* reasonPhrase(unsigned status) {
  switch (status) {
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace

HandlerResult errorResult(Outcome outcome, unsigned status, std::string detail) {
  HandlerResult r;
  r.outcome = outcome;
  r.status = status;
  r.detail = std::move(detail);
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::to_string(status) + " " + reasonPhrase(status) + "\n";
  return r;
}

Result<std::unique_ptr<App>> App::create(Config config, Metrics& metrics) {
  std::unique_ptr<App> app(new App(metrics));
  runtime::EngineConfig ec;
  // Keeping a reservation for every instance that may run at once avoids mmap on the
  // request path; twice that covers instances still being reset.
  ec.pooledMemories = std::max<size_t>(16, size_t{maxGuests(config.server)} * 2);
  ec.keepResidentBytes = config.server.keepResidentBytes;
  app->engine_ = std::make_unique<runtime::Engine>(ec);
  app->linker_ = std::make_unique<runtime::Linker>(*app->engine_);
  wasi::addToLinker(*app->linker_);
  app->watchdog_ = std::make_unique<Watchdog>();
  auto shared = std::make_shared<const Config>(std::move(config));
  auto table = app->build(shared, nullptr, false);
  if (!table) return table.takeError();
  app->table_.store(std::move(table).value());
  return app;
}

App::~App() {
  {
    std::lock_guard<std::mutex> lock(wakeMutex_);
    stop_ = true;
  }
  wakeCv_.notify_one();
  if (reloader_.joinable()) reloader_.join();
}

Result<std::shared_ptr<const HandlerModule>> App::loadModule(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot open module " + path + ": " + std::strerror(errno)};
  struct stat st;
  std::vector<uint8_t> bytes;
  bool readOk = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                static_cast<uint64_t>(st.st_size) <= kMaxModuleBytes;
  if (readOk) {
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (readOk && done < bytes.size()) {
      const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      readOk = n > 0;
      if (readOk) done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  if (!readOk) return Error{"cannot read module " + path + " (not a regular file, or too large)"};

  auto handler = std::make_shared<HandlerModule>();
  handler->path = path;
  handler->key = keyOf(st);
  auto module = runtime::Module::compile(*engine_, std::move(bytes));
  if (!module) return Error{"module " + path + ": " + module.error().message};
  handler->module = std::move(module).value();
  const decoder::Module& decl = handler->module->decl();
  const decoder::Export* start = handler->module->findExport("_start");
  if (!start || start->kind != ExternKind::Func) {
    return Error{"module " + path +
                 ": no exported function \"_start\"; a handler is a WASI command "
                 "(wasm32-wasi, with main)"};
  }
  const FuncType& type = engine_->typeOf(handler->module->functionTypeId(start->index));
  if (!type.types.empty()) {
    return Error{"module " + path + ": \"_start\" must take no arguments and return nothing"};
  }
  auto pre = linker_->prepare(handler->module);
  if (!pre) return Error{"module " + path + ": " + pre.error().message};
  handler->pre = std::move(pre).value();
  if (decl.memories.size() > decl.numImportedMemories) {
    handler->minMemoryBytes = decl.memories[decl.numImportedMemories].limits.min * kPageSize;
  }
  return std::shared_ptr<const HandlerModule>(std::move(handler));
}

Result<std::shared_ptr<const RouteTable>> App::build(std::shared_ptr<const Config> config,
                                                     const RouteTable* previous, bool keepOnError) {
  auto table = std::make_shared<RouteTable>();
  table->config = config;
  std::map<std::string, std::shared_ptr<const HandlerModule>> old, fresh;
  if (previous) {
    for (const Route& r : previous->routes) {
      if (r.module) old[r.module->path] = r.module;
    }
  }
  for (const RouteConfig& rc : config->routes) {
    Route route;
    route.config = rc;
    route.metrics = metrics_.route(rc.name);
    if (rc.kind == RouteConfig::Kind::Wasm) {
      auto it = fresh.find(rc.module);
      if (it != fresh.end()) {
        route.module = it->second;
      } else {
        FileKey key;
        const bool exists = statKey(rc.module, key);
        auto prev = old.find(rc.module);
        if (exists && prev != old.end() && prev->second->key == key) {
          route.module = prev->second;
        } else if (keepOnError && prev != old.end() && exists && failedKeys_.count(rc.module) &&
                   failedKeys_[rc.module] == key) {
          route.module = prev->second;  // this version already failed: do not retry it
        } else {
          const auto start = Clock::now();
          auto loaded = loadModule(rc.module);
          if (!loaded) {
            if (!keepOnError || prev == old.end()) {
              return Error{rc.where + ": route \"" + rc.name + "\": " + loaded.error().message};
            }
            if (exists) failedKeys_[rc.module] = key;
            route.module = prev->second;
            route.metrics->reloadFailures.fetch_add(1, std::memory_order_relaxed);
            JsonLine line;
            line.add("level", "error").add("event", "reload_failed").add("route", rc.name);
            line.add("detail", loaded.error().message + " (the previous version stays)");
            logEvent(line);
          } else {
            route.module = std::move(loaded).value();
            failedKeys_.erase(rc.module);
            if (prev != old.end()) {
              JsonLine line;
              line.add("level", "info").add("event", "module_reloaded").add("route", rc.name);
              line.add("module", rc.module);
              line.add("compile_ms", static_cast<uint64_t>(secondsSince(start) * 1000));
              logEvent(line);
            }
          }
        }
        fresh[rc.module] = route.module;
      }
      if (previous) {
        // Count a reload for each route whose module changed.
        for (const Route& r : previous->routes) {
          if (r.config.name == rc.name && r.module && r.module != route.module) {
            route.metrics->reloads.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
      if (route.module->minMemoryBytes > rc.limits.maxMemoryBytes) {
        return Error{rc.where + ": route \"" + rc.name + "\": the module's initial memory (" +
                     std::to_string(route.module->minMemoryBytes) +
                     " bytes) is larger than max_memory (" +
                     std::to_string(rc.limits.maxMemoryBytes) + " bytes)"};
      }
    }
    table->router.add(rc.host, rc.path, static_cast<uint32_t>(table->routes.size()));
    table->routes.push_back(std::move(route));
  }
  table->router.finish();
  return std::shared_ptr<const RouteTable>(std::move(table));
}

void App::runWasm(const Route& route, const CgiRequest& request, std::string body,
                  const std::function<void(HandlerResult&&)>& done) {
  const RouteLimits& limits = route.config.limits;
  const auto start = Clock::now();
  HandlerResult result;

  // stdin, stdout and stderr are all set below: no need to look at the host's.
  wasi::WasiContext wasi(wasi::WasiContext::NoHostStdio{});
  wasi.setArgs({route.config.name});
  wasi.setEnv(cgiEnvironment(request, route.config.env));
  for (const DirConfig& dir : route.config.dirs) {
    if (auto r = wasi.preopenDirectory(dir.hostPath, dir.guestPath, dir.readOnly); !r) {
      done(errorResult(Outcome::Error, 500, "preopen: " + r.error().message));
      return;
    }
  }
  wasi.setStdin(std::move(body));
  wasi.captureStdout(limits.maxResponseBytes);
  wasi.captureStderr(limits.maxStderrBytes);

  runtime::StoreLimits storeLimits;
  storeLimits.maxMemoryPages = limits.maxMemoryBytes / kPageSize;
  runtime::Store store(*engine_, storeLimits);
  store.userData = &wasi;
  // The deadline covers instantiation too: a module's start function could spin.
  const uint64_t ticket =
      watchdog_->arm(&store, start + std::chrono::milliseconds(limits.timeoutMs));
  auto instance = route.module->pre->instantiate(store);
  const auto instantiated = Clock::now();
  runtime::CallResult call;
  if (instance) {
    call = store.call((*instance)->getFunction("_start"), {});
  }
  watchdog_->disarm(ticket);
  const auto finished = Clock::now();

  result.instantiateSeconds = std::chrono::duration<double>(instantiated - start).count();
  result.runSeconds = std::chrono::duration<double>(finished - instantiated).count();
  if (instance && (*instance)->memory())
    result.peakMemoryBytes = (*instance)->memory()->peakBytes();
  result.stderrText = wasi.takeStderr();

  auto fail = [&](Outcome outcome, unsigned status, std::string detail) {
    HandlerResult r = errorResult(outcome, status, std::move(detail));
    r.trap = result.trap;
    r.instantiateSeconds = result.instantiateSeconds;
    r.runSeconds = result.runSeconds;
    r.peakMemoryBytes = result.peakMemoryBytes;
    r.stderrText = std::move(result.stderrText);
    done(std::move(r));
  };
  if (!instance) {
    fail(Outcome::Error, 500, "instantiate: " + instance.error().message);
    return;
  }
  if (!call.ok()) {
    const runtime::Trap& trap = *call.trap;
    result.trap = trap.kind;
    if (trap.kind == jit::TrapKind::Exit) {
      // proc_exit: exit(0) is a normal end, any other status a failure.
      if (trap.exitCode != 0) {
        fail(Outcome::ExitStatus, 500, "exited with status " + std::to_string(trap.exitCode));
        return;
      }
      result.trap = jit::TrapKind::None;
    } else if (trap.kind == jit::TrapKind::Interrupted) {
      fail(Outcome::Deadline, 504,
           "deadline of " + std::to_string(limits.timeoutMs) + " ms exceeded");
      return;
    } else {
      fail(Outcome::Trap, 500, "trap: " + trap.toString());
      return;
    }
  }
  if (wasi.stdoutTruncated()) {
    fail(Outcome::BadResponse, 502,
         "response larger than max_response (" + std::to_string(limits.maxResponseBytes) +
             " bytes)");
    return;
  }
  std::string out = wasi.takeStdout();
  CgiResponse cgi;
  std::string error;
  if (!parseCgiResponse(out, cgi, error)) {
    fail(Outcome::BadResponse, 502, "malformed response: " + error);
    return;
  }
  result.status = cgi.status;
  result.reason = std::move(cgi.reason);
  result.headers = std::move(cgi.headers);
  out.erase(0, cgi.bodyOffset);
  result.body = std::move(out);
  done(std::move(result));
  // `store` and `wasi` go away here, after the response is on its way: resetting the
  // instance's memory for the next request is off the latency path.
}

HandlerResult App::runNative(const Route& route, const CgiRequest& request) {
  // Does what examples/handlers/hello.c does, so that the two routes differ only in
  // how the handler runs: "name=" at the start of the query, else "world".
  HandlerResult r;
  std::string_view name = "world";
  if (request.query.starts_with("name=")) {
    std::string_view v = request.query.substr(5);
    v = v.substr(0, v.find('&'));
    if (!v.empty() && v.size() < 64) name = v;
  }
  r.headers.emplace_back("Content-Type", "text/plain");
  r.body.reserve(16 + name.size());
  r.body.append("Hello, ").append(name).append("!\n");
  return r;
}

bool App::checkModules() {
  std::lock_guard<std::mutex> lock(reloadMutex_);
  auto current = table();
  std::set<std::string> checked;
  bool changed = false;
  for (const Route& r : current->routes) {
    if (!r.module || !checked.insert(r.module->path).second) continue;
    FileKey key;
    if (!statKey(r.module->path, key) || key == r.module->key) continue;
    if (auto f = failedKeys_.find(r.module->path); f != failedKeys_.end() && f->second == key) {
      continue;
    }
    changed = true;
  }
  if (!changed) return false;
  auto next = build(current->config, current.get(), /*keepOnError=*/true);
  if (!next) {
    // Only a limit check can fail here (a new module needing more memory than allowed).
    JsonLine line;
    line.add("level", "error").add("event", "reload_failed").add("detail", next.error().message);
    logEvent(line);
    return false;
  }
  table_.store(std::move(next).value());
  return true;
}

Result<void> App::reloadConfig() {
  std::lock_guard<std::mutex> lock(reloadMutex_);
  auto current = table();
  auto loaded = loadConfig(current->config->file);
  if (!loaded) {
    metrics_.configReloadFailures.fetch_add(1, std::memory_order_relaxed);
    return loaded.takeError();
  }
  auto config = std::make_shared<Config>(std::move(loaded).value());
  // [server] settings belong to the listening socket and the threads: they need a
  // restart. Keep the running ones so the table always describes what is in force.
  const ServerConfig& s = current->config->server;
  const ServerConfig& n = config->server;
  if (n.listenHost != s.listenHost || n.listenPort != s.listenPort || n.ioThreads != s.ioThreads ||
      n.maxGuests != s.maxGuests || n.metricsPath != s.metricsPath || n.accessLog != s.accessLog ||
      n.maxHeaderBytes != s.maxHeaderBytes) {
    JsonLine line;
    line.add("level", "warn").add("event", "reload_server_settings_ignored");
    line.add("detail", "[server] changes need a restart; routes and [defaults] were reloaded");
    logEvent(line);
  }
  config->server = s;
  auto next = build(config, current.get(), /*keepOnError=*/false);
  if (!next) {
    metrics_.configReloadFailures.fetch_add(1, std::memory_order_relaxed);
    return next.takeError();
  }
  table_.store(std::move(next).value());
  metrics_.configReloads.fetch_add(1, std::memory_order_relaxed);
  return success();
}

void App::startReloader(uint32_t pollMs) {
  reloader_ = std::thread([this, pollMs] { reloaderLoop(pollMs); });
}

void App::requestReload() {
  {
    std::lock_guard<std::mutex> lock(wakeMutex_);
    reloadRequested_ = true;
  }
  wakeCv_.notify_one();
}

void App::reloaderLoop(uint32_t pollMs) {
  std::unique_lock<std::mutex> lock(wakeMutex_);
  while (!stop_) {
    auto wake = [&] { return stop_ || reloadRequested_; };
    if (pollMs == 0) {
      wakeCv_.wait(lock, wake);
    } else {
      wakeCv_.wait_for(lock, std::chrono::milliseconds(pollMs), wake);
    }
    if (stop_) return;
    const bool full = reloadRequested_;
    reloadRequested_ = false;
    lock.unlock();
    // Compiling happens here, on this thread: requests keep being served from the
    // current table meanwhile.
    if (full) {
      auto r = reloadConfig();
      JsonLine line;
      if (r) {
        line.add("level", "info").add("event", "config_reloaded");
      } else {
        line.add("level", "error").add("event", "config_reload_failed");
        line.add("detail", r.error().message + " (the running config stays)");
      }
      logEvent(line);
    } else {
      checkModules();
    }
    lock.lock();
  }
}

}  // namespace wisp::http
