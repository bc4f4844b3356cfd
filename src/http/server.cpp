// Server: the listener, connections (Session), signal handling and draining.
#include "http/server.h"

#include <signal.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

namespace wisp::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Bytes read at once while waiting for a request's first byte.
constexpr size_t kReadChunk = 16 * 1024;
// Longest request target kept in the access log.
constexpr size_t kMaxLoggedTarget = 2048;
// Longest excerpt of a handler's stderr kept in the access log.
constexpr size_t kMaxLoggedStderr = 1024;

// RFC 9110 Date, formatted once per second per thread.
const std::string& httpDate() {
  thread_local time_t cachedSecond = -1;
  thread_local std::string cached;
  const time_t now = std::time(nullptr);
  if (now != cachedSecond) {
    struct tm tm;
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = buf;
    cachedSecond = now;
  }
  return cached;
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

double microsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

}  // namespace

class Session;

// An io_context and the threads running it: its own thread, plus helper threads while
// guests occupy all of them (see ServerImpl::monitor()).
struct IoContext {
  asio::io_context context;     // default concurrency hint: helpers may run it too
  std::atomic<int> runners{0};  // threads inside context.run*()
  std::atomic<int> inGuest{0};  // of those, how many are running a guest now
  std::atomic<uint64_t> guestStarts{0};
  // The monitor's own view, touched only by the monitor thread.
  bool wasStalled = false;
  uint64_t seenStarts = 0;
};

class ServerImpl {
 public:
  ServerImpl(const ServerConfig& config, App& app, Metrics& metrics, LogSink* accessLog)
      : config_(config),
        app_(app),
        metrics_(metrics),
        accessLog_(accessLog),
        maxGuests_(maxGuests(config)) {
    for (unsigned i = 0; i < ioThreads(config); i++) {
      contexts_.push_back(std::make_unique<IoContext>());
      guards_.emplace_back(asio::make_work_guard(contexts_.back()->context));
    }
    acceptor_.emplace(contexts_[0]->context);
    signals_.emplace(contexts_[0]->context);
    drainTimer_.emplace(contexts_[0]->context);
    metrics_.ioThreads.store(contexts_.size());
  }

  ~ServerImpl() {
    stopped_.store(true);
    stopMonitor();
    signals_.reset();
    drainTimer_.reset();
    acceptor_.reset();
    contexts_.clear();  // destroys pending handlers, and with them the last sessions
  }

  Result<void> listen();
  int run();
  void beginDrain(const char* why);
  void sessionGone();

