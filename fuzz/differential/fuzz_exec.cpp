// wisp-fuzz-exec: runs a module the way binaryen's `wasm-opt --fuzz-exec-before` does
// (binaryen version 108, src/tools/execution-results.h) and prints the same trace, so
// that run.sh can diff the two. (`--binaryen 132` switches to binaryen 132's way, which
// run.sh's reftypes mode uses: see runModern below.) In order:
//
//   - every "fuzzing-support" import is a logging function: each call prints
//     "[LoggingExternalInterface logging ARGS]" (an i64 argument as two i32s, low half
//     first, as binaryen does to survive JS legalization) and returns zeros;
//   - if instantiation traps, "[trap MESSAGE]" and nothing else;
//   - for each exported function, in export order: "[fuzz-exec] calling NAME"; the
//     export "hangLimitInitializer" (if any) is called first; then the export is called
//     with zero arguments; a trap prints "[trap MESSAGE]" and execution continues with
//     the next export in the same instance; results print as
//     "[fuzz-exec] note result: NAME => VALUE".
//
// Values print as binaryen's Literal printer does: integers signed, floats through its
// JavaScript-style shortest form (cashew::JSPrinter::numToString), a single reference
// result as its type name ("funcref", and "anyref" for externref: binaryen 108 knows no
// externref), references inside a multi-value result as "funcref(NAME)" with binaryen's
// function names. Trap messages are wisp's (the spec's wording); run.sh maps binaryen's
// wording onto them.
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/file.h"
#include "runtime/runtime.h"

namespace wisp::fuzz {
namespace {

using runtime::TrapKind;
using runtime::Value;

constexpr int kExitUsage = 2;
constexpr int kExitUnsupported = 3;  // the module needs something this tool cannot provide
constexpr int kExitTimeout = 4;

// ---- binaryen's number printing -------------------------------------------------------

// Removes the zeros at the end of the fraction digits that follow buffer's first '.',
// then the zeros at the start of buffer ("0.50" -> ".5", "1.000e+02" -> "1.e+02").
void stripZerosAroundDot(std::string& s, size_t dot) {
  size_t end = dot + 1;
  while (end < s.size() && s[end] >= '0' && s[end] <= '9') end++;
  size_t last = end;  // one past the last fraction digit
  while (last > dot + 1 && s[last - 1] == '0') last--;
  s.erase(last, end - last);
  size_t lead = 0;
  while (lead < s.size() && s[lead] == '0') lead++;
  s.erase(0, lead);
}

// Rewrites trailing zeros as an exponent ("12345000" -> "12345e3"); digits beyond the
// 25th are dropped even when not zero (a double has no more significant digits).
void zerosToExponent(std::string& s) {
  if (s.empty()) return;
  const size_t end = s.size() - 1;
  size_t test = end;
  while ((s[test] == '0' || test > 24) && test > 0) test--;
  const size_t num = end - test;
  if (num >= 3) s = s.substr(0, test + 1) + "e" + std::to_string(num);
}

bool isUInteger64(double d) {
  return d >= 0 && d <= static_cast<double>(UINT64_MAX);  // 2^64 included, saturated below
}
uint64_t toUInteger64(double d) {
  return d < static_cast<double>(UINT64_MAX) ? static_cast<uint64_t>(d) : UINT64_MAX;
}

std::string format(const char* fmt, double d) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, d);
  return buf;
}

