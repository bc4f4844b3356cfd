#include "cli/run.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "runtime/runtime.h"

namespace wisp::cli {

namespace {

constexpr int kTrapExit = 134;
constexpr int kErrorExit = 2;

bool readFile(const std::string& path, std::vector<uint8_t>& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  out.resize(size > 0 ? static_cast<size_t>(size) : 0);
  const size_t got = out.empty() ? 0 : std::fread(out.data(), 1, out.size(), f);
  std::fclose(f);
  return got == out.size();
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

// Interrupts the store when the deadline passes, unless cancelled first.
class Watchdog {
 public:
  Watchdog(runtime::Store& store, double seconds) {
    if (seconds <= 0) return;
    thread_ = std::thread([this, &store, seconds] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) {
        store.interrupt();
      }
    });
  }
  ~Watchdog() {
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

int reportTrap(const runtime::Trap& trap, const std::string& file) {
  if (trap.kind == jit::TrapKind::Exit) return trap.exitCode;
  std::fprintf(stderr, "wisp: %s: wasm trap: %s\n", file.c_str(), trap.toString().c_str());
  return kTrapExit;
}

}  // namespace

int runModule(const RunOptions& options) {
  std::vector<uint8_t> bytes;
  if (!readFile(options.file, bytes)) {
    std::fprintf(stderr, "wisp: cannot read %s\n", options.file.c_str());
    return kErrorExit;
  }
  runtime::Engine engine(runtime::EngineConfig{{}, options.compileThreads});
  auto module = runtime::Module::compile(engine, std::move(bytes));
  if (!module) {
    std::fprintf(stderr, "wisp: %s: %s\n", options.file.c_str(), module.error().message.c_str());
    return kErrorExit;
  }
  runtime::StoreLimits limits;
  if (options.maxMemoryBytes) limits.maxMemoryPages = options.maxMemoryBytes / kPageSize;
  runtime::Store store(engine, limits);
  runtime::Linker linker(engine);
  Watchdog watchdog(store, options.timeoutSeconds);
  auto instance = linker.instantiate(store, *module);
  if (!instance) {
    std::fprintf(stderr, "wisp: %s: %s\n", options.file.c_str(), instance.error().message.c_str());
    return instance.error().code == ErrorCode::Runtime ? kTrapExit : kErrorExit;
  }
  if (options.invoke.empty()) {
    std::fprintf(stderr, "wisp: %s: running WASI commands is not implemented yet; use --invoke\n",
                 options.file.c_str());
    return kErrorExit;
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
  if (!r.ok()) return reportTrap(*r.trap, options.file);
  for (const auto& v : r.values) std::printf("%s\n", v.toString().c_str());
  return 0;
}

}  // namespace wisp::cli
