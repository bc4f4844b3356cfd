/* Shared header for the wisp compute-kernel suite.
 *
 * Every kernel is one C file that defines
 *     uint64_t run(int32_t n);
 * doing work proportional to n and returning a deterministic checksum.
 *
 * The same file is compiled two ways:
 *   - freestanding wasm32 (clang --target=wasm32 -nostdlib): no libc, no
 *     imports.  This header then provides the few libc symbols clang may
 *     emit calls to (memcpy/memset/memmove).
 *   - native x86-64 (gcc -O2 -ffp-contract=off) linked with native_main.c.
 *
 * Rules for kernels: fixed-width types only (wasm32 `long` is 32 bits),
 * unsigned arithmetic where values may wrap, no libm (only sqrt via
 * __builtin_sqrt, which is correctly rounded everywhere), no time/random
 * sources, and all state re-initialised inside run() so repeated calls
 * return the same checksum.
 */
#ifndef WISP_KERNEL_H
#define WISP_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define NOINLINE __attribute__((noinline))

#if defined(__wasm__)
/* clang lowers struct copies and zeroing/copy loops to calls to these, and
 * there is no libc.  They copy a word at a time when both pointers are
 * 4-byte aligned.  LLVM does not turn the loops below back into calls to
 * themselves (loop-idiom recognition is disabled inside functions with
 * these names). */
void* memcpy(void* restrict dst, const void* restrict src, size_t len) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
    for (; len >= 4; len -= 4, d += 4, s += 4) *(uint32_t*)d = *(const uint32_t*)s;
  }
  while (len--) *d++ = *s++;
  return dst;
}
void* memmove(void* dst, const void* src, size_t len) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  if (d < s) {
    while (len--) *d++ = *s++;
  } else {
    while (len--) d[len] = s[len];
  }
  return dst;
}
void* memset(void* dst, int c, size_t len) {
  unsigned char* d = dst;
  if (((uintptr_t)d & 3) == 0) {
    uint32_t w = (uint32_t)(unsigned char)c * 0x01010101u;
    for (; len >= 4; len -= 4, d += 4) *(uint32_t*)d = w;
  }
  while (len--) *d++ = (unsigned char)c;
  return dst;
}
#define KERNEL_SQRT(x) __builtin_sqrt(x)
#else
#include <math.h>
#define KERNEL_SQRT(x) sqrt(x)
#endif

/* Bit pattern of a double: the exact, engine-independent way to fold a
 * floating-point result into an integer checksum. */
static inline uint64_t f64_bits(double d) {
  union {
    double d;
    uint64_t u;
  } v;
  v.d = d;
  return v.u;
}

/* 64-bit mixer (splitmix64 finaliser) for combining checksum parts. */
static inline uint64_t mix64(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

/* Fixed-seed 32-bit LCG (Numerical Recipes constants) for input data. */
static inline uint32_t lcg_next(uint32_t* state) {
  *state = *state * 1664525u + 1013904223u;
  return *state;
}

uint64_t run(int32_t n);

#endif
