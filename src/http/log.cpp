// JSON lines and the buffered access-log writer.
#include "http/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace wisp::http {

namespace {

// "2026-01-02T03:04:05.678Z". The second-resolution prefix is cached per thread: most
// lines of a busy thread fall in the same second as the one before.
void appendTimestamp(std::string& out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  thread_local time_t cachedSecond = -1;
  thread_local char prefix[32];
  if (ts.tv_sec != cachedSecond) {
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    std::strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm);
    cachedSecond = ts.tv_sec;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s.%03ldZ", prefix, ts.tv_nsec / 1000000);
  out += buf;
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

void appendJsonEscaped(std::string& out, std::string_view v) {
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < v.size(); i++) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (const size_t n = utf8Length(v, i)) {
      out.append(v.substr(i, n));
      i += n - 1;
    } else {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

JsonLine::JsonLine() {
  s_.reserve(256);
  s_ = "{\"ts\":\"";
  appendTimestamp(s_);
  s_ += '"';
}

void JsonLine::key(std::string_view k) {
  s_ += ",\"";
  s_ += k;
  s_ += "\":";
}

JsonLine& JsonLine::add(std::string_view k, std::string_view value) {
  key(k);
  s_ += '"';
  appendJsonEscaped(s_, value);
  s_ += '"';
  return *this;
}

JsonLine& JsonLine::add(std::string_view k, uint64_t value) {
  key(k);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%" PRIu64, value);
  s_ += buf;
  return *this;
}

JsonLine& JsonLine::add(std::string_view k, int64_t value) {
  key(k);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%" PRId64, value);
  s_ += buf;
  return *this;
}

JsonLine& JsonLine::add(std::string_view k, bool value) {
  key(k);
  s_ += value ? "true" : "false";
  return *this;
}

std::string JsonLine::finish() {
  s_ += "}\n";
  return std::move(s_);
}

void logEvent(JsonLine& line) {
  const std::string s = line.finish();
  // One write per line keeps lines whole when several threads log at once.
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(STDERR_FILENO, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// ---- LogSink ------------------------------------------------------------------------

bool LogSink::open(const std::string& where, std::string& error) {
  where_ = where;
  if (where == "-") {
    fd_ = STDOUT_FILENO;
    ownsFd_ = false;
  } else {
    fd_ = ::open(where.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      error = "cannot open " + where + ": " + std::strerror(errno);
      return false;
    }
    ownsFd_ = true;
  }
  thread_ = std::thread([this] { run(); });
  return true;
}

LogSink::~LogSink() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  flush();
  if (ownsFd_ && fd_ >= 0) ::close(fd_);
}

void LogSink::write(std::string&& line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (buffer_.size() + line.size() > kMaxBuffered) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    buffer_ += line;
    wake = buffer_.size() >= kFlushAt;
  }
  if (wake) cv_.notify_one();
}

void LogSink::writeAll(const std::string& data) {
  std::lock_guard<std::mutex> lock(writeMutex_);
  size_t done = 0;
  while (done < data.size() && fd_ >= 0) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk or closed pipe: the lines are lost, requests go on
    done += static_cast<size_t>(n);
  }
}

void LogSink::flush() {
  std::string data;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    data.swap(buffer_);
  }
  writeAll(data);
}

void LogSink::reopen() {
  if (!ownsFd_) return;
  const int fd = ::open(where_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;  // keep writing to the old file rather than nowhere
  std::lock_guard<std::mutex> lock(writeMutex_);
  ::close(fd_);
  fd_ = fd;
}

void LogSink::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  std::string data;
  while (!stop_) {
    // Lines reach the file within 200 ms, or at once in bulk under load.
    cv_.wait_for(lock, std::chrono::milliseconds(200),
                 [&] { return stop_ || buffer_.size() >= kFlushAt; });
    data.clear();
    data.swap(buffer_);
    lock.unlock();
    writeAll(data);
    lock.lock();
  }
}

}  // namespace wisp::http
