// In-memory stdin/stdout/stderr (see streams.h).
#include "wasi/streams.h"

#include <algorithm>
#include <cstring>

namespace wisp::wasi {

size_t InputStream::read(std::span<const struct iovec> iov) {
  size_t total = 0;
  for (const struct iovec& v : iov) {
    const size_t n = std::min(v.iov_len, data_.size() - pos_);
    if (n == 0) break;
    std::memcpy(v.iov_base, data_.data() + pos_, n);
    pos_ += n;
    total += n;
  }
  return total;
}

Errno OutputStream::write(std::span<const struct iovec> iov, size_t& written) {
  written = 0;
  size_t wanted = 0;
  for (const struct iovec& v : iov) wanted += v.iov_len;
  if (wanted == 0) return Errno::Success;
  if (room() == 0) {
    truncated_ = true;
    return Errno::Fbig;
  }
  // Reserve once so a gathered write costs at most one reallocation.
  const size_t take = std::min(wanted, room());
  data_.reserve(data_.size() + take);
  for (const struct iovec& v : iov) {
    const size_t n = std::min(v.iov_len, take - written);
    data_.append(static_cast<const char*>(v.iov_base), n);
    written += n;
    if (written == take) break;
  }
  if (take < wanted) truncated_ = true;
  return Errno::Success;
}

std::string OutputStream::take() {
  std::string out;
  out.swap(data_);
  return out;
}

}  // namespace wisp::wasi
