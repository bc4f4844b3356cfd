// x86-64 backend of the macro-assembler, over asmjit's x86::Assembler (no Builder or
// Compiler layers: a baseline tier cannot afford them).
//
// Register roles: r14 = VMContext (context register), r15 = base of memory 0,
// rbp = frame pointer, r11 and xmm15 = scratch, everything else allocatable.
// Frame: [rbp+16..] incoming stack arguments, [rbp+8] return address, [rbp] saved
// rbp, [rbp-8] the VMContext, below that locals and spill slots, at the bottom the
// outgoing argument area.
//
// Wasm calling convention: integer/reference arguments in rsi, rdi, rdx, rcx, r8, r9;
// float arguments in xmm0-xmm7; further arguments in 8-byte stack slots (16 for
// v128). The first result in rax or xmm0; further results in stack slots after the
// arguments. All allocatable registers are caller-saved; r14/r15 are preserved by
// calls within one instance and restored by the caller after calls that may change
// instance.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "decoder/opcodes.h"
#include "jit/macro_assembler.h"
#include "jit/x64/fast_assembler.h"

namespace wisp::jit::x64 {

namespace a = asmjit::x86;

/// CPU features the backend may use, read once.
struct CpuFeatures {
  bool sse41 = false;
  bool popcnt = false;
  bool lzcnt = false;
  bool bmi1 = false;
  static const CpuFeatures& host();
};

class MacroAssembler {
 public:
  using Label = FastAssembler::Label;

  // Register numbering (asmjit ids).
  static constexpr Reg rax = Reg::gp(0), rcx = Reg::gp(1), rdx = Reg::gp(2), rbx = Reg::gp(3),
                       rsi = Reg::gp(6), rdi = Reg::gp(7), r8 = Reg::gp(8), r9 = Reg::gp(9),
                       r10 = Reg::gp(10), r12 = Reg::gp(12), r13 = Reg::gp(13);
  static constexpr Reg xmm0 = Reg::fp(0);

  static constexpr RegSet kAllocatable =
      RegSet::of(rbx, r12, r13, r8, r9, r10, rsi, rdi, rax, rcx, rdx) |
      RegSet(0x7FFFull << 32);  // xmm0-xmm14
  static constexpr Reg kParamGP[] = {rsi, rdi, rdx, rcx, r8, r9};
  static constexpr Reg kParamFP[] = {Reg::fp(0), Reg::fp(1), Reg::fp(2), Reg::fp(3),
                                     Reg::fp(4), Reg::fp(5), Reg::fp(6), Reg::fp(7)};
  static constexpr Reg kResultGP = rax;
  static constexpr Reg kResultFP = xmm0;
  /// C ABI (System V) integer argument registers, for helper calls.
  static constexpr Reg kHelperArg[] = {rdi, rsi, rdx, rcx, r8, r9};
  static constexpr Reg kHelperResult = rax;
  /// Registers clobbered by integer division and by variable shifts/rotates.
  static constexpr RegSet kDivClobbers = RegSet::of(rax, rdx);
  static constexpr RegSet kShiftClobbers = RegSet::of(rcx);
  /// Offset of the VMContext slot and of the first local slot below the frame pointer.
  static constexpr int32_t kContextSlot = -8;
  static constexpr int32_t kFirstLocalSlot = -8;
  /// Offset of the first incoming stack argument above the frame pointer.
  static constexpr int32_t kIncomingArgs = 16;

  explicit MacroAssembler(asmjit::CodeHolder* code) : as_(code), features_(CpuFeatures::host()) {}

  a::Assembler& raw() { return as_; }
  /// Whether the direct encoders are in use (see FastAssembler::direct).
  bool direct() const { return as_.direct(); }
  /// Empties the code buffer for the next function without re-initializing the
  /// CodeHolder (direct mode only).
  void rewind() { as_.rewind(); }
  /// The code emitted so far (valid until the next instruction).
  const uint8_t* codeData() {
    as_.syncSize();
    return as_.bufferData();
  }
  size_t codeSize() const { return as_.offset(); }
  /// Forgets per-function state (the CodeHolder is re-initialized separately).
  void reset() {
    as_.resetLabels();
    jumpTableEntries_.clear();
    frameSizeField_ = 0;
    preserveFlags_ = false;
  }
  uint32_t offset() const { return static_cast<uint32_t>(as_.offset()); }
  Label newLabel() { return as_.makeLabel(); }
  void bind(Label l) { as_.bind(l); }
  void jump(Label l) { as_.jmp(l); }
  void jumpIf(Cond c, Label l) { as_.j(cc(c), l); }
  void align(uint32_t n) { as_.align(asmjit::AlignMode::kCode, n); }

  // ---- frame ----------------------------------------------------------------------
  /// Function entry: frame setup, frame allocation (size patched by finishFrame) and
  /// the stack check, which branches to `stackOverflow` (an out-of-line stub).
  void prologue(Label stackOverflow) {
    if (as_.direct()) {
      // push rbp; mov rbp, rsp; push r14; sub rsp, imm32 (patched once the frame size
      // is known)
      static const uint8_t kEntry[] = {0x55, 0x48, 0x89, 0xE5, 0x41, 0x56, 0x48, 0x81, 0xEC};
      as_.bytes(kEntry, sizeof kEntry);
      frameSizeField_ = offset();
      static const uint8_t kZero[4] = {};
      as_.bytes(kZero, 4);
    } else {
      as_.push(a::rbp);
      as_.mov(a::rbp, a::rsp);
      as_.push(a::r14);
      as_.db(0x48);
      as_.db(0x81);
      as_.db(0xEC);
      frameSizeField_ = offset();
      as_.dd(0);
    }
    loopCheck(stackOverflow);
  }
  /// Zeroes the frame bytes [rbp+low, rbp+high) (declared locals at entry).
  void zeroSlots(int32_t low, int32_t high) {
    int32_t size = high - low;
    if (size <= 0) return;
    if (size % 16) {  // an odd 8-byte slot at the bottom
      gpStoreImm(frame(low), 0, true);
      low += 8;
      size -= 8;
    }
    if (size == 0) return;
    const Reg x15 = Reg::fp(15);
    xmmOp(a::Inst::kIdXorps, 0, 0x57, x15, x15);
    if (size <= 128) {
      for (int32_t off = low; off < high; off += 16) fpStore(frame(off), x15, ValType::V128);
      return;
    }
    Label loop = as_.makeLabel();
    gpConst(Reg::gp(11), -static_cast<int64_t>(size), true);
    as_.bind(loop);
    fpStore(MemRef{5, 11, 0, high}, x15, ValType::V128);
    gpAluImm(FastAssembler::kAdd, Reg::gp(11), 16, true);
    as_.jnz(loop);
  }
  /// Patches the frame allocation. `spillBytes` is the depth of locals and spill slots
  /// below [rbp-8]; `outgoingBytes` the argument area at the bottom.
  uint32_t finishFrame(uint8_t* code, uint32_t spillBytes, uint32_t outgoingBytes) {
    // rsp after `push r14` is 8 mod 16; allocate so calls see 16-byte alignment.
    uint32_t size = spillBytes + outgoingBytes;
    size = ((size + 8 + 15) & ~15u) - 8;
    std::memcpy(code + frameSizeField_, &size, 4);
    return size;
  }
  void epilogue() {
    if (as_.direct()) {
      as_.movRR(4, 5, true);  // mov rsp, rbp
      as_.popR(5);
      as_.retN();
      return;
    }
    as_.mov(a::rsp, a::rbp);
    as_.pop(a::rbp);
    as_.ret();
  }
  /// Interruption and stack check at loop headers: one load, compare and branch.
  void loopCheck(Label slowPath) {
    if (as_.direct()) {
      as_.cmpRM(4, context(VMContextLayout::stackLimit()), true);
    } else {
      as_.cmp(a::rsp, a::qword_ptr(a::r14, VMContextLayout::stackLimit()));
    }
    as_.jb(slowPath);
  }
  /// Fuel metering: takes `units` from the store's fuel (through the context's pointer
  /// to it) and jumps to outOfFuel once none is left: a load, a subtract and a branch.
  void consumeFuel(int32_t units, Label outOfFuel) {
    gpLoad(Reg::gp(11), context(VMContextLayout::fuel()), true);
    if (as_.direct()) {
      as_.aluMI(FastAssembler::kSub, MemRef{11, -1, 0, 0}, units, true);
    } else {
      as_.sub(a::qword_ptr(a::r11), units);
    }
    jumpIf(Cond::LtS, outOfFuel);
  }
  /// Restores the stack pointer to the frame's base before calling a noreturn helper
  /// from a stub (the frame may be larger than the remaining stack).
  void resetStackForStub() { gpLea(Reg::gp(4), frame(-16), true); }

