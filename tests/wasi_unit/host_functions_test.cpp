// The WASI host functions called from a real instance: a module imports the functions
// under test and exports a forwarding wrapper for each, so every call goes through the
// linker, the raw-slot thunk and the caller's memory exactly as a guest's would. The
// tests poke hostile pointers into that memory (ranges ending at or past its end,
// wrapping lengths, huge counts) and check EFAULT with no side effects, then the
// in-memory stdio, read-only preopens, fd_renumber and fd_readdir's partial buffers.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/wasm_builder.h"
#include "wasi/wasi.h"

namespace wisp::wasi {
namespace {

namespace fs = std::filesystem;
using namespace wisp::test;
using runtime::Value;

// Core signatures of the functions used here ('i' = i32, 'I' = i64; all return i32).
const std::map<std::string, std::string> kSignatures = {
    {"args_get", "ii"},
    {"args_sizes_get", "ii"},
    {"environ_get", "ii"},
    {"fd_write", "iiii"},
    {"fd_read", "iiii"},
    {"fd_close", "i"},
    {"fd_pread", "iiiIi"},
    {"fd_prestat_get", "ii"},
    {"fd_prestat_dir_name", "iii"},
    {"fd_readdir", "iiiIi"},
    {"fd_renumber", "ii"},
    {"fd_fdstat_get", "ii"},
    {"fd_fdstat_set_rights", "iII"},
    {"fd_seek", "iIii"},
    {"path_open", "iiiiiIIii"},
    {"path_create_directory", "iii"},
    {"path_unlink_file", "iii"},
    {"path_rename", "iiiiii"},
    {"path_symlink", "iiiii"},
    {"path_filestat_get", "iiiii"},
    {"poll_oneoff", "iiii"},
    {"random_get", "ii"},
    {"clock_time_get", "iIi"},
    {"proc_raise", "i"},
    {"sock_recv", "iiiiii"},
};

// One guest: a module with one page of memory and a wrapper per WASI function, in its
// own store with its own WasiContext.
class Guest {
 public:
  explicit Guest(bool hostStdio = true)
      : ctx(hostStdio ? WasiContext() : WasiContext(WasiContext::NoHostStdio{})) {
    ModuleBuilder m;
    uint32_t index = 0;
    for (const auto& [fn, sig] : kSignatures) {
      Bytes params;
      for (char c : sig) params.push_back(c == 'I' ? kI64 : kI32);
      const uint32_t type = m.type(params, {kI32});
      m.imports.push_back(cat(name("wasi_snapshot_preview1"), name(fn), kExternFunc, u32(type)));
      Bytes body;
      for (uint32_t p = 0; p < sig.size(); p++) body = cat(body, 0x20, u32(p));  // local.get
      body = cat(body, 0x10, u32(index), 0x0B);                                  // call; end
      m.func(type, body);
      names_.push_back(fn);
      index++;
    }
    for (uint32_t i = 0; i < names_.size(); i++) {
      m.exports.push_back(cat(name(names_[i]), kExternFunc, u32(index + i)));
    }
    m.memories.push_back(limitsOf(1));
    m.exports.push_back(cat(name("memory"), kExternMemory, u32(0)));
    auto module = runtime::Module::compile(engine_, m.build());
    EXPECT_TRUE(module.ok()) << (module.ok() ? "" : module.error().message);
    store_.userData = &ctx;
    addToLinker(linker_);
    auto inst = linker_.instantiate(store_, *module);
    EXPECT_TRUE(inst.ok()) << (inst.ok() ? "" : inst.error().message);
    instance_ = *inst;
  }

  uint8_t* mem() { return instance_->memory()->base(); }
  uint32_t memSize() { return static_cast<uint32_t>(instance_->memory()->byteSize()); }
  void put(uint32_t at, const void* data, size_t n) { std::memcpy(mem() + at, data, n); }
  void putU32(uint32_t at, uint32_t v) { put(at, &v, 4); }
  void putStr(uint32_t at, const std::string& s) { put(at, s.data(), s.size()); }
  uint32_t getU32(uint32_t at) {
    uint32_t v;
    std::memcpy(&v, mem() + at, 4);
    return v;
  }
  void putIovec(uint32_t at, uint32_t buf, uint32_t len) {
    putU32(at, buf);
    putU32(at + 4, len);
  }

