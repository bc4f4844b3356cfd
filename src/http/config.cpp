// Loading `wisp serve` configs with toml++: a small checked reader over the parsed
// document, so that every value is type- and range-checked and every complaint carries
// the file:line of the offending key.
#include "http/config.h"

#include <sys/stat.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace wisp::http {

namespace {

namespace fs = std::filesystem;

// Thrown inside the loader and turned into an Error at its boundary: the checks nest
// deeply and each would otherwise need its own early return.
struct ConfigError {
  std::string message;
};

class Reader {
 public:
  Reader(std::string file, fs::path baseDir) : file_(std::move(file)), base_(std::move(baseDir)) {}

  std::string where(const toml::source_region& src) const {
    return file_ + ":" + std::to_string(src.begin.line);
  }
  std::string where(const toml::node& node) const { return where(node.source()); }

  [[noreturn]] void fail(const toml::source_region& src, const std::string& message) const {
    throw ConfigError{where(src) + ": " + message};
  }
  [[noreturn]] void fail(const toml::node& node, const std::string& message) const {
    fail(node.source(), message);
  }

  // Unknown keys are errors: a typo such as `timout_ms` must not silently keep the
  // default.
  void checkKeys(const toml::table& table, const std::string& section,
                 std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
        fail(key.source(), "unknown key \"" + std::string(key.str()) + "\" in " + section);
      }
    }
  }

  const toml::table* table(const toml::table& parent, std::string_view key,
                           const std::string& what) const {
    const toml::node* n = parent.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(*n, what + " must be a table");
    return n->as_table();
  }

  bool str(const toml::table& t, std::string_view key, std::string& out) const {
    const toml::node* n = t.get(key);
    if (!n) return false;
    if (!n->is_string()) fail(*n, "\"" + std::string(key) + "\" must be a string");
    out = n->as_string()->get();
    if (out.find('\0') != std::string::npos) fail(*n, "\"" + std::string(key) + "\" contains NUL");
    return true;
  }

  bool boolean(const toml::table& t, std::string_view key, bool& out) const {
    const toml::node* n = t.get(key);
    if (!n) return false;
    if (!n->is_boolean()) fail(*n, "\"" + std::string(key) + "\" must be true or false");
    out = n->as_boolean()->get();
    return true;
  }

  template <typename T>
  bool integer(const toml::table& t, std::string_view key, T& out, int64_t min, int64_t max) const {
    const toml::node* n = t.get(key);
    if (!n) return false;
    if (!n->is_integer()) fail(*n, "\"" + std::string(key) + "\" must be an integer");
    const int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      fail(*n, "\"" + std::string(key) + "\" must be between " + std::to_string(min) + " and " +
                   std::to_string(max));
    }
    out = static_cast<T>(v);
    return true;
  }

  // Sizes are integers (bytes) or strings with a unit ("64MiB").
  bool size(const toml::table& t, std::string_view key, uint64_t& out, uint64_t min,
            uint64_t max) const {
    const toml::node* n = t.get(key);
    if (!n) return false;
    uint64_t v = 0;
    if (n->is_integer()) {
      if (n->as_integer()->get() < 0) fail(*n, "\"" + std::string(key) + "\" must not be negative");
      v = static_cast<uint64_t>(n->as_integer()->get());
    } else if (!n->is_string() || !parseSize(n->as_string()->get(), v)) {
      fail(*n, "\"" + std::string(key) +
                   "\" must be a size: bytes, or a string such as \"64MiB\" (units B, KiB, MiB, "
                   "GiB, KB, MB, GB)");
    }
    if (v < min || v > max) {
      fail(*n, "\"" + std::string(key) + "\" must be between " + std::to_string(min) + " and " +
                   std::to_string(max) + " bytes");
    }
    out = v;
    return true;
  }

  // Paths in the config are relative to the config file's directory.
  std::string resolve(const std::string& p) const {
    fs::path path(p);
    if (path.is_relative()) path = base_ / path;
    return fs::absolute(path).lexically_normal().string();
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  fs::path base_;
};

