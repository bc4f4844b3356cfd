// The spec-test harness. Each command of a script is passed, failed or skipped;
// skips always carry a reason and are counted per reason.
#include "cli/wast.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "decoder/decoder.h"
#include "runtime/file.h"
#include "runtime/runtime.h"
#include "validator/module_validator.h"

extern char** environ;

namespace wisp::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

enum class Outcome { Passed, Failed, Skipped };

struct Counts {
  uint64_t passed = 0, failed = 0, skipped = 0;
  void add(Outcome o) {
    if (o == Outcome::Passed) passed++;
    if (o == Outcome::Failed) failed++;
    if (o == Outcome::Skipped) skipped++;
  }
  void add(const Counts& c) {
    passed += c.passed;
    failed += c.failed;
    skipped += c.skipped;
  }
};

std::string countsText(const Counts& c) {
  return std::to_string(c.passed) + " passed, " + std::to_string(c.failed) + " failed, " +
         std::to_string(c.skipped) + " skipped";
}

// Runs a program without a shell; returns its exit status (or -1), stderr captured.
int runProcess(const std::vector<std::string>& args, std::string& errors) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&actions, pipefd[0]);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    errors = std::string("cannot run ") + args[0] + ": " + strerror(rc);
    return -1;
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) errors.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// The expected-failure list: "file.wast[:line]  reason" per line, '#' comments.
struct ExpectedFailures {
  std::map<std::string, std::string> entries;  // key -> reason
  std::set<std::string> seen;                  // keys that matched a failure

  bool load(const std::string& path, std::string& error) {
    std::ifstream in(path);
    if (!in) {
      error = "cannot read expected-failures file " + path;
      return false;
    }
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
      lineNo++;
      auto hash = line.find('#');
      if (hash != std::string::npos) line.erase(hash);
      std::istringstream ls(line);
      std::string key;
      if (!(ls >> key)) continue;
      std::string reason;
      std::getline(ls, reason);
      reason.erase(0, reason.find_first_not_of(" \t"));
      if (reason.empty()) {
        error = path + ":" + std::to_string(lineNo) + ": entry '" + key + "' has no reason";
        return false;
      }
      entries[key] = reason;
    }
    return true;
  }
  // A failure of `file` at `line` is expected if the file or file:line is listed.
  bool matches(const std::string& file, int line) {
    for (const std::string& key : {file + ":" + std::to_string(line), file}) {
      if (entries.count(key)) {
        seen.insert(key);
        return true;
      }
    }
    return false;
  }
};

