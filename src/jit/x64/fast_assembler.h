// An asmjit x86::Assembler with direct encoders for the instruction forms the JIT
// emits (register/memory moves, immediates, two-operand ALU, lea, test, linear-memory
// loads and stores of every width, calls through memory, the common SSE moves and
// arithmetic). Rarer sequences (division, float comparisons, conversions and rounding,
// table access, jump tables) still use asmjit's generic encoder, which costs ~230 host
// instructions per emitted instruction; these write their few bytes straight into the
// Assembler's buffer and move only its write pointer (syncSize brings the section size
// up to date). When a logger is attached everything goes through asmjit so the log is
// complete.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "jit/pod_vector.h"

namespace wisp::jit::x64 {

/// A memory operand: [base + index * 2^scale + disp]; index < 0 when absent.
struct MemRef {
  uint8_t base;
  int8_t index;
  uint8_t scale;
  int32_t disp;
};

class FastAssembler : public asmjit::x86::Assembler {
  using Base = asmjit::x86::Assembler;

 public:
  explicit FastAssembler(asmjit::CodeHolder* code) : asmjit::x86::Assembler(code) { updateMode(); }

  // ---- labels and jumps -------------------------------------------------------------
  // With the direct encoders, labels are the JIT's own (a bound offset and a chain of
  // rel32 fields waiting for it), which is several times cheaper than asmjit's label
  // links; jumps are encoded as asmjit would (short backward jumps, rel32 forward ones).
  // While logging they index asmjit's labels.
  struct Label {
    uint32_t id = UINT32_MAX;
  };
  using Base::bind;
  using Base::j;
  using Base::jmp;
  using Base::lea;

  Label makeLabel() {
    if (direct()) {
      const Label l{static_cast<uint32_t>(labels_.size())};
      labels_.push_back(LabelState{});
      return l;
    }
    const Label l{static_cast<uint32_t>(asmLabels_.size())};
    asmLabels_.push_back(Base::newLabel());
    return l;
  }
  void bind(const Label& l) {
    if (!direct()) {
      Base::bind(asmLabels_[l.id]);
      return;
    }
    LabelState& s = labels_[l.id];
    s.offset = static_cast<int32_t>(offset());
    for (uint32_t f = s.pending; f != UINT32_MAX; f = fixups_[f].next) {
      const int32_t rel = s.offset - static_cast<int32_t>(fixups_[f].at + 4);
      std::memcpy(_bufferData + fixups_[f].at, &rel, 4);
    }
    s.pending = UINT32_MAX;
  }
  void j(asmjit::x86::CondCode cc, const Label& l) {
    if (!direct()) {
      Base::j(cc, asmLabels_[l.id]);
      return;
    }
    branch(static_cast<uint8_t>(0x70 | static_cast<uint8_t>(cc)),
           static_cast<uint8_t>(0x80 | static_cast<uint8_t>(cc)), true, l);
  }
  void jmp(const Label& l) {
    if (!direct()) {
      Base::jmp(asmLabels_[l.id]);
      return;
    }
    branch(0xEB, 0xE9, false, l);
  }
  void jo(const Label& l) { j(asmjit::x86::CondCode::kO, l); }
  void jb(const Label& l) { j(asmjit::x86::CondCode::kB, l); }
  void jae(const Label& l) { j(asmjit::x86::CondCode::kAE, l); }
  void je(const Label& l) { j(asmjit::x86::CondCode::kE, l); }
  void jz(const Label& l) { j(asmjit::x86::CondCode::kZ, l); }
  void jne(const Label& l) { j(asmjit::x86::CondCode::kNE, l); }
  void jnz(const Label& l) { j(asmjit::x86::CondCode::kNZ, l); }
  void jbe(const Label& l) { j(asmjit::x86::CondCode::kBE, l); }
  void js(const Label& l) { j(asmjit::x86::CondCode::kS, l); }
  void jp(const Label& l) { j(asmjit::x86::CondCode::kP, l); }
  /// lea r64, [rip + label]
  void lea(const asmjit::x86::Gpq& dst, const Label& l) {
    if (!direct()) {
      Base::lea(dst, asmjit::x86::ptr(asmLabels_[l.id]));
      return;
    }
    uint8_t* p = reserve();
    *p++ = static_cast<uint8_t>(0x48 | (dst.id() >> 3) << 2);
    *p++ = 0x8D;
    *p++ = static_cast<uint8_t>(0x05 | (dst.id() & 7) << 3);
    commit(rel32To(p, l));
  }
  /// Offset of a bound label in the code.
  uint32_t labelOffset(const Label& l) const {
    if (!direct()) return static_cast<uint32_t>(_code->labelOffset(asmLabels_[l.id]));
    return static_cast<uint32_t>(labels_[l.id].offset);
  }
  /// Forgets the labels of the previous function (and re-reads whether a logger is
  /// attached: call after attaching to a CodeHolder).
  void resetLabels() {
    labels_.clear();
    fixups_.clear();
    asmLabels_.clear();
    updateMode();
  }
  /// Empties the code buffer for the next function, keeping its memory and asmjit's
  /// section state (cheaper than CodeHolder::reset + init + attach). Direct mode only:
  /// asmjit's labels are not reset.
  void rewind() {
    _bufferPtr = _bufferData;
    _section->_buffer._size = 0;
  }
  /// Brings the section's size up to date with the direct encoders' writes (they move
  /// only the write pointer); call before reading the buffer.
  void syncSize() {
    const size_t size = static_cast<size_t>(_bufferPtr - _bufferData);
    if (size > _section->_buffer._size) _section->_buffer._size = size;
  }

