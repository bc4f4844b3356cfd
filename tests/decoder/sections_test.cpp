// Module decoding section by section (5.5): good input decodes into the right fields;
// bad input fails with the byte offset and the reason. Offsets below count from the
// start of the module: the header is bytes 0-7, so a first section's id is at 8, its
// size at 9 and (for payloads under 128 bytes) its payload at 10.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "decoder/decoder.h"
#include "decoder/limits.h"
#include "support/error_matchers.h"
#include "support/wasm_builder.h"
#include "validator/module_validator.h"

namespace wisp::decoder {
namespace {

using namespace wisp::test;

Result<Module> decode(const Bytes& wasm, const Features& features = {}) {
  return decodeModule(Bytes(wasm), features);
}
std::string decodeError(const Bytes& wasm, const Features& features = {}) {
  return errorOf(decode(wasm, features));
}
std::string validateError(const Bytes& wasm, const Features& features = {}) {
  return errorOf(validator::decodeAndValidate(Bytes(wasm), features));
}

// Offset of the payload of a module's first section.
uint32_t firstPayload(const Bytes& section) {
  uint32_t i = 1;  // the size's first byte
  while (section[i] & 0x80) i++;
  return 8 + i + 1;
}

const Bytes kVoidType = section(kTypeSection, vec(funcType({}, {})));  // bytes 8-13

// ---- header ---------------------------------------------------------------------------

TEST(Header, EmptyModuleDecodes) {
  auto m = decode(moduleWith());
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_TRUE(m->types.empty());
  EXPECT_TRUE(m->functions.empty());
  EXPECT_FALSE(m->start.has_value());
  EXPECT_FALSE(m->dataCount.has_value());
  EXPECT_EQ(std::vector<uint8_t>(m->bytes.begin(), m->bytes.end()), moduleWith());
}

TEST(Header, TruncatedHeader) {
  EXPECT_TRUE(hasErrorAt(decodeError({}), 0, "module header: unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError({0x00, 0x61, 0x73}), 0, "unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError({0x00, 0x61, 0x73, 0x6D}), 4, "unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError({0x00, 0x61, 0x73, 0x6D, 0x01, 0x00}), 4, "unexpected end"));
}

TEST(Header, BadMagic) {
  EXPECT_TRUE(hasErrorAt(decodeError({0x00, 0x61, 0x73, 0x6E, 0x01, 0x00, 0x00, 0x00}), 0,
                         "magic header not detected"));
  EXPECT_TRUE(hasErrorAt(decodeError({'a', 's', 'm', 0x00, 0x01, 0x00, 0x00, 0x00}), 0,
                         "magic header not detected"));
}

TEST(Header, BadVersion) {
  EXPECT_TRUE(hasErrorAt(decodeError({0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00}), 4,
                         "unknown binary version"));
  EXPECT_TRUE(hasErrorAt(decodeError({0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x01}), 4,
                         "unknown binary version"));
  // The component-model / layer-1 header is not a 2.0 module either.
  EXPECT_TRUE(hasErrorAt(decodeError({0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00}), 4,
                         "unknown binary version"));
}

// ---- section framing ------------------------------------------------------------------

TEST(SectionFraming, UnknownSectionId) {
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(Bytes{13, 0x00})), 8, "malformed section id"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(kVoidType, Bytes{0x7F, 0x00})), 14,
                         "malformed section id"));
}

TEST(SectionFraming, TruncatedSectionHeader) {
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(Bytes{kTypeSection})), 9, "unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(Bytes{kTypeSection, 0x80})), 9, "unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(Bytes{kTypeSection, 0x80, 0x80, 0x80, 0x80, 0x10})),
                         9, "integer too large"));
}

TEST(SectionFraming, SizeBeyondTheModule) {
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(Bytes{kTypeSection, 0x05, 0x00})), 10,
                         "section size mismatch: unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(Bytes{kCustomSection, 0x01})), 10,
                         "section size mismatch"));
}

TEST(SectionFraming, PayloadLongerThanItsContents) {
  // A type section of no types followed by a stray byte inside the section.
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kTypeSection, {0x00, 0x00}))), 11,
                         "type section: section size mismatch"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kStartSection, {0x00, 0x00}))), 11,
                         "start section: section size mismatch"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kDataCountSection, {0x00, 0x00}))), 11,
                         "section size mismatch"));
}

TEST(SectionFraming, PayloadShorterThanItsContents) {
  // The type's result count lies outside the section: the reader stops at the section.
  Bytes wasm = moduleWith(section(kTypeSection, {0x01, 0x60, 0x01, kI32}), Bytes{0x00});
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 14, "type section: type 0: unexpected end"));
  // Here even the count check sees too few bytes for one type.
  wasm = moduleWith(section(kTypeSection, {0x01, 0x60, 0x00}), Bytes{0x00});
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 10, "unexpected end (length out of bounds)"));
}

TEST(SectionFraming, OrderIsEnforced) {
  const Bytes functions = section(kFunctionSection, vec());
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(functions, section(kTypeSection, vec()))), 11,
                         "section out of order or duplicated"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(kVoidType, kVoidType)), 14,
                         "section out of order or duplicated"));
  EXPECT_TRUE(hasErrorAt(
      decodeError(moduleWith(section(kCodeSection, vec()), section(kCodeSection, vec()))), 11,
      "section out of order or duplicated"));
  // Data count sits between element and code, although its id is 12.
  const Bytes elems = section(kElementSection, vec());
  const Bytes dataCount = section(kDataCountSection, u32(0));
  const Bytes code = section(kCodeSection, vec());
  const Bytes data = section(kDataSection, vec());
  EXPECT_TRUE(decode(moduleWith(elems, dataCount, code, data)).ok());
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(dataCount, elems)), 11, "out of order"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(code, dataCount)), 11, "out of order"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(data, code)), 11, "out of order"));
  EXPECT_TRUE(hasErrorAt(
      decodeError(moduleWith(section(kStartSection, u32(0)), section(kExportSection, vec()))), 11,
      "out of order"));
}

TEST(SectionFraming, CustomSectionsMayAppearAnywhere) {
  const Bytes custom = section(kCustomSection, name("x"));
  auto m = decode(moduleWith(custom, kVoidType, custom, section(kFunctionSection, vec(0)), custom,
                             section(kCodeSection, vec(funcBody({0x0B}))), custom, custom));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->customs.size(), 5u);
}