  /// Calls a WASI function with raw integer arguments; returns its errno.
  Errno call(const std::string& fn, std::vector<uint64_t> args) {
    const std::string& sig = kSignatures.at(fn);
    std::vector<Value> values;
    for (size_t i = 0; i < args.size(); i++) {
      values.push_back(sig[i] == 'I' ? Value::i64(args[i])
                                     : Value::i32(static_cast<uint32_t>(args[i])));
    }
    runtime::CallResult r = store_.call(instance_->getFunction(fn), values);
    EXPECT_TRUE(r.ok()) << fn << " trapped: " << (r.ok() ? "" : r.trap->toString());
    return r.ok() ? static_cast<Errno>(r.values[0].asI32()) : Errno::Io;
  }

  WasiContext ctx;

 private:
  runtime::Engine engine_;
  runtime::Store store_{engine_};
  runtime::Linker linker_{engine_};
  runtime::Instance* instance_ = nullptr;
  std::vector<std::string> names_;
};

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/wisp-wasi-unit-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

// ---- hostile pointers -------------------------------------------------------------------

TEST(WasiPointers, FdWriteChecksIovecArrayAndBuffers) {
  Guest g;
  g.ctx.captureStdout(1 << 20);
  const uint32_t end = g.memSize();
  g.putStr(100, "hello");
  g.putIovec(0, 100, 5);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.getU32(16), 5u);
  // The iovec array straddles the end of memory, or lies beyond it.
  g.putIovec(end - 8, 100, 5);
  EXPECT_EQ(g.call("fd_write", {1, end - 4, 1, 16}), Errno::Fault);
  EXPECT_EQ(g.call("fd_write", {1, end - 8, 1, 16}), Errno::Success);
  EXPECT_EQ(g.call("fd_write", {1, 0xFFFFFFF8u, 2, 16}), Errno::Fault);
  // count * 8 wraps to 0 in 32 bits.
  EXPECT_EQ(g.call("fd_write", {1, 0, 0x20000000u, 16}), Errno::Fault);
  EXPECT_EQ(g.call("fd_write", {1, 0, 0xFFFFFFFFu, 16}), Errno::Fault);
  // A buffer one byte past the end, and one whose ptr + len wraps.
  g.putIovec(0, end - 4, 5);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Fault);
  g.putIovec(0, 0xFFFFFFFFu, 2);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Fault);
  // A bad second iovec fails the whole call, before anything is written.
  g.putIovec(0, 100, 5);
  g.putIovec(8, end, 1);
  EXPECT_EQ(g.call("fd_write", {1, 0, 2, 16}), Errno::Fault);
  // The result pointer is checked before writing, so a fault writes nothing.
  g.putIovec(0, 100, 5);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, end - 3}), Errno::Fault);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, end - 4}), Errno::Success);
  EXPECT_EQ(g.ctx.takeStdout(), "hellohellohello");
}

TEST(WasiPointers, FdReadNeverWritesOutsideMemory) {
  Guest g;
  g.ctx.setStdin("0123456789");
  const uint32_t end = g.memSize();
  g.putIovec(0, end - 4, 4);  // the last 4 bytes of memory: fine
  EXPECT_EQ(g.call("fd_read", {0, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.getU32(16), 4u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(g.mem()) + end - 4, 4), "0123");
  g.putIovec(0, end - 4, 8);
  EXPECT_EQ(g.call("fd_read", {0, 0, 1, 16}), Errno::Fault);
  // Nothing was consumed by the failed call.
  g.putIovec(0, 200, 100);
  EXPECT_EQ(g.call("fd_read", {0, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(g.mem()) + 200, g.getU32(16)), "456789");
}

TEST(WasiPointers, ArgsAndEnvironmentBuffers) {
  Guest g;
  g.ctx.setArgs({"prog", "arg"});
  const uint32_t end = g.memSize();
  EXPECT_EQ(g.call("args_sizes_get", {0, 4}), Errno::Success);
  EXPECT_EQ(g.getU32(0), 2u);
  EXPECT_EQ(g.getU32(4), 9u);
  EXPECT_EQ(g.call("args_sizes_get", {end - 2, 4}), Errno::Fault);
  EXPECT_EQ(g.call("args_get", {end - 4, 100}), Errno::Fault);    // 2 pointers need 8 bytes
  EXPECT_EQ(g.call("args_get", {0, end - 8}), Errno::Fault);      // 9 bytes of strings
  EXPECT_EQ(g.call("args_get", {end - 8, 100}), Errno::Success);  // pointers at the end
  EXPECT_EQ(g.getU32(end - 8), 100u);
  EXPECT_EQ(g.getU32(end - 4), 105u);
  EXPECT_EQ(g.call("args_get", {0, end - 9}), Errno::Success);  // strings at the end
  EXPECT_EQ(g.getU32(0), end - 9);
  EXPECT_EQ(g.getU32(4), end - 4);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(g.mem()) + end - 9, 9),
            std::string("prog\0arg\0", 9));
  EXPECT_EQ(g.call("environ_get", {end, end}), Errno::Success);  // nothing to write
}