// The fewest characters that read back as d (finite), trying fixed and exponent
// notation and keeping the more exact, then the shorter, of the two.
std::string numToString(double d) {
  const bool neg = d < 0;
  if (neg) d = -d;
  const bool integer = d == std::trunc(d);
  std::string candidate[2];  // [0] fixed, [1] exponent
  double error[2];
  for (int e = 0; e <= 1; e++) {
    std::string& s = candidate[e];
    double back = 0;
    if (!integer) {
      for (int precision = 0; precision <= 18; precision++) {
        const std::string fmt = "%." + std::to_string(precision) + (e ? "e" : "f");
        s = format(fmt.c_str(), d);
        back = std::strtod(s.c_str(), nullptr);
        if (back == d) break;
      }
    } else if (isUInteger64(d)) {
      s = std::to_string(toUInteger64(d));
      back = std::strtod(s.c_str(), nullptr);
    } else {
      s = format(e ? "%e" : "%.0f", d);
      back = std::strtod(s.c_str(), nullptr);
    }
    error[e] = std::fabs(back - d);
    const size_t dot = s.find('.');
    if (dot != std::string::npos) {
      stripZerosAroundDot(s, dot);
    } else if (!integer || !e) {
      zerosToExponent(s);
    }
  }
  std::string out;
  if (error[1] == error[0]) {
    out = candidate[1].size() < candidate[0].size() ? candidate[1] : candidate[0];
  } else {
    out = error[1] < error[0] ? candidate[1] : candidate[0];
  }
  return neg ? "-" + out : out;
}

template <typename Bits>
std::string nanText(bool negative, Bits payload) {
  std::string s = negative ? "-nan" : "nan";
  if (payload) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ":0x%llx", static_cast<unsigned long long>(payload));
    s += buf;
  }
  return s;
}

std::string printDouble(double d) {
  if (d == 0 && std::signbit(d)) return "-0";
  if (std::isnan(d)) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    return nanText(std::signbit(d), bits & 0x000FFFFFFFFFFFFFull);
  }
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  std::string text = numToString(d);
  if (text[0] == '.') return "0" + text;
  if (text.size() > 1 && text[0] == '-' && text[1] == '.') return "-0" + text.substr(1);
  return text;
}

std::string printFloat(float f) {
  if (std::isnan(f)) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    return nanText(std::signbit(f), bits & 0x007FFFFFu);
  }
  return printDouble(f);
}

// ---- the module's functions as binaryen names them ------------------------------------

class FunctionNames {
 public:
  explicit FunctionNames(const runtime::Instance& instance) {
    const decoder::Module& m = instance.module().decl();
    std::vector<std::string> names(m.functions.size());
    // Without a name section binaryen calls imports "fimport$I" (I counting imports)
    // and defined functions by their index among the defined ones.
    uint32_t func = 0;
    for (size_t i = 0; i < m.imports.size(); i++) {
      if (m.imports[i].kind == ExternKind::Func) names[func++] = "fimport$" + std::to_string(i);
    }
    for (uint32_t d = 0; d < m.numDefinedFunctions(); d++) {
      names[m.numImportedFunctions + d] = std::to_string(d);
    }
    for (const auto& [index, name] : m.functionNames) {
      if (index < names.size()) names[index] = name;
    }
    for (uint32_t i = 0; i < names.size(); i++) byRef_.emplace(instance.funcRef(i), names[i]);
  }
  std::string of(uintptr_t ref) const {
    auto it = byRef_.find(reinterpret_cast<const jit::FuncRef*>(ref));
    return it == byRef_.end() ? "?" : it->second;
  }

 private:
  std::unordered_map<const jit::FuncRef*, std::string> byRef_;
};

// One value the way binaryen's Literal printer shows it.
std::string printValue(const Value& v, const FunctionNames* names) {
  switch (v.type) {
    case ValType::I32:
      return std::to_string(static_cast<int32_t>(v.asI32()));
    case ValType::I64:
      return std::to_string(static_cast<int64_t>(v.asI64()));
    case ValType::F32:
      return printFloat(v.asF32());
    case ValType::F64:
      return printDouble(v.asF64());
    case ValType::FuncRef:
      if (!v.asRef()) return "funcref(null)";
      return "funcref(" + (names ? names->of(v.asRef()) : std::string("?")) + ")";
    case ValType::ExternRef:
      return v.asRef() ? "anyref(?)" : "anyref(null)";
    default:
      return "?";
  }
}

