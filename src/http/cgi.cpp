// CGI environment building, request-target parsing and CGI response parsing.
#include "http/cgi.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace wisp::http {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 3986 section 5.2.4, on an absolute path: "." and ".." segments go away, ".."
// never climbs above the root.
std::string removeDotSegments(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    // Here in[i] == '/'; the segment runs to the next '/'.
    size_t end = in.find('/', i + 1);
    if (end == std::string_view::npos) end = in.size();
    const std::string_view segment = in.substr(i + 1, end - i - 1);
    const bool last = end == in.size();
    if (segment == ".") {
      if (last) out.push_back('/');
    } else if (segment == "..") {
      const size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
      if (last) out.push_back('/');
    } else {
      out.push_back('/');
      out.append(segment);
    }
    i = end;
  }
  if (out.empty()) out = "/";
  return out;
}

bool isTokenChar(unsigned char c) {
  // RFC 9110 tchar.
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Headers the server owns: framing and connection management are decided by the
// server for every response, never by a handler.
bool isHopByHop(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "connection", "keep-alive", "transfer-encoding", "upgrade",
      "te",         "trailer",    "proxy-connection",  "content-length"};
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](std::string_view n) { return iequals(n, name); });
}

constexpr size_t kMaxResponseHeaders = 100;
constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;

}  // namespace

bool parseTarget(std::string_view target, Target& out) {
  out = Target{};
  std::string_view rest = target;
  auto hasScheme = [&](std::string_view scheme) {
    return rest.size() >= scheme.size() && iequals(rest.substr(0, scheme.size()), scheme);
  };
  if (hasScheme("http://") || hasScheme("https://")) {
    rest.remove_prefix(rest.find("://") + 3);
    const size_t end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, end);
    if (authority.find('@') != std::string_view::npos) return false;  // no userinfo
    if (!parseHostHeader(authority, out.host)) return false;
    rest = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
    if (rest.front() == '?') {
      out.query = std::string(rest.substr(1));
      rest = "/";
    }
  }
  if (rest.empty() || rest.front() != '/') return false;
  if (rest.find('#') != std::string_view::npos) return false;
  const size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    out.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  std::string decoded;
  decoded.reserve(rest.size());
  for (size_t i = 0; i < rest.size(); i++) {
    if (rest[i] != '%') {
      decoded.push_back(rest[i]);
      continue;
    }
    if (i + 2 >= rest.size()) return false;
    const int hi = hexValue(rest[i + 1]), lo = hexValue(rest[i + 2]);
    if (hi < 0 || lo < 0) return false;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return false;
    decoded.push_back(c);
    i += 2;
  }
  out.path = removeDotSegments(decoded);
  return true;
}

bool parseHostHeader(std::string_view value, std::string& host) {
  value = trim(value);
  if (value.empty() || value.size() > 255) return false;
  std::string_view name = value;
  if (value.front() == '[') {  // IPv6 literal
    const size_t close = value.find(']');
    if (close == std::string_view::npos) return false;
    name = value.substr(0, close + 1);
    value.remove_prefix(close + 1);
    if (!value.empty() && value.front() != ':') return false;
  } else {
    const size_t colon = value.find(':');
    name = value.substr(0, colon);
    value = colon == std::string_view::npos ? std::string_view() : value.substr(colon);
  }
  if (!value.empty()) {  // ":port"
    value.remove_prefix(1);
    if (value.size() > 5 || !std::all_of(value.begin(), value.end(), ::isdigit)) return false;
  }
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '[' || c == ']' ||
          c == ':')) {
      return false;
    }
  }
  host.assign(name);
  std::transform(host.begin(), host.end(), host.begin(), ::tolower);
  return true;
}

