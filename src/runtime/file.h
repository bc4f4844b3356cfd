#pragma once
// Reading a module file whole: shared by the CLI, benchmarks and fuzz runners.
#include <cstdint>
#include <string>
#include <vector>

namespace wisp::runtime {

/// Reads the regular file at `path` into `out` (open, fstat, read: no stdio buffer or
/// seeks). False if it cannot be opened, is not a regular file, or reads short.
bool readFile(const std::string& path, std::vector<uint8_t>& out);

}  // namespace wisp::runtime