// An export's results: one value alone (a reference as its type name), several as a
// parenthesized tuple.
std::string printResults(const std::vector<Value>& values, const FunctionNames& names) {
  if (values.size() == 1) {
    if (values[0].type == ValType::FuncRef) return "funcref";
    if (values[0].type == ValType::ExternRef) return "anyref";
    return printValue(values[0], &names);
  }
  std::string s = "(";
  for (size_t i = 0; i < values.size(); i++) {
    if (i) s += ", ";
    s += printValue(values[i], &names);
  }
  return s + ")";
}

// ---- host side ------------------------------------------------------------------------

// Interrupts the store if a call runs longer than the limit: binaryen's traces always
// end (the fuzzer's modules carry hang limits), so a call that does not is a wisp bug.
class Watchdog {
  using Clock = std::chrono::steady_clock;

 public:
  Watchdog(runtime::Store& store, double seconds)
      : store_(store),
        limit_(
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))) {
    thread_ = std::thread([this] { run(); });
  }
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // Starts timing one call; the next arm() or disarm() ends it.
  void arm() {
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_ = Clock::now() + limit_;
    armed_ = true;
    cv_.notify_all();
  }
  void disarm() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
  }
  bool fired() const { return fired_; }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      if (!armed_) {
        cv_.wait(lock);
      } else if (cv_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
                 Clock::now() >= deadline_) {
        fired_ = true;
        armed_ = false;
        store_.interrupt();
      }
    }
  }

  runtime::Store& store_;
  Clock::duration limit_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  Clock::time_point deadline_;
  bool armed_ = false;
  bool stop_ = false;
  std::atomic<bool> fired_{false};
};

// Binaryen's message for a trap is printed at the trap; ours is the spec's wording,
// without wisp's "(in function ...)" location.
std::string trapLine(std::string message) {
  const std::string startPrefix = "start function: ";
  if (message.rfind(startPrefix, 0) == 0) message.erase(0, startPrefix.size());
  const size_t paren = message.find(" (");
  if (paren != std::string::npos) message.erase(paren);
  return "[trap " + message + "]";
}

// binaryen 108's way (see the top of this file).
int runLegacy(runtime::Engine& engine, std::shared_ptr<runtime::Module> module, const char* path,
              double timeoutSeconds) {
  const decoder::Module& decl = module->decl();

  // Binaryen's interpreter refuses to grow a memory beyond 1 GiB; so does this store.
  // (It grows tables to 2^30 entries, wisp to 10^7; table.grow needs reference types,
  // which run.sh leaves off.)
  runtime::StoreLimits limits;
  limits.maxMemoryPages = (1u << 30) / kPageSize;
  runtime::Store store(engine, limits);
  store.setFuel(UINT64_MAX);
  runtime::Linker linker(engine);
  for (const decoder::Import& im : decl.imports) {
    if (im.module != "fuzzing-support" || im.kind != ExternKind::Func) {
      std::fprintf(stderr, "wisp-fuzz-exec: unsupported import \"%s\" \"%s\"\n", im.module.c_str(),
                   im.name.c_str());
      return kExitUnsupported;
    }
    const FuncType& type = decl.types[im.funcType];
    linker.defineFunction(
        im.module, im.name, type, [type](runtime::Caller&, const Value* args, Value* results) {
          std::string line = "[LoggingExternalInterface logging";
          for (uint32_t i = 0; i < type.numParams; i++) {
            if (args[i].type == ValType::I64) {
              const uint64_t v = args[i].asI64();
              line += ' ' + std::to_string(static_cast<int32_t>(static_cast<uint32_t>(v)));
              line += ' ' + std::to_string(static_cast<int32_t>(static_cast<uint32_t>(v >> 32)));
            } else {
              line += ' ' + printValue(args[i], nullptr);
            }
          }
          std::printf("%s]\n", line.c_str());
          for (uint32_t i = 0; i < type.numResults(); i++) {
            results[i] = Value::zero(type.results()[i]);
          }
          return runtime::HostResult::ok();
        });
  }

  Watchdog watchdog(store, timeoutSeconds);
  watchdog.arm();
  auto instance = linker.instantiate(store, module);
  watchdog.disarm();
  if (!instance) {
    if (instance.error().code != ErrorCode::Runtime) {
      std::fprintf(stderr, "wisp-fuzz-exec: %s: %s\n", path, instance.error().message.c_str());
      return kExitUnsupported;
    }
    std::printf("%s\n", trapLine(instance.error().message).c_str());
    return 0;
  }
  const FunctionNames names(**instance);
  const jit::FuncRef* hangLimitInitializer = (*instance)->getFunction("hangLimitInitializer");

  for (const decoder::Export& ex : decl.exports) {
    if (ex.kind != ExternKind::Func) continue;
    std::printf("[fuzz-exec] calling %s\n", ex.name.c_str());
    const FuncType& type = decl.functionType(ex.index);
    std::vector<Value> args;
    for (ValType t : type.params()) args.push_back(Value::zero(t));
    watchdog.arm();
    runtime::CallResult r;
    if (hangLimitInitializer) r = store.call(hangLimitInitializer, {});
    if (r.ok()) r = store.call((*instance)->funcRef(ex.index), args);
    watchdog.disarm();
    if (watchdog.fired()) {
      std::printf("[wisp-fuzz-exec: timed out after %g s]\n", timeoutSeconds);
      std::fflush(stdout);
      return kExitTimeout;
    }
    if (!r.ok()) {
      std::printf("%s\n", trapLine(r.trap->message).c_str());
      continue;
    }
    if (!r.values.empty()) {
      std::printf("[fuzz-exec] note result: %s => %s\n", ex.name.c_str(),
                  printResults(r.values, names).c_str());
    }
  }
  return 0;
}