TEST(WasiPointers, RandomGetAtTheEnd) {
  Guest g;
  const uint32_t end = g.memSize();
  EXPECT_EQ(g.call("random_get", {end - 16, 16}), Errno::Success);
  EXPECT_EQ(g.call("random_get", {end - 15, 16}), Errno::Fault);
  EXPECT_EQ(g.call("random_get", {end, 0}), Errno::Success);
  EXPECT_EQ(g.call("random_get", {end + 1, 0}), Errno::Fault);
  EXPECT_EQ(g.call("random_get", {1, 0xFFFFFFFFu}), Errno::Fault);
}

TEST(WasiPointers, ResultPointersOfClockAndPrestat) {
  Guest g;
  TempDir dir;
  ASSERT_TRUE(g.ctx.preopenDirectory(dir.path, "/dir").ok());
  const uint32_t end = g.memSize();
  EXPECT_EQ(g.call("clock_time_get", {1, 0, end - 8}), Errno::Success);
  EXPECT_EQ(g.call("clock_time_get", {1, 0, end - 7}), Errno::Fault);
  EXPECT_EQ(g.call("clock_time_get", {99, 0, 0}), Errno::Inval);
  EXPECT_EQ(g.call("fd_prestat_get", {3, end - 8}), Errno::Success);
  EXPECT_EQ(g.getU32(end - 4), 4u);
  EXPECT_EQ(g.call("fd_prestat_get", {3, end - 7}), Errno::Fault);
  EXPECT_EQ(g.call("fd_prestat_dir_name", {3, end - 4, 4}), Errno::Success);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(g.mem()) + end - 4, 4), "/dir");
  EXPECT_EQ(g.call("fd_prestat_dir_name", {3, end - 3, 4}), Errno::Fault);
  g.mem()[50] = 'Z';
  g.mem()[53] = 'Z';
  EXPECT_EQ(g.call("fd_prestat_dir_name", {3, 50, 3}), Errno::NameTooLong);
  EXPECT_EQ(g.mem()[50], 'Z');  // a short buffer gets nothing
  EXPECT_EQ(g.call("fd_fdstat_get", {3, end - 23}), Errno::Fault);
  EXPECT_EQ(g.call("fd_fdstat_get", {3, end - 24}), Errno::Success);
}

TEST(WasiPointers, PathArgumentsAndOpenResult) {
  Guest g;
  TempDir dir;
  ASSERT_TRUE(g.ctx.preopenDirectory(dir.path, "/dir").ok());
  const uint32_t end = g.memSize();
  g.putStr(end - 5, "x.txt");
  constexpr uint64_t kCreat = 1, kRw = (1 << 1) | (1 << 6);
  // The path ends exactly at the end of memory: fine. One byte more: EFAULT.
  EXPECT_EQ(g.call("path_open", {3, 0, end - 5, 5, kCreat, kRw, 0, 0, 0}), Errno::Success);
  EXPECT_TRUE(fs::exists(dir.path / "x.txt"));
  EXPECT_EQ(g.call("path_open", {3, 0, end - 5, 6, 0, kRw, 0, 0, 0}), Errno::Fault);
  EXPECT_EQ(g.call("path_open", {3, 0, 0xFFFFFFFFu, 2, 0, kRw, 0, 0, 0}), Errno::Fault);
  // A bad result pointer fails before anything is created.
  g.putStr(100, "y.txt");
  EXPECT_EQ(g.call("path_open", {3, 0, 100, 5, kCreat, kRw, 0, 0, end - 2}), Errno::Fault);
  EXPECT_FALSE(fs::exists(dir.path / "y.txt"));
  EXPECT_EQ(g.call("path_filestat_get", {3, 0, 100, 5, end - 63}), Errno::Fault);
  EXPECT_EQ(g.call("path_create_directory", {3, end, 1}), Errno::Fault);
  EXPECT_EQ(g.call("path_create_directory", {3, 100, 0}), Errno::NoEnt);  // empty path
}

