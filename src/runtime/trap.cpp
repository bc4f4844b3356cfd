#include "runtime/trap.h"

#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace wisp::runtime {

const char* trapMessageFor(TrapKind kind) { return jit::trapMessage(kind); }

std::string Trap::toString() const {
  std::string s = message;
  if (functionIndex >= 0) {
    s += " (in function " + std::to_string(functionIndex);
    if (!functionName.empty()) s += " (" + functionName + ")";
    if (wasmOffset >= 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " at offset 0x%llx",
                    static_cast<unsigned long long>(wasmOffset));
      s += buf;
    }
    s += ")";
  }
  return s;
}

// ---- code registry ----------------------------------------------------------------
// A fixed table of atomic slots: the signal handler scans it without locks; writers
// take a mutex among themselves.
namespace {
constexpr size_t kMaxCodeRegions = 1 << 16;
std::atomic<const jit::CompiledCode*> gCode[kMaxCodeRegions];
std::atomic<size_t> gCodeHighWater{0};
std::mutex gCodeMutex;
}  // namespace

void registerCode(const jit::CompiledCode* code) {
  std::lock_guard<std::mutex> lock(gCodeMutex);
  const size_t high = gCodeHighWater.load();
  for (size_t i = 0; i < high; i++) {
    if (!gCode[i].load()) {
      gCode[i].store(code);
      return;
    }
  }
  if (high == kMaxCodeRegions) {
    std::fprintf(stderr, "wisp: too many live compiled modules\n");
    std::abort();
  }
  gCode[high].store(code);
  gCodeHighWater.store(high + 1);
}

void unregisterCode(const jit::CompiledCode* code) {
  std::lock_guard<std::mutex> lock(gCodeMutex);
  const size_t high = gCodeHighWater.load();
  for (size_t i = 0; i < high; i++) {
    if (gCode[i].load() == code) {
      gCode[i].store(nullptr);
      return;
    }
  }
}

const jit::CompiledCode* findCode(uintptr_t pc) {
  const size_t high = gCodeHighWater.load(std::memory_order_acquire);
  for (size_t i = 0; i < high; i++) {
    const jit::CompiledCode* c = gCode[i].load(std::memory_order_acquire);
    if (c && c->contains(pc)) return c;
  }
  return nullptr;
}

// ---- per-thread state -------------------------------------------------------------

jit::EntryRecord*& currentEntry() {
  static thread_local jit::EntryRecord* entry = nullptr;
  return entry;
}

void ensureSignalStack() {
  static thread_local bool done = false;
  if (done) return;
  done = true;
  stack_t current;
  if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
  // Leaked on purpose: it must outlive any signal the thread might still take.
  const size_t size = 64 * 1024;
  void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = size;
  sigaltstack(&ss, nullptr);
}

namespace {
// The main thread's stack bounds without pthread_getattr_np, which for the main thread
// reads and parses all of /proc/self/maps (a sizable part of a short `wisp run`). The
// kernel puts the executable's file name (AT_EXECFN) at the very top of the initial
// stack, and the stack may grow down to RLIMIT_STACK below its top: the bound glibc
// computes too. 0 when that does not apply (another thread, an unlimited or unusually
// large limit), and the caller asks glibc.
uintptr_t mainThreadStackLow() {
  if (getpid() != gettid()) return 0;
  const auto* execfn = reinterpret_cast<const char*>(getauxval(AT_EXECFN));
  struct rlimit rl;
  if (!execfn || getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
      rl.rlim_cur > (uint64_t{1} << 30)) {
    return 0;
  }
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t top =
      (reinterpret_cast<uintptr_t>(execfn) + std::strlen(execfn) + 1 + sizeof(void*) + page - 1) &
      ~(page - 1);
  const uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  // Only if the current frame really is on that stack.
  if (sp >= top || top - sp >= rl.rlim_cur) return 0;
  return (top - rl.rlim_cur + page - 1) & ~(page - 1);
}
}  // namespace

uintptr_t threadStackLow() {
  static thread_local uintptr_t low = 0;
  if (low) return low;
  low = mainThreadStackLow();
  if (low) return low;
  pthread_attr_t attr;
  void* addr = nullptr;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
  }
  low = reinterpret_cast<uintptr_t>(addr);
  if (!low) {
    // Unknown bounds: assume 1 MiB below the current frame.
    low = reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) - (1u << 20);
  }
  return low;
}

