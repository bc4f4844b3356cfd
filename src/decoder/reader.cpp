#include "decoder/reader.h"

#include <cstring>

#include "decoder/limits.h"

namespace wisp::decoder {

// Shared LEB128 loop: reads up to ceil(bits/7) bytes. The last byte may only carry the
// remaining value bits; for signed forms the unused high bits must be copies of the sign.
// Returns nullptr on success (p moved past the value), else why it failed (p unmoved).
template <typename T, unsigned kBits, bool kSigned>
static const char* decodeLeb(const uint8_t*& p, const uint8_t* end, T& out) {
  constexpr unsigned kMaxBytes = (kBits + 6) / 7;
  using U = std::make_unsigned_t<T>;
  U result = 0;
  unsigned shift = 0;
  const uint8_t* q = p;
  for (unsigned i = 0; i < kMaxBytes; i++) {
    if (q >= end) return "unexpected end";
    uint8_t byte = *q++;
    if (i == kMaxBytes - 1) {
      // Last permitted byte: continuation bit is an overlong encoding.
      if (byte & 0x80) return "integer representation too long";
      const unsigned usedBits = kBits - shift;  // value bits that fit in this byte
      if constexpr (kSigned) {
        // Bits from (usedBits-1) up to 6 must all equal the sign bit.
        const uint8_t signAndUnused = static_cast<uint8_t>(byte >> (usedBits - 1)) & 0x7F;
        const uint8_t allOnes = static_cast<uint8_t>(0x7F >> (usedBits - 1));
        if (signAndUnused != 0 && signAndUnused != allOnes) return "integer too large";
      } else {
        if ((byte & 0x7F) >> usedBits) return "integer too large";
      }
    }
    result |= static_cast<U>(byte & 0x7F) << shift;
    shift += 7;
    if (!(byte & 0x80)) {
      if constexpr (kSigned) {
        if (shift < sizeof(T) * 8 && (byte & 0x40)) result |= ~static_cast<U>(0) << shift;
      }
      out = static_cast<T>(result);
      p = q;
      return nullptr;
    }
  }
  return "integer representation too long";  // unreachable: the last byte ends or fails
}

template <typename T, unsigned kBits, bool kSigned>
static bool readLeb(Reader& r, const uint8_t*& p, const uint8_t* end, T& out) {
  if (const char* why = decodeLeb<T, kBits, kSigned>(p, end, out)) return r.fail(why);
  return true;
}

template <typename T, unsigned kBits, bool kSigned>
static Decoded<T> decodeTail(const uint8_t* p, const uint8_t* end) {
  T v{};
  if (decodeLeb<T, kBits, kSigned>(p, end, v)) return {nullptr, T{}};
  return {p, v};
}
// 32-bit values unrolled when five bytes are available: up to four bytes (28 bits)
// need no range checks, and the fifth only its spare bits checked. Five-byte forms are
// common: linkers leave relocated function indices and addresses padded to five bytes.
// Anything else (truncated, malformed) takes the generic loop, which says why.
template <typename T, bool kSigned>
static inline Decoded<T> decode32Tail(const uint8_t* p, const uint8_t* end) {
  if (end - p >= 5) {
    // Spelled out: GCC at -O2 keeps the four-step loop rolled.
    auto done = [p](uint32_t v, int bytes) -> Decoded<T> {
      if constexpr (kSigned) {
        const int unused = 32 - 7 * bytes;
        return {p + bytes, static_cast<int32_t>(v << unused) >> unused};
      } else {
        return {p + bytes, v};
      }
    };
    uint32_t v = p[0] & 0x7Fu;
    if (!(p[0] & 0x80)) return done(v, 1);
    v |= static_cast<uint32_t>(p[1] & 0x7F) << 7;
    if (!(p[1] & 0x80)) return done(v, 2);
    v |= static_cast<uint32_t>(p[2] & 0x7F) << 14;
    if (!(p[2] & 0x80)) return done(v, 3);
    v |= static_cast<uint32_t>(p[3] & 0x7F) << 21;
    if (!(p[3] & 0x80)) return done(v, 4);
    // Fifth byte: four value bits; no continuation, the three spare bits zero
    // (unsigned) or copies of the sign bit (signed).
    const uint8_t b = p[4];
    const bool valid =
        kSigned ? (b & 0x80) == 0 && ((b & 0x78) == 0 || (b & 0x78) == 0x78) : (b & 0xF0) == 0;
    if (valid) return {p + 5, static_cast<T>(v | (static_cast<uint32_t>(b) << 28))};
  }
  return decodeTail<T, 32, kSigned>(p, end);
}

Decoded<uint32_t> decodeU32Tail(const uint8_t* p, const uint8_t* end) {
  return decode32Tail<uint32_t, false>(p, end);
}
Decoded<int32_t> decodeS32Tail(const uint8_t* p, const uint8_t* end) {
  return decode32Tail<int32_t, true>(p, end);
}
Decoded<uint64_t> decodeU64Tail(const uint8_t* p, const uint8_t* end) {
  return decodeTail<uint64_t, 64, false>(p, end);
}
Decoded<int64_t> decodeS64Tail(const uint8_t* p, const uint8_t* end) {
  return decodeTail<int64_t, 64, true>(p, end);
}

bool Reader::readU32Slow(uint32_t& out) {
  return readLeb<uint32_t, 32, false>(*this, p_, end_, out);
}
bool Reader::readS32Slow(int32_t& out) { return readLeb<int32_t, 32, true>(*this, p_, end_, out); }
bool Reader::readU64(uint64_t& out) { return readLeb<uint64_t, 64, false>(*this, p_, end_, out); }
bool Reader::readS64(int64_t& out) { return readLeb<int64_t, 64, true>(*this, p_, end_, out); }

bool Reader::readS33(int64_t& out) {
  int64_t v = 0;
  // An s33 is at most 5 bytes; read it as a 64-bit container with 33 value bits.
  if (!readLeb<int64_t, 33, true>(*this, p_, end_, v)) return false;
  out = v;
  return true;
}

bool Reader::readCount(uint32_t& out, uint32_t minElementSize) {
  uint32_t start = offset();
  if (!readU32(out)) return false;
  if (static_cast<uint64_t>(out) * minElementSize > remaining()) {
    // Not enough bytes left for this many elements: the input is truncated or lies.
    return failAt(start, "unexpected end (length out of bounds)");
  }
  return true;
}

bool Reader::readName(std::string& out) {
  uint32_t length;
  uint32_t start = offset();
  if (!readU32(length)) return false;
  if (length > remaining()) return failAt(start, "unexpected end (length out of bounds)");
  if (length > limits::kMaxNameSize) return failAt(start, "name too long (limit 100000 bytes)");
  if (!isValidUtf8(p_, length)) return failAt(start, "malformed UTF-8 encoding");
  out.assign(reinterpret_cast<const char*>(p_), length);
  p_ += length;
  return true;
}

bool isValidUtf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    // ASCII runs (almost all of a name section) eight bytes at a time.
    uint64_t word;
    while (i + 8 <= n && (std::memcpy(&word, s + i, 8), (word & 0x8080808080808080ull) == 0)) {
      i += 8;
    }
    if (i >= n) break;
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    uint32_t cp;
    size_t len;
    if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace wisp::decoder