  // ---- moves ----------------------------------------------------------------------
  void move(Reg dst, Reg src, ValType t) {
    if (dst == src) return;
    if (dst.isGP()) {
      gpMove(dst, src, t != ValType::I32);
    } else {
      xmmOp(a::Inst::kIdMovaps, 0, 0x28, dst, src);
    }
  }
  /// While set, constants are materialized without touching the condition flags.
  void setPreserveFlags(bool preserve) { preserveFlags_ = preserve; }

  void loadConst(Reg dst, ValType t, int64_t bits) {
    if (dst.isGP()) {
      if (bits == 0 && !preserveFlags_) {
        gpAlu(FastAssembler::kXor, dst, dst, false);
      } else {
        gpConst(dst, bits, t != ValType::I32);
      }
      return;
    }
    if (bits == 0) {
      xmmOp(a::Inst::kIdXorps, 0, 0x57, dst, dst);
    } else if (t == ValType::F32) {
      gpConst(Reg::gp(11), static_cast<uint32_t>(bits), false);
      xmmFromGp(dst, Reg::gp(11), false);
    } else {
      gpConst(Reg::gp(11), bits, true);
      xmmFromGp(dst, Reg::gp(11), true);
    }
  }
  // Frame-slot loads and stores (spills, reloads) are the most frequent instructions:
  // the integer forms are inlined into the compiler, the rest out of line.
  __attribute__((always_inline)) void store(int32_t slot, Reg src, ValType t) {
    if (isGpType(t) && as_.direct()) [[likely]] {
      return as_.frameRM(t != ValType::I32, 0x89, id8(src), slot);
    }
    storeSlow(slot, src, t);
  }
  [[gnu::noinline]] void storeSlow(int32_t slot, Reg src, ValType t) {
    storeMem(frame(slot), src, t);
  }
  void storeConst(int32_t slot, ValType t, int64_t bits) {
    if (t == ValType::I32 || t == ValType::F32) {
      gpStoreImm(frame(slot), static_cast<int32_t>(bits), false);
    } else if (bits >= INT32_MIN && bits <= INT32_MAX) {
      gpStoreImm(frame(slot), static_cast<int32_t>(bits), true);
    } else {
      gpConst(Reg::gp(11), bits, true);
      gpStore(frame(slot), Reg::gp(11), true);
    }
  }
  __attribute__((always_inline)) void load(Reg dst, int32_t slot, ValType t) {
    if (isGpType(t) && as_.direct()) [[likely]] {
      return as_.frameRM(t != ValType::I32, 0x8B, id8(dst), slot);
    }
    loadSlow(dst, slot, t);
  }
  [[gnu::noinline]] void loadSlow(Reg dst, int32_t slot, ValType t) {
    loadMem(dst, frame(slot), t);
  }
  void moveSlot(int32_t dst, int32_t src, ValType t) {
    if (dst == src) return;
    if (t == ValType::V128) {
      fpLoad(Reg::fp(15), frame(src), t);
      fpStore(frame(dst), Reg::fp(15), t);
    } else {
      const bool is64 = t != ValType::I32 && t != ValType::F32;
      gpLoad(Reg::gp(11), frame(src), is64);
      gpStore(frame(dst), Reg::gp(11), is64);
    }
  }
  /// Outgoing stack argument `offset` bytes above the stack pointer.
  void storeOutgoing(uint32_t offset, Reg src, ValType t) {
    if (isGpType(t)) return gpStore(outgoing(offset), src, t != ValType::I32);
    storeMem(outgoing(offset), src, t);
  }
  void storeOutgoingConst(uint32_t offset, ValType t, int64_t bits) {
    if (t == ValType::I32 || t == ValType::F32) {
      gpStoreImm(outgoing(offset), static_cast<int32_t>(bits), false);
    } else if (bits >= INT32_MIN && bits <= INT32_MAX) {
      gpStoreImm(outgoing(offset), static_cast<int32_t>(bits), true);
    } else {
      gpConst(Reg::gp(11), bits, true);
      gpStore(outgoing(offset), Reg::gp(11), true);
    }
  }
  void loadOutgoing(Reg dst, uint32_t offset, ValType t) { loadMem(dst, outgoing(offset), t); }
  /// Copies an outgoing-area slot (a callee's extra result) to a frame slot.
  void outgoingToSlot(int32_t slot, uint32_t offset, ValType t) {
    if (t == ValType::V128) {
      fpLoad(Reg::fp(15), outgoing(offset), t);
      fpStore(frame(slot), Reg::fp(15), t);
    } else {
      gpLoad(Reg::gp(11), outgoing(offset), true);
      gpStore(frame(slot), Reg::gp(11), true);
    }
  }
  /// Scratch register of a class, free for move sequences.
  static constexpr Reg scratch(RegClass c) { return c == RegClass::GP ? Reg::gp(11) : Reg::fp(15); }
  /// Whether popcnt needs a temporary register (no POPCNT instruction).
  bool popcntNeedsTemp() const { return !features_.popcnt; }
  /// Zero-extends an i32 returned by a C helper (the C ABI leaves the upper half undefined).
  void zeroExtend32(Reg r) { gpMove(r, r, false); }
  /// Copies a frame slot to an outgoing stack argument.
  void slotToOutgoing(uint32_t offset, int32_t slot, ValType t) {
    if (t == ValType::V128) {
      fpLoad(Reg::fp(15), frame(slot), t);
      fpStore(outgoing(offset), Reg::fp(15), t);
    } else {
      gpLoad(Reg::gp(11), frame(slot), true);
      gpStore(outgoing(offset), Reg::gp(11), true);
    }
  }

