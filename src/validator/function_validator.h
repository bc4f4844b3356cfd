// The single pass over a function body (3.3, with the algorithm of the spec's appendix
// A.3). It type-checks every instruction and, in code that can execute, calls a
// Listener with the decoded instruction: the validator alone uses NullListener; the JIT
// passes its code generator, so one decode of the bytes validates and compiles (the
// shape of V8's Liftoff and Wasmtime's Winch).
//
// Two notions of reachability are kept apart:
//  - `frame.unreachable` is the spec's: after br/return/unreachable the operand stack
//    is polymorphic until the frame ends;
//  - `live_` is the machine's: whether any execution can reach the current
//    instruction. The listener is only called for live instructions (control
//    instructions of frames that began live are always reported, so a listener can
//    keep its own control stack in step).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "decoder/decoder.h"
#include "decoder/features.h"
#include "decoder/limits.h"
#include "decoder/module.h"
#include "decoder/opcodes.h"
#include "decoder/reader.h"
#include "decoder/result.h"

#define WISP_INLINE inline __attribute__((always_inline))

namespace wisp::validator {

using decoder::Module;

/// A stack over a reused array whose push and pop stay inline in the decode loop
/// (std::vector::push_back is not inlined at -O2). Used for operand types and frames.
template <typename T>
class FastStack {
 public:
  WISP_INLINE void push_back(const T& t) {
    if (size_ == buf_.size()) grow();
    buf_[size_++] = t;
  }
  WISP_INLINE T& back() { return buf_[size_ - 1]; }
  WISP_INLINE const T& back() const { return buf_[size_ - 1]; }
  WISP_INLINE T& front() { return buf_[0]; }
  WISP_INLINE T& operator[](size_t i) { return buf_[i]; }
  WISP_INLINE void pop_back() { size_--; }
  WISP_INLINE size_t size() const { return size_; }
  WISP_INLINE bool empty() const { return size_ == 0; }
  void resize(size_t n) {
    while (n > buf_.size()) grow();
    size_ = n;
  }
  void clear() { size_ = 0; }

 private:
  [[gnu::noinline]] void grow() { buf_.resize(buf_.empty() ? 64 : buf_.size() * 2); }
  std::vector<T> buf_;
  size_t size_ = 0;
};
using decoder::Reader;

/// The operand type stack. Its top is a raw pointer so the decode loop can keep it in
/// a register; below the base are kGuard zero bytes, so the loop may load the four
/// bytes under the top in one go (Bottom, 0, never equals an expected type).
class TypeStack {
 public:
  static constexpr size_t kGuard = 8;
  TypeStack() { reallocate(256); }

  ValType* base;  // first value
  ValType* top;   // one past the last value
  ValType* cap;   // end of the storage

  WISP_INLINE void push_back(ValType t) {
    if (top == cap) grow(1);
    *top++ = t;
  }
  WISP_INLINE ValType back() const { return top[-1]; }
  WISP_INLINE void pop_back() { top--; }
  WISP_INLINE size_t size() const { return static_cast<size_t>(top - base); }
  void resize(size_t n) {
    if (n > static_cast<size_t>(cap - base)) grow(n - size());
    top = base + n;
  }
  void clear() { top = base; }
  /// Makes room for `n` more values than are on the stack now.
  WISP_INLINE void reserveMore(size_t n) {
    if (static_cast<size_t>(cap - top) < n) grow(n);
  }

 private:
  [[gnu::noinline]] void grow(size_t extra) {
    const size_t used = size();
    size_t want = static_cast<size_t>(cap - base) * 2;
    if (want < used + extra) want = used + extra;
    std::unique_ptr<ValType[]> old = std::move(buf_);
    const ValType* oldBase = base;
    reallocate(want);
    std::memcpy(base, oldBase, used);
    top = base + used;
  }
  // Uninitialized storage (the loop reserves as much as a body has bytes; only what
  // is pushed is ever read), except the guard bytes.
  void reallocate(size_t capacity) {
    buf_ = std::make_unique_for_overwrite<ValType[]>(kGuard + capacity);
    std::memset(buf_.get(), 0, kGuard);
    base = buf_.get() + kGuard;
    cap = base + capacity;
    top = base;
  }
  std::unique_ptr<ValType[]> buf_;
};

enum class FrameKind : uint8_t { Function, Block, Loop, If, Else };

/// Parameter and result types of a block (from its blocktype) or of the function.
struct BlockSig {
  const ValType* params = nullptr;
  uint32_t numParams = 0;
  const ValType* results = nullptr;
  uint32_t numResults = 0;
};

/// Memory immediate of loads and stores.
struct MemArg {
  uint32_t alignLog2 = 0;
  uint32_t memory = 0;
  uint64_t offset = 0;
};

/// One entry of the control stack. `Data` is the listener's own per-frame state
/// (labels, merge states for a code generator; nothing for the validator).
template <typename Data>
struct ControlFrame : Data {
  FrameKind kind = FrameKind::Block;
  bool unreachable = false;  // spec: stack is polymorphic for the rest of the frame
  bool liveAtStart = false;  // the listener was told about this frame
  bool branchedTo = false;   // a live branch targets this frame's label
  uint32_t height = 0;       // operand stack height below the frame's parameters
  BlockSig sig;

  /// Types a branch to this frame carries: params for loops, results otherwise.
  const ValType* labelTypes() const { return kind == FrameKind::Loop ? sig.params : sig.results; }
  uint32_t labelArity() const { return kind == FrameKind::Loop ? sig.numParams : sig.numResults; }
};

/// A listener that does nothing: plain validation.
struct NullListener {
  /// Whether the listener can fail mid-function (then it is polled after each
  /// instruction and its finish() reports why).
  static constexpr bool kCanFail = false;
  bool failed() const { return false; }
  struct FrameData {};
  using Frame = ControlFrame<FrameData>;

  void onFunctionStart(const FuncType&, std::span<const ValType>) {}
  Result<void> finish() { return success(); }
  void atOffset(uint32_t) {}

