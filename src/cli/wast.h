// `wisp wast`: runs WebAssembly spec test scripts (.wast, converted with wabt's
// wast2json, or already-converted .json) and counts results per command type.
#pragma once

#include <string>
#include <vector>

#include "decoder/features.h"

namespace wisp::cli {

struct WastOptions {
  std::vector<std::string> files;  // .wast or .json; empty = the whole core suite
  std::string testsuiteDir;        // where bare file names and the default suite are found
  std::string expectedFailuresFile;
  Features features;
  bool enableAll = false;  // convert with wast2json --enable-all and decode all proposals
  bool verbose = false;    // print every failure (default: the first few per file)
  bool lazy = false;       // compile functions on first call
  bool fuel = false;       // compile with fuel metering (and give each store all it can hold)
};

/// Runs the scripts and prints per-file lines and the totals. Returns the exit status.
int runWast(const WastOptions& options);

}  // namespace wisp::cli
