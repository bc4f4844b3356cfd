// Values crossing the embedding API: a tagged 128-bit cell.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "decoder/types.h"
#include "jit/vmcontext.h"

namespace wisp::runtime {

/// A WebAssembly value with its type. References are opaque pointers (null = 0).
struct Value {
  ValType type = ValType::I32;
  uint64_t lo = 0;  // i32 (zero-extended), i64, f32/f64 bits, reference, v128 low half
  uint64_t hi = 0;  // v128 high half

  static Value i32(uint32_t v) { return {ValType::I32, v, 0}; }
  static Value i64(uint64_t v) { return {ValType::I64, v, 0}; }
  static Value f32Bits(uint32_t bits) { return {ValType::F32, bits, 0}; }
  static Value f64Bits(uint64_t bits) { return {ValType::F64, bits, 0}; }
  static Value f32(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return f32Bits(b);
  }
  static Value f64(double d) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return f64Bits(b);
  }
  static Value ref(ValType t, uintptr_t r) { return {t, r, 0}; }
  static Value v128(uint64_t lo, uint64_t hi) { return {ValType::V128, lo, hi}; }
  static Value zero(ValType t) { return {t, 0, 0}; }

  uint32_t asI32() const { return static_cast<uint32_t>(lo); }
  uint64_t asI64() const { return lo; }
  float asF32() const {
    float f;
    uint32_t b = static_cast<uint32_t>(lo);
    std::memcpy(&f, &b, 4);
    return f;
  }
  double asF64() const {
    double d;
    std::memcpy(&d, &lo, 8);
    return d;
  }
  uintptr_t asRef() const { return static_cast<uintptr_t>(lo); }

  jit::RawValue raw() const { return jit::RawValue{lo, hi}; }
  static Value fromRaw(ValType t, const jit::RawValue& r) {
    Value v{t, r.lo, r.hi};
    if (t == ValType::I32 || t == ValType::F32) v.lo &= 0xFFFFFFFFu;
    if (t != ValType::V128) v.hi = 0;
    return v;
  }
  /// Text for messages and `wisp run`: "42", "1.5", "null", ...
  std::string toString() const;
};

}  // namespace wisp::runtime