  void onBlock(Frame&) {}
  void onLoop(Frame&) {}
  void onIf(Frame&) {}
  void onElse(Frame&, bool) {}
  void onEnd(Frame&, bool) {}
  void onBr(Frame&) {}
  void onBrIf(Frame&) {}
  void onBrTable(std::span<Frame*>) {}
  void onReturn() {}
  void onUnreachable() {}
  void onCall(uint32_t, const FuncType&) {}
  void onCallIndirect(uint32_t, uint32_t, const FuncType&) {}
  void onReturnCall(uint32_t, const FuncType&) {}
  void onReturnCallIndirect(uint32_t, uint32_t, const FuncType&) {}
  void onDrop() {}
  void onSelect(ValType) {}
  void onLocalGet(uint32_t) {}
  void onLocalSet(uint32_t) {}
  void onLocalTee(uint32_t) {}
  void onGlobalGet(uint32_t) {}
  void onGlobalSet(uint32_t) {}
  void onTableGet(uint32_t) {}
  void onTableSet(uint32_t) {}
  void onLoad(Op, const MemArg&) {}
  void onStore(Op, const MemArg&) {}
  void onLoadLane(Op, const MemArg&, uint8_t) {}
  void onStoreLane(Op, const MemArg&, uint8_t) {}
  void onMemorySize(uint32_t) {}
  void onMemoryGrow(uint32_t) {}
  void onI32Const(int32_t) {}
  void onI64Const(int64_t) {}
  void onF32Const(uint32_t) {}
  void onF64Const(uint64_t) {}
  void onV128Const(const uint8_t*) {}
  void onNumeric(Op) {}
  void onLane(Op, uint8_t) {}
  void onShuffle(const uint8_t*) {}
  void onRefNull(ValType) {}
  void onRefIsNull() {}
  void onRefFunc(uint32_t) {}
  void onMemoryInit(uint32_t, uint32_t) {}
  void onDataDrop(uint32_t) {}
  void onMemoryCopy(uint32_t, uint32_t) {}
  void onMemoryFill(uint32_t) {}
  void onTableInit(uint32_t, uint32_t) {}
  void onElemDrop(uint32_t) {}
  void onTableCopy(uint32_t, uint32_t) {}
  void onTableGrow(uint32_t) {}
  void onTableSize(uint32_t) {}
  void onTableFill(uint32_t) {}
};

namespace detail {
// Storage for single-type block signatures, indexed by the type's byte.
struct SingleTypes {
  ValType t[256];
  constexpr SingleTypes() : t() {
    for (int i = 0; i < 256; i++) t[i] = static_cast<ValType>(i);
  }
};
inline constexpr SingleTypes kSingleTypes{};

// Operand types of Sig values: results then params, Bottom-terminated ('X' = none).
struct SigTypes {
  ValType result;
  ValType params[3];
  uint8_t numParams;
};
constexpr ValType sigLetter(char c) {
  switch (c) {
    case 'I':
      return ValType::I32;
    case 'L':
      return ValType::I64;
    case 'F':
      return ValType::F32;
    case 'D':
      return ValType::F64;
    case 'V':
      return ValType::V128;
    default:
      return ValType::Bottom;
  }
}
constexpr SigTypes makeSig(const char* s) {
  SigTypes t{sigLetter(s[0]), {}, 0};
  for (int i = 2; s[i]; i++) {
    if (s[i] != 'X') t.params[t.numParams++] = sigLetter(s[i]);
  }
  return t;
}
struct SigTable {
  SigTypes entries[64] = {};
  constexpr SigTable() {
#define WISP_SIG(name) entries[static_cast<int>(Sig::name)] = makeSig(#name)
    WISP_SIG(I_X);
    WISP_SIG(L_X);
    WISP_SIG(F_X);
    WISP_SIG(D_X);
    WISP_SIG(V_X);
    WISP_SIG(I_I);
    WISP_SIG(I_II);
    WISP_SIG(I_L);
    WISP_SIG(I_LL);
    WISP_SIG(I_F);
    WISP_SIG(I_FF);
    WISP_SIG(I_D);
    WISP_SIG(I_DD);
    WISP_SIG(I_V);
    WISP_SIG(L_I);
    WISP_SIG(L_L);
    WISP_SIG(L_LL);
    WISP_SIG(L_F);
    WISP_SIG(L_D);
    WISP_SIG(L_V);
    WISP_SIG(F_I);
    WISP_SIG(F_L);
    WISP_SIG(F_F);
    WISP_SIG(F_FF);
    WISP_SIG(F_D);
    WISP_SIG(F_V);
    WISP_SIG(D_I);
    WISP_SIG(D_L);
    WISP_SIG(D_F);
    WISP_SIG(D_D);
    WISP_SIG(D_DD);
    WISP_SIG(D_V);
    WISP_SIG(V_I);
    WISP_SIG(V_L);
    WISP_SIG(V_F);
    WISP_SIG(V_D);
    WISP_SIG(V_V);
    WISP_SIG(V_VV);
    WISP_SIG(V_VVV);
    WISP_SIG(V_VI);
    WISP_SIG(V_VL);
    WISP_SIG(V_VF);
    WISP_SIG(V_VD);
    WISP_SIG(V_IV);
    WISP_SIG(X_II);
    WISP_SIG(X_IL);
    WISP_SIG(X_IF);
    WISP_SIG(X_ID);
    WISP_SIG(X_IV);
#undef WISP_SIG
  }
};
inline constexpr SigTable kSigTable{};

// Opcodes the validator's switch handles by hand; every other byte is a numeric
// instruction typed from the opcode table, or illegal.
constexpr bool hasOwnCase(int b) {
  return b <= 0x05 || (b >= 0x0B && b <= 0x13) || (b >= 0x1A && b <= 0x1C) ||
         (b >= 0x20 && b <= 0x26) || (b >= 0x28 && b <= 0x44) || (b >= 0xD0 && b <= 0xD2) ||
         b == 0xFC || b == 0xFD;
}

// A single-byte numeric instruction for the decode loop: the top `numParams` operand
// types, read as the little-endian word of the four bytes below the stack top and
// masked, must equal `pattern`; then `result` replaces them. Other opcodes get a
// pattern no masked word can equal (no type is 0x01).
struct SimpleOp {
  uint32_t mask = 0xFF;
  uint32_t pattern = 0x01;
  uint8_t numParams = 0;
  ValType result = ValType::Bottom;
  uint8_t hasResult = 0;
};
struct SimpleOps {
  SimpleOp entries[256] = {};
  constexpr SimpleOps() {
    for (int b = 0; b < 256; b++) {
      const OpInfo& info = wisp::detail::kOpTable.entries[b];
      if (hasOwnCase(b) || !info.text || info.sig == Sig::Special ||
          info.immediate != Immediate::None) {
        continue;
      }
      const SigTypes& st = kSigTable.entries[static_cast<int>(info.sig)];
      SimpleOp& e = entries[b];
      e.mask = 0;
      e.pattern = 0;
      for (int k = 0; k < st.numParams; k++) {
        const int shift = 8 * (4 - st.numParams + k);
        e.mask |= 0xFFu << shift;
        e.pattern |= static_cast<uint32_t>(st.params[k]) << shift;
      }
      e.numParams = st.numParams;
      e.result = st.result;
      e.hasResult = st.result != ValType::Bottom;
    }
  }
};
inline constexpr SimpleOps kSimpleOps{};

// Loads (0x28-0x35) and stores (0x36-0x3E): natural alignment and the loaded or
// stored value's type.
struct MemOpTypes {
  uint8_t maxAlignLog2 = 0;
  bool isStore = false;
  ValType type = ValType::Bottom;
};
struct MemOps {
  MemOpTypes entries[256] = {};
  constexpr MemOps() {
    for (int b = 0x28; b <= 0x3E; b++) {
      const OpInfo& info = wisp::detail::kOpTable.entries[b];
      const SigTypes& st = kSigTable.entries[static_cast<int>(info.sig)];
      entries[b].maxAlignLog2 = info.log2Align;
      entries[b].isStore = b >= 0x36;
      entries[b].type = b >= 0x36 ? st.params[1] : st.result;
    }
  }
};
inline constexpr MemOps kMemOps{};
}  // namespace detail

/// Validates function bodies one at a time, reporting live instructions to a Listener.
/// Reusable across functions of one module (its buffers are kept).
template <typename Listener>
class FunctionValidator {
 public:
  using Frame = ControlFrame<typename Listener::FrameData>;

  FunctionValidator(const Module& module, const Features& features)
      : m_(module), features_(features) {}

  /// Validates (and reports to `listener`) the defined function `funcIndex`.
  Result<void> run(uint32_t funcIndex, Listener& listener);

  /// Types of params followed by declared locals.
  std::span<const ValType> locals() const { return {locals_.data(), numLocals_}; }

 private:
  // ---- errors -------------------------------------------------------------------
  Error error(uint32_t offset, const std::string& message) {
    return decoder::makeError(offset, m_.functionDisplayName(funcIndex_), message);
  }
  Error readerError() { return error(r_.errorOffset(), r_.errorMessage()); }
  Error typeMismatch(ValType expected, ValType got) {
    std::string msg = std::string("type mismatch in ") + opText() + ": expected " +
                      valTypeName(expected) + ", got " +
                      (got == ValType::Bottom ? "nothing" : valTypeName(got));
    return error(opOffset_, msg);
  }
  const char* opText() const { return opName(op_); }

  // ---- operand stack ---------------------------------------------------------------
  WISP_INLINE void push(ValType t) { stack_.push_back(t); }

  // Pops one value. Returns false (with err_ set) on underflow or mismatch.
  WISP_INLINE bool pop(ValType expected, ValType* got = nullptr) {
    // Fast path: a value of exactly the expected type above the frame's base.
    if (stack_.size() > frames_.back().height && stack_.back() == expected) {
      stack_.pop_back();
      if (got) *got = expected;
      return true;
    }
    return popSlow(expected, got);
  }
  [[gnu::noinline]] bool popSlow(ValType expected, ValType* got) {
    Frame& f = frames_.back();
    if (stack_.size() == f.height) {
      if (f.unreachable) {
        if (got) *got = ValType::Bottom;
        return true;
      }
      err_ = typeMismatch(expected, ValType::Bottom);
      return false;
    }
    ValType t = stack_.back();
    stack_.pop_back();
    if (t != expected && t != ValType::Bottom && expected != ValType::Bottom) {
      err_ = typeMismatch(expected, t);
      return false;
    }
    if (got) *got = t;
    return true;
  }
  bool popAny(ValType& got) { return pop(ValType::Bottom, &got); }
  WISP_INLINE bool popValues(const ValType* types, uint32_t n) {
    for (uint32_t i = n; i-- > 0;) {
      if (!pop(types[i])) return false;
    }
    return true;
  }
  WISP_INLINE void pushValues(const ValType* types, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) push(types[i]);
  }
  void setUnreachable() {
    Frame& f = frames_.back();
    stack_.resize(f.height);
    f.unreachable = true;
    live_ = false;
  }