// Parses a decimal string as the given width (wast2json writes every number that way).
uint64_t parseBits(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

ValType parseType(const std::string& t) {
  if (t == "i32") return ValType::I32;
  if (t == "i64") return ValType::I64;
  if (t == "f32") return ValType::F32;
  if (t == "f64") return ValType::F64;
  if (t == "v128") return ValType::V128;
  if (t == "funcref") return ValType::FuncRef;
  if (t == "externref") return ValType::ExternRef;
  return ValType::Bottom;
}

// v128 constants come as lanes of a given type.
bool parseV128(const json& v, uint64_t& lo, uint64_t& hi) {
  const std::string lane = v.value("lane_type", "");
  const auto& lanes = v["value"];
  uint8_t bytes[16] = {};
  size_t width = lane == "i8" ? 1 : lane == "i16" ? 2 : (lane == "i32" || lane == "f32") ? 4 : 8;
  if (!lanes.is_array() || lanes.size() * width != 16) return false;
  for (size_t i = 0; i < lanes.size(); i++) {
    const std::string text = lanes[i].get<std::string>();
    if (text.rfind("nan", 0) == 0) return false;  // patterns are handled by the caller
    uint64_t bits = parseBits(text);
    std::memcpy(bytes + i * width, &bits, width);
  }
  std::memcpy(&lo, bytes, 8);
  std::memcpy(&hi, bytes + 8, 8);
  return true;
}

// Externref values of the scripts are small integers; wisp represents `ref.extern N`
// as N + 1 so that none of them is null.
runtime::Value parseValue(const json& v, bool& ok) {
  ok = true;
  const ValType t = parseType(v.value("type", ""));
  const std::string text =
      v.contains("value") && v["value"].is_string() ? v["value"].get<std::string>() : "";
  switch (t) {
    case ValType::I32:
      return runtime::Value::i32(static_cast<uint32_t>(parseBits(text)));
    case ValType::I64:
      return runtime::Value::i64(parseBits(text));
    case ValType::F32:
      return runtime::Value::f32Bits(static_cast<uint32_t>(parseBits(text)));
    case ValType::F64:
      return runtime::Value::f64Bits(parseBits(text));
    case ValType::V128: {
      uint64_t lo = 0, hi = 0;
      ok = parseV128(v, lo, hi);
      return runtime::Value::v128(lo, hi);
    }
    case ValType::FuncRef:
    case ValType::ExternRef:
      if (text == "null") return runtime::Value::ref(t, 0);
      if (t == ValType::ExternRef && !text.empty())
        return runtime::Value::ref(t, parseBits(text) + 1);
      ok = false;
      return runtime::Value::ref(t, 0);
    default:
      ok = false;
      return {};
  }
}

bool isCanonicalNan32(uint32_t b) { return (b & 0x7FFFFFFFu) == 0x7FC00000u; }
bool isArithmeticNan32(uint32_t b) { return (b & 0x7FC00000u) == 0x7FC00000u; }
bool isCanonicalNan64(uint64_t b) { return (b & 0x7FFFFFFFFFFFFFFFull) == 0x7FF8000000000000ull; }
bool isArithmeticNan64(uint64_t b) { return (b & 0x7FF8000000000000ull) == 0x7FF8000000000000ull; }

// Does `got` satisfy the expectation `e` (which may be a NaN pattern, or a reference
// that only needs to be non-null)?
bool matches(const json& e, const runtime::Value& got) {
  const ValType t = parseType(e.value("type", ""));
  if (got.type != t) return false;
  const bool hasValue = e.contains("value");
  if (t == ValType::V128) {
    const std::string lane = e.value("lane_type", "");
    const auto& lanes = e["value"];
    const size_t width = lane == "i8"                       ? 1
                         : lane == "i16"                    ? 2
                         : (lane == "i32" || lane == "f32") ? 4
                                                            : 8;
    uint8_t bytes[16];
    std::memcpy(bytes, &got.lo, 8);
    std::memcpy(bytes + 8, &got.hi, 8);
    for (size_t i = 0; i < lanes.size(); i++) {
      const std::string text = lanes[i].get<std::string>();
      uint64_t bits = 0;
      std::memcpy(&bits, bytes + i * width, width);
      if (text == "nan:canonical" || text == "nan:arithmetic") {
        const bool canonical = text == "nan:canonical";
        const bool ok = width == 4 ? (canonical ? isCanonicalNan32(static_cast<uint32_t>(bits))
                                                : isArithmeticNan32(static_cast<uint32_t>(bits)))
                                   : (canonical ? isCanonicalNan64(bits) : isArithmeticNan64(bits));
        if (!ok) return false;
      } else {
        uint64_t want = parseBits(text);
        if (width < 8) want &= (uint64_t{1} << (8 * width)) - 1;
        if (bits != want) return false;
      }
    }
    return true;
  }
  const std::string text = hasValue && e["value"].is_string() ? e["value"].get<std::string>() : "";
  if (t == ValType::FuncRef || t == ValType::ExternRef) {
    if (!hasValue) return got.lo != 0;  // (ref.func) / (ref.extern): any non-null
    if (text == "null") return got.lo == 0;
    return got.lo == parseBits(text) + 1;
  }
  if (text == "nan:canonical") {
    return t == ValType::F32 ? isCanonicalNan32(got.asI32()) : isCanonicalNan64(got.lo);
  }
  if (text == "nan:arithmetic") {
    return t == ValType::F32 ? isArithmeticNan32(got.asI32()) : isArithmeticNan64(got.lo);
  }
  const uint64_t want = parseBits(text);
  return t == ValType::I32 || t == ValType::F32 ? got.asI32() == static_cast<uint32_t>(want)
                                                : got.lo == want;
}

std::string describe(const std::vector<runtime::Value>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); i++) {
    if (i) s += " ";
    s += std::string(valTypeName(values[i].type)) + ":" + values[i].toString();
  }
  return s + "]";
}

