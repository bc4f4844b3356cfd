// Structured logs of `wisp serve`, one JSON object per line: the access log (a line
// per request, buffered and written by a background thread so request threads never
// wait on the disk) and the event log on stderr (start, reload, handler failures with
// their internal detail; written at once, they are rare).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace wisp::http {

/// Builds one JSON object: JsonLine().add("a", 1).add("b", "x").str() == {"a":1,"b":"x"}.
/// Starts with "ts" (UTC, milliseconds).
class JsonLine {
 public:
  JsonLine();
  JsonLine& add(std::string_view key, std::string_view value);
  JsonLine& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  JsonLine& add(std::string_view key, const std::string& value) {
    return add(key, std::string_view(value));
  }
  JsonLine& add(std::string_view key, uint64_t value);
  JsonLine& add(std::string_view key, int64_t value);
  JsonLine& add(std::string_view key, unsigned value) { return add(key, uint64_t{value}); }
  JsonLine& add(std::string_view key, int value) { return add(key, int64_t{value}); }
  JsonLine& add(std::string_view key, bool value);
  /// The line, with its newline.
  std::string finish();

 private:
  void key(std::string_view k);
  std::string s_;
};

/// Appends `value` JSON-escaped (without quotes); invalid UTF-8 bytes become \u00XX
/// escapes of the byte so a log line is always valid JSON.
void appendJsonEscaped(std::string& out, std::string_view value);

/// A buffered log destination with a background writer. At most `maxBuffered` bytes
/// wait; lines beyond are dropped and counted (a stuck disk must not stall requests).
class LogSink {
 public:
  /// "-" for stdout, else a file opened for appending. False (and `error`) on failure.
  bool open(const std::string& where, std::string& error);
  ~LogSink();

  void write(std::string&& line);
  /// Writes everything buffered (at shutdown, and from tests).
  void flush();
  /// Reopens the file (log rotation on SIGHUP); stdout stays.
  void reopen();
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void run();
  void writeAll(const std::string& data);

  std::string where_;
  int fd_ = -1;
  bool ownsFd_ = false;
  static constexpr size_t kMaxBuffered = 8 << 20;
  static constexpr size_t kFlushAt = 64 << 10;
  std::mutex mutex_;
  std::mutex writeMutex_;  // serializes writes to fd_ (writer thread, flush, reopen)
  std::condition_variable cv_;
  std::string buffer_;
  bool stop_ = false;
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

/// Writes one line to stderr at once (the event log).
void logEvent(JsonLine& line);

}  // namespace wisp::http