  // ---- immediates -------------------------------------------------------------------
  bool readBlockType(BlockSig& sig);
  bool readMemArg(uint32_t maxAlignLog2, MemArg& arg);
  WISP_INLINE bool readIndex(uint32_t& out) {
    if (r_.readU32(out)) return true;
    err_ = readerError();
    return false;
  }
  bool readMemoryIndexByte(uint32_t& memory);
  WISP_INLINE bool checkMemory(uint32_t memory) {
    if (memory < m_.memories.size()) return true;
    err_ = error(opOffset_, "unknown memory " + std::to_string(memory));
    return false;
  }
  bool checkTable(uint32_t table) {
    if (table < m_.tables.size()) return true;
    err_ = error(opOffset_, "unknown table " + std::to_string(table));
    return false;
  }
  bool checkLabel(uint32_t depth) {
    if (depth < frames_.size()) return true;
    err_ = error(opOffset_, "unknown label " + std::to_string(depth));
    return false;
  }
  Frame& frameAt(uint32_t depth) { return frames_[frames_.size() - 1 - depth]; }

  // ---- instructions ---------------------------------------------------------------
  bool pushFrame(FrameKind kind, const BlockSig& sig);
  bool endFrame(Listener& l);
  bool doBrTable(Listener& l);
  bool doPrefixFC(Listener& l);
  bool doPrefixFD(Listener& l);
  bool doSimple(Listener& l, Op op, Sig sig);
  bool step(Listener& l);
  bool failWith(Error e) {
    err_ = std::move(e);
    return false;
  }
  // Whether the top operands (below `above` more) are exactly the label types of `f`.
  static WISP_INLINE bool labelMatches(const Frame& f, const ValType* sp, const ValType* floor,
                                       uint32_t above) {
    const uint32_t n = f.labelArity();
    if (static_cast<size_t>(sp - floor) < size_t{n} + above) return false;
    const ValType* types = f.labelTypes();
    const ValType* vals = sp - above - n;
    for (uint32_t k = 0; k < n; k++) {
      if (vals[k] != types[k]) return false;
    }
    return true;
  }
  bool doCallIndirect(Listener& l, bool tail);
  bool resultsMatchCaller(const FuncType& callee);
  bool readLocals();

  const Module& m_;
  const Features& features_;
  Reader r_{nullptr, nullptr, nullptr};
  uint32_t funcIndex_ = 0;
  const FuncType* funcType_ = nullptr;
  std::vector<ValType> locals_;  // storage only grows; the first numLocals_ are this function's
  uint32_t numLocals_ = 0;
  TypeStack stack_;
  FastStack<Frame> frames_;
  std::vector<Frame*> brTargets_;
  bool live_ = true;
  Op op_ = Op::Nop;
  uint32_t opOffset_ = 0;
  Error err_;
};

// ======================================================================================

template <typename L>
bool FunctionValidator<L>::readLocals() {
  uint32_t groups;
  uint32_t at = r_.offset();
  if (!r_.readCount(groups, 2)) {
    err_ = readerError();
    return false;
  }
  uint32_t n = numLocals_;
  for (uint32_t i = 0; i < groups; i++) {
    uint32_t count;
    uint32_t countAt = r_.offset();
    if (!r_.readU32(count)) {
      err_ = readerError();
      return false;
    }
    if (uint64_t{n} + count > decoder::limits::kMaxFunctionLocals) {
      err_ = error(countAt, "too many locals (limit " +
                                std::to_string(decoder::limits::kMaxFunctionLocals) + ")");
      return false;
    }
    uint8_t b;
    uint32_t typeAt = r_.offset();
    if (!r_.readByte(b)) {
      err_ = readerError();
      return false;
    }
    if (!isValidValTypeByte(b)) {
      err_ = error(typeAt, "malformed value type");
      return false;
    }
    if (count == 0) continue;  // (and locals_ may have no storage yet)
    if (locals_.size() < size_t{n} + count) locals_.resize(size_t{n} + count);
    std::memset(locals_.data() + n, b, count);
    n += count;
  }
  numLocals_ = n;
  (void)at;
  return true;
}

template <typename L>
bool FunctionValidator<L>::readBlockType(BlockSig& sig) {
  uint32_t at = r_.offset();
  if (r_.atEnd()) {
    err_ = error(at, "unexpected end");
    return false;
  }
  uint8_t b = *r_.pos();
  if (b == 0x40) {
    r_.skip(1);
    sig = BlockSig{};
    return true;
  }
  if (isValidValTypeByte(b)) {
    r_.skip(1);
    sig = BlockSig{nullptr, 0, &detail::kSingleTypes.t[b], 1};
    return true;
  }
  int64_t index;
  if (!r_.readS33(index)) {
    err_ = readerError();
    return false;
  }
  if (index < 0) {
    err_ = error(at, "malformed block type");
    return false;
  }
  if (static_cast<uint64_t>(index) >= m_.types.size()) {
    err_ = error(at, "unknown type " + std::to_string(index));
    return false;
  }
  const FuncType& t = m_.types[static_cast<size_t>(index)];
  sig = BlockSig{t.types.data(), t.numParams, t.types.data() + t.numParams, t.numResults()};
  return true;
}

template <typename L>
WISP_INLINE bool FunctionValidator<L>::readMemArg(uint32_t maxAlignLog2, MemArg& arg) {
  uint32_t align;
  if (!r_.readU32(align)) {
    err_ = readerError();
    return false;
  }
  arg.memory = 0;
  // Multi-memory: bit 6 of the alignment field announces an explicit memory index.
  if (features_.multiMemory && (align & 0x40)) {
    align &= ~0x40u;
    if (!readIndex(arg.memory)) return false;
  }
  if (!checkMemory(arg.memory)) return false;
  const bool is64 = m_.memories[arg.memory].limits.is64;
  if (is64) {
    if (!r_.readU64(arg.offset)) {
      err_ = readerError();
      return false;
    }
  } else {
    uint32_t off;
    if (!r_.readU32(off)) {
      err_ = readerError();
      return false;
    }
    arg.offset = off;
  }
  if (align > maxAlignLog2) {
    err_ =
        error(opOffset_, std::string("alignment must not be larger than natural in ") + opText());
    return false;
  }
  arg.alignLog2 = align;
  return true;
}

// memory.size/grow/fill take a memory index that 2.0 encodes as a single zero byte.
template <typename L>
bool FunctionValidator<L>::readMemoryIndexByte(uint32_t& memory) {
  if (features_.multiMemory) {
    if (!readIndex(memory)) return false;
  } else {
    uint8_t b;
    uint32_t at = r_.offset();
    if (!r_.readByte(b)) {
      err_ = readerError();
      return false;
    }
    if (b != 0) {
      err_ = error(at, "zero byte expected");
      return false;
    }
    memory = 0;
  }
  return checkMemory(memory);
}

template <typename L>
WISP_INLINE bool FunctionValidator<L>::pushFrame(FrameKind kind, const BlockSig& sig) {
  if (!popValues(sig.params, sig.numParams)) return false;
  Frame f;
  f.kind = kind;
  f.sig = sig;
  f.height = static_cast<uint32_t>(stack_.size());
  f.liveAtStart = live_;
  frames_.push_back(f);
  pushValues(sig.params, sig.numParams);
  return true;
}

// `end` of a block/loop/if/else. Checks the results, tells the listener, and works out
// whether the code after the frame can execute.
template <typename L>
bool FunctionValidator<L>::endFrame(L& l) {
  Frame& f = frames_.back();
  if (!popValues(f.sig.results, f.sig.numResults)) return false;
  if (stack_.size() != f.height) {
    err_ = error(opOffset_, "type mismatch: values remaining on the stack at end of block");
    return false;
  }
  // A one-armed `if` ends with its results = params; the implicit else must type-check.
  if (f.kind == FrameKind::If) {
    if (f.sig.numParams != f.sig.numResults ||
        !std::equal(f.sig.params, f.sig.params + f.sig.numParams, f.sig.results)) {
      err_ = error(opOffset_, "type mismatch: if without else must not change the stack");
      return false;
    }
  }
  const bool fallthroughLive = live_;
  if (f.liveAtStart) l.onEnd(f, fallthroughLive);
  const bool afterLive =
      f.liveAtStart &&
      (fallthroughLive || (f.kind != FrameKind::Loop && f.branchedTo) || f.kind == FrameKind::If);
  BlockSig sig = f.sig;
  frames_.pop_back();
  pushValues(sig.results, sig.numResults);
  live_ = afterLive;
  return true;
}