// Why commands on a module the JIT cannot compile yet are skipped (the compile error
// itself names the function and instruction).
constexpr const char* kUnsupportedReason =
    "module uses SIMD (v128), which the JIT does not compile yet";

runtime::EngineConfig engineConfig(const WastOptions& options) {
  runtime::EngineConfig config;
  config.features = options.features;
  config.lazyCompilation = options.lazy;
  config.consumeFuel = options.fuel;
  return config;
}

class ScriptRunner {
 public:
  ScriptRunner(const WastOptions& options, ExpectedFailures* expected)
      : options_(options), expected_(expected), engine_(engineConfig(options)) {}

  /// Runs one converted script; returns its counts.
  Counts run(const fs::path& jsonPath, const std::string& displayName) {
    Counts counts;
    file_ = displayName;
    dir_ = jsonPath.parent_path();
    std::ifstream in(jsonPath);
    json script;
    try {
      in >> script;
    } catch (const std::exception& e) {
      report(0, std::string("cannot parse ") + jsonPath.string() + ": " + e.what());
      counts.failed++;
      return counts;
    }
    // Each script starts from a fresh store with only the spectest module.
    store_ = std::make_unique<runtime::Store>(engine_);
    store_->setFuel(UINT64_MAX);  // with --fuel: metered, never out
    linker_ = std::make_unique<runtime::Linker>(engine_);
    named_.clear();
    current_ = Loaded{};
    defineSpectest();
    for (const auto& cmd : script["commands"]) {
      const std::string type = cmd.value("type", "");
      const int line = cmd.value("line", 0);
      std::string why;
      Outcome o;
      static const bool trace = std::getenv("WISP_WAST_TRACE") != nullptr;
      if (trace) std::fprintf(stderr, "%s:%d: %s\n", file_.c_str(), line, type.c_str());
      try {
        o = runCommand(cmd, type, why);
      } catch (const std::exception& e) {
        why = std::string("malformed command: ") + e.what();
        o = Outcome::Failed;
      }
      if (o == Outcome::Failed) {
        const bool isExpected = expected_ && expected_->matches(file_, line);
        if (isExpected) {
          expectedFailures_++;
        } else {
          unexpectedFailures_++;
          report(line, type + ": " + why);
        }
      } else if (o == Outcome::Skipped) {
        skipReasons_[why]++;
      }
      counts.add(o);
      byType_[type].add(o);
    }
    linker_.reset();
    store_.reset();
    return counts;
  }

  const std::map<std::string, Counts>& byType() const { return byType_; }
  const std::map<std::string, uint64_t>& skipReasons() const { return skipReasons_; }
  uint64_t unexpectedFailures() const { return unexpectedFailures_; }
  uint64_t expectedFailures() const { return expectedFailures_; }

 private:
  // A module command's outcome: an instance, or why later commands on it are skipped.
  struct Loaded {
    runtime::Instance* instance = nullptr;
    std::string unsupported;  // non-empty: compiled code would need a missing feature
  };

  void report(int line, const std::string& message) {
    if (!options_.verbose && reportedInFile_[file_]++ >= 10) return;
    std::fprintf(stderr, "  %s:%d: FAIL %s\n", file_.c_str(), line, message.c_str());
  }

