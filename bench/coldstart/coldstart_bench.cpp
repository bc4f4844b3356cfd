// Cold start in process: compile, instantiate (fresh Store and WASI context) and run
// `_start` of a WASI command, each phase timed separately; prints one JSON line of
// medians over the repetitions.
//   coldstart_bench MODULE.wasm [REPS] [THREADS|lazy] [ARGS...]
// "lazy" validates every function up front and compiles each on its first call (the
// default of `wisp run`); a number compiles everything first with that many threads.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/file.h"
#include "runtime/runtime.h"
#include "wasi/wasi.h"

using namespace wisp;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<uint8_t> readFile(const std::string& path) {
  std::vector<uint8_t> out;
  if (!wisp::runtime::readFile(path, out)) out.clear();
  return out;
}

double us(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: coldstart_bench MODULE.wasm [REPS] [THREADS] [ARGS...]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int reps = argc > 2 ? std::atoi(argv[2]) : 20;
  const bool lazy = argc > 3 && std::string(argv[3]) == "lazy";
  const unsigned threads = argc > 3 && !lazy ? static_cast<unsigned>(std::atoi(argv[3])) : 0;
  std::vector<std::string> args = {path};
  for (int i = 4; i < argc; i++) args.push_back(argv[i]);
  const std::vector<uint8_t> bytes = readFile(path);
  if (bytes.empty()) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 2;
  }
  runtime::EngineConfig config;
  config.compileThreads = threads;
  config.lazyCompilation = lazy;
  runtime::Engine engine(config);
  runtime::Linker linker(engine);
  wasi::addToLinker(linker);
  std::vector<double> compile, instantiate, start, total;
  for (int r = 0; r < reps; r++) {
    const auto t0 = Clock::now();
    auto module = runtime::Module::compile(engine, bytes);
    const auto t1 = Clock::now();
    if (!module) {
      std::fprintf(stderr, "%s\n", module.error().message.c_str());
      return 1;
    }
    wasi::WasiContext ctx;
    ctx.setArgs(args);
    ctx.captureStdout(1 << 20);  // measured without terminal I/O, as for the peers
    runtime::Store store(engine);
    store.userData = &ctx;
    auto pre = linker.prepare(*module);
    if (!pre) {
      std::fprintf(stderr, "%s\n", pre.error().message.c_str());
      return 1;
    }
    auto instance = (*pre)->instantiate(store);
    const auto t2 = Clock::now();
    if (!instance) {
      std::fprintf(stderr, "%s\n", instance.error().message.c_str());
      return 1;
    }
    auto result = store.call((*instance)->getFunction("_start"), {});
    const auto t3 = Clock::now();
    if (!result.ok() && result.trap->kind != jit::TrapKind::Exit) {
      std::fprintf(stderr, "_start: %s\n", result.trap->toString().c_str());
      return 1;
    }
    compile.push_back(us(t0, t1));
    instantiate.push_back(us(t1, t2));
    start.push_back(us(t2, t3));
    total.push_back(us(t0, t3));
  }
  std::printf(
      "{\"engine\": \"wisp\", \"lazy\": %s, \"threads\": %u, \"file\": \"%s\", \"reps\": %d, "
      "\"compile_us\": %.1f, \"instantiate_us\": %.1f, \"start_us\": %.1f, \"total_us\": %.1f}\n",
      lazy ? "true" : "false", threads, path.c_str(), reps, median(compile), median(instantiate),
      median(start), median(total));
  return 0;
}
