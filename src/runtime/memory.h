// Linear memory: an address-space reservation large enough that no 32-bit index plus
// 32-bit offset can leave it, so compiled code needs no bounds checks; only the
// committed pages are accessible and any other access faults into a trap. The base
// never moves: growing only changes protections.
#pragma once

#include <cstdint>
#include <memory>

#include "decoder/result.h"
#include "decoder/types.h"
#include "jit/vmcontext.h"

namespace wisp::runtime {

class LinearMemory {
 public:
  /// Bytes reserved per 32-bit memory: 4 GiB of index + 4 GiB of offset + one guard
  /// page for the widest access.
  static constexpr uint64_t kReservation = (uint64_t{8} << 30) + 65536;

  /// `maxPages` is the embedder's limit (already at most the type's maximum).
  static Result<std::unique_ptr<LinearMemory>> create(const MemoryType& type, uint64_t maxPages);
  ~LinearMemory();
  LinearMemory(const LinearMemory&) = delete;
  LinearMemory& operator=(const LinearMemory&) = delete;

  uint8_t* base() const { return instance_.base; }
  uint64_t byteSize() const { return instance_.byteSize; }
  uint64_t pages() const { return instance_.byteSize / kPageSize; }
  /// Largest size in pages this memory may reach (type maximum and embedder limit).
  uint64_t maxPages() const { return maxPages_; }
  const MemoryType& type() const { return type_; }
  /// The highest size reached, in bytes (for observability).
  uint64_t peakBytes() const { return peak_; }

  /// memory.grow: returns the old size in pages, or -1 if the memory cannot grow.
  int64_t grow(uint64_t deltaPages);

  jit::MemoryInstance* instance() { return &instance_; }

  /// True when [offset, offset+length) lies inside the memory.
  bool inBounds(uint64_t offset, uint64_t length) const {
    return offset <= instance_.byteSize && length <= instance_.byteSize - offset;
  }

 private:
  LinearMemory() = default;
  jit::MemoryInstance instance_;
  MemoryType type_;
  uint64_t maxPages_ = 0;
  uint64_t peak_ = 0;
};

}  // namespace wisp::runtime