void readLimits(const Reader& r, const toml::table& t, RouteLimits& limits) {
  // Memory below one wasm page cannot hold anything; 4 GiB is wasm32's ceiling.
  r.size(t, "max_memory", limits.maxMemoryBytes, 65536, 4ull << 30);
  r.integer(t, "timeout_ms", limits.timeoutMs, 1, 3600 * 1000);
  r.integer(t, "max_concurrency", limits.maxConcurrency, 1, 1000000);
  r.size(t, "max_body", limits.maxBodyBytes, 0, 1ull << 32);
  r.size(t, "max_response", limits.maxResponseBytes, 64, 1ull << 32);
  r.size(t, "max_stderr", limits.maxStderrBytes, 0, 16ull << 20);
}

void readServer(const Reader& r, const toml::table& t, ServerConfig& s) {
  r.checkKeys(t, "[server]",
              {"listen", "io_threads", "max_guests", "max_connections", "max_header_bytes",
               "request_timeout_ms", "idle_timeout_ms", "write_timeout_ms", "drain_timeout_ms",
               "reload_poll_ms", "metrics_path", "metrics_remote", "access_log", "keep_resident"});
  std::string listen;
  if (r.str(t, "listen", listen)) {
    // "HOST:PORT", "[V6]:PORT" or ":PORT" (all interfaces).
    const size_t colon = listen.rfind(':');
    std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
    const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    const bool portOk = !port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), ::isdigit) &&
                        std::stoi(port) <= 65535;
    if (!portOk) r.fail(*t.get("listen"), "\"listen\" must be HOST:PORT (e.g. \"127.0.0.1:8080\")");
    s.listenHost = host.empty() ? "0.0.0.0" : host;
    s.listenPort = static_cast<uint16_t>(std::stoi(port));
  }
  r.integer(t, "io_threads", s.ioThreads, 0, 1024);
  r.integer(t, "max_guests", s.maxGuests, 0, 100000);
  r.integer(t, "max_connections", s.maxConnections, 1, 10000000);
  uint64_t headerBytes = s.maxHeaderBytes;
  if (r.size(t, "max_header_bytes", headerBytes, 1024, 1 << 20)) {
    s.maxHeaderBytes = static_cast<uint32_t>(headerBytes);
  }
  r.integer(t, "request_timeout_ms", s.requestTimeoutMs, 1, 3600 * 1000);
  r.integer(t, "idle_timeout_ms", s.idleTimeoutMs, 1, 3600 * 1000);
  r.integer(t, "write_timeout_ms", s.writeTimeoutMs, 1, 3600 * 1000);
  r.integer(t, "drain_timeout_ms", s.drainTimeoutMs, 0, 3600 * 1000);
  r.integer(t, "reload_poll_ms", s.reloadPollMs, 0, 3600 * 1000);
  if (r.str(t, "metrics_path", s.metricsPath) && !s.metricsPath.empty() &&
      s.metricsPath.front() != '/') {
    r.fail(*t.get("metrics_path"), "\"metrics_path\" must start with '/' (or be \"\" to disable)");
  }
  r.boolean(t, "metrics_remote", s.metricsRemote);
  r.size(t, "keep_resident", s.keepResidentBytes, 0, 1ull << 30);
  if (r.str(t, "access_log", s.accessLog) && s.accessLog != "-" && !s.accessLog.empty()) {
    s.accessLog = r.resolve(s.accessLog);
  }
}

bool validName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_' || c == '-' || c == '.';
         });
}

// Host patterns: a DNS name, "*.suffix", or "*" / "" for any host.
bool validHostPattern(std::string& host) {
  std::transform(host.begin(), host.end(), host.begin(), ::tolower);
  if (host == "*") host.clear();
  if (host.empty()) return true;
  std::string_view name = host;
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; }) &&
         name.find("..") == std::string_view::npos;
}

// Route prefixes are matched against the decoded, dot-segment-free request path, so
// they must themselves be in that form.
bool normalizePrefix(std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  for (unsigned char c : path) {
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '%') return false;
  }
  if (path.find("//") != std::string::npos) return false;
  std::stringstream segments(path);
  std::string segment;
  while (std::getline(segments, segment, '/')) {
    if (segment == "." || segment == "..") return false;
  }
  return true;
}

