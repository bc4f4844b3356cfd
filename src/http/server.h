// The HTTP/1.1 front of `wisp serve`, on Boost.Beast/Asio: accepting, parsing (Beast
// does all of it: no hand-written HTTP parsing), limits and timeouts, keep-alive,
// routing, handing requests to handlers, writing responses, access logging, metrics,
// and graceful shutdown.
//
// Threads: `io_threads` (default: one per core) each run their own io_context; an
// accepted connection lives on one of them, round robin, for its whole life, and its
// handlers run on a strand. A wasm handler runs inline, on the io thread that read its
// request: a hello-world guest costs a few microseconds, less than handing it to a
// worker thread and back (two wake-ups and context switches per request, which cost
// as much again as the guest on this class of machine). wasm execution is synchronous,
// though: a guest that runs long would hold up the other connections of its io_context.
// So a monitor thread watches every io_context; when all the threads running one have
// been inside guests for a tick (1 ms), it lends that io_context another thread, which
// serves its other connections (and leaves once a thread is free again). Short guests
// never pay for a hand-off; a slow one delays its neighbours by a millisecond or two,
// not by its run time. max_guests bounds the guests (and so the threads) at once.
//
// A connection handles one request at a time: the next pipelined request is read (from
// the buffer, usually) only after the previous response is written, so responses are
// in request order by construction.
//
// Timeouts: idle_timeout_ms for a kept-alive connection waiting for the first byte of
// a request; request_timeout_ms from that byte to the end of the body (so a slowloris
// client holds a connection at most that long); write_timeout_ms per response.
//
// SIGTERM/SIGINT: stop accepting, close idle connections, let requests already being
// received or handled finish (their responses say Connection: close), then exit 0;
// drain_timeout_ms bounds the wait, and a second signal exits at once. SIGHUP reloads
// the config and reopens the access log.
#pragma once

#include <memory>
#include <string>

#include "decoder/result.h"
#include "http/app.h"
#include "http/config.h"
#include "http/log.h"
#include "http/metrics.h"

namespace wisp::http {

class ServerImpl;

class Server {
 public:
  /// `app`, `metrics` and `accessLog` (may be null: no access log) must outlive it.
  Server(const ServerConfig& config, App& app, Metrics& metrics, LogSink* accessLog);
  ~Server();

  /// Binds and listens; the error says why not.
  Result<void> listen();
  /// The port actually bound (after listen(); useful with port 0).
  uint16_t port() const;
  /// Serves until shut down by a signal (or stop()); returns the process exit status.
  int run();
  /// Begins a graceful shutdown, as SIGTERM does (thread-safe).
  void stop();

 private:
  std::unique_ptr<ServerImpl> impl_;
};

}  // namespace wisp::http
