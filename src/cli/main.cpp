// The `wisp` command line: one subcommand per job.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/wast.h"
#include "validator/module_validator.h"

namespace {

bool readFile(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

int cmdValidate(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, bytes)) {
    std::fprintf(stderr, "wisp validate: cannot read %s\n", path.c_str());
    return 2;
  }
  auto m = wisp::validator::decodeAndValidate(std::move(bytes));
  if (!m) {
    std::fprintf(stderr, "%s: invalid module: %s\n", path.c_str(), m.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wisp: a lean WebAssembly runtime with a single-pass JIT"};
  app.require_subcommand(1);

  std::string validatePath;
  auto* validate = app.add_subcommand("validate", "Decode and validate a module");
  validate->add_option("file", validatePath, "The .wasm file")->required();

  wisp::cli::WastOptions wast;
  const char* envSuite = std::getenv("WISP_TESTSUITE");
  wast.testsuiteDir = envSuite ? envSuite : WISP_DEFAULT_TESTSUITE;
  auto* wastCmd = app.add_subcommand("wast", "Run WebAssembly spec test scripts");
  wastCmd->add_option("files", wast.files,
                      ".wast or .json scripts, or directories (default: the whole core suite)");
  wastCmd->add_option("--testsuite", wast.testsuiteDir,
                      "Testsuite checkout holding core/ (env WISP_TESTSUITE)");
  wastCmd->add_option("--expected-failures", wast.expectedFailuresFile,
                      "List of known failures; fail if others fail or listed ones pass");
  wastCmd->add_flag("--enable-all", wast.enableAll, "Enable all supported proposals");
  wastCmd->add_flag("-v,--verbose", wast.verbose, "Print every failure");

  CLI11_PARSE(app, argc, argv);

  if (*validate) return cmdValidate(validatePath);
  if (*wastCmd) {
    if (wast.enableAll) wast.features = wisp::Features::all();
    return wisp::cli::runWast(wast);
  }
  return 0;
}
