// The contract between generated code and the runtime: the layout of the per-instance
// context (VMContext) that compiled code reaches through its pinned register, the
// records it points to, the runtime helpers compiled code calls, and trap kinds.
//
// Generated code holds no absolute addresses: everything of one process (memory base,
// helpers, other functions' code) is reached through the VMContext, so a compiled
// module's code is position independent and can be cached.
#pragma once

#include <cstddef>
#include <cstdint>

#include "decoder/module.h"

namespace wisp::jit {

/// Why execution stopped abnormally. Messages follow the spec test suite's wording.
enum class TrapKind : uint32_t {
  None = 0,
  Unreachable,
  IntegerDivideByZero,
  IntegerOverflow,
  InvalidConversionToInteger,
  OutOfBoundsMemoryAccess,
  OutOfBoundsTableAccess,
  IndirectCallTypeMismatch,
  UndefinedElement,      // call_indirect index beyond the table
  UninitializedElement,  // call_indirect through a null entry
  NullReference,
  StackOverflow,
  Interrupted,
  OutOfFuel,  // the store's fuel ran out (code compiled with fuel metering)
  HostError,  // a host function failed; the message says why
  Exit,       // WASI proc_exit: not an error, carries an exit code
};
const char* trapMessage(TrapKind kind);

/// A function reference: what tables hold, ref.func produces and calls through
/// imports use. `code` follows the wasm calling convention with `ctx` in the context
/// register.
struct FuncRef {
  const void* code = nullptr;
  void* ctx = nullptr;  // VMContext* of the owning instance, or host function data
  uint32_t typeId = 0;  // engine-wide canonical signature id
  uint32_t flags = 0;   // kHostFunction: ctx is a HostFuncData
  static constexpr uint32_t kHostFunction = 1;
};

/// A table as compiled code sees it.
struct TableInstance {
  uintptr_t* elements = nullptr;  // FuncRef* for funcref tables, opaque for externref
  uint32_t size = 0;
  uint32_t max = 0;
};

/// A linear memory as compiled code sees it; the base never moves.
struct MemoryInstance {
  uint8_t* base = nullptr;
  uint64_t byteSize = 0;  // current size in bytes, a multiple of the page size
};

/// Storage of one global (16 bytes for v128).
union alignas(16) GlobalCell {
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
  uintptr_t ref;
  uint8_t v128[16];
};

/// Runtime functions compiled code calls (System V / AAPCS64 C ABI), through the
/// table at VMContext::helpers. The first argument is always the caller's VMContext.
enum class Helper : uint32_t {
  Trap,              // (ctx, TrapKind, wasmOffset) -> noreturn
  StackCheckFailed,  // (ctx, wasmOffset) -> noreturn: interruption or exhaustion
  MemoryGrow,        // (ctx, uint32 deltaPages) -> int32 old pages or -1
  MemoryInit,        // (ctx, seg, dst, src, n)
  DataDrop,          // (ctx, seg)
  MemoryCopy,        // (ctx, dst, src, n)
  MemoryFill,        // (ctx, dst, value, n)
  TableInit,         // (ctx, table, seg, dst, src, n)
  ElemDrop,          // (ctx, seg)
  TableCopy,         // (ctx, dstTable, srcTable, dst, src, n)
  TableGrow,         // (ctx, table, ref, delta) -> int32
  TableFill,         // (ctx, table, start, ref, n)
  LazyCompile,       // (ctx, funcIndex) -> code address; compiles on first call
  Count,
};
constexpr uint32_t kNumHelpers = static_cast<uint32_t>(Helper::Count);

/// Fixed part of the per-instance context. The variable part follows at offsets
/// given by VMContextLayout.
struct VMContextHeader {
  uint8_t* memoryBase;       // base of memory 0 (loaded into the memory register)
  uintptr_t stackLimit;      // lowest stack pointer allowed; UINTPTR_MAX to interrupt
  MemoryInstance* memory0;   // for memory.size
  void* instance;            // the runtime's Instance
  uintptr_t realStackLimit;  // stackLimit without interruption requests
  int64_t* fuel;             // the store's remaining fuel (for fuel-metered code)
  const void* helpers[kNumHelpers];
};

/// Offsets of every VMContext field for one module. The JIT emits them as
/// displacements; the runtime allocates and fills a context of `size` bytes.
struct VMContextLayout {
  uint32_t funcRefs = 0;         // FuncRef* [numFunctions]
  uint32_t tables = 0;           // TableInstance* [numTables]
  uint32_t tableElements = 0;    // uintptr_t* [numTables]: the elements, for fixed-size
                                 // tables (defined, maximum = minimum: never reallocated)
  uint32_t importedGlobals = 0;  // GlobalCell* [numImportedGlobals]
  uint32_t definedGlobals = 0;   // GlobalCell [numDefinedGlobals]
  uint32_t typeIds = 0;          // uint32_t [numTypes]
  uint32_t size = 0;

