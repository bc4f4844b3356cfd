// In-process benchmarks of wisp (Google Benchmark) on the modules given on the command
// line: decode+validate throughput, and compile throughput with one thread and with
// all threads. Bytes are whole-module bytes, as for V8's numbers.
//   wisp_bench [--benchmark_* flags] MODULE.wasm...
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/file.h"
#include "runtime/runtime.h"
#include "validator/module_validator.h"

namespace {

std::vector<uint8_t> readFile(const std::string& path) {
  std::vector<uint8_t> out;
  if (!wisp::runtime::readFile(path, out)) out.clear();
  return out;
}

void validate(benchmark::State& state, std::vector<uint8_t> bytes) {
  for (auto _ : state) {
    auto r = wisp::validator::validateBytes(bytes);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

void compile(benchmark::State& state, std::vector<uint8_t> bytes, unsigned threads) {
  wisp::runtime::Engine engine(wisp::runtime::EngineConfig{{}, threads});
  for (auto _ : state) {
    auto m = wisp::runtime::Module::compile(engine, bytes);
    if (!m) {
      state.SkipWithError(m.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (int i = 1; i < argc; i++) {
    const std::string path = argv[i];
    const std::string name = std::filesystem::path(path).stem().string();
    std::vector<uint8_t> bytes = readFile(path);
    if (bytes.empty()) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    benchmark::RegisterBenchmark(("validate/" + name).c_str(), validate, bytes)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(1.0)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("compile/" + name + "/threads:1").c_str(), compile, bytes, 1u)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("compile/" + name + "/threads:all").c_str(), compile, bytes, 0u)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0)
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
