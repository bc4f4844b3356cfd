// Lazily compiled modules are still validated whole before they can be instantiated;
// large ones on several threads. Whatever the thread count, the error must be the
// serial one: the lowest-indexed invalid function.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "runtime/file.h"
#include "runtime/runtime.h"
#include "support/wasm_builder.h"

namespace wisp::runtime {
namespace {

using namespace wisp::test;

// `count` functions of ~200 bytes each (i32.const 1; drop, repeated), so a few
// thousand make a code section large enough for the parallel scan. Functions listed in
// `bad` end with a type error instead.
Bytes bigModule(uint32_t count, std::initializer_list<uint32_t> bad) {
  ModuleBuilder b;
  const uint32_t t = b.type({}, {kI32});
  for (uint32_t i = 0; i < count; i++) {
    Bytes code;
    for (int k = 0; k < 64; k++) code = cat(code, Bytes{0x41, 0x01, 0x1A});  // i32.const 1; drop
    const bool isBad = std::find(bad.begin(), bad.end(), i) != bad.end();
    code = cat(code, isBad ? Bytes{0x42, 0x01, 0x0B}    // i64.const 1: wrong result type
                           : Bytes{0x41, 0x07, 0x0B});  // i32.const 7
    b.func(t, code);
  }
  b.exports.push_back(cat(name("f0"), kExternFunc, u32(0)));
  return b.build();
}

std::string compileError(const Bytes& bytes, bool lazy, unsigned threads) {
  EngineConfig config;
  config.lazyCompilation = lazy;
  config.compileThreads = threads;
  Engine engine(config);
  auto m = Module::compile(engine, bytes);
  return m ? std::string() : m.error().message;
}

TEST(LazyValidation, ReportsTheFirstInvalidFunctionWhateverTheThreads) {
  const Bytes bytes = bigModule(3000, {2999, 1700, 1701, 2400});
  ASSERT_GT(bytes.size(), 512u * 1024);
  const std::string serial = compileError(bytes, /*lazy=*/true, 1);
  ASSERT_FALSE(serial.empty());
  EXPECT_NE(serial.find("1700"), std::string::npos) << serial;
  EXPECT_EQ(serial, compileError(bytes, /*lazy=*/false, 1));
  for (int round = 0; round < 10; round++) {
    EXPECT_EQ(serial, compileError(bytes, /*lazy=*/true, 4)) << "round " << round;
  }
}

TEST(LazyValidation, ValidLargeModuleRunsAfterAParallelScan) {
  const Bytes bytes = bigModule(3000, {});
  EngineConfig config;
  config.lazyCompilation = true;
  config.compileThreads = 4;
  Engine engine(config);
  auto m = Module::compile(engine, bytes);
  ASSERT_TRUE(m) << m.error().message;
  Store store(engine);
  Linker linker(engine);
  auto instance = linker.instantiate(store, *m);
  ASSERT_TRUE(instance) << instance.error().message;
  CallResult r = store.call((*instance)->getFunction("f0"), {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.values.size(), 1u);
  EXPECT_EQ(r.values[0].lo, 7u);
}

TEST(MappedFile, MapsARegularFileAndCompilesFromIt) {
  const Bytes bytes = bigModule(2, {});
  char path[] = "/tmp/wisp-mapped-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(fd);
  auto file = MappedFile::open(path);
  unlink(path);  // the mapping keeps the contents
  ASSERT_TRUE(file);
  ASSERT_EQ(file->bytes().size(), bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), file->bytes().begin()));
  Engine engine;
  auto m = Module::compile(engine, file->bytes(), file);
  ASSERT_TRUE(m) << m.error().message;
  file.reset();  // the module holds the mapping now
  Store store(engine);
  Linker linker(engine);
  auto instance = linker.instantiate(store, *m);
  ASSERT_TRUE(instance);
  CallResult r = store.call((*instance)->getFunction("f0"), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.values[0].lo, 7u);
}

TEST(MappedFile, RejectsWhatIsNotARegularFile) {
  EXPECT_FALSE(MappedFile::open("/nonexistent/wisp.wasm"));
  EXPECT_FALSE(MappedFile::open("/tmp"));
  EXPECT_FALSE(MappedFile::open("/dev/null"));
}

TEST(MappedFile, EmptyFileIsAnEmptyModuleError) {
  char path[] = "/tmp/wisp-empty-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  auto file = MappedFile::open(path);
  unlink(path);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->bytes().size(), 0u);
  Engine engine;
  auto m = Module::compile(engine, file->bytes(), file);
  EXPECT_FALSE(m);
}

}  // namespace
}  // namespace wisp::runtime
