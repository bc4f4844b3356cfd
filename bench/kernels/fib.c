/* fib: call-heavy recursion — doubly recursive Fibonacci, Takeuchi's tak
 * (three-argument triple recursion) and Ackermann(2..3, k) (deep, non-tail
 * recursion, ~1000 frames).  Stresses call/return overhead, argument
 * passing, prologue/epilogue and stack-limit checks; almost no memory.
 * run(n): n rounds of fib(22..25) + tak(18,12,6) + ack(2|3, small);
 * checksum = mix of all results. */
#include "kernel.h"

NOINLINE static uint32_t fib(uint32_t k) { return k < 2 ? k : fib(k - 1) + fib(k - 2); }

NOINLINE static int32_t tak(int32_t x, int32_t y, int32_t z) {
  if (y >= x) return z;
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

NOINLINE static uint32_t ack(uint32_t m, uint32_t k) {
  if (m == 0) return k + 1;
  if (k == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, k - 1));
}

uint64_t run(int32_t n) {
  uint64_t sum = 0;
  for (int32_t r = 0; r < n; r++) {
    uint32_t k = (uint32_t)r & 3u;
    sum = mix64(sum, fib(22 + k));
    sum = mix64(sum, (uint32_t)tak(18 - (int32_t)k, 12, 6));
    sum = mix64(sum, ack(2 + (k >> 1), 5 + (k & 1)));
  }
  return sum;
}
