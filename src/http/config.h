// `wisp serve` configuration: the TOML file's model and its loader. Loading validates
// everything that can be checked without compiling modules (types, ranges, unknown
// keys, duplicate routes, directories that must exist); every error names the file
// and line it comes from ("serve.toml:12: ..."), so a bad config is refused at start
// (or at reload) with a message that says where to look.
//
//   [server]                      # process-wide, read at start only
//   listen = "127.0.0.1:8080"
//   [defaults]                    # per-route limits, unless a route overrides them
//   max_memory = "64MiB"
//   [[route]]
//   name = "hello"
//   path = "/hello"
//   module = "handlers/hello.wasm"   # relative to the config file's directory
//
// examples/handlers/README.md documents every key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "decoder/result.h"

namespace wisp::http {

/// Per-route limits; [defaults] gives the values routes start from.
struct RouteLimits {
  uint64_t maxMemoryBytes = 64ull << 20;   // largest linear memory
  uint32_t timeoutMs = 5000;               // wall clock for instantiate + _start
  uint32_t maxConcurrency = 64;            // instances of this route at once (503 beyond)
  uint64_t maxBodyBytes = 1ull << 20;      // request body (413 beyond)
  uint64_t maxResponseBytes = 4ull << 20;  // handler stdout, CGI headers included (502 beyond)
  uint64_t maxStderrBytes = 16ull << 10;   // handler stderr kept for the log
};

/// A host directory the handler sees (WASI preopen).
struct DirConfig {
  std::string hostPath;   // absolute
  std::string guestPath;  // what the guest opens, e.g. "/data"
  bool readOnly = true;
};

struct RouteConfig {
  enum class Kind { Wasm, Native };
  std::string name;  // [A-Za-z0-9_.-]+, unique; labels metrics and log lines
  std::string host;  // "" (any), "example.com" or "*.example.com"; lower case
  std::string path;  // prefix: "/" or "/a/b" (no trailing slash)
  Kind kind = Kind::Wasm;
  std::string module;  // Wasm: absolute path of the .wasm file
  std::string native;  // Native: name of a built-in handler ("hello")
  RouteLimits limits;
  std::vector<std::string> env;  // "NAME=VALUE", given to the handler after the CGI variables
  std::vector<DirConfig> dirs;
  std::string where;  // "file:line" of the route, for messages about it
};

struct ServerConfig {
  std::string listenHost = "127.0.0.1";
  uint16_t listenPort = 8080;            // 0: any free port (logged at start)
  unsigned ioThreads = 0;                // one io_context each; 0: one per core
  unsigned maxGuests = 0;                // handlers running at once, all routes; 0: 4 per core
  uint32_t maxConnections = 10000;       // open connections beyond are closed at accept
  uint32_t maxHeaderBytes = 16 << 10;    // request line + headers (431 beyond)
  uint32_t requestTimeoutMs = 10000;     // from a request's first byte to its last (408)
  uint32_t idleTimeoutMs = 30000;        // keep-alive connection waiting for a request
  uint32_t writeTimeoutMs = 10000;       // sending one response
  uint32_t drainTimeoutMs = 30000;       // SIGTERM: longest wait for in-flight requests
  uint32_t reloadPollMs = 1000;          // module mtime polling; 0: only on SIGHUP
  std::string metricsPath = "/metrics";  // "" disables the endpoint
  bool metricsRemote = false;            // serve metrics to non-loopback clients too
  std::string accessLog = "-";           // "-" stdout, "" off, else a file (appended)
  // Instance memories up to this size are reset in place between requests (memset,
  // pages stay resident) instead of madvise; see runtime::EngineConfig.
  uint64_t keepResidentBytes = 1ull << 20;
};

struct Config {
  std::string file;  // the config file as given
  ServerConfig server;
  RouteLimits defaults;
  std::vector<RouteConfig> routes;
};

/// io_threads and max_guests with their defaults applied.
unsigned ioThreads(const ServerConfig& config);
unsigned maxGuests(const ServerConfig& config);

/// Reads and validates a config file.
Result<Config> loadConfig(const std::string& path);
/// Same, from text (`name` is used in messages and to resolve relative paths, as if
/// the text were that file's).
Result<Config> parseConfig(const std::string& text, const std::string& name);

/// Parses "64MiB", "512 KiB", "1GB", "4096" (bytes); false when malformed.
bool parseSize(const std::string& text, uint64_t& bytes);

/// CGI meta-variables the server sets itself; a route's env may not set these (nor
/// HTTP_*), so a handler can trust them.
bool isReservedEnvName(const std::string& name);

}  // namespace wisp::http
