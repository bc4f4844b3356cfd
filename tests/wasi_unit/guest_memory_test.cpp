// GuestMemory and IovecBuffer against hostile guest pointers (ranges ending exactly at
// or past the end of memory, 32-bit wrap-around, count * size overflow), and the
// in-memory stdio streams (input drained once, output capped).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "wasi/guest_memory.h"
#include "wasi/streams.h"

namespace wisp::wasi {
namespace {

class GuestMemoryTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kSize = 65536;
  std::vector<uint8_t> backing = std::vector<uint8_t>(kSize);
  GuestMemory mem{backing.data(), kSize};

  void putIovec(uint32_t at, uint32_t buf, uint32_t len) {
    std::memcpy(backing.data() + at, &buf, 4);
    std::memcpy(backing.data() + at + 4, &len, 4);
  }
};

TEST_F(GuestMemoryTest, RangesUpToTheEndAreInBounds) {
  EXPECT_TRUE(mem.inBounds(0, kSize));
  EXPECT_TRUE(mem.inBounds(kSize - 1, 1));
  EXPECT_TRUE(mem.inBounds(kSize, 0));  // empty range at the very end
  EXPECT_TRUE(mem.bytes(kSize - 4, 4).has_value());
  EXPECT_TRUE(mem.bytes(kSize, 0).has_value());
}

TEST_F(GuestMemoryTest, RangesPastTheEndAreRejected) {
  EXPECT_FALSE(mem.inBounds(kSize - 1, 2));
  EXPECT_FALSE(mem.inBounds(kSize + 1, 0));
  EXPECT_FALSE(mem.bytes(kSize - 3, 4).has_value());
  EXPECT_FALSE(mem.bytes(kSize, 1).has_value());
  uint32_t v;
  EXPECT_FALSE(mem.load(kSize - 3, v));
  EXPECT_TRUE(mem.load(kSize - 4, v));
  EXPECT_FALSE(mem.store<uint64_t>(kSize - 7, 1));
  EXPECT_TRUE(mem.store<uint64_t>(kSize - 8, 1));
}

TEST_F(GuestMemoryTest, PointerPlusLengthDoesNotWrap) {
  // In 32-bit arithmetic 0xFFFFFFF0 + 0x20 wraps to 0x10, which would look in bounds.
  EXPECT_FALSE(mem.bytes(0xFFFFFFF0u, 0x20).has_value());
  EXPECT_FALSE(mem.bytes(0x10, 0xFFFFFFFFu).has_value());
  EXPECT_FALSE(mem.bytes(0xFFFFFFFFu, 0xFFFFFFFFu).has_value());
  EXPECT_FALSE(mem.string(0xFFFFFFFFu, 2).has_value());
  EXPECT_FALSE(mem.inBounds(UINT64_MAX, 2));
  EXPECT_FALSE(mem.inBounds(2, UINT64_MAX));
}

TEST_F(GuestMemoryTest, ArrayCountTimesSizeDoesNotOverflow) {
  // 0x20000000 * 8 is 4 GiB: zero in 32 bits.
  EXPECT_FALSE(mem.array(0, 0x20000000u, 8).has_value());
  EXPECT_FALSE(mem.array(0, 0xFFFFFFFFu, 48).has_value());
  EXPECT_TRUE(mem.array(0, kSize / 8, 8).has_value());
  EXPECT_FALSE(mem.array(8, kSize / 8, 8).has_value());
  EXPECT_TRUE(mem.array(kSize, 0, 48).has_value());
}

TEST_F(GuestMemoryTest, NullMemoryFaultsEverything) {
  GuestMemory none;
  EXPECT_FALSE(none.bytes(0, 1).has_value());
  EXPECT_TRUE(none.bytes(0, 0).has_value());
  EXPECT_FALSE(none.bytes(1, 0).has_value());
  GuestMemory fromNull(static_cast<const runtime::LinearMemory*>(nullptr));
  EXPECT_EQ(fromNull.size(), 0u);
}

TEST_F(GuestMemoryTest, IovecsAreCheckedOneByOne) {
  IovecBuffer iov;
  putIovec(0, 100, 10);
  putIovec(8, kSize - 5, 5);  // ends exactly at the end: fine
  ASSERT_EQ(iov.gather(mem, 0, 2), Errno::Success);
  EXPECT_EQ(iov.count(), 2);
  EXPECT_EQ(iov.totalBytes(), 15u);
  EXPECT_EQ(iov.data()[0].iov_base, backing.data() + 100);

  putIovec(8, kSize - 5, 6);  // one byte past the end
  EXPECT_EQ(iov.gather(mem, 0, 2), Errno::Fault);
  EXPECT_EQ(iov.count(), 0);
  putIovec(8, 0xFFFFFFFFu, 2);  // wraps in 32 bits
  EXPECT_EQ(iov.gather(mem, 0, 2), Errno::Fault);
  putIovec(8, kSize, 0);  // empty buffer at the very end: allowed, and skipped
  ASSERT_EQ(iov.gather(mem, 0, 2), Errno::Success);
  EXPECT_EQ(iov.count(), 1);
  putIovec(8, kSize + 1, 0);  // empty but outside: still a bad pointer
  EXPECT_EQ(iov.gather(mem, 0, 2), Errno::Fault);
}

TEST_F(GuestMemoryTest, IovecArrayItselfMustBeInBounds) {
  IovecBuffer iov;
  EXPECT_EQ(iov.gather(mem, kSize - 4, 1), Errno::Fault);  // straddles the end
  EXPECT_EQ(iov.gather(mem, kSize - 8, 1), Errno::Success);
  EXPECT_EQ(iov.gather(mem, 0, 0x20000000u), Errno::Fault);  // count * 8 overflows u32
  EXPECT_EQ(iov.gather(mem, 0xFFFFFFF8u, 2), Errno::Fault);
  EXPECT_EQ(iov.gather(mem, kSize, 0), Errno::Success);
}

TEST_F(GuestMemoryTest, BadIovecBeyondTheHostLimitIsStillRejected) {
  // More iovecs than one host call takes: the transfer is cut short, but every
  // element is validated, including those that are not used.
  IovecBuffer iov;
  const uint32_t n = IovecBuffer::kMaxIovecs + 10;
  for (uint32_t i = 0; i < n; i++) putIovec(8 * i, 60000, 1);
  ASSERT_EQ(iov.gather(mem, 0, n), Errno::Success);
  EXPECT_EQ(static_cast<size_t>(iov.count()), IovecBuffer::kMaxIovecs);
  putIovec(8 * (n - 1), kSize, 1);
  EXPECT_EQ(iov.gather(mem, 0, n), Errno::Fault);
}

TEST_F(GuestMemoryTest, TotalBytesAreCappedSoCountsFitInU32) {
  // Three iovecs covering the whole memory each: fine to validate, and the host sees
  // at most kMaxBytes. (A 64 KiB memory cannot reach the cap, so fake a larger one.)
  std::vector<uint8_t> big(64);
  GuestMemory huge(big.data(), uint64_t{1} << 32);  // never dereferenced here
  uint8_t arr[24];
  for (int i = 0; i < 3; i++) {
    const uint32_t buf = 0, len = 0xFFFFFFFFu;
    std::memcpy(arr + 8 * i, &buf, 4);
    std::memcpy(arr + 8 * i + 4, &len, 4);
  }
  std::memcpy(big.data(), arr, sizeof arr);
  IovecBuffer iov;
  ASSERT_EQ(iov.gather(huge, 0, 3), Errno::Success);
  EXPECT_EQ(iov.totalBytes(), IovecBuffer::kMaxBytes);
  EXPECT_EQ(iov.count(), 1);
}

TEST(StreamsTest, InputIsReadOnceThenEof) {
  InputStream in("hello world");
  char a[3], b[4];
  struct iovec v[2] = {{a, sizeof a}, {b, sizeof b}};
  EXPECT_EQ(in.read(v), 7u);
  EXPECT_EQ(std::string(a, 3) + std::string(b, 4), "hello w");
  EXPECT_EQ(in.remaining(), 4u);
  EXPECT_EQ(in.read(v), 4u);
  EXPECT_EQ(in.read(v), 0u);
}

TEST(StreamsTest, OutputStopsAtTheCap) {
  OutputStream out(8);
  size_t n = 0;
  char data[] = "abcde";
  struct iovec v[1] = {{data, 5}};
  EXPECT_EQ(out.write(v, n), Errno::Success);
  EXPECT_EQ(n, 5u);
  EXPECT_FALSE(out.truncated());
  EXPECT_EQ(out.write(v, n), Errno::Success);  // 3 of 5 fit
  EXPECT_EQ(n, 3u);
  EXPECT_TRUE(out.truncated());
  EXPECT_EQ(out.write(v, n), Errno::Fbig);  // full
  EXPECT_EQ(n, 0u);
  struct iovec empty[1] = {{data, 0}};
  EXPECT_EQ(out.write(empty, n), Errno::Success);  // nothing to write is not an error
  EXPECT_EQ(out.take(), "abcdeabc");
  EXPECT_EQ(out.size(), 0u);
}

TEST(StreamsTest, GatheredOutputKeepsOrder) {
  OutputStream out(100);
  char a[] = "ab", b[] = "", c[] = "cdef";
  struct iovec v[3] = {{a, 2}, {b, 0}, {c, 4}};
  size_t n;
  ASSERT_EQ(out.write(v, n), Errno::Success);
  EXPECT_EQ(n, 6u);
  EXPECT_EQ(out.take(), "abcdef");
}

}  // namespace
}  // namespace wisp::wasi
