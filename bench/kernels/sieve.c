/* sieve: memory-heavy loops over multi-megabyte arrays.
 *   1. Sieve of Eratosthenes over a 4 MiB byte array (strided byte stores).
 *   2. Strided gather-reduce over a 4 Mi-entry (16 MiB) u32 array with a
 *      large odd stride, i.e. a cache/TLB-hostile access pattern.
 *   3. Streaming read-modify-write pass (a[i] = a[i]*3 + a[i^k] ...).
 * Stresses load/store throughput, bounds-check cost on memory accesses and
 * address arithmetic.  Working set (~20 MiB) far exceeds the caches.
 * run(n): n rounds; the sieve limit and strides vary with the round.
 * Checksum: prime counts/sums and the reductions. */
#include "kernel.h"

#define SIEVE_MAX (4u << 20)
#define ARR_LOG 22
#define ARR_N (1u << ARR_LOG)
#define ARR_MASK (ARR_N - 1)

static uint8_t composite[SIEVE_MAX];
static uint32_t arr[ARR_N];

NOINLINE static uint64_t sieve(uint32_t limit) {
  for (uint32_t i = 0; i < limit; i++) composite[i] = 0;
  uint64_t count = 0, psum = 0;
  for (uint32_t i = 2; i < limit; i++) {
    if (composite[i]) continue;
    count++;
    psum += i;
    if ((uint64_t)i * i < limit)
      for (uint32_t j = i * i; j < limit; j += i) composite[j] = 1;
  }
  return (count << 40) ^ psum;
}

NOINLINE static uint32_t gather(uint32_t stride, uint32_t steps) {
  uint32_t idx = 0, acc = 0;
  for (uint32_t s = 0; s < steps; s++) {
    acc += arr[idx] ^ s;
    idx = (idx + stride) & ARR_MASK;
  }
  return acc;
}

NOINLINE static uint32_t stream(uint32_t k) {
  uint32_t acc = 0;
  for (uint32_t i = 0; i < ARR_N; i++) {
    uint32_t v = arr[i] * 3u + arr[i ^ k];
    arr[i] = v;
    acc ^= v >> (i & 7);
  }
  return acc;
}

uint64_t run(int32_t n) {
  uint32_t seed = 77;
  for (uint32_t i = 0; i < ARR_N; i++) arr[i] = lcg_next(&seed);
  uint64_t sum = 0;
  for (int32_t r = 0; r < n; r++) {
    uint32_t ur = (uint32_t)r;
    sum = mix64(sum, sieve(SIEVE_MAX - (ur & 1023u) * 64u));
    sum = mix64(sum, gather(4099u + ur * 2u * 1031u, ARR_N / 2));
    sum = mix64(sum, stream(1u + (ur * 7919u & ARR_MASK)));
  }
  return sum;
}