  /// Whether the direct encoders are used: not while logging, and not when
  /// WISP_JIT_ASMJIT_ONLY is set (to check them against asmjit's encoder).
  bool direct() const { return direct_; }
  static bool asmjitOnly() {
    static const bool only = std::getenv("WISP_JIT_ASMJIT_ONLY") != nullptr;
    return only;
  }

  // Two-operand ALU opcodes (r/m, reg form) and their /digit for the immediate forms.
  enum Alu : uint8_t { kAdd = 0, kOr = 1, kAnd = 4, kSub = 5, kXor = 6, kCmp = 7 };

  /// mov r32/r64, [mem]
  void loadRM(uint8_t dst, const MemRef& m, bool is64) { rm(is64, 0x8B, dst, m); }
  /// mov [mem], r32/r64
  void storeMR(const MemRef& m, uint8_t src, bool is64) { rm(is64, 0x89, src, m); }
  /// lea r32/r64, [mem]
  void leaRM(uint8_t dst, const MemRef& m, bool is64) { rm(is64, 0x8D, dst, m); }
  /// cmp r, [mem]
  void cmpRM(uint8_t lhs, const MemRef& m, bool is64) { rm(is64, 0x3B, lhs, m); }

  /// mov r, r (32-bit zero-extends)
  void movRR(uint8_t dst, uint8_t src, bool is64) { rr(is64, 0x89, src, dst); }
  /// op r, r for add/or/and/sub/xor/cmp
  void aluRR(Alu op, uint8_t dst, uint8_t src, bool is64) {
    rr(is64, static_cast<uint8_t>(op << 3 | 1), src, dst);
  }
  void testRR(uint8_t a, uint8_t b, bool is64) { rr(is64, 0x85, b, a); }
  /// op r, imm for add/or/and/sub/xor/cmp (imm8 form when it fits)
  void aluRI(Alu op, uint8_t dst, int32_t imm, bool is64) {
    uint8_t* p = reserve();
    p = rex(p, is64, 0, 0, dst, false);
    const bool small = imm >= -128 && imm <= 127;
    if (!small && dst == 0) {  // the accumulator's short form: op eax/rax, imm32
      *p++ = static_cast<uint8_t>(op << 3 | 5);
      commit(imm32(p, imm));
      return;
    }
    *p++ = small ? 0x83 : 0x81;
    *p++ = static_cast<uint8_t>(0xC0 | op << 3 | (dst & 7));
    p = small ? imm8(p, imm) : imm32(p, imm);
    commit(p);
  }
  /// op [mem], imm for add/or/and/sub/xor/cmp (imm8 form when it fits)
  void aluMI(Alu op, const MemRef& m, int32_t imm, bool is64) {
    uint8_t* p = reserve();
    p = rex(p, is64, 0, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base, false);
    const bool small = imm >= -128 && imm <= 127;
    *p++ = small ? 0x83 : 0x81;
    p = modrm(p, op, m);
    p = small ? imm8(p, imm) : imm32(p, imm);
    commit(p);
  }
  /// mov r32, imm32 (zero-extends to 64 bits)
  void movRI32(uint8_t dst, uint32_t imm) {
    uint8_t* p = reserve();
    if (dst >= 8) *p++ = 0x41;
    *p++ = static_cast<uint8_t>(0xB8 | (dst & 7));
    std::memcpy(p, &imm, 4);
    commit(p + 4);
  }
  /// mov r64, imm64 (the sign-extended imm32 form when it fits)
  void movRI64(uint8_t dst, uint64_t imm) {
    uint8_t* p = reserve();
    const int64_t s = static_cast<int64_t>(imm);
    if (s >= INT32_MIN && s <= INT32_MAX) {
      *p++ = static_cast<uint8_t>(0x48 | (dst >> 3));
      *p++ = 0xC7;
      *p++ = static_cast<uint8_t>(0xC0 | (dst & 7));
      commit(imm32(p, static_cast<int32_t>(s)));
      return;
    }
    *p++ = static_cast<uint8_t>(0x48 | (dst >> 3));
    *p++ = static_cast<uint8_t>(0xB8 | (dst & 7));
    std::memcpy(p, &imm, 8);
    commit(p + 8);
  }
  /// mov dword/qword [mem], imm32 (sign-extended for qword)
  void storeMI(const MemRef& m, int32_t imm, bool is64) {
    uint8_t* p = reserve();
    p = rex(p, is64, 0, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base, false);
    *p++ = 0xC7;
    p = modrm(p, 0, m);
    commit(imm32(p, imm));
  }
  /// Two-byte-opcode forms with a memory operand: movzx/movsx (0F B6/B7/BE/BF).
  void rm0F(bool w, uint8_t opcode, uint8_t reg, const MemRef& m) {
    uint8_t* p = reserve();
    p = rex(p, w, reg, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base, false);
    *p++ = 0x0F;
    *p++ = opcode;
    commit(modrm(p, reg, m));
  }
  /// movsxd r64, dword [mem]
  void movsxdRM(uint8_t dst, const MemRef& m) { rm(true, 0x63, dst, m); }
  /// Two-byte-opcode register forms: imul r, r (0F AF), cmovcc r, r (0F 40+cc),
  /// movzx/movsx r, r8/r16. `byteSrc`: the source is a byte register (needs REX
  /// for spl..dil).
  void rr0F(bool w, uint8_t opcode, uint8_t reg, uint8_t rmReg, bool byteSrc = false) {
    uint8_t* p = reserve();
    p = rex(p, w, reg, 0, rmReg, byteSrc && rmReg >= 4);
    *p++ = 0x0F;
    *p++ = opcode;
    *p++ = static_cast<uint8_t>(0xC0 | (reg & 7) << 3 | (rmReg & 7));
    commit(p);
  }
  /// One-byte-opcode register forms: opcode /r with ModRM reg = `reg`, rm = `rmReg`.
  void opRR(bool w, uint8_t opcode, uint8_t reg, uint8_t rmReg) { rr(w, opcode, reg, rmReg); }
  /// One-byte-opcode memory forms (mov [mem], r8/r16, cmp r, [mem], ...). `byteReg`:
  /// `reg` is a byte register (needs REX for spl..dil); `opsize`: a 16-bit operand.
  void opRM(bool w, uint8_t opcode, uint8_t reg, const MemRef& m, bool byteReg = false,
            bool opsize = false) {
    uint8_t* p = reserve();
    if (opsize) *p++ = 0x66;
    p = rex(p, w, reg, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base,
            byteReg && reg >= 4);
    *p++ = opcode;
    commit(modrm(p, reg, m));
  }
  /// mov byte/word [mem], imm8/imm16
  void storeMI8(const MemRef& m, int8_t imm) {
    uint8_t* p = reserve();
    p = rex(p, false, 0, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base, false);
    *p++ = 0xC6;
    p = modrm(p, 0, m);
    *p++ = static_cast<uint8_t>(imm);
    commit(p);
  }
  void storeMI16(const MemRef& m, int16_t imm) {
    uint8_t* p = reserve();
    *p++ = 0x66;
    p = rex(p, false, 0, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base, false);
    *p++ = 0xC7;
    p = modrm(p, 0, m);
    std::memcpy(p, &imm, 2);
    commit(p + 2);
  }
  /// imul r, r, imm (imm8 form when it fits)
  void imulRRI(bool w, uint8_t dst, uint8_t src, int32_t imm) {
    uint8_t* p = reserve();
    p = rex(p, w, dst, 0, src, false);
    const bool small = imm >= -128 && imm <= 127;
    *p++ = small ? 0x6B : 0x69;
    *p++ = static_cast<uint8_t>(0xC0 | (dst & 7) << 3 | (src & 7));
    commit(small ? imm8(p, imm) : imm32(p, imm));
  }
  /// SSE forms: [prefix] [REX] 0F opcode ModRM; `prefix` 0x66/0xF2/0xF3, or 0 for none.
  /// Register numbers are 0-15 for both xmm and general-purpose registers.
  void sseRR(uint8_t prefix, bool w, uint8_t opcode, uint8_t reg, uint8_t rmReg) {
    uint8_t* p = reserve();
    if (prefix) *p++ = prefix;
    p = rex(p, w, reg, 0, rmReg, false);
    *p++ = 0x0F;
    *p++ = opcode;
    *p++ = static_cast<uint8_t>(0xC0 | (reg & 7) << 3 | (rmReg & 7));
    commit(p);
  }
  void sseRM(uint8_t prefix, bool w, uint8_t opcode, uint8_t reg, const MemRef& m) {
    uint8_t* p = reserve();
    if (prefix) *p++ = prefix;
    p = rex(p, w, reg, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base, false);
    *p++ = 0x0F;
    *p++ = opcode;
    commit(modrm(p, reg, m));
  }
  /// Linear-memory access [r15 + index + disp] (index < 0: none), the hottest memory
  /// form: REX is always present (r15), no rbp/rsp special cases. Writes prefix, REX,
  /// opcode (0F-escaped if `esc`), ModRM, SIB and displacement, and returns where an
  /// immediate would go; finish with commitAt.
  __attribute__((always_inline)) uint8_t* heapOp(bool opsize, bool w, bool esc, uint8_t opcode,
                                                 uint8_t reg, int8_t index, int32_t disp) {
    uint8_t* p = reserve();
    if (opsize) *p++ = 0x66;
    *p++ = static_cast<uint8_t>(0x41 | (w ? 8 : 0) | (reg >> 3) << 2 |
                                (index >= 0 ? (index >> 3) << 1 : 0));
    if (esc) *p++ = 0x0F;
    *p++ = opcode;
    const bool d8 = disp >= -128 && disp <= 127;
    const uint8_t mod = disp == 0 ? 0x00 : d8 ? 0x40 : 0x80;
    if (index >= 0) {
      *p++ = static_cast<uint8_t>(mod | (reg & 7) << 3 | 4);
      *p++ = static_cast<uint8_t>((index & 7) << 3 | 7);
    } else {
      *p++ = static_cast<uint8_t>(mod | (reg & 7) << 3 | 7);
    }
    if (disp == 0) return p;
    return d8 ? imm8(p, disp) : imm32(p, disp);
  }
  void commitAt(uint8_t* end) { commit(end); }
  /// Frame-slot forms [rbp + disp] (spills, reloads of locals): opcode /r, as rm()
  /// encodes them, small enough to inline into the compiler's hot paths.
  __attribute__((always_inline)) void frameRM(bool w, uint8_t opcode, uint8_t reg, int32_t disp) {
    uint8_t* p = reserve();
    const uint8_t r = static_cast<uint8_t>(0x40 | (w ? 8 : 0) | (reg >> 3) << 2);
    if (r != 0x40) *p++ = r;
    *p++ = opcode;
    if (disp >= -128 && disp <= 127) {
      *p++ = static_cast<uint8_t>(0x45 | (reg & 7) << 3);
      *p++ = static_cast<uint8_t>(disp);
    } else {
      *p++ = static_cast<uint8_t>(0x85 | (reg & 7) << 3);
      p = imm32(p, disp);
    }
    commit(p);
  }

