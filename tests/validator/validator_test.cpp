// Validation (3.3, 3.4) with hand-assembled function bodies and modules: each rule has
// valid and invalid examples; a Listener checks which instructions count as live.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "decoder/decoder.h"
#include "decoder/limits.h"
#include "support/error_matchers.h"
#include "support/wasm_builder.h"
#include "validator/function_validator.h"
#include "validator/module_validator.h"

namespace wisp::validator {
namespace {

using namespace wisp::test;

// Opcodes used below (5.4).
enum : uint8_t {
  kUnreachable = 0x00,
  kNop = 0x01,
  kBlock = 0x02,
  kLoop = 0x03,
  kIf = 0x04,
  kElse = 0x05,
  kEnd = 0x0B,
  kBr = 0x0C,
  kBrIf = 0x0D,
  kBrTable = 0x0E,
  kReturn = 0x0F,
  kCall = 0x10,
  kCallIndirect = 0x11,
  kDrop = 0x1A,
  kSelect = 0x1B,
  kSelectT = 0x1C,
  kLocalGet = 0x20,
  kLocalSet = 0x21,
  kLocalTee = 0x22,
  kGlobalGet = 0x23,
  kGlobalSet = 0x24,
  kTableGet = 0x25,
  kI32Load = 0x28,
  kI64Load = 0x29,
  kI32Load8U = 0x2D,
  kI32Store16 = 0x3B,
  kMemorySize = 0x3F,
  kMemoryGrow = 0x40,
  kI32Const = 0x41,
  kI64Const = 0x42,
  kF32Const = 0x43,
  kF64Const = 0x44,
  kI32Eqz = 0x45,
  kI32Add = 0x6A,
  kI32Sub = 0x6B,
  kI64Add = 0x7C,
  kRefNull = 0xD0,
  kRefIsNull = 0xD1,
  kRefFunc = 0xD2,
  kPrefixFC = 0xFC,
  kPrefixFD = 0xFD,
};
// 0xFC sub-opcodes.
enum : uint8_t {
  kMemoryInit = 8,
  kDataDrop = 9,
  kMemoryCopy = 10,
  kMemoryFill = 11,
  kTableInit = 12,
  kElemDrop = 13,
  kTableCopy = 14,
};

Bytes i32(int32_t v) { return cat(kI32Const, s32(v)); }
Bytes i64(int64_t v) { return cat(kI64Const, s64(v)); }
Bytes f32() { return {kF32Const, 0, 0, 0, 0}; }
Bytes f64() { return {kF64Const, 0, 0, 0, 0, 0, 0, 0, 0}; }
Bytes v128() { return cat(kPrefixFD, 0x0C, Bytes(16, 0)); }

// The outcome of validating a module with one function under test.
struct Checked {
  std::string error;       // "" when the module is valid
  uint32_t codeStart = 0;  // offset of the tested function's first instruction
};

// Adds a function of type params -> results with `locals` and `code` to `mb`, then
// decodes and validates the module.
Checked checkFunc(ModuleBuilder mb, const Bytes& params, const Bytes& results, const Bytes& code,
                  const Bytes& locals = vec(), const Features& features = {}) {
  mb.func(mb.type(params, results), locals, code);
  auto m = decoder::decodeModule(mb.build(), features);
  if (!m) return {"decode failed: " + m.error().message, 0};
  Checked c;
  c.codeStart = m->bodies.back().offset + static_cast<uint32_t>(locals.size());
  c.error = errorOf(validateModule(*m, features));
  return c;
}

// The error of a ()->() (or params->results) function in an otherwise empty module.
std::string body(const Bytes& code) { return checkFunc({}, {}, {}, code).error; }
std::string body(const Bytes& params, const Bytes& results, const Bytes& code) {
  return checkFunc({}, params, results, code).error;
}
std::string bodyIn(const ModuleBuilder& mb, const Bytes& code) {
  return checkFunc(mb, {}, {}, code).error;
}

// Decodes and validates a whole module.
std::string moduleError(const ModuleBuilder& mb, const Features& features = {}) {
  return errorOf(decodeAndValidate(mb.build(), features));
}

ModuleBuilder withMemory() {
  ModuleBuilder mb;
  mb.memories.push_back(limitsOf(1));
  return mb;
}

// ---- type mismatches and the operand stack --------------------------------------------

TEST(OperandTypes, MismatchNamesInstructionAndTypes) {
  // i32.const 1 (0-1), i64.const 2 (2-3), i32.add (4).
  Checked c = checkFunc({}, {}, {}, cat(i32(1), i64(2), kI32Add, kDrop, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 4,
                         "function 0: type mismatch in i32.add: expected i32, got i64"));
  EXPECT_EQ(body(cat(i32(1), i32(2), kI32Add, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(body(cat(i64(1), i64(2), kI32Add, kDrop, kEnd)), "expected i32, got i64"));
  EXPECT_TRUE(hasError(body(cat(f32(), kI32Eqz, kDrop, kEnd)),
                       "type mismatch in i32.eqz: expected i32, got f32"));
}

TEST(OperandTypes, FunctionResults) {
  EXPECT_EQ(body({}, {kI32}, cat(i32(0), kEnd)), "");
  EXPECT_EQ(body({}, {kI32, kI64}, cat(i32(0), i64(0), kEnd)), "");
  EXPECT_TRUE(
      hasError(body({}, {kI32}, cat(i64(0), kEnd)), "type mismatch in end: expected i32, got i64"));
  EXPECT_TRUE(hasError(body({}, {kI32}, {kEnd}), "expected i32, got nothing"));
  EXPECT_TRUE(hasError(body({}, {kI32, kI64}, cat(i64(0), i32(0), kEnd)), "type mismatch"));
  EXPECT_TRUE(
      hasError(body({}, {}, cat(i32(0), kEnd)), "values remaining on the stack at end of block"));
  EXPECT_TRUE(hasError(body({}, {kI32}, cat(i32(0), i32(0), kEnd)), "values remaining"));
}

TEST(OperandTypes, LocalsAndCalls) {
  EXPECT_EQ(body({kI64}, {kI64}, cat(kLocalGet, 0, kEnd)), "");
  EXPECT_TRUE(hasError(body({kI64}, {}, cat(i32(0), kLocalSet, 0, kEnd)),
                       "type mismatch in local.set: expected i64, got i32"));
  EXPECT_TRUE(hasError(body({kF32}, {}, cat(i32(0), kLocalTee, 0, kDrop, kEnd)),
                       "type mismatch in local.tee"));
  // Function 0 is [i32 i64] -> [f32]; the tested function calls it.
  ModuleBuilder mb;
  mb.func(mb.type({kI32, kI64}, {kF32}), {kUnreachable, kEnd});
  EXPECT_EQ(bodyIn(mb, cat(i32(1), i64(2), kCall, 0, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i64(2), i32(1), kCall, 0, kDrop, kEnd)),
                       "type mismatch in call: expected i64, got i32"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(1), i64(2), kCall, 0, kEnd)), "values remaining"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i64(2), kCall, 0, kDrop, kEnd)), "got nothing"));
}

TEST(OperandTypes, StackUnderflow) {
  Checked c = checkFunc({}, {}, {}, {kI32Add, kDrop, kEnd});
  EXPECT_TRUE(
      hasErrorAt(c.error, c.codeStart, "type mismatch in i32.add: expected i32, got nothing"));
  EXPECT_TRUE(hasError(body({kDrop, kEnd}), "type mismatch in drop"));
  EXPECT_TRUE(hasError(body(cat(i32(1), kI32Add, kDrop, kEnd)), "got nothing"));
  // A block cannot reach the values below it: i32.add at 6 sees one operand.
  c = checkFunc({}, {}, {}, cat(i32(1), kBlock, kVoid, i32(2), kI32Add, kDrop, kEnd, kDrop, kEnd));
  EXPECT_TRUE(
      hasErrorAt(c.error, c.codeStart + 6, "type mismatch in i32.add: expected i32, got nothing"));
}

