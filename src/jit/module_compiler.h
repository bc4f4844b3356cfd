// Compiles every function of a module (in parallel, with deterministic output) and
// lays the code out in one executable region. Also generates the per-signature stubs
// between the host's C ABI and the wasm calling convention.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "decoder/features.h"
#include "decoder/module.h"
#include "decoder/result.h"
#include "jit/code_memory.h"
#include "jit/macro_assembler.h"
#include "jit/thread_pool.h"
#include "jit/vmcontext.h"

namespace wisp::jit {

/// A module's compiled code and the metadata the runtime needs to run it and to
/// explain its traps.
struct CompiledCode {
  const decoder::Module* module = nullptr;  // for function names in traps
  CodeMemory memory;
  VMContextLayout layout;
  uint32_t numImportedFunctions = 0;
  std::vector<uint32_t> functionStarts;  // per defined function, offset in memory
  std::vector<uint32_t> functionEnds;
  std::vector<CodeSite> memoryAccesses;  // sorted by code offset
  std::vector<CodeSite> callSites;       // sorted by code offset (return addresses)

  const void* functionCode(uint32_t funcIndex) const {
    return memory.data() + functionStarts[funcIndex - numImportedFunctions];
  }
  bool contains(uintptr_t pc) const {
    const uintptr_t base = reinterpret_cast<uintptr_t>(memory.data());
    return pc >= base && pc < base + memory.size();
  }
  /// Function index whose code contains `pc`, or -1.
  int64_t functionAt(uintptr_t pc) const;
  /// Wasm byte offset of a faulting memory access at `pc`, or -1 if `pc` is not one.
  int64_t memoryAccessAt(uintptr_t pc) const;
  /// Wasm byte offset of the call whose return address is `pc`, or -1.
  int64_t callSiteAt(uintptr_t pc) const;
};

struct CompileOptions {
  /// Threads used to compile (the caller included); 0 = the pool's size + 1.
  unsigned threads = 0;
};

/// Validates and compiles all function bodies. The module's structure must already
/// be validated (validator::validateModuleStructure).
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

}  // namespace wisp::jit