TEST(SectionFraming, EmptySectionsOfEveryKindDecode) {
  auto m = decode(moduleWith(section(kTypeSection, vec()), section(kImportSection, vec()),
                             section(kFunctionSection, vec()), section(kTableSection, vec()),
                             section(kMemorySection, vec()), section(kGlobalSection, vec()),
                             section(kExportSection, vec()), section(kElementSection, vec()),
                             section(kDataCountSection, u32(0)), section(kCodeSection, vec()),
                             section(kDataSection, vec())));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->dataCount, 0u);
}

// Every vector count is checked against the bytes that remain before anything is
// allocated: a count of 0xFFFFFFFF with two bytes behind it fails at the count, at once.
TEST(SectionFraming, HostileCountsFailAtTheCount) {
  for (uint8_t id : {kTypeSection, kImportSection, kFunctionSection, kTableSection, kMemorySection,
                     kGlobalSection, kExportSection, kElementSection, kCodeSection, kDataSection}) {
    Bytes wasm = moduleWith(section(id, cat(u32(0xFFFFFFFF), 0x00, 0x00)));
    EXPECT_TRUE(hasErrorAt(decodeError(wasm), 10, "unexpected end (length out of bounds)"))
        << "section " << int{id};
  }
}

TEST(SectionFraming, CountTimesElementSizeDoesNotWrap) {
  // 0x55555556 types of at least 3 bytes each: 2^32 + 2 bytes, 2 in 32-bit arithmetic.
  Bytes wasm = moduleWith(section(kTypeSection, cat(u32(0x55555556), 0x60, 0x00)));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 10, "unexpected end (length out of bounds)"));
}

TEST(SectionFraming, HostileCountsInsideEntries) {
  // Parameter count of a type.
  EXPECT_TRUE(hasErrorAt(
      decodeError(moduleWith(section(kTypeSection, cat(0x01, 0x60, u32(0xFFFFFFFF), 0x00)))), 12,
      "unexpected end (length out of bounds)"));
  // Length of an import's module name.
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(
                             kImportSection, cat(0x01, u32(0xFFFFFFFF), 0x00, 0x00, 0x00)))),
                         11, "unexpected end (length out of bounds)"));
  // Entries of an element segment.
  EXPECT_TRUE(hasErrorAt(
      decodeError(moduleWith(section(kElementSection, cat(0x01, 0x01, 0x00, u32(0xFFFFFFFF))))), 13,
      "unexpected end (length out of bounds)"));
  // Size of a data segment.
  EXPECT_TRUE(hasErrorAt(
      decodeError(moduleWith(section(kDataSection, cat(0x01, 0x01, u32(0xFFFFFFFF), 0x00)))), 12,
      "unexpected end"));
}

// ---- function / code / data counts -----------------------------------------------------

TEST(SectionCounts, FunctionsWithoutCode) {
  Bytes wasm = moduleWith(kVoidType, section(kFunctionSection, vec(0)));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), static_cast<uint32_t>(wasm.size()),
                         "function and code section have inconsistent lengths"));
}

TEST(SectionCounts, CodeWithoutFunctions) {
  Bytes wasm = moduleWith(kVoidType, section(kCodeSection, vec(funcBody({0x0B}))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 16,
                         "code section: function and code section have inconsistent lengths"));
}

TEST(SectionCounts, MoreBodiesThanFunctions) {
  // Function section at 14-17, code section at 18: its count at 20.
  Bytes wasm = moduleWith(kVoidType, section(kFunctionSection, vec(0)),
                          section(kCodeSection, vec(funcBody({0x0B}), funcBody({0x0B}))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 20, "inconsistent lengths"));
}

TEST(SectionCounts, DataCountMismatch) {
  const Bytes memory = section(kMemorySection, vec(limitsOf(1)));
  const Bytes oneSegment = section(kDataSection, vec(cat(0x01, sized({}))));
  Bytes wasm = moduleWith(memory, section(kDataCountSection, u32(2)), oneSegment);
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), static_cast<uint32_t>(wasm.size()),
                         "data count and data section have inconsistent lengths"));
  wasm = moduleWith(memory, section(kDataCountSection, u32(1)));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), static_cast<uint32_t>(wasm.size()),
                         "data count and data section have inconsistent lengths"));
  auto m = decode(moduleWith(memory, section(kDataCountSection, u32(1)), oneSegment));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->dataCount, 1u);
  EXPECT_EQ(m->datas.size(), 1u);
}

TEST(SectionCounts, DataCountSection) {
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kDataCountSection, {}))), 10,
                         "datacount section: unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kDataCountSection, {0x80}))), 10,
                         "unexpected end"));
  // Without a data section the data count must be zero, and then it decodes.
  auto m = decode(moduleWith(section(kDataCountSection, u32(0))));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->dataCount, 0u);
}

// ---- type section ---------------------------------------------------------------------

TEST(TypeSection, DecodesParamsAndResults) {
  auto m = decode(moduleWith(
      section(kTypeSection, vec(funcType({kI32, kI64}, {kF32}), funcType({}, {}),
                                funcType({kF64}, {kI32, kI64, kV128, kFuncRef, kExternRef})))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->types.size(), 3u);
  const FuncType& t0 = m->types[0];
  EXPECT_EQ(t0.numParams, 2u);
  EXPECT_EQ(t0.numResults(), 1u);
  EXPECT_EQ(t0.params()[0], ValType::I32);
  EXPECT_EQ(t0.params()[1], ValType::I64);
  EXPECT_EQ(t0.results()[0], ValType::F32);
  EXPECT_EQ(t0.toString(), "[i32 i64] -> [f32]");
  EXPECT_EQ(m->types[1].types.size(), 0u);
  EXPECT_EQ(m->types[2].toString(), "[f64] -> [i32 i64 v128 funcref externref]");
}

TEST(TypeSection, BadFormByte) {
  // Type 0 is bytes 11-13; type 1's form byte is at 14.
  Bytes wasm = moduleWith(section(kTypeSection, vec(funcType({}, {}), cat(0x61, 0x00, 0x00))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 14,
                         "type section: type 1: malformed function type (expected 0x60)"));
}

TEST(TypeSection, BadValueType) {
  Bytes wasm = moduleWith(section(kTypeSection, vec(cat(0x60, 0x01, 0x7A, 0x00))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 13, "type section: type 0: malformed value type"));
  // A value type in the result list; 0x40 (the empty block type) is not a value type.
  wasm = moduleWith(section(kTypeSection, vec(cat(0x60, 0x00, 0x01, 0x40))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 14, "malformed value type"));
}

TEST(TypeSection, ParamAndResultLimits) {
  using limits::kMaxFunctionParams;
  using limits::kMaxFunctionResults;
  Bytes params(kMaxFunctionParams, kI32);
  ASSERT_TRUE(decode(moduleWith(section(kTypeSection, vec(funcType(params, {}))))).ok());
  params.push_back(kI32);
  Bytes sec = section(kTypeSection, vec(funcType(params, {})));
  // Payload: count, 0x60, then the parameter count.
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec) + 2,
                         "type section: type 0: too many parameters (1001, limit 1000)"));

  Bytes results(kMaxFunctionResults, kI64);
  ASSERT_TRUE(decode(moduleWith(section(kTypeSection, vec(funcType({}, results))))).ok());
  results.push_back(kI64);
  sec = section(kTypeSection, vec(funcType({}, results)));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec) + 3,
                         "too many results (1001, limit 1000)"));
}