TEST(OperandTypes, RefIsNullNeedsAReference) {
  EXPECT_EQ(body(cat(kRefNull, kExternRef, kRefIsNull, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(body(cat(i32(0), kRefIsNull, kDrop, kEnd)),
                       "type mismatch in ref.is_null: expected a reference, got i32"));
  EXPECT_EQ(body(cat(kUnreachable, kRefIsNull, kDrop, kEnd)), "");
}

// ---- unknown indices ------------------------------------------------------------------

TEST(UnknownIndices, Locals) {
  // One i32 parameter and two f32 locals: indices 0-2.
  const Bytes locals = vec(cat(0x02, kF32));
  Checked c = checkFunc({}, {kI32}, {}, cat(kLocalGet, 2, kDrop, kEnd), locals);
  EXPECT_EQ(c.error, "");
  c = checkFunc({}, {kI32}, {}, cat(kLocalGet, 3, kDrop, kEnd), locals);
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart, "unknown local 3"));
  EXPECT_TRUE(hasError(body(cat(i32(0), kLocalSet, 0, kEnd)), "unknown local 0"));
  EXPECT_TRUE(hasError(body(cat(i32(0), kLocalTee, u32(0xFFFFFFFF), kDrop, kEnd)),
                       "unknown local 4294967295"));
}

TEST(UnknownIndices, GlobalsFunctionsTypes) {
  EXPECT_TRUE(hasError(body(cat(kGlobalGet, 0, kDrop, kEnd)), "unknown global 0"));
  EXPECT_TRUE(hasError(body(cat(i32(0), kGlobalSet, 0, kEnd)), "unknown global 0"));
  ModuleBuilder mb;
  mb.globals.push_back(cat(kI32, 0x01, i32Const(0)));
  EXPECT_EQ(bodyIn(mb, cat(kGlobalGet, 0, kGlobalSet, 0, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(kGlobalGet, 1, kDrop, kEnd)), "unknown global 1"));

  // The function under test is function 0; function 1 does not exist.
  EXPECT_EQ(body({kCall, 0, kEnd}), "");
  EXPECT_TRUE(hasError(body({kCall, 1, kEnd}), "unknown function 1"));

  ModuleBuilder table;
  table.tables.push_back(cat(kFuncRef, limitsOf(1)));
  EXPECT_EQ(bodyIn(table, cat(i32(0), kCallIndirect, 0, 0, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(table, cat(i32(0), kCallIndirect, 5, 0, kEnd)), "unknown type 5"));
  EXPECT_TRUE(hasError(body(cat(kBlock, 7, kEnd, kEnd)), "unknown type 7"));
  // A negative s33 other than the single-byte block types is malformed.
  EXPECT_TRUE(hasError(body(cat(kBlock, 0x7A, kEnd, kEnd)), "malformed block type"));
}

TEST(UnknownIndices, TablesAndMemories) {
  EXPECT_TRUE(hasError(body(cat(i32(0), kTableGet, 0, kDrop, kEnd)), "unknown table 0"));
  EXPECT_TRUE(hasError(body(cat(i32(0), kCallIndirect, 0, 0, kEnd)), "unknown table 0"));
  ModuleBuilder externTable;
  externTable.tables.push_back(cat(kExternRef, limitsOf(1)));
  EXPECT_TRUE(hasError(bodyIn(externTable, cat(i32(0), kCallIndirect, 0, 0, kEnd)),
                       "call_indirect on a table of externref"));
  EXPECT_EQ(bodyIn(externTable, cat(i32(0), kTableGet, 0, kDrop, kEnd)), "");
  EXPECT_TRUE(
      hasError(bodyIn(externTable, cat(i32(0), kTableGet, 1, kDrop, kEnd)), "unknown table 1"));

  Checked c = checkFunc({}, {}, {}, cat(i32(0), kI32Load, 2, 0, kDrop, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 2, "unknown memory 0"));
  EXPECT_TRUE(hasError(body(cat(kMemorySize, 0, kDrop, kEnd)), "unknown memory 0"));
  EXPECT_TRUE(hasError(body(cat(i32(1), kMemoryGrow, 0, kDrop, kEnd)), "unknown memory 0"));
  EXPECT_EQ(bodyIn(withMemory(), cat(kMemorySize, 0, kDrop, kEnd)), "");
  // In 2.0 the memory index of memory.size is a single zero byte.
  EXPECT_TRUE(
      hasError(bodyIn(withMemory(), cat(kMemorySize, 1, kDrop, kEnd)), "zero byte expected"));
}

TEST(UnknownIndices, Labels) {
  EXPECT_EQ(body({kBr, 0, kEnd}), "");  // the function's own label
  Checked c = checkFunc({}, {}, {}, {kBr, 1, kEnd});
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart, "unknown label 1"));
  EXPECT_EQ(body({kBlock, kVoid, kBr, 1, kEnd, kEnd}), "");
  EXPECT_TRUE(hasError(body({kBlock, kVoid, kBr, 2, kEnd, kEnd}), "unknown label 2"));
  EXPECT_TRUE(hasError(body(cat(i32(0), kBrIf, 1, kEnd)), "unknown label 1"));
  EXPECT_TRUE(hasError(body(cat(i32(0), kBrTable, 1, 0, 1, kEnd)), "unknown label 1"));
  EXPECT_TRUE(hasError(body(cat(i32(0), kBrTable, 1, 1, 0, kEnd)), "unknown label 1"));
}

// ---- the unreachable (polymorphic) stack -------------------------------------------------

TEST(Unreachable, StackIsPolymorphicAfterwards) {
  EXPECT_EQ(body({}, {kI32}, {kUnreachable, kEnd}), "");
  EXPECT_EQ(body({}, {kI32}, {kUnreachable, kI32Add, kEnd}), "");
  EXPECT_EQ(body({}, {kI32, kF64}, {kUnreachable, kEnd}), "");
  EXPECT_EQ(body(cat(kUnreachable, i64(0), kI64Add, kDrop, kEnd)), "");
  EXPECT_EQ(body({kUnreachable, kSelect, kDrop, kEnd}), "");
  EXPECT_EQ(body({kUnreachable, kDrop, kDrop, kDrop, kEnd}), "");
  EXPECT_EQ(body({}, {kI32}, cat(i32(0), kReturn, kI64Add, kDrop, kI32Eqz, kEnd)), "");
  EXPECT_EQ(body({kBlock, kVoid, kBr, 0, kI32Add, kDrop, kEnd, kEnd}), "");
  EXPECT_EQ(body({}, {kI32}, {kBlock, kI32, kUnreachable, kEnd, kEnd}), "");
}

TEST(Unreachable, PushedValuesAreStillTyped) {
  EXPECT_TRUE(hasError(body({}, {kI32}, cat(kUnreachable, i64(0), kEnd)),
                       "type mismatch in end: expected i32, got i64"));
  EXPECT_TRUE(hasError(body(cat(kUnreachable, i64(0), kI32Add, kDrop, kEnd)),
                       "type mismatch in i32.add: expected i32, got i64"));
  EXPECT_TRUE(hasError(body(cat(kUnreachable, i32(0), kEnd)), "values remaining"));
  EXPECT_TRUE(hasError(body({kUnreachable, kI32Add, kEnd}), "values remaining"));
}

TEST(Unreachable, PolymorphismEndsWithTheFrame) {
  // A block inside unreachable code starts with an ordinary, empty stack.
  EXPECT_TRUE(hasError(body({kUnreachable, kBlock, kVoid, kI32Add, kDrop, kEnd, kEnd}),
                       "type mismatch in i32.add: expected i32, got nothing"));
  // After a block whose end was unreachable, the enclosing frame is not polymorphic.
  Checked c = checkFunc({}, {}, {}, {kBlock, kVoid, kUnreachable, kEnd, kI32Add, kDrop, kEnd});
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 4, "type mismatch in i32.add"));
  // The else arm of an if starts afresh after an unreachable then arm.
  EXPECT_TRUE(
      hasError(body(cat(i32(1), kIf, kVoid, kUnreachable, kElse, kI32Add, kDrop, kEnd, kEnd)),
               "type mismatch in i32.add"));
}