// ---- binaryen 132 -----------------------------------------------------------------------
//
// Newer binaryen (the npm package, version 132; src/tools/execution-results.h) runs a
// module differently from 108:
//
//   - exports are visited in order: a function export prints "[fuzz-exec] export NAME"
//     and is called with zero arguments (there is no hangLimitInitializer any more: the
//     hang limit is a global that -ttf's code resets itself); a global export prints
//     "[fuzz-exec] export NAME" and "[LoggingExternalInterface logging VALUE]"; other
//     exports are skipped;
//   - results print as "[fuzz-exec] note result: NAME => " and then each value
//     followed by a newline;
//   - references print as JS sees them: "null", "function" for any non-null funcref,
//     "externref(N)" for a host reference with payload N;
//   - "fuzzing-support" imports besides the loggers: table-get/table-set (on the table
//     exported as "table"), call-export/call-export-catch (call export #I from "JS"),
//     call-ref/call-ref-catch (call a funcref from "JS"), sleep (returns its second
//     argument); and env.setTempRet0/getTempRet0 (from binaryen's JS legalization).
//     What JS would throw (an index past the table or the exports, a
//     non-function export, a null funcref, an i64 parameter) is an exception, which
//     the *-catch variants turn into 1 and which otherwise ends the export with
//     "[exception thrown: imported-js-tag jserror]". A trap is not caught by them;
//   - a start function (-ttf makes them now) runs before JS has the exports and the
//     table: there call-export*, table-get and table-set throw, and an exception
//     that ends instantiation prints "[exception thrown: failed to instantiate
//     module]" (a trap prints its "[trap ...]"), and nothing else follows;
//   - imported immutable externref globals (any names) hold a host reference whose
//     payload is the sum of the characters of module and name, mod 251.
//
// Here a host reference with payload N is the externref value N + 1 (0 is null), and
// a JS exception is a host error with the message below, unwinding through wasm.

const char* const kJsException = "wisp-fuzz-exec: JS exception";

std::string printModernValue(const Value& v) {
  switch (v.type) {
    case ValType::FuncRef:
      return v.asRef() ? "function" : "null";
    case ValType::ExternRef:
      return v.asRef() ? "externref(" + std::to_string(v.asRef() - 1) + ")" : "null";
    default:
      return printValue(v, nullptr);
  }
}

