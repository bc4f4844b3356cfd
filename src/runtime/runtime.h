// wisp's embedding API: Engine (runtime/engine.h) and Module (runtime/module.h) compile
// once; a Store holds the instances that may call each other and everything they
// create; a Linker resolves imports (host functions and other instances' exports);
// an Instance exposes exports; calls return results or a Trap.
//
//   Engine engine;
//   auto module = Module::compile(engine, bytes).value();
//   Store store(engine);
//   Linker linker(engine);
//   linker.defineFunction("env", "log", type, [](Caller&, const Value* args, Value*) {...});
//   Instance* instance = linker.instantiate(store, module).value();
//   auto result = store.call(instance->getFunction("run"), {Value::i32(10)});
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "decoder/result.h"
#include "jit/vmcontext.h"
#include "runtime/engine.h"
#include "runtime/memory.h"
#include "runtime/module.h"
#include "runtime/table.h"
#include "runtime/trap.h"
#include "runtime/value.h"

namespace wisp::runtime {

class Instance;
class Store;

/// A global variable's storage and type.
struct GlobalRef {
  jit::GlobalCell* cell = nullptr;
  GlobalType type;
  Value get() const;
  void set(const Value& v);
};

/// Something a module can import or an instance exports.
struct Extern {
  ExternKind kind = ExternKind::Func;
  const jit::FuncRef* func = nullptr;
  Table* table = nullptr;
  LinearMemory* memory = nullptr;
  GlobalRef global;

  static Extern function(const jit::FuncRef* f) {
    return {ExternKind::Func, f, nullptr, nullptr, {}};
  }
  static Extern ofTable(Table* t) { return {ExternKind::Table, nullptr, t, nullptr, {}}; }
  static Extern ofMemory(LinearMemory* m) { return {ExternKind::Memory, nullptr, nullptr, m, {}}; }
  static Extern ofGlobal(GlobalRef g) { return {ExternKind::Global, nullptr, nullptr, nullptr, g}; }
};

/// The calling instance, as a host function sees it.
class Caller {
 public:
  explicit Caller(void* callerContext) : ctx_(static_cast<jit::VMContextHeader*>(callerContext)) {}
  Instance* instance() const { return ctx_ ? static_cast<Instance*>(ctx_->instance) : nullptr; }
  /// The caller's memory 0, or null.
  LinearMemory* memory() const;
  Store* store() const;

 private:
  jit::VMContextHeader* ctx_;
};

/// What a host function returns: success, or a trap / exit to unwind with.
struct HostResult {
  TrapKind kind = TrapKind::None;
  std::string message;
  int32_t exitCode = 0;
  static HostResult ok() { return {}; }
  static HostResult error(std::string message) {
    return {TrapKind::HostError, std::move(message), 0};
  }
  static HostResult trap(TrapKind kind) { return {kind, jit::trapMessage(kind), 0}; }
  static HostResult exit(int32_t code) { return {TrapKind::Exit, "exit", code}; }
};

/// Host function implementation: arguments in, results out (both sized by the type).
using HostCallback = std::function<HostResult(Caller&, const Value* args, Value* results)>;
/// Lower-level form used by WASI: raw 16-byte slots, arguments in place, results
/// written back over them.
using RawHostCallback = HostResult (*)(Caller&, jit::RawValue* values, void* data);

/// A function implemented by the host, callable from wasm through its FuncRef.
class HostFunction {
 public:
  HostFunction(Engine& engine, FuncType type, HostCallback callback);
  HostFunction(Engine& engine, FuncType type, RawHostCallback callback, void* data);
  HostFunction(const HostFunction&) = delete;
  HostFunction& operator=(const HostFunction&) = delete;

  const jit::FuncRef* funcRef() const { return &ref_; }
  const FuncType& type() const { return type_; }
  HostResult invoke(Caller& caller, jit::RawValue* values);