  // ---- integer arithmetic -----------------------------------------------------------
  void intBinop(IntBinop op, bool is64, Reg dst, Reg lhs, Reg rhs) {
    switch (op) {
      case IntBinop::Add:
        if (dst == rhs) {
          gpAlu(FastAssembler::kAdd, dst, lhs, is64);
        } else if (dst == lhs) {
          gpAlu(FastAssembler::kAdd, dst, rhs, is64);
        } else {
          // 32-bit lea zero-extends.
          gpLea(dst, MemRef{static_cast<uint8_t>(lhs.id()), static_cast<int8_t>(rhs.id()), 0, 0},
                is64);
        }
        return;
      case IntBinop::Mul:
        if (dst == rhs) {
          imulRR(dst, lhs, is64);
        } else {
          if (dst != lhs) gpMove(dst, lhs, is64);
          imulRR(dst, rhs, is64);
        }
        return;
      case IntBinop::And:
      case IntBinop::Or:
      case IntBinop::Xor: {
        const FastAssembler::Alu alu = op == IntBinop::And  ? FastAssembler::kAnd
                                       : op == IntBinop::Or ? FastAssembler::kOr
                                                            : FastAssembler::kXor;
        if (dst == rhs) {
          gpAlu(alu, dst, lhs, is64);
        } else {
          if (dst != lhs) gpMove(dst, lhs, is64);
          gpAlu(alu, dst, rhs, is64);
        }
        return;
      }
      case IntBinop::Sub:
        if (dst == rhs && dst != lhs) {
          gpMove(Reg::gp(11), rhs, is64);
          gpMove(dst, lhs, is64);
          gpAlu(FastAssembler::kSub, dst, Reg::gp(11), is64);
        } else {
          if (dst != lhs) gpMove(dst, lhs, is64);
          gpAlu(FastAssembler::kSub, dst, rhs, is64);
        }
        return;
      default: {
        // Shifts and rotates: count in cl (the compiler keeps rcx free of other values
        // and never picks rcx as dst).
        if (rhs != rcx) gpMove(rcx, rhs, false);
        if (dst != lhs) gpMove(dst, lhs, is64);
        if (as_.direct()) return as_.opRR(is64, 0xD3, shiftDigit(op), id8(dst));
        shiftByCl(op, gp(dst, is64));
        return;
      }
    }
  }
  void intBinopImm(IntBinop op, bool is64, Reg dst, Reg lhs, int32_t imm) {
    switch (op) {
      case IntBinop::Add:
        if (dst == lhs) {
          gpAluImm(FastAssembler::kAdd, dst, imm, is64);
        } else {
          gpLea(dst, MemRef{static_cast<uint8_t>(lhs.id()), -1, 0, imm}, is64);
        }
        return;
      case IntBinop::Sub:
        if (dst == lhs) {
          gpAluImm(FastAssembler::kSub, dst, imm, is64);
        } else if (imm != INT32_MIN) {
          gpLea(dst, MemRef{static_cast<uint8_t>(lhs.id()), -1, 0, -imm}, is64);
        } else {
          gpMove(dst, lhs, is64);
          gpAluImm(FastAssembler::kSub, dst, imm, is64);
        }
        return;
      case IntBinop::Mul:
        if (as_.direct()) return as_.imulRRI(is64, id8(dst), id8(lhs), imm);
        as_.imul(gp(dst, is64), gp(lhs, is64), imm);
        return;
      case IntBinop::And:
      case IntBinop::Or:
      case IntBinop::Xor: {
        const FastAssembler::Alu alu = op == IntBinop::And  ? FastAssembler::kAnd
                                       : op == IntBinop::Or ? FastAssembler::kOr
                                                            : FastAssembler::kXor;
        if (dst != lhs) gpMove(dst, lhs, is64);
        gpAluImm(alu, dst, imm, is64);
        return;
      }
      default: {
        const int count = imm & (is64 ? 63 : 31);
        if (dst != lhs) gpMove(dst, lhs, is64);
        if (as_.direct()) {
          as_.shiftRI(shiftDigit(op), static_cast<uint8_t>(dst.id()), static_cast<uint8_t>(count),
                      is64);
          return;
        }
        const a::Gp d = gp(dst, is64);
        switch (op) {
          case IntBinop::Shl:
            as_.shl(d, count);
            break;
          case IntBinop::ShrS:
            as_.sar(d, count);
            break;
          case IntBinop::ShrU:
            as_.shr(d, count);
            break;
          case IntBinop::Rotl:
            as_.rol(d, count);
            break;
          default:
            as_.ror(d, count);
            break;
        }
        return;
      }
    }
  }
  /// dst = lhs / rhs (or remainder). rax and rdx hold no other live values.
  void divRem(DivKind kind, bool is64, Reg dst, Reg lhs, Reg rhs, Label divByZero, Label overflow) {
    a::Gp r = gp(rhs, is64);
    if (rhs == rax || rhs == rdx) {
      as_.mov(gp(Reg::gp(11), is64), r);
      r = gp(Reg::gp(11), is64);
    }
    as_.test(r, r);
    as_.jz(divByZero);
    Label done = as_.makeLabel();
    if (kind == DivKind::DivS || kind == DivKind::RemS) {
      Label normal = as_.makeLabel();
      as_.cmp(r, -1);
      as_.jne(normal);
      if (kind == DivKind::DivS) {
        // x / -1 is -x; negating INT_MIN overflows, which is the trap case.
        if (dst != lhs) as_.mov(gp(dst, is64), gp(lhs, is64));
        as_.neg(gp(dst, is64));
        as_.jo(overflow);
      } else {
        as_.xor_(gp32(dst), gp32(dst));  // x % -1 == 0, including INT_MIN % -1
      }
      as_.jmp(done);
      as_.bind(normal);
      as_.mov(gp(rax, is64), gp(lhs, is64));
      if (is64) {
        as_.cqo();
      } else {
        as_.cdq();
      }
      as_.idiv(r);
    } else {
      as_.mov(gp(rax, is64), gp(lhs, is64));
      as_.xor_(a::edx, a::edx);
      as_.div(r);
    }
    const Reg result = (kind == DivKind::DivS || kind == DivKind::DivU) ? rax : rdx;
    if (dst != result) as_.mov(gp(dst, is64), gp(result, is64));
    as_.bind(done);
  }
  void clz(bool is64, Reg dst, Reg src) {
    a::Gp d = gp(dst, is64), s = gp(src, is64);
    if (features_.lzcnt) {
      as_.lzcnt(d, s);
      return;
    }
    // bsr leaves dst undefined for zero input; clz(0) = width.
    Label nonzero = as_.makeLabel();
    as_.bsr(d, s);
    as_.jnz(nonzero);
    as_.mov(d, is64 ? 127 : 63);
    as_.bind(nonzero);
    as_.xor_(d, is64 ? 63 : 31);
  }
  void ctz(bool is64, Reg dst, Reg src) {
    a::Gp d = gp(dst, is64), s = gp(src, is64);
    if (features_.bmi1) {
      as_.tzcnt(d, s);
      return;
    }
    Label nonzero = as_.makeLabel();
    as_.bsf(d, s);
    as_.jnz(nonzero);
    as_.mov(d, is64 ? 64 : 32);
    as_.bind(nonzero);
  }
  void popcnt(bool is64, Reg dst, Reg src, Reg temp) {
    a::Gp d = gp(dst, is64), s = gp(src, is64);
    if (features_.popcnt) {
      as_.popcnt(d, s);
      return;
    }
    // SWAR population count.
    a::Gp t = gp(temp, is64), k = gp(Reg::gp(11), is64);
    if (dst != src) as_.mov(d, s);
    as_.mov(t, d);
    as_.shr(t, 1);
    as_.mov(k, is64 ? 0x5555555555555555ll : 0x55555555);
    as_.and_(t, k);
    as_.sub(d, t);
    as_.mov(k, is64 ? 0x3333333333333333ll : 0x33333333);
    as_.mov(t, d);
    as_.and_(t, k);
    as_.shr(d, 2);
    as_.and_(d, k);
    as_.add(d, t);
    as_.mov(t, d);
    as_.shr(t, 4);
    as_.add(d, t);
    as_.mov(k, is64 ? 0x0F0F0F0F0F0F0F0Fll : 0x0F0F0F0F);
    as_.and_(d, k);
    as_.mov(k, is64 ? 0x0101010101010101ll : 0x01010101);
    as_.imul(d, k);
    as_.shr(d, is64 ? 56 : 24);
  }
  /// Sign/zero extensions and wrap: i32.extend8_s ... i64.extend_i32_u, i32.wrap_i64.
  void extend(Op op, Reg dst, Reg src) {
    switch (op) {
      case Op::I32Extend8S:
        if (!as_.direct()) break;
        return as_.rr0F(false, 0xBE, id8(dst), id8(src), true);
      case Op::I32Extend16S:
        if (!as_.direct()) break;
        return as_.rr0F(false, 0xBF, id8(dst), id8(src));
      case Op::I64Extend8S:
        if (!as_.direct()) break;
        return as_.rr0F(true, 0xBE, id8(dst), id8(src), true);
      case Op::I64Extend16S:
        if (!as_.direct()) break;
        return as_.rr0F(true, 0xBF, id8(dst), id8(src));
      case Op::I64Extend32S:
      case Op::I64ExtendI32S:
        if (!as_.direct()) break;
        return as_.opRR(true, 0x63, id8(dst), id8(src));
      default:
        return gpMove(dst, src, false);  // wrap, extend_i32_u
    }
    switch (op) {
      case Op::I32Extend8S:
        as_.movsx(gp32(dst), gpb(src));
        break;
      case Op::I32Extend16S:
        as_.movsx(gp32(dst), gpw(src));
        break;
      case Op::I64Extend8S:
        as_.movsx(gp64(dst), gpb(src));
        break;
      case Op::I64Extend16S:
        as_.movsx(gp64(dst), gpw(src));
        break;
      default:
        as_.movsxd(gp64(dst), gp32(src));
        break;
    }
  }

  // ---- comparisons and selection ---------------------------------------------------
  void compare(bool is64, Reg lhs, Reg rhs) { gpAlu(FastAssembler::kCmp, lhs, rhs, is64); }
  void compareImm(bool is64, Reg lhs, int32_t imm) {
    if (imm == 0) {
      gpTest(lhs, lhs, is64);
    } else {
      gpAluImm(FastAssembler::kCmp, lhs, imm, is64);
    }
  }
  void testZero(bool is64, Reg r) { gpTest(r, r, is64); }
  /// dst = condition ? 1 : 0 from the flags.
  void setCond(Cond c, Reg dst) {
    if (as_.direct()) {
      const uint8_t r = static_cast<uint8_t>(dst.id());
      as_.setccR(static_cast<uint8_t>(cc(c)), r);
      as_.rr0F(false, 0xB6, r, r, true);  // movzx r32, r8
      return;
    }
    as_.set(cc(c), gpb(dst));
    as_.movzx(gp32(dst), gpb(dst));
  }
  /// dst = flags satisfy c ? ifTrue : ifFalse.
  void select(Cond c, ValType t, Reg dst, Reg ifTrue, Reg ifFalse) {
    if (dst.isGP()) {
      const bool is64 = t != ValType::I32;
      if (dst == ifTrue) {
        cmovRR(negate(c), dst, ifFalse, is64);
      } else if (dst == ifFalse) {
        cmovRR(c, dst, ifTrue, is64);
      } else {
        gpMove(dst, ifTrue, is64);
        cmovRR(negate(c), dst, ifFalse, is64);
      }
      return;
    }
    Label done = as_.makeLabel();
    if (dst == ifTrue) {
      as_.j(cc(c), done);
      xmmOp(a::Inst::kIdMovaps, 0, 0x28, dst, ifFalse);
    } else if (dst == ifFalse) {
      as_.j(cc(negate(c)), done);
      xmmOp(a::Inst::kIdMovaps, 0, 0x28, dst, ifTrue);
    } else {
      xmmOp(a::Inst::kIdMovaps, 0, 0x28, dst, ifFalse);
      as_.j(cc(negate(c)), done);
      xmmOp(a::Inst::kIdMovaps, 0, 0x28, dst, ifTrue);
    }
    as_.bind(done);
  }

