// Compiles every function of a module (in parallel, with deterministic output) and
// lays the code out in one executable region. Also generates the per-signature stubs
// between the host's C ABI and the wasm calling convention.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "decoder/features.h"
#include "decoder/module.h"
#include "decoder/result.h"
#include "jit/code_memory.h"
#include "jit/macro_assembler.h"
#include "jit/thread_pool.h"
#include "jit/vmcontext.h"

namespace wisp::jit {

class LazyCode;

/// A module's compiled code and the metadata the runtime needs to run it and to
/// explain its traps. Eagerly compiled code is one region with every function; lazily
/// compiled code (`lazy`) starts as one small jump slot per function, each compiled
/// on its first call.
struct CompiledCode {
  CompiledCode();
  ~CompiledCode();

  const decoder::Module* module = nullptr;  // for function names in traps
  VMContextLayout layout;
  uint32_t numImportedFunctions = 0;

  // Eager mode.
  CodeMemory memory;
  std::vector<uint32_t> functionStarts;  // per defined function, offset in memory
  std::vector<uint32_t> functionEnds;
  std::vector<CodeSite> memoryAccesses;  // sorted by code offset
  std::vector<CodeSite> callSites;       // sorted by code offset (return addresses)

  // Lazy mode.
  std::unique_ptr<LazyCode> lazy;

  /// Where calls to a defined function go (its code, or its jump slot when lazy).
  const void* functionCode(uint32_t funcIndex) const;
  bool contains(uintptr_t pc) const;
  /// Function index whose code contains `pc`, or -1.
  int64_t functionAt(uintptr_t pc) const;
  /// Wasm byte offset of a faulting memory access at `pc`, or -1 if `pc` is not one.
  int64_t memoryAccessAt(uintptr_t pc) const;
  /// Wasm byte offset of the call whose return address is `pc`, or -1.
  int64_t callSiteAt(uintptr_t pc) const;
  /// Bytes of machine code produced so far.
  size_t machineCodeBytes() const;
  /// Lazy mode: compiles `funcIndex` unless done already and returns its code; null
  /// (with `error` set) if it cannot be compiled. Thread-safe.
  const void* compileLazily(uint32_t funcIndex, std::string& error) const;
};

struct CompileOptions {
  /// Threads used to compile (the caller included); 0 = the pool's size + 1.
  unsigned threads = 0;
  /// Compile each function on its first call instead of all up front.
  bool lazy = false;
  /// Meter fuel: the code takes one unit of the store's fuel per instruction it runs
  /// and traps with OutOfFuel when none is left (see FunctionCompiler::chargeFuel).
  bool fuel = false;
};

/// Validates and compiles all function bodies. The module's structure must already
/// be validated (validator::validateModuleStructure).
/// With `lazy`, every body is validated now but compiled on its first call (the
/// module falls back to eager compilation when it uses something the JIT does not
/// support, so that error is reported now).
Result<std::unique_ptr<CompiledCode>> compileModule(const decoder::Module& m,
                                                    const Features& features, ThreadPool* pool,
                                                    const CompileOptions& options = {});

/// Host -> wasm: an EntryStub for functions of this type.
std::vector<uint8_t> generateEntryStub(const FuncType& type);
/// Wasm -> host: code with the wasm calling convention that calls the HostCallback of
/// the HostFuncData in the context register.
std::vector<uint8_t> generateExitStub(const FuncType& type);
/// The UnwindRoutine matching the entry stubs.
std::vector<uint8_t> generateUnwindRoutine();
/// Where a lazy function's jump slot goes before it is compiled: with the wasm
/// calling convention, the function index in r11d and the context in r14, calls
/// Helper::LazyCompile and jumps to the code it returns, arguments untouched.
std::vector<uint8_t> generateLazyCompileStub();

}  // namespace wisp::jit
