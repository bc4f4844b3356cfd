// trap: starts a response, then traps (as a failed assertion or a Rust panic would).
// The client must get a plain 500 and none of the partial output.
#include <stdio.h>

int main(void) {
  printf("Content-Type: text/plain\n\nsecret partial output\n");
  fflush(stdout);
  __builtin_trap();
}