  // ---- floating point --------------------------------------------------------------
  void floatBinop(FloatBinop op, bool isF64, Reg dst, Reg lhs, Reg rhs) {
    a::Xmm d = xmm(dst), l = xmm(lhs), r = xmm(rhs);
    if (op == FloatBinop::Copysign) {
      // dst = |lhs| with the sign of rhs.
      signMask(isF64);
      as_.andps(a::xmm15, r);
      if (dst != lhs) as_.movaps(d, l);
      clearSign(isF64, d);
      as_.orps(d, a::xmm15);
      return;
    }
    if (op == FloatBinop::Min || op == FloatBinop::Max) {
      minMax(op == FloatBinop::Min, isF64, d, l, r);
      return;
    }
    const bool commutes = op == FloatBinop::Add || op == FloatBinop::Mul;
    if (dst == rhs && dst != lhs) {
      if (commutes) {
        floatArith(op, isF64, dst, lhs);
        return;
      }
      xmmOp(a::Inst::kIdMovaps, 0, 0x28, Reg::fp(15), rhs);
      rhs = Reg::fp(15);
    }
    if (dst != lhs) xmmOp(a::Inst::kIdMovaps, 0, 0x28, dst, lhs);
    floatArith(op, isF64, dst, rhs);
  }
  void floatUnop(FloatUnop op, bool isF64, Reg dst, Reg src) {
    a::Xmm d = xmm(dst), s = xmm(src);
    switch (op) {
      case FloatUnop::Abs:
        if (dst != src) as_.movaps(d, s);
        clearSign(isF64, d);
        return;
      case FloatUnop::Neg:
        signMask(isF64);
        if (dst != src) as_.movaps(d, s);
        as_.xorps(d, a::xmm15);
        return;
      case FloatUnop::Sqrt:
        if (isF64) {
          as_.sqrtsd(d, s);
        } else {
          as_.sqrtss(d, s);
        }
        return;
      default: {
        // roundss/roundsd modes: 0 nearest-even, 1 floor, 2 ceil, 3 trunc; 8 = no
        // precision exception.
        int mode = op == FloatUnop::Nearest ? 0
                   : op == FloatUnop::Floor ? 1
                   : op == FloatUnop::Ceil  ? 2
                                            : 3;
        if (isF64) {
          as_.roundsd(d, s, mode | 8);
        } else {
          as_.roundss(d, s, mode | 8);
        }
        return;
      }
    }
  }
  /// dst (GP) = lhs <cond> rhs as 0/1 with IEEE semantics (NaN compares unequal).
  void floatCompare(FloatCond c, bool isF64, Reg dst, Reg lhs, Reg rhs) {
    a::Gpd d = gp32(dst);
    auto ucomis = [&](Reg x, Reg y) {
      if (isF64) {
        as_.ucomisd(xmm(x), xmm(y));
      } else {
        as_.ucomiss(xmm(x), xmm(y));
      }
    };
    switch (c) {
      case FloatCond::Eq:
        ucomis(lhs, rhs);
        as_.setnp(a::r11b);
        as_.sete(gpb(dst));
        as_.and_(gpb(dst), a::r11b);
        break;
      case FloatCond::Ne:
        ucomis(lhs, rhs);
        as_.setp(a::r11b);
        as_.setne(gpb(dst));
        as_.or_(gpb(dst), a::r11b);
        break;
      case FloatCond::Lt:
        ucomis(rhs, lhs);
        as_.seta(gpb(dst));
        break;
      case FloatCond::Gt:
        ucomis(lhs, rhs);
        as_.seta(gpb(dst));
        break;
      case FloatCond::Le:
        ucomis(rhs, lhs);
        as_.setae(gpb(dst));
        break;
      case FloatCond::Ge:
        ucomis(lhs, rhs);
        as_.setae(gpb(dst));
        break;
    }
    as_.movzx(d, gpb(dst));
  }
  /// Conversions between float and integer types and between f32/f64.
  /// `temp` is a free GP register for i64->float unsigned conversions. Traps for
  /// trapping truncations branch to `invalid` (NaN) or `overflow` (out of range).
  void convert(Op op, Reg dst, Reg src, Reg temp, Label invalid, Label overflow);
  void reinterpret(Op op, Reg dst, Reg src) {
    switch (op) {
      case Op::I32ReinterpretF32:
        gpFromXmm(dst, src, false);
        break;
      case Op::I64ReinterpretF64:
        gpFromXmm(dst, src, true);
        break;
      case Op::F32ReinterpretI32:
        xmmFromGp(dst, src, false);
        break;
      default:
        xmmFromGp(dst, src, true);
        break;
    }
  }

