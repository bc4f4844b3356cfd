/* Small deterministic C program: compiled by clang (wasm) in the WASI benchmarks, and its output
 * run too. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t crc32(const unsigned char* p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
  }
  return ~c;
}

static void sieve(int n, int* count, int* last) {
  static unsigned char composite[100001];
  memset(composite, 0, sizeof composite);
  *count = 0;
  for (int i = 2; i <= n; i++) {
    if (composite[i]) continue;
    ++*count;
    *last = i;
    for (long j = (long)i * i; j <= n; j += i) composite[j] = 1;
  }
}

int main(int argc, char** argv) {
  int count, last;
  sieve(100000, &count, &last);
  const char* msg = argc > 1 ? argv[1] : "wisp";
  printf("primes<=100000: %d (last %d)\n", count, last);
  printf("crc32(\"%s\") = %08x\n", msg, crc32((const unsigned char*)msg, strlen(msg)));
  double x = 1.0;
  for (int i = 0; i < 20; i++) x = x / 2 + 1.0 / x;
  printf("sqrt(2) ~ %.15f\n", x);
  return 0;
}