template <typename L>
bool FunctionValidator<L>::doBrTable(L& l) {
  uint32_t n;
  const uint32_t countAt = r_.offset();
  if (!r_.readCount(n, 1)) {
    err_ = readerError();
    return false;
  }
  if (n > decoder::limits::kMaxBrTableSize) {
    err_ = error(countAt, "br_table has too many targets (" + std::to_string(n) + ", limit " +
                              std::to_string(decoder::limits::kMaxBrTableSize) + ")");
    return false;
  }
  brTargets_.clear();
  // Read the n labels and the default one.
  for (uint32_t i = 0; i <= n; i++) {
    uint32_t depth;
    if (!readIndex(depth) || !checkLabel(depth)) return false;
    brTargets_.push_back(&frameAt(depth));
  }
  if (!pop(ValType::I32)) return false;
  Frame* def = brTargets_.back();
  const uint32_t arity = def->labelArity();
  // A scratch copy of the operands so each label is checked against the same values.
  ValType scratch[16];
  std::vector<ValType> big;
  ValType* vals = scratch;
  if (arity > 16) {
    big.resize(arity);
    vals = big.data();
  }
  for (uint32_t i = 0; i < n; i++) {
    Frame* t = brTargets_[i];
    if (t->labelArity() != arity) {
      err_ = error(opOffset_, "type mismatch: br_table targets have different arities");
      return false;
    }
    const ValType* types = t->labelTypes();
    for (uint32_t k = arity; k-- > 0;) {
      if (!pop(types[k], &vals[k])) return false;
    }
    for (uint32_t k = 0; k < arity; k++) push(vals[k]);
  }
  if (!popValues(def->labelTypes(), arity)) return false;
  if (live_) {
    for (Frame* t : brTargets_) t->branchedTo = true;
    l.onBrTable(std::span<typename L::Frame*>(brTargets_.data(), brTargets_.size()));
  }
  setUnreachable();
  return true;
}

template <typename L>
WISP_INLINE bool FunctionValidator<L>::doSimple(L& l, Op op, Sig sig) {
  const detail::SigTypes& s = detail::kSigTable.entries[static_cast<int>(sig)];
  for (uint32_t i = s.numParams; i-- > 0;) {
    if (!pop(s.params[i])) return false;
  }
  if (s.result != ValType::Bottom) push(s.result);
  if (live_) l.onNumeric(op);
  return true;
}

template <typename L>
bool FunctionValidator<L>::doCallIndirect(L& l, bool tail) {
  uint32_t typeIndex, tableIndex;
  if (!readIndex(typeIndex) || !readIndex(tableIndex)) return false;
  if (typeIndex >= m_.types.size()) {
    err_ = error(opOffset_, "unknown type " + std::to_string(typeIndex));
    return false;
  }
  if (!checkTable(tableIndex)) return false;
  if (m_.tables[tableIndex].elemType != ValType::FuncRef) {
    err_ = error(opOffset_, "type mismatch: call_indirect on a table of externref");
    return false;
  }
  if (!pop(ValType::I32)) return false;
  const FuncType& t = m_.types[typeIndex];
  if (!popValues(t.types.data(), t.numParams)) return false;
  if (tail) {
    if (!resultsMatchCaller(t)) return false;
    if (live_) l.onReturnCallIndirect(typeIndex, tableIndex, t);
    setUnreachable();
    return true;
  }
  pushValues(t.types.data() + t.numParams, t.numResults());
  if (live_) l.onCallIndirect(typeIndex, tableIndex, t);
  return true;
}

// A tail call's callee results must equal the caller's.
template <typename L>
bool FunctionValidator<L>::resultsMatchCaller(const FuncType& callee) {
  const Frame& fn = frames_.front();
  if (fn.sig.numResults == callee.numResults() &&
      std::equal(fn.sig.results, fn.sig.results + fn.sig.numResults,
                 callee.types.data() + callee.numParams)) {
    return true;
  }
  err_ = error(opOffset_, std::string("type mismatch: ") + opText() +
                              " callee results differ from the caller's");
  return false;
}

