// Request routing: host, then longest path prefix. A request goes to the most specific
// host pattern that has a route matching its path — exact name, then the longest
// "*.suffix", then routes for any host — and among those to the longest prefix that
// ends at a segment boundary ("/api" matches "/api" and "/api/x", not "/apix").
// Immutable once built, so io threads share it without locks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wisp::http {

class Router {
 public:
  static constexpr uint32_t kNoRoute = UINT32_MAX;

  /// Adds route `id` for `host` ("" any, "example.com", "*.example.com"; lower case)
  /// and `prefix` ("/" or "/a/b").
  void add(const std::string& host, const std::string& prefix, uint32_t id);
  /// Sorts what add() collected; call once before match().
  void finish();

  struct Match {
    uint32_t id = kNoRoute;
    size_t prefixLength = 0;  // bytes of the path the prefix covers ("/" covers 0)
  };
  /// `host` lower case without port; `path` decoded and normalized.
  Match match(std::string_view host, std::string_view path) const;

 private:
  struct Entry {
    std::string prefix;
    uint32_t id;
  };
  using List = std::vector<Entry>;  // longest prefix first
  static bool matchList(const List& list, std::string_view path, Match& out);

  // Transparent hashing: lookups by string_view allocate nothing.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, List, Hash, std::equal_to<>> exact_;
  std::vector<std::pair<std::string, List>> wildcard_;  // ".suffix", longest first
  List any_;
};

}  // namespace wisp::http