TEST(TypeSection, TooManyTypes) {
  const uint32_t n = limits::kMaxTypes + 1;
  std::vector<Bytes> types(n, funcType({}, {}));
  Bytes sec = section(kTypeSection, vecOf(types));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec),
                         "too many types (1000001, limit 1000000)"));
}

// ---- import section -------------------------------------------------------------------

TEST(ImportSection, DecodesAllFourKinds) {
  Bytes wasm = moduleWith(
      kVoidType, section(kImportSection,
                         vec(cat(name("env"), name("f"), kExternFunc, u32(0)),
                             cat(name("env"), name("t"), kExternTable, kFuncRef, limitsOf(1, 2)),
                             cat(name("env"), name("m"), kExternMemory, limitsOf(1)),
                             cat(name("env"), name("g"), kExternGlobal, kI64, 0x01))));
  auto m = decode(wasm);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->imports.size(), 4u);
  // The import section's payload is at 16: count, then the first entry at 17.
  EXPECT_EQ(m->imports[0].offset, 17u);
  EXPECT_EQ(m->imports[0].module, "env");
  EXPECT_EQ(m->imports[0].name, "f");
  EXPECT_EQ(m->imports[0].kind, ExternKind::Func);
  EXPECT_EQ(m->imports[1].kind, ExternKind::Table);
  EXPECT_EQ(m->imports[2].kind, ExternKind::Memory);
  EXPECT_EQ(m->imports[3].kind, ExternKind::Global);

  EXPECT_EQ(m->numImportedFunctions, 1u);
  EXPECT_EQ(m->numImportedTables, 1u);
  EXPECT_EQ(m->numImportedMemories, 1u);
  EXPECT_EQ(m->numImportedGlobals, 1u);
  ASSERT_EQ(m->functions.size(), 1u);
  EXPECT_EQ(m->functions[0], 0u);
  EXPECT_EQ(m->functionOffsets, std::vector<uint32_t>{17});
  ASSERT_EQ(m->tables.size(), 1u);
  EXPECT_EQ(m->tables[0].elemType, ValType::FuncRef);
  EXPECT_EQ(m->tables[0].limits.min, 1u);
  EXPECT_TRUE(m->tables[0].limits.hasMax);
  EXPECT_EQ(m->tables[0].limits.max, 2u);
  ASSERT_EQ(m->memories.size(), 1u);
  EXPECT_EQ(m->memories[0].limits.min, 1u);
  EXPECT_FALSE(m->memories[0].limits.hasMax);
  ASSERT_EQ(m->globals.size(), 1u);
  EXPECT_EQ(m->globals[0].type.type, ValType::I64);
  EXPECT_TRUE(m->globals[0].type.isMutable);
  EXPECT_EQ(m->numDefinedFunctions(), 0u);
  EXPECT_TRUE(validator::validateModule(*m).ok());
}

TEST(ImportSection, BadKind) {
  // Entry at 11: names "a" (11-12) and "b" (13-14), kind at 15.
  Bytes wasm = moduleWith(section(kImportSection, vec(cat(name("a"), name("b"), 0x04, 0x00))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 15, "import section: import 0: malformed import kind"));
}

TEST(ImportSection, BadNames) {
  Bytes wasm = moduleWith(
      section(kImportSection, vec(cat(Bytes{0x01, 0xFF}, name("b"), kExternFunc, 0x00))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 11, "import 0: malformed UTF-8 encoding"));
  wasm = moduleWith(
      section(kImportSection, vec(cat(name("a"), Bytes{0x02, 0xC0, 0x80}, kExternFunc, 0x00))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 13, "malformed UTF-8 encoding"));
  wasm = moduleWith(section(kImportSection, cat(0x01, 0x10, 'a', 'b', 'c')));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 11, "unexpected end (length out of bounds)"));
}

TEST(ImportSection, BadDescriptors) {
  // Descriptors start at 16, after count (10), "a" (11-12), "b" (13-14), kind (15).
  auto importOf = [](const Bytes& kindAndDesc) {
    return moduleWith(section(kImportSection, vec(cat(name("a"), name("b"), kindAndDesc))));
  };
  EXPECT_TRUE(hasErrorAt(decodeError(importOf(cat(kExternGlobal, kI32, 0x02))), 17,
                         "malformed mutability"));
  EXPECT_TRUE(hasErrorAt(decodeError(importOf(cat(kExternGlobal, 0x40, 0x00))), 16,
                         "malformed value type"));
  EXPECT_TRUE(hasErrorAt(decodeError(importOf(cat(kExternTable, kI32, limitsOf(0)))), 16,
                         "malformed reference type"));
  EXPECT_TRUE(hasErrorAt(decodeError(importOf(cat(kExternTable, kFuncRef, 0x02, 0x00))), 17,
                         "malformed limits flags"));
  EXPECT_TRUE(hasErrorAt(decodeError(importOf(cat(kExternMemory, 0x02, 0x00, 0x00))), 16,
                         "malformed limits flags"));
  EXPECT_TRUE(hasErrorAt(decodeError(importOf(cat(kExternFunc, 0x80))), 16, "unexpected end"));
}

// ---- function section -----------------------------------------------------------------

TEST(FunctionSection, DecodesTypeIndicesAndBodies) {
  // Type section 8-13; function section 14-18 (entries at 17, 18); code section from 19:
  // count at 21, body sizes at 22 and 25, bodies at 23 and 26.
  Bytes wasm = moduleWith(kVoidType, section(kFunctionSection, vec(0, 0)),
                          section(kCodeSection, vec(funcBody({0x0B}), funcBody({0x0B}))));
  auto m = decode(wasm);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->functions, (std::vector<uint32_t>{0, 0}));
  EXPECT_EQ(m->functionOffsets, (std::vector<uint32_t>{17, 18}));
  EXPECT_EQ(m->numDefinedFunctions(), 2u);
  EXPECT_EQ(m->codeSectionOffset, 21u);
  EXPECT_EQ(m->codeSectionSize, 7u);
  ASSERT_EQ(m->bodies.size(), 2u);
  EXPECT_EQ(m->bodies[0].offset, 23u);
  EXPECT_EQ(m->bodies[0].size, 2u);
  EXPECT_EQ(m->bodies[1].offset, 26u);
  EXPECT_EQ(m->bodies[1].size, 2u);
  EXPECT_EQ(m->bytes[m->bodies[1].offset + 1], 0x0B);
}

