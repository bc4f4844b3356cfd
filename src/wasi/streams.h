// In-memory stdio for embedders that run a guest as a function of its input: a fixed
// input buffer read as stdin, and output buffers with a hard size cap that collect
// stdout/stderr (the HTTP server feeds the request body as stdin and returns captured
// stdout). Guest I/O on them never blocks, and poll_oneoff reports them always ready.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string>

#include "wasi/abi.h"

namespace wisp::wasi {

/// A read-once byte buffer: reads consume it, then return 0 (end of file).
class InputStream {
 public:
  explicit InputStream(std::string data) : data_(std::move(data)) {}

  /// Copies as much as fits into the iovecs; returns the number of bytes copied.
  size_t read(std::span<const struct iovec> iov);
  size_t remaining() const { return data_.size() - pos_; }

 private:
  std::string data_;
  size_t pos_ = 0;
};

/// An append-only buffer holding at most `maxBytes`. A write that does not fit is cut
/// short at the cap (like a full disk): the guest sees a short count, and a write with
/// no room left at all fails with EFBIG. Nothing beyond the cap is ever stored.
class OutputStream {
 public:
  explicit OutputStream(size_t maxBytes) : max_(maxBytes) {}

  /// Appends from the iovecs; returns Success and the count (possibly short), or Fbig
  /// when the buffer is full and at least one byte was to be written.
  Errno write(std::span<const struct iovec> iov, size_t& written);
  /// Bytes that can still be written.
  size_t room() const { return max_ - data_.size(); }
  /// True once any byte was refused because of the cap.
  bool truncated() const { return truncated_; }
  size_t size() const { return data_.size(); }
  /// Hands over the collected bytes and empties the buffer (the cap stays).
  std::string take();

 private:
  std::string data_;
  size_t max_;
  bool truncated_ = false;
};

}  // namespace wisp::wasi