  /// setcc r8
  void setccR(uint8_t cc, uint8_t dst) {
    uint8_t* p = reserve();
    p = rex(p, false, 0, 0, dst, dst >= 4);
    *p++ = 0x0F;
    *p++ = static_cast<uint8_t>(0x90 | cc);
    *p++ = static_cast<uint8_t>(0xC0 | (dst & 7));
    commit(p);
  }
  /// Shift or rotate by an immediate: /digit 0 rol, 1 ror, 4 shl, 5 shr, 7 sar.
  void shiftRI(uint8_t digit, uint8_t dst, uint8_t count, bool is64) {
    uint8_t* p = reserve();
    p = rex(p, is64, 0, 0, dst, false);
    *p++ = count == 1 ? 0xD1 : 0xC1;
    *p++ = static_cast<uint8_t>(0xC0 | digit << 3 | (dst & 7));
    if (count != 1) *p++ = count;
    commit(p);
  }
  /// push / pop of a 64-bit register, ret, ud2.
  void pushR(uint8_t r) { oneByteReg(0x50, r); }
  void popR(uint8_t r) { oneByteReg(0x58, r); }
  void retN() {
    uint8_t* p = reserve();
    *p++ = 0xC3;
    commit(p);
  }
  void ud2N() {
    uint8_t* p = reserve();
    *p++ = 0x0F;
    *p++ = 0x0B;
    commit(p);
  }
  /// call qword [mem]
  void callM(const MemRef& m) {
    uint8_t* p = reserve();
    p = rex(p, false, 0, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base, false);
    *p++ = 0xFF;
    commit(modrm(p, 2, m));
  }
  /// Raw bytes (call placeholders and the like).
  void bytes(const uint8_t* data, size_t n) {
    uint8_t* p = reserve();
    std::memcpy(p, data, n);
    commit(p + n);
  }