// ---- blocks, loops and ifs ------------------------------------------------------------

TEST(Blocks, MultiValueParamsAndResults) {
  ModuleBuilder mb;
  const uint32_t pairToOne = mb.type({kI32, kI32}, {kI32});  // type 0
  const uint32_t makePair = mb.type({}, {kI32, kI64});       // type 1
  ASSERT_EQ(pairToOne, 0u);
  ASSERT_EQ(makePair, 1u);
  EXPECT_EQ(bodyIn(mb, cat(i32(1), i32(2), kBlock, 0, kI32Add, kEnd, kDrop, kEnd)), "");
  EXPECT_EQ(bodyIn(mb, cat(kBlock, 1, i32(1), i64(2), kEnd, kDrop, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(kBlock, 1, i64(2), i32(1), kEnd, kDrop, kDrop, kEnd)),
                       "type mismatch"));
  // The block's results are typed on the outside: i64 on top, then i32.
  EXPECT_EQ(bodyIn(mb, cat(kBlock, 1, i32(1), i64(2), kEnd, kDrop, kI32Eqz, kDrop, kEnd)), "");
  EXPECT_TRUE(
      hasError(bodyIn(mb, cat(kBlock, 1, i32(1), i64(2), kEnd, kI32Eqz, kDrop, kDrop, kEnd)),
               "type mismatch in i32.eqz: expected i32, got i64"));
  // Parameters are taken from the stack before the block.
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(1), kBlock, 0, kI32Add, kEnd, kDrop, kEnd)),
                       "type mismatch in block: expected i32, got nothing"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(1), i64(2), kBlock, 0, kI32Add, kEnd, kDrop, kEnd)),
                       "type mismatch in block: expected i32, got i64"));
  // A branch out of a block carries its results.
  EXPECT_EQ(bodyIn(mb, cat(kBlock, 1, i32(1), i64(2), kBr, 0, kEnd, kDrop, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(kBlock, 1, i64(2), kBr, 0, kEnd, kDrop, kDrop, kEnd)),
                       "type mismatch in br"));
}

TEST(Blocks, LoopLabelCarriesParams) {
  ModuleBuilder mb;
  mb.type({kI32}, {kI32});  // type 0
  mb.type({kI32}, {kI64});  // type 1
  // Loop [i32] -> [i32] with a conditional back edge carrying the i32.
  EXPECT_EQ(
      checkFunc(mb, {kI32}, {kI32}, cat(kLocalGet, 0, kLoop, 0, kLocalGet, 0, kBrIf, 0, kEnd, kEnd))
          .error,
      "");
  // A branch to a loop [i32] -> [i64] passes an i32 (its params), not its results.
  EXPECT_EQ(checkFunc(mb, {}, {kI64}, cat(i32(0), kLoop, 1, kBr, 0, kEnd, kEnd)).error, "");
  EXPECT_TRUE(hasError(
      checkFunc(mb, {}, {kI64}, cat(i32(0), kLoop, 1, kDrop, i64(0), kBr, 0, kEnd, kEnd)).error,
      "type mismatch in br: expected i32, got i64"));
  // Falling out of the loop gives its results.
  EXPECT_EQ(checkFunc(mb, {}, {kI64}, cat(i32(0), kLoop, 1, kDrop, i64(0), kEnd, kEnd)).error, "");
}

TEST(Blocks, IfWithParams) {
  ModuleBuilder mb;
  mb.type({kI32}, {kI32});  // type 0
  // 10, condition 1: then adds 1, else subtracts 2.
  EXPECT_EQ(
      checkFunc(mb, {}, {kI32},
                cat(i32(10), i32(1), kIf, 0, i32(1), kI32Add, kElse, i32(2), kI32Sub, kEnd, kEnd))
          .error,
      "");
  EXPECT_TRUE(hasError(
      checkFunc(mb, {}, {kI32}, cat(i32(10), i32(1), kIf, 0, kElse, kDrop, i64(0), kEnd, kEnd))
          .error,
      "type mismatch in end: expected i32, got i64"));
  // The condition is popped first, then the parameters.
  EXPECT_TRUE(hasError(checkFunc(mb, {}, {kI32}, cat(i32(1), kIf, 0, kElse, kEnd, kEnd)).error,
                       "type mismatch in if: expected i32, got nothing"));
  EXPECT_TRUE(hasError(body(cat(i64(1), kIf, kVoid, kEnd, kEnd)),
                       "type mismatch in if: expected i32, got i64"));
}

TEST(Blocks, IfWithoutElseMustNotChangeTheStack) {
  ModuleBuilder mb;
  mb.type({kI32}, {kI32});  // type 0
  mb.type({kI32}, {kI64});  // type 1
  Checked c = checkFunc({}, {}, {}, cat(i32(1), kIf, kI32, i32(1), kEnd, kDrop, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 6, "if without else must not change the stack"));
  // [i32] -> [i32] without else: the implicit else passes the parameter through.
  EXPECT_EQ(
      checkFunc(mb, {}, {}, cat(i32(5), i32(1), kIf, 0, i32(1), kI32Add, kEnd, kDrop, kEnd)).error,
      "");
  EXPECT_TRUE(hasError(
      checkFunc(mb, {}, {}, cat(i32(5), i32(1), kIf, 1, kDrop, i64(0), kEnd, kDrop, kEnd)).error,
      "if without else must not change the stack"));
  // With an else arm the same if is fine.
  EXPECT_EQ(body(cat(i32(1), kIf, kI32, i32(1), kElse, i32(2), kEnd, kDrop, kEnd)), "");
}

TEST(Blocks, ElseAndEndStructure) {
  EXPECT_TRUE(hasError(body({kBlock, kVoid, kElse, kEnd, kEnd}), "else without matching if"));
  EXPECT_TRUE(hasError(body(cat(i32(1), kIf, kVoid, kElse, kElse, kEnd, kEnd)),
                       "else without matching if"));
  EXPECT_TRUE(hasError(body(cat(i32(1), kIf, kVoid, i32(2), kElse, kEnd, kEnd)),
                       "values remaining on the stack before else"));
  EXPECT_TRUE(
      hasError(body({kBlock, kVoid, kEnd}), "unexpected end of function (END opcode expected)"));
  EXPECT_TRUE(hasError(body({kNop}), "unexpected end of function"));
  Checked c = checkFunc({}, {}, {}, {kEnd, kNop});
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 1, "operators after the function's final end"));
}

// ---- br_table -------------------------------------------------------------------------

TEST(BrTable, TargetsMustAgreeInArity) {
  // Outer block [] -> [i32] is label 1, inner block [] -> [] is label 0 in the br_table.
  Checked c = checkFunc({}, {}, {},
                        cat(kBlock, kI32, kBlock, kVoid, i32(0), i32(0), kBrTable, 1, 0, 1, kEnd,
                            i32(1), kEnd, kDrop, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 8, "br_table targets have different arities"));
  // Also when the stack is polymorphic: arities are a property of the labels.
  EXPECT_TRUE(hasError(body(cat(kBlock, kI32, kBlock, kVoid, kUnreachable, i32(0), kBrTable, 1, 0,
                                1, kEnd, i32(1), kEnd, kDrop, kEnd)),
                       "different arities"));
}

