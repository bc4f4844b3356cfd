// Unit tests of `wisp serve`'s pure layers: request-target parsing, CGI variables, CGI
// response parsing (with random inputs that must never crash it), routing, and config
// validation (every error names its line).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "http/cgi.h"
#include "http/config.h"
#include "http/log.h"
#include "http/router.h"

namespace wisp::http {
namespace {

TEST(Target, OriginForm) {
  Target t;
  ASSERT_TRUE(parseTarget("/a/b?x=1&y=%41", t));
  EXPECT_EQ(t.path, "/a/b");
  EXPECT_EQ(t.query, "x=1&y=%41");
  EXPECT_EQ(t.host, "");
  ASSERT_TRUE(parseTarget("/a%20b/%2e%2e/c", t));
  EXPECT_EQ(t.path, "/c");  // decoded first, so encoded dot segments cannot escape routing
  ASSERT_TRUE(parseTarget("/", t));
  EXPECT_EQ(t.path, "/");
  ASSERT_TRUE(parseTarget("/a/./b/../../../..", t));
  EXPECT_EQ(t.path, "/");
  ASSERT_TRUE(parseTarget("/a/b/", t));
  EXPECT_EQ(t.path, "/a/b/");
}

TEST(Target, AbsoluteForm) {
  Target t;
  ASSERT_TRUE(parseTarget("http://Example.COM:8080/x?q", t));
  EXPECT_EQ(t.host, "example.com");
  EXPECT_EQ(t.path, "/x");
  EXPECT_EQ(t.query, "q");
  ASSERT_TRUE(parseTarget("http://example.com", t));
  EXPECT_EQ(t.path, "/");
}

TEST(Target, Rejected) {
  Target t;
  for (const char* bad : {"", "x", "*", "/a%", "/a%4", "/a%zz", "/a%00b", "/a#frag",
                          "http://user@host/", "http:///x"}) {
    EXPECT_FALSE(parseTarget(bad, t)) << bad;
  }
}

TEST(HostHeader, Forms) {
  std::string h;
  ASSERT_TRUE(parseHostHeader("Example.com:80", h));
  EXPECT_EQ(h, "example.com");
  ASSERT_TRUE(parseHostHeader("[::1]:8080", h));
  EXPECT_EQ(h, "[::1]");
  EXPECT_FALSE(parseHostHeader("", h));
  EXPECT_FALSE(parseHostHeader("a b", h));
  EXPECT_FALSE(parseHostHeader("host:port", h));
  EXPECT_FALSE(parseHostHeader("a/b", h));
}

TEST(Cgi, Environment) {
  CgiRequest r;
  r.method = "POST";
  r.target = "/app/x?q=1";
  r.query = "q=1";
  r.scriptName = "/app";
  r.pathInfo = "/x";
  r.protocol = "HTTP/1.1";
  r.serverName = "example.com";
  r.serverPort = 8080;
  r.remoteAddr = "10.0.0.1";
  r.remotePort = 5555;
  r.contentLength = 3;
  r.contentType = "text/plain";
  r.headers = {{"Host", "example.com"}, {"X-A", "1"},          {"x-a", "2"},
               {"Cookie", "a=1"},       {"Cookie", "b=2"},     {"X_Smuggled", "no"},
               {"Proxy", "evil"},       {"Content-Type", "t"}, {"Content-Length", "3"}};
  r.routeName = "app";
  r.requestId = 42;
  const auto env = cgiEnvironment(r, {"MY_VAR=1"});
  auto has = [&](const std::string& e) {
    return std::find(env.begin(), env.end(), e) != env.end();
  };
  for (const char* e :
       {"GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=POST", "SCRIPT_NAME=/app", "PATH_INFO=/x",
        "QUERY_STRING=q=1", "SERVER_NAME=example.com", "SERVER_PORT=8080",
        "SERVER_PROTOCOL=HTTP/1.1", "REMOTE_ADDR=10.0.0.1", "CONTENT_LENGTH=3",
        "CONTENT_TYPE=text/plain", "HTTP_HOST=example.com", "HTTP_X_A=1, 2", "HTTP_COOKIE=a=1; b=2",
        "WISP_REQUEST_ID=42", "MY_VAR=1"}) {
    EXPECT_TRUE(has(e)) << e;
  }
  for (const auto& e : env) {
    EXPECT_FALSE(e.starts_with("HTTP_X_SMUGGLED=")) << e;
    EXPECT_FALSE(e.starts_with("HTTP_PROXY=")) << e;
    EXPECT_FALSE(e.starts_with("HTTP_CONTENT_")) << e;
  }
}

TEST(CgiResponse, Valid) {
  CgiResponse r;
  std::string err;
  const std::string out = "Content-Type: text/html\r\nX-A:  b \nSet-Cookie: x=1\n\nbody";
  ASSERT_TRUE(parseCgiResponse(out, r, err)) << err;
  EXPECT_EQ(r.status, 200u);
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[1].second, "b");
  EXPECT_EQ(out.substr(r.bodyOffset), "body");

