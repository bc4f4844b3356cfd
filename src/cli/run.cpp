#include "cli/run.h"

#include <sys/resource.h>

#include <csignal>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "runtime/file.h"
#include "runtime/runtime.h"
#include "wasi/wasi.h"

namespace wisp::cli {

namespace {

constexpr int kTrapExit = 134;
constexpr int kErrorExit = 2;

// Ends the process once the guest is done: tearing down the engine, module, store and
// instance (unmapping memories and code, freeing every compiled function's metadata)
// is work the kernel does anyway when the process exits. Sanitizer builds take the
// ordinary path so that leaks and destructor bugs stay visible.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WISP_FAST_EXIT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define WISP_FAST_EXIT 0
#endif
#endif
#ifndef WISP_FAST_EXIT
#define WISP_FAST_EXIT 1
#endif

int finish(int status) {
  if (WISP_FAST_EXIT) {
    std::fflush(nullptr);
    std::_Exit(status);
  }
  return status;
}

// Parses a command-line argument as a value of type t.
bool parseArg(const std::string& text, ValType t, runtime::Value& out) {
  char* end = nullptr;
  errno = 0;
  switch (t) {
    case ValType::I32:
    case ValType::I64: {
      const bool negative = !text.empty() && text[0] == '-';
      uint64_t v = negative ? static_cast<uint64_t>(std::strtoll(text.c_str(), &end, 0))
                            : std::strtoull(text.c_str(), &end, 0);
      if (errno || end == text.c_str() || *end) return false;
      if (t == ValType::I32) {
        const int64_t s = static_cast<int64_t>(v);
        if (negative ? s < INT32_MIN : v > UINT32_MAX) return false;
        out = runtime::Value::i32(static_cast<uint32_t>(v));
      } else {
        out = runtime::Value::i64(v);
      }
      return true;
    }
    case ValType::F32: {
      float f = std::strtof(text.c_str(), &end);
      if (end == text.c_str() || *end) return false;
      out = runtime::Value::f32(f);
      return true;
    }
    case ValType::F64: {
      double d = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end) return false;
      out = runtime::Value::f64(d);
      return true;
    }
    default:
      return false;
  }
}

// Interrupts the store when the deadline passes, unless cancelled first. Wasm code sees
// the interruption within microseconds (function entries and loop headers check it), but
// a guest blocked in a host call (fd_read on a quiet pipe, a long poll_oneoff) does not
// return to wasm code; if the guest is still running after a short grace period the
// watchdog ends the process itself, with the same message and exit code as the trap.
class Watchdog {
 public:
  static constexpr auto kGrace = std::chrono::milliseconds(200);

  Watchdog(runtime::Store& store, double seconds, const std::string& file) {
    if (seconds <= 0) return;
    thread_ = std::thread([this, &store, seconds, file] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; }))
        return;
      store.interrupt();
      if (cv_.wait_for(lock, kGrace, [this] { return done_; })) return;
      std::fprintf(stderr, "wisp: %s: wasm trap: interrupted (--timeout %g s, in a host call)\n",
                   file.c_str(), seconds);
      std::_Exit(kTrapExit);
    });
  }
  ~Watchdog() { cancel(); }
  // The guest is done: from here on the deadline changes nothing.
  void cancel() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
};

// Applies --dir and --env to the guest's WASI context. False (after a message) on a
// malformed option or a directory that cannot be opened.
bool configureWasi(const RunOptions& options, wasi::WasiContext& wasi) {
  std::vector<std::string> args;
  args.push_back(options.argv0.empty() ? options.file : options.argv0);
  if (options.invoke.empty()) args.insert(args.end(), options.args.begin(), options.args.end());
  wasi.setArgs(std::move(args));
  for (const std::string& env : options.envs) {
    const size_t eq = env.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "wisp: --env %s: expected NAME=VALUE\n", env.c_str());
      return false;
    }
  }
  wasi.setEnv(options.envs);
  for (const std::string& dir : options.dirs) {
    // HOST[::GUEST]: the guest name defaults to the host path.
    const size_t sep = dir.find("::");
    const std::string host = sep == std::string::npos ? dir : dir.substr(0, sep);
    const std::string guest = sep == std::string::npos ? dir : dir.substr(sep + 2);
    if (host.empty() || guest.empty()) {
      std::fprintf(stderr, "wisp: --dir %s: expected HOST[::GUEST]\n", dir.c_str());
      return false;
    }
    if (auto r = wasi.preopenDirectory(host, guest); !r) {
      std::fprintf(stderr, "wisp: --dir %s: %s\n", dir.c_str(), r.error().message.c_str());
      return false;
    }
  }
  return true;
}

int reportTrap(const runtime::Trap& trap, const std::string& file) {
  if (trap.kind == jit::TrapKind::Exit) return trap.exitCode;
  std::fprintf(stderr, "wisp: %s: wasm trap: %s\n", file.c_str(), trap.toString().c_str());
  return kTrapExit;
}

}  // namespace

