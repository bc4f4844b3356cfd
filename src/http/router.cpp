// Router: host tiers, each a list of prefixes sorted longest first (routes per host are
// few; a linear scan of them beats anything cleverer).
#include "http/router.h"

#include <algorithm>

namespace wisp::http {

void Router::add(const std::string& host, const std::string& prefix, uint32_t id) {
  Entry e{prefix == "/" ? "" : prefix, id};  // "/" is stored empty: it matches everything
  if (host.empty()) {
    any_.push_back(std::move(e));
  } else if (host.starts_with("*.")) {
    const std::string suffix = host.substr(1);  // ".example.com"
    auto it = std::find_if(wildcard_.begin(), wildcard_.end(),
                           [&](const auto& w) { return w.first == suffix; });
    if (it == wildcard_.end()) it = wildcard_.insert(wildcard_.end(), {suffix, {}});
    it->second.push_back(std::move(e));
  } else {
    exact_[host].push_back(std::move(e));
  }
}

void Router::finish() {
  auto byLength = [](const Entry& a, const Entry& b) { return a.prefix.size() > b.prefix.size(); };
  for (auto& [host, list] : exact_) std::stable_sort(list.begin(), list.end(), byLength);
  for (auto& [suffix, list] : wildcard_) std::stable_sort(list.begin(), list.end(), byLength);
  std::stable_sort(any_.begin(), any_.end(), byLength);
  std::stable_sort(wildcard_.begin(), wildcard_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

bool Router::matchList(const List& list, std::string_view path, Match& out) {
  for (const Entry& e : list) {
    if (path.starts_with(e.prefix) &&
        (path.size() == e.prefix.size() || path[e.prefix.size()] == '/')) {
      out.id = e.id;
      out.prefixLength = e.prefix.size();
      return true;
    }
  }
  return false;
}

Router::Match Router::match(std::string_view host, std::string_view path) const {
  Match m;
  if (!exact_.empty()) {
    if (auto it = exact_.find(host); it != exact_.end()) {
      if (matchList(it->second, path, m)) return m;
    }
  }
  for (const auto& [suffix, list] : wildcard_) {
    // "*.example.com" covers "a.example.com" and "b.a.example.com", not "example.com".
    if (host.size() > suffix.size() && host.ends_with(suffix) && matchList(list, path, m)) {
      return m;
    }
  }
  matchList(any_, path, m);
  return m;
}

}  // namespace wisp::http
