// `wisp serve`: loads the config, compiles the modules, opens the logs and runs the
// server. Start-up failures print one line naming the file:line at fault and exit 2.
#include "cli/serve.h"

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include "http/app.h"
#include "http/config.h"
#include "http/log.h"
#include "http/metrics.h"
#include "http/server.h"

namespace wisp::cli {

namespace {
constexpr int kConfigError = 2;
}

int runServe(const ServeOptions& options) {
  // Writes to a client that went away must fail with EPIPE, not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  // Every connection is a descriptor: raise the soft limit (often 1024) to the hard one.
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  auto config = http::loadConfig(options.config);
  if (!config) {
    std::fprintf(stderr, "wisp serve: %s\n", config.error().message.c_str());
    return kConfigError;
  }
  const http::ServerConfig server = config->server;
  const size_t routes = config->routes.size();

  http::Metrics metrics;
  auto app = http::App::create(std::move(config).value(), metrics);
  if (!app) {
    std::fprintf(stderr, "wisp serve: %s\n", app.error().message.c_str());
    return kConfigError;
  }
  if (options.checkOnly) {
    std::printf("%s: OK (%zu routes)\n", options.config.c_str(), routes);
    return 0;
  }

  std::unique_ptr<http::LogSink> accessLog;
  if (!server.accessLog.empty()) {
    accessLog = std::make_unique<http::LogSink>();
    std::string error;
    if (!accessLog->open(server.accessLog, error)) {
      std::fprintf(stderr, "wisp serve: access_log: %s\n", error.c_str());
      return kConfigError;
    }
  }

  http::Server httpServer(server, **app, metrics, accessLog.get());
  if (auto r = httpServer.listen(); !r) {
    std::fprintf(stderr, "wisp serve: %s\n", r.error().message.c_str());
    return kConfigError;
  }
  (*app)->startReloader(server.reloadPollMs);
  http::JsonLine line;
  line.add("level", "info").add("event", "listening");
  line.add("address", server.listenHost).add("port", unsigned{httpServer.port()});
  line.add("routes", uint64_t{routes});
  line.add("io_threads", http::ioThreads(server)).add("max_guests", http::maxGuests(server));
  http::logEvent(line);
  return httpServer.run();
}

}  // namespace wisp::cli
