// Opcode enumeration and per-opcode properties, all generated from opcodes.def.
#pragma once

#include <cstdint>

namespace wisp {

/// Every instruction of the binary format. The value is the dense code from
/// opcodes.def: the byte for single-byte opcodes, 0xFCnn / 0xFDnn for prefixed ones.
enum class Op : uint16_t {
#define WISP_OP(name, text, code, imm, sig, align) name = code,
#include "decoder/opcodes.def"
#undef WISP_OP
};

/// The kind of immediate that follows an opcode in the binary.
enum class Immediate : uint8_t {
  None,
  BlockType,
  Label,
  BrTable,
  Func,
  CallIndirect,
  Local,
  Global,
  Table,
  MemArg,
  Memory,
  I32,
  I64,
  F32,
  F64,
  V128,
  Shuffle,
  Lane,
  MemArgLane,
  SelectT,
  RefType,
  MemoryInit,
  Data,
  MemoryCopy,
  Elem,
  TableInit,
  TableCopy,
};

/// Operand signature of "simple" instructions: Result_Params (I=i32 L=i64 F=f32 D=f64
/// V=v128 X=nothing). Special means the validator types the instruction by hand.
enum class Sig : uint8_t {
  Special,
  I_X,
  L_X,
  F_X,
  D_X,
  V_X,
  I_I,
  I_II,
  I_L,
  I_LL,
  I_F,
  I_FF,
  I_D,
  I_DD,
  I_V,
  L_I,
  L_L,
  L_LL,
  L_F,
  L_D,
  L_V,
  F_I,
  F_L,
  F_F,
  F_FF,
  F_D,
  F_V,
  D_I,
  D_L,
  D_F,
  D_D,
  D_DD,
  D_V,
  V_I,
  V_L,
  V_F,
  V_D,
  V_V,
  V_VV,
  V_VVV,
  V_VI,
  V_VL,
  V_VF,
  V_VD,
  V_IV,
  X_II,
  X_IL,
  X_IF,
  X_ID,
  X_IV,
};

/// Dense index of an opcode's properties: 0x000-0x0FF single byte, 0x100-0x1FF the
/// 0xFC page, 0x200-0x2FF the 0xFD page.
constexpr uint32_t opIndex(uint16_t code) {
  return code < 0x100 ? code : code >= 0xFD00 ? 0x200 + (code & 0xFF) : 0x100 + (code & 0xFF);
}
constexpr uint32_t opIndex(Op op) { return opIndex(static_cast<uint16_t>(op)); }
constexpr uint32_t kOpTableSize = 0x300;

/// Static properties of one opcode.
struct OpInfo {
  const char* text;  // nullptr for codes that are not instructions
  Immediate immediate;
  Sig sig;
  uint8_t log2Align;  // memory ops: natural alignment; lane ops: log2 of lane count
};

namespace detail {
struct OpTable {
  OpInfo entries[kOpTableSize] = {};
  constexpr OpTable() {
#define WISP_OP(name, text_, code, imm, sig_, align) \
  entries[opIndex(code)] = OpInfo{text_, Immediate::imm, Sig::sig_, align};
#include "decoder/opcodes.def"
#undef WISP_OP
  }
};
inline constexpr OpTable kOpTable{};
}  // namespace detail

inline const OpInfo& opInfo(Op op) { return detail::kOpTable.entries[opIndex(op)]; }
inline const OpInfo& opInfoByIndex(uint32_t index) { return detail::kOpTable.entries[index]; }
inline const char* opName(Op op) {
  const char* t = opInfo(op).text;
  return t ? t : "<unknown>";
}

}  // namespace wisp