std::vector<std::string> cgiEnvironment(const CgiRequest& r,
                                        const std::vector<std::string>& routeEnv) {
  std::vector<std::string> env;
  env.reserve(20 + r.headers.size() + routeEnv.size());
  auto add = [&](std::string_view name, std::string_view value) {
    std::string e;
    e.reserve(name.size() + 1 + value.size());
    e.append(name).push_back('=');
    e.append(value);
    env.push_back(std::move(e));
  };
  add("GATEWAY_INTERFACE", "CGI/1.1");
  add("SERVER_SOFTWARE", "wisp");
  add("SERVER_PROTOCOL", r.protocol);
  add("SERVER_NAME", r.serverName);
  add("SERVER_PORT", std::to_string(r.serverPort));
  add("REQUEST_METHOD", r.method);
  add("REQUEST_URI", r.target);
  add("SCRIPT_NAME", r.scriptName);
  add("PATH_INFO", r.pathInfo);
  add("QUERY_STRING", r.query);
  add("REMOTE_ADDR", r.remoteAddr);
  add("REMOTE_PORT", std::to_string(r.remotePort));
  if (r.contentLength) add("CONTENT_LENGTH", std::to_string(*r.contentLength));
  if (!r.contentType.empty()) add("CONTENT_TYPE", r.contentType);
  add("WISP_ROUTE", r.routeName);
  add("WISP_REQUEST_ID", std::to_string(r.requestId));

  // Repeated headers are merged into the first variable of that name.
  std::unordered_map<std::string, size_t> seen;
  for (const auto& [name, value] : r.headers) {
    if (name.find('_') != std::string_view::npos || iequals(name, "proxy") ||
        iequals(name, "content-type") || iequals(name, "content-length")) {
      continue;
    }
    std::string var = "HTTP_";
    for (unsigned char c : name) var.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
    auto [it, fresh] = seen.emplace(var, env.size());
    if (fresh) {
      add(var, value);
    } else {
      env[it->second].append(var == "HTTP_COOKIE" ? "; " : ", ").append(value);
    }
  }
  env.insert(env.end(), routeEnv.begin(), routeEnv.end());
  return env;
}

bool parseCgiResponse(std::string_view output, CgiResponse& out, std::string& error) {
  out = CgiResponse{};
  bool haveStatus = false, haveType = false, haveLocation = false;
  std::optional<uint64_t> contentLength;
  size_t pos = 0;
  for (;;) {
    const size_t nl = output.find('\n', pos);
    if (nl == std::string_view::npos) {
      error = output.empty() ? "no output" : "no blank line after the CGI headers";
      return false;
    }
    if (nl > kMaxResponseHeaderBytes) {
      error = "CGI header section too long";
      return false;
    }
    std::string_view line = output.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (out.headers.size() >= kMaxResponseHeaders) {
      error = "more than " + std::to_string(kMaxResponseHeaders) + " CGI headers";
      return false;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = "CGI header line without a name and ':'";
      return false;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (!std::all_of(name.begin(), name.end(), [](unsigned char c) { return isTokenChar(c); })) {
      error = "invalid CGI header name";
      return false;
    }
    // Control characters (a stray CR above all) would let a handler split the response.
    if (std::any_of(value.begin(), value.end(),
                    [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; })) {
      error = "control character in CGI header \"" + std::string(name) + "\"";
      return false;
    }
    if (iequals(name, "status")) {
      if (haveStatus) {
        error = "repeated Status header";
        return false;
      }
      haveStatus = true;
      if (value.size() < 3 || !std::all_of(value.begin(), value.begin() + 3, ::isdigit) ||
          (value.size() > 3 && value[3] != ' ')) {
        error = "malformed Status \"" + std::string(value) + "\"";
        return false;
      }
      out.status = static_cast<unsigned>(std::stoul(std::string(value.substr(0, 3))));
      if (out.status < 200 || out.status > 599) {
        error = "Status " + std::to_string(out.status) + " is outside 200-599";
        return false;
      }
      out.reason = std::string(value.size() > 3 ? trim(value.substr(4)) : std::string_view());
      continue;
    }
    if (iequals(name, "content-type")) {
      if (haveType) {
        error = "repeated Content-Type header";
        return false;
      }
      haveType = true;
    } else if (iequals(name, "location")) {
      if (haveLocation) {
        error = "repeated Location header";
        return false;
      }
      haveLocation = true;
    } else if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 19 ||
          !std::all_of(value.begin(), value.end(), ::isdigit)) {
        error = "malformed Content-Length";
        return false;
      }
      contentLength = std::stoull(std::string(value));
    }
    if (isHopByHop(name)) continue;
    out.headers.emplace_back(std::string(name), std::string(value));
  }
  if (!haveStatus && !haveType && !haveLocation) {
    error = "CGI response has none of Content-Type, Location, Status";
    return false;
  }
  if (haveLocation && !haveStatus) out.status = 302;
  out.bodyOffset = pos;
  if (contentLength && *contentLength != output.size() - pos) {
    error = "Content-Length " + std::to_string(*contentLength) + " but the body has " +
            std::to_string(output.size() - pos) + " bytes";
    return false;
  }
  return true;
}

}  // namespace wisp::http
