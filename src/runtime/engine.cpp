#include "runtime/engine.h"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "jit/module_compiler.h"
#include "runtime/trap.h"

namespace wisp::runtime {

namespace {
// The CPUs this process may run on: one system call, where
// std::thread::hardware_concurrency reads a sysfs file (three).
unsigned usableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    if (const int n = CPU_COUNT(&set); n > 0) return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}
}  // namespace

Engine::Engine(EngineConfig config) : config_(config), memoryPool_(config.pooledMemories) {
  unsigned threads = config_.compileThreads;
  if (threads == 0) threads = usableCpus();
  pool_ = std::make_unique<jit::ThreadPool>(threads - 1);  // the caller is one of them
  unwind_ = install(jit::generateUnwindRoutine());
  installSignalHandlers();
}

Engine::~Engine() = default;

size_t Engine::TypeHash::operator()(const FuncType& t) const {
  size_t h = t.numParams * 0x9E3779B97F4A7C15ull;
  for (ValType v : t.types) h = (h ^ static_cast<size_t>(v)) * 0x100000001B3ull;
  return h;
}

uint32_t Engine::internType(const FuncType& type) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = typeIds_.find(type);
  if (it != typeIds_.end()) return it->second;
  types_.push_back(type);
  const uint32_t id = static_cast<uint32_t>(types_.size());
  typeIds_.emplace(type, id);
  return id;
}

const FuncType& Engine::typeOf(uint32_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return types_[id - 1];
}

const void* Engine::install(const std::vector<uint8_t>& code) {
  const void* at = stubCode_.add(code.data(), code.size());
  if (!at) {
    std::fprintf(stderr, "wisp: cannot allocate executable memory for stubs\n");
    std::abort();
  }
  return at;
}

jit::EntryStub Engine::entryStub(uint32_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stubs& s = stubs_[id];
  if (!s.entry) s.entry = install(jit::generateEntryStub(types_[id - 1]));
  return reinterpret_cast<jit::EntryStub>(const_cast<void*>(s.entry));
}

const void* Engine::exitStub(uint32_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stubs& s = stubs_[id];
  if (!s.exit) s.exit = install(jit::generateExitStub(types_[id - 1]));
  return s.exit;
}

}  // namespace wisp::runtime