  void defineSpectest() {
    using runtime::Value;
    auto noop = [](runtime::Caller&, const Value*, Value*) { return runtime::HostResult::ok(); };
    auto fn = [&](const char* name, std::vector<ValType> params) {
      FuncType t;
      t.types = params;
      t.numParams = static_cast<uint32_t>(params.size());
      linker_->defineFunction("spectest", name, t, noop);
    };
    fn("print", {});
    fn("print_i32", {ValType::I32});
    fn("print_i64", {ValType::I64});
    fn("print_f32", {ValType::F32});
    fn("print_f64", {ValType::F64});
    fn("print_i32_f32", {ValType::I32, ValType::F32});
    fn("print_f64_f64", {ValType::F64, ValType::F64});
    auto global = [&](const char* name, ValType t, Value v) {
      linker_->define("spectest", name,
                      runtime::Extern::ofGlobal(store_->createGlobal(GlobalType{t, false}, v)));
    };
    global("global_i32", ValType::I32, Value::i32(666));
    global("global_i64", ValType::I64, Value::i64(666));
    global("global_f32", ValType::F32, Value::f32(666.6f));
    global("global_f64", ValType::F64, Value::f64(666.6));
    TableType tt;
    tt.elemType = ValType::FuncRef;
    tt.limits = Limits{10, 20, true, false, false};
    linker_->define("spectest", "table", runtime::Extern::ofTable(store_->createTable(tt, 0)));
    MemoryType mt;
    mt.limits = Limits{1, 2, true, false, false};
    auto mem = store_->createMemory(mt);
    if (mem) linker_->define("spectest", "memory", runtime::Extern::ofMemory(*mem));
  }

  // Compiles and instantiates a module file of the script.
  Result<runtime::Instance*> instantiate(const json& cmd, std::string& unsupported) {
    std::vector<uint8_t> bytes;
    const std::string name = cmd.value("filename", "");
    if (!runtime::readFile((dir_ / name).string(), bytes)) return Error{"cannot read " + name};
    auto m = runtime::Module::compile(engine_, std::move(bytes));
    if (!m) {
      if (m.error().code == ErrorCode::Unsupported) unsupported = m.error().message;
      return m.takeError();
    }
    return linker_->instantiate(*store_, std::move(m).value());
  }

  // The module an action names (or the most recent one).
  const Loaded* target(const json& action) {
    if (action.contains("module")) {
      auto it = named_.find(action["module"].get<std::string>());
      return it == named_.end() ? nullptr : &it->second;
    }
    return &current_;
  }

  // Performs an invoke/get action. Returns false with `why` when it cannot be run.
  Outcome perform(const json& action, runtime::CallResult& result, std::string& why) {
    const Loaded* t = target(action);
    if (!t || (!t->instance && t->unsupported.empty())) {
      why = "no module to run the action on";
      return Outcome::Failed;
    }
    if (!t->unsupported.empty()) {
      why = kUnsupportedReason;
      return Outcome::Skipped;
    }
    const std::string field = action.value("field", "");
    auto ext = t->instance->getExport(field);
    if (!ext) {
      why = "no export \"" + field + "\"";
      return Outcome::Failed;
    }
    if (action.value("type", "") == "get") {
      if (ext->kind != ExternKind::Global) {
        why = "export \"" + field + "\" is not a global";
        return Outcome::Failed;
      }
      result.values = {ext->global.get()};
      return Outcome::Passed;
    }
    if (ext->kind != ExternKind::Func) {
      why = "export \"" + field + "\" is not a function";
      return Outcome::Failed;
    }
    std::vector<runtime::Value> args;
    for (const auto& a : action["args"]) {
      bool ok;
      args.push_back(parseValue(a, ok));
      if (!ok) {
        why = "cannot parse argument " + a.dump();
        return Outcome::Failed;
      }
    }
    result = store_->call(ext->func, args);
    return Outcome::Passed;
  }

  static bool trapMatches(const std::string& got, const std::string& expected) {
    return got.rfind(expected, 0) == 0 || expected.rfind(got, 0) == 0;
  }