TEST(FunctionSection, TruncatedIndex) {
  Bytes wasm = moduleWith(section(kFunctionSection, {0x02, 0x00, 0x80}));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 12, "function section: unexpected end"));
}

TEST(FunctionSection, TooManyFunctions) {
  const uint32_t n = limits::kMaxFunctions + 1;
  Bytes payload = cat(u32(n), Bytes(n, 0x00));
  Bytes sec = section(kFunctionSection, payload);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec),
                         "too many functions (1000001, limit 1000000)"));
}

// ---- table section --------------------------------------------------------------------

TEST(TableSection, DecodesTables) {
  auto m = decode(moduleWith(
      section(kTableSection, vec(cat(kFuncRef, limitsOf(1)), cat(kExternRef, limitsOf(2, 10))))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->tables.size(), 2u);
  EXPECT_EQ(m->tables[0].elemType, ValType::FuncRef);
  EXPECT_EQ(m->tables[0].limits.min, 1u);
  EXPECT_FALSE(m->tables[0].limits.hasMax);
  EXPECT_EQ(m->tables[1].elemType, ValType::ExternRef);
  EXPECT_EQ(m->tables[1].limits.min, 2u);
  EXPECT_EQ(m->tables[1].limits.max, 10u);
  EXPECT_EQ(m->tableOffsets, (std::vector<uint32_t>{11, 14}));
}

TEST(TableSection, BadTables) {
  EXPECT_TRUE(
      hasErrorAt(decodeError(moduleWith(section(kTableSection, vec(cat(kI32, limitsOf(0)))))), 11,
                 "table section: table 0: malformed reference type"));
  // Tables take no shared/64-bit flags, whatever the features.
  for (uint8_t flags : {0x02, 0x03, 0x04, 0x08, 0x80}) {
    Bytes wasm = moduleWith(section(kTableSection, vec(cat(kFuncRef, flags, 0x00, 0x00))));
    EXPECT_TRUE(hasErrorAt(decodeError(wasm, Features::all()), 12, "malformed limits flags"))
        << int{flags};
  }
  EXPECT_TRUE(
      hasErrorAt(decodeError(moduleWith(section(
                     kTableSection, vec(cat(kFuncRef, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10))))),
                 13, "integer too large"));
  // Maximum missing although the flag announces it.
  EXPECT_TRUE(
      hasErrorAt(decodeError(moduleWith(section(kTableSection, {0x01, kFuncRef, 0x01, 0x00}))), 14,
                 "unexpected end"));
}

// ---- memory section -------------------------------------------------------------------

TEST(MemorySection, DecodesLimits) {
  auto m = decode(moduleWith(section(kMemorySection, vec(limitsOf(1, 2)))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->memories.size(), 1u);
  EXPECT_EQ(m->memories[0].limits.min, 1u);
  EXPECT_TRUE(m->memories[0].limits.hasMax);
  EXPECT_EQ(m->memories[0].limits.max, 2u);
  EXPECT_FALSE(m->memories[0].limits.shared);
  EXPECT_FALSE(m->memories[0].limits.is64);
  EXPECT_EQ(m->memoryOffsets, std::vector<uint32_t>{11});
}

TEST(MemorySection, FlagsDependOnFeatures) {
  const Bytes shared = moduleWith(section(kMemorySection, vec(cat(0x03, 0x01, 0x02))));
  const Bytes mem64 = moduleWith(
      section(kMemorySection, vec(cat(0x05, u64(uint64_t{1} << 33), u64(uint64_t{1} << 34)))));
  EXPECT_TRUE(hasErrorAt(decodeError(shared), 11,
                         "memory section: memory 0: integer too large (malformed limits flags)"));
  EXPECT_TRUE(hasErrorAt(decodeError(mem64), 11, "malformed limits flags"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kMemorySection, vec(cat(0x08, 0x00))))), 11,
                         "malformed limits flags"));

  Features threads;
  threads.threads = true;
  auto m = decode(shared, threads);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_TRUE(m->memories[0].limits.shared);
  EXPECT_EQ(m->memories[0].limits.max, 2u);
  EXPECT_TRUE(hasErrorAt(decodeError(mem64, threads), 11, "malformed limits flags"));

  Features memory64;
  memory64.memory64 = true;
  m = decode(mem64, memory64);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_TRUE(m->memories[0].limits.is64);
  EXPECT_EQ(m->memories[0].limits.min, uint64_t{1} << 33);
  EXPECT_EQ(m->memories[0].limits.max, uint64_t{1} << 34);
}

TEST(MemorySection, LimitsAreU32) {
  Bytes wasm = moduleWith(section(kMemorySection, vec(cat(0x00, 0x80, 0x80, 0x80, 0x80, 0x10))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 12, "integer too large"));
  wasm = moduleWith(section(kMemorySection, vec(cat(0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F))));
  EXPECT_TRUE(hasErrorAt(decodeError(wasm), 13, "integer too large"));
}

TEST(MemorySection, TooManyMemories) {
  std::vector<Bytes> mems(limits::kMaxMemories + 1, limitsOf(0));
  Bytes sec = section(kMemorySection, vecOf(mems));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec), Features::all()), firstPayload(sec),
                         "too many memories (101, limit 100)"));
}

// ---- global section -------------------------------------------------------------------

