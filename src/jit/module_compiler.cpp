#include "jit/module_compiler.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "jit/calling_convention.h"
#include "jit/function_compiler.h"
#include "validator/function_validator.h"

#if defined(__x86_64__)
#include "jit/x64/macro_assembler_x64.h"
namespace wisp::jit {
using HostMasm = x64::MacroAssembler;
}
#else
#error "wisp's JIT supports x86-64 only so far"
#endif

namespace wisp::jit {

namespace {

// The most machine code one module may have: calls between its functions are rel32
// and must reach. Real modules need about 2.5x their wasm code; hostile ones can need
// far more (a call_indirect is 5 bytes of wasm and ~100 of machine code).
constexpr size_t kMaxMachineCode = size_t{1} << 30;

Error machineCodeLimitError() {
  return Error{"the module's machine code exceeds wisp's limit of 1 GiB", ErrorCode::ResourceLimit};
}

// Room reserved for a module's machine code when one eager worker writes it in place:
// machine code runs about 2.5x the wasm code, so this rarely fills (when it does, the
// worker goes on in its own buffer), and untouched pages of the reservation cost nothing.
size_t machineCodeReserve(const decoder::Module& m) {
  return std::min(size_t{m.codeSectionSize} * 8 + 65536, kMaxMachineCode);
}

// Compiling threads for `options` on `pool`, the caller included.
unsigned compileWorkers(const CompileOptions& options, const ThreadPool* pool) {
  return options.threads ? options.threads : (pool ? pool->size() + 1 : 1);
}

// Collects asmjit's first error (any is a compiler bug: instructions are never invalid).
class AsmErrorHandler : public asmjit::ErrorHandler {
 public:
  void handleError(asmjit::Error, const char* message, asmjit::BaseEmitter*) override {
    if (error.empty()) error = message;
  }
  std::string error;
};

// Everything one compiling thread reuses from function to function.
struct Worker {
  using Compiler = FunctionCompiler<HostMasm>;
  Worker(const CompileEnvironment& env, const Features& features)
      : masm(initCode()), compiler(env, masm), validator(*env.module, features) {}

  asmjit::CodeHolder* initCode() {
    code.init(asmjit::Environment::host());
    code.setErrorHandler(&errors);
    return &code;
  }

