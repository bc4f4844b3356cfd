// The spec's vocabulary of types (2.3): value types, function types, limits, and the
// types of tables, memories and globals. Shared by every later stage.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace wisp {

/// A value type, with the binary format's byte as its value (5.3.1-5.3.4).
enum class ValType : uint8_t {
  I32 = 0x7F,
  I64 = 0x7E,
  F32 = 0x7D,
  F64 = 0x7C,
  V128 = 0x7B,
  FuncRef = 0x70,
  ExternRef = 0x6F,
  /// The unknown type of values popped in unreachable code (the spec's "bot").
  Bottom = 0x00,
};

inline bool isNumeric(ValType t) {
  return t == ValType::I32 || t == ValType::I64 || t == ValType::F32 || t == ValType::F64;
}
inline bool isReference(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
inline bool isValidValTypeByte(uint8_t b) {
  return (b >= 0x7B && b <= 0x7F) || b == 0x70 || b == 0x6F;
}
const char* valTypeName(ValType t);

/// A function type: parameters then results in one vector.
struct FuncType {
  std::vector<ValType> types;
  uint32_t numParams = 0;

  std::span<const ValType> params() const { return {types.data(), numParams}; }
  std::span<const ValType> results() const {
    return {types.data() + numParams, types.size() - numParams};
  }
  uint32_t numResults() const { return static_cast<uint32_t>(types.size()) - numParams; }
  bool operator==(const FuncType& other) const = default;
  std::string toString() const;
};

/// Limits of a table or memory (5.3.7). `max` is meaningful only when hasMax.
struct Limits {
  uint64_t min = 0;
  uint64_t max = 0;
  bool hasMax = false;
  bool shared = false;  // threads proposal
  bool is64 = false;    // memory64 proposal
};

struct TableType {
  ValType elemType = ValType::FuncRef;
  Limits limits;
};

struct MemoryType {
  Limits limits;
};

struct GlobalType {
  ValType type = ValType::I32;
  bool isMutable = false;
};

/// What an import or export refers to (5.5.10).
enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };
const char* externKindName(ExternKind k);

/// Page size of linear memory and the 2.0 bound on 32-bit memory pages.
constexpr uint64_t kPageSize = 65536;
constexpr uint64_t kMaxMemory32Pages = 65536;

}  // namespace wisp
