// `wisp serve CONFIG`: the multi-tenant HTTP edge server (src/http), from the command
// line. `--check` validates the config and compiles every module, then exits.
#pragma once

#include <string>

namespace wisp::cli {

struct ServeOptions {
  std::string config;  // the TOML file
  bool checkOnly = false;
};

/// Runs the server until SIGTERM/SIGINT; returns the process exit status (0 after a
/// graceful drain, 2 when the config or a module is refused at start).
int runServe(const ServeOptions& options);

}  // namespace wisp::cli