TEST(BrTable, OperandTypes) {
  // Labels: 0 = block (result f32), 1 = block (result f64).
  auto twoBlocks = [](const Bytes& inner) {
    return cat(kBlock, kF64, kBlock, kF32, inner, kEnd, kDrop, f64(), kEnd, kDrop, kEnd);
  };
  EXPECT_TRUE(hasError(body(twoBlocks(cat(f32(), i32(0), kBrTable, 1, 0, 1))),
                       "type mismatch in br_table: expected f64, got f32"));
  // Polymorphic operand: one value can meet both f32 and f64 (spec: br_table.wast meet-bottom).
  EXPECT_EQ(body(twoBlocks(cat(kUnreachable, i32(0), kBrTable, 1, 0, 1))), "");
  EXPECT_EQ(body(twoBlocks(cat(kUnreachable, kBrTable, 2, 0, 1, 1))), "");
  // But a concrete operand in unreachable code must still match every label.
  EXPECT_TRUE(hasError(body(twoBlocks(cat(kUnreachable, f32(), i32(0), kBrTable, 1, 0, 1))),
                       "type mismatch in br_table: expected f64, got f32"));
  // Same types are fine, and the index must be an i32.
  EXPECT_EQ(body(cat(kBlock, kI32, i32(7), i32(0), kBrTable, 1, 0, 0, kEnd, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(body(cat(kBlock, kVoid, i64(0), kBrTable, 0, 0, kEnd, kEnd)),
                       "type mismatch in br_table: expected i32, got i64"));
  EXPECT_TRUE(hasError(body(cat(kBlock, kI32, i32(0), kBrTable, 0, 0, kEnd, kDrop, kEnd)),
                       "type mismatch in br_table: expected i32, got nothing"));
}

TEST(BrTable, HostileTargetCount) {
  Checked c = checkFunc({}, {}, {}, cat(i32(0), kBrTable, u32(0xFFFFFFFF), 0, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 3, "unexpected end (length out of bounds)"));
}

TEST(BrTable, LargestTableValidates) {
  Bytes targets(decoder::limits::kMaxBrTableSize, 0x00);
  EXPECT_EQ(body(cat(i32(0), kBrTable, u32(decoder::limits::kMaxBrTableSize), targets, 0, kEnd)),
            "");
}

TEST(BrTable, ManyValuesPerTarget) {
  // 20 results per label: more than the validator's fixed scratch space for operands.
  ModuleBuilder mb;
  const Bytes results = cat(Bytes(19, kI32), kI64);
  const uint32_t t = mb.type({}, results);
  Bytes values;
  for (int i = 0; i < 19; i++) values = cat(values, i32(i));
  const Bytes drops(20, kDrop);
  // Labels: 0 = inner block, 1 = outer block, both [] -> [i32 x19, i64].
  EXPECT_EQ(bodyIn(mb, cat(kBlock, u32(t), kBlock, u32(t), values, i64(0), i32(0), kBrTable, 1, 0,
                           1, kEnd, kBr, 0, kEnd, drops, kEnd)),
            "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(kBlock, u32(t), kBlock, u32(t), values, i32(0), i32(0),
                                      kBrTable, 1, 0, 1, kEnd, kBr, 0, kEnd, drops, kEnd)),
                       "type mismatch in br_table: expected i64, got i32"));
}

TEST(BrTable, TooManyTargets) {
  const uint32_t n = decoder::limits::kMaxBrTableSize + 1;
  EXPECT_TRUE(
      hasError(body(cat(i32(0), kBrTable, u32(n), Bytes(n, 0x00), 0, kEnd)), "limit 65520"));
}

// ---- select ---------------------------------------------------------------------------

TEST(Select, Untyped) {
  EXPECT_EQ(body(cat(i32(1), i32(2), i32(0), kSelect, kDrop, kEnd)), "");
  EXPECT_EQ(body(cat(f64(), f64(), i32(0), kSelect, kDrop, kEnd)), "");
  EXPECT_EQ(body(cat(v128(), v128(), i32(0), kSelect, kDrop, kEnd)), "");
  EXPECT_TRUE(
      hasError(body(cat(i32(1), i64(2), i32(0), kSelect, kDrop, kEnd)), "type mismatch in select"));
  EXPECT_TRUE(hasError(body(cat(i32(1), i32(2), i64(0), kSelect, kDrop, kEnd)),
                       "type mismatch in select: expected i32, got i64"));
  // One known operand is enough to type the result.
  EXPECT_EQ(body({}, {kF32}, cat(kUnreachable, f32(), i32(0), kSelect, kEnd)), "");
  EXPECT_TRUE(hasError(body({}, {kI32}, cat(kUnreachable, f32(), i32(0), kSelect, kEnd)),
                       "expected i32, got f32"));
}

TEST(Select, UntypedRejectsReferences) {
  EXPECT_TRUE(
      hasError(body(cat(kRefNull, kFuncRef, kRefNull, kFuncRef, i32(0), kSelect, kDrop, kEnd)),
               "select without a type needs numeric operands"));
  EXPECT_TRUE(
      hasError(body(cat(kRefNull, kExternRef, kRefNull, kExternRef, i32(0), kSelect, kDrop, kEnd)),
               "select without a type needs numeric operands"));
  // Even when the other operand is unknown.
  EXPECT_TRUE(hasError(body(cat(kUnreachable, kRefNull, kFuncRef, i32(0), kSelect, kDrop, kEnd)),
                       "select without a type needs numeric operands"));
}