template <typename L>
Result<void> FunctionValidator<L>::run(uint32_t funcIndex, L& l) {
  funcIndex_ = funcIndex;
  funcType_ = &m_.functionType(funcIndex);
  const decoder::FunctionBody& body = m_.bodies[funcIndex - m_.numImportedFunctions];
  const uint8_t* base = m_.bytes.data();
  r_ = Reader(base, base + body.offset, base + body.offset + body.size);
  const uint32_t numParams = funcType_->numParams;
  if (locals_.size() < numParams) locals_.resize(numParams);
  for (uint32_t i = 0; i < numParams; i++) locals_[i] = funcType_->types[i];
  numLocals_ = numParams;
  stack_.clear();
  frames_.clear();
  live_ = true;
  if (!readLocals()) return std::move(err_);

  l.onFunctionStart(*funcType_, locals());
  {
    Frame f;
    f.kind = FrameKind::Function;
    f.sig = BlockSig{funcType_->types.data(), funcType_->numParams,
                     funcType_->types.data() + funcType_->numParams, funcType_->numResults()};
    f.height = 0;
    f.liveAtStart = true;
    frames_.push_back(f);
  }
  // The decode loop pushes single values without a capacity check: it keeps more room
  // above the top than there are bytes left, and every such push consumes a byte.
  stack_.reserveMore(r_.remaining() + 1);

#define WISP_FAIL() return std::move(err_)
#define WISP_CHECK(x) \
  if (!(x)) WISP_FAIL()

  // Hot state lives in locals (registers): the cursor, the stack top and the current
  // frame's stack floor. The common, valid forms of frequent instructions are handled
  // here; anything else (other instructions, any failed check, unusual encodings)
  // rewinds to the instruction's start and goes to step(), which handles every
  // instruction and reports errors exactly.
  const uint8_t* p = r_.pos();
  const uint8_t* const end = r_.end();
  ValType* sp = stack_.top;
  ValType* floor = stack_.base;
  const ValType* const localTypes = locals_.data();
  const uint32_t numLocals = numLocals_;
  const ValType memAddr = m_.memories.empty()          ? ValType::Bottom
                          : m_.memories[0].limits.is64 ? ValType::I64
                                                       : ValType::I32;

  // Dispatch is threaded (GNU labels as values): each handler ends with its own
  // indirect jump through a table by opcode byte. Bytes without a handler of their own
  // go to op_numeric (no-match patterns for the non-numeric ones) or straight to slow.
#define WISP_TARGET(b)                               \
  ((b) == 0x00                  ? &&op_unreachable   \
   : (b) == 0x02 || (b) == 0x03 ? &&op_block         \
   : (b) == 0x05                ? &&op_else          \
   : (b) == 0x0F                ? &&op_return        \
   : (b) == 0x1B                ? &&op_select        \
   : (b) == 0x04                ? &&op_if            \
   : (b) == 0x0B                ? &&op_end           \
   : (b) == 0x0C                ? &&op_br            \
   : (b) == 0x0D                ? &&op_br_if         \
   : (b) == 0x10                ? &&op_call          \
   : (b) == 0x11                ? &&op_call_indirect \
   : (b) == 0x1A                ? &&op_drop          \
   : (b) == 0x20                ? &&op_local_get     \
   : (b) == 0x21                ? &&op_local_set     \
   : (b) == 0x22                ? &&op_local_tee     \
   : (b) == 0x23                ? &&op_global_get    \
   : (b) == 0x24                ? &&op_global_set    \
   : (b) >= 0x28 && (b) <= 0x3E ? &&op_memory        \
   : (b) == 0x41                ? &&op_i32_const     \
   : (b) == 0x42                ? &&op_i64_const     \
   : (b) == 0x43                ? &&op_f32_const     \
   : (b) == 0x44                ? &&op_f64_const     \
   : detail::hasOwnCase(b)      ? &&slow             \
                                : &&op_numeric)
#define WISP_T4(b) WISP_TARGET(b), WISP_TARGET(b + 1), WISP_TARGET(b + 2), WISP_TARGET(b + 3)
#define WISP_T16(b) WISP_T4(b), WISP_T4(b + 4), WISP_T4(b + 8), WISP_T4(b + 12)
#define WISP_T64(b) WISP_T16(b), WISP_T16(b + 16), WISP_T16(b + 32), WISP_T16(b + 48)
  static const void* const kDispatch[256] = {WISP_T64(0), WISP_T64(64), WISP_T64(128),
                                             WISP_T64(192)};
#undef WISP_T64
#undef WISP_T16
#undef WISP_T4
#undef WISP_TARGET
  // Starts the next instruction: the listener may have failed; a body that ends
  // before its final `end` is reported by step().
#define WISP_DISPATCH()                                           \
  do {                                                            \
    if constexpr (L::kCanFail) {                                  \
      if (l.failed()) return l.finish();                          \
    }                                                             \
    opStart = p;                                                  \
    if (p >= end) goto slow;                                      \
    if (live_) l.atOffset(static_cast<uint32_t>(opStart - base)); \
    goto* kDispatch[*p++];                                        \
  } while (0)
  // Listeners built on NullListener have empty per-instruction hooks, so each handler
  // gets its own copy of the dispatch. A code generator's hooks are large: one shared
  // copy keeps them inlined.
  constexpr bool kThreaded = std::is_base_of_v<NullListener, L>;
#define WISP_NEXT()            \
  do {                         \
    if constexpr (kThreaded) { \
      WISP_DISPATCH();         \
    } else {                   \
      goto next;               \
    }                          \
  } while (0)

  const uint8_t* opStart = p;
next:
  __attribute__((unused));  // with threaded dispatch only the entry reaches it
  WISP_DISPATCH();
  {  // block, loop
  op_block:
    const uint8_t b = p < end ? *p : 0;
    BlockSig sig;
    if (b == 0x40) {
      sig = BlockSig{};
    } else if (isValidValTypeByte(b)) {
      sig = BlockSig{nullptr, 0, &detail::kSingleTypes.t[b], 1};
    } else {
      goto slow;
    }
    p++;
    Frame f;
    f.kind = *opStart == 0x02 ? FrameKind::Block : FrameKind::Loop;
    f.sig = sig;
    f.height = static_cast<uint32_t>(sp - stack_.base);
    f.liveAtStart = live_;
    frames_.push_back(f);
    floor = sp;
    if (live_) {
      if (*opStart == 0x02) {
        l.onBlock(frames_.back());
      } else {
        l.onLoop(frames_.back());
      }
    }
    WISP_NEXT();
  }
  {  // if
  op_if:
    const uint8_t b = p < end ? *p : 0;
    BlockSig sig;
    if (b == 0x40) {
      sig = BlockSig{};
    } else if (isValidValTypeByte(b)) {
      sig = BlockSig{nullptr, 0, &detail::kSingleTypes.t[b], 1};
    } else {
      goto slow;
    }
    if (sp == floor || sp[-1] != ValType::I32) goto slow;
    p++;
    sp--;
    Frame f;
    f.kind = FrameKind::If;
    f.sig = sig;
    f.height = static_cast<uint32_t>(sp - stack_.base);
    f.liveAtStart = live_;
    frames_.push_back(f);
    floor = sp;
    if (live_) l.onIf(frames_.back());
    WISP_NEXT();
  }
  {  // end
  op_end:
    Frame& f = frames_.back();
    // The frame's results exactly, and for a one-armed if no types at all.
    if (static_cast<size_t>(sp - floor) != f.sig.numResults) goto slow;
    if (f.kind == FrameKind::If && (f.sig.numParams | f.sig.numResults) != 0) goto slow;
    for (uint32_t k = 0; k < f.sig.numResults; k++) {
      if (floor[k] != f.sig.results[k]) goto slow;
    }
    const bool fallthroughLive = live_;
    if (f.liveAtStart) l.onEnd(f, fallthroughLive);
    live_ = f.liveAtStart && (fallthroughLive || (f.kind != FrameKind::Loop && f.branchedTo) ||
                              f.kind == FrameKind::If);
    // The results stay where they are: popped and pushed back unchanged.
    frames_.pop_back();
    if (frames_.empty()) {
      r_.setPos(p);
      stack_.top = sp;
      goto done;
    }
    floor = stack_.base + frames_.back().height;
    WISP_NEXT();
  }
  {  // br
  op_br:
    const auto [q, depth] = decoder::decodeU32(p, end);
    if (!q || depth >= frames_.size()) goto slow;
    Frame& t = frameAt(depth);
    if (!labelMatches(t, sp, floor, 0)) goto slow;
    p = q;
    if (live_) {
      t.branchedTo = true;
      l.onBr(t);
    }
    Frame& f = frames_.back();
    sp = floor;
    f.unreachable = true;
    live_ = false;
    WISP_NEXT();
  }
  {  // br_if
  op_br_if:
    const auto [q, depth] = decoder::decodeU32(p, end);
    if (!q || depth >= frames_.size()) goto slow;
    if (sp == floor || sp[-1] != ValType::I32) goto slow;
    Frame& t = frameAt(depth);
    if (!labelMatches(t, sp, floor, 1)) goto slow;
    p = q;
    sp--;  // the label's values are popped and pushed back unchanged
    if (live_) {
      t.branchedTo = true;
      l.onBrIf(t);
    }
    WISP_NEXT();
  }
  {  // call
  op_call:
    const auto [q, fi] = decoder::decodeU32(p, end);
    if (!q || fi >= m_.functions.size()) goto slow;
    const FuncType& t = m_.functionType(fi);
    const uint32_t np = t.numParams, nr = t.numResults();
    const ValType* types = t.types.data();
    if (static_cast<size_t>(sp - floor) < np) goto slow;
    const ValType* args = sp - np;
    for (uint32_t k = 0; k < np; k++) {
      if (args[k] != types[k]) goto slow;
    }
    // Room for the results and, as the invariant wants, the bytes still to come.
    if (static_cast<size_t>(stack_.cap - (sp - np)) <= nr + static_cast<size_t>(end - q)) goto slow;
    p = q;
    sp -= np;
    for (uint32_t k = 0; k < nr; k++) sp[k] = types[np + k];
    sp += nr;
    if (live_) l.onCall(fi, t);
    WISP_NEXT();
  }
  {  // call_indirect
  op_call_indirect:
    const auto [q1, typeIndex] = decoder::decodeU32(p, end);
    if (!q1 || typeIndex >= m_.types.size()) goto slow;
    const auto [q, tableIndex] = decoder::decodeU32(q1, end);
    if (!q || tableIndex >= m_.tables.size() ||
        m_.tables[tableIndex].elemType != ValType::FuncRef) {
      goto slow;
    }
    const FuncType& t = m_.types[typeIndex];
    const uint32_t np = t.numParams, nr = t.numResults();
    const ValType* types = t.types.data();
    if (static_cast<size_t>(sp - floor) < size_t{np} + 1 || sp[-1] != ValType::I32) goto slow;
    const ValType* args = sp - 1 - np;
    for (uint32_t k = 0; k < np; k++) {
      if (args[k] != types[k]) goto slow;
    }
    if (static_cast<size_t>(stack_.cap - (sp - 1 - np)) <= nr + static_cast<size_t>(end - q))
      goto slow;
    p = q;
    sp -= np + 1;
    for (uint32_t k = 0; k < nr; k++) sp[k] = types[np + k];
    sp += nr;
    if (live_) l.onCallIndirect(typeIndex, tableIndex, t);
    WISP_NEXT();
  }
  {
  op_drop:
    if (sp == floor) goto slow;
    sp--;
    if (live_) l.onDrop();
    WISP_NEXT();
  }
  {  // unreachable
  op_unreachable:
    if (live_) l.onUnreachable();
    sp = floor;
    frames_.back().unreachable = true;
    live_ = false;
    WISP_NEXT();
  }
  {  // else of an if without parameters
  op_else:
    Frame& f = frames_.back();
    if (f.kind != FrameKind::If || f.sig.numParams != 0) goto slow;
    if (static_cast<size_t>(sp - floor) != f.sig.numResults) goto slow;
    for (uint32_t k = 0; k < f.sig.numResults; k++) {
      if (floor[k] != f.sig.results[k]) goto slow;
    }
    if (f.liveAtStart) l.onElse(f, live_);
    if (live_) f.branchedTo = true;  // the then-arm reaches the end label
    f.kind = FrameKind::Else;
    f.unreachable = false;
    live_ = f.liveAtStart;
    sp = floor;
    WISP_NEXT();
  }
  {  // return
  op_return:
    const Frame& fn = frames_.front();
    const uint32_t n = fn.sig.numResults;
    if (static_cast<size_t>(sp - floor) < n) goto slow;
    const ValType* vals = sp - n;
    for (uint32_t k = 0; k < n; k++) {
      if (vals[k] != fn.sig.results[k]) goto slow;
    }
    if (live_) l.onReturn();
    sp = floor;
    frames_.back().unreachable = true;
    live_ = false;
    WISP_NEXT();
  }
  {  // select without a type: two equal numeric or vector operands
  op_select:
    if (static_cast<size_t>(sp - floor) < 3 || sp[-1] != ValType::I32) goto slow;
    const ValType t = sp[-2];
    if (t != sp[-3] || t == ValType::Bottom || isReference(t)) goto slow;
    sp -= 2;
    if (live_) l.onSelect(t);
    WISP_NEXT();
  }
  {  // local.get
  op_local_get:
    const auto [q, i] = decoder::decodeU32(p, end);
    if (!q || i >= numLocals) goto slow;
    p = q;
    *sp++ = localTypes[i];
    if (live_) l.onLocalGet(i);
    WISP_NEXT();
  }
  {  // local.set
  op_local_set:
    const auto [q, i] = decoder::decodeU32(p, end);
    if (!q || i >= numLocals || sp == floor || sp[-1] != localTypes[i]) goto slow;
    p = q;
    sp--;
    if (live_) l.onLocalSet(i);
    WISP_NEXT();
  }
  {  // local.tee
  op_local_tee:
    const auto [q, i] = decoder::decodeU32(p, end);
    if (!q || i >= numLocals || sp == floor || sp[-1] != localTypes[i]) goto slow;
    p = q;
    if (live_) l.onLocalTee(i);
    WISP_NEXT();
  }
  {  // global.get
  op_global_get:
    const auto [q, i] = decoder::decodeU32(p, end);
    if (!q || i >= m_.globals.size()) goto slow;
    p = q;
    *sp++ = m_.globals[i].type.type;
    if (live_) l.onGlobalGet(i);
    WISP_NEXT();
  }
  {  // global.set
  op_global_set:
    const auto [q, i] = decoder::decodeU32(p, end);
    if (!q || i >= m_.globals.size()) goto slow;
    const GlobalType& g = m_.globals[i].type;
    if (!g.isMutable || sp == floor || sp[-1] != g.type) goto slow;
    p = q;
    sp--;
    if (live_) l.onGlobalSet(i);
    WISP_NEXT();
  }
  {  // loads and stores on memory 0
  op_memory:
    const detail::MemOpTypes& mo = detail::kMemOps.entries[*opStart];
    // The alignment as one byte; a multi-memory bit makes it too large too.
    if (p >= end || *p > mo.maxAlignLog2 || memAddr == ValType::Bottom) goto slow;
    MemArg arg;
    arg.alignLog2 = *p;
    const uint8_t* q;
    if (memAddr == ValType::I32) {
      const auto off = decoder::decodeU32(p + 1, end);
      q = off.next;
      arg.offset = off.value;
    } else {
      const auto off = decoder::decodeU64Tail(p + 1, end);
      q = off.next;
      arg.offset = off.value;
    }
    if (!q) goto slow;
    if (mo.isStore) {
      if (static_cast<size_t>(sp - floor) < 2 || sp[-1] != mo.type || sp[-2] != memAddr) goto slow;
      p = q;
      sp -= 2;
      if (live_) l.onStore(static_cast<Op>(*opStart), arg);
    } else {
      if (sp == floor || sp[-1] != memAddr) goto slow;
      p = q;
      sp[-1] = mo.type;
      if (live_) l.onLoad(static_cast<Op>(*opStart), arg);
    }
    WISP_NEXT();
  }
  {  // i32.const
  op_i32_const:
    const auto [q, v] = decoder::decodeS32(p, end);
    if (!q) goto slow;
    p = q;
    *sp++ = ValType::I32;
    if (live_) l.onI32Const(v);
    WISP_NEXT();
  }
  {  // i64.const
  op_i64_const:
    const auto [q, v] = decoder::decodeS64(p, end);
    if (!q) goto slow;
    p = q;
    *sp++ = ValType::I64;
    if (live_) l.onI64Const(v);
    WISP_NEXT();
  }
  {  // f32.const
  op_f32_const:
    if (end - p < 4) goto slow;
    uint32_t v;
    std::memcpy(&v, p, 4);
    p += 4;
    *sp++ = ValType::F32;
    if (live_) l.onF32Const(v);
    WISP_NEXT();
  }
  {  // f64.const
  op_f64_const:
    if (end - p < 8) goto slow;
    uint64_t v;
    std::memcpy(&v, p, 8);
    p += 8;
    *sp++ = ValType::F64;
    if (live_) l.onF64Const(v);
    WISP_NEXT();
  }
  {
  op_numeric:
    // Numeric instructions with a fixed signature: the top operand types, read as
    // one word, must equal the expected ones. Other opcodes never match.
    const detail::SimpleOp& s = detail::kSimpleOps.entries[*opStart];
    uint32_t top4;
    std::memcpy(&top4, sp - 4, 4);
    if (static_cast<size_t>(sp - floor) < s.numParams || (top4 & s.mask) != s.pattern) goto slow;
    sp -= s.numParams;
    *sp = s.result;
    sp += s.hasResult;
    if (live_) l.onNumeric(static_cast<Op>(*opStart));
    WISP_NEXT();
  }
slow:
  r_.setPos(opStart);
  stack_.top = sp;
  if (!step(l)) WISP_FAIL();
  if (frames_.empty()) goto done;
  // Restore the invariant: more room above the top than bytes left.
  stack_.reserveMore(r_.remaining() + 1);
  p = r_.pos();
  sp = stack_.top;
  floor = stack_.base + frames_.back().height;
  WISP_NEXT();
done:
#undef WISP_NEXT
#undef WISP_DISPATCH
#undef WISP_CHECK
#undef WISP_FAIL

  if (!r_.atEnd()) {
    return error(r_.offset(), "section size mismatch: operators after the function's final end");
  }
  return l.finish();
}