 private:
  static void trampoline(void* hostData, void* callerContext, jit::RawValue* values);
  jit::HostFuncData data_;  // must stay the first member: the exit stub's context
  jit::FuncRef ref_;
  FuncType type_;
  HostCallback callback_;
  RawHostCallback raw_ = nullptr;
  void* rawData_ = nullptr;
};

/// Result of calling into wasm: the results, or the trap that stopped it.
struct CallResult {
  std::vector<Value> values;
  std::optional<Trap> trap;
  bool ok() const { return !trap.has_value(); }
};

/// Limits a Store enforces on what its instances may use.
struct StoreLimits {
  uint64_t maxMemoryPages = kMaxMemory32Pages;  // per memory
  uint32_t maxTableElements = 10000000;         // per table
  size_t maxWasmStack = 1024 * 1024;            // bytes of native stack for wasm frames
};

/// Owns instances and everything they create; instances in one store may link to each
/// other. Not thread-safe, except interrupt(), which any thread may call.
class Store {
 public:
  explicit Store(Engine& engine, StoreLimits limits = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Engine& engine() const { return engine_; }
  const StoreLimits& limits() const { return limits_; }

  /// Calls a function (a wasm export or a host function) with type-checked arguments.
  CallResult call(const jit::FuncRef* func, std::span<const Value> args);

  /// Stops running wasm code of this store with an Interrupted trap, as soon as it
  /// reaches a function entry or loop header. Stays set until clearInterrupt().
  void interrupt();
  void clearInterrupt();
  /// True between interrupt() and clearInterrupt(): lets blocking host functions (WASI
  /// poll_oneoff) give up early instead of sleeping past the deadline.
  bool interruptRequested() const { return interrupted_.load(std::memory_order_relaxed); }

  /// Fuel, with EngineConfig::consumeFuel: the wasm instructions this store's code may
  /// still run. A store starts with none. Running out traps with OutOfFuel; setting more
  /// lets the next call go on.
  void setFuel(uint64_t units) {
    fuel_ = units > INT64_MAX ? INT64_MAX : static_cast<int64_t>(units);
  }
  uint64_t fuel() const { return fuel_ > 0 ? static_cast<uint64_t>(fuel_) : 0; }
  /// Where compiled code takes its fuel from (internal: for instance contexts).
  int64_t* fuelCounter() { return &fuel_; }

  // Objects created by the host (for imports such as the spec tests' "spectest").
  Result<LinearMemory*> createMemory(const MemoryType& type);
  Table* createTable(const TableType& type, uintptr_t init);
  GlobalRef createGlobal(const GlobalType& type, const Value& value);

  /// Opaque per-store data for host functions (WASI keeps its context here).
  void* userData = nullptr;

  // Internal: instance registration.
  Instance* adopt(std::unique_ptr<Instance> instance);

 private:
  void setStackLimits(uintptr_t limit);
  Trap makeTrap(const jit::EntryRecord& rec) const;

  Engine& engine_;
  StoreLimits limits_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<std::unique_ptr<LinearMemory>> memories_;
  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<std::unique_ptr<jit::GlobalCell>> globals_;
  std::atomic<bool> interrupted_{false};
  int64_t fuel_ = 0;  // below zero once code ran out (it stops at its next charge)
  int depth_ = 0;
};

/// An instantiated module.
class Instance {
 public:
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const Module& module() const { return *module_; }
  Store& store() const { return store_; }
  std::optional<Extern> getExport(std::string_view name) const;
  /// The exported function `name`, or null.
  const jit::FuncRef* getFunction(std::string_view name) const;
  LinearMemory* memory() const { return memory_; }

  jit::VMContextHeader* context() const { return ctx_; }
  const jit::FuncRef* funcRef(uint32_t funcIndex) const;
  GlobalRef global(uint32_t index) const;

  // Runtime services for compiled code (the helpers).
  Table* table(uint32_t i) const { return tables_[i]; }
  std::vector<uintptr_t>& elemSegment(uint32_t i) { return elemSegments_[i]; }
  bool dataDropped(uint32_t i) const { return dataDropped_[i]; }
  void dropData(uint32_t i) { dataDropped_[i] = true; }
  void dropElem(uint32_t i) { elemSegments_[i].clear(); }

 private:
  friend class Linker;
  friend class InstancePre;
  Instance(Store& store, std::shared_ptr<Module> module);
  Result<void> initialize(const std::vector<Extern>& imports);
  Value evalConst(const decoder::ConstExpr& e) const;

  Store& store_;
  std::shared_ptr<Module> module_;
  jit::VMContextHeader* ctx_ = nullptr;
  std::vector<jit::FuncRef> ownFuncRefs_;
  std::vector<Table*> tables_;
  std::vector<std::unique_ptr<Table>> ownTables_;
  LinearMemory* memory_ = nullptr;
  std::unique_ptr<LinearMemory> ownMemory_;
  std::vector<std::vector<uintptr_t>> elemSegments_;
  std::vector<bool> dataDropped_;
  std::vector<std::shared_ptr<HostFunction>> hostImports_;
};

/// A module whose imports a Linker has already resolved and type-checked:
/// instantiating it does no name lookups (the edge server makes one per request).
/// Only store-independent imports (host functions) may be shared across stores this
/// way; imports of one store's objects must only be instantiated into that store.
class InstancePre {
 public:
  Result<Instance*> instantiate(Store& store) const;
  const std::shared_ptr<Module>& module() const { return module_; }

 private:
  friend class Linker;
  std::shared_ptr<Module> module_;
  std::vector<Extern> imports_;
  std::vector<std::shared_ptr<HostFunction>> hosts_;
};

/// Resolves imports by (module, name) and instantiates modules.
class Linker {
 public:
  explicit Linker(Engine& engine) : engine_(engine) {}

  void define(const std::string& module, const std::string& name, const Extern& e);
  /// Defines a host function; returns it (the linker keeps it alive too).
  std::shared_ptr<HostFunction> defineFunction(const std::string& module, const std::string& name,
                                               const FuncType& type, HostCallback callback);
  std::shared_ptr<HostFunction> defineRawFunction(const std::string& module,
                                                  const std::string& name, const FuncType& type,
                                                  RawHostCallback callback, void* data);
  /// Makes every export of `instance` importable as module `name`.
  void defineInstance(const std::string& name, const Instance& instance);

  /// Links the module's imports, creates the instance, runs element/data
  /// initialization and the start function. Errors: ErrorCode::Link for unknown or
  /// mismatched imports, ErrorCode::Runtime when initialization traps (the partly
  /// initialized instance stays in the store: its effects on imported tables and
  /// memories are visible, as the spec requires).
  Result<Instance*> instantiate(Store& store, std::shared_ptr<Module> module);
  /// Resolves and checks imports once, for repeated instantiation.
  Result<std::shared_ptr<InstancePre>> prepare(std::shared_ptr<Module> module) const;

 private:
  struct Definition {
    Extern value;
    std::shared_ptr<HostFunction> host;
  };
  static std::string key(const std::string& module, const std::string& name) {
    return module + '\0' + name;
  }
  Engine& engine_;
  std::unordered_map<std::string, Definition> definitions_;
};

}  // namespace wisp::runtime
