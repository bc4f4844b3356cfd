// echo: answers with what it was given: the CGI variables, the route's own variables
// (those not set by the server), and the request body. The integration tests read it
// back to check the handler ABI; it also shows how to read a body of any size.
//   curl -d 'some body' 'http://127.0.0.1:8080/echo/a/b?x=1'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static void show(const char* name) {
  const char* value = getenv(name);
  if (value) printf("%s=%s\n", name, value);
}

int main(void) {
  static const char* const kCgi[] = {
      "GATEWAY_INTERFACE", "SERVER_SOFTWARE", "SERVER_PROTOCOL", "SERVER_NAME", "SERVER_PORT",
      "REQUEST_METHOD",    "REQUEST_URI",     "SCRIPT_NAME",     "PATH_INFO",   "QUERY_STRING",
      "REMOTE_ADDR",       "CONTENT_LENGTH",  "CONTENT_TYPE",    "WISP_ROUTE"};
  printf("Content-Type: text/plain\n");
  printf("X-Echo: yes\n\n");
  for (size_t i = 0; i < sizeof kCgi / sizeof kCgi[0]; i++) show(kCgi[i]);
  // Request headers (HTTP_*) and the route's environment, in the order given.
  for (char** e = environ; *e; e++) {
    if (strncmp(*e, "HTTP_", 5) == 0 || strncmp(*e, "ECHO_", 5) == 0) printf("%s\n", *e);
  }
  printf("--- body\n");
  // The body is stdin, CONTENT_LENGTH bytes of it.
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
  return 0;
}