// One instruction at the reader's position, with every check and error message: the
// decode loop's path for everything it does not handle inline. Returns false with
// err_ set when the instruction is invalid.
template <typename L>
bool FunctionValidator<L>::step(L& l) {
#define WISP_FAIL() return false
#define WISP_CHECK(x) \
  if (!(x)) WISP_FAIL()
  opOffset_ = r_.offset();
  uint8_t byte;
  if (!r_.readByte(byte))
    return failWith(error(opOffset_, "unexpected end of function (END opcode expected)"));
  op_ = static_cast<Op>(byte);
  switch (byte) {
    case 0x00:  // unreachable
      if (live_) l.onUnreachable();
      setUnreachable();
      break;
    case 0x01:  // nop
      break;
    case 0x02:
    case 0x03: {  // block, loop
      BlockSig sig;
      WISP_CHECK(readBlockType(sig));
      WISP_CHECK(pushFrame(byte == 0x02 ? FrameKind::Block : FrameKind::Loop, sig));
      if (live_) {
        if (byte == 0x02) {
          l.onBlock(frames_.back());
        } else {
          l.onLoop(frames_.back());
        }
      }
      break;
    }
    case 0x04: {  // if
      BlockSig sig;
      WISP_CHECK(readBlockType(sig));
      WISP_CHECK(pop(ValType::I32));
      WISP_CHECK(pushFrame(FrameKind::If, sig));
      if (live_) l.onIf(frames_.back());
      break;
    }
    case 0x05: {  // else
      Frame& f = frames_.back();
      if (f.kind != FrameKind::If) return failWith(error(opOffset_, "else without matching if"));
      WISP_CHECK(popValues(f.sig.results, f.sig.numResults));
      if (stack_.size() != f.height) {
        return failWith(
            error(opOffset_, "type mismatch: values remaining on the stack before else"));
      }
      if (f.liveAtStart) l.onElse(f, live_);
      if (live_) f.branchedTo = true;  // the then-arm reaches the end label
      f.kind = FrameKind::Else;
      f.unreachable = false;
      live_ = f.liveAtStart;
      pushValues(f.sig.params, f.sig.numParams);
      break;
    }
    case 0x0B:  // end
      WISP_CHECK(endFrame(l));
      break;
    case 0x0C: {  // br
      uint32_t depth;
      WISP_CHECK(readIndex(depth) && checkLabel(depth));
      Frame& t = frameAt(depth);
      WISP_CHECK(popValues(t.labelTypes(), t.labelArity()));
      if (live_) {
        t.branchedTo = true;
        l.onBr(t);
      }
      setUnreachable();
      break;
    }
    case 0x0D: {  // br_if
      uint32_t depth;
      WISP_CHECK(readIndex(depth) && checkLabel(depth));
      WISP_CHECK(pop(ValType::I32));
      Frame& t = frameAt(depth);
      // Pop and re-push the label types (the branch passes them on when not taken).
      WISP_CHECK(popValues(t.labelTypes(), t.labelArity()));
      pushValues(t.labelTypes(), t.labelArity());
      if (live_) {
        t.branchedTo = true;
        l.onBrIf(t);
      }
      break;
    }
    case 0x0E:  // br_table
      WISP_CHECK(doBrTable(l));
      break;
    case 0x0F: {  // return
      Frame& f = frames_.front();
      WISP_CHECK(popValues(f.sig.results, f.sig.numResults));
      if (live_) l.onReturn();
      setUnreachable();
      break;
    }
    case 0x10:
    case 0x12: {  // call, return_call
      if (byte == 0x12 && !features_.tailCall) {
        return failWith(error(opOffset_, "illegal opcode 0x12 (tail calls not enabled)"));
      }
      uint32_t f;
      WISP_CHECK(readIndex(f));
      if (f >= m_.functions.size())
        return failWith(error(opOffset_, "unknown function " + std::to_string(f)));
      const FuncType& t = m_.functionType(f);
      WISP_CHECK(popValues(t.types.data(), t.numParams));
      if (byte == 0x12) {
        WISP_CHECK(resultsMatchCaller(t));
        if (live_) l.onReturnCall(f, t);
        setUnreachable();
      } else {
        pushValues(t.types.data() + t.numParams, t.numResults());
        if (live_) l.onCall(f, t);
      }
      break;
    }
    case 0x11:
      WISP_CHECK(doCallIndirect(l, false));
      break;
    case 0x13:
      if (!features_.tailCall) {
        return failWith(error(opOffset_, "illegal opcode 0x13 (tail calls not enabled)"));
      }
      WISP_CHECK(doCallIndirect(l, true));
      break;
    case 0x1A: {  // drop
      ValType t;
      WISP_CHECK(popAny(t));
      if (live_) l.onDrop();
      break;
    }
    case 0x1B: {  // select
      ValType t1, t2;
      WISP_CHECK(pop(ValType::I32));
      WISP_CHECK(popAny(t1));
      WISP_CHECK(popAny(t2));
      if (isReference(t1) || isReference(t2)) {
        return failWith(
            error(opOffset_, "type mismatch: select without a type needs numeric operands"));
      }
      if (t1 != t2 && t1 != ValType::Bottom && t2 != ValType::Bottom) {
        return failWith(error(opOffset_, std::string("type mismatch in select: ") +
                                             valTypeName(t1) + " vs " + valTypeName(t2)));
      }
      ValType t = t1 == ValType::Bottom ? t2 : t1;
      push(t);
      if (live_) l.onSelect(t);
      break;
    }
    case 0x1C: {  // select t*
      uint32_t n;
      WISP_CHECK(readIndex(n));
      if (n != 1) return failWith(error(opOffset_, "invalid result arity for typed select"));
      uint8_t b;
      uint32_t at = r_.offset();
      if (!r_.readByte(b)) return failWith(readerError());
      if (!isValidValTypeByte(b)) return failWith(error(at, "malformed value type"));
      ValType t = static_cast<ValType>(b);
      WISP_CHECK(pop(ValType::I32));
      WISP_CHECK(pop(t));
      WISP_CHECK(pop(t));
      push(t);
      if (live_) l.onSelect(t);
      break;
    }
    case 0x20:
    case 0x21:
    case 0x22: {  // local.get/set/tee
      uint32_t i;
      WISP_CHECK(readIndex(i));
      if (i >= numLocals_) return failWith(error(opOffset_, "unknown local " + std::to_string(i)));
      ValType t = locals_[i];
      if (byte == 0x20) {
        push(t);
        if (live_) l.onLocalGet(i);
      } else {
        WISP_CHECK(pop(t));
        if (byte == 0x22) {
          push(t);
          if (live_) l.onLocalTee(i);
        } else if (live_) {
          l.onLocalSet(i);
        }
      }
      break;
    }
    case 0x23:
    case 0x24: {  // global.get/set
      uint32_t i;
      WISP_CHECK(readIndex(i));
      if (i >= m_.globals.size())
        return failWith(error(opOffset_, "unknown global " + std::to_string(i)));
      const GlobalType& g = m_.globals[i].type;
      if (byte == 0x23) {
        push(g.type);
        if (live_) l.onGlobalGet(i);
      } else {
        if (!g.isMutable)
          return failWith(error(opOffset_, "global is immutable: global " + std::to_string(i)));
        WISP_CHECK(pop(g.type));
        if (live_) l.onGlobalSet(i);
      }
      break;
    }
    case 0x25:
    case 0x26: {  // table.get/set
      uint32_t t;
      WISP_CHECK(readIndex(t) && checkTable(t));
      ValType et = m_.tables[t].elemType;
      if (byte == 0x25) {
        WISP_CHECK(pop(ValType::I32));
        push(et);
        if (live_) l.onTableGet(t);
      } else {
        WISP_CHECK(pop(et));
        WISP_CHECK(pop(ValType::I32));
        if (live_) l.onTableSet(t);
      }
      break;
    }
    case 0x28:
    case 0x29:
    case 0x2A:
    case 0x2B:
    case 0x2C:
    case 0x2D:
    case 0x2E:
    case 0x2F:
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35: {
      const OpInfo& info = opInfoByIndex(byte);
      MemArg arg;
      WISP_CHECK(readMemArg(info.log2Align, arg));
      const ValType addr = m_.memories[arg.memory].limits.is64 ? ValType::I64 : ValType::I32;
      WISP_CHECK(pop(addr));
      push(detail::kSigTable.entries[static_cast<int>(info.sig)].result);
      if (live_) l.onLoad(op_, arg);
      break;
    }
    case 0x36:
    case 0x37:
    case 0x38:
    case 0x39:
    case 0x3A:
    case 0x3B:
    case 0x3C:
    case 0x3D:
    case 0x3E: {
      const OpInfo& info = opInfoByIndex(byte);
      MemArg arg;
      WISP_CHECK(readMemArg(info.log2Align, arg));
      const ValType addr = m_.memories[arg.memory].limits.is64 ? ValType::I64 : ValType::I32;
      WISP_CHECK(pop(detail::kSigTable.entries[static_cast<int>(info.sig)].params[1]));
      WISP_CHECK(pop(addr));
      if (live_) l.onStore(op_, arg);
      break;
    }
    case 0x3F:
    case 0x40: {  // memory.size, memory.grow
      uint32_t mem;
      WISP_CHECK(readMemoryIndexByte(mem));
      const ValType addr = m_.memories[mem].limits.is64 ? ValType::I64 : ValType::I32;
      if (byte == 0x3F) {
        push(addr);
        if (live_) l.onMemorySize(mem);
      } else {
        WISP_CHECK(pop(addr));
        push(addr);
        if (live_) l.onMemoryGrow(mem);
      }
      break;
    }
    case 0x41: {
      int32_t v;
      if (!r_.readS32(v)) return failWith(readerError());
      push(ValType::I32);
      if (live_) l.onI32Const(v);
      break;
    }
    case 0x42: {
      int64_t v;
      if (!r_.readS64(v)) return failWith(readerError());
      push(ValType::I64);
      if (live_) l.onI64Const(v);
      break;
    }
    case 0x43: {
      uint32_t v;
      if (!r_.readF32Bits(v)) return failWith(readerError());
      push(ValType::F32);
      if (live_) l.onF32Const(v);
      break;
    }
    case 0x44: {
      uint64_t v;
      if (!r_.readF64Bits(v)) return failWith(readerError());
      push(ValType::F64);
      if (live_) l.onF64Const(v);
      break;
    }
    case 0xD0: {  // ref.null
      uint8_t b;
      uint32_t at = r_.offset();
      if (!r_.readByte(b)) return failWith(readerError());
      if (b != 0x70 && b != 0x6F) return failWith(error(at, "malformed reference type"));
      push(static_cast<ValType>(b));
      if (live_) l.onRefNull(static_cast<ValType>(b));
      break;
    }
    case 0xD1: {  // ref.is_null
      ValType t;
      WISP_CHECK(popAny(t));
      if (t != ValType::Bottom && !isReference(t)) {
        return failWith(error(
            opOffset_, std::string("type mismatch in ref.is_null: expected a reference, got ") +
                           valTypeName(t)));
      }
      push(ValType::I32);
      if (live_) l.onRefIsNull();
      break;
    }
    case 0xD2: {  // ref.func
      uint32_t f;
      WISP_CHECK(readIndex(f));
      if (f >= m_.functions.size())
        return failWith(error(opOffset_, "unknown function " + std::to_string(f)));
      if (!m_.declaredFunctionRefs[f]) {
        return failWith(error(opOffset_, "undeclared function reference " + std::to_string(f)));
      }
      push(ValType::FuncRef);
      if (live_) l.onRefFunc(f);
      break;
    }
    case 0xFC:
      WISP_CHECK(doPrefixFC(l));
      break;
    case 0xFD:
      WISP_CHECK(doPrefixFD(l));
      break;
    default: {
      // Numeric instructions: typed from the opcode table alone.
      const OpInfo& info = opInfoByIndex(byte);
      if (info.text && info.sig != Sig::Special && info.immediate == Immediate::None) {
        WISP_CHECK(doSimple(l, op_, info.sig));
        break;
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "illegal opcode 0x%02x", byte);
      return failWith(error(opOffset_, buf));
    }
  }
  return true;
#undef WISP_CHECK
#undef WISP_FAIL
}

