// Result<T>: the error-as-value type used on every untrusted path (decode, validate,
// link, instantiate, WASI). std::expected needs C++23, which the clang-14 fuzzing build
// with this libstdc++ cannot use, hence this small type of our own.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace wisp {

/// What kind of failure an Error reports, for callers that treat them differently.
enum class ErrorCode : uint8_t {
  Invalid,        // malformed or invalid input
  Unsupported,    // valid input using something wisp does not implement yet
  ResourceLimit,  // an implementation or embedder limit was exceeded
  Link,           // imports do not match (unlinkable)
  Runtime,        // failure while running code (e.g. start function trapped)
};

/// An error message that already names what failed and where (byte offset, section,
/// function index, ...).
struct Error {
  std::string message;
  ErrorCode code = ErrorCode::Invalid;
};

/// Either a value or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error takeError() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }
  Error takeError() { return std::move(error_); }

 private:
  Error error_;
  bool failed_ = false;
};

/// Success value for Result<void>.
inline Result<void> success() { return {}; }

}  // namespace wisp

/// Propagates the error of a Result-returning expression.
#define WISP_TRY(expr)                                          \
  do {                                                          \
    auto wisp_try_result_ = (expr);                             \
    if (!wisp_try_result_) return wisp_try_result_.takeError(); \
  } while (0)