  asmjit::CodeHolder code;
  AsmErrorHandler errors;
  HostMasm masm;
  Compiler compiler;
  validator::FunctionValidator<Compiler> validator;
  CodeSink sink;
};

Result<void> compileOne(const CompileEnvironment& env, Worker& w, uint32_t funcIndex,
                        FunctionRecord& record) {
  // WISP_JIT_LOG=1 prints the generated assembly of every function (debugging aid).
  static const bool log = std::getenv("WISP_JIT_LOG") != nullptr;
  asmjit::FileLogger logger(stderr);
  w.errors.error.clear();
  if (log || !w.masm.direct()) {
    // asmjit's labels and logger need a fresh CodeHolder per function.
    w.code.reset(asmjit::ResetPolicy::kSoft);
    w.code.init(asmjit::Environment::host());
    w.code.setErrorHandler(&w.errors);
    if (log) {
      std::fprintf(stderr, "; function %u\n", funcIndex);
      w.code.setLogger(&logger);
    }
    w.code.attach(&w.masm.raw());
  } else {
    w.masm.rewind();
  }
  w.masm.reset();
  CodeSink& sink = w.sink;
  record.callsBegin = static_cast<uint32_t>(sink.calls.size());
  record.accessesBegin = static_cast<uint32_t>(sink.memoryAccesses.size());
  record.callSitesBegin = static_cast<uint32_t>(sink.callSites.size());
  w.compiler.begin(funcIndex, sink);
  WISP_TRY(w.validator.run(funcIndex, w.compiler));
  if (!w.errors.error.empty()) {
    return Error{env.module->functionDisplayName(funcIndex) +
                 ": code generation failed: " + w.errors.error};
  }
  const size_t size = w.masm.codeSize();
  const uint8_t* data = w.masm.codeData();
  const size_t at = (sink.code.size() + 15) & ~size_t{15};
  const size_t pad = at - sink.code.size();
  uint8_t* out = sink.code.appendUninitialized(pad + size);
  std::memset(out, 0xCC, pad);
  out += pad;
  std::memcpy(out, data, size);
  w.masm.patchJumpTables(out);
  w.masm.finishFrame(out, w.compiler.spillBytes(), w.compiler.outgoingBytes());
  record.codeOffset = static_cast<uint32_t>(at);
  record.codeSize = static_cast<uint32_t>(size);
  record.callsEnd = static_cast<uint32_t>(sink.calls.size());
  record.accessesEnd = static_cast<uint32_t>(sink.memoryAccesses.size());
  record.callSitesEnd = static_cast<uint32_t>(sink.callSites.size());
  return success();
}

}  // namespace

// ---- lazily compiled code --------------------------------------------------------------

// Validation pass that also notices instructions the JIT cannot compile yet, so a
// lazily compiled module reports that at compile time, not on some first call.
struct SupportScan : validator::NullListener {
  bool unsupported = false;
  static bool simd(Op op) { return static_cast<uint16_t>(op) >= 0xFD00; }
  void onLoad(Op op, const validator::MemArg&) { unsupported |= simd(op); }
  void onStore(Op op, const validator::MemArg&) { unsupported |= simd(op); }
  void onLoadLane(Op, const validator::MemArg&, uint8_t) { unsupported = true; }
  void onStoreLane(Op, const validator::MemArg&, uint8_t) { unsupported = true; }
  void onV128Const(const uint8_t*) { unsupported = true; }
  void onNumeric(Op op) { unsupported |= simd(op); }
  void onLane(Op, uint8_t) { unsupported = true; }
  void onShuffle(const uint8_t*) { unsupported = true; }
  void onReturnCall(uint32_t, const FuncType&) { unsupported = true; }
  void onReturnCallIndirect(uint32_t, uint32_t, const FuncType&) { unsupported = true; }
};

// One contiguous region, a memfd mapped twice (writable and executable): the lazy
// compile stub, a 16-byte jump slot per defined function, then functions in the order
// they are first called. Slot i is `mov r11d, i; nop; jmp <stub>`; compiling function
// i rewrites the jump's rel32 (4-byte aligned, one atomic store) to point at its code.
class LazyCode {
 public:
  static constexpr uint32_t kSlotsOffset = 256;
  static constexpr uint32_t kSlotSize = 16;

  LazyCode(CompileEnvironment env, const Features& features)
      : env_(std::move(env)), features_(features) {}
  ~LazyCode() {
    if (rw_) munmap(rw_, size_);
    if (rx_) munmap(rx_, size_);
  }

  Result<void> init() {
    const decoder::Module& m = *env_.module;
    const uint32_t n = m.numDefinedFunctions();
    // Functions are compiled into this one region whatever code they turn out to need,
    // so it is reserved at the limit: address space only, pages cost once written.
    size_t size = kSlotsOffset + size_t{kSlotSize} * n + kMaxMachineCode;
    size = (size + 4095) & ~size_t{4095};
    const int fd = memfd_create("wisp-lazy-code", MFD_CLOEXEC);
    if (fd < 0) return Error{"cannot create lazy code memory", ErrorCode::ResourceLimit};
    void* w = ftruncate(fd, static_cast<off_t>(size)) == 0
                  ? mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                  : MAP_FAILED;
    void* x = w != MAP_FAILED ? mmap(nullptr, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0)
                              : MAP_FAILED;
    close(fd);
    if (w != MAP_FAILED) rw_ = static_cast<uint8_t*>(w);
    if (x == MAP_FAILED) return Error{"cannot map lazy code memory", ErrorCode::ResourceLimit};
    rx_ = static_cast<uint8_t*>(x);
    size_ = size;
    const std::vector<uint8_t> stub = generateLazyCompileStub();
    std::memcpy(rw_, stub.data(), stub.size());
    for (uint32_t i = 0; i < n; i++) {
      uint8_t* slot = rw_ + kSlotsOffset + kSlotSize * i;
      const uint32_t funcIndex = m.numImportedFunctions + i;
      slot[0] = 0x41;  // mov r11d, imm32
      slot[1] = 0xBB;
      std::memcpy(slot + 2, &funcIndex, 4);
      slot[6] = 0x90;  // nop: puts the jump's rel32 at a 4-byte boundary
      slot[7] = 0xE9;  // jmp rel32
      const int32_t rel = -static_cast<int32_t>(kSlotsOffset + kSlotSize * i + 12);
      std::memcpy(slot + 8, &rel, 4);
      std::memset(slot + 12, 0xCC, 4);
    }
    used_ = kSlotsOffset + size_t{kSlotSize} * n;
    code_ = std::make_unique<std::atomic<const void*>[]>(n);
    for (uint32_t i = 0; i < n; i++) code_[i].store(nullptr, std::memory_order_relaxed);
    placed_ = std::make_unique<Placed[]>(n);
    return success();
  }

