// The decoded form of a module: what the binary says, section by section, with function
// bodies left as byte ranges for the validator/compiler's single pass.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "decoder/types.h"

namespace wisp::decoder {

/// A constant expression (3.3.10). 2.0 expressions are one instruction, kept decoded;
/// longer ones (extended-const) keep only their byte range and are evaluated from it.
struct ConstExpr {
  enum class Kind : uint8_t { I32, I64, F32, F64, V128, RefNull, RefFunc, GlobalGet, Complex };
  Kind kind = Kind::I32;
  ValType type = ValType::I32;  // the type the expression produces
  uint64_t value = 0;           // bits of the constant, or the func/global index
  uint64_t high = 0;            // upper half of a v128 constant
  uint32_t offset = 0;          // byte range of the whole expression, `end` included
  uint32_t size = 0;
};

struct Import {
  uint32_t offset = 0;  // of the entry, for error messages
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t funcType = 0;  // kind == Func
  TableType table;        // kind == Table
  MemoryType memory;      // kind == Memory
  GlobalType global;      // kind == Global
};

struct Export {
  uint32_t offset = 0;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
};

struct Global {
  GlobalType type;
  ConstExpr init;  // unused for imported globals
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };

/// An element segment (5.5.12), all 8 binary forms normalised.
struct ElemSegment {
  uint32_t offset = 0;  // of the segment entry
  SegmentMode mode = SegmentMode::Active;
  uint32_t table = 0;
  ConstExpr offsetExpr;  // Active only
  ValType type = ValType::FuncRef;
  /// Forms with function indices fill funcIndices; forms with expressions fill exprs.
  bool usesExprs = false;
  std::vector<uint32_t> funcIndices;
  std::vector<ConstExpr> exprs;
  uint32_t size() const {
    return static_cast<uint32_t>(usesExprs ? exprs.size() : funcIndices.size());
  }
};

/// A data segment (5.5.14); its bytes stay in the module's byte buffer.
struct DataSegment {
  uint32_t offset = 0;  // of the segment entry
  SegmentMode mode = SegmentMode::Active;
  uint32_t memory = 0;
  ConstExpr offsetExpr;  // Active only
  uint32_t dataOffset = 0;
  uint32_t dataSize = 0;
};

/// A defined function's body: byte range of locals declarations plus instructions,
/// i.e. everything after the body's size field.
struct FunctionBody {
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct CustomSection {
  std::string name;
  uint32_t offset = 0;  // payload after the name
  uint32_t size = 0;
};

/// A decoded module. Function bodies and data segments refer into `bytes`, which the
/// module owns (ownedBytes) or, for validation only, borrows from the caller.
struct Module {
  Module() = default;
  Module(Module&&) = default;  // the byte view stays valid: vector moves keep their buffer
  Module& operator=(Module&&) = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  std::span<const uint8_t> bytes;
  std::vector<uint8_t> ownedBytes;

  std::vector<FuncType> types;
  std::vector<Import> imports;
  /// Function index space: imported functions first. Each entry is a type index.
  std::vector<uint32_t> functions;
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<Global> globals;
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  uint32_t startOffset = 0;
  /// Byte offsets of declarations, parallel to functions/tables/memories (imports
  /// included), for error messages.
  std::vector<uint32_t> functionOffsets;
  std::vector<uint32_t> tableOffsets;
  std::vector<uint32_t> memoryOffsets;
  std::vector<ElemSegment> elems;
  std::optional<uint32_t> dataCount;
  std::vector<FunctionBody> bodies;  // one per defined function
  std::vector<DataSegment> datas;
  std::vector<CustomSection> customs;

  uint32_t numImportedFunctions = 0;
  uint32_t numImportedTables = 0;
  uint32_t numImportedMemories = 0;
  uint32_t numImportedGlobals = 0;

  /// Byte offset of the code section's payload (for error messages and source maps).
  uint32_t codeSectionOffset = 0;
  uint32_t codeSectionSize = 0;

  /// From the "name" section, read leniently: function index -> name.
  std::unordered_map<uint32_t, std::string> functionNames;

  /// C.refs (3.4.10): functions that ref.func may name inside function bodies.
  std::vector<bool> declaredFunctionRefs;

  const FuncType& functionType(uint32_t funcIndex) const { return types[functions[funcIndex]]; }
  uint32_t numDefinedFunctions() const {
    return static_cast<uint32_t>(functions.size()) - numImportedFunctions;
  }
  /// Name of a function for messages: its name-section name, else "function N".
  std::string functionDisplayName(uint32_t funcIndex) const;
};

}  // namespace wisp::decoder