  ASSERT_TRUE(parseCgiResponse("Status: 404 Nope\nContent-Type: text/plain\n\n", r, err));
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.reason, "Nope");
  ASSERT_TRUE(parseCgiResponse("Location: /elsewhere\n\n", r, err));
  EXPECT_EQ(r.status, 302u);
  ASSERT_TRUE(parseCgiResponse("Status: 201\nContent-Length: 2\n\nok", r, err));
  EXPECT_EQ(r.status, 201u);
  // Framing headers are the server's: dropped.
  ASSERT_TRUE(
      parseCgiResponse("Content-Type: a\nTransfer-Encoding: chunked\nConnection: x\n\n", r, err));
  EXPECT_EQ(r.headers.size(), 1u);
}

TEST(CgiResponse, Malformed) {
  CgiResponse r;
  std::string err;
  for (const char* bad : {
           "",                                          // nothing
           "just text\n",                               // no header
           "Content-Type: text/plain\n",                // no blank line
           "X-Other: 1\n\nbody",                        // no CGI field
           "Status: 99\n\n",                            // out of range
           "Status: 2000\n\n",                          //
           "Status: abc\n\n",                           //
           "Status: 200\nStatus: 201\n\n",              // twice
           "Content-Type: a\nX-Bad: a\rb\n\n",          // bare CR
           "Content-Type: a\n folded\n\n",              // obs-fold
           "Content-Type: a\nBad Name: x\n\n",          // space in the name
           "Content-Type: a\nContent-Length: 5\n\nab",  // length mismatch
           "Content-Type: a\nContent-Length: -1\n\n",   //
       }) {
    EXPECT_FALSE(parseCgiResponse(bad, r, err)) << bad;
    EXPECT_FALSE(err.empty());
  }
  std::string many = "Content-Type: a\n";
  for (int i = 0; i < 200; i++) many += "X-" + std::to_string(i) + ": v\n";
  EXPECT_FALSE(parseCgiResponse(many + "\n", r, err));
  EXPECT_FALSE(parseCgiResponse("Content-Type: " + std::string(100000, 'a') + "\n\n", r, err));
}