TEST(GlobalSection, DecodesTypesAndInitializers) {
  const uint64_t piBits = 0x400921FB54442D18;
  Bytes f64Init = cat(0x44, Bytes(8, 0), 0x0B);
  std::memcpy(f64Init.data() + 1, &piBits, 8);
  auto m = decode(moduleWith(
      section(kGlobalSection, vec(cat(kI32, 0x00, i32Const(-1)), cat(kF64, 0x01, f64Init),
                                  cat(kFuncRef, 0x00, refNull(kFuncRef)),
                                  cat(kI64, 0x00, i64Const(-2)), cat(kI32, 0x00, globalGet(7))))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->globals.size(), 5u);
  const Global& g0 = m->globals[0];
  EXPECT_EQ(g0.type.type, ValType::I32);
  EXPECT_FALSE(g0.type.isMutable);
  EXPECT_EQ(g0.init.kind, ConstExpr::Kind::I32);
  EXPECT_EQ(g0.init.value, 0xFFFFFFFFu);
  // Entry at 11: type and mutability, then the expression at 13, 3 bytes with its end.
  EXPECT_EQ(g0.init.offset, 13u);
  EXPECT_EQ(g0.init.size, 3u);
  EXPECT_TRUE(m->globals[1].type.isMutable);
  EXPECT_EQ(m->globals[1].init.kind, ConstExpr::Kind::F64);
  EXPECT_EQ(m->globals[1].init.value, piBits);
  EXPECT_EQ(m->globals[2].init.kind, ConstExpr::Kind::RefNull);
  EXPECT_EQ(m->globals[2].init.type, ValType::FuncRef);
  EXPECT_EQ(m->globals[3].init.kind, ConstExpr::Kind::I64);
  EXPECT_EQ(m->globals[3].init.value, static_cast<uint64_t>(int64_t{-2}));
  EXPECT_EQ(m->globals[4].init.kind, ConstExpr::Kind::GlobalGet);
  EXPECT_EQ(m->globals[4].init.value, 7u);
}

TEST(GlobalSection, NonConstantInstructions) {
  // Entry at 11; the expression starts at 13.
  Bytes add = cat(kI32, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kGlobalSection, vec(add)))), 17,
                         "global section: global 0: constant expression required"));
  Features extended;
  extended.extendedConst = true;
  auto m = decode(moduleWith(section(kGlobalSection, vec(add))), extended);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->globals[0].init.kind, ConstExpr::Kind::Complex);
  EXPECT_EQ(m->globals[0].init.size, 6u);

  Bytes localGet = cat(kI32, 0x00, 0x20, 0x00, 0x0B);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kGlobalSection, vec(localGet)))), 13,
                         "constant expression required"));
  Bytes nop = cat(kI32, 0x00, 0x01, 0x41, 0x00, 0x0B);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kGlobalSection, vec(nop)))), 13,
                         "constant expression required"));
  // Of the 0xFD page only v128.const is constant.
  Bytes simd = cat(kV128, 0x00, 0xFD, 0x0D, Bytes(16, 0), 0x0B);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kGlobalSection, vec(simd)))), 13,
                         "constant expression required"));
}

TEST(GlobalSection, MalformedEntries) {
  Bytes noEnd = cat(kI32, 0x00, 0x41, 0x00);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kGlobalSection, vec(noEnd)))), 15,
                         "global section: global 0: unexpected end"));
  Bytes badMut = cat(kI32, 0x02, i32Const(0));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kGlobalSection, vec(badMut)))), 12,
                         "malformed mutability"));
  Bytes badConst = cat(kI32, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x08, 0x0B);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kGlobalSection, vec(badConst)))), 14,
                         "integer too large"));
  Bytes badRef = cat(kFuncRef, 0x00, 0xD0, kI32, 0x0B);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kGlobalSection, vec(badRef)))), 14,
                         "malformed reference type"));
}

TEST(GlobalSection, EmptyInitializerIsInvalidNotMalformed) {
  Bytes wasm = moduleWith(section(kGlobalSection, vec(cat(kI32, 0x00, 0x0B))));
  auto m = decode(wasm);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_TRUE(hasError(validateError(wasm), "type mismatch"));
}

// ---- export section -------------------------------------------------------------------

TEST(ExportSection, DecodesExports) {
  auto m = decode(moduleWith(section(kExportSection, vec(cat(name("f"), kExternFunc, u32(3)),
                                                         cat(name("mem"), kExternMemory, 0x00),
                                                         cat(name(""), kExternGlobal, u32(300))))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->exports.size(), 3u);
  EXPECT_EQ(m->exports[0].offset, 11u);
  EXPECT_EQ(m->exports[0].name, "f");
  EXPECT_EQ(m->exports[0].kind, ExternKind::Func);
  EXPECT_EQ(m->exports[0].index, 3u);
  EXPECT_EQ(m->exports[1].name, "mem");
  EXPECT_EQ(m->exports[1].kind, ExternKind::Memory);
  EXPECT_EQ(m->exports[2].name, "");
  EXPECT_EQ(m->exports[2].index, 300u);
}

TEST(ExportSection, BadExports) {
  // Entry at 11: name "f" at 11-12, kind at 13.
  EXPECT_TRUE(
      hasErrorAt(decodeError(moduleWith(section(kExportSection, vec(cat(name("f"), 0x04, 0x00))))),
                 13, "export section: export 0: malformed export kind"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(
                             kExportSection, vec(cat(Bytes{0x01, 0x80}, kExternFunc, 0x00))))),
                         11, "malformed UTF-8 encoding"));
  EXPECT_TRUE(hasErrorAt(
      decodeError(moduleWith(section(kExportSection, vec(cat(name("f"), kExternFunc, 0x80))))), 14,
      "unexpected end"));
}

// ---- start section --------------------------------------------------------------------

TEST(StartSection, DecodesIndex) {
  auto m = decode(moduleWith(section(kStartSection, u32(200))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->start, 200u);
  EXPECT_EQ(m->startOffset, 10u);
}

TEST(StartSection, BadStart) {
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kStartSection, {}))), 10,
                         "start section: unexpected end"));
  EXPECT_TRUE(hasErrorAt(
      decodeError(moduleWith(section(kStartSection, u32(0)), section(kStartSection, u32(0)))), 11,
      "out of order or duplicated"));
}

// ---- element section ------------------------------------------------------------------