  Outcome runCommand(const json& cmd, const std::string& type, std::string& why) {
    if (type == "module") {
      Loaded loaded;
      auto inst = instantiate(cmd, loaded.unsupported);
      current_ = loaded;
      if (!inst) {
        if (!loaded.unsupported.empty()) {
          why = kUnsupportedReason;
          if (cmd.contains("name")) named_[cmd["name"].get<std::string>()] = current_;
          return Outcome::Skipped;
        }
        why = inst.error().message;
        return Outcome::Failed;
      }
      current_.instance = *inst;
      if (cmd.contains("name")) named_[cmd["name"].get<std::string>()] = current_;
      return Outcome::Passed;
    }
    if (type == "register") {
      const Loaded* t = cmd.contains("name") ? target(json{{"module", cmd["name"]}}) : &current_;
      if (t && !t->unsupported.empty()) {
        why = kUnsupportedReason;
        return Outcome::Skipped;
      }
      if (!t || !t->instance) {
        why = "no module to register";
        return Outcome::Failed;
      }
      linker_->defineInstance(cmd.value("as", ""), *t->instance);
      return Outcome::Passed;
    }
    if (type == "assert_malformed" || type == "assert_invalid") {
      if (cmd.value("module_type", "binary") != "binary") {
        why = "text-format module (wisp has no text parser)";
        return Outcome::Skipped;
      }
      std::vector<uint8_t> bytes;
      const std::string name = cmd.value("filename", "");
      if (!runtime::readFile((dir_ / name).string(), bytes)) {
        why = "cannot read " + name;
        return Outcome::Failed;
      }
      auto m = validator::decodeAndValidate(std::move(bytes), options_.features);
      if (m) {
        why = "module was accepted, expected \"" + cmd.value("text", "") + "\"";
        return Outcome::Failed;
      }
      return Outcome::Passed;
    }
    if (type == "assert_unlinkable" || type == "assert_uninstantiable") {
      std::string unsupported;
      auto inst = instantiate(cmd, unsupported);
      if (!unsupported.empty()) {
        why = kUnsupportedReason;
        return Outcome::Skipped;
      }
      const ErrorCode want = type == "assert_unlinkable" ? ErrorCode::Link : ErrorCode::Runtime;
      if (inst) {
        why = "instantiation succeeded, expected \"" + cmd.value("text", "") + "\"";
        return Outcome::Failed;
      }
      if (inst.error().code != want) {
        why = "wrong failure: " + inst.error().message;
        return Outcome::Failed;
      }
      return Outcome::Passed;
    }
    if (type == "action" || type == "assert_return" || type == "assert_trap" ||
        type == "assert_exhaustion") {
      runtime::CallResult result;
      Outcome o = perform(cmd["action"], result, why);
      if (o != Outcome::Passed) return o;
      if (type == "action") {
        if (!result.ok()) {
          why = "trapped: " + result.trap->toString();
          return Outcome::Failed;
        }
        return Outcome::Passed;
      }
      if (type == "assert_return") {
        if (!result.ok()) {
          why = "trapped: " + result.trap->toString();
          return Outcome::Failed;
        }
        const auto& expected = cmd["expected"];
        bool ok = expected.size() == result.values.size();
        for (size_t i = 0; ok && i < expected.size(); i++)
          ok = matches(expected[i], result.values[i]);
        if (!ok) {
          why = "got " + describe(result.values) + ", expected " + expected.dump();
          return Outcome::Failed;
        }
        return Outcome::Passed;
      }
      // assert_trap / assert_exhaustion
      const std::string text = cmd.value("text", "");
      if (result.ok()) {
        why = "returned " + describe(result.values) + ", expected trap \"" + text + "\"";
        return Outcome::Failed;
      }
      if (!trapMatches(result.trap->message, text)) {
        why = "trapped with \"" + result.trap->toString() + "\", expected \"" + text + "\"";
        return Outcome::Failed;
      }
      return Outcome::Passed;
    }
    why = "unknown command type '" + type + "'";
    return Outcome::Failed;
  }

  const WastOptions& options_;
  ExpectedFailures* expected_;
  runtime::Engine engine_;
  std::unique_ptr<runtime::Store> store_;
  std::unique_ptr<runtime::Linker> linker_;
  Loaded current_;
  std::map<std::string, Loaded> named_;
  std::string file_;
  fs::path dir_;
  std::map<std::string, Counts> byType_;
  std::map<std::string, uint64_t> skipReasons_;
  std::map<std::string, int> reportedInFile_;
  uint64_t unexpectedFailures_ = 0;
  uint64_t expectedFailures_ = 0;
};