// WISP_TIMING=1 prints how long each phase of `wisp run` took and how many page faults
// it took (at a few microseconds each, faults are much of a cold start).
class PhaseTimer {
 public:
  PhaseTimer() : enabled_(std::getenv("WISP_TIMING") != nullptr), last_(Clock::now()) {
    if (enabled_) lastFaults_ = faults();
  }
  void mark(const char* phase) {
    if (!enabled_) return;
    const auto now = Clock::now();
    const long f = faults();
    std::fprintf(stderr, "wisp: %-12s %8.1f us %5ld faults\n", phase,
                 std::chrono::duration<double, std::micro>(now - last_).count(), f - lastFaults_);
    last_ = now;
    lastFaults_ = f;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static long faults() {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt + u.ru_majflt;
  }
  bool enabled_;
  Clock::time_point last_;
  long lastFaults_ = 0;
};

int runModule(const RunOptions& options) {
  PhaseTimer timer;
  // Map the file rather than read it: its debug sections, often most of its bytes, are
  // then never touched. Where mapping fails (a filesystem without mmap), read it.
  std::shared_ptr<const runtime::MappedFile> mapped = runtime::MappedFile::open(options.file);
  std::vector<uint8_t> bytes;
  if (!mapped && !runtime::readFile(options.file, bytes)) {
    std::fprintf(stderr, "wisp: cannot read %s\n", options.file.c_str());
    return kErrorExit;
  }
  timer.mark("read");
  runtime::EngineConfig config;
  config.compileThreads = options.compileThreads;
  // A command usually runs a fraction of its code: compile functions on first call.
  config.lazyCompilation = !options.eager;
  config.consumeFuel = options.fuel.has_value();
  runtime::Engine engine(config);
  timer.mark("engine");
  auto module = mapped ? runtime::Module::compile(engine, mapped->bytes(), mapped)
                       : runtime::Module::compile(engine, std::move(bytes));
  timer.mark("compile");
  if (!module) {
    std::fprintf(stderr, "wisp: %s: %s\n", options.file.c_str(), module.error().message.c_str());
    return kErrorExit;
  }
  runtime::StoreLimits limits;
  if (options.maxMemoryBytes) limits.maxMemoryPages = options.maxMemoryBytes / kPageSize;
  runtime::Store store(engine, limits);
  if (options.fuel) store.setFuel(*options.fuel);
  wasi::WasiContext wasi;
  if (!configureWasi(options, wasi)) return kErrorExit;
  store.userData = &wasi;
  runtime::Linker linker(engine);
  wasi::addToLinker(linker, **module);
  timer.mark("link-setup");
  // A guest writing to a closed pipe gets EPIPE from fd_write, as it would natively;
  // the signal would otherwise kill wisp.
  std::signal(SIGPIPE, SIG_IGN);
  Watchdog watchdog(store, options.timeoutSeconds, options.file);
  auto instance = linker.instantiate(store, *module);
  timer.mark("instantiate");
  if (!instance) {
    std::fprintf(stderr, "wisp: %s: %s\n", options.file.c_str(), instance.error().message.c_str());
    return instance.error().code == ErrorCode::Runtime ? kTrapExit : kErrorExit;
  }
  if (options.invoke.empty()) {
    const jit::FuncRef* start = (*instance)->getFunction("_start");
    if (!start) {
      std::fprintf(stderr,
                   "wisp: %s: no exported function \"_start\" (not a WASI command); "
                   "use --invoke NAME\n",
                   options.file.c_str());
      return kErrorExit;
    }
    if (!engine.typeOf(start->typeId).types.empty()) {
      std::fprintf(stderr, "wisp: %s: \"_start\" must take no arguments and return nothing\n",
                   options.file.c_str());
      return kErrorExit;
    }
    runtime::CallResult r = store.call(start, {});
    watchdog.cancel();
    timer.mark("run");
    // The exit status is the guest's proc_exit code (0 when _start returns).
    return finish(r.ok() ? 0 : reportTrap(*r.trap, options.file));
  }
  // A WASI reactor initializes its libc in `_initialize`, which must run before any other
  // export (as wasmtime does for --invoke). Modules that do not use WASI are left alone.
  bool usesWasi = false;
  for (const auto& import : (*module)->decl().imports)
    usesWasi |= import.module == wasi::kModuleName;
  if (const jit::FuncRef* init = (*instance)->getFunction("_initialize");
      usesWasi && init && options.invoke != "_initialize" &&
      engine.typeOf(init->typeId).types.empty()) {
    runtime::CallResult r = store.call(init, {});
    if (!r.ok()) return reportTrap(*r.trap, options.file);
  }
  const jit::FuncRef* f = (*instance)->getFunction(options.invoke);
  if (!f) {
    std::fprintf(stderr, "wisp: %s: no exported function \"%s\"\n", options.file.c_str(),
                 options.invoke.c_str());
    return kErrorExit;
  }
  const FuncType& type = engine.typeOf(f->typeId);
  if (options.args.size() != type.numParams) {
    std::fprintf(stderr, "wisp: %s takes %u arguments %s, got %zu\n", options.invoke.c_str(),
                 type.numParams, type.toString().c_str(), options.args.size());
    return kErrorExit;
  }
  std::vector<runtime::Value> args;
  for (size_t i = 0; i < options.args.size(); i++) {
    runtime::Value v;
    if (!parseArg(options.args[i], type.types[i], v)) {
      std::fprintf(stderr, "wisp: argument %zu (\"%s\") is not a valid %s\n", i,
                   options.args[i].c_str(), valTypeName(type.types[i]));
      return kErrorExit;
    }
    args.push_back(v);
  }
  runtime::CallResult r = store.call(f, args);
  watchdog.cancel();
  if (!r.ok()) return finish(reportTrap(*r.trap, options.file));
  for (const auto& v : r.values) std::printf("%s\n", v.toString().c_str());
  return finish(0);
}

}  // namespace wisp::cli