TEST(ElementSection, DecodesAllEightForms) {
  auto m = decode(moduleWith(
      section(kElementSection,
              vec(cat(0x00, i32Const(1), vec(0, 1)),                                      // 0
                  cat(0x01, 0x00, vec(2)),                                                // 1
                  cat(0x02, u32(1), i32Const(2), 0x00, vec(3)),                           // 2
                  cat(0x03, 0x00, vec(0)),                                                // 3
                  cat(0x04, i32Const(3), vec(refFunc(0), refNull(kFuncRef))),             // 4
                  cat(0x05, kExternRef, vec(refNull(kExternRef))),                        // 5
                  cat(0x06, u32(2), i32Const(4), kFuncRef, vec(refFunc(1), refFunc(2))),  // 6
                  cat(0x07, kFuncRef, vec(refFunc(2)))))));                               // 7
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->elems.size(), 8u);
  const auto& e = m->elems;
  using enum SegmentMode;

  EXPECT_EQ(e[0].offset, 11u);
  EXPECT_EQ(e[0].mode, Active);
  EXPECT_EQ(e[0].table, 0u);
  EXPECT_EQ(e[0].offsetExpr.kind, ConstExpr::Kind::I32);
  EXPECT_EQ(e[0].offsetExpr.value, 1u);
  EXPECT_EQ(e[0].type, ValType::FuncRef);
  EXPECT_FALSE(e[0].usesExprs);
  EXPECT_EQ(e[0].funcIndices, (std::vector<uint32_t>{0, 1}));

  EXPECT_EQ(e[1].mode, Passive);
  EXPECT_EQ(e[1].type, ValType::FuncRef);
  EXPECT_EQ(e[1].funcIndices, std::vector<uint32_t>{2});

  EXPECT_EQ(e[2].mode, Active);
  EXPECT_EQ(e[2].table, 1u);
  EXPECT_EQ(e[2].offsetExpr.value, 2u);
  EXPECT_EQ(e[2].funcIndices, std::vector<uint32_t>{3});

  EXPECT_EQ(e[3].mode, Declarative);
  EXPECT_EQ(e[3].funcIndices, std::vector<uint32_t>{0});

  EXPECT_EQ(e[4].mode, Active);
  EXPECT_EQ(e[4].table, 0u);
  EXPECT_EQ(e[4].offsetExpr.value, 3u);
  EXPECT_EQ(e[4].type, ValType::FuncRef);
  EXPECT_TRUE(e[4].usesExprs);
  ASSERT_EQ(e[4].size(), 2u);
  EXPECT_EQ(e[4].exprs[0].kind, ConstExpr::Kind::RefFunc);
  EXPECT_EQ(e[4].exprs[0].value, 0u);
  EXPECT_EQ(e[4].exprs[1].kind, ConstExpr::Kind::RefNull);

  EXPECT_EQ(e[5].mode, Passive);
  EXPECT_EQ(e[5].type, ValType::ExternRef);
  EXPECT_TRUE(e[5].usesExprs);
  ASSERT_EQ(e[5].size(), 1u);
  EXPECT_EQ(e[5].exprs[0].type, ValType::ExternRef);

  EXPECT_EQ(e[6].mode, Active);
  EXPECT_EQ(e[6].table, 2u);
  EXPECT_EQ(e[6].offsetExpr.value, 4u);
  EXPECT_EQ(e[6].size(), 2u);
  EXPECT_EQ(e[6].exprs[1].value, 2u);

  EXPECT_EQ(e[7].mode, Declarative);
  EXPECT_TRUE(e[7].usesExprs);
  EXPECT_EQ(e[7].size(), 1u);
}

TEST(ElementSection, BadSegments) {
  auto segment = [](const Bytes& seg) { return moduleWith(section(kElementSection, vec(seg))); };
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(0x08, 0x00))), 11,
                         "element section: segment 0: malformed elements segment kind"));
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(u32(0x100), 0x00))), 11,
                         "malformed elements segment kind"));
  EXPECT_TRUE(
      hasErrorAt(decodeError(segment(cat(0x01, kFuncRef, vec()))), 12, "malformed element kind"));
  EXPECT_TRUE(
      hasErrorAt(decodeError(segment(cat(0x05, kI32, vec()))), 12, "malformed reference type"));
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(0x00, 0x20, 0x00, 0x0B, vec()))), 12,
                         "constant expression required"));
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(0x05, kFuncRef, vec(cat(0x41, 0x00))))), 16,
                         "unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(0x01, 0x00, vec(0x80)))), 14, "unexpected end"));
}

TEST(ElementSection, EntryLimits) {
  const uint32_t n = limits::kMaxTableInitEntries + 1;
  // One segment with too many entries (each function index is one byte).
  Bytes payload = cat(0x01, 0x01, 0x00, u32(n), Bytes(n, 0x00));
  Bytes sec = section(kElementSection, payload);
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec) + 3,
                         "too many element entries (10000001, limit 10000000)"));
  // Two segments that are within the limit each but not together.
  const uint32_t half = n / 2 + 1;
  Bytes seg = cat(0x01, 0x00, u32(half), Bytes(half, 0x00));
  sec = section(kElementSection, cat(0x02, seg, seg));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)),
                         firstPayload(sec) + 1 + static_cast<uint32_t>(seg.size()),
                         "segment 1: too many element entries in the module"));
}

TEST(ElementSection, TooManySegments) {
  const uint32_t n = limits::kMaxElemSegments + 1;
  Bytes sec = section(kElementSection, cat(u32(n), Bytes(n, 0x00)));
  EXPECT_TRUE(
      hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec), "too many element segments"));
}

// ---- code section ---------------------------------------------------------------------

TEST(CodeSection, BadBodySizes) {
  // With one imported function, the defined one is function 1. Type 8-13, import
  // 14-22, function 23-26, code from 27: count at 29, body size at 30.
  const Bytes import = section(kImportSection, vec(cat(name("a"), name("b"), kExternFunc, 0x00)));
  const Bytes functions = section(kFunctionSection, vec(0));
  auto withCode = [&](const Bytes& code) {
    return moduleWith(kVoidType, import, functions, section(kCodeSection, code));
  };
  ASSERT_TRUE(decode(withCode(vec(funcBody({0x0B})))).ok());
  EXPECT_TRUE(hasErrorAt(decodeError(withCode({0x01, 0x00})), 30,
                         "code section: function 1: unexpected end (empty function body)"));
  EXPECT_TRUE(hasErrorAt(decodeError(withCode({0x01, 0x03, 0x00, 0x0B})), 30,
                         "function 1: unexpected end (function body)"));
  EXPECT_TRUE(hasErrorAt(decodeError(withCode(cat(0x01, u32(limits::kMaxFunctionSize + 1)))), 30,
                         "function 1: function body too large (7654322 bytes)"));
  EXPECT_TRUE(hasErrorAt(decodeError(withCode({0x01, 0x80})), 30, "unexpected end"));
}

TEST(CodeSection, LargestBodyDecodes) {
  // A body of exactly kMaxFunctionSize bytes: no locals, nops, end.
  Bytes code(limits::kMaxFunctionSize - 1, 0x01);
  code[code.size() - 1] = 0x0B;
  Bytes wasm = moduleWith(kVoidType, section(kFunctionSection, vec(0)),
                          section(kCodeSection, vec(funcBody(code))));
  auto m = decode(wasm);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->bodies[0].size, limits::kMaxFunctionSize);
  EXPECT_TRUE(validator::validateModule(*m).ok());
}

