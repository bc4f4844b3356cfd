// The compiler's abstract machine state: where every local and every operand-stack
// value lives right now (a register, a constant, or its stack slot), and how many of
// those entries share each register. This is Liftoff's CacheState / Winch's Val.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "jit/pod_vector.h"
#include "jit/registers.h"

namespace wisp::jit {

/// Location of one value.
struct VarState {
  /// Flags: the value is a comparison result still in the condition flags; it only
  /// ever exists on top of the stack between a compare and its consumer.
  enum Loc : uint8_t { Stack, Register, Const, Flags };

  Loc loc = Stack;
  ValType type = ValType::I32;
  Reg reg;
  /// Locals only: the home slot already holds the current value (so spilling it, or
  /// moving it to its slot at a merge, needs no store).
  bool synced = false;
  /// The value's home slot, relative to the frame pointer. Locals have fixed homes;
  /// an operand-stack entry's home depends only on its depth and the types below it.
  int32_t slot = 0;
  /// Bits of a constant (i32 sign-extended to 64 bits; f32/f64 raw bits).
  int64_t constant = 0;

  bool inReg() const { return loc == Register; }
  bool isConst() const { return loc == Const; }
  bool onStack() const { return loc == Stack; }
};
static_assert(sizeof(VarState) == 16, "VarState is copied on every stack operation");

/// A bitset over locals, iterated sparsely (merges of functions with hundreds of
/// locals touch only the few that are not simply in their home slot).
class LocalSet {
 public:
  void resize(uint32_t n) {
    words_.clear();
    words_.resize((n + 63) / 64);
  }
  void set(uint32_t i, bool on) {
    const uint64_t bit = uint64_t{1} << (i & 63);
    if (on) {
      words_[i >> 6] |= bit;
    } else {
      words_[i >> 6] &= ~bit;
    }
  }
  bool test(uint32_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  /// Calls f(i) for every i in this set or in `other` (same size), in ascending order.
  template <typename F>
  void forEachUnion(const LocalSet& other, F&& f) const {
    for (size_t w = 0; w < words_.size(); w++) {
      for (uint64_t bits = words_[w] | other.words_[w]; bits; bits &= bits - 1) {
        f(static_cast<uint32_t>(w * 64 + std::countr_zero(bits)));
      }
    }
  }
  template <typename F>
  void forEach(F&& f) const {
    forEachUnion(*this, f);
  }

 private:
  PodVector<uint64_t> words_;
};

/// Locals followed by the operand stack, plus register bookkeeping.
class CacheState {
 public:
  PodVector<VarState> slots;
  uint32_t numLocals = 0;
  /// Locals whose value is not (only) in the home slot: Register or Const.
  LocalSet cachedLocals;

  RegSet used() const { return used_; }
  uint32_t useCount(Reg r) const { return useCount_[r.code]; }
  bool isFree(Reg r) const { return useCount_[r.code] == 0; }

  void incUse(Reg r) {
    if (useCount_[r.code]++ == 0) used_.add(r);
  }
  void decUse(Reg r) {
    if (--useCount_[r.code] == 0) used_.remove(r);
  }

  /// Points entry `s` (of `slots`) at register `r`, releasing whatever it held.
  void setRegister(VarState& s, Reg r) {
    release(s);
    s.loc = VarState::Register;
    s.reg = r;
    incUse(r);
    noteLocal(s, true);
  }
  void setStack(VarState& s) {
    release(s);
    s.loc = VarState::Stack;
    noteLocal(s, false);
  }
  void setConst(VarState& s, int64_t c) {
    release(s);
    s.loc = VarState::Const;
    s.constant = c;
    noteLocal(s, true);
  }
  void release(VarState& s) {
    if (s.loc == VarState::Register) decUse(s.reg);
  }

  uint32_t stackHeight() const { return static_cast<uint32_t>(slots.size()) - numLocals; }
  VarState& stack(uint32_t indexFromTop) { return slots[slots.size() - 1 - indexFromTop]; }

  /// Rebuilds register bookkeeping from `slots` (after copying a state in).
  void recountRegisters() {
    used_ = RegSet();
    for (auto& c : useCount_) c = 0;
    cachedLocals.forEach([&](uint32_t i) {
      if (slots[i].loc == VarState::Register) incUse(slots[i].reg);
    });
    for (size_t i = numLocals; i < slots.size(); i++) {
      if (slots[i].loc == VarState::Register) incUse(slots[i].reg);
    }
  }

  void reset(uint32_t locals) {
    slots.clear();
    numLocals = locals;
    cachedLocals.resize(locals);
    used_ = RegSet();
    for (auto& c : useCount_) c = 0;
  }

 private:
  void noteLocal(const VarState& s, bool cached) {
    const size_t i = static_cast<size_t>(&s - slots.data());
    if (i < numLocals) cachedLocals.set(static_cast<uint32_t>(i), cached);
  }
  RegSet used_;
  uint16_t useCount_[64] = {};
};

/// A control-flow target's expected state: locals and operand stack, and which
/// locals are cached (not in their home slot).
struct MergeState {
  PodVector<VarState> slots;
  LocalSet cachedLocals;
};

}  // namespace wisp::jit
