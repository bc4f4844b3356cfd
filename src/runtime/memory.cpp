#include "runtime/memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace wisp::runtime {

Result<std::unique_ptr<LinearMemory>> LinearMemory::create(const MemoryType& type,
                                                           uint64_t maxPages) {
  if (type.limits.is64) {
    return Error{"64-bit memories are not supported yet", ErrorCode::Unsupported};
  }
  uint64_t typeMax = type.limits.hasMax ? type.limits.max : kMaxMemory32Pages;
  if (maxPages > typeMax) maxPages = typeMax;
  if (type.limits.min > maxPages) {
    return Error{"memory of " + std::to_string(type.limits.min) + " pages exceeds the limit of " +
                     std::to_string(maxPages) + " pages",
                 ErrorCode::ResourceLimit};
  }
  void* p =
      mmap(nullptr, kReservation, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return Error{std::string("cannot reserve linear memory: ") + strerror(errno),
                 ErrorCode::ResourceLimit};
  }
  std::unique_ptr<LinearMemory> m(new LinearMemory());
  m->instance_.base = static_cast<uint8_t*>(p);
  m->instance_.byteSize = 0;
  m->type_ = type;
  m->maxPages_ = maxPages;
  if (type.limits.min > 0 && m->grow(type.limits.min) < 0) {
    return Error{"cannot commit linear memory", ErrorCode::ResourceLimit};
  }
  return m;
}

LinearMemory::~LinearMemory() {
  if (instance_.base) munmap(instance_.base, kReservation);
}

int64_t LinearMemory::grow(uint64_t deltaPages) {
  const uint64_t old = pages();
  if (deltaPages == 0) return static_cast<int64_t>(old);
  if (deltaPages > maxPages_ || old + deltaPages > maxPages_) return -1;
  const uint64_t newBytes = (old + deltaPages) * kPageSize;
  if (mprotect(instance_.base + instance_.byteSize, newBytes - instance_.byteSize,
               PROT_READ | PROT_WRITE) != 0) {
    return -1;
  }
  instance_.byteSize = newBytes;
  if (newBytes > peak_) peak_ = newBytes;
  return static_cast<int64_t>(old);
}

}  // namespace wisp::runtime
