// slow: answers after ?ms=N milliseconds (default 500), sleeping in poll_oneoff. The
// tests use it to have requests in flight (draining on SIGTERM, max_concurrency).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(void) {
  const char* q = getenv("QUERY_STRING");
  long ms = 500;
  if (q && strncmp(q, "ms=", 3) == 0) ms = strtol(q + 3, NULL, 10);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  printf("Content-Type: text/plain\n\nslept %ld ms\n", ms);
  return 0;
}
