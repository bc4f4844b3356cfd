// In-process cold-start benchmark of a `wisp serve` handler: what one request costs
// before any HTTP, for a precompiled WASI command with its imports resolved once
// (InstancePre), a fresh WasiContext and Store per iteration, as the server does.
//   instantiate        WASI context (CGI environment, stdin, captured stdout) + Store
//                      + instantiate
//   instantiate+start  the same, then _start (the whole handler run)
//   request            App::runWasm: the server's complete per-request path (CGI
//                      variables built from a request, limits, deadline armed, run,
//                      CGI response parsed, instance torn down)
// The engine is configured as the server's (memories up to keep_resident are reset in
// place). Usage: serve_bench [--benchmark_* flags] HANDLER.wasm
//   (e.g. build/examples/handlers/hello.wasm)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "http/app.h"
#include "http/cgi.h"
#include "runtime/file.h"
#include "runtime/runtime.h"
#include "wasi/wasi.h"

namespace {

using namespace wisp;

std::string gModulePath;

std::vector<uint8_t> readFile(const std::string& path) {
  std::vector<uint8_t> out;
  if (!wisp::runtime::readFile(path, out)) out.clear();
  return out;
}

// A typical small GET, as the server would describe it.
http::CgiRequest sampleRequest() {
  http::CgiRequest r;
  r.method = "GET";
  r.target = "/hello?name=Ada";
  r.query = "name=Ada";
  r.scriptName = "/hello";
  r.pathInfo = "";
  r.protocol = "HTTP/1.1";
  r.serverName = "127.0.0.1";
  r.serverPort = 8080;
  r.remoteAddr = "127.0.0.1";
  r.remotePort = 50000;
  r.headers = {{"Host", "127.0.0.1:8080"}, {"User-Agent", "wrk"}, {"Accept", "*/*"}};
  r.routeName = "hello";
  r.requestId = 1;
  return r;
}

// The engine as `wisp serve` configures it: small memories reset in place.
runtime::EngineConfig serverEngineConfig() {
  runtime::EngineConfig config;
  config.keepResidentBytes = http::ServerConfig().keepResidentBytes;
  return config;
}

void instantiate(benchmark::State& state, bool runStart) {
  static runtime::Engine engine(serverEngineConfig());
  static auto module = runtime::Module::compile(engine, readFile(gModulePath));
  if (!module) {
    state.SkipWithError(module.error().message.c_str());
    return;
  }
  runtime::Linker linker(engine);
  wasi::addToLinker(linker);
  auto pre = linker.prepare(*module);
  if (!pre) {
    state.SkipWithError(pre.error().message.c_str());
    return;
  }
  const http::CgiRequest request = sampleRequest();
  const std::vector<std::string> routeEnv;
  runtime::StoreLimits limits;
  limits.maxMemoryPages = 256;  // 16 MiB
  for (auto _ : state) {
    wasi::WasiContext wasi(wasi::WasiContext::NoHostStdio{});
    wasi.setArgs({"hello"});
    wasi.setEnv(http::cgiEnvironment(request, routeEnv));
    wasi.setStdin(std::string());
    wasi.captureStdout(1 << 20);
    wasi.captureStderr(16 << 10);
    runtime::Store store(engine, limits);
    store.userData = &wasi;
    auto inst = (*pre)->instantiate(store);
    if (!inst) {
      state.SkipWithError(inst.error().message.c_str());
      return;
    }
    if (runStart) {
      auto r = store.call((*inst)->getFunction("_start"), {});
      if (!r.ok() && !(r.trap->kind == jit::TrapKind::Exit && r.trap->exitCode == 0)) {
        state.SkipWithError(r.trap->toString().c_str());
        return;
      }
      benchmark::DoNotOptimize(wasi.takeStdout());
    }
  }
}

void request(benchmark::State& state) {
  http::Config config;
  config.file = "bench.toml";
  http::RouteConfig route;
  route.name = "hello";
  route.path = "/hello";
  route.module = gModulePath;
  route.limits.maxMemoryBytes = 16 << 20;
  route.where = "bench.toml:1";
  config.routes.push_back(route);
  http::Metrics metrics;
  auto app = http::App::create(config, metrics);
  if (!app) {
    state.SkipWithError(app.error().message.c_str());
    return;
  }
  auto table = (*app)->table();
  const http::CgiRequest cgi = sampleRequest();
  size_t bytes = 0;
  for (auto _ : state) {
    (*app)->runWasm(table->routes[0], cgi, std::string(),
                    [&](http::HandlerResult&& r) { bytes += r.body.size(); });
  }
  benchmark::DoNotOptimize(bytes);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: serve_bench [--benchmark_* flags] HANDLER.wasm\n");
    return 2;
  }
  gModulePath = argv[1];
  benchmark::RegisterBenchmark("instantiate", instantiate, false)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("instantiate+start", instantiate, true)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("request", request)->Unit(benchmark::kMicrosecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