  // ---- linear memory -----------------------------------------------------------------
  /// Loads with address = memory base + zero-extended index + offset. Without an
  /// index register, `offset` is the whole (constant) address. Returns the code
  /// offset of the access for the trap source map.
  uint32_t loadMemory(Op op, Reg dst, Reg index, uint64_t offset) {
    // Integer loads (most of them): one table lookup and the [r15 + index + disp] form.
    const unsigned k = static_cast<unsigned>(op) - static_cast<unsigned>(Op::I32Load);
    if (k < 14 && kLoadForms[k].opcode && offset <= INT32_MAX && as_.direct()) [[likely]] {
      const HeapForm f = kLoadForms[k];
      const uint32_t at = offset_();
      as_.commitAt(as_.heapOp(false, f.w, f.esc, f.opcode, id8(dst), heapIndex(index),
                              static_cast<int32_t>(offset)));
      return at;
    }
    return loadMemorySlow(op, dst, index, offset);
  }
  [[gnu::noinline]] uint32_t loadMemorySlow(Op op, Reg dst, Reg index, uint64_t offset) {
    if (as_.direct() && offset <= INT32_MAX) {
      bool w = false, esc = true;
      uint8_t opcode;
      switch (op) {
        case Op::I32Load:
        case Op::I64Load32U:
          esc = false;
          opcode = 0x8B;
          break;
        case Op::I64Load:
          w = true;
          esc = false;
          opcode = 0x8B;
          break;
        case Op::I32Load8S:
          opcode = 0xBE;
          break;
        case Op::I32Load8U:
        case Op::I64Load8U:
          opcode = 0xB6;
          break;
        case Op::I32Load16S:
          opcode = 0xBF;
          break;
        case Op::I32Load16U:
        case Op::I64Load16U:
          opcode = 0xB7;
          break;
        case Op::I64Load8S:
          w = true;
          opcode = 0xBE;
          break;
        case Op::I64Load16S:
          w = true;
          opcode = 0xBF;
          break;
        case Op::I64Load32S:
          w = true;
          esc = false;
          opcode = 0x63;
          break;
        default:
          opcode = 0;
          break;
      }
      if (opcode) {
        const uint32_t at = offset_();
        as_.commitAt(as_.heapOp(false, w, esc, opcode, id8(dst), heapIndex(index),
                                static_cast<int32_t>(offset)));
        return at;
      }
    }
    if ((op == Op::I32Load || op == Op::I64Load || op == Op::I64Load32U) && offset <= INT32_MAX) {
      const uint32_t at = offset_();
      gpLoad(dst, heap(index, offset), op == Op::I64Load);
      return at;
    }
    if (as_.direct() && offset <= INT32_MAX && op >= Op::I32Load8S && op <= Op::I64Load32S) {
      // Narrow loads: movzx / movsx (0F B6/B7/BE/BF) and movsxd.
      const uint32_t at = offset_();
      const uint8_t r = static_cast<uint8_t>(dst.id());
      const MemRef m = heap(index, offset);
      switch (op) {
        case Op::I32Load8S:
          as_.rm0F(false, 0xBE, r, m);
          break;
        case Op::I32Load8U:
        case Op::I64Load8U:
          as_.rm0F(false, 0xB6, r, m);
          break;
        case Op::I32Load16S:
          as_.rm0F(false, 0xBF, r, m);
          break;
        case Op::I32Load16U:
        case Op::I64Load16U:
          as_.rm0F(false, 0xB7, r, m);
          break;
        case Op::I64Load8S:
          as_.rm0F(true, 0xBE, r, m);
          break;
        case Op::I64Load16S:
          as_.rm0F(true, 0xBF, r, m);
          break;
        default:
          as_.movsxdRM(r, m);
          break;  // I64Load32S
      }
      return at;
    }
    if (as_.direct() && offset <= INT32_MAX &&
        (op == Op::F32Load || op == Op::F64Load || op == Op::V128Load)) {
      const uint32_t at = offset_();
      fpLoad(dst, heap(index, offset),
             op == Op::F32Load   ? ValType::F32
             : op == Op::F64Load ? ValType::F64
                                 : ValType::V128);
      return at;
    }
    a::Mem m = address(index, offset);
    uint32_t at = offset_();
    switch (op) {
      case Op::I32Load:
        as_.mov(gp32(dst), m);
        break;
      case Op::I64Load:
        as_.mov(gp64(dst), m);
        break;
      case Op::F32Load:
        as_.movss(xmm(dst), m);
        break;
      case Op::F64Load:
        as_.movsd(xmm(dst), m);
        break;
      case Op::I32Load8S:
        m.setSize(1);
        as_.movsx(gp32(dst), m);
        break;
      case Op::I32Load8U:
        m.setSize(1);
        as_.movzx(gp32(dst), m);
        break;
      case Op::I32Load16S:
        m.setSize(2);
        as_.movsx(gp32(dst), m);
        break;
      case Op::I32Load16U:
        m.setSize(2);
        as_.movzx(gp32(dst), m);
        break;
      case Op::I64Load8S:
        m.setSize(1);
        as_.movsx(gp64(dst), m);
        break;
      case Op::I64Load8U:
        m.setSize(1);
        as_.movzx(gp32(dst), m);
        break;
      case Op::I64Load16S:
        m.setSize(2);
        as_.movsx(gp64(dst), m);
        break;
      case Op::I64Load16U:
        m.setSize(2);
        as_.movzx(gp32(dst), m);
        break;
      case Op::I64Load32S:
        m.setSize(4);
        as_.movsxd(gp64(dst), m);
        break;
      case Op::I64Load32U:
        as_.mov(gp32(dst), m);
        break;
      case Op::V128Load:
        as_.movups(xmm(dst), m);
        break;
      default:
        break;
    }
    return at;
  }
  uint32_t storeMemory(Op op, Reg index, uint64_t offset, Reg value) {
    const unsigned k = static_cast<unsigned>(op) - static_cast<unsigned>(Op::I32Store);
    if (k < 9 && kStoreForms[k].opcode && offset <= INT32_MAX && as_.direct()) [[likely]] {
      const HeapForm f = kStoreForms[k];
      const uint32_t at = offset_();
      as_.commitAt(as_.heapOp(f.opsize, f.w, false, f.opcode, id8(value), heapIndex(index),
                              static_cast<int32_t>(offset)));
      return at;
    }
    return storeMemorySlow(op, index, offset, value);
  }
  [[gnu::noinline]] uint32_t storeMemorySlow(Op op, Reg index, uint64_t offset, Reg value) {
    if (as_.direct() && offset <= INT32_MAX) {
      bool opsize = false, w = false;
      uint8_t opcode = 0x89;
      switch (op) {
        case Op::I64Store:
          w = true;
          break;
        case Op::I32Store:
        case Op::I64Store32:
          break;
        case Op::I32Store8:
        case Op::I64Store8:
          opcode = 0x88;  // REX is always present: sil/dil/... encode directly
          break;
        case Op::I32Store16:
        case Op::I64Store16:
          opsize = true;
          break;
        default:
          opcode = 0;
          break;
      }
      if (opcode) {
        const uint32_t at = offset_();
        as_.commitAt(as_.heapOp(opsize, w, false, opcode, id8(value), heapIndex(index),
                                static_cast<int32_t>(offset)));
        return at;
      }
    }
    if ((op == Op::I32Store || op == Op::I64Store || op == Op::I64Store32) && offset <= INT32_MAX) {
      const uint32_t at = offset_();
      gpStore(heap(index, offset), value, op == Op::I64Store);
      return at;
    }
    if (as_.direct() && offset <= INT32_MAX) {
      const uint32_t at = offset_();
      const MemRef m = heap(index, offset);
      switch (op) {
        case Op::I32Store8:
        case Op::I64Store8:
          as_.opRM(false, 0x88, id8(value), m, true);
          return at;
        case Op::I32Store16:
        case Op::I64Store16:
          as_.opRM(false, 0x89, id8(value), m, false, true);
          return at;
        case Op::F32Store:
          fpStore(m, value, ValType::F32);
          return at;
        case Op::F64Store:
          fpStore(m, value, ValType::F64);
          return at;
        case Op::V128Store:
          fpStore(m, value, ValType::V128);
          return at;
        default:
          break;
      }
    }
    a::Mem m = address(index, offset);
    uint32_t at = offset_();
    switch (op) {
      case Op::I32Store:
        as_.mov(m, gp32(value));
        break;
      case Op::I64Store:
        as_.mov(m, gp64(value));
        break;
      case Op::F32Store:
        as_.movss(m, xmm(value));
        break;
      case Op::F64Store:
        as_.movsd(m, xmm(value));
        break;
      case Op::I32Store8:
      case Op::I64Store8:
        as_.mov(m, gpb(value));
        break;
      case Op::I32Store16:
      case Op::I64Store16:
        as_.mov(m, gpw(value));
        break;
      case Op::I64Store32:
        as_.mov(m, gp32(value));
        break;
      case Op::V128Store:
        as_.movups(m, xmm(value));
        break;
      default:
        break;
    }
    return at;
  }
  /// Stores an integer constant (the value operand was a constant).
  uint32_t storeMemoryConst(Op op, Reg index, uint64_t offset, int64_t value) {
    if (as_.direct() && offset <= INT32_MAX) {
      const uint32_t at = offset_();
      const int8_t ix = heapIndex(index);
      const int32_t disp = static_cast<int32_t>(offset);
      switch (op) {
        case Op::I32Store:
        case Op::I64Store32:
        case Op::F32Store:
        case Op::I64Store: {
          uint8_t* p = as_.heapOp(false, op == Op::I64Store, false, 0xC7, 0, ix, disp);
          const int32_t imm = static_cast<int32_t>(value);
          std::memcpy(p, &imm, 4);
          as_.commitAt(p + 4);
          return at;
        }
        case Op::I32Store8:
        case Op::I64Store8: {
          uint8_t* p = as_.heapOp(false, false, false, 0xC6, 0, ix, disp);
          *p++ = static_cast<uint8_t>(value);
          as_.commitAt(p);
          return at;
        }
        case Op::I32Store16:
        case Op::I64Store16: {
          uint8_t* p = as_.heapOp(true, false, false, 0xC7, 0, ix, disp);
          const int16_t imm = static_cast<int16_t>(value);
          std::memcpy(p, &imm, 2);
          as_.commitAt(p + 2);
          return at;
        }
        default:
          break;
      }
    }
    if ((op == Op::I32Store || op == Op::I64Store || op == Op::I64Store32 || op == Op::F32Store) &&
        offset <= INT32_MAX) {
      const uint32_t at = offset_();
      gpStoreImm(heap(index, offset), static_cast<int32_t>(value), op == Op::I64Store);
      return at;
    }
    if (as_.direct() && offset <= INT32_MAX) {
      const uint32_t at = offset_();
      switch (op) {
        case Op::I32Store8:
        case Op::I64Store8:
          as_.storeMI8(heap(index, offset), static_cast<int8_t>(value));
          return at;
        case Op::I32Store16:
        case Op::I64Store16:
          as_.storeMI16(heap(index, offset), static_cast<int16_t>(value));
          return at;
        default:
          break;
      }
    }
    a::Mem m = address(index, offset);
    uint32_t at = offset_();
    switch (op) {
      case Op::I32Store8:
      case Op::I64Store8:
        m.setSize(1);
        as_.mov(m, static_cast<int8_t>(value));
        break;
      case Op::I32Store16:
      case Op::I64Store16:
        m.setSize(2);
        as_.mov(m, static_cast<int16_t>(value));
        break;
      case Op::I32Store:
      case Op::I64Store32:
      case Op::F32Store:
        m.setSize(4);
        as_.mov(m, static_cast<int32_t>(value));
        break;
      default:
        m.setSize(8);
        as_.mov(m, static_cast<int32_t>(value));  // caller checked it fits
        break;
    }
    return at;
  }
  /// Loads the memory base register again (after a call that may have changed it).
  void reloadMemoryBase() { gpLoad(Reg::gp(15), context(VMContextLayout::memoryBase()), true); }
  void reloadContext() { gpLoad(Reg::gp(14), frame(kContextSlot), true); }
  /// dst (i32) = memory 0 size in pages.
  void memorySize(Reg dst) {
    gpLoad(Reg::gp(11), context(VMContextLayout::memory0()), true);
    gpLoad(dst, MemRef{11, -1, 0, offsetof(MemoryInstance, byteSize)}, true);
    intBinopImm(IntBinop::ShrU, true, dst, dst, 16);
  }

