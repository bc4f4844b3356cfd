// Runtime helpers: the C functions compiled code calls (through VMContext::helpers)
// for everything too large to inline — traps, memory.grow, bulk memory and table
// operations. Each takes the caller's context first; a helper that traps unwinds
// straight to the innermost entry, so it must hold nothing that needs destruction at
// that point.
#include <cstring>

#include "runtime/runtime.h"

namespace wisp::runtime {

using jit::VMContextHeader;

namespace {

Instance* instanceOf(VMContextHeader* ctx) { return static_cast<Instance*>(ctx->instance); }
uintptr_t returnAddress(void* ra) { return reinterpret_cast<uintptr_t>(ra); }

// The wasm offset of a helper's trap comes from the call-site table (UINT32_MAX).
[[noreturn]] void trapAt(TrapKind kind, uintptr_t pc) { raiseTrap(kind, UINT32_MAX, pc); }

[[noreturn]] void helperTrap(VMContextHeader*, uint32_t kind, uint32_t wasmOffset) {
  raiseTrap(static_cast<TrapKind>(kind), wasmOffset, returnAddress(__builtin_return_address(0)));
}

[[noreturn]] void helperStackCheckFailed(VMContextHeader* ctx, uint32_t wasmOffset) {
  // An interruption request sets the limit to the maximum; anything else is a real
  // stack overflow.
  const uintptr_t limit = __atomic_load_n(&ctx->stackLimit, __ATOMIC_RELAXED);
  const TrapKind kind = limit == UINTPTR_MAX ? TrapKind::Interrupted : TrapKind::StackOverflow;
  raiseTrap(kind, wasmOffset, returnAddress(__builtin_return_address(0)));
}

int32_t helperMemoryGrow(VMContextHeader* ctx, uint32_t delta) {
  return static_cast<int32_t>(instanceOf(ctx)->memory()->grow(delta));
}

void helperMemoryInit(VMContextHeader* ctx, uint32_t seg, uint32_t dst, uint32_t src, uint32_t n) {
  const uintptr_t pc = returnAddress(__builtin_return_address(0));
  Instance* inst = instanceOf(ctx);
  const decoder::DataSegment& d = inst->module().decl().datas[seg];
  const uint64_t size = inst->dataDropped(seg) ? 0 : d.dataSize;
  LinearMemory* mem = inst->memory();
  if (uint64_t{src} + n > size || !mem->inBounds(dst, n))
    trapAt(TrapKind::OutOfBoundsMemoryAccess, pc);
  std::memcpy(mem->base() + dst, inst->module().decl().bytes.data() + d.dataOffset + src, n);
}

void helperDataDrop(VMContextHeader* ctx, uint32_t seg) { instanceOf(ctx)->dropData(seg); }

void helperMemoryCopy(VMContextHeader* ctx, uint32_t dst, uint32_t src, uint32_t n) {
  const uintptr_t pc = returnAddress(__builtin_return_address(0));
  LinearMemory* mem = instanceOf(ctx)->memory();
  if (!mem->inBounds(src, n) || !mem->inBounds(dst, n))
    trapAt(TrapKind::OutOfBoundsMemoryAccess, pc);
  std::memmove(mem->base() + dst, mem->base() + src, n);
}

void helperMemoryFill(VMContextHeader* ctx, uint32_t dst, uint32_t value, uint32_t n) {
  const uintptr_t pc = returnAddress(__builtin_return_address(0));
  LinearMemory* mem = instanceOf(ctx)->memory();
  if (!mem->inBounds(dst, n)) trapAt(TrapKind::OutOfBoundsMemoryAccess, pc);
  std::memset(mem->base() + dst, static_cast<int>(value & 0xFF), n);
}

void helperTableInit(VMContextHeader* ctx, uint32_t table, uint32_t seg, uint32_t dst, uint32_t src,
                     uint32_t n) {
  const uintptr_t pc = returnAddress(__builtin_return_address(0));
  Instance* inst = instanceOf(ctx);
  std::vector<uintptr_t>& elems = inst->elemSegment(seg);
  Table* t = inst->table(table);
  if (uint64_t{src} + n > elems.size() || uint64_t{dst} + n > t->size()) {
    trapAt(TrapKind::OutOfBoundsTableAccess, pc);
  }
  if (n) std::memcpy(t->data() + dst, elems.data() + src, n * sizeof(uintptr_t));
}

void helperElemDrop(VMContextHeader* ctx, uint32_t seg) { instanceOf(ctx)->dropElem(seg); }

void helperTableCopy(VMContextHeader* ctx, uint32_t dstTable, uint32_t srcTable, uint32_t dst,
                     uint32_t src, uint32_t n) {
  const uintptr_t pc = returnAddress(__builtin_return_address(0));
  Instance* inst = instanceOf(ctx);
  Table* d = inst->table(dstTable);
  Table* s = inst->table(srcTable);
  if (uint64_t{src} + n > s->size() || uint64_t{dst} + n > d->size()) {
    trapAt(TrapKind::OutOfBoundsTableAccess, pc);
  }
  if (n) std::memmove(d->data() + dst, s->data() + src, n * sizeof(uintptr_t));
}

int32_t helperTableGrow(VMContextHeader* ctx, uint32_t table, uintptr_t ref, uint32_t delta) {
  return static_cast<int32_t>(instanceOf(ctx)->table(table)->grow(delta, ref));
}

void helperTableFill(VMContextHeader* ctx, uint32_t table, uint32_t start, uintptr_t ref,
                     uint32_t n) {
  const uintptr_t pc = returnAddress(__builtin_return_address(0));
  Table* t = instanceOf(ctx)->table(table);
  if (uint64_t{start} + n > t->size()) trapAt(TrapKind::OutOfBoundsTableAccess, pc);
  for (uint32_t i = 0; i < n; i++) t->set(start + i, ref);
}

// A lazily compiled function's first call: compile it and return its code.
const void* helperLazyCompile(VMContextHeader* ctx, uint32_t funcIndex) {
  std::string* message = nullptr;
  const void* code;
  {
    std::string error;
    code = instanceOf(ctx)->module().code().compileLazily(funcIndex, error);
    if (code) return code;
    message =
        new std::string("cannot compile function " + std::to_string(funcIndex) + ": " + error);
  }
  // Unwinding skips this frame: everything with a destructor is gone already.
  raiseHostTrap(TrapKind::HostError, message, 0);
}

}  // namespace

/// The table every VMContext's `helpers` is filled from, in Helper order.
extern const void* const kHelperTable[jit::kNumHelpers] = {
    reinterpret_cast<const void*>(&helperTrap),
    reinterpret_cast<const void*>(&helperStackCheckFailed),
    reinterpret_cast<const void*>(&helperMemoryGrow),
    reinterpret_cast<const void*>(&helperMemoryInit),
    reinterpret_cast<const void*>(&helperDataDrop),
    reinterpret_cast<const void*>(&helperMemoryCopy),
    reinterpret_cast<const void*>(&helperMemoryFill),
    reinterpret_cast<const void*>(&helperTableInit),
    reinterpret_cast<const void*>(&helperElemDrop),
    reinterpret_cast<const void*>(&helperTableCopy),
    reinterpret_cast<const void*>(&helperTableGrow),
    reinterpret_cast<const void*>(&helperTableFill),
    reinterpret_cast<const void*>(&helperLazyCompile),
};
static_assert(sizeof(kHelperTable) / sizeof(kHelperTable[0]) == jit::kNumHelpers);

}  // namespace wisp::runtime
