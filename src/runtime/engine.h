// The Engine: process-wide compilation resources shared by every module and store —
// configuration, the compile thread pool, canonical function-type ids (so signatures
// compare by one integer across modules), and the generated host/wasm stubs.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "decoder/features.h"
#include "decoder/types.h"
#include "jit/code_memory.h"
#include "jit/thread_pool.h"
#include "jit/vmcontext.h"
#include "runtime/memory.h"

namespace wisp::runtime {

struct EngineConfig {
  Features features;
  /// Threads that compile a module's functions (the caller included); 0 = one per CPU
  /// the process may run on.
  unsigned compileThreads = 0;
  /// Linear-memory reservations kept for reuse between instances.
  size_t pooledMemories = 16;
  /// Validate every function up front but compile each on its first call (faster
  /// start for programs that run a small part of their code).
  bool lazyCompilation = false;
  /// Memories that end at most this large (and never grew) are reset in place when
  /// their instance goes away (zeros, and the data image copied back) instead of
  /// with madvise: the pages stay resident, so the next instance takes no page faults
  /// and the reset makes no system call (madvise in a multi-threaded process costs a
  /// TLB shootdown on every core). 0 = always madvise. The edge server sets it.
  uint64_t keepResidentBytes = 0;
  /// Meter fuel: compiled code takes one unit of its store's fuel (Store::setFuel) per
  /// wasm instruction it runs and traps with "all fuel consumed" when none is left, a
  /// budget that, unlike a deadline, ends a guest at the same point on every run. Costs
  /// a load, a subtract and a branch per straight run of code; off, it costs nothing.
  bool consumeFuel = false;
};

class Engine {
 public:
  explicit Engine(EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineConfig& config() const { return config_; }
  jit::ThreadPool* threadPool() { return pool_.get(); }
  MemoryPool* memoryPool() { return &memoryPool_; }

  /// Canonical id of a function type (>= 1); equal types get equal ids.
  uint32_t internType(const FuncType& type);
  const FuncType& typeOf(uint32_t id) const;

  /// Host-to-wasm stub for functions of type `id`.
  jit::EntryStub entryStub(uint32_t id);
  /// Wasm-to-host stub for host functions of type `id`.
  const void* exitStub(uint32_t id);
  const void* unwindRoutine() const { return unwind_; }

 private:
  struct TypeHash {
    size_t operator()(const FuncType& t) const;
  };
  struct Stubs {
    const void* entry = nullptr;
    const void* exit = nullptr;
  };
  const void* install(const std::vector<uint8_t>& code);

  EngineConfig config_;
  std::unique_ptr<jit::ThreadPool> pool_;
  MemoryPool memoryPool_;
  mutable std::mutex mutex_;
  std::unordered_map<FuncType, uint32_t, TypeHash> typeIds_;
  std::deque<FuncType> types_;  // by id - 1; deque keeps references stable
  std::unordered_map<uint32_t, Stubs> stubs_;
  jit::CodeArena stubCode_;
  const void* unwind_ = nullptr;
};

}  // namespace wisp::runtime
