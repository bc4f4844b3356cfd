// Assembling WebAssembly binaries by hand in tests: LEB128 encoders, size-prefixed
// sections and vectors, and a small ModuleBuilder that emits sections in the order the
// binary format requires. Everything is plain bytes, so a test can break any part of
// a module on purpose.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wisp::test {

using Bytes = std::vector<uint8_t>;

// Value types, block types and other single-byte encodings used throughout the tests.
constexpr uint8_t kI32 = 0x7F;
constexpr uint8_t kI64 = 0x7E;
constexpr uint8_t kF32 = 0x7D;
constexpr uint8_t kF64 = 0x7C;
constexpr uint8_t kV128 = 0x7B;
constexpr uint8_t kFuncRef = 0x70;
constexpr uint8_t kExternRef = 0x6F;
constexpr uint8_t kVoid = 0x40;  // empty block type

enum SectionId : uint8_t {
  kCustomSection = 0,
  kTypeSection = 1,
  kImportSection = 2,
  kFunctionSection = 3,
  kTableSection = 4,
  kMemorySection = 5,
  kGlobalSection = 6,
  kExportSection = 7,
  kStartSection = 8,
  kElementSection = 9,
  kCodeSection = 10,
  kDataSection = 11,
  kDataCountSection = 12,
};

enum ExternKindByte : uint8_t {
  kExternFunc = 0,
  kExternTable = 1,
  kExternMemory = 2,
  kExternGlobal = 3
};

// ---- LEB128 --------------------------------------------------------------------------

inline Bytes u64(uint64_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(b);
  } while (v != 0);
  return out;
}

inline Bytes u32(uint32_t v) { return u64(v); }

inline Bytes s64(int64_t v) {
  Bytes out;
  for (;;) {
    uint8_t b = v & 0x7F;
    v >>= 7;  // arithmetic shift: the sign is kept
    const bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    if (!done) b |= 0x80;
    out.push_back(b);
    if (done) return out;
  }
}

inline Bytes s32(int32_t v) { return s64(v); }

// ---- concatenation ---------------------------------------------------------------------

namespace detail {
inline void append(Bytes& out, const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }
inline void append(Bytes& out, uint8_t b) { out.push_back(b); }
// Integer literals (0x41, 0) are ints; each must be one byte.
inline void append(Bytes& out, int b) {
  assert(b >= 0 && b <= 0xFF);
  out.push_back(static_cast<uint8_t>(b));
}
}  // namespace detail

/// Concatenates bytes and byte vectors: cat(0x41, s32(-1), Bytes{...}).
template <typename... Parts>
Bytes cat(const Parts&... parts) {
  Bytes out;
  (detail::append(out, parts), ...);
  return out;
}

/// `payload` prefixed with its length as a u32.
inline Bytes sized(const Bytes& payload) {
  return cat(u32(static_cast<uint32_t>(payload.size())), payload);
}

/// A name (5.2.4): length then the bytes, unchecked so tests can pass invalid UTF-8.
inline Bytes name(std::string_view s) { return sized(Bytes(s.begin(), s.end())); }

/// A vector (5.1.3): the number of arguments, then each argument's bytes.
template <typename... Items>
Bytes vec(const Items&... items) {
  return cat(u32(sizeof...(items)), items...);
}

/// A vector of elements built at run time.
inline Bytes vecOf(const std::vector<Bytes>& items) {
  Bytes out = u32(static_cast<uint32_t>(items.size()));
  for (const auto& item : items) detail::append(out, item);
  return out;
}

/// A section: id then the size-prefixed payload.
inline Bytes section(uint8_t id, const Bytes& payload) { return cat(id, sized(payload)); }

/// The module header (magic and version).
inline Bytes header() { return {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}; }

/// A whole module: the header followed by the given sections, as given.
template <typename... Sections>
Bytes moduleWith(const Sections&... sections) {
  return cat(header(), sections...);
}

// ---- common entries --------------------------------------------------------------------

/// A function type entry: 0x60, params, results (each a list of value type bytes).
inline Bytes funcType(const Bytes& params, const Bytes& results) {
  return cat(0x60, sized(params), sized(results));
}

/// One code entry: size, then locals declarations (a vector of (count, type)) and code.
inline Bytes funcBody(const Bytes& locals, const Bytes& code) { return sized(cat(locals, code)); }
inline Bytes funcBody(const Bytes& code) { return funcBody(vec(), code); }

/// Limits without / with a maximum.
inline Bytes limitsOf(uint32_t min) { return cat(0x00, u32(min)); }
inline Bytes limitsOf(uint32_t min, uint32_t max) { return cat(0x01, u32(min), u32(max)); }

/// Constant expressions.
inline Bytes i32Const(int32_t v) { return cat(0x41, s32(v), 0x0B); }
inline Bytes i64Const(int64_t v) { return cat(0x42, s64(v), 0x0B); }
inline Bytes globalGet(uint32_t index) { return cat(0x23, u32(index), 0x0B); }
inline Bytes refFunc(uint32_t index) { return cat(0xD2, u32(index), 0x0B); }
inline Bytes refNull(uint8_t type) { return cat(0xD0, type, 0x0B); }

/// Collects the entries of each section and emits the non-empty sections in the order
/// the binary format requires. Each entry is raw bytes, so entries can be malformed.
struct ModuleBuilder {
  std::vector<Bytes> types, imports, functions, tables, memories, globals, exports, elems, codes,
      datas;
  std::optional<uint32_t> start;
  std::optional<uint32_t> dataCount;

  /// Adds a type; returns its index.
  uint32_t type(const Bytes& params, const Bytes& results) {
    types.push_back(funcType(params, results));
    return static_cast<uint32_t>(types.size() - 1);
  }
  /// Adds a defined function of type `typeIndex` with the given locals and code.
  ModuleBuilder& func(uint32_t typeIndex, const Bytes& locals, const Bytes& code) {
    functions.push_back(u32(typeIndex));
    codes.push_back(funcBody(locals, code));
    return *this;
  }
  ModuleBuilder& func(uint32_t typeIndex, const Bytes& code) {
    return func(typeIndex, vec(), code);
  }

  Bytes build() const {
    Bytes out = header();
    auto emit = [&](uint8_t id, const std::vector<Bytes>& entries) {
      if (!entries.empty()) detail::append(out, section(id, vecOf(entries)));
    };
    emit(kTypeSection, types);
    emit(kImportSection, imports);
    emit(kFunctionSection, functions);
    emit(kTableSection, tables);
    emit(kMemorySection, memories);
    emit(kGlobalSection, globals);
    emit(kExportSection, exports);
    if (start) detail::append(out, section(kStartSection, u32(*start)));
    emit(kElementSection, elems);
    if (dataCount) detail::append(out, section(kDataCountSection, u32(*dataCount)));
    emit(kCodeSection, codes);
    emit(kDataSection, datas);
    return out;
  }
};

}  // namespace wisp::test
