// membomb: allocates (and touches) memory until allocation fails at the route's
// max_memory, then aborts, as most programs do when out of memory. The server must
// stop it at its limit: the client gets a 500, the process is unharmed.
#include <stdio.h>
#include <stdlib.h>

// Written through a volatile pointer so the compiler cannot drop the allocations.
static char* volatile last;

int main(void) {
  size_t total = 0;
  for (;;) {
    char* p = malloc(1 << 20);
    if (!p) break;
    for (size_t i = 0; i < (1 << 20); i += 4096) p[i] = (char)i;
    last = p;
    total += 1 << 20;
  }
  fprintf(stderr, "membomb: out of memory after %zu MiB\n", total >> 20);
  abort();
}