void readRoute(const Reader& r, const toml::table& t, const RouteLimits& defaults,
               RouteConfig& route) {
  r.checkKeys(t, "[[route]]",
              {"name", "host", "path", "module", "native", "env", "dirs", "max_memory",
               "timeout_ms", "max_concurrency", "max_body", "max_response", "max_stderr"});
  route.where = r.where(t);
  route.limits = defaults;
  readLimits(r, t, route.limits);

  std::string module;
  const bool hasModule = r.str(t, "module", module);
  const bool hasNative = r.str(t, "native", route.native);
  if (hasModule == hasNative) r.fail(t, "a route needs exactly one of \"module\" or \"native\"");
  if (hasModule) {
    if (module.empty()) r.fail(*t.get("module"), "\"module\" must not be empty");
    route.kind = RouteConfig::Kind::Wasm;
    route.module = r.resolve(module);
  } else {
    route.kind = RouteConfig::Kind::Native;
    if (route.native != "hello") {
      r.fail(*t.get("native"), "unknown native handler \"" + route.native + "\" (known: hello)");
    }
  }

  if (!r.str(t, "name", route.name)) {
    route.name = hasModule ? fs::path(module).stem().string() : "native-" + route.native;
  }
  if (!validName(route.name)) {
    r.fail(t.get("name") ? *t.get("name") : static_cast<const toml::node&>(t),
           "route name \"" + route.name +
               "\" must be 1-64 characters of letters, digits, '_', '-' and '.'");
  }
  if (!r.str(t, "path", route.path)) r.fail(t, "route \"" + route.name + "\" needs a \"path\"");
  if (!normalizePrefix(route.path)) {
    r.fail(*t.get("path"),
           "\"path\" must be a prefix such as \"/api\": starting with '/', "
           "printable ASCII without '%', '?', '#', empty, '.' or '..' segments");
  }
  if (r.str(t, "host", route.host) && !validHostPattern(route.host)) {
    r.fail(*t.get("host"), "\"host\" must be a host name, \"*.suffix\" or \"*\" (no port)");
  }

  if (const toml::table* env = r.table(t, "env", "\"env\"")) {
    for (const auto& [key, value] : *env) {
      const std::string name(key.str());
      const bool nameOk = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                          std::all_of(name.begin(), name.end(),
                                      [](unsigned char c) { return std::isalnum(c) || c == '_'; });
      if (!nameOk) r.fail(key.source(), "environment variable name \"" + name + "\" is invalid");
      if (isReservedEnvName(name)) {
        r.fail(key.source(), "environment variable \"" + name +
                                 "\" is set by the server for each request (CGI); choose "
                                 "another name");
      }
      if (!value.is_string()) r.fail(value, "environment values must be strings");
      const std::string& v = value.as_string()->get();
      if (v.find('\0') != std::string::npos) r.fail(value, "environment value contains NUL");
      route.env.push_back(name + "=" + v);
    }
  }

  if (const toml::node* dirs = t.get("dirs")) {
    if (!dirs->is_array()) r.fail(*dirs, "\"dirs\" must be an array of tables");
    for (const toml::node& d : *dirs->as_array()) {
      if (!d.is_table()) r.fail(d, "each entry of \"dirs\" must be a table {host, guest}");
      const toml::table& dt = *d.as_table();
      r.checkKeys(dt, "a \"dirs\" entry", {"host", "guest", "writable"});
      DirConfig dir;
      std::string host;
      if (!r.str(dt, "host", host) || host.empty()) r.fail(d, "a \"dirs\" entry needs \"host\"");
      if (!r.str(dt, "guest", dir.guestPath) || dir.guestPath.empty()) {
        r.fail(d, "a \"dirs\" entry needs \"guest\" (the path the handler opens)");
      }
      bool writable = false;
      r.boolean(dt, "writable", writable);
      dir.readOnly = !writable;
      dir.hostPath = r.resolve(host);
      struct stat st;
      if (stat(dir.hostPath.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        r.fail(*dt.get("host"), "\"" + dir.hostPath + "\" is not a directory");
      }
      route.dirs.push_back(std::move(dir));
    }
    if (route.kind == RouteConfig::Kind::Native && !route.dirs.empty()) {
      r.fail(*dirs, "native routes have no directories");
    }
  }
}

Config parseTable(const Reader& r, const toml::table& root) {
  Config config;
  config.file = r.file();
  r.checkKeys(root, "the top level (expected [server], [defaults], [[route]])",
              {"server", "defaults", "route"});
  if (const toml::table* server = r.table(root, "server", "[server]")) {
    readServer(r, *server, config.server);
  }
  if (const toml::table* defaults = r.table(root, "defaults", "[defaults]")) {
    r.checkKeys(
        *defaults, "[defaults]",
        {"max_memory", "timeout_ms", "max_concurrency", "max_body", "max_response", "max_stderr"});
    readLimits(r, *defaults, config.defaults);
  }
  const toml::node* routes = root.get("route");
  if (!routes) throw ConfigError{r.file() + ":1: no routes: add at least one [[route]]"};
  if (!routes->is_array_of_tables()) r.fail(*routes, "\"route\" must be written [[route]]");
  std::map<std::string, std::string> names;                         // name -> where
  std::map<std::pair<std::string, std::string>, std::string> keys;  // (host, path) -> where
  for (const toml::node& node : *routes->as_array()) {
    RouteConfig route;
    readRoute(r, *node.as_table(), config.defaults, route);
    if (auto [it, fresh] = names.emplace(route.name, route.where); !fresh) {
      r.fail(node, "route name \"" + route.name + "\" is already used at " + it->second);
    }
    if (auto [it, fresh] = keys.emplace(std::make_pair(route.host, route.path), route.where);
        !fresh) {
      r.fail(node, "another route (" + it->second + ") has the same host and path");
    }
    if (route.path == config.server.metricsPath) {
      r.fail(node, "path \"" + route.path + "\" is the metrics endpoint (server.metrics_path)");
    }
    config.routes.push_back(std::move(route));
  }
  return config;
}

}  // namespace