 private:
  struct LabelState {
    int32_t offset = -1;            // bound position, or -1
    uint32_t pending = UINT32_MAX;  // first rel32 field waiting for the label
  };
  struct Fixup {
    uint32_t at;
    uint32_t next;
  };
  // A jump: the short form for a bound label within reach, else rel32 (fixed up later
  // for a label not bound yet).
  void branch(uint8_t shortOpcode, uint8_t nearOpcode, bool conditional, const Label& l) {
    uint8_t* p = reserve();
    const LabelState& s = labels_[l.id];
    if (s.offset >= 0) {
      const int32_t rel8 = s.offset - static_cast<int32_t>(offset() + 2);
      if (rel8 >= -128 && rel8 <= 127) {
        *p++ = shortOpcode;
        commit(imm8(p, rel8));
        return;
      }
    }
    if (conditional) *p++ = 0x0F;
    *p++ = nearOpcode;
    commit(rel32To(p, l));
  }
  // Writes the rel32 field (at p) for a jump or rip-relative reference to `l`.
  uint8_t* rel32To(uint8_t* p, const Label& l) {
    LabelState& s = labels_[l.id];
    const uint32_t at = static_cast<uint32_t>(p - _bufferData);
    if (s.offset >= 0) {
      const int32_t rel = s.offset - static_cast<int32_t>(at + 4);
      std::memcpy(p, &rel, 4);
    } else {
      fixups_.push_back(Fixup{at, s.pending});
      s.pending = static_cast<uint32_t>(fixups_.size() - 1);
      std::memset(p, 0, 4);
    }
    return p + 4;
  }