  explicit VMContextLayout(const decoder::Module& m);
  VMContextLayout() = default;

  static constexpr uint32_t memoryBase() { return offsetof(VMContextHeader, memoryBase); }
  static constexpr uint32_t stackLimit() { return offsetof(VMContextHeader, stackLimit); }
  static constexpr uint32_t memory0() { return offsetof(VMContextHeader, memory0); }
  static constexpr uint32_t fuel() { return offsetof(VMContextHeader, fuel); }
  static constexpr uint32_t helper(Helper h) {
    return static_cast<uint32_t>(offsetof(VMContextHeader, helpers) +
                                 sizeof(void*) * static_cast<uint32_t>(h));
  }
  uint32_t funcRef(uint32_t i) const { return funcRefs + 8 * i; }
  uint32_t table(uint32_t i) const { return tables + 8 * i; }
  uint32_t tableElementsOf(uint32_t i) const { return tableElements + 8 * i; }
  uint32_t importedGlobal(uint32_t i) const { return importedGlobals + 8 * i; }
  uint32_t definedGlobal(uint32_t i) const { return definedGlobals + 16 * i; }
  uint32_t typeId(uint32_t i) const { return typeIds + 4 * i; }
};

inline VMContextLayout::VMContextLayout(const decoder::Module& m) {
  uint32_t off = sizeof(VMContextHeader);
  funcRefs = off;
  off += 8 * static_cast<uint32_t>(m.functions.size());
  tables = off;
  off += 8 * static_cast<uint32_t>(m.tables.size());
  tableElements = off;
  off += 8 * static_cast<uint32_t>(m.tables.size());
  importedGlobals = off;
  off += 8 * m.numImportedGlobals;
  off = (off + 15) & ~15u;
  definedGlobals = off;
  off += 16 * static_cast<uint32_t>(m.globals.size() - m.numImportedGlobals);
  typeIds = off;
  off += 4 * static_cast<uint32_t>(m.types.size());
  size = (off + 15) & ~15u;
}

/// A 16-byte value slot used to pass arguments and results between host and wasm.
struct alignas(16) RawValue {
  uint64_t lo = 0;
  uint64_t hi = 0;
};

/// Record kept on the host stack by each host-to-wasm entry; traps unwind to the
/// innermost one. The first two fields are read by generated code.
struct EntryRecord {
  uintptr_t savedSp = 0;         // set by the entry stub
  const void* unwind = nullptr;  // engine's unwind routine
  EntryRecord* prev = nullptr;
  TrapKind trap = TrapKind::None;
  uint32_t trapWasmOffset = 0;
  uintptr_t trapPc = 0;       // code address where the trap was raised
  int32_t exitCode = 0;       // TrapKind::Exit
  void* hostError = nullptr;  // std::string* message for TrapKind::HostError
};
static_assert(offsetof(EntryRecord, savedSp) == 0);

/// Signature of entry stubs: call `code` with `ctx` in the context register, arguments
/// from `values`, results written back to `values`. Returns 0, or 1 after a trap.
using EntryStub = uint32_t (*)(void* ctx, const void* code, RawValue* values, EntryRecord* rec);
/// Signature of unwind routines: restores the stack of `rec`'s entry stub and makes it
/// return 1.
using UnwindRoutine = void (*)(EntryRecord* rec);
/// Host function callback used by exit stubs: arguments in `values`, results written
/// back. A trap does not return (it unwinds).
using HostCallback = void (*)(void* hostData, void* callerCtx, RawValue* values);

/// What the ctx register holds when compiled code calls a host function.
struct HostFuncData {
  HostCallback callback = nullptr;
};

}  // namespace wisp::jit
