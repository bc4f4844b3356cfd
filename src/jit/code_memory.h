// Executable memory for compiled code, written once and then mapped read+execute
// (never writable and executable at the same time).
#pragma once

#include <cstddef>
#include <cstdint>

#include "decoder/result.h"

namespace wisp::jit {

class CodeMemory {
 public:
  CodeMemory() = default;
  CodeMemory(const CodeMemory&) = delete;
  CodeMemory& operator=(const CodeMemory&) = delete;
  CodeMemory(CodeMemory&& other) noexcept { *this = static_cast<CodeMemory&&>(other); }
  CodeMemory& operator=(CodeMemory&& other) noexcept;
  ~CodeMemory();

  /// Maps `size` bytes read+write for filling in.
  static Result<CodeMemory> allocate(size_t size);
  uint8_t* data() const { return base_; }
  size_t size() const { return size_; }
  /// Switches the region to read+execute.
  Result<void> makeExecutable();

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
};

}  // namespace wisp::jit
