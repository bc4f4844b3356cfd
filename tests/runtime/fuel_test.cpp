// Fuel metering: one unit per wasm instruction executed, taken from the store, the
// same on every run and in every compilation mode; running out traps, and more fuel
// lets the store go on.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "runtime/runtime.h"
#include "support/wasm_builder.h"

namespace wisp::runtime {
namespace {

using namespace wisp::test;

// (func "count" (param $n i32) (result i32) (local $i i32)
//   block loop                                            ;; 2 instructions
//     local.get $i local.get $n i32.ge_u br_if 1          ;; 4 per iteration
//     local.get $i i32.const 1 i32.add local.set $i br 0  ;; 5 per iteration
//   end end local.get $i)
// (func "spin" loop br 0 end)
// (func "rec" (param i32) (result i32): 0 for 0, else 1 + rec(n - 1))
constexpr uint64_t kUnitsPerIteration = 9;

Bytes fuelModule() {
  ModuleBuilder b;
  const uint32_t unary = b.type({kI32}, {kI32});
  const uint32_t nullary = b.type({}, {});
  b.func(unary, vec(cat(u32(1), kI32)),
         Bytes{0x02, 0x40, 0x03, 0x40,                    // block, loop
               0x20, 0x01, 0x20, 0x00, 0x4F, 0x0D, 0x01,  // i >= n: br_if 1
               0x20, 0x01, 0x41, 0x01, 0x6A, 0x21, 0x01,  // i = i + 1
               0x0C, 0x00, 0x0B, 0x0B,                    // br 0; end; end
               0x20, 0x01, 0x0B});                        // local.get i
  b.func(nullary, Bytes{0x03, 0x40, 0x0C, 0x00, 0x0B, 0x0B});
  b.func(unary, Bytes{0x20, 0x00, 0x45, 0x04, 0x7F,  // if (n == 0) (result i32)
                      0x41, 0x00, 0x05,              //   0 else
                      0x41, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x10, 0x02, 0x6A,  // 1 + rec(n-1)
                      0x0B, 0x0B});
  b.exports.push_back(cat(name("count"), kExternFunc, u32(0)));
  b.exports.push_back(cat(name("spin"), kExternFunc, u32(1)));
  b.exports.push_back(cat(name("rec"), kExternFunc, u32(2)));
  return b.build();
}

struct Fixture {
  explicit Fixture(bool metered, bool lazy = false)
      : engine(config(metered, lazy)),
        module(Module::compile(engine, fuelModule())),
        store(engine) {
    EXPECT_TRUE(module) << module.error().message;
    Linker linker(engine);
    auto i = linker.instantiate(store, *module);
    EXPECT_TRUE(i) << i.error().message;
    instance = *i;
  }
  static EngineConfig config(bool metered, bool lazy) {
    EngineConfig c;
    c.consumeFuel = metered;
    c.lazyCompilation = lazy;
    return c;
  }
  CallResult call(const char* name, std::initializer_list<uint32_t> args) {
    std::vector<Value> values;
    for (uint32_t a : args) values.push_back(Value::i32(a));
    return store.call(instance->getFunction(name), values);
  }
  // Units `name(arg)` takes; the call must succeed.
  uint64_t unitsFor(const char* name, uint32_t arg) {
    store.setFuel(1'000'000'000);
    CallResult r = call(name, {arg});
    EXPECT_TRUE(r.ok()) << name << "(" << arg << ") trapped";
    return 1'000'000'000 - store.fuel();
  }
  Engine engine;
  Result<std::shared_ptr<Module>> module;
  Store store;
  Instance* instance = nullptr;
};

TEST(Fuel, EachIterationPaysForItsInstructions) {
  Fixture f(/*metered=*/true);
  const uint64_t none = f.unitsFor("count", 0);
  EXPECT_GT(none, 0u);
  EXPECT_LT(none, 12u);
  EXPECT_EQ(f.unitsFor("count", 1000), none + 1000 * kUnitsPerIteration);
  EXPECT_EQ(f.unitsFor("count", 12345), none + 12345 * kUnitsPerIteration);
}

TEST(Fuel, CallsPayTooAndCountsAreLinear) {
  Fixture f(/*metered=*/true);
  const uint64_t c0 = f.unitsFor("rec", 0), c50 = f.unitsFor("rec", 50);
  const uint64_t c100 = f.unitsFor("rec", 100);
  EXPECT_GT(c50, c0);
  EXPECT_EQ(c100 - c50, c50 - c0);
}

TEST(Fuel, SameCountsWhenCompiledLazily) {
  Fixture eager(/*metered=*/true, /*lazy=*/false), lazy(/*metered=*/true, /*lazy=*/true);
  for (uint32_t n : {0u, 7u, 300u}) {
    EXPECT_EQ(eager.unitsFor("count", n), lazy.unitsFor("count", n)) << n;
    EXPECT_EQ(eager.unitsFor("rec", n), lazy.unitsFor("rec", n)) << n;
  }
}

TEST(Fuel, RunningOutTrapsAndMoreFuelGoesOn) {
  Fixture f(/*metered=*/true);
  f.store.setFuel(10'000);
  CallResult r = f.call("spin", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.trap->kind, jit::TrapKind::OutOfFuel);
  EXPECT_EQ(f.store.fuel(), 0u);
  EXPECT_NE(r.trap->toString().find("all fuel consumed"), std::string::npos) << r.trap->toString();
  // Too little for the whole loop: stops part way, in the loop.
  f.store.setFuel(100 * kUnitsPerIteration);
  r = f.call("count", {1000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.trap->kind, jit::TrapKind::OutOfFuel);
  // Refuelled, the same store and instance run on.
  f.store.setFuel(1'000'000);
  r = f.call("count", {1000});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.values[0].lo, 1000u);
  // Recursion without loops runs out too.
  f.store.setFuel(50);
  r = f.call("rec", {100000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.trap->kind, jit::TrapKind::OutOfFuel);
}

TEST(Fuel, ExactBudgetIsEnoughAndOneLessIsNot) {
  Fixture f(/*metered=*/true);
  const uint64_t need = f.unitsFor("count", 77);
  f.store.setFuel(need);
  EXPECT_TRUE(f.call("count", {77}).ok());
  EXPECT_EQ(f.store.fuel(), 0u);
  f.store.setFuel(need - 1);
  CallResult r = f.call("count", {77});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.trap->kind, jit::TrapKind::OutOfFuel);
}

TEST(Fuel, InstancesOfOneStoreShareItsFuel) {
  Fixture f(/*metered=*/true);
  Linker linker(f.engine);
  auto second = linker.instantiate(f.store, *f.module);
  ASSERT_TRUE(second);
  const uint64_t one = f.unitsFor("count", 100);
  f.store.setFuel(1'000'000);
  ASSERT_TRUE(f.call("count", {100}).ok());
  const Value arg = Value::i32(100);
  ASSERT_TRUE(f.store.call((*second)->getFunction("count"), {&arg, 1}).ok());
  EXPECT_EQ(f.store.fuel(), 1'000'000 - 2 * one);
}

TEST(Fuel, UnmeteredCodeIgnoresFuel) {
  Fixture f(/*metered=*/false);
  EXPECT_EQ(f.store.fuel(), 0u);  // a store starts with none
  CallResult r = f.call("count", {100000});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.values[0].lo, 100000u);
  EXPECT_EQ(f.store.fuel(), 0u);
}

}  // namespace
}  // namespace wisp::runtime