  const void* slot(uint32_t definedIndex) const {
    return rx_ + kSlotsOffset + size_t{kSlotSize} * definedIndex;
  }

  const void* compile(uint32_t funcIndex, std::string& error) {
    const decoder::Module& m = *env_.module;
    const uint32_t def = funcIndex - m.numImportedFunctions;
    if (const void* done = code_[def].load(std::memory_order_acquire)) return done;
    std::lock_guard<std::mutex> lock(mutex_);
    if (const void* done = code_[def].load(std::memory_order_acquire)) return done;
    if (!worker_) worker_ = std::make_unique<Worker>(env_, features_);
    CodeSink& sink = worker_->sink;
    sink.code.clear();
    sink.calls.clear();
    sink.memoryAccesses.clear();
    sink.callSites.clear();
    // The code goes straight to its place in the region (nothing runs it before it is
    // published below); only if the region cannot hold it does the sink keep a copy.
    const size_t at = (used_ + 15) & ~size_t{15};
    if (at < size_) sink.code.useExternal(rw_ + at, size_ - at);
    FunctionRecord rec;
    auto r = compileOne(env_, *worker_, funcIndex, rec);
    if (!r) {
      error = r.error().message;
      return nullptr;
    }
    if (!sink.code.external() || rec.codeOffset != 0) {
      if (at + rec.codeSize > size_) {
        error = machineCodeLimitError().message;
        return nullptr;
      }
      std::memmove(rw_ + at, sink.code.data() + rec.codeOffset, rec.codeSize);
    }
    for (uint32_t k = rec.callsBegin; k < rec.callsEnd; k++) {
      const CallRelocation& c = sink.calls[k];
      const uint32_t callee = c.targetFunction - m.numImportedFunctions;
      const void* compiled = code_[callee].load(std::memory_order_acquire);
      const uint8_t* target = compiled ? static_cast<const uint8_t*>(compiled)
                                       : static_cast<const uint8_t*>(slot(callee));
      const int32_t rel = static_cast<int32_t>(target - (rx_ + at + c.codeOffset + 4));
      std::memcpy(rw_ + at + c.codeOffset, &rel, 4);
    }
    // Publish the metadata traps need before anything can run the code.
    const uint32_t count = placedCount_.load(std::memory_order_relaxed);
    Placed& p = placed_[count];
    p.start = static_cast<uint32_t>(at);
    p.end = static_cast<uint32_t>(at + rec.codeSize);
    p.funcIndex = funcIndex;
    for (uint32_t k = rec.accessesBegin; k < rec.accessesEnd; k++) {
      const CodeSite& site = sink.memoryAccesses[k];
      p.memoryAccesses.push_back(CodeSite{p.start + site.codeOffset, site.wasmOffset});
    }
    for (uint32_t k = rec.callSitesBegin; k < rec.callSitesEnd; k++) {
      const CodeSite& site = sink.callSites[k];
      p.callSites.push_back(CodeSite{p.start + site.codeOffset, site.wasmOffset});
    }
    used_ = p.end;
    placedCount_.store(count + 1, std::memory_order_release);
    const uint8_t* code = rx_ + at;
    code_[def].store(code, std::memory_order_release);
    // Point the slot at the code: one aligned 4-byte store, atomic for other threads.
    const uint8_t* slotAddress = static_cast<const uint8_t*>(slot(def));
    const int32_t rel = static_cast<int32_t>(code - (slotAddress + 12));
    __atomic_store_n(reinterpret_cast<int32_t*>(rw_ + (slotAddress - rx_) + 8), rel,
                     __ATOMIC_RELEASE);
    return code;
  }