TEST(Select, Typed) {
  EXPECT_EQ(
      body(cat(kRefNull, kFuncRef, kRefNull, kFuncRef, i32(0), kSelectT, 1, kFuncRef, kDrop, kEnd)),
      "");
  EXPECT_EQ(body(cat(i64(1), i64(2), i32(0), kSelectT, 1, kI64, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(body(cat(i64(1), i64(2), i32(0), kSelectT, 1, kI32, kDrop, kEnd)),
                       "type mismatch in select: expected i32, got i64"));
  EXPECT_TRUE(hasError(body(cat(kRefNull, kExternRef, kRefNull, kFuncRef, i32(0), kSelectT, 1,
                                kFuncRef, kDrop, kEnd)),
                       "expected funcref, got externref"));
  EXPECT_TRUE(hasError(body(cat(i32(1), i32(2), i32(0), kSelectT, 0, kDrop, kEnd)),
                       "invalid result arity for typed select"));
  EXPECT_TRUE(hasError(body(cat(i32(1), i32(2), i32(0), kSelectT, 2, kI32, kI32, kDrop, kEnd)),
                       "invalid result arity for typed select"));
  EXPECT_TRUE(hasError(body(cat(i32(1), i32(2), i32(0), kSelectT, 1, 0x40, kDrop, kEnd)),
                       "malformed value type"));
  // In unreachable code the typed result is the annotation.
  EXPECT_EQ(body({}, {kExternRef}, cat(kUnreachable, kSelectT, 1, kExternRef, kEnd)), "");
  EXPECT_TRUE(hasError(body({}, {kFuncRef}, cat(kUnreachable, kSelectT, 1, kExternRef, kEnd)),
                       "expected funcref, got externref"));
}

// ---- ref.func and C.refs ----------------------------------------------------------------

TEST(RefFunc, MustBeDeclared) {
  Checked c = checkFunc({}, {}, {}, cat(kRefFunc, 0, kDrop, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart, "undeclared function reference 0"));
  EXPECT_TRUE(hasError(body(cat(kRefFunc, 1, kDrop, kEnd)), "unknown function 1"));
}

TEST(RefFunc, DeclaredByExport) {
  ModuleBuilder mb;
  mb.exports.push_back(cat(name("f"), kExternFunc, 0x00));
  EXPECT_EQ(bodyIn(mb, cat(kRefFunc, 0, kDrop, kEnd)), "");
}

TEST(RefFunc, DeclaredByElementSegments) {
  ModuleBuilder declarative;
  declarative.elems.push_back(cat(0x03, 0x00, vec(0)));
  EXPECT_EQ(bodyIn(declarative, cat(kRefFunc, 0, kDrop, kEnd)), "");
  ModuleBuilder passiveExprs;
  passiveExprs.elems.push_back(cat(0x05, kFuncRef, vec(refFunc(0))));
  EXPECT_EQ(bodyIn(passiveExprs, cat(kRefFunc, 0, kDrop, kEnd)), "");
  ModuleBuilder active;
  active.tables.push_back(cat(kFuncRef, limitsOf(1)));
  active.elems.push_back(cat(0x00, i32Const(0), vec(0)));
  EXPECT_EQ(bodyIn(active, cat(kRefFunc, 0, kDrop, kEnd)), "");
}

TEST(RefFunc, DeclaredByGlobalInitializer) {
  ModuleBuilder mb;
  mb.globals.push_back(cat(kFuncRef, 0x00, refFunc(0)));
  EXPECT_EQ(bodyIn(mb, cat(kRefFunc, 0, kDrop, kEnd)), "");
}

TEST(RefFunc, NotDeclaredByOtherUses) {
  // A ref.func in a body and the start section do not declare a reference.
  ModuleBuilder mb;
  mb.func(mb.type({}, {}), cat(kRefFunc, 1, kDrop, kEnd));  // function 0 names function 1
  EXPECT_TRUE(hasError(bodyIn(mb, cat(kRefFunc, 0, kDrop, kEnd)),
                       "function 0: undeclared function reference 1"));
  ModuleBuilder start;
  start.start = 0;
  EXPECT_TRUE(
      hasError(bodyIn(start, cat(kRefFunc, 0, kDrop, kEnd)), "undeclared function reference 0"));
}

// ---- globals ----------------------------------------------------------------------------

TEST(Globals, SetNeedsAMutableGlobal) {
  ModuleBuilder mb;
  mb.imports.push_back(cat(name("m"), name("g"), kExternGlobal, kI32, 0x00));  // global 0
  mb.imports.push_back(cat(name("m"), name("h"), kExternGlobal, kI64, 0x01));  // global 1
  mb.globals.push_back(cat(kF32, 0x00, cat(kF32Const, 0, 0, 0, 0, kEnd)));     // global 2
  mb.globals.push_back(cat(kI32, 0x01, i32Const(0)));                          // global 3
  EXPECT_TRUE(
      hasError(bodyIn(mb, cat(i32(1), kGlobalSet, 0, kEnd)), "global is immutable: global 0"));
  EXPECT_TRUE(
      hasError(bodyIn(mb, cat(f32(), kGlobalSet, 2, kEnd)), "global is immutable: global 2"));
  EXPECT_EQ(bodyIn(mb, cat(i64(1), kGlobalSet, 1, kEnd)), "");
  EXPECT_EQ(bodyIn(mb, cat(i32(1), kGlobalSet, 3, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i64(1), kGlobalSet, 3, kEnd)),
                       "type mismatch in global.set: expected i32, got i64"));
  EXPECT_EQ(bodyIn(mb, cat(kGlobalGet, 2, kDrop, kEnd)), "");
}

// ---- memory instructions ------------------------------------------------------------

TEST(Memory, AlignmentAtMostNatural) {
  const ModuleBuilder mb = withMemory();
  EXPECT_EQ(bodyIn(mb, cat(i32(0), kI32Load, 2, 0, kDrop, kEnd)), "");
  EXPECT_EQ(bodyIn(mb, cat(i32(0), kI32Load, 0, 0, kDrop, kEnd)), "");
  Checked c = checkFunc(mb, {}, {}, cat(i32(0), kI32Load, 3, 0, kDrop, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 2,
                         "alignment must not be larger than natural in i32.load"));
  EXPECT_EQ(bodyIn(mb, cat(i32(0), kI64Load, 3, 0, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), kI64Load, 4, 0, kDrop, kEnd)),
                       "alignment must not be larger than natural"));
  EXPECT_EQ(bodyIn(mb, cat(i32(0), kI32Load8U, 0, 0, kDrop, kEnd)), "");
  EXPECT_TRUE(
      hasError(bodyIn(mb, cat(i32(0), kI32Load8U, 1, 0, kDrop, kEnd)), "natural in i32.load8_u"));
  EXPECT_EQ(bodyIn(mb, cat(i32(0), i32(0), kI32Store16, 1, 0, kEnd)), "");
  EXPECT_TRUE(
      hasError(bodyIn(mb, cat(i32(0), i32(0), kI32Store16, 2, 0, kEnd)), "natural in i32.store16"));
  // v128.load: natural alignment 16 bytes.
  EXPECT_EQ(bodyIn(mb, cat(i32(0), kPrefixFD, 0x00, 4, 0, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), kPrefixFD, 0x00, 5, 0, kDrop, kEnd)),
                       "natural in v128.load"));
  // Bit 6 (multi-memory's memory-index flag) is just a large alignment in 2.0.
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), kI32Load, 0x40, 0, kDrop, kEnd)), "natural"));
}

TEST(Memory, AddressAndValueTypes) {
  const ModuleBuilder mb = withMemory();
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i64(0), kI32Load, 2, 0, kDrop, kEnd)),
                       "type mismatch in i32.load: expected i32, got i64"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), i64(0), kI32Store16, 1, 0, kEnd)),
                       "type mismatch in i32.store16: expected i32, got i64"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), kI32Load, 2, 0x80)), "unexpected end"));
}

TEST(Memory, DataCountRequiredForMemoryInitAndDataDrop) {
  ModuleBuilder mb = withMemory();
  mb.datas.push_back(cat(0x01, name("abc")));
  const Bytes init = cat(i32(0), i32(0), i32(3), kPrefixFC, kMemoryInit, 0, 0, kEnd);
  const Bytes drop = cat(kPrefixFC, kDataDrop, 0, kEnd);
  Checked c = checkFunc(mb, {}, {}, init);
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 6, "data count section required for memory.init"));
  EXPECT_TRUE(hasError(bodyIn(mb, drop), "data count section required for data.drop"));
  mb.dataCount = 1;
  EXPECT_EQ(bodyIn(mb, init), "");
  EXPECT_EQ(bodyIn(mb, drop), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), i32(0), i32(3), kPrefixFC, kMemoryInit, 1, 0, kEnd)),
                       "unknown data segment 1"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(kPrefixFC, kDataDrop, 1, kEnd)), "unknown data segment 1"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), i32(0), kPrefixFC, kMemoryInit, 0, 0, kEnd)),
                       "type mismatch in memory.init"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), i32(0), i32(3), kPrefixFC, kMemoryInit, 0, 1, kEnd)),
                       "zero byte expected"));
}

TEST(Memory, BulkInstructionsNeedAMemory) {
  ModuleBuilder noMemory;
  noMemory.dataCount = 0;
  EXPECT_TRUE(
      hasError(bodyIn(noMemory, cat(i32(0), i32(0), i32(0), kPrefixFC, kMemoryInit, 0, 0, kEnd)),
               "unknown memory 0"));
  EXPECT_TRUE(
      hasError(bodyIn(noMemory, cat(i32(0), i32(0), i32(0), kPrefixFC, kMemoryCopy, 0, 0, kEnd)),
               "unknown memory 0"));
  EXPECT_TRUE(
      hasError(bodyIn(noMemory, cat(i32(0), i32(0), i32(0), kPrefixFC, kMemoryFill, 0, kEnd)),
               "unknown memory 0"));
  EXPECT_EQ(bodyIn(withMemory(), cat(i32(0), i32(0), i32(0), kPrefixFC, kMemoryCopy, 0, 0, kEnd)),
            "");
  EXPECT_EQ(bodyIn(withMemory(), cat(i32(0), i32(0), i32(0), kPrefixFC, kMemoryFill, 0, kEnd)), "");
}

TEST(Simd, LaneImmediates) {
  const Bytes vec = v128();
  EXPECT_EQ(body(cat(vec, kPrefixFD, 0x15, 15, kDrop, kEnd)), "");  // i8x16.extract_lane_s 15
  Checked c = checkFunc({}, {}, {}, cat(vec, kPrefixFD, 0x15, 16, kDrop, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 20, "invalid lane index"));
  EXPECT_EQ(body(cat(vec, kPrefixFD, 0x1D, 1, kDrop, kEnd)), "");  // i64x2.extract_lane 1
  EXPECT_TRUE(hasError(body(cat(vec, kPrefixFD, 0x1D, 2, kDrop, kEnd)), "invalid lane index"));
  EXPECT_TRUE(hasError(body(cat(vec, i64(0), kPrefixFD, 0x1C, 0, kDrop, kEnd)),
                       "type mismatch in i32x4.replace_lane: expected i32, got i64"));
  // i8x16.shuffle: lanes index the 32 bytes of both operands.
  Bytes lanes(16, 31);
  EXPECT_EQ(body(cat(vec, vec, kPrefixFD, 0x0D, lanes, kDrop, kEnd)), "");
  lanes[5] = 32;
  c = checkFunc({}, {}, {}, cat(vec, vec, kPrefixFD, 0x0D, lanes, kDrop, kEnd));
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart + 36 + 2 + 5, "invalid lane index"));
}