  // Admission of a guest: at most max_guests run at once (each holds a thread).
  bool enterGuest() {
    if (guests_.fetch_add(1, std::memory_order_relaxed) >= static_cast<int64_t>(maxGuests_)) {
      guests_.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    metrics_.guestsRunning.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  void leaveGuest() {
    guests_.fetch_sub(1, std::memory_order_relaxed);
    metrics_.guestsRunning.fetch_sub(1, std::memory_order_relaxed);
  }

  // Every live session, for draining. Sessions register and unregister themselves.
  template <typename F>
  void forEachSession(F f);

  const ServerConfig config_;
  App& app_;
  Metrics& metrics_;
  LogSink* accessLog_;
  const unsigned maxGuests_;
  std::atomic<int64_t> guests_{0};
  std::mutex sessionsMutex_;
  std::unordered_set<Session*> sessionSet_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> sessions_{0};
  std::atomic<uint64_t> nextRequestId_{1};
  uint16_t port_ = 0;
  // Members below are destroyed first: a context destroys its pending handlers, and
  // with them the last sessions, which use the members above.
  std::vector<std::unique_ptr<IoContext>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::signal_set> signals_;
  std::optional<asio::steady_timer> drainTimer_;

 private:
  struct Helper {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void accept();
  void waitSignal();
  void finishDrain();
  void monitor();
  void spawnHelper(IoContext& io);
  void stopMonitor();

  size_t nextContext_ = 0;
  std::thread monitor_;
  std::mutex monitorMutex_;
  std::condition_variable monitorCv_;
  bool monitorStop_ = false;
  std::list<Helper> helpers_;  // touched by the monitor thread, and at shutdown
};

// ---- Session ------------------------------------------------------------------------

// A client connection. Its socket's executor is a strand: its handlers never run
// concurrently (draining posts to the same strand), whichever thread runs them.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl& server, IoContext& io, tcp::socket&& socket)
      : server_(server),
        io_(io),
        stream_(std::move(socket)),
        buffer_(server.config_.maxHeaderBytes + kReadChunk) {
    server_.sessions_.fetch_add(1);
    server_.metrics_.connectionsOpen.fetch_add(1, std::memory_order_relaxed);
    beast::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      remoteAddr_ = remote.address().to_string();
      remotePort_ = remote.port();
      loopback_ =
          remote.address().is_loopback() ||
          (remote.address().is_v6() && remote.address().to_v6().is_v4_mapped() &&
           asio::ip::make_address_v4(asio::ip::v4_mapped, remote.address().to_v6()).is_loopback());
    }
    const tcp::endpoint local = stream_.socket().local_endpoint(ec);
    if (!ec) {
      localAddr_ = local.address().to_string();
      localPort_ = local.port();
    }
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  ~Session() {
    {
      std::lock_guard<std::mutex> lock(server_.sessionsMutex_);
      server_.sessionSet_.erase(this);
    }
    server_.metrics_.connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
    server_.sessionGone();
  }

  void start() {
    {
      std::lock_guard<std::mutex> lock(server_.sessionsMutex_);
      server_.sessionSet_.insert(this);
    }
    readNext();
  }

  // For calls from outside the session's handlers (draining).
  template <typename F>
  void post(F f) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), f] { f(*self); });
  }

  // Shutdown: a connection waiting for its next request is closed now; one receiving
  // or handling a request finishes it (and then closes, since draining_ is set).
  void drain() {
    if (state_ == State::Idle) stream_.cancel();
  }

  // Drain timeout: close whatever the connection is doing.
  void forceClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.cancel();
  }

  void finishGuest(HandlerResult&& result) {
    route_->metrics->instantiate.observe(result.instantiateSeconds);
    route_->metrics->run.observe(result.runSeconds);
    route_->metrics->notePeakMemory(result.peakMemoryBytes);
    if (result.trap != jit::TrapKind::None) {
      route_->metrics->traps[static_cast<size_t>(result.trap)].fetch_add(1,
                                                                         std::memory_order_relaxed);
    }
    if (result.outcome == Outcome::Deadline) {
      route_->metrics->deadlineKills.fetch_add(1, std::memory_order_relaxed);
    }
    respond(std::move(result));
  }

 private:
  enum class State { Idle, Reading, Processing, Writing, Closed };

  // Per-request facts kept for the response and the access log.
  struct Request {
    Clock::time_point received;  // header complete
    uint64_t id = 0;
    std::string method;
    std::string target;
    std::string host;
    unsigned version = 11;
    bool keepAlive = false;
    bool head = false;
    uint64_t bytesIn = 0;
  };

  void readNext() {
    if (server_.draining_.load()) return close();
    req_ = Request{};
    parser_.emplace();
    parser_->header_limit(server_.config_.maxHeaderBytes);
    // The body limit depends on the route, known once the header is in; it is set
    // then, before any body byte is parsed.
    parser_->body_limit(boost::none);
    if (buffer_.size() > 0) return readHeader();  // a pipelined request is waiting
    state_ = State::Idle;
    stream_.expires_after(std::chrono::milliseconds(server_.config_.idleTimeoutMs));
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = shared_from_this()](beast::error_code ec, size_t n) { self->onFirstBytes(ec, n); });
  }

  void onFirstBytes(beast::error_code ec, size_t n) {
    if (ec) return close();  // idle timeout, client closed, or drain
    buffer_.commit(n);
    readHeader();
  }

  void readHeader() {
    state_ = State::Reading;
    stream_.expires_after(std::chrono::milliseconds(server_.config_.requestTimeoutMs));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onHeader(ec); });
  }

  // Classifies a read failure: a protocol error gets an error response (and the
  // connection closes after it); anything else just closes.
  void readFailed(beast::error_code ec) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      return protocolError(HttpError::HeaderTooLarge, 431, "Request Header Fields Too Large");
    }
    if (ec == bhttp::error::body_limit) {
      return protocolError(HttpError::BodyTooLarge, 413, "Content Too Large");
    }
    if (ec == beast::error::timeout) {
      // The socket is already closed by the stream's timer: nothing can be sent.
      server_.metrics_.countHttpError(HttpError::Timeout);
      return close();
    }
    // Any other parser error is a malformed request; the client closing the connection
    // (before or in the middle of a request) just ends it.
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return protocolError(HttpError::BadRequest, 400, "Bad Request");
    }
    close();
  }

  void onHeader(beast::error_code ec) {
    if (ec) return readFailed(ec);
    const auto& req = parser_->get();
    req_ = Request{};
    req_.received = Clock::now();
    req_.id = server_.nextRequestId_.fetch_add(1, std::memory_order_relaxed);
    req_.method = std::string(req.method_string());
    req_.target = std::string(req.target());
    req_.version = req.version();
    req_.keepAlive = req.keep_alive();
    req_.head = req.method() == bhttp::verb::head;
    if (req_.version != 10 && req_.version != 11) {
      return protocolError(HttpError::Version, 505, "HTTP Version Not Supported");
    }
    if (!parseTarget(req.target(), target_)) {
      return protocolError(HttpError::BadRequest, 400, "Bad Request");
    }
    // Host: required by HTTP/1.1, exactly once; an absolute-form target overrides it.
    const size_t hostCount = req.count(bhttp::field::host);
    if (hostCount > 1 || (hostCount == 0 && req_.version == 11 && target_.host.empty())) {
      return protocolError(HttpError::BadRequest, 400, "Bad Request");
    }
    if (!target_.host.empty()) {
      req_.host = target_.host;
    } else if (hostCount == 1 && !parseHostHeader(req[bhttp::field::host], req_.host)) {
      return protocolError(HttpError::BadRequest, 400, "Bad Request");
    }

    table_ = server_.app_.table();
    route_ = nullptr;
    const Router::Match match = table_->router.match(req_.host, target_.path);
    uint64_t bodyLimit = table_->config->defaults.maxBodyBytes;
    if (match.id != Router::kNoRoute) {
      route_ = &table_->routes[match.id];
      prefixLength_ = match.prefixLength;
      bodyLimit = route_->config.limits.maxBodyBytes;
    }
    if (const auto length = parser_->content_length(); length && *length > bodyLimit) {
      // Refused before reading it: the connection closes, the body is never read.
      return protocolError(HttpError::BodyTooLarge, 413, "Content Too Large");
    }
    parser_->body_limit(bodyLimit);
    if (parser_->is_done()) return dispatch();
    if (iequals(req[bhttp::field::expect], "100-continue")) {
      // The client waits for this before sending a large body.
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue, sizeof kContinue - 1),
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 if (ec) return self->close();
                                 self->readBody();
                               });
    }
    readBody();
  }

  void readBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->readFailed(ec);
                        self->dispatch();
                      });
  }

  void dispatch() {
    state_ = State::Processing;
    stream_.expires_never();
    auto& req = parser_->get();
    req_.bytesIn = req.body().size();
    const std::string& metricsPath = server_.config_.metricsPath;
    if (!metricsPath.empty() && target_.path == metricsPath &&
        (loopback_ || server_.config_.metricsRemote)) {
      route_ = nullptr;
      if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
        return respond(serverResponse(405, "Method Not Allowed"));
      }
      HandlerResult r;
      if (server_.accessLog_) server_.metrics_.logDropped.store(server_.accessLog_->dropped());
      r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      r.body = server_.metrics_.render();
      return respond(std::move(r));
    }
    if (!route_) {
      RouteMetrics* unrouted = server_.metrics_.unrouted();
      unrouted->requests.fetch_add(1, std::memory_order_relaxed);
      return respond(errorResult(Outcome::NoRoute, 404), unrouted);
    }
    RouteMetrics* metrics = route_->metrics;
    metrics->requests.fetch_add(1, std::memory_order_relaxed);
    if (route_->config.kind == RouteConfig::Kind::Native) {
      auto message = parser_->release();
      auto cgi = cgiRequest(message, *route_);
      return respond(App::runNative(*route_, cgi), metrics);
    }
    // Admission: the route's concurrency, then a thread to spare.
    if (metrics->inflight.fetch_add(1, std::memory_order_relaxed) >=
        static_cast<int64_t>(route_->config.limits.maxConcurrency)) {
      metrics->inflight.fetch_sub(1, std::memory_order_relaxed);
      return respond(overloaded("route at max_concurrency"), metrics);
    }
    if (!server_.enterGuest()) {
      metrics->inflight.fetch_sub(1, std::memory_order_relaxed);
      return respond(overloaded("max_guests handlers running"), metrics);
    }
    // The guest runs right here, on this io thread: no hand-off to another thread on
    // the fast path. Should it run long, the monitor lends this io_context another
    // thread, so the other connections do not wait for it (server.h).
    auto message = parser_->release();
    const CgiRequest cgi = cgiRequest(message, *route_);
    io_.inGuest.fetch_add(1, std::memory_order_relaxed);
    io_.guestStarts.fetch_add(1, std::memory_order_relaxed);
    // The response is sent as soon as the result is known; the instance is torn down
    // after that.
    server_.app_.runWasm(*route_, cgi, std::move(message.body()),
                         [&](HandlerResult&& result) { finishGuest(std::move(result)); });
    io_.inGuest.fetch_sub(1, std::memory_order_relaxed);
    server_.leaveGuest();
    metrics->inflight.fetch_sub(1, std::memory_order_relaxed);
  }

  // The CGI view of a request (views into `message` and this session's strings).
  CgiRequest cgiRequest(const bhttp::request<bhttp::string_body>& message, const Route& route) {
    CgiRequest cgi;
    cgi.method = req_.method;
    cgi.target = req_.target;
    cgi.query = target_.query;
    const std::string_view path = target_.path;
    cgi.scriptName = path.substr(0, prefixLength_);
    cgi.pathInfo = path.substr(prefixLength_);
    cgi.protocol = req_.version == 10 ? "HTTP/1.0" : "HTTP/1.1";
    cgi.serverName = req_.host.empty() ? std::string_view(localAddr_) : req_.host;
    cgi.serverPort = localPort_;
    cgi.remoteAddr = remoteAddr_;
    cgi.remotePort = remotePort_;
    if (!message.body().empty() || message.has_content_length()) {
      cgi.contentLength = message.body().size();
    }
    cgi.contentType = message[bhttp::field::content_type];
    cgi.headers.reserve(16);
    for (const auto& field : message) cgi.headers.emplace_back(field.name_string(), field.value());
    cgi.routeName = route.config.name;
    cgi.requestId = req_.id;
    return cgi;
  }

  HandlerResult overloaded(const char* why) {
    HandlerResult r = errorResult(Outcome::Overload, 503, why);
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  static HandlerResult serverResponse(unsigned status, const char* reason) {
    HandlerResult r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    r.body = std::to_string(status) + " " + reason + "\n";
    return r;
  }

  // A request refused before it reached a handler: answer, then close (the rest of
  // the connection's bytes cannot be trusted to be framed right).
  void protocolError(HttpError kind, unsigned status, const char* reason) {
    server_.metrics_.countHttpError(kind);
    if (req_.id == 0) req_.id = server_.nextRequestId_.fetch_add(1, std::memory_order_relaxed);
    if (req_.received == Clock::time_point{}) req_.received = Clock::now();
    closeAfter_ = true;
    route_ = nullptr;
    respond(serverResponse(status, reason));
  }

  void respond(HandlerResult&& result, RouteMetrics* metrics = nullptr) {
    state_ = State::Writing;
    if (!metrics && route_) metrics = route_->metrics;
    const Clock::time_point ready = Clock::now();
    if (metrics) {
      metrics->countStatus(result.status);
      metrics->outcomes[static_cast<size_t>(result.outcome)].fetch_add(1,
                                                                       std::memory_order_relaxed);
      metrics->latency.observe(microsBetween(req_.received, ready) / 1e6);
    }
    res_ = {};
    res_.version(req_.version == 10 ? 10 : 11);
    res_.result(result.status);
    if (!result.reason.empty()) res_.reason(result.reason);
    for (auto& [name, value] : result.headers) res_.insert(name, value);
    if (res_.find(bhttp::field::date) == res_.end()) res_.set(bhttp::field::date, httpDate());
    const bool noBody = result.status < 200 || result.status == 204 || result.status == 304;
    if (noBody) {
      result.body.clear();
    } else {
      res_.content_length(result.body.size());
    }
    // HEAD: the same header (Content-Length included) and no body.
    if (req_.head) result.body.clear();
    res_.body() = std::move(result.body);
    const bool keepAlive = req_.keepAlive && !closeAfter_ && !server_.draining_.load();
    res_.keep_alive(keepAlive);
    result.body.clear();
    logResult_ = std::move(result);
    logRoute_ = metrics;
    stream_.expires_after(std::chrono::milliseconds(server_.config_.writeTimeoutMs));
    bhttp::async_write(stream_, res_,
                       [self = shared_from_this(), keepAlive](beast::error_code ec, size_t n) {
                         self->onWrite(ec, n, keepAlive);
                       });
  }

  void onWrite(beast::error_code ec, size_t bytes, bool keepAlive) {
    logAccess(bytes, ec);
    table_.reset();
    route_ = nullptr;
    if (ec || !keepAlive) return close();
    readNext();
  }

  void logAccess(size_t bytesOut, beast::error_code ec) {
    if (!server_.accessLog_) return;
    const HandlerResult& r = logResult_;
    JsonLine line;
    line.add("id", req_.id).add("remote", remoteAddr_).add("method", req_.method);
    line.add("host", req_.host);
    line.add("target", std::string_view(req_.target).substr(0, kMaxLoggedTarget));
    line.add("status", r.status).add("bytes_in", req_.bytesIn).add("bytes_out", uint64_t{bytesOut});
    if (logRoute_) line.add("route", logRoute_->name).add("outcome", outcomeName(r.outcome));
    line.add("dur_us", static_cast<uint64_t>(microsBetween(req_.received, Clock::now())));
    if (r.instantiateSeconds > 0) {
      line.add("inst_us", static_cast<uint64_t>(r.instantiateSeconds * 1e6));
      line.add("run_us", static_cast<uint64_t>(r.runSeconds * 1e6));
      line.add("mem_peak", r.peakMemoryBytes);
    }
    if (!r.detail.empty()) line.add("detail", r.detail);
    if (!r.stderrText.empty()) {
      line.add("stderr", std::string_view(r.stderrText).substr(0, kMaxLoggedStderr));
    }
    if (ec) line.add("write_error", ec.message());
    server_.accessLog_->write(line.finish());
  }

  void close() {
    if (state_ == State::Closed) return;
    state_ = State::Closed;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  ServerImpl& server_;
  IoContext& io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  State state_ = State::Idle;
  bool closeAfter_ = false;
  Request req_;
  Target target_;
  std::shared_ptr<const RouteTable> table_;
  const Route* route_ = nullptr;
  size_t prefixLength_ = 0;
  HandlerResult logResult_;
  RouteMetrics* logRoute_ = nullptr;
  std::string remoteAddr_, localAddr_;
  uint16_t remotePort_ = 0, localPort_ = 0;
  bool loopback_ = false;
};

// ---- ServerImpl ---------------------------------------------------------------------

Result<void> ServerImpl::listen() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(config_.listenHost, ec);
  if (ec) return Error{"listen: \"" + config_.listenHost + "\" is not an IP address"};
  const tcp::endpoint endpoint(address, config_.listenPort);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{"listen on " + config_.listenHost + ":" + std::to_string(config_.listenPort) +
                 ": " + ec.message()};
  }
  port_ = acceptor_->local_endpoint().port();
  return success();
}