  bool contains(uintptr_t pc) const {
    const uintptr_t base = reinterpret_cast<uintptr_t>(rx_);
    return pc >= base && pc < base + size_;
  }
  int64_t functionAt(uintptr_t pc) const {
    const Placed* p = placedAt(pc);
    return p ? p->funcIndex : -1;
  }
  int64_t memoryAccessAt(uintptr_t pc) const {
    const Placed* p = placedAt(pc);
    return p ? findSite(p->memoryAccesses, offsetOf(pc)) : -1;
  }
  int64_t callSiteAt(uintptr_t pc) const {
    const Placed* p = placedAt(pc);
    return p ? findSite(p->callSites, offsetOf(pc)) : -1;
  }
  size_t codeBytes() const { return used_; }

 private:
  struct Placed {
    uint32_t start = 0, end = 0, funcIndex = 0;
    std::vector<CodeSite> memoryAccesses, callSites;  // offsets in the region
  };
  uint32_t offsetOf(uintptr_t pc) const {
    return static_cast<uint32_t>(pc - reinterpret_cast<uintptr_t>(rx_));
  }
  // Functions are placed at increasing offsets, so the published prefix is sorted.
  // Safe from a signal handler: entries are complete before the count covers them.
  const Placed* placedAt(uintptr_t pc) const {
    if (!contains(pc)) return nullptr;
    const uint32_t off = offsetOf(pc);
    uint32_t lo = 0, hi = placedCount_.load(std::memory_order_acquire);
    while (lo < hi) {
      const uint32_t mid = (lo + hi) / 2;
      if (placed_[mid].end <= off) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < placedCount_.load(std::memory_order_acquire) && placed_[lo].start <= off
               ? &placed_[lo]
               : nullptr;
  }
  static int64_t findSite(const std::vector<CodeSite>& sites, uint32_t off) {
    auto it = std::lower_bound(sites.begin(), sites.end(), off,
                               [](const CodeSite& s, uint32_t o) { return s.codeOffset < o; });
    return it == sites.end() || it->codeOffset != off ? -1 : it->wasmOffset;
  }

  CompileEnvironment env_;
  Features features_;
  uint8_t* rw_ = nullptr;
  uint8_t* rx_ = nullptr;
  size_t size_ = 0;
  size_t used_ = 0;
  std::mutex mutex_;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<std::atomic<const void*>[]> code_;
  std::unique_ptr<Placed[]> placed_;
  std::atomic<uint32_t> placedCount_{0};
};

// ---- CompiledCode -----------------------------------------------------------------------

CompiledCode::CompiledCode() = default;
CompiledCode::~CompiledCode() = default;

const void* CompiledCode::functionCode(uint32_t funcIndex) const {
  const uint32_t def = funcIndex - numImportedFunctions;
  if (lazy) return lazy->slot(def);
  return memory.data() + functionStarts[def];
}

bool CompiledCode::contains(uintptr_t pc) const {
  if (lazy) return lazy->contains(pc);
  const uintptr_t base = reinterpret_cast<uintptr_t>(memory.data());
  return pc >= base && pc < base + memory.size();
}

int64_t CompiledCode::functionAt(uintptr_t pc) const {
  if (lazy) return lazy->functionAt(pc);
  if (!contains(pc)) return -1;
  const uint32_t off = static_cast<uint32_t>(pc - reinterpret_cast<uintptr_t>(memory.data()));
  auto it = std::upper_bound(functionStarts.begin(), functionStarts.end(), off);
  if (it == functionStarts.begin()) return -1;
  const size_t i = static_cast<size_t>(it - functionStarts.begin()) - 1;
  if (off >= functionEnds[i]) return -1;
  return static_cast<int64_t>(i + numImportedFunctions);
}

static int64_t findSite(const std::vector<CodeSite>& sites, const CodeMemory& memory,
                        uintptr_t pc) {
  const uintptr_t base = reinterpret_cast<uintptr_t>(memory.data());
  if (pc < base || pc >= base + memory.size()) return -1;
  const uint32_t off = static_cast<uint32_t>(pc - base);
  auto it = std::lower_bound(sites.begin(), sites.end(), off,
                             [](const CodeSite& s, uint32_t o) { return s.codeOffset < o; });
  if (it == sites.end() || it->codeOffset != off) return -1;
  return it->wasmOffset;
}

int64_t CompiledCode::memoryAccessAt(uintptr_t pc) const {
  if (lazy) return lazy->memoryAccessAt(pc);
  return findSite(memoryAccesses, memory, pc);
}
int64_t CompiledCode::callSiteAt(uintptr_t pc) const {
  if (lazy) return lazy->callSiteAt(pc);
  return findSite(callSites, memory, pc);
}
size_t CompiledCode::machineCodeBytes() const {
  // The eager code memory may be reserved beyond the code (see compileEager).
  if (lazy) return lazy->codeBytes();
  return functionEnds.empty() ? memory.size() : functionEnds.back();
}

const void* CompiledCode::compileLazily(uint32_t funcIndex, std::string& error) const {
  return lazy->compile(funcIndex, error);
}

namespace {
CompileEnvironment makeEnvironment(const decoder::Module& m, const CompileOptions& options) {
  CompileEnvironment env;
  env.module = &m;
  env.fuel = options.fuel;
  env.layout = VMContextLayout(m);
  env.signatures.reserve(m.types.size());
  for (const FuncType& t : m.types) env.signatures.push_back(computeCallSignature<HostMasm>(t));
  return env;
}

Result<std::unique_ptr<CompiledCode>> compileEager(const decoder::Module& m,
                                                   const Features& features, ThreadPool* pool,
                                                   const CompileOptions& options);
}  // namespace

namespace {
// Validates every function body before a lazily compiled module is instantiated (the
// spec rejects an invalid module as a whole), in parallel for larger modules. Reports
// the lowest-indexed invalid function, as a serial scan would: indices are handed out in
// increasing order and nothing above a known failure is started.
Result<void> scanFunctions(const decoder::Module& m, const Features& features, ThreadPool* pool,
                           const CompileOptions& options, bool& unsupported) {
  const uint32_t first = m.numImportedFunctions;
  const uint32_t end = static_cast<uint32_t>(m.functions.size());
  unsigned workers = compileWorkers(options, pool);
  // Below this, starting a thread costs about what it saves.
  if (m.codeSectionSize < 256 * 1024 || !pool) workers = 1;
  constexpr uint32_t kChunk = 16;  // functions per grab: fewer atomic operations
  std::atomic<uint32_t> next{first};
  std::atomic<uint32_t> failedAt{end};
  std::atomic<bool> anyUnsupported{false};
  std::mutex errorMutex;
  Error error;
  auto work = [&](unsigned) {
    SupportScan scan;
    validator::FunctionValidator<SupportScan> validator(m, features);
    for (;;) {
      const uint32_t begin = next.fetch_add(kChunk, std::memory_order_relaxed);
      if (begin >= failedAt.load(std::memory_order_relaxed)) break;
      const uint32_t stop = std::min(begin + kChunk, end);
      for (uint32_t f = begin; f < stop; f++) {
        auto r = validator.run(f, scan);
        if (r) continue;
        std::lock_guard<std::mutex> lock(errorMutex);
        if (f < failedAt.load(std::memory_order_relaxed)) {
          failedAt.store(f, std::memory_order_relaxed);
          error = r.takeError();
        }
        break;
      }
    }
    if (scan.unsupported) anyUnsupported.store(true, std::memory_order_relaxed);
  };
  if (workers > 1) {
    pool->run(workers, work);
  } else {
    work(0);
  }
  if (failedAt.load() != end) return error;
  unsupported = anyUnsupported.load();
  return success();
}
}  // namespace

Result<std::unique_ptr<CompiledCode>> compileModule(const decoder::Module& m,
                                                    const Features& features, ThreadPool* pool,
                                                    const CompileOptions& options) {
  if (!options.lazy || m.numDefinedFunctions() == 0)
    return compileEager(m, features, pool, options);
  bool unsupported = false;
  WISP_TRY(scanFunctions(m, features, pool, options, unsupported));
  if (unsupported) return compileEager(m, features, pool, options);  // reports it
  auto code = std::make_unique<CompiledCode>();
  code->module = &m;
  code->layout = VMContextLayout(m);
  code->numImportedFunctions = m.numImportedFunctions;
  code->lazy = std::make_unique<LazyCode>(makeEnvironment(m, options), features);
  WISP_TRY(code->lazy->init());
  return code;
}

namespace {
Result<std::unique_ptr<CompiledCode>> compileEager(const decoder::Module& m,
                                                   const Features& features, ThreadPool* pool,
                                                   const CompileOptions& options) {
  CompileEnvironment env = makeEnvironment(m, options);

  const uint32_t n = m.numDefinedFunctions();
  std::vector<FunctionRecord> records(n);
  std::vector<Error> errors(n);
  std::vector<uint8_t> failed(n, 0);
  std::atomic<uint32_t> next{0};
  std::atomic<bool> stop{false};

  // Small modules compile on the calling thread; thread hand-off costs more than it saves.
  unsigned workers = compileWorkers(options, pool);
  if (m.codeSectionSize < 64 * 1024 || n < 8) workers = 1;
  std::vector<std::unique_ptr<Worker>> workerState(workers);
  // One worker compiles the functions in index order, which is their final layout (the
  // same 16-byte alignment and int3 padding): it writes straight into the code memory
  // instead of a buffer copied there afterwards, saving a copy and the page faults of
  // a second image. The region is reserved generously (untouched pages cost nothing;
  // machine code runs about 2.5 times the wasm code); should it fill up, the sink
  // continues in its own buffer and the code is copied as with several workers.
  CodeMemory direct;
  if (workers == 1 && n > 0) {
    auto mem = CodeMemory::allocate(machineCodeReserve(m));
    if (mem) direct = std::move(mem).value();
    // Large modules fill megabytes of it: transparent huge pages (where the system
    // allows them on request) take one page fault per 2 MiB instead of per 4 KiB.
    if (direct.data() && direct.size() >= (size_t{8} << 20)) {
      madvise(direct.data(), direct.size(), MADV_HUGEPAGE);
    }
  }
  auto work = [&](unsigned w) {
    if (!workerState[w]) {
      workerState[w] = std::make_unique<Worker>(env, features);
      // Machine code runs about twice the size of wasm code; reserving it up front
      // avoids copying the sink as it grows (untouched pages cost nothing).
      CodeSink& sink = workerState[w]->sink;
      const size_t share = m.codeSectionSize / workers;
      if (direct.data()) {
        sink.code.useExternal(direct.data(), direct.size());
      } else {
        sink.code.reserve(share * 5 / 2 + 4096);
      }
      // Typical densities (per byte of wasm code), so the metadata rarely reallocates.
      sink.memoryAccesses.reserve(share / 16 + 64);
      sink.calls.reserve(share / 32 + 64);
      sink.callSites.reserve(share / 32 + 64);
    }
    Worker& worker = *workerState[w];
    for (;;) {
      if (stop.load(std::memory_order_relaxed)) return;
      const uint32_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) return;
      records[i].worker = w;
      auto r = compileOne(env, worker, m.numImportedFunctions + i, records[i]);
      if (!r) {
        errors[i] = r.takeError();
        failed[i] = 1;
        stop.store(true, std::memory_order_relaxed);
      }
    }
  };
  if (pool && workers > 1) {
    pool->run(workers, work);
  } else {
    work(0);
  }
  // Report the first failing function in index order, whatever thread found it.
  for (uint32_t i = 0; i < n; i++) {
    if (failed[i]) return std::move(errors[i]);
  }

