// Reader primitives: LEB128 integers exactly per spec 5.2.2 (every length, boundary
// values, overlong and out-of-range encodings, truncation), names and UTF-8.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "decoder/reader.h"
#include "support/wasm_builder.h"

namespace wisp::decoder {
namespace {

using test::Bytes;

// The outcome of one read: the value, how many bytes it took, or why it failed.
template <typename T>
struct Read {
  bool ok = false;
  T value{};
  size_t consumed = 0;
  std::string error;
  uint32_t errorOffset = 0;
};

// Reads one T from all of `bytes` (or from the first `limit` bytes: the Reader's end is
// then before bytes that would complete the integer, so reading them is detectable).
template <typename T, typename ReadFn>
Read<T> readWith(const Bytes& bytes, ReadFn fn, size_t limit = SIZE_MAX) {
  const size_t size = std::min(limit, bytes.size());
  Reader r(bytes.data(), bytes.data(), bytes.data() + size);
  Read<T> out;
  out.ok = fn(r, out.value);
  out.consumed = static_cast<size_t>(r.pos() - bytes.data());
  if (!out.ok) {
    out.error = r.errorMessage();
    out.errorOffset = r.errorOffset();
  }
  return out;
}

Read<uint32_t> readU32(const Bytes& b, size_t limit = SIZE_MAX) {
  return readWith<uint32_t>(
      b, [](Reader& r, uint32_t& v) { return r.readU32(v); }, limit);
}
Read<int32_t> readS32(const Bytes& b, size_t limit = SIZE_MAX) {
  return readWith<int32_t>(
      b, [](Reader& r, int32_t& v) { return r.readS32(v); }, limit);
}
Read<int64_t> readS33(const Bytes& b, size_t limit = SIZE_MAX) {
  return readWith<int64_t>(
      b, [](Reader& r, int64_t& v) { return r.readS33(v); }, limit);
}
Read<int64_t> readS64(const Bytes& b, size_t limit = SIZE_MAX) {
  return readWith<int64_t>(
      b, [](Reader& r, int64_t& v) { return r.readS64(v); }, limit);
}
Read<uint64_t> readU64(const Bytes& b, size_t limit = SIZE_MAX) {
  return readWith<uint64_t>(
      b, [](Reader& r, uint64_t& v) { return r.readU64(v); }, limit);
}

// Asserts a successful read of `expected` that consumed all of `bytes`.
template <typename T>
::testing::AssertionResult readsAs(const Read<T>& r, T expected, size_t length) {
  if (!r.ok) return ::testing::AssertionFailure() << "failed: " << r.error;
  if (r.value != expected) {
    return ::testing::AssertionFailure() << "value " << r.value << ", expected " << expected;
  }
  if (r.consumed != length) {
    return ::testing::AssertionFailure()
           << "consumed " << r.consumed << " bytes, expected " << length;
  }
  return ::testing::AssertionSuccess();
}

// Asserts a failed read with `message` at offset 0 that left the position at the start.
template <typename T>
::testing::AssertionResult failsWith(const Read<T>& r, const std::string& message) {
  if (r.ok) return ::testing::AssertionFailure() << "succeeded with value " << r.value;
  if (r.error != message) {
    return ::testing::AssertionFailure()
           << "error \"" << r.error << "\", expected \"" << message << "\"";
  }
  if (r.errorOffset != 0) return ::testing::AssertionFailure() << "error offset " << r.errorOffset;
  if (r.consumed != 0) return ::testing::AssertionFailure() << "position moved by " << r.consumed;
  return ::testing::AssertionSuccess();
}

constexpr const char* kTooLong = "integer representation too long";
constexpr const char* kTooLarge = "integer too large";
constexpr const char* kEnd = "unexpected end";

// ---- u32 ------------------------------------------------------------------------------

TEST(Leb128U32, EveryLengthFromOneToFive) {
  // The largest value of each minimal length, then the smallest of the next.
  EXPECT_TRUE(readsAs(readU32({0x00}), 0u, 1));
  EXPECT_TRUE(readsAs(readU32({0x7F}), 127u, 1));
  EXPECT_TRUE(readsAs(readU32({0x80, 0x01}), 128u, 2));
  EXPECT_TRUE(readsAs(readU32({0xFF, 0x7F}), 16383u, 2));
  EXPECT_TRUE(readsAs(readU32({0x80, 0x80, 0x01}), 16384u, 3));
  EXPECT_TRUE(readsAs(readU32({0xFF, 0xFF, 0x7F}), (1u << 21) - 1, 3));
  EXPECT_TRUE(readsAs(readU32({0x80, 0x80, 0x80, 0x01}), 1u << 21, 4));
  EXPECT_TRUE(readsAs(readU32({0xFF, 0xFF, 0xFF, 0x7F}), (1u << 28) - 1, 4));
  EXPECT_TRUE(readsAs(readU32({0x80, 0x80, 0x80, 0x80, 0x01}), 1u << 28, 5));
  EXPECT_TRUE(readsAs(readU32({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), 0xFFFFFFFFu, 5));
}

TEST(Leb128U32, FastPathCoversEverySingleByteValue) {
  for (uint32_t v = 0; v < 0x80; v++) {
    EXPECT_TRUE(readsAs(readU32({static_cast<uint8_t>(v)}), v, 1)) << v;
  }
}

TEST(Leb128U32, RoundTripsBuilderEncoding) {
  for (uint32_t v :
       {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 65536u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu}) {
    Bytes b = test::u32(v);
    EXPECT_TRUE(readsAs(readU32(b), v, b.size())) << v;
  }
}

TEST(Leb128U32, PaddedEncodingsUpToFiveBytesAreAccepted) {
  EXPECT_TRUE(readsAs(readU32({0x80, 0x00}), 0u, 2));
  EXPECT_TRUE(readsAs(readU32({0x80, 0x80, 0x80, 0x80, 0x00}), 0u, 5));
  EXPECT_TRUE(readsAs(readU32({0xFF, 0x80, 0x80, 0x80, 0x00}), 127u, 5));
}

TEST(Leb128U32, SixthByteIsTooLong) {
  EXPECT_TRUE(failsWith(readU32({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), kTooLong));
  EXPECT_TRUE(failsWith(readU32({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), kTooLong));
}

TEST(Leb128U32, UnusedBitsOfFifthByteMustBeZero) {
  // Only the low 4 bits of the fifth byte carry value bits.
  EXPECT_TRUE(failsWith(readU32({0x80, 0x80, 0x80, 0x80, 0x10}), kTooLarge));
  EXPECT_TRUE(failsWith(readU32({0xFF, 0xFF, 0xFF, 0xFF, 0x1F}), kTooLarge));
  EXPECT_TRUE(failsWith(readU32({0x80, 0x80, 0x80, 0x80, 0x70}), kTooLarge));
  EXPECT_TRUE(failsWith(readU32({0x80, 0x80, 0x80, 0x80, 0x40}), kTooLarge));
}

TEST(Leb128U32, TruncatedInputIsUnexpectedEnd) {
  EXPECT_TRUE(failsWith(readU32({}), kEnd));
  EXPECT_TRUE(failsWith(readU32({0x80}), kEnd));
  EXPECT_TRUE(failsWith(readU32({0xFF, 0xFF}), kEnd));
  EXPECT_TRUE(failsWith(readU32({0xFF, 0xFF, 0xFF, 0xFF}), kEnd));
}

TEST(Leb128U32, NeverReadsPastEnd) {
  // Each buffer holds a complete integer, but the Reader's end cuts it short.
  EXPECT_TRUE(failsWith(readU32({0x80, 0x00}, 1), kEnd));
  EXPECT_TRUE(failsWith(readU32({0x7F}, 0), kEnd));
  EXPECT_TRUE(failsWith(readU32({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 4), kEnd));
  // And a complete one stops at its last byte, leaving what follows.
  Read<uint32_t> r = readU32({0x80, 0x01, 0x05});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.value, 128u);
  EXPECT_EQ(r.consumed, 2u);
}

TEST(Leb128U32, ErrorOffsetIsTheStartOfTheInteger) {
  // base .. begin: 3 bytes already read; the integer at offset 3 is truncated.
  Bytes b = {0x01, 0x02, 0x03, 0x80, 0x80};
  Reader r(b.data(), b.data() + 3, b.data() + b.size());
  uint32_t v;
  EXPECT_FALSE(r.readU32(v));
  EXPECT_STREQ(r.errorMessage(), kEnd);
  EXPECT_EQ(r.errorOffset(), 3u);
  EXPECT_EQ(r.offset(), 3u);
}

// ---- s32 ------------------------------------------------------------------------------

TEST(Leb128S32, EveryLengthFromOneToFive) {
  EXPECT_TRUE(readsAs(readS32({0x00}), 0, 1));
  EXPECT_TRUE(readsAs(readS32({0x3F}), 63, 1));
  EXPECT_TRUE(readsAs(readS32({0x40}), -64, 1));
  EXPECT_TRUE(readsAs(readS32({0x7F}), -1, 1));
  EXPECT_TRUE(readsAs(readS32({0xC0, 0x00}), 64, 2));
  EXPECT_TRUE(readsAs(readS32({0xBF, 0x7F}), -65, 2));
  EXPECT_TRUE(readsAs(readS32({0xFF, 0x3F}), 8191, 2));
  EXPECT_TRUE(readsAs(readS32({0x80, 0x80, 0x01}), 16384, 3));
  EXPECT_TRUE(readsAs(readS32({0x80, 0x80, 0x80, 0x7F}), -(1 << 21), 4));
  EXPECT_TRUE(
      readsAs(readS32({0xFF, 0xFF, 0xFF, 0xFF, 0x07}), std::numeric_limits<int32_t>::max(), 5));
  EXPECT_TRUE(
      readsAs(readS32({0x80, 0x80, 0x80, 0x80, 0x78}), std::numeric_limits<int32_t>::min(), 5));
}

TEST(Leb128S32, FastPathSignExtendsSingleBytes) {
  for (int v = 0; v < 0x80; v++) {
    const int32_t expected = v < 0x40 ? v : v - 0x80;
    EXPECT_TRUE(readsAs(readS32({static_cast<uint8_t>(v)}), expected, 1)) << v;
  }
}

TEST(Leb128S32, RoundTripsBuilderEncoding) {
  for (int32_t v : {0, 1, -1, 63, 64, -64, -65, 8191, 8192, -8192, -8193, 1 << 20, -(1 << 27),
                    std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()}) {
    Bytes b = test::s32(v);
    EXPECT_TRUE(readsAs(readS32(b), v, b.size())) << v;
  }
}

TEST(Leb128S32, PaddedEncodingsAreAccepted) {
  EXPECT_TRUE(readsAs(readS32({0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), -1, 5));
  EXPECT_TRUE(readsAs(readS32({0x80, 0x80, 0x80, 0x80, 0x00}), 0, 5));
  EXPECT_TRUE(readsAs(readS32({0xFF, 0x7F}), -1, 2));
}

TEST(Leb128S32, SixthByteIsTooLong) {
  EXPECT_TRUE(failsWith(readS32({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), kTooLong));
  EXPECT_TRUE(failsWith(readS32({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), kTooLong));
}

TEST(Leb128S32, UnusedBitsMustCopyTheSignBit) {
  // Fifth byte: bit 3 is the sign, bits 4-6 must equal it.
  EXPECT_TRUE(failsWith(readS32({0x80, 0x80, 0x80, 0x80, 0x08}), kTooLarge));  // 2^31
  EXPECT_TRUE(failsWith(readS32({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), kTooLarge));  // 2^32-1
  EXPECT_TRUE(failsWith(readS32({0xFF, 0xFF, 0xFF, 0xFF, 0x4F}), kTooLarge));
  EXPECT_TRUE(failsWith(readS32({0x80, 0x80, 0x80, 0x80, 0x70}), kTooLarge));  // -2^31-1
  EXPECT_TRUE(failsWith(readS32({0x80, 0x80, 0x80, 0x80, 0x10}), kTooLarge));
}

TEST(Leb128S32, TruncatedAndBoundedInput) {
  EXPECT_TRUE(failsWith(readS32({}), kEnd));
  EXPECT_TRUE(failsWith(readS32({0xC0}), kEnd));
  EXPECT_TRUE(failsWith(readS32({0xFF, 0xFF, 0xFF, 0xFF, 0x07}, 4), kEnd));
  EXPECT_TRUE(failsWith(readS32({0x40}, 0), kEnd));
}

// ---- s33 (block types) --------------------------------------------------------------

TEST(Leb128S33, BlockTypeBytesReadAsNegative) {
  // The single-byte block types are the negative s33 values the spec assigns them.
  EXPECT_TRUE(readsAs(readS33({0x40}), int64_t{-64}, 1));  // empty
  EXPECT_TRUE(readsAs(readS33({0x7F}), int64_t{-1}, 1));   // i32
  EXPECT_TRUE(readsAs(readS33({0x7B}), int64_t{-5}, 1));   // v128
  EXPECT_TRUE(readsAs(readS33({0x70}), int64_t{-16}, 1));  // funcref
  EXPECT_TRUE(readsAs(readS33({0x00}), int64_t{0}, 1));    // type index 0
}

TEST(Leb128S33, TypeIndexRange) {
  EXPECT_TRUE(readsAs(readS33({0xC0, 0x00}), int64_t{64}, 2));
  // The largest s33 is 2^32 - 1, which needs all 5 bytes; the smallest is -2^32.
  EXPECT_TRUE(readsAs(readS33({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), int64_t{0xFFFFFFFF}, 5));
  EXPECT_TRUE(readsAs(readS33({0x80, 0x80, 0x80, 0x80, 0x70}), -(int64_t{1} << 32), 5));
  EXPECT_TRUE(readsAs(readS33({0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), int64_t{-1}, 5));
}

TEST(Leb128S33, OutOfRangeAndOverlong) {
  // Fifth byte: bit 4 is the sign, bits 5-6 must equal it.
  EXPECT_TRUE(failsWith(readS33({0x80, 0x80, 0x80, 0x80, 0x10}), kTooLarge));  // 2^32
  EXPECT_TRUE(failsWith(readS33({0x80, 0x80, 0x80, 0x80, 0x20}), kTooLarge));
  EXPECT_TRUE(failsWith(readS33({0xFF, 0xFF, 0xFF, 0xFF, 0x6F}), kTooLarge));  // -2^32-1
  EXPECT_TRUE(failsWith(readS33({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), kTooLong));
  EXPECT_TRUE(failsWith(readS33({0x80, 0x80}), kEnd));
  EXPECT_TRUE(failsWith(readS33({0x80, 0x00}, 1), kEnd));
}

// ---- s64 ------------------------------------------------------------------------------

TEST(Leb128S64, EveryLengthFromOneToTen) {
  for (int length = 1; length <= 10; length++) {
    // A signed LEB128 of n bytes holds [-2^(7n-1), 2^(7n-1) - 1]; the bounds of each
    // length need exactly that many bytes.
    const int bits = std::min(7 * length - 1, 63);
    const int64_t max = static_cast<int64_t>((uint64_t{1} << bits) - 1);
    const int64_t min = -max - 1;
    Bytes maxBytes = test::s64(max), minBytes = test::s64(min);
    ASSERT_EQ(maxBytes.size(), static_cast<size_t>(length));
    ASSERT_EQ(minBytes.size(), static_cast<size_t>(length));
    EXPECT_TRUE(readsAs(readS64(maxBytes), max, length)) << length;
    EXPECT_TRUE(readsAs(readS64(minBytes), min, length)) << length;
  }
}

TEST(Leb128S64, Extremes) {
  EXPECT_TRUE(readsAs(readS64({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}),
                      std::numeric_limits<int64_t>::max(), 10));
  EXPECT_TRUE(readsAs(readS64({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F}),
                      std::numeric_limits<int64_t>::min(), 10));
  EXPECT_TRUE(readsAs(readS64({0x7F}), int64_t{-1}, 1));
  EXPECT_TRUE(readsAs(readS64({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}),
                      int64_t{-1}, 10));
  // INT32_MIN and INT32_MAX as 64-bit values: 5 bytes, unlike the fifth-byte limits of s32.
  EXPECT_TRUE(readsAs(readS64({0x80, 0x80, 0x80, 0x80, 0x78}), int64_t{INT32_MIN}, 5));
  EXPECT_TRUE(readsAs(readS64({0x80, 0x80, 0x80, 0x80, 0x08}), int64_t{1} << 31, 5));
}

TEST(Leb128S64, UnusedBitsOfTenthByteMustCopyTheSign) {
  // Tenth byte: bit 0 is the sign (bit 63), bits 1-6 must equal it.
  EXPECT_TRUE(
      failsWith(readS64({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}), kTooLarge));
  EXPECT_TRUE(
      failsWith(readS64({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7E}), kTooLarge));
  EXPECT_TRUE(
      failsWith(readS64({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}), kTooLarge));
  EXPECT_TRUE(
      failsWith(readS64({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x41}), kTooLarge));
}

TEST(Leb128S64, EleventhByteIsTooLong) {
  EXPECT_TRUE(failsWith(readS64({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}),
                        kTooLong));
  EXPECT_TRUE(failsWith(readS64({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}),
                        kTooLong));
}

TEST(Leb128S64, TruncatedAndBoundedInput) {
  EXPECT_TRUE(failsWith(readS64({}), kEnd));
  EXPECT_TRUE(failsWith(readS64({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}), kEnd));
  EXPECT_TRUE(
      failsWith(readS64({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F}, 9), kEnd));
}

// ---- u64 ------------------------------------------------------------------------------

TEST(Leb128U64, BoundariesAndErrors) {
  EXPECT_TRUE(readsAs(readU64({0x00}), uint64_t{0}, 1));
  EXPECT_TRUE(readsAs(readU64({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), uint64_t{0xFFFFFFFF}, 5));
  EXPECT_TRUE(readsAs(readU64({0x80, 0x80, 0x80, 0x80, 0x10}), uint64_t{1} << 32, 5));
  EXPECT_TRUE(readsAs(readU64({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}),
                      std::numeric_limits<uint64_t>::max(), 10));
  // Tenth byte: only bit 0 carries a value bit.
  EXPECT_TRUE(
      failsWith(readU64({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}), kTooLarge));
  EXPECT_TRUE(
      failsWith(readU64({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F}), kTooLarge));
  EXPECT_TRUE(failsWith(readU64({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}),
                        kTooLong));
  EXPECT_TRUE(failsWith(readU64({0xFF, 0xFF, 0xFF}), kEnd));
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 35,
                     uint64_t{1} << 63, ~uint64_t{0}}) {
    Bytes b = test::u64(v);
    EXPECT_TRUE(readsAs(readU64(b), v, b.size())) << v;
  }
}

// ---- other primitives ------------------------------------------------------------------

TEST(ReaderPrimitives, FixedWidthReadsAreLittleEndianAndBounded) {
  Bytes b = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
  Reader r(b.data(), b.data(), b.data() + b.size());
  uint32_t f32;
  ASSERT_TRUE(r.readF32Bits(f32));
  EXPECT_EQ(f32, 0x04030201u);
  uint64_t f64;
  EXPECT_FALSE(r.readF64Bits(f64));  // 5 bytes left
  EXPECT_STREQ(r.errorMessage(), kEnd);
  EXPECT_EQ(r.errorOffset(), 4u);
  EXPECT_EQ(r.offset(), 4u);
  const uint8_t* p;
  EXPECT_FALSE(r.readBytes(6, p));
  EXPECT_FALSE(r.skip(6));
  EXPECT_TRUE(r.skip(5));
  EXPECT_TRUE(r.atEnd());
  uint8_t byte;
  EXPECT_FALSE(r.readByte(byte));
}

TEST(ReaderPrimitives, ReadName) {
  Bytes b = test::cat(test::name("héllo"), 0x05);
  Reader r(b.data(), b.data(), b.data() + b.size());
  std::string s;
  ASSERT_TRUE(r.readName(s));
  EXPECT_EQ(s, "héllo");
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(ReaderPrimitives, ReadNameRejectsBadLengthAndUtf8) {
  std::string s;
  Bytes tooLong = {0x05, 'a', 'b'};
  Reader r1(tooLong.data(), tooLong.data(), tooLong.data() + tooLong.size());
  EXPECT_FALSE(r1.readName(s));
  EXPECT_STREQ(r1.errorMessage(), "unexpected end (length out of bounds)");
  EXPECT_EQ(r1.errorOffset(), 0u);

  Bytes bad = {0x02, 0xC0, 0x80};  // overlong NUL
  Reader r2(bad.data(), bad.data(), bad.data() + bad.size());
  EXPECT_FALSE(r2.readName(s));
  EXPECT_STREQ(r2.errorMessage(), "malformed UTF-8 encoding");

  // The name's bytes exist in the buffer but lie past the Reader's end.
  Bytes cut = {0x03, 'a', 'b', 'c'};
  Reader r3(cut.data(), cut.data(), cut.data() + 3);
  EXPECT_FALSE(r3.readName(s));
  EXPECT_STREQ(r3.errorMessage(), "unexpected end (length out of bounds)");
}

TEST(ReaderPrimitives, ReadCountChecksRemainingBytes) {
  Bytes hostile = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x00};
  Reader r(hostile.data(), hostile.data(), hostile.data() + hostile.size());
  uint32_t n = 0;
  EXPECT_FALSE(r.readCount(n));
  EXPECT_STREQ(r.errorMessage(), "unexpected end (length out of bounds)");
  EXPECT_EQ(r.errorOffset(), 0u);

  // 2 elements of at least 2 bytes need 4 bytes; 3 remain.
  Bytes two = {0x02, 0x00, 0x00, 0x00};
  Reader r2(two.data(), two.data(), two.data() + two.size());
  EXPECT_FALSE(r2.readCount(n, 2));
  Reader r3(two.data(), two.data(), two.data() + two.size());
  EXPECT_TRUE(r3.readCount(n, 1));
  EXPECT_EQ(n, 2u);
}

// ---- UTF-8 ----------------------------------------------------------------------------

bool utf8(const Bytes& b) { return isValidUtf8(b.data(), b.size()); }

TEST(Utf8, ValidSequences) {
  EXPECT_TRUE(utf8({}));
  EXPECT_TRUE(utf8({'a', 'b', 0x00, 0x7F}));
  EXPECT_TRUE(utf8({0xC2, 0x80}));              // U+0080, smallest 2-byte
  EXPECT_TRUE(utf8({0xC3, 0xA9}));              // é
  EXPECT_TRUE(utf8({0xDF, 0xBF}));              // U+07FF
  EXPECT_TRUE(utf8({0xE0, 0xA0, 0x80}));        // U+0800, smallest 3-byte
  EXPECT_TRUE(utf8({0xE2, 0x82, 0xAC}));        // €
  EXPECT_TRUE(utf8({0xED, 0x9F, 0xBF}));        // U+D7FF, below the surrogates
  EXPECT_TRUE(utf8({0xEE, 0x80, 0x80}));        // U+E000, above the surrogates
  EXPECT_TRUE(utf8({0xEF, 0xBF, 0xBF}));        // U+FFFF
  EXPECT_TRUE(utf8({0xF0, 0x90, 0x80, 0x80}));  // U+10000, smallest 4-byte
  EXPECT_TRUE(utf8({0xF0, 0x9F, 0x98, 0x80}));  // 😀
  EXPECT_TRUE(utf8({0xF4, 0x8F, 0xBF, 0xBF}));  // U+10FFFF
  EXPECT_TRUE(utf8({'x', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 'y'}));
}

TEST(Utf8, OverlongEncodings) {
  EXPECT_FALSE(utf8({0xC0, 0x80}));  // NUL
  EXPECT_FALSE(utf8({0xC1, 0xBF}));  // U+007F
  EXPECT_FALSE(utf8({0xE0, 0x80, 0x80}));
  EXPECT_FALSE(utf8({0xE0, 0x9F, 0xBF}));  // U+07FF
  EXPECT_FALSE(utf8({0xF0, 0x80, 0x80, 0x80}));
  EXPECT_FALSE(utf8({0xF0, 0x8F, 0xBF, 0xBF}));  // U+FFFF
}

TEST(Utf8, Surrogates) {
  EXPECT_FALSE(utf8({0xED, 0xA0, 0x80}));  // U+D800
  EXPECT_FALSE(utf8({0xED, 0xAF, 0xBF}));  // U+DBFF
  EXPECT_FALSE(utf8({0xED, 0xB0, 0x80}));  // U+DC00
  EXPECT_FALSE(utf8({0xED, 0xBF, 0xBF}));  // U+DFFF
  // A surrogate pair encoded as two 3-byte sequences (CESU-8) is not UTF-8 either.
  EXPECT_FALSE(utf8({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80}));
}

TEST(Utf8, AboveMaxCodePointAndBadLeadBytes) {
  EXPECT_FALSE(utf8({0xF4, 0x90, 0x80, 0x80}));  // U+110000
  EXPECT_FALSE(utf8({0xF5, 0x80, 0x80, 0x80}));
  EXPECT_FALSE(utf8({0xF7, 0xBF, 0xBF, 0xBF}));
  EXPECT_FALSE(utf8({0xF8, 0x88, 0x80, 0x80, 0x80}));  // 5-byte form
  EXPECT_FALSE(utf8({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80}));
  EXPECT_FALSE(utf8({0xFE}));
  EXPECT_FALSE(utf8({0xFF}));
  EXPECT_FALSE(utf8({0x80}));  // lone continuation bytes
  EXPECT_FALSE(utf8({0xBF}));
  EXPECT_FALSE(utf8({'a', 0x80, 'b'}));
}

TEST(Utf8, TruncatedSequences) {
  EXPECT_FALSE(utf8({0xC3}));
  EXPECT_FALSE(utf8({0xE2, 0x82}));
  EXPECT_FALSE(utf8({0xF0, 0x9F, 0x98}));
  EXPECT_FALSE(utf8({'a', 'b', 0xC3}));
  // Cut short by a non-continuation byte.
  EXPECT_FALSE(utf8({0xC3, 'A'}));
  EXPECT_FALSE(utf8({0xE2, 0x82, 'A'}));
  EXPECT_FALSE(utf8({0xF0, 0x9F, 0x98, 0xC3, 0xA9}));
}

TEST(Utf8, StopsAtSizeNotAtTheBuffersEnd) {
  // A valid 2-byte sequence of which only the first byte is inside [data, data+size).
  const uint8_t b[] = {0xC3, 0xA9};
  EXPECT_FALSE(isValidUtf8(b, 1));
  EXPECT_TRUE(isValidUtf8(b, 2));
  EXPECT_TRUE(isValidUtf8(b, 0));
}

}  // namespace
}  // namespace wisp::decoder