// Finds the scripts to run: explicit files (bare names looked up in the testsuite's
// core/ directory), directories (every .wast/.json inside), or the whole core suite.
bool collectFiles(const WastOptions& options, std::vector<fs::path>& out, std::string& error) {
  auto addDir = [&](const fs::path& dir) {
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(dir)) {
      auto ext = e.path().extension();
      if (ext == ".wast" || ext == ".json") found.push_back(e.path());
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  };
  if (options.files.empty()) {
    fs::path core = fs::path(options.testsuiteDir) / "core";
    if (!fs::is_directory(core)) {
      error = "no files given and the testsuite was not found at " + core.string() +
              " (set --testsuite or WISP_TESTSUITE)";
      return false;
    }
    addDir(core);
    return true;
  }
  for (const auto& f : options.files) {
    fs::path p(f);
    if (!fs::exists(p) && p.is_relative()) {
      for (const char* sub : {"core", "", "proposals"}) {
        fs::path candidate = fs::path(options.testsuiteDir) / sub / p;
        if (fs::exists(candidate)) {
          p = candidate;
          break;
        }
      }
    }
    if (fs::is_directory(p)) {
      addDir(p);
    } else if (fs::exists(p)) {
      out.push_back(p);
    } else {
      error = "no such file: " + f;
      return false;
    }
  }
  return true;
}

}  // namespace

int runWast(const WastOptions& options) {
  std::vector<fs::path> files;
  std::string error;
  if (!collectFiles(options, files, error)) {
    std::fprintf(stderr, "wisp wast: %s\n", error.c_str());
    return 2;
  }
  ExpectedFailures expected;
  if (!options.expectedFailuresFile.empty() &&
      !expected.load(options.expectedFailuresFile, error)) {
    std::fprintf(stderr, "wisp wast: %s\n", error.c_str());
    return 2;
  }

  // wast2json writes its output next to the JSON file, so each script gets a scratch
  // directory that is removed afterwards.
  char tmpl[] = "/tmp/wisp-wast-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("wisp wast: mkdtemp");
    return 2;
  }
  const fs::path scratch(tmpl);

  ScriptRunner runner(options, options.expectedFailuresFile.empty() ? nullptr : &expected);
  Counts total;
  int index = 0;
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    fs::path jsonPath = file;
    if (file.extension() == ".wast") {
      fs::path dir = scratch / std::to_string(index++);
      fs::create_directories(dir);
      jsonPath = dir / (file.stem().string() + ".json");
      std::vector<std::string> args = {"wast2json"};
      if (options.enableAll) args.push_back("--enable-all");
      args.insert(args.end(), {file.string(), "-o", jsonPath.string()});
      std::string errors;
      if (runProcess(args, errors) != 0) {
        std::printf("%s: conversion failed: %s\n", name.c_str(), errors.c_str());
        total.failed++;
        continue;
      }
    }
    Counts c = runner.run(jsonPath, name);
    std::printf("%s: %s\n", name.c_str(), countsText(c).c_str());
    std::fflush(stdout);
    total.add(c);
    if (file.extension() == ".wast") fs::remove_all(jsonPath.parent_path());
  }
  fs::remove_all(scratch);

  std::printf("\n");
  for (const auto& [type, c] : runner.byType()) {
    std::printf("%s: %s\n", type.c_str(), countsText(c).c_str());
  }
  for (const auto& [reason, n] : runner.skipReasons()) {
    std::printf("skipped %llu: %s\n", static_cast<unsigned long long>(n), reason.c_str());
  }
  int status = total.failed ? 1 : 0;
  if (!options.expectedFailuresFile.empty()) {
    std::printf("expected failures (listed in %s): %llu\n", options.expectedFailuresFile.c_str(),
                static_cast<unsigned long long>(runner.expectedFailures()));
    // An entry that no longer fails must be removed, so the list only shrinks.
    std::set<std::string> runFiles;
    for (const auto& f : files) runFiles.insert(f.filename().string());
    for (const auto& [key, reason] : expected.entries) {
      const std::string file = key.substr(0, key.find(':'));
      if (runFiles.count(file) && !expected.seen.count(key)) {
        std::printf("UNEXPECTED PASS: %s is on the expected-failure list but passed (%s)\n",
                    key.c_str(), reason.c_str());
        status = 1;
      }
    }
    status = (runner.unexpectedFailures() > 0 || status) ? 1 : 0;
  }
  std::printf("%s\n", countsText(total).c_str());
  return status;
}

}  // namespace wisp::cli
