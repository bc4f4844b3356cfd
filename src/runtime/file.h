#pragma once
// Reading a module file whole: shared by the CLI, benchmarks and fuzz runners.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace wisp::runtime {

/// Reads the regular file at `path` into `out` (open, fstat, read: no stdio buffer or
/// seeks). False if it cannot be opened, is not a regular file, or reads short.
bool readFile(const std::string& path, std::vector<uint8_t>& out);

/// A regular file mapped read-only. Unlike readFile nothing is copied or zero-filled and
/// only the pages that are read get mapped (straight from the page cache), which matters
/// for cold start: a module's debug sections are often most of its bytes, and each page a
/// process touches first costs a fault (about 3 us on a VM). The file must not be
/// truncated while mapped (reading a page past the new end raises SIGBUS), so this is for
/// one-shot runs of a file the operator chose, not for a server reloading files in place.
class MappedFile {
 public:
  /// Null if `path` cannot be opened or mapped, or is not a regular file.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data_;
  size_t size_;
};

}  // namespace wisp::runtime