TEST(WasiPointers, PollOneoffArrays) {
  Guest g;
  const uint32_t end = g.memSize();
  // One relative monotonic clock subscription of 0 ns at offset 0.
  uint8_t sub[48] = {};
  sub[0] = 7;   // userdata
  sub[8] = 0;   // clock
  sub[16] = 1;  // monotonic
  g.put(0, sub, sizeof sub);
  EXPECT_EQ(g.call("poll_oneoff", {0, 64, 1, 32}), Errno::Success);
  EXPECT_EQ(g.getU32(32), 1u);
  EXPECT_EQ(g.getU32(64), 7u);
  EXPECT_EQ(g.call("poll_oneoff", {0, end - 31, 1, 32}), Errno::Fault);   // event past end
  EXPECT_EQ(g.call("poll_oneoff", {end - 47, 64, 1, 32}), Errno::Fault);  // sub past end
  EXPECT_EQ(g.call("poll_oneoff", {0, 64, 0x10000000u, 32}), Errno::NotSup);
  EXPECT_EQ(g.call("poll_oneoff", {0, 64, 0xFFFFu, 32}), Errno::Fault);  // too big for memory
  EXPECT_EQ(g.call("poll_oneoff", {0, 64, 0, 32}), Errno::Inval);
  // Subscriptions and events may overlap: everything is read before anything is written.
  EXPECT_EQ(g.call("poll_oneoff", {0, 0, 1, 100}), Errno::Success);
  EXPECT_EQ(g.getU32(0), 7u);
}

// ---- in-memory stdio ------------------------------------------------------------------

TEST(WasiStdio, CapturedStdoutIsCapped) {
  Guest g;
  g.ctx.captureStdout(8);
  g.putStr(100, "abcde");
  g.putIovec(0, 100, 5);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.getU32(16), 5u);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.getU32(16), 3u);  // short write at the cap
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Fbig);
  EXPECT_TRUE(g.ctx.stdoutTruncated());
  EXPECT_EQ(g.ctx.takeStdout(), "abcdeabc");
  // Reading stdout or seeking a stream is refused.
  EXPECT_EQ(g.call("fd_read", {1, 0, 1, 16}), Errno::Badf);
  EXPECT_EQ(g.call("fd_seek", {1, 0, 0, 16}), Errno::Spipe);
}

