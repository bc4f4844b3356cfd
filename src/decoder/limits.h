// Implementation limits on untrusted modules. A module beyond any of these is refused
// with an error naming the limit. The values follow V8's wasm-limits.h (the JS API's
// de-facto limits), so a module accepted by browsers is accepted here.
//
// Memory use while decoding and validating is bounded by the module size times a small
// constant: every count read from the input is checked against the bytes that remain,
// control nesting and operand stack height are bounded by the function body size, and
// neither the decoder nor the validator recurses.
#pragma once

#include <cstdint>

namespace wisp::decoder::limits {

constexpr uint64_t kMaxModuleSize = 1024u * 1024 * 1024;  // 1 GiB
constexpr uint32_t kMaxTypes = 1000000;
constexpr uint32_t kMaxFunctions = 1000000;
constexpr uint32_t kMaxImports = 100000;
constexpr uint32_t kMaxExports = 100000;
constexpr uint32_t kMaxGlobals = 1000000;
constexpr uint32_t kMaxTables = 100000;
constexpr uint32_t kMaxMemories = 100;
constexpr uint32_t kMaxDataSegments = 100000;
constexpr uint32_t kMaxElemSegments = 10000000;
constexpr uint32_t kMaxTableInitEntries = 10000000;
constexpr uint32_t kMaxTableSize = 10000000;
constexpr uint32_t kMaxFunctionSize = 7654321;  // bytes of one body
constexpr uint32_t kMaxFunctionLocals = 50000;  // params + declared locals
constexpr uint32_t kMaxFunctionParams = 1000;
constexpr uint32_t kMaxFunctionResults = 1000;
constexpr uint32_t kMaxBrTableSize = 65520;
constexpr uint32_t kMaxSelectTypes = 1;    // 2.0: select t* takes exactly one type
constexpr uint32_t kMaxNameSize = 100000;  // import/export/custom section names

}  // namespace wisp::decoder::limits
