// Linear memory: an address-space reservation large enough that no 32-bit index plus
// 32-bit offset can leave it, so compiled code needs no bounds checks; only the
// committed pages are accessible and any other access faults into a trap. The base
// never moves: growing only changes protections.
//
// Reservations can come from a MemoryPool, which keeps them between instances (reset
// with madvise instead of unmapped), and a memory can start from a module's
// copy-on-write data image instead of copying its data segments.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "decoder/result.h"
#include "decoder/types.h"
#include "jit/vmcontext.h"

namespace wisp::runtime {

/// Bytes reserved per 32-bit memory: 4 GiB of index + 4 GiB of offset + one guard page
/// for the widest access.
constexpr uint64_t kMemoryReservation = (uint64_t{8} << 30) + 65536;

/// Pre-reserved linear-memory regions, handed out and taken back by LinearMemory.
/// Thread-safe.
class MemoryPool {
 public:
  /// Up to `maxSlots` reservations are kept for reuse.
  explicit MemoryPool(size_t maxSlots) : maxSlots_(maxSlots) {}
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  /// A PROT_NONE reservation of kMemoryReservation bytes, or null.
  uint8_t* acquire();
  /// Takes back a reservation whose first `usedBytes` may be accessible and dirty.
  void release(uint8_t* base, uint64_t usedBytes);
  size_t pooled() const;

 private:
  size_t maxSlots_;
  mutable std::mutex mutex_;
  std::vector<uint8_t*> free_;
};

struct DataImage;

/// Reservations already prepared for one module's memory — initial pages accessible,
/// data image mapped — so instantiating takes one with no system call. On return a
/// reservation is reset with a single madvise (written pages drop back to zeros or to
/// the image) instead of being remapped, or, for small memories when configured
/// (EngineConfig::keepResidentBytes), in place with no system call. Thread-safe.
class PreparedMemoryCache {
 public:
  /// `keepResident`: see EngineConfig::keepResidentBytes.
  PreparedMemoryCache(MemoryPool* fallback, size_t maxSlots, uint64_t keepResident = 0)
      : fallback_(fallback), maxSlots_(maxSlots), keepResident_(keepResident) {}
  ~PreparedMemoryCache();
  PreparedMemoryCache(const PreparedMemoryCache&) = delete;
  PreparedMemoryCache& operator=(const PreparedMemoryCache&) = delete;

  /// A prepared reservation, or null when none is cached.
  uint8_t* take();
  /// Resets and keeps a reservation of this module's memory (or hands it to the
  /// fallback pool when the cache is full). `image`: the data image the memory was
  /// mapped from, or null.
  void give(uint8_t* base, uint64_t usedBytes, uint64_t initialBytes,
            const DataImage* image = nullptr);

 private:
  MemoryPool* fallback_;
  size_t maxSlots_;
  uint64_t keepResident_ = 0;
  std::mutex mutex_;
  std::vector<uint8_t*> free_;
};

/// A module's initial memory contents as a sealed memfd, mapped copy-on-write into
/// each new memory (pages are shared until written).
struct DataImage {
  int fd = -1;
  uint64_t size = 0;              // bytes, a multiple of the page size
  const uint8_t* view = nullptr;  // a read-only mapping of the image (for in-place resets)
  ~DataImage();
};

class LinearMemory {
 public:
  static constexpr uint64_t kReservation = kMemoryReservation;

  /// `maxPages` is the embedder's limit (already at most the type's maximum). With
  /// a pool, the reservation comes from (and returns to) it. With an image, its bytes
  /// are mapped copy-on-write at offset 0.
  static Result<std::unique_ptr<LinearMemory>> create(const MemoryType& type, uint64_t maxPages,
                                                      MemoryPool* pool = nullptr,
                                                      const DataImage* image = nullptr,
                                                      PreparedMemoryCache* cache = nullptr);
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

  /// Whether the memory started from a data image (its data segments are in place).
  bool fromImage() const { return imageSize_ != 0; }

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
  MemoryPool* pool_ = nullptr;
  PreparedMemoryCache* cache_ = nullptr;
  uint64_t initialBytes_ = 0;
  uint64_t imageSize_ = 0;            // bytes at the start mapped from a DataImage
  const DataImage* image_ = nullptr;  // that image
};

}  // namespace wisp::runtime