// Random output must give a clean yes or no, never a crash (run under ASan in CI).
TEST(CgiResponse, RandomInput) {
  std::mt19937 rng(12345);
  const std::string alphabet = "Status: 200Content-Type:\r\n\n\t abc\x01\x7f\xff";
  CgiResponse r;
  std::string err;
  for (int i = 0; i < 20000; i++) {
    std::string s(rng() % 200, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    if (parseCgiResponse(s, r, err)) {
      EXPECT_LE(r.bodyOffset, s.size());
      EXPECT_GE(r.status, 200u);
      EXPECT_LE(r.status, 599u);
    }
    Target t;
    parseTarget(s, t);
  }
}

TEST(Router, HostsAndPrefixes) {
  Router router;
  router.add("", "/", 0);
  router.add("", "/api", 1);
  router.add("", "/api/v2", 2);
  router.add("example.com", "/", 3);
  router.add("*.example.com", "/", 4);
  router.add("*.deep.example.com", "/x", 5);
  router.finish();
  auto id = [&](const char* host, const char* path) { return router.match(host, path).id; };
  EXPECT_EQ(id("other", "/"), 0u);
  EXPECT_EQ(id("other", "/apix"), 0u);
  EXPECT_EQ(id("other", "/api"), 1u);
  EXPECT_EQ(id("other", "/api/v2/z"), 2u);
  EXPECT_EQ(id("example.com", "/api"), 3u);  // a more specific host wins
  EXPECT_EQ(id("a.example.com", "/"), 4u);
  EXPECT_EQ(id("a.deep.example.com", "/x/1"), 5u);
  EXPECT_EQ(id("a.deep.example.com", "/y"), 4u);
  EXPECT_EQ(router.match("other", "/api/v2/z").prefixLength, 7u);
  EXPECT_EQ(router.match("other", "/zzz").prefixLength, 0u);

  Router none;
  none.add("example.com", "/only", 0);
  none.finish();
  EXPECT_EQ(none.match("example.com", "/").id, Router::kNoRoute);
  EXPECT_EQ(none.match("other", "/only").id, Router::kNoRoute);
}

// The error for `text` names `line`, and says `words`.
void expectError(const std::string& text, int line, const std::string& words) {
  auto c = parseConfig(text, "t.toml");
  ASSERT_FALSE(c.ok()) << text;
  EXPECT_NE(c.error().message.find("t.toml:" + std::to_string(line) + ":"), std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find(words), std::string::npos) << c.error().message;
}

TEST(Config, Valid) {
  auto c = parseConfig(R"(
[server]
listen = "0.0.0.0:9000"
max_header_bytes = "32KiB"
[defaults]
max_memory = "32MiB"
timeout_ms = 250
[[route]]
name = "a"
host = "*.Example.com"
path = "/api/"
native = "hello"
max_concurrency = 3
)",
                       "/etc/wisp/t.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.listenPort, 9000);
  EXPECT_EQ(c->server.maxHeaderBytes, 32u << 10);
  ASSERT_EQ(c->routes.size(), 1u);
  const RouteConfig& r = c->routes[0];
  EXPECT_EQ(r.host, "*.example.com");
  EXPECT_EQ(r.path, "/api");
  EXPECT_EQ(r.limits.maxMemoryBytes, 32u << 20);
  EXPECT_EQ(r.limits.timeoutMs, 250u);
  EXPECT_EQ(r.limits.maxConcurrency, 3u);
  EXPECT_EQ(r.where, "/etc/wisp/t.toml:8");
}

TEST(Config, ErrorsNameTheLine) {
  expectError("[server]\nlisten = 8080\n", 2, "string");
  expectError("[server]\nlisten = \"nope\"\n", 2, "HOST:PORT");
  expectError("[server]\nbogus = 1\n", 2, "unknown key \"bogus\"");
  expectError("[srever]\n", 1, "unknown key");
  expectError("[[route]]\npath = \"/\"\n", 1, "exactly one of");
  expectError("[[route]]\npath = \"/\"\nnative = \"nope\"\n", 3, "unknown native");
  expectError("[[route]]\npath = \"x\"\nnative = \"hello\"\n", 2, "prefix");
  expectError("[[route]]\npath = \"/a/../b\"\nnative = \"hello\"\n", 2, "prefix");
  expectError("[[route]]\npath = \"/\"\nnative = \"hello\"\nhost = \"a b\"\n", 4, "host");
  expectError("[[route]]\npath = \"/\"\nnative = \"hello\"\ntimeout_ms = 0\n", 4, "between");
  expectError("[[route]]\npath = \"/\"\nnative = \"hello\"\nmax_memory = \"1KiB\"\n", 4, "between");
  expectError("[[route]]\npath = \"/\"\nmodule = \"m.wasm\"\nenv = { HTTP_X = \"1\" }\n", 4,
              "HTTP_X");
  expectError("[[route]]\npath = \"/\"\nmodule = \"m.wasm\"\nenv = { \"A-B\" = \"1\" }\n", 4,
              "invalid");
  expectError(
      "[[route]]\npath = \"/\"\nmodule = \"m.wasm\"\ndirs = [{ host = \"/nonexistent\", "
      "guest = \"/d\" }]\n",
      4, "not a directory");
  expectError(
      "[[route]]\npath = \"/\"\nmodule = \"m.wasm\"\ndirs = [{ host = \"/\", "
      "guest = \"/d\", mode = \"rw\" }]\n",
      4, "unknown key \"mode\"");
  expectError(
      "\n\n[[route]]\npath = \"/\"\nnative = \"hello\"\n[[route]]\nname = \"x\"\npath = "
      "\"/\"\nnative = \"hello\"\n",
      6, "same host and path");
  expectError("[[route]]\nname = \"a b\"\npath = \"/\"\nnative = \"hello\"\n", 2, "route name");
  expectError("[server]\n", 1, "no routes");
  expectError("[[route]]\npath = \"/metrics\"\nnative = \"hello\"\n", 1, "metrics");
  expectError("a = \n", 1, "");
}

TEST(Config, Sizes) {
  uint64_t v = 0;
  ASSERT_TRUE(parseSize("64MiB", v));
  EXPECT_EQ(v, 64u << 20);
  ASSERT_TRUE(parseSize("10 KB", v));
  EXPECT_EQ(v, 10000u);
  ASSERT_TRUE(parseSize("4096", v));
  EXPECT_EQ(v, 4096u);
  for (const char* bad : {"", "MiB", "1 TiB", "-1", "1.5MiB", "99999999999999999MiB"}) {
    EXPECT_FALSE(parseSize(bad, v)) << bad;
  }
}

TEST(Log, JsonEscaping) {
  std::string out;
  appendJsonEscaped(out, std::string("a\"b\\c\n\x01\xff\xc3\xa9", 10));
  EXPECT_EQ(out, "a\\\"b\\\\c\\n\\u0001\\u00ff\xc3\xa9");
}

}  // namespace
}  // namespace wisp::http