  // ---- context fields, globals, tables ---------------------------------------------------
  void loadContextField(Reg dst, uint32_t offset, ValType t) {
    if (isGpType(t)) return gpLoad(dst, context(offset), t != ValType::I32);
    loadMem(dst, context(offset), t);
  }
  void storeContextField(uint32_t offset, Reg src, ValType t) {
    if (isGpType(t)) return gpStore(context(offset), src, t != ValType::I32);
    storeMem(context(offset), src, t);
  }
  /// Global reached through a pointer in the context (imported globals).
  void loadIndirectGlobal(Reg dst, uint32_t ptrOffset, ValType t) {
    gpLoad(Reg::gp(11), context(ptrOffset), true);
    loadMem(dst, MemRef{11, -1, 0, 0}, t);
  }
  void storeIndirectGlobal(uint32_t ptrOffset, Reg src, ValType t) {
    gpLoad(Reg::gp(11), context(ptrOffset), true);
    storeMem(MemRef{11, -1, 0, 0}, src, t);
  }
  /// dst = table->elements[index] after a bounds check against table->size.
  void tableLoad(uint32_t tablePtrOffset, Reg dst, Reg index, Label outOfBounds) {
    as_.mov(a::r11, a::qword_ptr(a::r14, tablePtrOffset));
    as_.cmp(gp32(index), a::dword_ptr(a::r11, offsetof(TableInstance, size)));
    as_.jae(outOfBounds);
    as_.mov(a::r11, a::qword_ptr(a::r11, offsetof(TableInstance, elements)));
    as_.mov(gp64(dst), a::qword_ptr(a::r11, gp64(index), 3));
  }
  void tableStore(uint32_t tablePtrOffset, Reg index, Reg value, Label outOfBounds) {
    as_.mov(a::r11, a::qword_ptr(a::r14, tablePtrOffset));
    as_.cmp(gp32(index), a::dword_ptr(a::r11, offsetof(TableInstance, size)));
    as_.jae(outOfBounds);
    as_.mov(a::r11, a::qword_ptr(a::r11, offsetof(TableInstance, elements)));
    as_.mov(a::qword_ptr(a::r11, gp64(index), 3), gp64(value));
  }
  void tableSize(uint32_t tablePtrOffset, Reg dst) {
    as_.mov(a::r11, a::qword_ptr(a::r14, tablePtrOffset));
    as_.mov(gp32(dst), a::dword_ptr(a::r11, offsetof(TableInstance, size)));
  }

  // ---- calls ---------------------------------------------------------------------------
  /// Call to another function of the module; returns the offset of the rel32 field.
  uint32_t callDirect() {
    static const uint8_t kCall[5] = {0xE8, 0, 0, 0, 0};
    const uint32_t field = offset() + 1;
    if (as_.direct()) {
      as_.bytes(kCall, 5);
    } else {
      as_.db(0xE8);
      as_.dd(0);
    }
    return field;
  }
  /// Indirect call through table `tablePtrOffset` at `index` (i32, in a register):
  /// bounds, null and signature checks, then a call through the FuncRef. A table whose
  /// size cannot change (`fixedSize`, else -1) is bounds checked against an immediate
  /// and its elements reached through the context field `elementsOffset` (one load
  /// fewer on the way to the callee).
  /// `expectedTypeIdOffset` is the context field holding the canonical id of the
  /// expected signature. A callee of this instance (the common case) is called right
  /// here, with the context and memory registers as they are; one of another instance
  /// (or a host function) jumps to `crossInstance`, which must do
  /// callCrossInstance() and restoreInstance() and come back after this call. Either
  /// way r11 holds the FuncRef at the call.
  void callIndirect(uint32_t tablePtrOffset, uint32_t elementsOffset, int64_t fixedSize,
                    uint32_t expectedTypeIdOffset, Reg index, Label outOfBounds, Label nullEntry,
                    Label typeMismatch, Label crossInstance) {
    const Reg r11 = Reg::gp(11);
    if (fixedSize >= 0) {
      gpLoad(r11, context(elementsOffset), true);
      compareImm(false, index, static_cast<int32_t>(fixedSize));
      as_.jae(outOfBounds);
    } else {
      gpLoad(r11, context(tablePtrOffset), true);
      gpCmpMem(index, MemRef{11, -1, 0, offsetof(TableInstance, size)}, false);
      as_.jae(outOfBounds);
      gpLoad(r11, MemRef{11, -1, 0, offsetof(TableInstance, elements)}, true);
    }
    gpLoad(r11, MemRef{11, static_cast<int8_t>(index.id()), 3, 0}, true);
    gpTest(r11, r11, true);
    as_.jz(nullEntry);
    gpLoad(index, context(expectedTypeIdOffset), false);
    gpCmpMem(index, MemRef{11, -1, 0, offsetof(FuncRef, typeId)}, false);
    as_.jne(typeMismatch);
    gpCmpMem(Reg::gp(14), MemRef{11, -1, 0, offsetof(FuncRef, ctx)}, true);
    as_.jne(crossInstance);
    if (as_.direct()) {
      as_.callM(MemRef{11, -1, 0, offsetof(FuncRef, code)});
    } else {
      as_.call(a::qword_ptr(a::r11, offsetof(FuncRef, code)));
    }
  }
  /// The out-of-line part of callIndirect for a callee of another instance: switches
  /// to the callee's context and memory and calls it (the return address is a call
  /// site), ...
  void callCrossInstance() {
    gpLoad(Reg::gp(14), MemRef{11, -1, 0, offsetof(FuncRef, ctx)}, true);
    reloadMemoryBase();
    if (as_.direct()) {
      as_.callM(MemRef{11, -1, 0, offsetof(FuncRef, code)});
    } else {
      as_.call(a::qword_ptr(a::r11, offsetof(FuncRef, code)));
    }
  }
  /// ... then restores the caller's context and memory.
  void restoreInstance() {
    reloadContext();
    reloadMemoryBase();
  }
  /// Call through the FuncRef pointer stored in the context at `funcRefPtrOffset`
  /// (imported functions).
  void callImport(uint32_t funcRefPtrOffset) {
    gpLoad(Reg::gp(11), context(funcRefPtrOffset), true);
    callFuncRef(a::r11);
  }
  void callHelper(Helper h) {
    if (as_.direct()) return as_.callM(context(VMContextLayout::helper(h)));
    as_.call(a::qword_ptr(a::r14, VMContextLayout::helper(h)));
  }
  /// Loads the address of the caller-visible context (first helper argument).
  void moveContextTo(Reg dst) { gpMove(dst, Reg::gp(14), true); }
  void loadContextPointer(Reg dst, uint32_t offset) { gpLoad(dst, context(offset), true); }
  /// Out-of-line trap code. A site passes its wasm offset in edx and jumps to the
  /// function's common stub for its kind, which calls the noreturn trap helper.
  void trapSite(uint32_t wasmOffset, Label common) {
    gpConst(Reg::gp(2), wasmOffset, false);  // edx
    as_.jmp(common);
  }
  void trapCommon(TrapKind kind) {
    resetStackForStub();
    gpMove(Reg::gp(7), Reg::gp(14), true);                    // rdi = context
    gpConst(Reg::gp(6), static_cast<uint32_t>(kind), false);  // esi = kind
    callHelper(Helper::Trap);
    ud2();
  }
  /// The stack-exhaustion / interruption stub.
  void stackCheckStub(uint32_t wasmOffset) {
    resetStackForStub();
    gpMove(Reg::gp(7), Reg::gp(14), true);
    gpConst(Reg::gp(6), wasmOffset, false);
    callHelper(Helper::StackCheckFailed);
    ud2();
  }
  void ud2() {
    if (as_.direct()) {
      as_.ud2N();
    } else {
      as_.ud2();
    }
  }

  // ---- jump tables (br_table) -----------------------------------------------------------
  /// Jumps to targets[index] for index < count, else to fallback.
  void jumpTable(Reg index, std::span<const Label> targets, Label fallback) {
    Label table = as_.makeLabel();
    as_.cmp(gp32(index), static_cast<uint32_t>(targets.size()));
    as_.jae(fallback);
    as_.lea(a::r11, table);
    as_.movsxd(gp64(index), a::dword_ptr(a::r11, gp64(index), 2));
    as_.add(gp64(index), a::r11);
    as_.jmp(gp64(index));
    as_.align(asmjit::AlignMode::kData, 4);
    as_.bind(table);
    // Entries are offsets from the table, filled in by patchJumpTables once every
    // label is bound (asmjit would resolve them only through a relocation pass).
    for (const Label& t : targets) {
      jumpTableEntries_.push_back(JumpTableEntry{offset(), table, t});
      as_.dd(0);
    }
  }
  /// Fills the jump table entries into the finished code.
  void patchJumpTables(uint8_t* code) {
    for (const JumpTableEntry& e : jumpTableEntries_) {
      const int32_t delta =
          static_cast<int32_t>(as_.labelOffset(e.target) - as_.labelOffset(e.table));
      std::memcpy(code + e.at, &delta, 4);
    }
  }