template <typename L>
bool FunctionValidator<L>::doPrefixFC(L& l) {
  uint32_t sub;
  if (!r_.readU32(sub)) {
    err_ = readerError();
    return false;
  }
  const uint16_t code = static_cast<uint16_t>(0xFC00 | (sub & 0xFF));
  if (sub > 0xFF || !opInfoByIndex(opIndex(code)).text) {
    err_ = error(opOffset_, "illegal opcode 0xfc " + std::to_string(sub));
    return false;
  }
  op_ = static_cast<Op>(code);
  if (sub <= 7) return doSimple(l, op_, opInfo(op_).sig);
  switch (op_) {
    case Op::MemoryInit: {
      uint32_t seg, mem;
      if (!readIndex(seg) || !readMemoryIndexByte(mem)) return false;
      if (!m_.dataCount) {
        err_ = error(opOffset_, "data count section required for memory.init");
        return false;
      }
      if (seg >= *m_.dataCount) {
        err_ = error(opOffset_, "unknown data segment " + std::to_string(seg));
        return false;
      }
      const ValType addr = m_.memories[mem].limits.is64 ? ValType::I64 : ValType::I32;
      if (!pop(ValType::I32) || !pop(ValType::I32) || !pop(addr)) return false;
      if (live_) l.onMemoryInit(seg, mem);
      return true;
    }
    case Op::DataDrop: {
      uint32_t seg;
      if (!readIndex(seg)) return false;
      if (!m_.dataCount) {
        err_ = error(opOffset_, "data count section required for data.drop");
        return false;
      }
      if (seg >= *m_.dataCount) {
        err_ = error(opOffset_, "unknown data segment " + std::to_string(seg));
        return false;
      }
      if (live_) l.onDataDrop(seg);
      return true;
    }
    case Op::MemoryCopy: {
      uint32_t dst, src;
      if (!readMemoryIndexByte(dst) || !readMemoryIndexByte(src)) return false;
      const bool d64 = m_.memories[dst].limits.is64, s64 = m_.memories[src].limits.is64;
      const ValType n = (d64 && s64) ? ValType::I64 : ValType::I32;
      if (!pop(n) || !pop(s64 ? ValType::I64 : ValType::I32) ||
          !pop(d64 ? ValType::I64 : ValType::I32))
        return false;
      if (live_) l.onMemoryCopy(dst, src);
      return true;
    }
    case Op::MemoryFill: {
      uint32_t mem;
      if (!readMemoryIndexByte(mem)) return false;
      const ValType addr = m_.memories[mem].limits.is64 ? ValType::I64 : ValType::I32;
      if (!pop(addr) || !pop(ValType::I32) || !pop(addr)) return false;
      if (live_) l.onMemoryFill(mem);
      return true;
    }
    case Op::TableInit: {
      uint32_t seg, table;
      if (!readIndex(seg) || !readIndex(table)) return false;
      if (!checkTable(table)) return false;
      if (seg >= m_.elems.size()) {
        err_ = error(opOffset_, "unknown elem segment " + std::to_string(seg));
        return false;
      }
      if (m_.elems[seg].type != m_.tables[table].elemType) {
        err_ = error(opOffset_, "type mismatch: table.init element type differs from table's");
        return false;
      }
      if (!pop(ValType::I32) || !pop(ValType::I32) || !pop(ValType::I32)) return false;
      if (live_) l.onTableInit(seg, table);
      return true;
    }
    case Op::ElemDrop: {
      uint32_t seg;
      if (!readIndex(seg)) return false;
      if (seg >= m_.elems.size()) {
        err_ = error(opOffset_, "unknown elem segment " + std::to_string(seg));
        return false;
      }
      if (live_) l.onElemDrop(seg);
      return true;
    }
    case Op::TableCopy: {
      uint32_t dst, src;
      if (!readIndex(dst) || !readIndex(src)) return false;
      if (!checkTable(dst) || !checkTable(src)) return false;
      if (m_.tables[dst].elemType != m_.tables[src].elemType) {
        err_ = error(opOffset_, "type mismatch: table.copy between tables of different types");
        return false;
      }
      if (!pop(ValType::I32) || !pop(ValType::I32) || !pop(ValType::I32)) return false;
      if (live_) l.onTableCopy(dst, src);
      return true;
    }
    case Op::TableGrow:
    case Op::TableSize:
    case Op::TableFill: {
      uint32_t table;
      if (!readIndex(table) || !checkTable(table)) return false;
      const ValType et = m_.tables[table].elemType;
      if (op_ == Op::TableSize) {
        push(ValType::I32);
        if (live_) l.onTableSize(table);
      } else if (op_ == Op::TableGrow) {
        if (!pop(ValType::I32) || !pop(et)) return false;
        push(ValType::I32);
        if (live_) l.onTableGrow(table);
      } else {
        if (!pop(ValType::I32) || !pop(et) || !pop(ValType::I32)) return false;
        if (live_) l.onTableFill(table);
      }
      return true;
    }
    default:
      break;
  }
  err_ = error(opOffset_, "illegal opcode 0xfc " + std::to_string(sub));
  return false;
}

