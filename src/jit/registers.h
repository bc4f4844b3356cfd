// ISA-neutral register names and sets. A Reg is a general-purpose register (codes
// 0-31) or a floating-point/vector register (codes 32-63); each backend maps codes to
// its machine registers.
#pragma once

#include <bit>
#include <cstdint>

#include "decoder/types.h"

namespace wisp::jit {

enum class RegClass : uint8_t { GP, FP };

/// Register class that holds values of a type.
constexpr RegClass regClassOf(ValType t) {
  return (t == ValType::F32 || t == ValType::F64 || t == ValType::V128) ? RegClass::FP
                                                                        : RegClass::GP;
}

struct Reg {
  uint8_t code = 0xFF;

  static constexpr Reg gp(unsigned n) { return Reg{static_cast<uint8_t>(n)}; }
  static constexpr Reg fp(unsigned n) { return Reg{static_cast<uint8_t>(32 + n)}; }
  constexpr bool valid() const { return code != 0xFF; }
  constexpr bool isGP() const { return code < 32; }
  constexpr bool isFP() const { return code >= 32 && code < 64; }
  constexpr RegClass regClass() const { return isGP() ? RegClass::GP : RegClass::FP; }
  /// Machine register number within its class.
  constexpr unsigned id() const { return isGP() ? code : code - 32u; }
  constexpr bool operator==(const Reg&) const = default;
};

/// A set of registers as a 64-bit mask.
struct RegSet {
  uint64_t bits = 0;

  constexpr RegSet() = default;
  constexpr explicit RegSet(uint64_t b) : bits(b) {}
  template <typename... Regs>
  static constexpr RegSet of(Regs... regs) {
    RegSet s;
    (s.add(regs), ...);
    return s;
  }
  constexpr void add(Reg r) { bits |= uint64_t{1} << r.code; }
  constexpr void remove(Reg r) { bits &= ~(uint64_t{1} << r.code); }
  constexpr bool has(Reg r) const { return r.valid() && ((bits >> r.code) & 1); }
  constexpr bool empty() const { return bits == 0; }
  constexpr RegSet operator|(RegSet o) const { return RegSet(bits | o.bits); }
  constexpr RegSet operator&(RegSet o) const { return RegSet(bits & o.bits); }
  constexpr RegSet operator-(RegSet o) const { return RegSet(bits & ~o.bits); }
  constexpr RegSet ofClass(RegClass c) const {
    return RegSet(c == RegClass::GP ? (bits & 0xFFFFFFFFull) : (bits & ~0xFFFFFFFFull));
  }
  /// Lowest-numbered register in the set (the set must not be empty).
  constexpr Reg first() const { return Reg{static_cast<uint8_t>(std::countr_zero(bits))}; }
  /// Population count without a libgcc call (the build targets baseline x86-64).
  constexpr int count() const {
    uint64_t x = bits - ((bits >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return static_cast<int>((x * 0x0101010101010101ull) >> 56);
  }
};

}  // namespace wisp::jit
