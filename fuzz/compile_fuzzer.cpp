// libFuzzer target: anything that decodes and validates is compiled by the JIT (not
// run). The compiler must accept every valid module or report it unsupported, never
// crash.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/runtime.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static wisp::runtime::Engine engine(wisp::runtime::EngineConfig{{}, 1});
  std::vector<uint8_t> bytes(data, data + size);
  auto m = wisp::runtime::Module::compile(engine, std::move(bytes));
  (void)m.ok();
  return 0;
}
