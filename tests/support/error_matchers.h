// Assertions on wisp's error messages, which read "offset 0x1a2b: <context>: <reason>".
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "decoder/result.h"

namespace wisp::test {

/// The message of a failed Result, or "" when it succeeded.
template <typename T>
std::string errorOf(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message;
}

/// "offset 0x1f: " for offset 0x1f.
inline std::string offsetPrefix(uint32_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "offset 0x%x: ", offset);
  return buf;
}

/// Passes when `error` is a failure whose message contains `reason`.
inline ::testing::AssertionResult hasError(const std::string& error, std::string_view reason) {
  if (error.empty())
    return ::testing::AssertionFailure() << "succeeded, expected \"" << reason << "\"";
  if (error.find(reason) == std::string::npos) {
    return ::testing::AssertionFailure() << "error \"" << error << "\" lacks \"" << reason << "\"";
  }
  return ::testing::AssertionSuccess();
}

/// Passes when `error` names byte `offset` and contains `reason`.
inline ::testing::AssertionResult hasErrorAt(const std::string& error, uint32_t offset,
                                             std::string_view reason) {
  auto r = hasError(error, reason);
  if (!r) return r;
  const std::string prefix = offsetPrefix(offset);
  if (error.rfind(prefix, 0) != 0) {
    return ::testing::AssertionFailure()
           << "error \"" << error << "\" does not start with \"" << prefix << "\"";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace wisp::test