// binaryen says "out of bounds table access" where the spec says "undefined element"
// (call_indirect past the table's end); print its coarser wording.
std::string modernTrapLine(const std::string& message) {
  std::string line = trapLine(message);
  if (line == "[trap undefined element]") return "[trap out of bounds table access]";
  return line;
}

class ModernHost {
 public:
  ModernHost(runtime::Engine& engine, runtime::Store& store, const decoder::Module& decl)
      : engine_(engine), store_(store), decl_(decl) {}

  void setInstance(runtime::Instance* instance) {
    instance_ = instance;
    if (auto table = instance->getExport("table"); table && table->kind == ExternKind::Table) {
      table_ = table->table;
    }
  }

  // Defines the import, or returns false if this tool does not know it.
  bool define(runtime::Linker& linker, const decoder::Import& im) {
    if (im.kind == ExternKind::Global) {
      if (im.global.type != ValType::ExternRef || im.global.isMutable) return false;
      uint32_t payload = 0;
      for (const std::string* s : {&im.module, &im.name}) {
        for (char c : *s) payload = (payload + static_cast<uint32_t>(c)) % 251;
      }
      runtime::GlobalRef g =
          store_.createGlobal(im.global, Value::ref(ValType::ExternRef, payload + 1));
      linker.define(im.module, im.name, runtime::Extern::ofGlobal(g));
      return true;
    }
    if (im.kind != ExternKind::Func) return false;
    const FuncType& type = decl_.types[im.funcType];
    runtime::HostCallback callback;
    const std::string& name = im.name;
    if (im.module == "env") {
      // binaryen's legalize-js-interface pass (in --fuzz-passes) splits i64s at the
      // JS boundary with these.
      if (name == "setTempRet0" && type.numParams == 1 && type.params()[0] == ValType::I32) {
        callback = [this](runtime::Caller&, const Value* args, Value*) {
          tempRet0_ = args[0].asI32();
          return runtime::HostResult::ok();
        };
      } else if (name == "getTempRet0" && type.numParams == 0 && type.numResults() == 1 &&
                 type.results()[0] == ValType::I32) {
        callback = [this](runtime::Caller&, const Value*, Value* results) {
          results[0] = Value::i32(tempRet0_);
          return runtime::HostResult::ok();
        };
      } else {
        return false;
      }
      linker.defineFunction(im.module, im.name, type, std::move(callback));
      return true;
    }
    if (im.module != "fuzzing-support") return false;
    if (name.rfind("log", 0) == 0) {
      const std::string kind = name == "log-branch" ? "log-branch" : "logging";
      callback = [type, kind](runtime::Caller&, const Value* args, Value*) {
        std::string line = "[LoggingExternalInterface " + kind;
        for (uint32_t i = 0; i < type.numParams; i++) {
          if (args[i].type == ValType::I64) {
            const uint64_t v = args[i].asI64();
            line += ' ' + std::to_string(static_cast<int32_t>(static_cast<uint32_t>(v)));
            line += ' ' + std::to_string(static_cast<int32_t>(static_cast<uint32_t>(v >> 32)));
          } else {
            line += ' ' + printModernValue(args[i]);
          }
        }
        std::printf("%s]\n", line.c_str());
        return runtime::HostResult::ok();
      };
    } else if (name == "table-get") {
      callback = [this](runtime::Caller&, const Value* args, Value* results) {
        const uint32_t index = args[0].asI32();
        if (!table_ || index >= table_->size()) return jsException();
        results[0] = Value::ref(table_->elemType(), table_->get(index));
        return runtime::HostResult::ok();
      };
    } else if (name == "table-set") {
      callback = [this](runtime::Caller&, const Value* args, Value*) {
        const uint32_t index = args[0].asI32();
        if (!table_ || index >= table_->size()) return jsException();
        table_->set(index, args[1].asRef());
        return runtime::HostResult::ok();
      };
    } else if (name == "call-export" || name == "call-export-catch") {
      const bool catching = name == "call-export-catch";
      callback = [this, catching](runtime::Caller&, const Value* args, Value* results) {
        return catchIf(catching, callExport(args[0].asI32()), results);
      };
    } else if (name == "call-ref" || name == "call-ref-catch") {
      const bool catching = name == "call-ref-catch";
      callback = [this, catching](runtime::Caller&, const Value* args, Value* results) {
        return catchIf(catching,
                       callFunction(reinterpret_cast<const jit::FuncRef*>(args[0].asRef())),
                       results);
      };
    } else if (name == "sleep") {
      callback = [](runtime::Caller&, const Value* args, Value* results) {
        results[0] = args[1];
        return runtime::HostResult::ok();
      };
    } else {
      return false;
    }
    linker.defineFunction(im.module, im.name, type, std::move(callback));
    return true;
  }

