// The ISA-neutral vocabulary of the macro-assembler interface. Each backend
// (jit/x64, later jit/a64) implements a MacroAssembler class with the operations the
// FunctionCompiler template calls; this header holds what they share. Operations are
// three-address (dst, lhs, rhs); a two-address ISA handles aliasing inside its backend.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "jit/pod_vector.h"
#include "jit/registers.h"
#include "jit/vmcontext.h"

namespace wisp::jit {

/// Integer comparison conditions (flags produced by cmp/test).
enum class Cond : uint8_t { Eq, Ne, LtS, LtU, GtS, GtU, LeS, LeU, GeS, GeU };

constexpr Cond negate(Cond c) {
  switch (c) {
    case Cond::Eq:
      return Cond::Ne;
    case Cond::Ne:
      return Cond::Eq;
    case Cond::LtS:
      return Cond::GeS;
    case Cond::LtU:
      return Cond::GeU;
    case Cond::GtS:
      return Cond::LeS;
    case Cond::GtU:
      return Cond::LeU;
    case Cond::LeS:
      return Cond::GtS;
    case Cond::LeU:
      return Cond::GtU;
    case Cond::GeS:
      return Cond::LtS;
    case Cond::GeU:
      return Cond::LtU;
  }
  return c;
}
/// The condition that holds when the operands are swapped (a < b  <=>  b > a).
constexpr Cond commute(Cond c) {
  switch (c) {
    case Cond::LtS:
      return Cond::GtS;
    case Cond::LtU:
      return Cond::GtU;
    case Cond::GtS:
      return Cond::LtS;
    case Cond::GtU:
      return Cond::LtU;
    case Cond::LeS:
      return Cond::GeS;
    case Cond::LeU:
      return Cond::GeU;
    case Cond::GeS:
      return Cond::LeS;
    case Cond::GeU:
      return Cond::LeU;
    default:
      return c;
  }
}

enum class IntBinop : uint8_t { Add, Sub, Mul, And, Or, Xor, Shl, ShrS, ShrU, Rotl, Rotr };
enum class DivKind : uint8_t { DivS, DivU, RemS, RemU };
enum class FloatBinop : uint8_t { Add, Sub, Mul, Div, Min, Max, Copysign };
enum class FloatUnop : uint8_t { Abs, Neg, Sqrt, Ceil, Floor, Trunc, Nearest };
enum class FloatCond : uint8_t { Eq, Ne, Lt, Gt, Le, Ge };

/// Where in the function's code a trapping instruction or a call sits, with its wasm
/// byte offset: the source map traps and backtraces are reported with.
struct CodeSite {
  uint32_t codeOffset;  // of the faulting instruction, or just after a call
  uint32_t wasmOffset;
};

/// A call to another function of the module, patched once all code is laid out.
struct CallRelocation {
  uint32_t codeOffset;  // of the rel32/imm26 field
  uint32_t targetFunction;
};

/// Machine code output: a growable buffer, or a fixed region supplied by the caller
/// (the final code memory, when one thread lays functions out in their final order).
/// An external region that fills up is copied into the growable buffer, which carries
/// on from there.
class CodeBuffer {
 public:
  /// Writes into [region, region + capacity) from now on (the buffer must be empty).
  void useExternal(uint8_t* region, size_t capacity) {
    ext_ = region;
    extCapacity_ = capacity;
    extSize_ = 0;
  }
  /// Whether everything so far went into the external region.
  bool external() const { return ext_ != nullptr; }
  uint8_t* appendUninitialized(size_t n) {
    if (ext_) {
      if (n <= extCapacity_ - extSize_) [[likely]] {
        uint8_t* p = ext_ + extSize_;
        extSize_ += n;
        return p;
      }
      leaveExternal();
    }
    return own_.appendUninitialized(n);
  }
  size_t size() const { return ext_ ? extSize_ : own_.size(); }
  uint8_t* data() { return ext_ ? ext_ : own_.data(); }
  const uint8_t* data() const { return ext_ ? ext_ : own_.data(); }
  void clear() {
    extSize_ = 0;
    own_.clear();
  }
  void reserve(size_t n) {
    if (!ext_) own_.reserve(n);
  }

 private:
  [[gnu::noinline]] void leaveExternal() {
    own_.reserve(extSize_ * 2);
    std::memcpy(own_.appendUninitialized(extSize_), ext_, extSize_);
    ext_ = nullptr;
  }
  PodVector<uint8_t> own_;
  uint8_t* ext_ = nullptr;
  size_t extCapacity_ = 0;
  size_t extSize_ = 0;
};

/// Where compiled functions accumulate: one per compiling thread, reused across
/// functions so compiling allocates almost nothing per function. Offsets in the
/// metadata are relative to the start of their function.
struct CodeSink {
  CodeBuffer code;
  std::vector<CallRelocation> calls;
  std::vector<CodeSite> memoryAccesses;  // may fault: out-of-bounds memory access
  std::vector<CodeSite> callSites;       // return addresses
};

/// One function's share of a CodeSink: byte range and index ranges [begin, end).
struct FunctionRecord {
  uint32_t codeOffset = 0, codeSize = 0;
  uint32_t callsBegin = 0, callsEnd = 0;
  uint32_t accessesBegin = 0, accessesEnd = 0;
  uint32_t callSitesBegin = 0, callSitesEnd = 0;
  uint32_t worker = 0;
};

}  // namespace wisp::jit