unsigned ioThreads(const ServerConfig& config) {
  return config.ioThreads ? config.ioThreads : std::max(1u, std::thread::hardware_concurrency());
}

unsigned maxGuests(const ServerConfig& config) {
  return config.maxGuests ? config.maxGuests
                          : std::max(4u, 4 * std::max(1u, std::thread::hardware_concurrency()));
}

bool parseSize(const std::string& text, uint64_t& bytes) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) i++;
  if (i == 0 || i > 12) return false;
  const uint64_t n = std::stoull(text.substr(0, i));
  std::string unit = text.substr(i);
  if (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  static const std::pair<const char*, uint64_t> kUnits[] = {{"", 1},
                                                            {"B", 1},
                                                            {"KiB", 1ull << 10},
                                                            {"MiB", 1ull << 20},
                                                            {"GiB", 1ull << 30},
                                                            {"KB", 1000},
                                                            {"MB", 1000000},
                                                            {"GB", 1000000000},
                                                            {"K", 1ull << 10},
                                                            {"M", 1ull << 20},
                                                            {"G", 1ull << 30}};
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      bytes = n * scale;  // at most 12 digits times 2^30: no overflow
      return true;
    }
  }
  return false;
}

bool isReservedEnvName(const std::string& name) {
  static const std::set<std::string> kReserved = {
      "AUTH_TYPE",       "CONTENT_LENGTH", "CONTENT_TYPE",    "GATEWAY_INTERFACE", "PATH_INFO",
      "PATH_TRANSLATED", "QUERY_STRING",   "REMOTE_ADDR",     "REMOTE_HOST",       "REMOTE_IDENT",
      "REMOTE_PORT",     "REMOTE_USER",    "REQUEST_METHOD",  "REQUEST_URI",       "SCRIPT_NAME",
      "SERVER_NAME",     "SERVER_PORT",    "SERVER_PROTOCOL", "SERVER_SOFTWARE",   "WISP_ROUTE",
      "WISP_REQUEST_ID"};
  return kReserved.count(name) || name.starts_with("HTTP_");
}

Result<Config> parseConfig(const std::string& text, const std::string& name) {
  Reader reader(name, fs::absolute(fs::path(name)).parent_path());
  try {
    toml::table root = toml::parse(text, name);
    return parseTable(reader, root);
  } catch (const toml::parse_error& e) {
    return Error{name + ":" + std::to_string(e.source().begin.line) + ": " +
                 std::string(e.description())};
  } catch (const ConfigError& e) {
    return Error{e.message};
  }
}

Result<Config> loadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot read the config file"};
  std::stringstream text;
  text << in.rdbuf();
  return parseConfig(text.str(), path);
}

}  // namespace wisp::http