 private:
  static runtime::HostResult jsException() { return runtime::HostResult::error(kJsException); }

  static bool isJsException(const runtime::HostResult& r) {
    return r.kind == TrapKind::HostError && r.message == kJsException;
  }

  // The *-catch imports return 1 for a JS exception, 0 for success; traps go on.
  static runtime::HostResult catchIf(bool catching, runtime::HostResult r, Value* results) {
    if (!catching) return r;
    if (r.kind == TrapKind::None || isJsException(r)) {
      results[0] = Value::i32(r.kind == TrapKind::None ? 0 : 1);
      return runtime::HostResult::ok();
    }
    return r;
  }

  runtime::HostResult callExport(uint32_t index) {
    // During instantiation (a start function) JS has no exports yet.
    if (!instance_ || index >= decl_.exports.size()) return jsException();
    const decoder::Export& ex = decl_.exports[index];
    if (ex.kind != ExternKind::Func) return jsException();
    return callFunction(instance_->funcRef(ex.index));
  }

  // Calls f the way JS would, with zero arguments (an i64 parameter throws, as
  // fuzz_shell.js's 0 is no BigInt); results are dropped.
  runtime::HostResult callFunction(const jit::FuncRef* f) {
    if (!f) return jsException();
    const FuncType& type = engine_.typeOf(f->typeId);
    std::vector<Value> args;
    for (ValType t : type.params()) {
      if (t == ValType::I64) return jsException();
      args.push_back(Value::zero(t));
    }
    runtime::CallResult r = store_.call(f, args);
    if (r.ok()) return runtime::HostResult::ok();
    return runtime::HostResult{r.trap->kind, r.trap->message, r.trap->exitCode};
  }

  runtime::Engine& engine_;
  runtime::Store& store_;
  const decoder::Module& decl_;
  runtime::Instance* instance_ = nullptr;
  runtime::Table* table_ = nullptr;
  uint32_t tempRet0_ = 0;
};