  // Lay functions out in index order (deterministic whatever the thread count).
  auto code = std::make_unique<CompiledCode>();
  code->module = &m;
  code->layout = env.layout;
  code->numImportedFunctions = m.numImportedFunctions;
  code->functionStarts.resize(n);
  code->functionEnds.resize(n);
  size_t total = 0, accesses = 0, callSites = 0;
  bool sameLayout = true;  // every function sits in its sink where it goes in the code
  for (uint32_t i = 0; i < n; i++) {
    total = (total + 15) & ~size_t{15};
    code->functionStarts[i] = static_cast<uint32_t>(total);
    sameLayout = sameLayout && records[i].codeOffset == total;
    total += records[i].codeSize;
    if (total > kMaxMachineCode) return machineCodeLimitError();
    code->functionEnds[i] = static_cast<uint32_t>(total);
    accesses += records[i].accessesEnd - records[i].accessesBegin;
    callSites += records[i].callSitesEnd - records[i].callSitesBegin;
  }
  // The code is in place when the single worker's sink stayed in `direct`.
  const bool inPlace =
      direct.data() && workerState[0] && workerState[0]->sink.code.external() && sameLayout;
  if (inPlace) {
    code->memory = std::move(direct);
  } else {
    auto mem = CodeMemory::allocate(total);
    if (!mem) return mem.takeError();
    code->memory = std::move(mem).value();
  }
  uint8_t* base = code->memory.data();
  // One worker filled its sink's site lists in function order: they become the
  // module's lists once their offsets are made absolute (no copy).
  const bool oneSink = workers == 1 && workerState[0] != nullptr;
  if (!oneSink) {
    code->memoryAccesses.reserve(accesses);
    code->callSites.reserve(callSites);
  }
  size_t end = 0;
  for (uint32_t i = 0; i < n; i++) {
    const FunctionRecord& r = records[i];
    const CodeSink& sink = workerState[r.worker]->sink;
    const uint32_t start = code->functionStarts[i];
    if (!inPlace) {
      std::memset(base + end, 0xCC, start - end);  // int3 between functions
      std::memcpy(base + start, sink.code.data() + r.codeOffset, r.codeSize);
    }
    end = start + r.codeSize;
    for (uint32_t k = r.callsBegin; k < r.callsEnd; k++) {
      const CallRelocation& c = sink.calls[k];
      const uint32_t target = code->functionStarts[c.targetFunction - m.numImportedFunctions];
      const int32_t rel =
          static_cast<int32_t>(target) - static_cast<int32_t>(start + c.codeOffset + 4);
      std::memcpy(base + start + c.codeOffset, &rel, 4);
    }
    if (oneSink) {
      CodeSink& own = workerState[0]->sink;
      for (uint32_t k = r.accessesBegin; k < r.accessesEnd; k++) {
        own.memoryAccesses[k].codeOffset += start;
      }
      for (uint32_t k = r.callSitesBegin; k < r.callSitesEnd; k++) {
        own.callSites[k].codeOffset += start;
      }
      continue;
    }
    for (uint32_t k = r.accessesBegin; k < r.accessesEnd; k++) {
      const CodeSite& site = sink.memoryAccesses[k];
      code->memoryAccesses.push_back(CodeSite{start + site.codeOffset, site.wasmOffset});
    }
    for (uint32_t k = r.callSitesBegin; k < r.callSitesEnd; k++) {
      const CodeSite& site = sink.callSites[k];
      code->callSites.push_back(CodeSite{start + site.codeOffset, site.wasmOffset});
    }
  }
  if (oneSink) {
    code->memoryAccesses = std::move(workerState[0]->sink.memoryAccesses);
    code->callSites = std::move(workerState[0]->sink.callSites);
  }
  // WISP_JIT_DUMP=FILE writes the module's machine code (debugging aid).
  if (const char* dump = std::getenv("WISP_JIT_DUMP")) {
    if (std::FILE* f = std::fopen(dump, "wb")) {
      std::fwrite(base, 1, total, f);
      std::fclose(f);
    }
  }
  WISP_TRY(code->memory.makeExecutable());
  return code;
}

}  // namespace
}  // namespace wisp::jit