// Locals are declared in the body, so their limit is checked when the body is read.
TEST(CodeSection, LocalsLimit) {
  const uint32_t max = limits::kMaxFunctionLocals;
  auto withLocals = [](const Bytes& params, const Bytes& locals) {
    ModuleBuilder mb;
    mb.func(mb.type(params, {}), locals, {0x0B});
    return mb.build();
  };
  EXPECT_EQ(validateError(withLocals({}, vec(cat(u32(max), kI32)))), "");
  EXPECT_EQ(validateError(withLocals({}, vec(cat(u32(max - 1), kI32), cat(u32(1), kF64)))), "");
  EXPECT_TRUE(hasError(validateError(withLocals({}, vec(cat(u32(max + 1), kI32)))),
                       "too many locals (limit 50000)"));
  EXPECT_TRUE(hasError(validateError(withLocals({}, vec(cat(u32(max), kI32), cat(u32(1), kI64)))),
                       "too many locals"));
  // Parameters count towards the limit.
  EXPECT_TRUE(
      hasError(validateError(withLocals({kI32}, vec(cat(u32(max), kI32)))), "too many locals"));
  // A hostile count of 2^32-1 locals fails without allocating them.
  EXPECT_TRUE(
      hasError(validateError(withLocals({}, vec(cat(u32(0xFFFFFFFF), kI32)))), "too many locals"));
  EXPECT_TRUE(hasError(validateError(withLocals({}, cat(u32(0xFFFFFFFF), 0x01, kI32))),
                       "unexpected end (length out of bounds)"));
}

TEST(CodeSection, LocalsErrorOffsets) {
  // Type 8-13, function 14-17, code from 18: count 20, body size 21, locals vector 22.
  Bytes wasm = moduleWith(kVoidType, section(kFunctionSection, vec(0)),
                          section(kCodeSection, vec(funcBody(vec(cat(0x01, 0x40)), {0x0B}))));
  EXPECT_TRUE(hasErrorAt(validateError(wasm), 24, "function 0: malformed value type"));
  wasm = moduleWith(kVoidType, section(kFunctionSection, vec(0)),
                    section(kCodeSection, vec(funcBody(vec(cat(u32(50001), kI32)), {0x0B}))));
  EXPECT_TRUE(hasErrorAt(validateError(wasm), 23, "function 0: too many locals"));
}

// ---- data section ---------------------------------------------------------------------

TEST(DataSection, DecodesAllThreeForms) {
  const Bytes memory = section(kMemorySection, vec(limitsOf(1)));  // bytes 8-12
  Bytes wasm = moduleWith(
      memory, section(kDataSection, vec(cat(0x00, i32Const(16), name("abc")), cat(0x01, name("xy")),
                                        cat(0x02, u32(0), i32Const(32), name("")))));
  auto m = decode(wasm);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->datas.size(), 3u);
  const auto& d = m->datas;
  // Data payload at 15: count, then segment 0 at 16: flags, expression 17-19, size 20.
  EXPECT_EQ(d[0].offset, 16u);
  EXPECT_EQ(d[0].mode, SegmentMode::Active);
  EXPECT_EQ(d[0].memory, 0u);
  EXPECT_EQ(d[0].offsetExpr.value, 16u);
  EXPECT_EQ(d[0].dataOffset, 21u);
  EXPECT_EQ(d[0].dataSize, 3u);
  EXPECT_EQ(std::string(m->bytes.begin() + d[0].dataOffset,
                        m->bytes.begin() + d[0].dataOffset + d[0].dataSize),
            "abc");
  EXPECT_EQ(d[1].mode, SegmentMode::Passive);
  EXPECT_EQ(std::string(m->bytes.begin() + d[1].dataOffset,
                        m->bytes.begin() + d[1].dataOffset + d[1].dataSize),
            "xy");
  EXPECT_EQ(d[2].mode, SegmentMode::Active);
  EXPECT_EQ(d[2].memory, 0u);
  EXPECT_EQ(d[2].offsetExpr.value, 32u);
  EXPECT_EQ(d[2].dataSize, 0u);
  EXPECT_TRUE(validator::validateModule(*m).ok());
}

TEST(DataSection, BadSegments) {
  auto segment = [](const Bytes& seg) { return moduleWith(section(kDataSection, vec(seg))); };
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(0x03, 0x00))), 11,
                         "data section: segment 0: malformed data segment kind"));
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(0x01, 0x05, 'a', 'b'))), 12,
                         "unexpected end of section or function"));
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(0x00, 0x23, 0x00, 0x6A, 0x0B, 0x00))), 14,
                         "constant expression required"));
  EXPECT_TRUE(hasErrorAt(decodeError(segment(cat(0x02, 0x80))), 12, "unexpected end"));
}

TEST(DataSection, TooManySegments) {
  const uint32_t n = limits::kMaxDataSegments + 1;
  Bytes sec = section(kDataSection, cat(u32(n), Bytes(2 * n, 0x01)));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec),
                         "too many data segments (100001, limit 100000)"));
}

// ---- custom sections ------------------------------------------------------------------

TEST(CustomSection, RecordsNameAndPayload) {
  auto m = decode(moduleWith(section(kCustomSection, cat(name("hello"), 0xAA, 0xBB, 0xCC)),
                             section(kCustomSection, name(""))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  ASSERT_EQ(m->customs.size(), 2u);
  EXPECT_EQ(m->customs[0].name, "hello");
  // Payload after the name: 10 (length) + 6.
  EXPECT_EQ(m->customs[0].offset, 16u);
  EXPECT_EQ(m->customs[0].size, 3u);
  EXPECT_EQ(m->bytes[m->customs[0].offset], 0xAA);
  EXPECT_EQ(m->customs[1].name, "");
  EXPECT_EQ(m->customs[1].size, 0u);
}

TEST(CustomSection, BadNames) {
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kCustomSection, {}))), 10,
                         "custom section: unexpected end"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kCustomSection, {0x05, 'a'}))), 10,
                         "custom section: unexpected end (length out of bounds)"));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(section(kCustomSection, {0x02, 0xED, 0xA0}))), 10,
                         "malformed UTF-8 encoding"));
  // The name's length runs into the next section.
  EXPECT_TRUE(
      hasErrorAt(decodeError(moduleWith(section(kCustomSection, {0x03, 'a'}), Bytes{'b', 'c'})), 10,
                 "unexpected end (length out of bounds)"));
}

Bytes nameSection(const Bytes& subsections) {
  return section(kCustomSection, cat(name("name"), subsections));
}