template <typename L>
bool FunctionValidator<L>::doPrefixFD(L& l) {
  uint32_t sub;
  if (!r_.readU32(sub)) {
    err_ = readerError();
    return false;
  }
  const uint16_t code = static_cast<uint16_t>(0xFD00 | (sub & 0xFF));
  const OpInfo& info = opInfoByIndex(opIndex(code));
  if (sub > 0xFF || !info.text) {
    err_ = error(opOffset_, "illegal opcode 0xfd " + std::to_string(sub));
    return false;
  }
  op_ = static_cast<Op>(code);
  const detail::SigTypes& s = detail::kSigTable.entries[static_cast<int>(info.sig)];
  switch (info.immediate) {
    case Immediate::None:
      return doSimple(l, op_, info.sig);
    case Immediate::MemArg: {
      MemArg arg;
      if (!readMemArg(info.log2Align, arg)) return false;
      const ValType addr = m_.memories[arg.memory].limits.is64 ? ValType::I64 : ValType::I32;
      if (info.sig == Sig::X_IV) {
        if (!pop(ValType::V128) || !pop(addr)) return false;
        if (live_) l.onStore(op_, arg);
      } else {
        if (!pop(addr)) return false;
        push(ValType::V128);
        if (live_) l.onLoad(op_, arg);
      }
      return true;
    }
    case Immediate::MemArgLane: {
      MemArg arg;
      if (!readMemArg(info.log2Align, arg)) return false;
      uint8_t lane;
      uint32_t at = r_.offset();
      if (!r_.readByte(lane)) {
        err_ = readerError();
        return false;
      }
      if (lane >= (16u >> info.log2Align)) {
        err_ = error(at, "invalid lane index");
        return false;
      }
      const ValType addr = m_.memories[arg.memory].limits.is64 ? ValType::I64 : ValType::I32;
      if (!pop(ValType::V128) || !pop(addr)) return false;
      if (info.sig == Sig::X_IV) {
        if (live_) l.onStoreLane(op_, arg, lane);
      } else {
        push(ValType::V128);
        if (live_) l.onLoadLane(op_, arg, lane);
      }
      return true;
    }
    case Immediate::V128: {
      const uint8_t* bytes;
      if (!r_.readBytes(16, bytes)) {
        err_ = readerError();
        return false;
      }
      push(ValType::V128);
      if (live_) l.onV128Const(bytes);
      return true;
    }
    case Immediate::Shuffle: {
      const uint8_t* lanes;
      uint32_t at = r_.offset();
      if (!r_.readBytes(16, lanes)) {
        err_ = readerError();
        return false;
      }
      for (int i = 0; i < 16; i++) {
        if (lanes[i] >= 32) {
          err_ = error(at + i, "invalid lane index");
          return false;
        }
      }
      if (!pop(ValType::V128) || !pop(ValType::V128)) return false;
      push(ValType::V128);
      if (live_) l.onShuffle(lanes);
      return true;
    }
    case Immediate::Lane: {
      uint8_t lane;
      uint32_t at = r_.offset();
      if (!r_.readByte(lane)) {
        err_ = readerError();
        return false;
      }
      if (lane >= (1u << info.log2Align)) {
        err_ = error(at, "invalid lane index");
        return false;
      }
      for (uint32_t i = s.numParams; i-- > 0;) {
        if (!pop(s.params[i])) return false;
      }
      push(s.result);
      if (live_) l.onLane(op_, lane);
      return true;
    }
    default:
      break;
  }
  err_ = error(opOffset_, "illegal opcode 0xfd " + std::to_string(sub));
  return false;
}

}  // namespace wisp::validator
