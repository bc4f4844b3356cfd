// The `wisp` command line: one subcommand per job.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <chrono>

#include "cli/run.h"
#include "cli/serve.h"
#include "cli/wast.h"
#include "runtime/file.h"
#include "runtime/runtime.h"
#include "validator/module_validator.h"

namespace {

int cmdValidate(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (!wisp::runtime::readFile(path, bytes)) {
    std::fprintf(stderr, "wisp validate: cannot read %s\n", path.c_str());
    return 2;
  }
  auto r = wisp::validator::validateBytes(bytes);
  if (!r) {
    std::fprintf(stderr, "%s: invalid module: %s\n", path.c_str(), r.error().message.c_str());
    return 1;
  }
  return 0;
}

// Compiles a module and reports how long it took (a timing and debugging aid).
int cmdCompile(const std::string& path, unsigned threads) {
  std::vector<uint8_t> bytes;
  if (!wisp::runtime::readFile(path, bytes)) {
    std::fprintf(stderr, "wisp compile: cannot read %s\n", path.c_str());
    return 2;
  }
  const size_t size = bytes.size();
  wisp::runtime::Engine engine(wisp::runtime::EngineConfig{{}, threads});
  const auto start = std::chrono::steady_clock::now();
  auto m = wisp::runtime::Module::compile(engine, std::move(bytes));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!m) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), m.error().message.c_str());
    return 1;
  }
  const auto& decl = (*m)->decl();
  std::printf(
      "{\"file\": \"%s\", \"bytes\": %zu, \"code_bytes\": %u, \"functions\": %u, "
      "\"machine_code_bytes\": %zu, \"threads\": %u, \"ms\": %.3f, \"mb_per_s\": %.1f}\n",
      path.c_str(), size, decl.codeSectionSize, decl.numDefinedFunctions(),
      (*m)->code().memory.size(), threads, ms, size / 1e6 / (ms / 1e3));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wisp: a lean WebAssembly runtime with a single-pass JIT"};
  app.require_subcommand(1);

  std::string validatePath;
  auto* validate = app.add_subcommand("validate", "Decode and validate a module");
  validate->add_option("file", validatePath, "The .wasm file")->required();

  std::string compilePath;
  unsigned compileThreads = 0;
  auto* compile = app.add_subcommand("compile", "Compile a module and report the time taken");
  compile->add_option("file", compilePath, "The .wasm file")->required();
  compile->add_option("--threads", compileThreads, "Compiler threads (0 = all cores)");

  wisp::cli::RunOptions run;
  auto* runCmd = app.add_subcommand("run", "Run a WASI command, or invoke an export");
  runCmd->prefix_command();  // everything after FILE belongs to the guest
  runCmd->add_option("--invoke", run.invoke, "Call this export with ARGS and print its results");
  // Each occurrence takes exactly one value, so `--env K=V FILE` leaves FILE alone.
  runCmd->add_option("--dir", run.dirs, "Preopen HOST directory as GUEST (HOST[::GUEST])")
      ->allow_extra_args(false);
  runCmd->add_option("--env", run.envs, "Set a guest environment variable (NAME=VALUE)")
      ->allow_extra_args(false);
  runCmd->add_option("--argv0", run.argv0, "The guest's argv[0] (default: FILE as given)");
  runCmd->add_option("--max-memory-size", run.maxMemoryBytes, "Largest linear memory in bytes");
  runCmd->add_option("--timeout", run.timeoutSeconds,
                     "Interrupt the guest after this many seconds");
  runCmd->add_option("--compile-threads", run.compileThreads, "Compiler threads (0 = all cores)");
  runCmd->add_flag("--eager", run.eager,
                   "Compile every function before running (default: each on its first call)");

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
  wastCmd->add_flag("--lazy", wast.lazy, "Compile each function on its first call");

  wisp::cli::ServeOptions serve;
  auto* serveCmd =
      app.add_subcommand("serve", "Serve HTTP with wasm handlers (a fresh instance per request)");
  serveCmd->add_option("config", serve.config, "The TOML config (see examples/handlers/README.md)")
      ->required();
  serveCmd->add_flag("--check", serve.checkOnly,
                     "Validate the config and compile its modules, then exit");

  CLI11_PARSE(app, argc, argv);

  if (*validate) return cmdValidate(validatePath);
  if (*compile) return cmdCompile(compilePath, compileThreads);
  if (*runCmd) {
    std::vector<std::string> rest = runCmd->remaining();
    if (rest.empty()) {
      std::fprintf(stderr, "wisp run: missing FILE\n");
      return 2;
    }
    run.file = rest[0];
    run.args.assign(rest.begin() + 1, rest.end());
    return wisp::cli::runModule(run);
  }
  if (*wastCmd) {
    if (wast.enableAll) wast.features = wisp::Features::all();
    return wisp::cli::runWast(wast);
  }
  if (*serveCmd) return wisp::cli::runServe(serve);
  return 0;
}