// ---- raising traps ----------------------------------------------------------------

[[noreturn]] static void unwindTo(jit::EntryRecord* rec) {
  reinterpret_cast<jit::UnwindRoutine>(const_cast<void*>(rec->unwind))(rec);
  __builtin_unreachable();
}

void raiseTrap(TrapKind kind, uint32_t wasmOffset, uintptr_t pc) {
  jit::EntryRecord* rec = currentEntry();
  if (!rec) {
    std::fprintf(stderr, "wisp: trap raised outside of wasm execution\n");
    std::abort();
  }
  rec->trap = kind;
  rec->trapWasmOffset = wasmOffset;
  rec->trapPc = pc;
  unwindTo(rec);
}

void raiseHostTrap(TrapKind kind, std::string* message, int32_t exitCode) {
  jit::EntryRecord* rec = currentEntry();
  if (!rec) {
    std::fprintf(stderr, "wisp: host trap raised outside of wasm execution\n");
    std::abort();
  }
  rec->trap = kind;
  rec->exitCode = exitCode;
  rec->trapWasmOffset = UINT32_MAX;
  rec->trapPc = 0;
  // Ownership passes to the entry, which frees it.
  rec->hostError = message;
  unwindTo(rec);
}

// ---- signals ------------------------------------------------------------------------

namespace {
struct sigaction gPrevSegv, gPrevBus;

void forward(int sig, siginfo_t* info, void* context) {
  const struct sigaction& prev = sig == SIGSEGV ? gPrevSegv : gPrevBus;
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) {
      prev.sa_sigaction(sig, info, context);
      return;
    }
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it and let the fault happen again on return.
  signal(sig, SIG_DFL);
}

void handleFault(int sig, siginfo_t* info, void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  const uintptr_t pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#endif
  const jit::CompiledCode* code = findCode(pc);
  jit::EntryRecord* rec = currentEntry();
  if (code && rec) {
    const int64_t offset = code->memoryAccessAt(pc);
    if (offset >= 0) {
      // Resume in the unwind routine instead of the faulting instruction.
      rec->trap = TrapKind::OutOfBoundsMemoryAccess;
      rec->trapWasmOffset = static_cast<uint32_t>(offset);
      rec->trapPc = pc;
#if defined(__x86_64__)
      uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(rec->unwind);
      uc->uc_mcontext.gregs[REG_RDI] = reinterpret_cast<greg_t>(rec);
#endif
      return;
    }
  }
  forward(sig, info, context);
}
}  // namespace

void installSignalHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = handleFault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &gPrevSegv);
    sigaction(SIGBUS, &sa, &gPrevBus);
  });
}

}  // namespace wisp::runtime

namespace wisp::jit {
const char* trapMessage(TrapKind kind) {
  switch (kind) {
    case TrapKind::None:
      return "no trap";
    case TrapKind::Unreachable:
      return "unreachable";
    case TrapKind::IntegerDivideByZero:
      return "integer divide by zero";
    case TrapKind::IntegerOverflow:
      return "integer overflow";
    case TrapKind::InvalidConversionToInteger:
      return "invalid conversion to integer";
    case TrapKind::OutOfBoundsMemoryAccess:
      return "out of bounds memory access";
    case TrapKind::OutOfBoundsTableAccess:
      return "out of bounds table access";
    case TrapKind::IndirectCallTypeMismatch:
      return "indirect call type mismatch";
    case TrapKind::UndefinedElement:
      return "undefined element";
    case TrapKind::UninitializedElement:
      return "uninitialized element";
    case TrapKind::NullReference:
      return "null reference";
    case TrapKind::StackOverflow:
      return "call stack exhausted";
    case TrapKind::Interrupted:
      return "interrupted";
    case TrapKind::OutOfFuel:
      return "all fuel consumed by WebAssembly";  // wasmtime's wording
    case TrapKind::HostError:
      return "host error";
    case TrapKind::Exit:
      return "exit";
  }
  return "unknown trap";
}
}  // namespace wisp::jit
