// The compiler's abstract machine state: where every local and every operand-stack
// value lives right now (a register, a constant, or its stack slot), and how many of
// those entries share each register. This is Liftoff's CacheState / Winch's Val.
#pragma once

#include <cstdint>
#include <vector>

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
  /// The value's home slot, relative to the frame pointer. Locals have fixed homes;
  /// an operand-stack entry's home depends only on its depth and the types below it.
  int32_t slot = 0;
  /// Bits of a constant (i32 sign-extended to 64 bits; f32/f64 raw bits).
  int64_t constant = 0;

  bool inReg() const { return loc == Register; }
  bool isConst() const { return loc == Const; }
  bool onStack() const { return loc == Stack; }
};

/// Locals followed by the operand stack, plus register bookkeeping.
class CacheState {
 public:
  std::vector<VarState> slots;
  uint32_t numLocals = 0;

  RegSet used() const { return used_; }
  uint32_t useCount(Reg r) const { return useCount_[r.code]; }
  bool isFree(Reg r) const { return useCount_[r.code] == 0; }

  void incUse(Reg r) {
    if (useCount_[r.code]++ == 0) used_.add(r);
  }
  void decUse(Reg r) {
    if (--useCount_[r.code] == 0) used_.remove(r);
  }

  /// Points slot `i` at register `r`, releasing whatever it held.
  void setRegister(VarState& s, Reg r) {
    release(s);
    s.loc = VarState::Register;
    s.reg = r;
    incUse(r);
  }
  void setStack(VarState& s) {
    release(s);
    s.loc = VarState::Stack;
  }
  void setConst(VarState& s, int64_t c) {
    release(s);
    s.loc = VarState::Const;
    s.constant = c;
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
    for (const auto& s : slots) {
      if (s.loc == VarState::Register) incUse(s.reg);
    }
  }

  void reset() {
    slots.clear();
    numLocals = 0;
    used_ = RegSet();
    for (auto& c : useCount_) c = 0;
  }

 private:
  RegSet used_;
  uint16_t useCount_[64] = {};
};

}  // namespace wisp::jit