TEST(Simd, LoadLaneAndPrefixedOpcodes) {
  const ModuleBuilder mb = withMemory();
  const Bytes args = cat(i32(0), v128());
  EXPECT_EQ(bodyIn(mb, cat(args, kPrefixFD, 0x54, 0, 0, 15, kDrop, kEnd)), "");  // v128.load8_lane
  EXPECT_TRUE(hasError(bodyIn(mb, cat(args, kPrefixFD, 0x54, 0, 0, 16, kDrop, kEnd)),
                       "invalid lane index"));
  EXPECT_EQ(bodyIn(mb, cat(args, kPrefixFD, 0x57, 3, 0, 1, kDrop, kEnd)), "");  // v128.load64_lane
  EXPECT_TRUE(
      hasError(bodyIn(mb, cat(args, kPrefixFD, 0x57, 3, 0, 2, kDrop, kEnd)), "invalid lane index"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(args, kPrefixFD, 0x57, 4, 0, 0, kDrop, kEnd)),
                       "alignment must not be larger than natural in v128.load64_lane"));
  EXPECT_EQ(bodyIn(mb, cat(args, kPrefixFD, 0x5B, 3, 0, 1, kEnd)), "");  // v128.store64_lane
  // Sub-opcodes are LEB128: i32x4.trunc_sat_f32x4_s is 0xFD 0xF8 0x01.
  EXPECT_EQ(body(cat(v128(), kPrefixFD, 0xF8, 0x01, kDrop, kEnd)), "");
  EXPECT_TRUE(hasError(body(cat(i32(0), kPrefixFD, 0xF8, 0x01, kDrop, kEnd)),
                       "type mismatch in i32x4.trunc_sat_f32x4_s: expected v128, got i32"));
  // 0xFC 0-7: the saturating truncations.
  EXPECT_EQ(body({}, {kI64}, cat(f64(), kPrefixFC, 0x06, kEnd)), "");
  EXPECT_TRUE(hasError(body({}, {kI64}, cat(f32(), kPrefixFC, 0x06, kEnd)),
                       "type mismatch in i64.trunc_sat_f64_s: expected f64, got f32"));
}

// ---- table instructions -------------------------------------------------------------

TEST(Tables, TableInitAndElemDrop) {
  ModuleBuilder mb;
  mb.tables.push_back(cat(kFuncRef, limitsOf(1)));    // table 0
  mb.tables.push_back(cat(kExternRef, limitsOf(1)));  // table 1
  mb.elems.push_back(cat(0x01, 0x00, vec()));         // segment 0: passive funcref
  const Bytes args = cat(i32(0), i32(0), i32(0));
  EXPECT_EQ(bodyIn(mb, cat(args, kPrefixFC, kTableInit, 0, 0, kEnd)), "");  // segment 0, table 0
  EXPECT_TRUE(
      hasError(bodyIn(mb, cat(args, kPrefixFC, kTableInit, 0, 2, kEnd)), "unknown table 2"));
  EXPECT_TRUE(
      hasError(bodyIn(mb, cat(args, kPrefixFC, kTableInit, 1, 0, kEnd)), "unknown elem segment 1"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(args, kPrefixFC, kTableInit, 0, 1, kEnd)),
                       "table.init element type differs"));
  EXPECT_TRUE(hasError(bodyIn(mb, cat(i32(0), i32(0), kPrefixFC, kTableInit, 0, 0, kEnd)),
                       "type mismatch in table.init: expected i32, got nothing"));
  EXPECT_EQ(bodyIn(mb, cat(kPrefixFC, kElemDrop, 0, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(kPrefixFC, kElemDrop, 1, kEnd)), "unknown elem segment 1"));
  EXPECT_EQ(bodyIn(mb, cat(args, kPrefixFC, kTableCopy, 0, 0, kEnd)), "");
  EXPECT_TRUE(hasError(bodyIn(mb, cat(args, kPrefixFC, kTableCopy, 0, 1, kEnd)),
                       "table.copy between tables of different types"));
}

// ---- opcodes ------------------------------------------------------------------------

TEST(Opcodes, IllegalAndDisabled) {
  Checked c = checkFunc({}, {}, {}, {0x06, kEnd});
  EXPECT_TRUE(hasErrorAt(c.error, c.codeStart, "illegal opcode 0x06"));
  EXPECT_TRUE(hasError(body({0xFF, kEnd}), "illegal opcode 0xff"));
  EXPECT_TRUE(hasError(body({kPrefixFC, 99, kEnd}), "illegal opcode 0xfc 99"));
  EXPECT_TRUE(hasError(body({kPrefixFD, 0x80, 0x02, kEnd}), "illegal opcode 0xfd 256"));
  EXPECT_TRUE(hasError(body({0x12, 0, kEnd}), "tail calls not enabled"));
  Features tail;
  tail.tailCall = true;
  EXPECT_EQ(checkFunc({}, {}, {}, {0x12, 0, kEnd}, vec(), tail).error, "");
}

// ---- constant expressions -------------------------------------------------------------

ModuleBuilder withImportedGlobals() {
  ModuleBuilder mb;
  mb.imports.push_back(cat(name("m"), name("c"), kExternGlobal, kI32, 0x00));  // 0: const i32
  mb.imports.push_back(cat(name("m"), name("v"), kExternGlobal, kI32, 0x01));  // 1: mut i32
  return mb;
}

TEST(ConstExprs, GlobalGetOnlyOfImportedImmutableGlobals) {
  ModuleBuilder mb = withImportedGlobals();
  mb.globals.push_back(cat(kI32, 0x00, globalGet(0)));  // global 2
  EXPECT_EQ(moduleError(mb), "");
  mb.globals.push_back(cat(kI32, 0x00, globalGet(2)));  // global 3 reads a defined global
  EXPECT_TRUE(
      hasError(moduleError(mb),
               "global 3: unknown global 2 (constant expressions may only read imported globals)"));

  ModuleBuilder mut = withImportedGlobals();
  mut.globals.push_back(cat(kI32, 0x00, globalGet(1)));
  EXPECT_TRUE(
      hasError(moduleError(mut), "constant expression required (global.get of a mutable global)"));

  ModuleBuilder self;
  self.globals.push_back(cat(kI32, 0x00, globalGet(0)));
  EXPECT_TRUE(hasError(moduleError(self), "global 0: unknown global 0"));
}

TEST(ConstExprs, Types) {
  ModuleBuilder mb;
  mb.globals.push_back(cat(kI32, 0x00, i64Const(0)));
  EXPECT_TRUE(
      hasError(moduleError(mb), "type mismatch in constant expression: expected i32, got i64"));

  ModuleBuilder twoValues;
  twoValues.globals.push_back(cat(kI32, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0B));
  EXPECT_TRUE(hasError(moduleError(twoValues), "type mismatch in constant expression"));

  // An empty expression, followed by another global so the count check passes.
  ModuleBuilder empty;
  empty.globals.push_back(cat(kI32, 0x00, 0x0B));
  empty.globals.push_back(cat(kI32, 0x00, i32Const(0)));
  EXPECT_TRUE(hasError(moduleError(empty), "global 0: type mismatch in constant expression"));

  ModuleBuilder refs;
  refs.globals.push_back(cat(kFuncRef, 0x00, refNull(kExternRef)));
  EXPECT_TRUE(hasError(moduleError(refs), "expected funcref, got externref"));

  ModuleBuilder imported = withImportedGlobals();
  imported.globals.push_back(cat(kI64, 0x00, globalGet(0)));
  EXPECT_TRUE(hasError(moduleError(imported), "expected i64, got i32"));

  ModuleBuilder badFunc;
  badFunc.globals.push_back(cat(kFuncRef, 0x00, refFunc(0)));
  EXPECT_TRUE(hasError(moduleError(badFunc), "global 0: unknown function 0"));
}