  void updateMode() { direct_ = _logger == nullptr && !asmjitOnly(); }

  PodVector<LabelState> labels_;
  PodVector<Fixup> fixups_;
  std::vector<asmjit::Label> asmLabels_;  // while not direct
  bool direct_ = false;

  void oneByteReg(uint8_t opcode, uint8_t r) {
    uint8_t* p = reserve();
    if (r >= 8) *p++ = 0x41;
    *p++ = static_cast<uint8_t>(opcode | (r & 7));
    commit(p);
  }
  // Makes room for one instruction (at most 16 bytes) and returns where it goes.
  uint8_t* reserve() {
    if (static_cast<size_t>(_bufferEnd - _bufferPtr) < 16) [[unlikely]]
      return grow();
    return _bufferPtr;
  }
  [[gnu::noinline, gnu::cold]] uint8_t* grow() {
    syncSize();
    _code->growBuffer(&_section->_buffer, 16);  // asmjit re-points _buffer*
    return _bufferPtr;
  }
  // The section's size is brought up to date lazily (syncSize): asmjit's own
  // instructions update it from the write pointer, which is always at the end.
  void commit(uint8_t* end) { _bufferPtr = end; }
  static uint8_t* rex(uint8_t* p, bool w, uint8_t reg, uint8_t index, uint8_t base, bool force) {
    const uint8_t r = static_cast<uint8_t>(0x40 | (w ? 8 : 0) | (reg >> 3) << 2 |
                                           (index >> 3) << 1 | (base >> 3));
    if (r != 0x40 || force) *p++ = r;
    return p;
  }
  static uint8_t* imm8(uint8_t* p, int32_t v) {
    *p++ = static_cast<uint8_t>(static_cast<int8_t>(v));
    return p;
  }
  static uint8_t* imm32(uint8_t* p, int32_t v) {
    std::memcpy(p, &v, 4);
    return p + 4;
  }
  // ModRM (+SIB, +displacement) for a memory operand.
  static uint8_t* modrm(uint8_t* p, uint8_t reg, const MemRef& m) {
    const uint8_t base = m.base & 7;
    const bool needsDisp = m.disp != 0 || base == 5;  // rbp/r13 have no no-disp form
    const bool d8 = m.disp >= -128 && m.disp <= 127;
    const uint8_t mod = !needsDisp ? 0 : d8 ? 1 : 2;
    if (m.index < 0 && base != 4) {
      *p++ = static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | base);
    } else {
      *p++ = static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | 4);
      const uint8_t index = m.index < 0 ? 4 : static_cast<uint8_t>(m.index & 7);
      *p++ = static_cast<uint8_t>(m.scale << 6 | index << 3 | base);
    }
    if (mod == 1) return imm8(p, m.disp);
    if (mod == 2) return imm32(p, m.disp);
    return p;
  }
  __attribute__((always_inline)) void rm(bool w, uint8_t opcode, uint8_t reg, const MemRef& m) {
    uint8_t* p = reserve();
    if (m.index < 0 && (m.base & 7) != 4) [[likely]] {
      // [base + disp] (frame slots, context fields): no SIB byte.
      const uint8_t r = static_cast<uint8_t>(0x40 | (w ? 8 : 0) | (reg >> 3) << 2 | (m.base >> 3));
      if (r != 0x40) *p++ = r;
      *p++ = opcode;
      const uint8_t regBase = static_cast<uint8_t>((reg & 7) << 3 | (m.base & 7));
      if (m.disp == 0 && (m.base & 7) != 5) {
        *p++ = regBase;
      } else if (m.disp >= -128 && m.disp <= 127) {
        *p++ = static_cast<uint8_t>(0x40 | regBase);
        *p++ = static_cast<uint8_t>(m.disp);
      } else {
        *p++ = static_cast<uint8_t>(0x80 | regBase);
        p = imm32(p, m.disp);
      }
      commit(p);
      return;
    }
    p = rex(p, w, reg, m.index < 0 ? 0 : static_cast<uint8_t>(m.index), m.base, false);
    *p++ = opcode;
    commit(modrm(p, reg, m));
  }
  void rr(bool w, uint8_t opcode, uint8_t reg, uint8_t rmReg) {
    uint8_t* p = reserve();
    p = rex(p, w, reg, 0, rmReg, false);
    *p++ = opcode;
    *p++ = static_cast<uint8_t>(0xC0 | (reg & 7) << 3 | (rmReg & 7));
    commit(p);
  }
};

}  // namespace wisp::jit::x64