 private:
  // Encodings of the integer linear-memory accesses, by opcode from i32.load /
  // i32.store on (opcode 0: not one of these forms). `esc`: 0F-escaped opcode;
  // `opsize`: 66 prefix (16-bit stores).
  struct HeapForm {
    bool opsize, w, esc;
    uint8_t opcode;
  };
  static constexpr HeapForm kLoadForms[14] = {
      {false, false, false, 0x8B},  // i32.load
      {false, true, false, 0x8B},   // i64.load
      {false, false, false, 0},     // f32.load
      {false, false, false, 0},     // f64.load
      {false, false, true, 0xBE},   // i32.load8_s
      {false, false, true, 0xB6},   // i32.load8_u
      {false, false, true, 0xBF},   // i32.load16_s
      {false, false, true, 0xB7},   // i32.load16_u
      {false, true, true, 0xBE},    // i64.load8_s
      {false, false, true, 0xB6},   // i64.load8_u
      {false, true, true, 0xBF},    // i64.load16_s
      {false, false, true, 0xB7},   // i64.load16_u
      {false, true, false, 0x63},   // i64.load32_s
      {false, false, false, 0x8B},  // i64.load32_u
  };
  static constexpr HeapForm kStoreForms[9] = {
      {false, false, false, 0x89},  // i32.store
      {false, true, false, 0x89},   // i64.store
      {false, false, false, 0},     // f32.store
      {false, false, false, 0},     // f64.store
      {false, false, false, 0x88},  // i32.store8 (REX always present: sil/dil encode)
      {true, false, false, 0x89},   // i32.store16
      {false, false, false, 0x88},  // i64.store8
      {true, false, false, 0x89},   // i64.store16
      {false, false, false, 0x89},  // i64.store32
  };

  // ---- direct-encoded general-purpose forms (asmjit's encoder while logging) ----------
  static MemRef frame(int32_t slot) { return MemRef{5, -1, 0, slot}; }
  static MemRef context(uint32_t offset) { return MemRef{14, -1, 0, static_cast<int32_t>(offset)}; }
  static MemRef outgoing(uint32_t offset) { return MemRef{4, -1, 0, static_cast<int32_t>(offset)}; }
  static a::Mem toMem(const MemRef& m) {
    return m.index < 0
               ? a::ptr(a::gpq(m.base), m.disp)
               : a::ptr(a::gpq(m.base), a::gpq(static_cast<uint32_t>(m.index)), m.scale, m.disp);
  }
  // The direct forms stay small leaf code; asmjit's (while logging or checking the
  // encoders) are out of line so they do not burden the fast path with a stack frame.
  void gpLoad(Reg dst, const MemRef& m, bool is64) {
    if (as_.direct()) return as_.loadRM(static_cast<uint8_t>(dst.id()), m, is64);
    gpLoadAsmjit(dst, m, is64);
  }
  [[gnu::noinline, gnu::cold]] void gpLoadAsmjit(Reg dst, const MemRef& m, bool is64) {
    as_.mov(gp(dst, is64), toMem(m));
  }
  void gpStore(const MemRef& m, Reg src, bool is64) {
    if (as_.direct()) return as_.storeMR(m, static_cast<uint8_t>(src.id()), is64);
    gpStoreAsmjit(m, src, is64);
  }
  [[gnu::noinline, gnu::cold]] void gpStoreAsmjit(const MemRef& m, Reg src, bool is64) {
    as_.mov(toMem(m), gp(src, is64));
  }
  void gpStoreImm(const MemRef& m, int32_t imm, bool is64) {
    if (as_.direct()) return as_.storeMI(m, imm, is64);
    gpStoreImmAsmjit(m, imm, is64);
  }
  [[gnu::noinline, gnu::cold]] void gpStoreImmAsmjit(const MemRef& m, int32_t imm, bool is64) {
    a::Mem mm = toMem(m);
    mm.setSize(is64 ? 8 : 4);
    as_.mov(mm, imm);
  }
  void gpMove(Reg dst, Reg src, bool is64) {
    if (as_.direct())
      return as_.movRR(static_cast<uint8_t>(dst.id()), static_cast<uint8_t>(src.id()), is64);
    gpMoveAsmjit(dst, src, is64);
  }
  [[gnu::noinline, gnu::cold]] void gpMoveAsmjit(Reg dst, Reg src, bool is64) {
    as_.mov(gp(dst, is64), gp(src, is64));
  }
  void gpLea(Reg dst, const MemRef& m, bool is64) {
    if (as_.direct()) return as_.leaRM(static_cast<uint8_t>(dst.id()), m, is64);
    gpLeaAsmjit(dst, m, is64);
  }
  [[gnu::noinline, gnu::cold]] void gpLeaAsmjit(Reg dst, const MemRef& m, bool is64) {
    as_.lea(gp(dst, is64), toMem(m));
  }
  void gpAlu(FastAssembler::Alu op, Reg dst, Reg src, bool is64) {
    if (as_.direct()) {
      return as_.aluRR(op, static_cast<uint8_t>(dst.id()), static_cast<uint8_t>(src.id()), is64);
    }
    gpAluAsmjit(op, dst, src, is64);
  }
  [[gnu::noinline, gnu::cold]] void gpAluAsmjit(FastAssembler::Alu op, Reg dst, Reg src,
                                                bool is64) {
    a::Gp d = gp(dst, is64), r = gp(src, is64);
    switch (op) {
      case FastAssembler::kAdd:
        as_.add(d, r);
        break;
      case FastAssembler::kOr:
        as_.or_(d, r);
        break;
      case FastAssembler::kAnd:
        as_.and_(d, r);
        break;
      case FastAssembler::kSub:
        as_.sub(d, r);
        break;
      case FastAssembler::kXor:
        as_.xor_(d, r);
        break;
      case FastAssembler::kCmp:
        as_.cmp(d, r);
        break;
    }
  }
  void gpAluImm(FastAssembler::Alu op, Reg dst, int32_t imm, bool is64) {
    if (as_.direct()) return as_.aluRI(op, static_cast<uint8_t>(dst.id()), imm, is64);
    gpAluImmAsmjit(op, dst, imm, is64);
  }
  [[gnu::noinline, gnu::cold]] void gpAluImmAsmjit(FastAssembler::Alu op, Reg dst, int32_t imm,
                                                   bool is64) {
    a::Gp d = gp(dst, is64);
    switch (op) {
      case FastAssembler::kAdd:
        as_.add(d, imm);
        break;
      case FastAssembler::kOr:
        as_.or_(d, imm);
        break;
      case FastAssembler::kAnd:
        as_.and_(d, imm);
        break;
      case FastAssembler::kSub:
        as_.sub(d, imm);
        break;
      case FastAssembler::kXor:
        as_.xor_(d, imm);
        break;
      case FastAssembler::kCmp:
        as_.cmp(d, imm);
        break;
    }
  }
  void gpTest(Reg x, Reg y, bool is64) {
    if (as_.direct())
      return as_.testRR(static_cast<uint8_t>(x.id()), static_cast<uint8_t>(y.id()), is64);
    as_.test(gp(x, is64), gp(y, is64));
  }
  void gpConst(Reg dst, int64_t bits, bool is64) {
    if (!as_.direct()) {
      if (!is64 || (bits >= 0 && bits <= 0xFFFFFFFFll)) {
        as_.mov(gp32(dst), static_cast<uint32_t>(bits));
      } else {
        as_.mov(gp64(dst), bits);
      }
      return;
    }
    if (!is64 || (bits >= 0 && bits <= 0xFFFFFFFFll)) {
      as_.movRI32(static_cast<uint8_t>(dst.id()), static_cast<uint32_t>(bits));
    } else {
      as_.movRI64(static_cast<uint8_t>(dst.id()), static_cast<uint64_t>(bits));
    }
  }
  void cmovRR(Cond c, Reg dst, Reg src, bool is64) {
    if (as_.direct()) {
      return as_.rr0F(is64, static_cast<uint8_t>(0x40 | static_cast<uint8_t>(cc(c))),
                      static_cast<uint8_t>(dst.id()), static_cast<uint8_t>(src.id()));
    }
    as_.cmov(cc(c), gp(dst, is64), gp(src, is64));
  }
  void imulRR(Reg dst, Reg src, bool is64) {
    if (as_.direct()) {
      return as_.rr0F(is64, 0xAF, static_cast<uint8_t>(dst.id()), static_cast<uint8_t>(src.id()));
    }
    as_.imul(gp(dst, is64), gp(src, is64));
  }
  static bool isGpType(ValType t) {
    return t != ValType::F32 && t != ValType::F64 && t != ValType::V128;
  }

  static a::Gpd gp32(Reg r) { return a::gpd(r.id()); }
  static a::Gpq gp64(Reg r) { return a::gpq(r.id()); }
  static a::GpbLo gpb(Reg r) { return a::gpb(r.id()); }
  static a::Gpw gpw(Reg r) { return a::gpw(r.id()); }
  static a::Gp gp(Reg r, bool is64) { return is64 ? a::Gp(gp64(r)) : a::Gp(gp32(r)); }
  static a::Xmm xmm(Reg r) { return a::xmm(r.id()); }
  uint32_t offset_() const { return offset(); }

