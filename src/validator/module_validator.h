// Module-level validation (3.4): everything outside function bodies, then each body
// through FunctionValidator.
#pragma once

#include "decoder/features.h"
#include "decoder/module.h"
#include "decoder/result.h"

namespace wisp::validator {

/// Checks module-level rules (indices, limits, constant expressions, exports, start)
/// and computes m.declaredFunctionRefs. Function bodies are not looked at.
Result<void> validateModuleStructure(decoder::Module& m, const Features& features = {});

/// Checks one defined function's body (plain validation, no listener).
Result<void> validateFunction(const decoder::Module& m, uint32_t funcIndex,
                              const Features& features = {});

/// validateModuleStructure plus every function body.
Result<void> validateModule(decoder::Module& m, const Features& features = {});

/// Decode and validate in one call, taking ownership of the bytes.
Result<decoder::Module> decodeAndValidate(std::vector<uint8_t> bytes,
                                          const Features& features = {});
/// Validates without copying the bytes (what `wisp validate` does).
Result<void> validateBytes(std::span<const uint8_t> bytes, const Features& features = {});

}  // namespace wisp::validator