TEST(ConstExprs, ExtendedConst) {
  Features extended;
  extended.extendedConst = true;
  ModuleBuilder mb = withImportedGlobals();
  mb.globals.push_back(cat(kI32, 0x00, 0x41, 0x01, 0x23, 0x00, kI32Add, 0x0B));
  EXPECT_EQ(moduleError(mb, extended), "");
  ModuleBuilder mixed;
  mixed.globals.push_back(cat(kI32, 0x00, 0x41, 0x01, 0x42, 0x02, kI32Add, 0x0B));
  EXPECT_TRUE(hasError(moduleError(mixed, extended), "type mismatch in constant expression"));
  ModuleBuilder underflow;
  underflow.globals.push_back(cat(kI64, 0x00, 0x42, 0x01, kI64Add, 0x0B));
  EXPECT_TRUE(hasError(moduleError(underflow, extended), "type mismatch in constant expression"));
}

TEST(ConstExprs, SegmentOffsetsAndEntries) {
  ModuleBuilder elems;
  elems.tables.push_back(cat(kFuncRef, limitsOf(1)));
  elems.elems.push_back(cat(0x00, i64Const(0), vec()));
  EXPECT_TRUE(
      hasError(moduleError(elems),
               "element segment 0: type mismatch in constant expression: expected i32, got i64"));

  ModuleBuilder entries;
  entries.elems.push_back(cat(0x05, kFuncRef, vec(refNull(kExternRef))));
  EXPECT_TRUE(hasError(moduleError(entries), "element segment 0: type mismatch"));

  ModuleBuilder datas = withImportedGlobals();
  datas.memories.push_back(limitsOf(1));
  datas.datas.push_back(cat(0x00, globalGet(0), name("x")));
  EXPECT_EQ(moduleError(datas), "");
  datas.datas.push_back(cat(0x00, refNull(kFuncRef), name("x")));
  EXPECT_TRUE(hasError(moduleError(datas), "data segment 1: type mismatch in constant expression"));
}

// ---- other module-level rules ------------------------------------------------------------

TEST(Module, DuplicateExportNames) {
  ModuleBuilder mb;
  mb.func(mb.type({}, {}), {kEnd});
  mb.memories.push_back(limitsOf(0));
  mb.exports.push_back(cat(name("a"), kExternFunc, 0x00));
  mb.exports.push_back(cat(name("b"), kExternFunc, 0x00));  // the same function twice is fine
  EXPECT_EQ(moduleError(mb), "");
  mb.exports.push_back(cat(name("a"), kExternMemory, 0x00));
  EXPECT_TRUE(hasError(moduleError(mb), "export 2 (\"a\"): duplicate export name"));
}

TEST(Module, ExportIndices) {
  auto exporting = [](uint8_t kind, uint32_t index) {
    ModuleBuilder mb;
    mb.exports.push_back(cat(name("x"), kind, u32(index)));
    return moduleError(mb);
  };
  EXPECT_TRUE(hasError(exporting(kExternFunc, 0), "unknown func 0"));
  EXPECT_TRUE(hasError(exporting(kExternTable, 0), "unknown table 0"));
  EXPECT_TRUE(hasError(exporting(kExternMemory, 0), "unknown memory 0"));
  EXPECT_TRUE(hasError(exporting(kExternGlobal, 3), "unknown global 3"));
}

TEST(Module, StartFunction) {
  ModuleBuilder mb;
  const uint32_t voidType = mb.type({}, {});
  const uint32_t withParam = mb.type({kI32}, {});
  const uint32_t withResult = mb.type({}, {kI32});
  mb.func(voidType, {kEnd});               // 0
  mb.func(withParam, {kEnd});              // 1
  mb.func(withResult, cat(i32(0), kEnd));  // 2
  mb.start = 0;
  EXPECT_EQ(moduleError(mb), "");
  mb.start = 1;
  EXPECT_TRUE(hasError(moduleError(mb), "start section: start function must have type [] -> []"));
  mb.start = 2;
  EXPECT_TRUE(hasError(moduleError(mb), "start function must have type [] -> []"));
  mb.start = 3;
  EXPECT_TRUE(hasError(moduleError(mb), "start section: unknown function 3"));
  // An imported function can be the start function.
  ModuleBuilder imported;
  imported.type({}, {});
  imported.imports.push_back(cat(name("m"), name("f"), kExternFunc, 0x00));
  imported.start = 0;
  EXPECT_EQ(moduleError(imported), "");
}

TEST(Module, MultipleMemoriesRejectedIn20) {
  ModuleBuilder two;
  two.memories.push_back(limitsOf(1));
  two.memories.push_back(limitsOf(1));
  // Memory section payload at 10: count, memory 0 at 11-12, memory 1 at 13.
  EXPECT_TRUE(hasErrorAt(moduleError(two), 13, "memory 1: multiple memories are not allowed"));
  Features multi;
  multi.multiMemory = true;
  EXPECT_EQ(moduleError(two, multi), "");

  ModuleBuilder importedAndDefined;
  importedAndDefined.imports.push_back(cat(name("m"), name("mem"), kExternMemory, limitsOf(0)));
  importedAndDefined.memories.push_back(limitsOf(0));
  EXPECT_TRUE(hasError(moduleError(importedAndDefined), "multiple memories are not allowed"));
}

TEST(Module, LimitsAndTypes) {
  ModuleBuilder mem;
  mem.memories.push_back(limitsOf(65536));
  EXPECT_EQ(moduleError(mem), "");
  mem.memories[0] = limitsOf(65537);
  EXPECT_TRUE(hasError(moduleError(mem), "memory size must be at most 65536"));
  mem.memories[0] = limitsOf(0, 65537);
  EXPECT_TRUE(hasError(moduleError(mem), "memory size must be at most 65536"));
  mem.memories[0] = limitsOf(2, 1);
  EXPECT_TRUE(hasError(moduleError(mem), "size minimum must not be greater than maximum"));

  ModuleBuilder table;
  table.tables.push_back(cat(kFuncRef, limitsOf(0xFFFFFFFF)));
  EXPECT_EQ(moduleError(table), "");
  table.tables[0] = cat(kFuncRef, limitsOf(2, 1));
  EXPECT_TRUE(
      hasError(moduleError(table), "table 0: size minimum must not be greater than maximum"));

  Features threads;
  threads.threads = true;
  ModuleBuilder shared;
  shared.memories.push_back(cat(0x02, 0x01));
  EXPECT_TRUE(hasError(moduleError(shared, threads), "shared memory must have maximum"));

  ModuleBuilder funcType;
  funcType.functions.push_back(u32(3));
  funcType.codes.push_back(funcBody({kEnd}));
  EXPECT_TRUE(hasError(moduleError(funcType), "function 0: unknown type 3"));
  ModuleBuilder importType;
  importType.imports.push_back(cat(name("m"), name("f"), kExternFunc, 0x00));
  EXPECT_TRUE(hasError(moduleError(importType), "import 0 (m.f): unknown type 0"));
}

TEST(Module, SegmentTargets) {
  ModuleBuilder noTable;
  noTable.elems.push_back(cat(0x00, i32Const(0), vec()));
  EXPECT_TRUE(hasError(moduleError(noTable), "element segment 0: unknown table 0"));

  ModuleBuilder externTable;
  externTable.tables.push_back(cat(kExternRef, limitsOf(1)));
  externTable.elems.push_back(cat(0x00, i32Const(0), vec()));
  EXPECT_TRUE(hasError(moduleError(externTable), "segment and table element types differ"));
  externTable.elems[0] = cat(0x06, 0x00, i32Const(0), kExternRef, vec(refNull(kExternRef)));
  EXPECT_EQ(moduleError(externTable), "");

  ModuleBuilder unknownFunc;
  unknownFunc.elems.push_back(cat(0x01, 0x00, vec(4)));
  EXPECT_TRUE(hasError(moduleError(unknownFunc), "element segment 0: unknown function 4"));

  ModuleBuilder noMemory;
  noMemory.datas.push_back(cat(0x00, i32Const(0), name("")));
  EXPECT_TRUE(hasError(moduleError(noMemory), "data segment 0: unknown memory 0"));
  // A passive segment needs no memory.
  noMemory.datas[0] = cat(0x01, name("x"));
  EXPECT_EQ(moduleError(noMemory), "");
}

