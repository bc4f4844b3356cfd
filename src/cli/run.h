// `wisp run`: run a WASI command module (its `_start`), or invoke one export with numeric
// arguments. WASI preview1 is linked in both cases.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wisp::cli {

struct RunOptions {
  std::string file;
  std::vector<std::string> args;  // guest arguments (after FILE)
  std::string invoke;             // --invoke NAME
  std::string argv0;              // --argv0 NAME (default: FILE as given)
  std::vector<std::string> dirs;  // --dir HOST[::GUEST]
  std::vector<std::string> envs;  // --env NAME=VALUE
  uint64_t maxMemoryBytes = 0;    // --max-memory-size (0 = 4 GiB)
  double timeoutSeconds = 0;      // --timeout (0 = none)
  std::optional<uint64_t> fuel;   // --fuel N: meter fuel, N instructions
  unsigned compileThreads = 0;
  bool eager = false;  // compile every function before running (default: on first call)
};

/// Exit status conventions: the guest's exit code; 2 for a usage or load error;
/// 134 for a trap (like wasmtime, the status of SIGABRT: 128 + 6).
int runModule(const RunOptions& options);

}  // namespace wisp::cli
