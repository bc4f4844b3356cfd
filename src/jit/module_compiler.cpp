#include "jit/module_compiler.h"

#include <algorithm>
#include <memory>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
  w.code.reset(asmjit::ResetPolicy::kSoft);
  w.code.init(asmjit::Environment::host());
  w.errors.error.clear();
  w.code.setErrorHandler(&w.errors);
  // WISP_JIT_LOG=1 prints the generated assembly of every function (debugging aid).
  static const bool log = std::getenv("WISP_JIT_LOG") != nullptr;
  asmjit::FileLogger logger(stderr);
  if (log) {
    std::fprintf(stderr, "; function %u\n", funcIndex);
    w.code.setLogger(&logger);
  }
  w.code.attach(&w.masm.raw());
  w.masm.reset();
  CodeSink& sink = w.sink;
  record.callsBegin = static_cast<uint32_t>(sink.calls.size());
  record.accessesBegin = static_cast<uint32_t>(sink.memoryAccesses.size());
  record.callSitesBegin = static_cast<uint32_t>(sink.callSites.size());
  w.compiler.begin(funcIndex, sink);
  WISP_TRY(w.validator.run(funcIndex, w.compiler));
  if (!w.errors.error.empty()) {
    return Error{env.module->functionDisplayName(funcIndex) + ": code generation failed: " +
                 w.errors.error};
  }
  const asmjit::CodeBuffer& buf = w.code.textSection()->buffer();
  const size_t at = (sink.code.size() + 15) & ~size_t{15};
  sink.code.resize(at + buf.size(), 0xCC);
  uint8_t* out = sink.code.data() + at;
  std::memcpy(out, buf.data(), buf.size());
  w.masm.patchJumpTables(out);
  w.masm.finishFrame(out, w.compiler.spillBytes(), w.compiler.outgoingBytes());
  record.codeOffset = static_cast<uint32_t>(at);
  record.codeSize = static_cast<uint32_t>(buf.size());
  record.callsEnd = static_cast<uint32_t>(sink.calls.size());
  record.accessesEnd = static_cast<uint32_t>(sink.memoryAccesses.size());
  record.callSitesEnd = static_cast<uint32_t>(sink.callSites.size());
  return success();
}

}  // namespace

int64_t CompiledCode::functionAt(uintptr_t pc) const {
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
  return findSite(memoryAccesses, memory, pc);
}
int64_t CompiledCode::callSiteAt(uintptr_t pc) const { return findSite(callSites, memory, pc); }

Result<std::unique_ptr<CompiledCode>> compileModule(const decoder::Module& m,
                                                    const Features& features, ThreadPool* pool,
                                                    const CompileOptions& options) {
  CompileEnvironment env;
  env.module = &m;
  env.layout = VMContextLayout(m);
  env.signatures.reserve(m.types.size());
  for (const FuncType& t : m.types) env.signatures.push_back(computeCallSignature<HostMasm>(t));

  const uint32_t n = m.numDefinedFunctions();
  std::vector<FunctionRecord> records(n);
  std::vector<Error> errors(n);
  std::vector<uint8_t> failed(n, 0);
  std::atomic<uint32_t> next{0};
  std::atomic<bool> stop{false};

  // Small modules compile on the calling thread; thread hand-off costs more than it saves.
  unsigned workers = options.threads ? options.threads : (pool ? pool->size() + 1 : 1);
  if (m.codeSectionSize < 64 * 1024 || n < 8) workers = 1;
  std::vector<std::unique_ptr<Worker>> workerState(workers);
  auto work = [&](unsigned w) {
        if (!workerState[w]) {
      workerState[w] = std::make_unique<Worker>(env, features);
      // Machine code runs about twice the size of wasm code; reserving it up front
      // avoids copying the sink as it grows (untouched pages cost nothing).
      workerState[w]->sink.code.reserve(
          static_cast<size_t>(m.codeSectionSize) * 5 / 2 / workers + 4096);
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
  for (uint32_t i = 0; i < n; i++) {
    total = (total + 15) & ~size_t{15};
    code->functionStarts[i] = static_cast<uint32_t>(total);
    total += records[i].codeSize;
    code->functionEnds[i] = static_cast<uint32_t>(total);
    accesses += records[i].accessesEnd - records[i].accessesBegin;
    callSites += records[i].callSitesEnd - records[i].callSitesBegin;
  }
  auto mem = CodeMemory::allocate(total);
  if (!mem) return mem.takeError();
  code->memory = std::move(mem).value();
  uint8_t* base = code->memory.data();
  code->memoryAccesses.reserve(accesses);
  code->callSites.reserve(callSites);
  size_t end = 0;
  for (uint32_t i = 0; i < n; i++) {
    const FunctionRecord& r = records[i];
    const CodeSink& sink = workerState[r.worker]->sink;
    const uint32_t start = code->functionStarts[i];
    std::memset(base + end, 0xCC, start - end);  // int3 between functions
    std::memcpy(base + start, sink.code.data() + r.codeOffset, r.codeSize);
    end = start + r.codeSize;
    for (uint32_t k = r.callsBegin; k < r.callsEnd; k++) {
      const CallRelocation& c = sink.calls[k];
      const uint32_t target = code->functionStarts[c.targetFunction - m.numImportedFunctions];
      const int32_t rel =
          static_cast<int32_t>(target) - static_cast<int32_t>(start + c.codeOffset + 4);
      std::memcpy(base + start + c.codeOffset, &rel, 4);
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

}  // namespace wisp::jit
