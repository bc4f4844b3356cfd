// Bounds-checked access to a guest's linear memory for WASI calls. Every guest pointer
// and length goes through here before the host touches the bytes: all arithmetic is
// done in 64 bits (a 32-bit ptr + 32-bit len cannot wrap), arrays multiply their count
// by the element size in 64 bits, and iovec arrays are checked element by element. A
// failed check is reported to the guest as EFAULT; nothing outside [base, base+size)
// is ever read or written.
#pragma once

#include <sys/uio.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/memory.h"
#include "wasi/abi.h"

namespace wisp::wasi {

static_assert(std::endian::native == std::endian::little,
              "guest structures are little-endian and copied as-is");

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(uint8_t* base, uint64_t size) : base_(base), size_(base ? size : 0) {}
  /// The memory as it is now; a null memory is an empty one (every access faults).
  explicit GuestMemory(const runtime::LinearMemory* memory)
      : GuestMemory(memory ? memory->base() : nullptr, memory ? memory->byteSize() : 0) {}

  uint64_t size() const { return size_; }

  /// True when [ptr, ptr+len) lies inside the memory.
  bool inBounds(uint64_t ptr, uint64_t len) const { return ptr <= size_ && len <= size_ - ptr; }

  /// The bytes [ptr, ptr+len), or nullopt when any of them is outside the memory.
  std::optional<std::span<uint8_t>> bytes(uint32_t ptr, uint32_t len) const {
    if (!inBounds(ptr, len)) return std::nullopt;
    return std::span<uint8_t>(base_ + ptr, len);
  }
  /// `count` elements of `elemSize` bytes at ptr (count * elemSize computed in 64 bits).
  std::optional<std::span<uint8_t>> array(uint32_t ptr, uint32_t count, uint32_t elemSize) const {
    const uint64_t len = uint64_t{count} * elemSize;
    if (!inBounds(ptr, len)) return std::nullopt;
    return std::span<uint8_t>(base_ + ptr, static_cast<size_t>(len));
  }
  /// A guest string (ptr, len) as bytes; nullopt when out of bounds.
  std::optional<std::string_view> string(uint32_t ptr, uint32_t len) const {
    if (!inBounds(ptr, len)) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(base_ + ptr), len);
  }

  template <typename T>
  bool load(uint64_t ptr, T& out) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!inBounds(ptr, sizeof(T))) return false;
    std::memcpy(&out, base_ + ptr, sizeof(T));
    return true;
  }
  template <typename T>
  bool store(uint64_t ptr, T value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!inBounds(ptr, sizeof(T))) return false;
    std::memcpy(base_ + ptr, &value, sizeof(T));
    return true;
  }

  /// Unchecked access for callers that checked the whole range first.
  uint8_t* at(uint64_t ptr) const { return base_ + ptr; }

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

/// Host iovecs built from a guest iovec array, reused across calls (no allocation once
/// it has grown to its capacity).
class IovecBuffer {
 public:
  /// At most this many host iovecs per call (Linux's IOV_MAX): a guest may pass more,
  /// the transfer is then short, which fd_read/fd_write allow.
  static constexpr size_t kMaxIovecs = 1024;
  /// At most this many bytes per call (Linux's MAX_RW_COUNT), so counts fit in u32.
  static constexpr uint64_t kMaxBytes = 0x7ffff000;

  /// Reads `count` guest iovecs (buf u32, len u32) at iovsPtr. Every element, even those
  /// beyond kMaxIovecs, must lie inside memory and point inside memory: otherwise Fault
  /// and the buffer is left empty. Zero-length buffers are skipped.
  Errno gather(const GuestMemory& memory, uint32_t iovsPtr, uint32_t count) {
    iov_.clear();
    total_ = 0;
    auto array = memory.array(iovsPtr, count, layout::kIovecSize);
    if (!array) return Errno::Fault;
    bool full = false;
    for (uint32_t i = 0; i < count; i++) {
      uint32_t buf, len;
      std::memcpy(&buf, array->data() + 8 * size_t{i}, 4);
      std::memcpy(&len, array->data() + 8 * size_t{i} + 4, 4);
      if (!memory.inBounds(buf, len)) {
        iov_.clear();
        total_ = 0;
        return Errno::Fault;
      }
      if (full || len == 0) continue;
      uint64_t take = len;
      if (total_ + take > kMaxBytes) take = kMaxBytes - total_;
      iov_.push_back({memory.at(buf), static_cast<size_t>(take)});
      total_ += take;
      full = total_ == kMaxBytes || iov_.size() == kMaxIovecs;
    }
    return Errno::Success;
  }

  const struct iovec* data() const { return iov_.data(); }
  int count() const { return static_cast<int>(iov_.size()); }
  std::span<const struct iovec> iovecs() const { return iov_; }
  /// Bytes covered by the host iovecs (<= kMaxBytes).
  uint64_t totalBytes() const { return total_; }

 private:
  std::vector<struct iovec> iov_;
  uint64_t total_ = 0;
};

}  // namespace wisp::wasi
