// The spec-test harness. Each command of a script is passed, failed or skipped;
// skips always carry a reason and are counted per reason.
#include "cli/wast.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "decoder/decoder.h"
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

bool readFile(const fs::path& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
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

class ScriptRunner {
 public:
  ScriptRunner(const WastOptions& options, ExpectedFailures* expected)
      : options_(options), expected_(expected) {}

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
    for (const auto& cmd : script["commands"]) {
      const std::string type = cmd.value("type", "");
      const int line = cmd.value("line", 0);
      std::string why;
      Outcome o = runCommand(cmd, type, why);
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
    return counts;
  }

  const std::map<std::string, Counts>& byType() const { return byType_; }
  const std::map<std::string, uint64_t>& skipReasons() const { return skipReasons_; }
  uint64_t unexpectedFailures() const { return unexpectedFailures_; }
  uint64_t expectedFailures() const { return expectedFailures_; }

 private:
  void report(int line, const std::string& message) {
    if (!options_.verbose && reportedInFile_[file_]++ >= 10) return;
    std::fprintf(stderr, "  %s:%d: FAIL %s\n", file_.c_str(), line, message.c_str());
  }

  // Decodes and validates a module file of the script.
  Result<decoder::Module> load(const json& cmd) {
    std::vector<uint8_t> bytes;
    const std::string name = cmd.value("filename", "");
    if (!readFile(dir_ / name, bytes)) return Error{"cannot read " + name};
    return validator::decodeAndValidate(std::move(bytes), options_.features);
  }

  Outcome runCommand(const json& cmd, const std::string& type, std::string& why) {
    if (type == "module") {
      auto m = load(cmd);
      if (!m) {
        why = m.error().message;
        return Outcome::Failed;
      }
      return Outcome::Passed;
    }
    if (type == "assert_malformed" || type == "assert_invalid") {
      if (cmd.value("module_type", "binary") != "binary") {
        why = "text-format module (wisp has no text parser)";
        return Outcome::Skipped;
      }
      auto m = load(cmd);
      if (m) {
        why = "module was accepted, expected \"" + cmd.value("text", "") + "\"";
        return Outcome::Failed;
      }
      return Outcome::Passed;
    }
    if (type == "assert_return" || type == "assert_trap" || type == "assert_exhaustion" ||
        type == "action" || type == "register" || type == "assert_unlinkable" ||
        type == "assert_uninstantiable") {
      why = "needs instantiation and execution (the JIT and runtime are not built yet)";
      return Outcome::Skipped;
    }
    why = "unknown command type '" + type + "'";
    return Outcome::Failed;
  }

  const WastOptions& options_;
  ExpectedFailures* expected_;
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
