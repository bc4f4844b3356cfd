// Bounds-checked reading of the binary format's primitives (5.1-5.2): bytes, LEB128
// integers exactly per spec (overlong and out-of-range encodings rejected), floats and
// UTF-8 names. Reads never go past `end`; a failed read records why and where.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace wisp::decoder {

class Reader {
 public:
  Reader(const uint8_t* base, const uint8_t* begin, const uint8_t* end)
      : base_(base), p_(begin), end_(end) {}

  /// Absolute offset (from the start of the module) of the next byte.
  uint32_t offset() const { return static_cast<uint32_t>(p_ - base_); }
  const uint8_t* pos() const { return p_; }
  const uint8_t* end() const { return end_; }
  const uint8_t* base() const { return base_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool atEnd() const { return p_ >= end_; }
  void setPos(const uint8_t* p) { p_ = p; }

  /// Why the last read failed and at which offset.
  const char* errorMessage() const { return error_; }
  uint32_t errorOffset() const { return errorOffset_; }
  bool fail(const char* message) { return failAt(offset(), message); }
  bool failAt(uint32_t offset, const char* message) {
    error_ = message;
    errorOffset_ = offset;
    return false;
  }

  bool readByte(uint8_t& out) {
    if (p_ >= end_) return fail("unexpected end");
    out = *p_++;
    return true;
  }

  __attribute__((always_inline)) bool readU32(uint32_t& out) {
    if (p_ < end_ && *p_ < 0x80) {
      out = *p_++;
      return true;
    }
    // Two-byte encodings (values below 2^14) are the next most common.
    if (end_ - p_ >= 2 && p_[1] < 0x80) {
      out = (p_[0] & 0x7Fu) | (static_cast<uint32_t>(p_[1]) << 7);
      p_ += 2;
      return true;
    }
    return readU32Slow(out);
  }

  __attribute__((always_inline)) bool readS32(int32_t& out) {
    if (p_ < end_ && *p_ < 0x80) {
      out = static_cast<int32_t>(static_cast<uint32_t>(*p_) << 25) >> 25;
      p_++;
      return true;
    }
    if (end_ - p_ >= 2 && p_[1] < 0x80) {
      const uint32_t v = (p_[0] & 0x7Fu) | (static_cast<uint32_t>(p_[1]) << 7);
      out = static_cast<int32_t>(v << 18) >> 18;
      p_ += 2;
      return true;
    }
    return readS32Slow(out);
  }

  bool readU64(uint64_t& out);
  bool readS64(int64_t& out);
  /// Signed 33-bit integer, used by block types' type indices.
  bool readS33(int64_t& out);

  bool readF32Bits(uint32_t& out) {
    if (remaining() < 4) return fail("unexpected end");
    std::memcpy(&out, p_, 4);
    p_ += 4;
    return true;
  }
  bool readF64Bits(uint64_t& out) {
    if (remaining() < 8) return fail("unexpected end");
    std::memcpy(&out, p_, 8);
    p_ += 8;
    return true;
  }
  bool readBytes(size_t n, const uint8_t*& out) {
    if (remaining() < n) return fail("unexpected end");
    out = p_;
    p_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (remaining() < n) return fail("unexpected end");
    p_ += n;
    return true;
  }

  /// A name (5.2.4): u32 length then that many bytes of valid UTF-8.
  bool readName(std::string& out);
  /// Reads a vector length and checks that at least `minElementSize` bytes per element
  /// remain, so a hostile count can never make the caller allocate without bound.
  bool readCount(uint32_t& out, uint32_t minElementSize = 1);

 private:
  bool readU32Slow(uint32_t& out);
  bool readS32Slow(int32_t& out);

  const uint8_t* base_;
  const uint8_t* p_;
  const uint8_t* end_;
  const char* error_ = "";
  uint32_t errorOffset_ = 0;
};

// Cursor-based LEB128 decoding for loops that keep their position in a register
// (the function validator). Each returns the value and the position after it, or a
// null position when the encoding is truncated, overlong or out of range (the caller
// then reads again with a Reader to report why). The result comes back in registers;
// one- and two-byte values are decoded inline.
template <typename T>
struct Decoded {
  const uint8_t* next;
  T value;
};
Decoded<uint32_t> decodeU32Tail(const uint8_t* p, const uint8_t* end);
Decoded<int32_t> decodeS32Tail(const uint8_t* p, const uint8_t* end);
Decoded<uint64_t> decodeU64Tail(const uint8_t* p, const uint8_t* end);
Decoded<int64_t> decodeS64Tail(const uint8_t* p, const uint8_t* end);

__attribute__((always_inline)) inline Decoded<uint32_t> decodeU32(const uint8_t* p,
                                                                  const uint8_t* end) {
  if (p < end && *p < 0x80) return {p + 1, *p};
  if (end - p >= 2 && p[1] < 0x80) {
    return {p + 2, (p[0] & 0x7Fu) | (static_cast<uint32_t>(p[1]) << 7)};
  }
  return decodeU32Tail(p, end);
}

__attribute__((always_inline)) inline Decoded<int32_t> decodeS32(const uint8_t* p,
                                                                 const uint8_t* end) {
  if (p < end && *p < 0x80) {
    return {p + 1, static_cast<int32_t>(static_cast<uint32_t>(*p) << 25) >> 25};
  }
  if (end - p >= 2 && p[1] < 0x80) {
    const uint32_t v = (p[0] & 0x7Fu) | (static_cast<uint32_t>(p[1]) << 7);
    return {p + 2, static_cast<int32_t>(v << 18) >> 18};
  }
  return decodeS32Tail(p, end);
}

__attribute__((always_inline)) inline Decoded<int64_t> decodeS64(const uint8_t* p,
                                                                 const uint8_t* end) {
  if (p < end && *p < 0x80) {
    return {p + 1, static_cast<int64_t>(static_cast<uint64_t>(*p) << 57) >> 57};
  }
  return decodeS64Tail(p, end);
}

/// True when [data, data+size) is well-formed UTF-8 (no overlongs, surrogates or
/// code points above U+10FFFF).
bool isValidUtf8(const uint8_t* data, size_t size);

}  // namespace wisp::decoder
