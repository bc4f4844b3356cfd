#include "jit/code_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace wisp::jit {

CodeMemory& CodeMemory::operator=(CodeMemory&& other) noexcept {
  if (this != &other) {
    if (base_) munmap(base_, mapped_);
    base_ = other.base_;
    size_ = other.size_;
    mapped_ = other.mapped_;
    other.base_ = nullptr;
    other.size_ = other.mapped_ = 0;
  }
  return *this;
}

CodeMemory::~CodeMemory() {
  if (base_) munmap(base_, mapped_);
}

Result<CodeMemory> CodeMemory::allocate(size_t size) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t mapped = ((size ? size : 1) + page - 1) & ~(page - 1);
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return Error{std::string("cannot map code memory: ") + strerror(errno),
                 ErrorCode::ResourceLimit};
  }
  CodeMemory m;
  m.base_ = static_cast<uint8_t*>(p);
  m.size_ = size;
  m.mapped_ = mapped;
  return m;
}

Result<void> CodeMemory::makeExecutable() {
  if (mprotect(base_, mapped_, PROT_READ | PROT_EXEC) != 0) {
    return Error{std::string("cannot make code executable: ") + strerror(errno),
                 ErrorCode::ResourceLimit};
  }
  return success();
}

}  // namespace wisp::jit

namespace wisp::jit {

CodeArena::~CodeArena() {
  for (const Chunk& c : chunks_) {
    munmap(c.writable, c.size);
    munmap(c.executable, c.size);
  }
}

bool CodeArena::grow(size_t atLeast) {
  const size_t size = std::max<size_t>(64 * 1024, (atLeast + 4095) & ~size_t{4095});
  const int fd = memfd_create("wisp-stubs", MFD_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ftruncate(fd, static_cast<off_t>(size)) == 0;
  void* w = ok ? mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  void* x =
      w != MAP_FAILED ? mmap(nullptr, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0) : MAP_FAILED;
  close(fd);
  if (x == MAP_FAILED) {
    if (w != MAP_FAILED) munmap(w, size);
    return false;
  }
  chunks_.push_back(Chunk{static_cast<uint8_t*>(w), static_cast<uint8_t*>(x), size, 0});
  return true;
}

const void* CodeArena::add(const uint8_t* code, size_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (chunks_.empty() || chunks_.back().used + size > chunks_.back().size) {
    if (!grow(size)) {
      // No double mapping here: a region of its own, written then made executable.
      auto mem = CodeMemory::allocate(size);
      if (!mem) return nullptr;
      std::memcpy(mem->data(), code, size);
      if (!mem->makeExecutable()) return nullptr;
      fallback_.push_back(std::move(mem).value());
      return fallback_.back().data();
    }
  }
  Chunk& c = chunks_.back();
  std::memcpy(c.writable + c.used, code, size);
  const void* at = c.executable + c.used;
  c.used = (c.used + size + 15) & ~size_t{15};
  return at;
}

}  // namespace wisp::jit
