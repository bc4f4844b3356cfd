// The `wisp` command line: one subcommand per job.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <charconv>
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
int cmdCompile(const std::string& path, unsigned threads, bool fuel) {
  std::vector<uint8_t> bytes;
  if (!wisp::runtime::readFile(path, bytes)) {
    std::fprintf(stderr, "wisp compile: cannot read %s\n", path.c_str());
    return 2;
  }
  const size_t size = bytes.size();
  wisp::runtime::EngineConfig config;
  config.compileThreads = threads;
  config.consumeFuel = fuel;
  wisp::runtime::Engine engine(config);
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
      (*m)->code().machineCodeBytes(), threads, ms, size / 1e6 / (ms / 1e3));
  return 0;
}

// --fuel's value: a whole number of instructions a store can hold (below 2^63).
std::string checkFuel(const std::string& s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > INT64_MAX)
    return "not a whole number of instructions from 0 to 2^63-1: \"" + s + "\"";
  return "";
}

// Each subcommand's options; main registers only the one named on the command line.
struct Commands {
  CLI::App* validate = nullptr;
  std::string validatePath;
  CLI::App* compile = nullptr;
  std::string compilePath;
  unsigned compileThreads = 0;
  bool compileFuel = false;
  CLI::App* run = nullptr;
  wisp::cli::RunOptions runOptions;
  CLI::App* wast = nullptr;
  wisp::cli::WastOptions wastOptions;
  CLI::App* serve = nullptr;
  wisp::cli::ServeOptions serveOptions;

  void addValidate(CLI::App& app) {
    validate = app.add_subcommand("validate", "Decode and validate a module");
    validate->add_option("file", validatePath, "The .wasm file")->required();
  }

  void addCompile(CLI::App& app) {
    compile = app.add_subcommand("compile", "Compile a module and report the time taken");
    compile->add_option("file", compilePath, "The .wasm file")->required();
    compile->add_option("--threads", compileThreads, "Compiler threads (0 = all cores)");
    compile->add_flag("--fuel", compileFuel, "Compile with fuel metering");
  }

  void addRun(CLI::App& app) {
    wisp::cli::RunOptions& o = runOptions;
    run = app.add_subcommand("run", "Run a WASI command, or invoke an export");
    run->prefix_command();  // everything after FILE belongs to the guest
    run->add_option("--invoke", o.invoke, "Call this export with ARGS and print its results");
    // Each occurrence takes exactly one value, so `--env K=V FILE` leaves FILE alone.
    run->add_option("--dir", o.dirs, "Preopen HOST directory as GUEST (HOST[::GUEST])")
        ->allow_extra_args(false);
    run->add_option("--env", o.envs, "Set a guest environment variable (NAME=VALUE)")
        ->allow_extra_args(false);
    run->add_option("--argv0", o.argv0, "The guest's argv[0] (default: FILE as given)");
    run->add_option("--max-memory-size", o.maxMemoryBytes, "Largest linear memory in bytes");
    run->add_option("--timeout", o.timeoutSeconds, "Interrupt the guest after this many seconds");
    run->add_option("--fuel", o.fuel,
                    "Trap once the guest has run this many wasm instructions (deterministic)")
        ->check(checkFuel);
    run->add_option("--compile-threads", o.compileThreads, "Compiler threads (0 = all cores)");
    run->add_flag("--eager", o.eager,
                  "Compile every function before running (default: each on its first call)");
  }

  void addWast(CLI::App& app) {
    wisp::cli::WastOptions& o = wastOptions;
    const char* envSuite = std::getenv("WISP_TESTSUITE");
    o.testsuiteDir = envSuite ? envSuite : WISP_DEFAULT_TESTSUITE;
    wast = app.add_subcommand("wast", "Run WebAssembly spec test scripts");
    wast->add_option("files", o.files,
                     ".wast or .json scripts, or directories (default: the whole core suite)");
    wast->add_option("--testsuite", o.testsuiteDir,
                     "Testsuite checkout holding core/ (env WISP_TESTSUITE)");
    wast->add_option("--expected-failures", o.expectedFailuresFile,
                     "List of known failures; fail if others fail or listed ones pass");
    wast->add_flag("--enable-all", o.enableAll, "Enable all supported proposals");
    wast->add_flag("-v,--verbose", o.verbose, "Print every failure");
    wast->add_flag("--lazy", o.lazy, "Compile each function on its first call");
    wast->add_flag("--fuel", o.fuel, "Compile with fuel metering (unlimited fuel)");
  }

  void addServe(CLI::App& app) {
    serve =
        app.add_subcommand("serve", "Serve HTTP with wasm handlers (a fresh instance per request)");
    serve
        ->add_option("config", serveOptions.config,
                     "The TOML config (see examples/handlers/README.md)")
        ->required();
    serve->add_flag("--check", serveOptions.checkOnly,
                    "Validate the config and compile its modules, then exit");
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wisp: a lean WebAssembly runtime with a single-pass JIT"};
  app.require_subcommand(1);

  // Building every subcommand's options costs about a tenth of `wisp run hello.wasm`'s
  // instructions, so when the first argument names a subcommand only that one is built
  // (the parse and its errors are the same); otherwise, e.g. for --help, all of them.
  Commands c;
  using Adder = void (Commands::*)(CLI::App&);
  static constexpr std::pair<const char*, Adder> kCommands[] = {
      {"validate", &Commands::addValidate},
      {"compile", &Commands::addCompile},
      {"run", &Commands::addRun},
      {"wast", &Commands::addWast},
      {"serve", &Commands::addServe}};
  const std::string_view first = argc > 1 ? argv[1] : "";
  bool named = false;
  for (const auto& [name, add] : kCommands) {
    if (first == name) {
      (c.*add)(app);
      named = true;
    }
  }
  if (!named) {
    for (const auto& [name, add] : kCommands) (c.*add)(app);
  }

  CLI11_PARSE(app, argc, argv);

  if (c.validate && *c.validate) return cmdValidate(c.validatePath);
  if (c.compile && *c.compile) return cmdCompile(c.compilePath, c.compileThreads, c.compileFuel);
  if (c.run && *c.run) {
    wisp::cli::RunOptions& run = c.runOptions;
    std::vector<std::string> rest = c.run->remaining();
    if (rest.empty()) {
      std::fprintf(stderr, "wisp run: missing FILE\n");
      return 2;
    }
    run.file = rest[0];
    run.args.assign(rest.begin() + 1, rest.end());
    return wisp::cli::runModule(run);
  }
  if (c.wast && *c.wast) {
    if (c.wastOptions.enableAll) c.wastOptions.features = wisp::Features::all();
    return wisp::cli::runWast(c.wastOptions);
  }
  if (c.serve && *c.serve) return wisp::cli::runServe(c.serveOptions);
  return 0;
}
