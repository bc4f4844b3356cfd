// The compiler's abstract machine state: where every local and every operand-stack
// value lives right now (a register, a constant, or its stack slot), and how many of
// those entries share each register. This is Liftoff's CacheState / Winch's Val.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
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
  LocalSet() = default;
  LocalSet(const LocalSet& other) { *this = other; }
  LocalSet(LocalSet&&) noexcept = default;
  LocalSet& operator=(LocalSet&&) noexcept = default;
  /// Copies word by word: the sets are a few words, too small for a memcpy call.
  LocalSet& operator=(const LocalSet& other) {
    const size_t n = other.words_.size();
    if (words_.size() != n) words_.resize(n);
    for (size_t w = 0; w < n; w++) words_[w] = other.words_[w];
    return *this;
  }
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
  size_t numWords() const { return words_.size(); }
  uint64_t& word(size_t w) { return words_[w]; }
  uint64_t word(size_t w) const { return words_[w]; }
  /// Calls f(i) for every i in this set or in `other` (same size), in ascending order.
  template <typename F>
  __attribute__((always_inline)) void forEachUnion(const LocalSet& other, F&& f) const {
    for (size_t w = 0; w < words_.size(); w++) {
      for (uint64_t bits = words_[w] | other.words_[w]; bits; bits &= bits - 1) {
        f(static_cast<uint32_t>(w * 64 + std::countr_zero(bits)));
      }
    }
  }
  template <typename F>
  __attribute__((always_inline)) void forEach(F&& f) const {
    for (size_t w = 0; w < words_.size(); w++) {
      for (uint64_t bits = words_[w]; bits; bits &= bits - 1) {
        f(static_cast<uint32_t>(w * 64 + std::countr_zero(bits)));
      }
    }
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
  /// The cached locals whose home slot does not hold the value (not `synced`): the
  /// only ones a merge wanting them in their home must store. setRegister/setConst
  /// mark a local dirty; setSynced says otherwise.
  LocalSet dirtyLocals;

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

  /// Moves every local held in a register to its home slot: `store(s)` for each (it
  /// stores the dirty ones), then the bookkeeping in bulk.
  template <typename F>
  __attribute__((always_inline)) void spillRegisterLocals(F&& store) {
    for (size_t w = 0; w < cachedLocals.numWords(); w++) {
      uint64_t spilled = 0;
      for (uint64_t bits = cachedLocals.word(w); bits; bits &= bits - 1) {
        VarState& s = slots[w * 64 + std::countr_zero(bits)];
        if (s.loc != VarState::Register) continue;
        store(s);
        decUse(s.reg);
        s.loc = VarState::Stack;
        spilled |= bits & -bits;
      }
      cachedLocals.word(w) &= ~spilled;
      dirtyLocals.word(w) &= ~spilled;
    }
  }

  /// A new value for local `i` (local.set/tee): in register `r`, or constant `c`. Its
  /// home no longer holds it (cached and dirty). Like setRegister/setConst plus
  /// setSynced(i, false), without finding the local's index from its entry.
  void setLocalRegister(uint32_t i, Reg r) {
    VarState& s = slots[i];
    release(s);
    s.loc = VarState::Register;
    s.reg = r;
    s.synced = false;
    incUse(r);
    cachedLocals.set(i, true);
    dirtyLocals.set(i, true);
  }
  void setLocalConst(uint32_t i, int64_t c) {
    VarState& s = slots[i];
    release(s);
    s.loc = VarState::Const;
    s.constant = c;
    s.synced = false;
    cachedLocals.set(i, true);
    dirtyLocals.set(i, true);
  }

  /// Whether local `i`'s home slot holds its current (cached) value.
  void setSynced(uint32_t i, bool synced) {
    slots[i].synced = synced;
    dirtyLocals.set(i, !synced);
  }

  /// Register bookkeeping of a saved state (after copying its slots in).
  /// Register bookkeeping of a state being adopted: its saved counts, or with
  /// `counts == nullptr` one user per register in `used` (only the counts of used
  /// registers are nonzero, so only those are reset).
  void setRegisterUses(RegSet used, const uint16_t (*counts)[64]) {
    if (counts) {
      used_ = used;
      std::memcpy(useCount_, *counts, sizeof useCount_);
      return;
    }
    for (uint64_t b = used_.bits; b; b &= b - 1) useCount_[std::countr_zero(b)] = 0;
    used_ = used;
    for (uint64_t b = used.bits; b; b &= b - 1) useCount_[std::countr_zero(b)] = 1;
  }
  void getRegisterUses(RegSet& used, uint16_t (&counts)[64]) const {
    used = used_;
    std::memcpy(counts, useCount_, sizeof useCount_);
  }

  void reset(uint32_t locals) {
    slots.clear();
    numLocals = locals;
    cachedLocals.resize(locals);
    dirtyLocals.resize(locals);
    used_ = RegSet();
    for (auto& c : useCount_) c = 0;
  }

 private:
  void noteLocal(const VarState& s, bool cached) {
    const size_t i = static_cast<size_t>(&s - slots.data());
    if (i < numLocals) {
      cachedLocals.set(static_cast<uint32_t>(i), cached);
      dirtyLocals.set(static_cast<uint32_t>(i), cached);
    }
  }
  RegSet used_;
  uint16_t useCount_[64] = {};
};

/// A control-flow target's expected state: locals and operand stack, which locals
/// are cached (not in their home slot) or dirty (see CacheState), and the register
/// use counts of that state (so adopting it need not recount them).
struct MergeState {
  PodVector<VarState> slots;
  LocalSet cachedLocals;
  /// A saved state's dirty locals; a branch target's are all its cached locals
  /// (`saved` false), and each of its registers has one user.
  LocalSet dirtyLocals;
  bool saved = false;
  RegSet used;
  uint16_t useCount[64];  // of the registers in `used`, for saved states
};

}  // namespace wisp::jit
