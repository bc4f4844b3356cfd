// Decoding of a module's binary form (5.5) into decoder::Module. Function bodies are
// checked for size only; their instructions are read once, later, by the validator.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "decoder/features.h"
#include "decoder/module.h"
#include "decoder/result.h"

namespace wisp::decoder {

/// Decodes a module, taking ownership of its bytes. Errors name the byte offset and the
/// section (and entry) they were found in.
Result<Module> decodeModule(std::vector<uint8_t> bytes, const Features& features = {});

/// Copying convenience overload.
inline Result<Module> decodeModule(std::span<const uint8_t> bytes, const Features& features = {}) {
  return decodeModule(std::vector<uint8_t>(bytes.begin(), bytes.end()), features);
}

/// Decodes without copying: the module refers to `bytes`, which must outlive it (for
/// validation, where nothing keeps the module).
Result<Module> decodeModuleView(std::span<const uint8_t> bytes, const Features& features = {});

/// Formats "offset 0x1a2b: <context>: <message>" the way every decode/validate error reads.
Error makeError(uint32_t offset, const std::string& context, const std::string& message);

}  // namespace wisp::decoder
