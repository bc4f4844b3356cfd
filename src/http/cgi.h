// The handler ABI's two halves, as pure functions: the request as CGI meta-variables
// (RFC 3875 section 4.1) and the handler's stdout parsed as a CGI response (section 6).
// Also request-target parsing, which decides what PATH_INFO and routing see.
// Nothing here touches sockets or wasm, so all of it is testable on plain strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wisp::http {

/// A request-target split for routing and CGI.
struct Target {
  std::string host;   // from an absolute-form target ("http://host/..."), else empty
  std::string path;   // percent-decoded, dot segments removed; starts with '/'
  std::string query;  // raw (still encoded), without the '?'
};

/// Parses an origin-form ("/a/b?q") or absolute-form ("http://h/a?q") target. False
/// when it is neither, has a bad percent escape, encodes NUL, or holds '#'.
bool parseTarget(std::string_view target, Target& out);

/// Lower-cased host without port from a Host header value; false when malformed.
bool parseHostHeader(std::string_view value, std::string& host);

struct CgiRequest {
  std::string_view method;
  std::string_view target;      // raw, for REQUEST_URI
  std::string_view query;       // QUERY_STRING
  std::string_view scriptName;  // the route's prefix ("" for "/")
  std::string_view pathInfo;    // the decoded path after the prefix
  std::string_view protocol;    // "HTTP/1.1"
  std::string_view serverName;  // the request's host, else the local address
  uint16_t serverPort = 0;
  std::string_view remoteAddr;
  uint16_t remotePort = 0;
  std::optional<uint64_t> contentLength;  // set when the request has a body
  std::string_view contentType;
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // as received
  std::string_view routeName;
  uint64_t requestId = 0;
};

/// The handler's environment: CGI variables, HTTP_* for headers (repeated headers
/// joined with ", ", cookies with "; "), then the route's own entries. Headers whose
/// names hold '_' are left out (they would be indistinguishable from '-' once mapped),
/// as is Proxy (HTTP_PROXY would steer outgoing requests: "httpoxy").
std::vector<std::string> cgiEnvironment(const CgiRequest& request,
                                        const std::vector<std::string>& routeEnv);

/// A handler's response, parsed from its stdout.
struct CgiResponse {
  unsigned status = 200;
  std::string reason;                                        // from Status:, may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // to send (framing headers removed)
  size_t bodyOffset = 0;                                     // where the body starts in the output
};

/// Parses CGI output: header lines (LF or CRLF), a blank line, the body. Needs at least
/// one of Content-Type, Location or Status; Location alone means 302. Malformed output
/// (no blank line, bad names or values, CR/LF smuggling, a bad Status, a Content-Length
/// that disagrees with the body, too many or too long headers) gives false and an
/// explanation for the server log (never for the client).
bool parseCgiResponse(std::string_view output, CgiResponse& out, std::string& error);

}  // namespace wisp::http
