#include "jit/code_memory.h"

#include <sys/mman.h>
#include <unistd.h>

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
