// Executable memory for compiled code, written once and then mapped read+execute
// (never writable and executable at the same time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

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

/// Append-only executable memory for small pieces of code created over time (the
/// engine's entry and exit stubs). Each chunk is one memfd mapped twice — writable
/// and executable — so code can be added while other threads run earlier code in the
/// same pages, without ever having a mapping that is both writable and executable.
/// Thread-safe.
class CodeArena {
 public:
  CodeArena() = default;
  ~CodeArena();
  CodeArena(const CodeArena&) = delete;
  CodeArena& operator=(const CodeArena&) = delete;

  /// Copies `size` bytes in and returns their executable address (16-byte aligned).
  const void* add(const uint8_t* code, size_t size);

 private:
  struct Chunk {
    uint8_t* writable = nullptr;
    uint8_t* executable = nullptr;
    size_t size = 0;
    size_t used = 0;
  };
  bool grow(size_t atLeast);
  std::mutex mutex_;
  std::vector<Chunk> chunks_;
  std::vector<CodeMemory> fallback_;  // when memfd double mapping is unavailable
};

}  // namespace wisp::jit