// ---- the listener: live and dead code ---------------------------------------------------

const char* frameKindName(FrameKind k) {
  switch (k) {
    case FrameKind::Function:
      return "function";
    case FrameKind::Block:
      return "block";
    case FrameKind::Loop:
      return "loop";
    case FrameKind::If:
      return "if";
    case FrameKind::Else:
      return "else";
  }
  return "?";
}

// Records what the validator reports, one string per call.
struct Recorder : NullListener {
  std::vector<std::string> log;
  std::vector<ValType> locals;

  void onFunctionStart(const FuncType&, std::span<const ValType> l) {
    locals.assign(l.begin(), l.end());
  }
  void onBlock(Frame&) { log.push_back("block"); }
  void onLoop(Frame&) { log.push_back("loop"); }
  void onIf(Frame&) { log.push_back("if"); }
  void onElse(Frame&, bool thenLive) { log.push_back(thenLive ? "else" : "else (then dead)"); }
  void onEnd(Frame& f, bool fallthroughLive) {
    log.push_back(std::string("end ") + frameKindName(f.kind) + (fallthroughLive ? "" : " (dead)"));
  }
  void onBr(Frame&) { log.push_back("br"); }
  void onBrIf(Frame&) { log.push_back("br_if"); }
  void onBrTable(std::span<Frame*> targets) {
    log.push_back("br_table/" + std::to_string(targets.size()));
  }
  void onReturn() { log.push_back("return"); }
  void onUnreachable() { log.push_back("unreachable"); }
  void onDrop() { log.push_back("drop"); }
  void onI32Const(int32_t v) { log.push_back("i32.const " + std::to_string(v)); }
  void onNumeric(Op op) { log.push_back(opName(op)); }
};

// Validates a one-function module with `code`, reporting to a Recorder.
std::vector<std::string> record(const Bytes& code, Recorder& r, const Bytes& params = {},
                                const Bytes& locals = vec()) {
  ModuleBuilder mb;
  mb.func(mb.type(params, {}), locals, code);
  auto m = decoder::decodeModule(mb.build());
  if (!m) return {"decode failed: " + m.error().message};
  if (auto s = validateModuleStructure(*m); !s) return {"invalid: " + s.error().message};
  const Features features;  // FunctionValidator keeps a reference
  FunctionValidator<Recorder> v(*m, features);
  if (auto f = v.run(0, r); !f) return {"invalid: " + f.error().message};
  return r.log;
}
std::vector<std::string> record(const Bytes& code) {
  Recorder r;
  return record(code, r);
}

using Log = std::vector<std::string>;

TEST(Listener, ReportsLiveInstructions) {
  EXPECT_EQ(record(cat(i32(1), i32(2), kI32Add, kDrop, kEnd)),
            (Log{"i32.const 1", "i32.const 2", "i32.add", "drop", "end function"}));
}

TEST(Listener, NothingAfterUnreachableInTheSameBlock) {
  EXPECT_EQ(record(cat(i32(1), kDrop, kUnreachable, i32(2), kDrop, kEnd)),
            (Log{"i32.const 1", "drop", "unreachable", "end function (dead)"}));
  EXPECT_EQ(record(cat(kBlock, kVoid, kUnreachable, kEnd, i32(7), kDrop, kEnd)),
            (Log{"block", "unreachable", "end block (dead)", "end function (dead)"}));
}

TEST(Listener, NothingAfterBrButCodeAfterTheTargetIsLive) {
  EXPECT_EQ(record(cat(kBlock, kVoid, i32(1), kBr, 0, i32(2), kDrop, kEnd, i32(3), kDrop, kEnd)),
            (Log{"block", "i32.const 1", "br", "end block (dead)", "i32.const 3", "drop",
                 "end function"}));
  EXPECT_EQ(record(cat(kBlock, kVoid, kBlock, kVoid, i32(0), kBrTable, 1, 0, 1, i32(9), kDrop, kEnd,
                       i32(2), kDrop, kEnd, kEnd)),
            (Log{"block", "block", "i32.const 0", "br_table/2", "end block (dead)", "i32.const 2",
                 "drop", "end block", "end function"}));
  EXPECT_EQ(record(cat(kReturn, i32(1), kDrop, kEnd)), (Log{"return", "end function (dead)"}));
}

TEST(Listener, BranchesFromDeadCodeDoNotReviveTheirTarget) {
  EXPECT_EQ(record(cat(kBlock, kVoid, kReturn, kBr, 0, kEnd, i32(1), kDrop, kEnd)),
            (Log{"block", "return", "end block (dead)", "end function (dead)"}));
}

TEST(Listener, BlocksStartedInDeadCodeAreNotReported) {
  EXPECT_EQ(record(cat(kUnreachable, kBlock, kVoid, i32(5), kDrop, kEnd, kLoop, kVoid, kEnd, kEnd)),
            (Log{"unreachable", "end function (dead)"}));
  EXPECT_EQ(record(cat(kUnreachable, i32(1), kIf, kVoid, i32(5), kDrop, kElse, kEnd, kEnd)),
            (Log{"unreachable", "end function (dead)"}));
}

TEST(Listener, Loops) {
  // Only a back edge: nothing after the loop can run.
  EXPECT_EQ(record(cat(kLoop, kVoid, kBr, 0, kEnd, i32(1), kDrop, kEnd)),
            (Log{"loop", "br", "end loop (dead)", "end function (dead)"}));
  EXPECT_EQ(
      record(cat(kLoop, kVoid, i32(0), kBrIf, 0, kEnd, i32(1), kDrop, kEnd)),
      (Log{"loop", "i32.const 0", "br_if", "end loop", "i32.const 1", "drop", "end function"}));
}

TEST(Listener, IfArms) {
  // Dead then arm: the else arm and what follows are live.
  EXPECT_EQ(record(cat(i32(1), kIf, kVoid, kUnreachable, kElse, i32(2), kDrop, kEnd, i32(3), kDrop,
                       kEnd)),
            (Log{"i32.const 1", "if", "unreachable", "else (then dead)", "i32.const 2", "drop",
                 "end else", "i32.const 3", "drop", "end function"}));
  // No else: the implicit else arm falls through.
  EXPECT_EQ(record(cat(i32(1), kIf, kVoid, kUnreachable, kEnd, i32(3), kDrop, kEnd)),
            (Log{"i32.const 1", "if", "unreachable", "end if (dead)", "i32.const 3", "drop",
                 "end function"}));
  // Both arms dead.
  EXPECT_EQ(
      record(cat(i32(1), kIf, kVoid, kUnreachable, kElse, kUnreachable, kEnd, i32(3), kDrop, kEnd)),
      (Log{"i32.const 1", "if", "unreachable", "else (then dead)", "unreachable", "end else (dead)",
           "end function (dead)"}));
}

TEST(Listener, LiveThenArmKeepsCodeAfterIfElseLive) {
  EXPECT_EQ(record(cat(i32(1), kIf, kVoid, i32(2), kDrop, kElse, kUnreachable, kEnd, i32(3), kDrop,
                       kEnd)),
            (Log{"i32.const 1", "if", "i32.const 2", "drop", "else", "unreachable",
                 "end else (dead)", "i32.const 3", "drop", "end function"}));
}

TEST(Listener, FunctionStartReportsParamsAndLocals) {
  Recorder r;
  Log log = record({kEnd}, r, {kI32, kI64}, vec(cat(0x02, kF32), cat(0x01, kExternRef)));
  EXPECT_EQ(log, Log{"end function"});
  EXPECT_EQ(r.locals, (std::vector<ValType>{ValType::I32, ValType::I64, ValType::F32, ValType::F32,
                                            ValType::ExternRef}));
}

}  // namespace
}  // namespace wisp::validator
