// Machine code far larger than the usual 2.5x of the wasm code (a call_indirect is 5
// bytes of wasm and ~100 of machine code) must still compile and run in every mode:
// one eager worker outgrows its in-place region and falls back to its own buffer, and
// lazy compilation must not run out of room.
#include <gtest/gtest.h>

#include "runtime/runtime.h"
#include "support/wasm_builder.h"

namespace wisp::runtime {
namespace {

using namespace wisp::test;

constexpr uint32_t kCalls = 20000;

// f calls, through table slot 0, a function that counts its calls in global 0; then
// returns the count.
Bytes callIndirectHeavyModule() {
  ModuleBuilder b;
  const uint32_t nullary = b.type({}, {});
  const uint32_t counter = b.type({}, {kI32});
  b.func(nullary, Bytes{0x23, 0x00, 0x41, 0x01, 0x6A, 0x24, 0x00, 0x0B});  // g0 += 1
  Bytes body;
  for (uint32_t i = 0; i < kCalls; i++) {
    body = cat(body, Bytes{0x41, 0x00, 0x11, static_cast<uint8_t>(nullary), 0x00});
  }
  b.func(counter, cat(body, Bytes{0x23, 0x00, 0x0B}));
  b.tables.push_back(cat(kFuncRef, limitsOf(1)));
  b.globals.push_back(cat(kI32, 0x01, i32Const(0)));
  b.elems.push_back(cat(0x00, i32Const(0), vec(u32(0))));
  b.exports.push_back(cat(name("f"), kExternFunc, u32(1)));
  return b.build();
}

void compileAndRun(bool lazy, unsigned threads, bool expectOutgrown) {
  EngineConfig config;
  config.lazyCompilation = lazy;
  config.compileThreads = threads;
  Engine engine(config);
  auto m = Module::compile(engine, callIndirectHeavyModule());
  ASSERT_TRUE(m) << m.error().message;
  Store store(engine);
  Linker linker(engine);
  auto instance = linker.instantiate(store, *m);
  ASSERT_TRUE(instance) << instance.error().message;
  CallResult r = store.call((*instance)->getFunction("f"), {});
  ASSERT_TRUE(r.ok()) << r.trap->toString();
  EXPECT_EQ(r.values[0].lo, kCalls);
  // The code really is larger than the in-place region one eager worker starts with
  // (8x the code section), so that worker took the fallback path.
  if (expectOutgrown) {
    EXPECT_GT((*m)->code().machineCodeBytes(), 8 * size_t{(*m)->decl().codeSectionSize});
  }
}

TEST(CodeSpace, OneEagerWorkerOutgrowsItsRegion) { compileAndRun(false, 1, true); }
TEST(CodeSpace, SeveralEagerWorkers) { compileAndRun(false, 2, true); }
TEST(CodeSpace, LazyCompilationHasRoom) { compileAndRun(true, 1, false); }

}  // namespace
}  // namespace wisp::runtime
