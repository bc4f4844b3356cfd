// A freestanding module (no imports) exporting fib(n), for `wisp run --invoke`.
#include <stdint.h>

__attribute__((export_name("fib"))) uint64_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