template <typename F>
void ServerImpl::forEachSession(F f) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    live.reserve(sessionSet_.size());
    for (Session* s : sessionSet_) {
      // A session whose last reference is being dropped is skipped: it is closing.
      if (auto p = s->weak_from_this().lock()) live.push_back(std::move(p));
    }
  }
  for (auto& s : live) s->post(f);
}

void ServerImpl::accept() {
  IoContext& io = *contexts_[nextContext_++ % contexts_.size()];
  acceptor_->async_accept(
      asio::make_strand(io.context), [this, &io](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
        if (ec) {
          // Out of descriptors or memory: log, back off a little, go on.
          JsonLine line;
          line.add("level", "error").add("event", "accept_failed").add("detail", ec.message());
          logEvent(line);
          auto timer = std::make_shared<asio::steady_timer>(contexts_[0]->context,
                                                            std::chrono::milliseconds(50));
          timer->async_wait([this, timer](beast::error_code) {
            if (!draining_.load()) accept();
          });
          return;
        }
        metrics_.connectionsAccepted.fetch_add(1, std::memory_order_relaxed);
        if (metrics_.connectionsOpen.load(std::memory_order_relaxed) >=
            static_cast<int64_t>(config_.maxConnections)) {
          metrics_.connectionsRefused.fetch_add(1, std::memory_order_relaxed);
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          auto session = std::make_shared<Session>(*this, io, std::move(socket));
          session->post([](Session& s) { s.start(); });
        }
        accept();
      });
}

