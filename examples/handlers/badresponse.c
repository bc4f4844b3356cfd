// badresponse: writes output that is not a valid CGI response, in the way chosen by
// the query, so the tests can check each is refused with a 502 (and that nothing of
// it reaches the client):
//   nohead    a body with no header lines
//   noblank   headers that never end
//   status    "Status: 99 Too Low"
//   split     a header value with a bare CR (response splitting)
//   length    a Content-Length that disagrees with the body
//   huge      more output than the route's max_response
//   exit      a valid response, then exit status 3 (a failure: 500)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char* q = getenv("QUERY_STRING");
  if (!q) q = "";
  if (strcmp(q, "noblank") == 0) {
    printf("Content-Type: text/plain\nX-Secret: internal\n");
  } else if (strcmp(q, "status") == 0) {
    printf("Status: 99 Too Low\nContent-Type: text/plain\n\nbody\n");
  } else if (strcmp(q, "split") == 0) {
    printf("Content-Type: text/plain\nX-Bad: a\rSet-Cookie: stolen=1\n\nbody\n");
  } else if (strcmp(q, "length") == 0) {
    printf("Content-Type: text/plain\nContent-Length: 100\n\nshort\n");
  } else if (strcmp(q, "huge") == 0) {
    printf("Content-Type: text/plain\n\n");
    for (int i = 0; i < 1 << 20; i++) fputs("0123456789abcdef", stdout);
  } else if (strcmp(q, "exit") == 0) {
    printf("Content-Type: text/plain\n\nfine so far\n");
    fflush(stdout);
    exit(3);
  } else {
    printf("this is not a CGI response, just text\n");
  }
  return 0;
}