  static a::CondCode cc(Cond c) {
    switch (c) {
      case Cond::Eq:
        return a::CondCode::kE;
      case Cond::Ne:
        return a::CondCode::kNE;
      case Cond::LtS:
        return a::CondCode::kL;
      case Cond::LtU:
        return a::CondCode::kB;
      case Cond::GtS:
        return a::CondCode::kG;
      case Cond::GtU:
        return a::CondCode::kA;
      case Cond::LeS:
        return a::CondCode::kLE;
      case Cond::LeU:
        return a::CondCode::kBE;
      case Cond::GeS:
        return a::CondCode::kGE;
      case Cond::GeU:
        return a::CondCode::kAE;
    }
    return a::CondCode::kE;
  }

  static int8_t heapIndex(Reg index) {
    return index.valid() ? static_cast<int8_t>(index.id()) : int8_t{-1};
  }
  // [r15 + index + offset] for offsets that fit a displacement.
  static MemRef heap(Reg index, uint64_t offset) {
    return MemRef{15, index.valid() ? static_cast<int8_t>(index.id()) : int8_t{-1}, 0,
                  static_cast<int32_t>(offset)};
  }
  a::Mem address(Reg index, uint64_t offset) {
    if (!index.valid()) {
      if (offset <= INT32_MAX) return a::ptr(a::r15, static_cast<int32_t>(offset));
      as_.mov(a::r11, offset);
      return a::ptr(a::r15, a::r11);
    }
    if (offset <= INT32_MAX) return a::ptr(a::r15, gp64(index), 0, static_cast<int32_t>(offset));
    as_.mov(a::r11, offset);
    as_.add(a::r11, gp64(index));
    return a::ptr(a::r15, a::r11);
  }
  void loadMem(Reg dst, const MemRef& m, ValType t) {
    if (isGpType(t)) return gpLoad(dst, m, t != ValType::I32);
    fpLoad(dst, m, t);
  }
  void storeMem(const MemRef& m, Reg src, ValType t) {
    if (isGpType(t)) return gpStore(m, src, t != ValType::I32);
    fpStore(m, src, t);
  }
  // movss / movsd / movups between an xmm register and memory.
  static uint8_t fpPrefix(ValType t) {
    return t == ValType::F32 ? 0xF3 : t == ValType::F64 ? 0xF2 : 0;
  }
  static asmjit::InstId fpMoveId(ValType t) {
    return t == ValType::F32   ? a::Inst::kIdMovss
           : t == ValType::F64 ? a::Inst::kIdMovsd
                               : a::Inst::kIdMovups;
  }
  void fpLoad(Reg dst, const MemRef& m, ValType t) {
    if (as_.direct()) return as_.sseRM(fpPrefix(t), false, 0x10, id8(dst), m);
    as_.emit(fpMoveId(t), xmm(dst), toMem(m));
  }
  void fpStore(const MemRef& m, Reg src, ValType t) {
    if (as_.direct()) return as_.sseRM(fpPrefix(t), false, 0x11, id8(src), m);
    as_.emit(fpMoveId(t), toMem(m), xmm(src));
  }
  // Two-operand SSE register forms (movaps, xorps, addsd, ...): op dst, src.
  void xmmOp(asmjit::InstId id, uint8_t prefix, uint8_t opcode, Reg dst, Reg src) {
    if (as_.direct()) return as_.sseRR(prefix, false, opcode, id8(dst), id8(src));
    as_.emit(id, xmm(dst), xmm(src));
  }
  // movd/movq between general-purpose and xmm registers.
  void xmmFromGp(Reg dst, Reg src, bool is64) {
    if (as_.direct()) return as_.sseRR(0x66, is64, 0x6E, id8(dst), id8(src));
    is64 ? as_.movq(xmm(dst), gp64(src)) : as_.movd(xmm(dst), gp32(src));
  }
  void gpFromXmm(Reg dst, Reg src, bool is64) {
    if (as_.direct()) return as_.sseRR(0x66, is64, 0x7E, id8(src), id8(dst));
    is64 ? as_.movq(gp64(dst), xmm(src)) : as_.movd(gp32(dst), xmm(src));
  }
  void gpCmpMem(Reg lhs, const MemRef& m, bool is64) {
    if (as_.direct()) return as_.cmpRM(id8(lhs), m, is64);
    as_.cmp(gp(lhs, is64), toMem(m));
  }
  static uint8_t id8(Reg r) { return static_cast<uint8_t>(r.id()); }
  void callFuncRef(a::Gpq ref) {
    const uint8_t r = static_cast<uint8_t>(ref.id());
    gpLoad(Reg::gp(14), MemRef{r, -1, 0, offsetof(FuncRef, ctx)}, true);
    reloadMemoryBase();
    if (as_.direct()) {
      as_.callM(MemRef{r, -1, 0, offsetof(FuncRef, code)});
    } else {
      as_.call(a::qword_ptr(ref, offsetof(FuncRef, code)));
    }
    reloadContext();
    reloadMemoryBase();
  }
  void commutative(IntBinop op, a::Gp d, a::Gp s) {
    switch (op) {
      case IntBinop::Mul:
        as_.imul(d, s);
        break;
      case IntBinop::And:
        as_.and_(d, s);
        break;
      case IntBinop::Or:
        as_.or_(d, s);
        break;
      default:
        as_.xor_(d, s);
        break;
    }
  }
  // ModRM /digit of the shift and rotate group (C1 / D1 / D3).
  static uint8_t shiftDigit(IntBinop op) {
    return op == IntBinop::Shl    ? 4
           : op == IntBinop::ShrS ? 7
           : op == IntBinop::ShrU ? 5
           : op == IntBinop::Rotl ? 0
                                  : 1;
  }
  void shiftByCl(IntBinop op, a::Gp d) {
    switch (op) {
      case IntBinop::Shl:
        as_.shl(d, a::cl);
        break;
      case IntBinop::ShrS:
        as_.sar(d, a::cl);
        break;
      case IntBinop::ShrU:
        as_.shr(d, a::cl);
        break;
      case IntBinop::Rotl:
        as_.rol(d, a::cl);
        break;
      default:
        as_.ror(d, a::cl);
        break;
    }
  }
  void floatArith(FloatBinop op, bool isF64, Reg d, Reg s) {
    const uint8_t prefix = isF64 ? 0xF2 : 0xF3;
    switch (op) {
      case FloatBinop::Add:
        return xmmOp(isF64 ? a::Inst::kIdAddsd : a::Inst::kIdAddss, prefix, 0x58, d, s);
      case FloatBinop::Sub:
        return xmmOp(isF64 ? a::Inst::kIdSubsd : a::Inst::kIdSubss, prefix, 0x5C, d, s);
      case FloatBinop::Mul:
        return xmmOp(isF64 ? a::Inst::kIdMulsd : a::Inst::kIdMulss, prefix, 0x59, d, s);
      default:
        return xmmOp(isF64 ? a::Inst::kIdDivsd : a::Inst::kIdDivss, prefix, 0x5E, d, s);
    }
  }
  // xmm15 = the sign bit of one float.
  void signMask(bool isF64) {
    if (isF64) {
      as_.mov(a::r11, INT64_MIN);
      as_.movq(a::xmm15, a::r11);
    } else {
      as_.mov(a::r11d, 0x80000000u);
      as_.movd(a::xmm15, a::r11d);
    }
  }
  void clearSign(bool isF64, a::Xmm d) {
    if (isF64) {
      as_.psllq(d, 1);
      as_.psrlq(d, 1);
    } else {
      as_.pslld(d, 1);
      as_.psrld(d, 1);
    }
  }
  // Wasm min/max: NaN if either operand is NaN; -0 < +0.
  void minMax(bool isMin, bool isF64, a::Xmm d, a::Xmm l, a::Xmm r) {
    Label nan = as_.makeLabel(), equal = as_.makeLabel(), done = as_.makeLabel();
    if (d == r && d != l) {
      as_.movaps(a::xmm15, r);
      r = a::xmm15;
    }
    if (d != l) as_.movaps(d, l);
    isF64 ? as_.ucomisd(d, r) : as_.ucomiss(d, r);
    as_.jp(nan);
    as_.je(equal);
    if (isMin) {
      isF64 ? as_.minsd(d, r) : as_.minss(d, r);
    } else {
      isF64 ? as_.maxsd(d, r) : as_.maxss(d, r);
    }
    as_.jmp(done);
    as_.bind(equal);  // equal values, possibly -0 and +0: combine the sign bits
    if (isMin) {
      as_.orps(d, r);
    } else {
      as_.andps(d, r);
    }
    as_.jmp(done);
    as_.bind(nan);
    isF64 ? as_.addsd(d, r) : as_.addss(d, r);  // propagates a quiet NaN
    as_.bind(done);
  }

  struct JumpTableEntry {
    uint32_t at;
    Label table;
    Label target;
  };
  FastAssembler as_;
  const CpuFeatures& features_;
  std::vector<JumpTableEntry> jumpTableEntries_;
  uint32_t frameSizeField_ = 0;
  bool preserveFlags_ = false;
};

}  // namespace wisp::jit::x64
