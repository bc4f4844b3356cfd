// loop: never returns. The server interrupts it at the route's deadline (504).
#include <stdio.h>

int main(void) {
  volatile unsigned long spins = 0;
  for (;;) spins++;
}
