// hello: the smallest useful handler. GET /hello?name=Ada answers "Hello, Ada!".
// A handler is an ordinary WASI command: the request arrives CGI-style (variables in
// the environment, the body on stdin) and whatever it prints is the response: CGI
// header lines, a blank line, the body.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char* query = getenv("QUERY_STRING");  // "name=Ada&x=1", or ""
  const char* name = "world";
  char buf[64];
  if (query && strncmp(query, "name=", 5) == 0) {
    size_t n = strcspn(query + 5, "&");
    if (n > 0 && n < sizeof buf) {
      memcpy(buf, query + 5, n);
      buf[n] = '\0';
      name = buf;
    }
  }
  printf("Content-Type: text/plain\n\n");
  printf("Hello, %s!\n", name);
  return 0;
}