TEST(WasiStdio, StdinFromMemoryAndStderrCapture) {
  Guest g;
  g.ctx.setStdin("request body");
  g.ctx.captureStderr(100);
  g.putIovec(0, 100, 64);
  EXPECT_EQ(g.call("fd_read", {0, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.getU32(16), 12u);
  EXPECT_EQ(g.call("fd_read", {0, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.getU32(16), 0u);  // end of file
  g.putIovec(0, 100, 4);
  EXPECT_EQ(g.call("fd_write", {2, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.ctx.takeStderr(), "requ");
  EXPECT_EQ(g.ctx.takeStdout(), "");  // not capturing stdout
  EXPECT_EQ(g.call("sock_recv", {0, 0, 1, 0, 16, 20}), Errno::NotSock);
  EXPECT_EQ(g.call("proc_raise", {6}), Errno::NoSys);
}

TEST(WasiStdio, NoHostStdioStartsClosedAndPreopensStillStartAtThree) {
  Guest g(false);
  g.putStr(100, "hi");
  g.putIovec(0, 100, 2);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Badf);
  EXPECT_EQ(g.call("fd_write", {2, 0, 1, 16}), Errno::Badf);
  EXPECT_EQ(g.call("fd_read", {0, 0, 1, 16}), Errno::Badf);
  TempDir dir;
  ASSERT_TRUE(g.ctx.preopenDirectory(dir.path, "/dir").ok());
  EXPECT_EQ(g.call("fd_prestat_get", {3, 200}), Errno::Success);
  EXPECT_EQ(g.call("fd_prestat_get", {0, 200}), Errno::Badf);
  g.ctx.captureStdout(100);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.ctx.takeStdout(), "hi");
}

TEST(WasiStdio, RenumberedStdoutIsStillCaptured) {
  Guest g;
  g.ctx.captureStdout(100);
  TempDir dir;
  ASSERT_TRUE(g.ctx.preopenDirectory(dir.path, "/dir").ok());
  // Park stdout on the preopen's number, then bring it back (yosys does this).
  EXPECT_EQ(g.call("fd_renumber", {1, 3}), Errno::Success);
  EXPECT_EQ(g.call("fd_prestat_get", {3, 0}), Errno::Badf);  // no longer a preopen
  g.putStr(100, "hi");
  g.putIovec(0, 100, 2);
  EXPECT_EQ(g.call("fd_write", {3, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Badf);
  EXPECT_EQ(g.call("fd_renumber", {3, 1}), Errno::Success);  // onto the vacated stdout
  EXPECT_EQ(g.call("fd_write", {1, 0, 1, 16}), Errno::Success);
  EXPECT_EQ(g.ctx.takeStdout(), "hihi");
  // Numbers beyond the table are not valid targets.
  EXPECT_EQ(g.call("fd_renumber", {1, 1000}), Errno::Badf);
  EXPECT_EQ(g.call("fd_renumber", {1000, 1}), Errno::Badf);
}

// ---- read-only preopens -------------------------------------------------------------

constexpr uint64_t kRightRead = 1 << 1, kRightWrite = 1 << 6;
constexpr uint64_t kAllRights = (1ull << 30) - 1;

TEST(WasiReadOnly, NothingCanBeWrittenCreatedOrRemoved) {
  Guest g;
  TempDir dir;
  fs::create_directory(dir.path / "sub");
  {
    FILE* f = std::fopen((dir.path / "f.txt").c_str(), "w");
    std::fputs("data", f);
    std::fclose(f);
  }
  ASSERT_TRUE(g.ctx.preopenDirectory(dir.path, "/ro", /*readOnly=*/true).ok());
  g.putStr(100, "f.txt");
  g.putStr(200, "new.txt");
  g.putStr(300, "sub");
  // Reading works.
  EXPECT_EQ(g.call("path_open", {3, 0, 100, 5, 0, kRightRead, 0, 0, 16}), Errno::Success);
  const uint32_t fd = g.getU32(16);
  g.putIovec(0, 400, 10);
  EXPECT_EQ(g.call("fd_read", {fd, 0, 1, 20}), Errno::Success);
  EXPECT_EQ(g.getU32(20), 4u);
  EXPECT_EQ(g.call("fd_write", {fd, 0, 1, 20}), Errno::Badf);
  // Opening for writing, creating, truncating: refused, nothing happens.
  EXPECT_EQ(g.call("path_open", {3, 0, 100, 5, 0, kRightWrite, 0, 0, 16}), Errno::NotCapable);
  EXPECT_EQ(g.call("path_open", {3, 0, 200, 7, 1, kRightRead, 0, 0, 16}), Errno::NotCapable);
  EXPECT_EQ(g.call("path_open", {3, 0, 100, 5, 8, kRightRead, 0, 0, 16}), Errno::NotCapable);
  EXPECT_EQ(g.call("path_open", {3, 0, 100, 5, 0, kRightRead, 0, 1, 16}), Errno::NotCapable);
  EXPECT_EQ(g.call("path_create_directory", {3, 200, 7}), Errno::NotCapable);
  EXPECT_EQ(g.call("path_unlink_file", {3, 100, 5}), Errno::NotCapable);
  EXPECT_EQ(g.call("path_rename", {3, 100, 5, 3, 200, 7}), Errno::NotCapable);
  EXPECT_EQ(g.call("path_symlink", {100, 5, 3, 200, 7}), Errno::NotCapable);
  EXPECT_FALSE(fs::exists(dir.path / "new.txt"));
  EXPECT_TRUE(fs::exists(dir.path / "f.txt"));
  // A directory opened through it is read-only too, whatever rights are asked for.
  EXPECT_EQ(g.call("path_open", {3, 0, 300, 3, 2, kAllRights & ~kRightWrite, kAllRights, 0, 16}),
            Errno::Success);
  const uint32_t sub = g.getU32(16);
  EXPECT_EQ(g.call("path_create_directory", {sub, 200, 7}), Errno::NotCapable);
  EXPECT_EQ(g.call("path_open", {sub, 0, 200, 7, 1, kRightRead, 0, 0, 16}), Errno::NotCapable);
  // Rights can be dropped but never added back.
  EXPECT_EQ(g.call("fd_fdstat_set_rights", {sub, 0, 0}), Errno::Success);
  EXPECT_EQ(g.call("fd_fdstat_set_rights", {sub, kRightRead, 0}), Errno::NotCapable);
  EXPECT_FALSE(fs::exists(dir.path / "sub" / "new.txt"));
}

// ---- fd_readdir ---------------------------------------------------------------------

TEST(WasiReaddir, SmallBuffersAndCookies) {
  Guest g;
  TempDir dir;
  const std::vector<std::string> names = {"a", "bb", "a-rather-long-file-name.txt", "d"};
  for (const auto& n : names) std::fclose(std::fopen((dir.path / n).c_str(), "w"));
  ASSERT_TRUE(g.ctx.preopenDirectory(dir.path, "/d").ok());
  const uint32_t end = g.memSize();
  EXPECT_EQ(g.call("fd_readdir", {3, end - 10, 11, 0, 16}), Errno::Fault);
  // Read with a 30-byte buffer (one header + a few name bytes) placed at the very end
  // of memory, following cookies; entries cut short are re-read from their cookie with
  // a bigger buffer, as wasi-libc does.
  std::vector<std::string> seen;
  uint64_t cookie = 0;
  uint32_t size = 30;
  for (int calls = 0; calls < 100; calls++) {
    const uint32_t buf = end - size;
    ASSERT_EQ(g.call("fd_readdir", {3, buf, size, cookie, 16}), Errno::Success);
    const uint32_t used = g.getU32(16);
    uint32_t off = 0;
    bool progressed = false;
    while (off + 24 <= used) {
      uint64_t next;
      uint32_t namlen;
      std::memcpy(&next, g.mem() + buf + off, 8);
      std::memcpy(&namlen, g.mem() + buf + off + 16, 4);
      if (off + 24 + namlen > used) break;
      seen.emplace_back(reinterpret_cast<char*>(g.mem()) + buf + off + 24, namlen);
      off += 24 + namlen;
      cookie = next;
      progressed = true;
    }
    if (used < size) break;
    if (!progressed) size *= 2;
  }
  std::vector<std::string> want = names;
  want.push_back(".");
  want.push_back("..");
  std::sort(want.begin(), want.end());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, want);
  // A cookie past the end gives nothing; cookie 0 starts over.
  EXPECT_EQ(g.call("fd_readdir", {3, 0, 4096, 1000, 16}), Errno::Success);
  EXPECT_EQ(g.getU32(16), 0u);
  EXPECT_EQ(g.call("fd_readdir", {3, 0, 4096, 0, 16}), Errno::Success);
  EXPECT_GT(g.getU32(16), 6u * 24);
}

TEST(WasiContextTest, PreopensAreNumberedFromThree) {
  WasiContext ctx;
  TempDir a, b;
  ASSERT_TRUE(ctx.preopenDirectory(a.path, "/a").ok());
  ASSERT_TRUE(ctx.preopenDirectory(b.path, "/b", true).ok());
  ASSERT_NE(ctx.get(3), nullptr);
  ASSERT_NE(ctx.get(4), nullptr);
  EXPECT_EQ(ctx.get(3)->preopenName, "/a");
  EXPECT_EQ(ctx.get(4)->preopenName, "/b");
  EXPECT_EQ(ctx.get(5), nullptr);
  EXPECT_FALSE(ctx.preopenDirectory("/nonexistent-wisp-dir", "/x").ok());
  size_t n = 0;
  functionNames(n);
  EXPECT_EQ(n, 46u);  // every function of wasi_snapshot_preview1
}

}  // namespace
}  // namespace wisp::wasi
