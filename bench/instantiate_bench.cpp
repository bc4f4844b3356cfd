// In-process cold-start benchmark: instantiate a precompiled module in a fresh Store
// (and optionally call an export), the cost a fresh-instance-per-request server pays.
//   instantiate_bench [--benchmark_* flags] MODULE.wasm [EXPORT]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/file.h"
#include "runtime/runtime.h"

namespace {

std::vector<uint8_t> readFile(const std::string& path) {
  std::vector<uint8_t> out;
  if (!wisp::runtime::readFile(path, out)) out.clear();
  return out;
}

using namespace wisp::runtime;

void instantiate(benchmark::State& state, std::shared_ptr<Module> module, std::string call) {
  Engine& engine = module->engine();
  Linker linker(engine);
  auto pre = linker.prepare(module);  // imports resolved once, as a server does
  if (!pre) {
    state.SkipWithError(pre.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    Store store(engine);
    auto inst = (*pre)->instantiate(store);
    if (!inst) {
      state.SkipWithError(inst.error().message.c_str());
      return;
    }
    if (!call.empty()) {
      auto r = store.call((*inst)->getFunction(call), {});
      if (!r.ok()) {
        state.SkipWithError(r.trap->toString().c_str());
        return;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: instantiate_bench MODULE.wasm [EXPORT]\n");
    return 2;
  }
  static Engine engine(EngineConfig{{}, 1});
  auto module = Module::compile(engine, readFile(argv[1]));
  if (!module) {
    std::fprintf(stderr, "%s\n", module.error().message.c_str());
    return 1;
  }
  std::string call = argc > 2 ? argv[2] : "";
  benchmark::RegisterBenchmark("instantiate", instantiate, *module, std::string())
      ->Unit(benchmark::kMicrosecond);
  if (!call.empty()) {
    benchmark::RegisterBenchmark(("instantiate+call/" + call).c_str(), instantiate, *module, call)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
