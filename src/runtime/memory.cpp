#include "runtime/memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace wisp::runtime {

namespace {
uint8_t* reserve() {
  void* p = mmap(nullptr, kMemoryReservation, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}
}  // namespace

// ---- MemoryPool ---------------------------------------------------------------------

MemoryPool::~MemoryPool() {
  for (uint8_t* p : free_) munmap(p, kMemoryReservation);
}

uint8_t* MemoryPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      uint8_t* p = free_.back();
      free_.pop_back();
      return p;
    }
  }
  return reserve();
}

void MemoryPool::release(uint8_t* base, uint64_t usedBytes) {
  // Back to a clean PROT_NONE reservation: drop the pages (the next user sees zeros)
  // and make them inaccessible again. Mapping anonymous memory over the range does
  // both at once, and also replaces a copy-on-write image mapping.
  if (usedBytes &&
      mmap(base, usedBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
           0) == MAP_FAILED) {
    munmap(base, kMemoryReservation);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.size() < maxSlots_) {
    free_.push_back(base);
    return;
  }
  munmap(base, kMemoryReservation);
}

size_t MemoryPool::pooled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return free_.size();
}

// ---- PreparedMemoryCache ------------------------------------------------------------------

PreparedMemoryCache::~PreparedMemoryCache() {
  for (uint8_t* p : free_) munmap(p, kMemoryReservation);
}

uint8_t* PreparedMemoryCache::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.empty()) return nullptr;
  uint8_t* p = free_.back();
  free_.pop_back();
  return p;
}

void PreparedMemoryCache::give(uint8_t* base, uint64_t usedBytes, uint64_t initialBytes,
                               const DataImage* image) {
  if (keepResident_ && usedBytes == initialBytes && usedBytes <= keepResident_ &&
      (!image || image->view)) {
    // In place, outside the lock: the image's bytes copied back over whatever the
    // instance wrote (the pages become private copies once, then stay), zeros after.
    const uint64_t imageBytes = image ? std::min(image->size, usedBytes) : 0;
    if (imageBytes) std::memcpy(base, image->view, imageBytes);
    std::memset(base + imageBytes, 0, usedBytes - imageBytes);
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() < maxSlots_) {
      free_.push_back(base);
      return;
    }
  } else {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() < maxSlots_) {
      // Dropping the pages resets them: anonymous ones to zeros, the privately
      // written copies of the image back to the image. Grown pages become
      // inaccessible again so the next instance starts at its initial size.
      const bool ok = madvise(base, usedBytes, MADV_DONTNEED) == 0 &&
                      (usedBytes <= initialBytes ||
                       mprotect(base + initialBytes, usedBytes - initialBytes, PROT_NONE) == 0);
      if (ok) {
        free_.push_back(base);
        return;
      }
    }
  }
  fallback_->release(base, usedBytes);
}

DataImage::~DataImage() {
  if (view) munmap(const_cast<uint8_t*>(view), size);
  if (fd >= 0) close(fd);
}

// ---- LinearMemory ---------------------------------------------------------------------

Result<std::unique_ptr<LinearMemory>> LinearMemory::create(const MemoryType& type,
                                                           uint64_t maxPages, MemoryPool* pool,
                                                           const DataImage* image,
                                                           PreparedMemoryCache* cache) {
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
  const uint64_t initialBytes = type.limits.min * kPageSize;
  if (cache) {
    if (uint8_t* prepared = cache->take()) {
      std::unique_ptr<LinearMemory> m(new LinearMemory());
      m->instance_.base = prepared;
      m->instance_.byteSize = initialBytes;
      m->type_ = type;
      m->maxPages_ = maxPages;
      m->pool_ = pool;
      m->cache_ = cache;
      m->initialBytes_ = initialBytes;
      m->imageSize_ = image ? image->size : 0;
      m->image_ = image;
      m->peak_ = initialBytes;
      return m;
    }
  }
  uint8_t* base = pool ? pool->acquire() : reserve();
  if (!base) {
    return Error{std::string("cannot reserve linear memory: ") + strerror(errno),
                 ErrorCode::ResourceLimit};
  }
  std::unique_ptr<LinearMemory> m(new LinearMemory());
  m->instance_.base = base;
  m->instance_.byteSize = 0;
  m->type_ = type;
  m->maxPages_ = maxPages;
  m->pool_ = pool;
  m->cache_ = cache;
  m->initialBytes_ = initialBytes;
  if (image && image->size && image->size <= initialBytes && image->size % kPageSize == 0) {
    if (mmap(base, image->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image->fd, 0) ==
        MAP_FAILED) {
      return Error{std::string("cannot map the data image: ") + strerror(errno),
                   ErrorCode::ResourceLimit};
    }
    m->imageSize_ = image->size;
    m->image_ = image;
    m->instance_.byteSize = image->size;  // grown to the full initial size below
  }
  if (initialBytes > m->instance_.byteSize &&
      m->grow((initialBytes - m->instance_.byteSize) / kPageSize) < 0) {
    return Error{"cannot commit linear memory", ErrorCode::ResourceLimit};
  }
  m->peak_ = m->instance_.byteSize;
  return m;
}

LinearMemory::~LinearMemory() {
  if (!instance_.base) return;
  if (cache_) {
    cache_->give(instance_.base, instance_.byteSize, initialBytes_, image_);
  } else if (pool_) {
    pool_->release(instance_.base, instance_.byteSize);
  } else {
    munmap(instance_.base, kReservation);
  }
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
