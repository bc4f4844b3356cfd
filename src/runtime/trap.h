// Traps as the embedder sees them, and the machinery that produces them: the signal
// handler that turns faults in compiled code into traps, the per-thread chain of
// host-to-wasm entries that traps unwind to, and the registry of code ranges.
#pragma once

#include <cstdint>
#include <string>

#include "jit/module_compiler.h"
#include "jit/vmcontext.h"

namespace wisp::runtime {

using jit::TrapKind;

/// Why a call into wasm did not return normally.
struct Trap {
  TrapKind kind = TrapKind::None;
  std::string message;         // the spec's wording, or the host's error
  int64_t functionIndex = -1;  // where it happened, when known
  std::string functionName;
  int64_t wasmOffset = -1;  // byte offset in the module
  int32_t exitCode = 0;     // TrapKind::Exit (WASI proc_exit)

  /// "integer divide by zero (in function 3 (fac) at offset 0x1a2)".
  std::string toString() const;
};

/// Installs the SIGSEGV/SIGBUS handler (once per process); faults outside compiled
/// code are passed on to whatever handler was installed before.
void installSignalHandlers();

/// Registers compiled code so faults inside it become traps.
void registerCode(const jit::CompiledCode* code);
void unregisterCode(const jit::CompiledCode* code);
/// The registered code containing `pc`, or null.
const jit::CompiledCode* findCode(uintptr_t pc);

/// The innermost host-to-wasm entry of this thread (null outside wasm).
jit::EntryRecord*& currentEntry();

/// Gives the thread an alternate signal stack (so a fault with an exhausted stack can
/// still be handled), once per thread.
void ensureSignalStack();

/// Lowest usable stack address of the calling thread (cached per thread).
uintptr_t threadStackLow();

/// Unwinds to the innermost entry with a trap. `pc` is where it was raised.
[[noreturn]] void raiseTrap(TrapKind kind, uint32_t wasmOffset, uintptr_t pc);
/// Unwinds with a host-supplied error message (heap-allocated; ownership passes on,
/// since unwinding skips every destructor of the frames it leaves) or exit code.
[[noreturn]] void raiseHostTrap(TrapKind kind, std::string* message, int32_t exitCode);

}  // namespace wisp::runtime