TEST(CustomSection, NameSectionGivesFunctionNames) {
  Bytes wasm = moduleWith(
      kVoidType, section(kFunctionSection, vec(0, 0, 0)),
      section(kCodeSection, vec(funcBody({0x0B}), funcBody({0x0B}), funcBody({0x0B}))),
      nameSection(cat(0x00, sized(name("mod")),  // module name: skipped
                      0x01, sized(vec(cat(u32(0), name("main")), cat(u32(2), name("helper")))),
                      0x02, sized(vec()))));  // local names: skipped
  auto m = decode(wasm);
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->functionNames.size(), 2u);
  EXPECT_EQ(m->functionNames.at(0), "main");
  EXPECT_EQ(m->functionNames.at(2), "helper");
  EXPECT_EQ(m->functionDisplayName(0), "function 0 (main)");
  EXPECT_EQ(m->functionDisplayName(1), "function 1");
  ASSERT_EQ(m->customs.size(), 1u);
  EXPECT_EQ(m->customs[0].name, "name");
}

TEST(CustomSection, NamesAppearInValidationErrors) {
  Bytes wasm = moduleWith(kVoidType, section(kFunctionSection, vec(0)),
                          section(kCodeSection, vec(funcBody({0x6A, 0x0B}))),
                          nameSection(cat(0x01, sized(vec(cat(u32(0), name("adder")))))));
  EXPECT_TRUE(hasError(validateError(wasm), "function 0 (adder): type mismatch in i32.add"));
}

TEST(CustomSection, MalformedNameSectionIsIgnored) {
  const std::vector<Bytes> badNameSections = {
      nameSection({0x01}),                                        // truncated subsection header
      nameSection({0x01, 0x10, 0x00}),                            // subsection size too large
      nameSection(cat(0x01, sized(cat(u32(0xFFFFFFFF), 0x00)))),  // hostile count
      nameSection(cat(0x01, sized(vec(cat(u32(0), Bytes{0x01, 0xFF}))))),  // bad UTF-8
      nameSection(cat(0x01, sized(vec(cat(u32(0), Bytes{0x09, 'a'}))))),   // name too long
      nameSection(cat(0x01, sized(cat(0x02, u32(0), name("a"))))),         // too few entries
      nameSection({0xFF, 0xFF, 0xFF}),                                     // garbage
  };
  for (size_t i = 0; i < badNameSections.size(); i++) {
    Bytes wasm = moduleWith(kVoidType, section(kFunctionSection, vec(0)),
                            section(kCodeSection, vec(funcBody({0x0B}))), badNameSections[i]);
    auto m = decode(wasm);
    ASSERT_TRUE(m.ok()) << i << ": " << errorOf(m);
    EXPECT_EQ(m->customs.size(), 1u) << i;
    EXPECT_TRUE(validator::validateModule(*m).ok()) << i;
  }
}

// ---- other limits ---------------------------------------------------------------------

TEST(Limits, TooManyImports) {
  const uint32_t n = limits::kMaxImports + 1;
  Bytes entry = cat(name(""), name(""), kExternFunc, 0x00);
  std::vector<Bytes> entries(n, entry);
  Bytes sec = section(kImportSection, vecOf(entries));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec),
                         "import section: too many imports (100001, limit 100000)"));
  entries.pop_back();
  auto m = decode(moduleWith(section(kImportSection, vecOf(entries))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->numImportedFunctions, limits::kMaxImports);
}

TEST(Limits, TooManyTablesExportsGlobals) {
  std::vector<Bytes> tables(limits::kMaxTables + 1, cat(kFuncRef, limitsOf(0)));
  Bytes sec = section(kTableSection, vecOf(tables));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec),
                         "too many tables (100001, limit 100000)"));

  std::vector<Bytes> exports(limits::kMaxExports + 1, cat(name(""), kExternFunc, 0x00));
  sec = section(kExportSection, vecOf(exports));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec),
                         "too many exports (100001, limit 100000)"));

  std::vector<Bytes> globals(limits::kMaxGlobals + 1, cat(kI32, 0x00, i32Const(0)));
  sec = section(kGlobalSection, vecOf(globals));
  EXPECT_TRUE(hasErrorAt(decodeError(moduleWith(sec)), firstPayload(sec),
                         "too many globals (1000001, limit 1000000)"));
}

TEST(Limits, ImportedEntriesCountTowardsLimits) {
  const Features features = Features::all();
  const Bytes importMemory =
      section(kImportSection, vec(cat(name("a"), name("m"), kExternMemory, limitsOf(0))));
  std::vector<Bytes> mems(limits::kMaxMemories, limitsOf(0));
  EXPECT_TRUE(hasError(
      decodeError(moduleWith(importMemory, section(kMemorySection, vecOf(mems))), features),
      "too many memories"));

  const Bytes importTable =
      section(kImportSection, vec(cat(name("a"), name("t"), kExternTable, kFuncRef, limitsOf(0))));
  std::vector<Bytes> tables(limits::kMaxTables, cat(kFuncRef, limitsOf(0)));
  EXPECT_TRUE(hasError(decodeError(moduleWith(importTable, section(kTableSection, vecOf(tables)))),
                       "too many tables"));

  const Bytes importGlobal =
      section(kImportSection, vec(cat(name("a"), name("g"), kExternGlobal, kI32, 0x00)));
  std::vector<Bytes> globals(limits::kMaxGlobals, cat(kI32, 0x00, i32Const(0)));
  EXPECT_TRUE(
      hasError(decodeError(moduleWith(importGlobal, section(kGlobalSection, vecOf(globals)))),
               "too many globals"));
}

TEST(Limits, NamesLongerThanTheLimitAreRejected) {
  const std::string longName(limits::kMaxNameSize + 1, 'n');
  EXPECT_TRUE(
      hasError(decodeError(moduleWith(section(
                   kImportSection, vec(cat(name(longName), name("b"), kExternFunc, 0x00))))),
               "limit 100000"));
  EXPECT_TRUE(hasError(
      decodeError(moduleWith(section(kExportSection, vec(cat(name(longName), kExternFunc, 0x00))))),
      "limit 100000"));
  EXPECT_TRUE(
      hasError(decodeError(moduleWith(section(kCustomSection, name(longName)))), "limit 100000"));
}

TEST(Limits, NamesAtTheLimitAreAccepted) {
  const std::string longName(limits::kMaxNameSize, 'n');
  auto m = decode(moduleWith(section(kExportSection, vec(cat(name(longName), kExternFunc, 0x00))),
                             section(kCustomSection, name(longName))));
  ASSERT_TRUE(m.ok()) << errorOf(m);
  EXPECT_EQ(m->exports[0].name.size(), limits::kMaxNameSize);
}

}  // namespace
}  // namespace wisp::decoder