int runModern(runtime::Engine& engine, std::shared_ptr<runtime::Module> module, const char* path,
              double timeoutSeconds) {
  const decoder::Module& decl = module->decl();
  runtime::StoreLimits limits;
  limits.maxMemoryPages = (1u << 30) / kPageSize;  // see runLegacy
  limits.maxTableElements = 10000000;              // binaryen 132's Table::kMaxSize too
  runtime::Store store(engine, limits);
  store.setFuel(UINT64_MAX);
  runtime::Linker linker(engine);
  ModernHost host(engine, store, decl);
  for (const decoder::Import& im : decl.imports) {
    if (!host.define(linker, im)) {
      std::fprintf(stderr, "wisp-fuzz-exec: unsupported import \"%s\" \"%s\"\n", im.module.c_str(),
                   im.name.c_str());
      return kExitUnsupported;
    }
  }

  Watchdog watchdog(store, timeoutSeconds);
  watchdog.arm();
  auto instance = linker.instantiate(store, module);
  watchdog.disarm();
  if (!instance) {
    if (instance.error().code != ErrorCode::Runtime) {
      std::fprintf(stderr, "wisp-fuzz-exec: %s: %s\n", path, instance.error().message.c_str());
      return kExitUnsupported;
    }
    if (trapLine(instance.error().message) == "[trap " + std::string(kJsException) + "]") {
      std::printf("[exception thrown: failed to instantiate module]\n");
    } else {
      std::printf("%s\n", modernTrapLine(instance.error().message).c_str());
    }
    return 0;
  }
  host.setInstance(*instance);

  for (const decoder::Export& ex : decl.exports) {
    if (ex.kind == ExternKind::Global) {
      std::printf("[fuzz-exec] export %s\n", ex.name.c_str());
      std::printf("[LoggingExternalInterface logging %s]\n",
                  printModernValue((*instance)->global(ex.index).get()).c_str());
      continue;
    }
    if (ex.kind != ExternKind::Func) continue;
    std::printf("[fuzz-exec] export %s\n", ex.name.c_str());
    const FuncType& type = decl.functionType(ex.index);
    std::vector<Value> args;
    for (ValType t : type.params()) args.push_back(Value::zero(t));
    watchdog.arm();
    runtime::CallResult r = store.call((*instance)->funcRef(ex.index), args);
    watchdog.disarm();
    if (watchdog.fired()) {
      std::printf("[wisp-fuzz-exec: timed out after %g s]\n", timeoutSeconds);
      std::fflush(stdout);
      return kExitTimeout;
    }
    if (!r.ok()) {
      if (r.trap->kind == TrapKind::HostError && r.trap->message == kJsException) {
        std::printf("[exception thrown: imported-js-tag jserror]\n");
      } else {
        std::printf("%s\n", modernTrapLine(r.trap->message).c_str());
      }
      continue;
    }
    if (!r.values.empty()) {
      std::string text;
      for (const Value& v : r.values) text += printModernValue(v) + "\n";
      std::printf("[fuzz-exec] note result: %s => %s", ex.name.c_str(), text.c_str());
    }
  }
  return 0;
}

int run(const char* path, double timeoutSeconds, int binaryenVersion, bool fuel) {
  std::vector<uint8_t> bytes;
  if (!wisp::runtime::readFile(path, bytes)) {
    std::fprintf(stderr, "wisp-fuzz-exec: cannot read %s\n", path);
    return kExitUsage;
  }
  // --fuel: the code is compiled with fuel metering (stores get all the fuel they can
  // hold), so the metering code is checked against binaryen too.
  runtime::EngineConfig config;
  config.consumeFuel = fuel;
  runtime::Engine engine(config);
  auto module = runtime::Module::compile(engine, std::move(bytes));
  if (!module) {
    std::fprintf(stderr, "wisp-fuzz-exec: %s: %s\n", path, module.error().message.c_str());
    return kExitUnsupported;
  }
  if (binaryenVersion >= 132) return runModern(engine, *module, path, timeoutSeconds);
  return runLegacy(engine, *module, path, timeoutSeconds);
}

}  // namespace
}  // namespace wisp::fuzz

int main(int argc, char** argv) {
  double timeout = 10;
  int binaryen = 108;
  bool fuel = false;
  const char* path = nullptr;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
      timeout = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--binaryen") == 0 && i + 1 < argc) {
      binaryen = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--fuel") == 0) {
      fuel = true;
    } else if (!path && argv[i][0] != '-') {
      path = argv[i];
    } else {
      path = nullptr;
      break;
    }
  }
  if (!path) {
    std::fprintf(
        stderr,
        "usage: wisp-fuzz-exec [--timeout SECONDS] [--binaryen 108|132] [--fuel] MODULE.wasm\n"
        "Prints the trace `wasm-opt --fuzz-exec-before` of that binaryen version\n"
        "(default 108) prints. --fuel compiles with fuel metering.\n");
    return wisp::fuzz::kExitUsage;
  }
  // Line-buffered, so a crash leaves the trace up to the crash.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return wisp::fuzz::run(path, timeout, binaryen, fuel);
}