void ServerImpl::waitSignal() {
  signals_->async_wait([this](beast::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      JsonLine line;
      line.add("level", "info").add("event", "sighup").add("detail", "reloading config");
      logEvent(line);
      app_.requestReload();
      if (accessLog_) accessLog_->reopen();
    } else if (draining_.load()) {
      JsonLine line;
      line.add("level", "warn").add("event", "shutdown_forced").add("signal", signo);
      logEvent(line);
      finishDrain();
      return;
    } else {
      beginDrain(signo == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    waitSignal();
  });
}

void ServerImpl::beginDrain(const char* why) {
  if (draining_.exchange(true)) return;
  JsonLine line;
  line.add("level", "info").add("event", "draining").add("reason", why);
  line.add("connections", static_cast<int64_t>(sessions_.load()));
  logEvent(line);
  beast::error_code ec;
  acceptor_->close(ec);
  forEachSession([](Session& s) { s.drain(); });
  if (sessions_.load() == 0) return finishDrain();
  drainTimer_->expires_after(std::chrono::milliseconds(config_.drainTimeoutMs));
  drainTimer_->async_wait([this](beast::error_code ec) {
    if (ec) return;
    JsonLine line;
    line.add("level", "warn").add("event", "drain_timeout");
    line.add("connections", static_cast<int64_t>(sessions_.load()));
    logEvent(line);
    forEachSession([](Session& s) { s.forceClose(); });
    finishDrain();
  });
}

void ServerImpl::sessionGone() {
  // Once stopped, the contexts may be going away (sessions die with their handlers).
  if (sessions_.fetch_sub(1) == 1 && draining_.load() && !stopped_.load()) {
    asio::post(contexts_[0]->context, [this] { finishDrain(); });
  }
}

void ServerImpl::finishDrain() {
  if (stopped_.exchange(true)) return;
  beast::error_code ec;
  drainTimer_->cancel();
  signals_->cancel(ec);
  for (auto& g : guards_) g.reset();
  for (auto& io : contexts_) io->context.stop();
}

void ServerImpl::monitor() {
  // Every tick (1 ms while guests run, 10 ms otherwise), each io_context whose runners
  // are all inside guests, and were at the previous tick with no guest started since,
  // gets one more thread. So a guest that runs long delays its io thread's other
  // connections by a tick or two, while the common short guest costs no hand-off at
  // all. Helpers leave once their io_context has a free runner again.
  std::unique_lock<std::mutex> lock(monitorMutex_);
  bool active = false;
  while (!monitorStop_) {
    monitorCv_.wait_for(lock, std::chrono::milliseconds(active ? 1 : 10));
    if (monitorStop_) break;
    active = false;
    for (auto& ioPtr : contexts_) {
      IoContext& io = *ioPtr;
      const int runners = io.runners.load();
      const int busy = io.inGuest.load();
      const uint64_t starts = io.guestStarts.load(std::memory_order_relaxed);
      active |= busy > 0 || starts != io.seenStarts;
      bool stalled = runners > 0 && busy >= runners;
      if (stalled && io.wasStalled && starts == io.seenStarts && !stopped_.load()) {
        spawnHelper(io);
        stalled = false;
      }
      io.wasStalled = stalled;
      io.seenStarts = starts;
    }
    for (auto it = helpers_.begin(); it != helpers_.end();) {
      if (it->done.load()) {
        it->thread.join();
        it = helpers_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

void ServerImpl::spawnHelper(IoContext& io) {
  io.runners.fetch_add(1);
  metrics_.helperThreads.fetch_add(1, std::memory_order_relaxed);
  metrics_.helperSpawns.fetch_add(1, std::memory_order_relaxed);
  Helper& helper = helpers_.emplace_back();
  helper.thread = std::thread([this, &io, &helper] {
    while (!io.context.stopped()) {
      io.context.run_one_for(std::chrono::milliseconds(10));
      // Another runner is free: this one is not needed any more.
      if (io.runners.load() - io.inGuest.load() >= 2) break;
    }
    io.runners.fetch_sub(1);
    metrics_.helperThreads.fetch_sub(1, std::memory_order_relaxed);
    helper.done.store(true);
  });
}

void ServerImpl::stopMonitor() {
  {
    std::lock_guard<std::mutex> lock(monitorMutex_);
    monitorStop_ = true;
  }
  monitorCv_.notify_one();
  if (monitor_.joinable()) monitor_.join();
  for (auto& io : contexts_) io->context.stop();
  for (auto& h : helpers_) h.thread.join();
  helpers_.clear();
}

int ServerImpl::run() {
  signals_->add(SIGTERM);
  signals_->add(SIGINT);
  signals_->add(SIGHUP);
  waitSignal();
  accept();
  for (auto& io : contexts_) io->runners.store(1);
  std::vector<std::thread> others;
  for (size_t i = 1; i < contexts_.size(); i++) {
    IoContext* io = contexts_[i].get();
    others.emplace_back([io] { io->context.run(); });
  }
  monitor_ = std::thread([this] { monitor(); });
  contexts_[0]->context.run();
  for (auto& t : others) t.join();
  stopMonitor();
  JsonLine line;
  line.add("level", "info").add("event", "stopped");
  logEvent(line);
  return 0;
}

// ---- Server -------------------------------------------------------------------------

Server::Server(const ServerConfig& config, App& app, Metrics& metrics, LogSink* accessLog)
    : impl_(std::make_unique<ServerImpl>(config, app, metrics, accessLog)) {}
Server::~Server() = default;
Result<void> Server::listen() { return impl_->listen(); }
uint16_t Server::port() const { return impl_->port_; }
int Server::run() { return impl_->run(); }
void Server::stop() {
  ServerImpl* impl = impl_.get();
  asio::post(impl->contexts_[0]->context, [impl] { impl->beginDrain("stop"); });
}

}  // namespace wisp::http
