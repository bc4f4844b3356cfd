/* lz77: LZ77 compression + decompression round trip (LZ4-like block format:
 * token byte with 4-bit literal/match lengths + 255-run extensions,
 * 16-bit offsets, 64 KiB window).  The compressor uses a hash table of
 * chain heads plus a chain of previous positions (bounded depth, greedy
 * matching with one-step lazy evaluation).
 * Stresses byte loads/stores, unaligned 32-bit loads, hashing with
 * multiplies, data-dependent branches and short copy loops.
 * run(n): n rounds; each round synthesises 128 KiB of text-like input from a
 * per-round seed (words from a small vocabulary, numbers, noise), compresses
 * it, decompresses it and verifies the result.  Checksum: mix of compressed
 * sizes, a hash of the compressed bytes and a mismatch count (0 if OK). */
#include "kernel.h"

#define IN_SIZE (128 * 1024)
#define OUT_CAP (IN_SIZE + IN_SIZE / 255 + 64)
#define HASH_BITS 15
#define HASH_SIZE (1u << HASH_BITS)
#define WINDOW 65536u
#define MIN_MATCH 4u
#define MAX_CHAIN 24

static uint8_t input[IN_SIZE];
static uint8_t comp[OUT_CAP];
static uint8_t decomp[IN_SIZE];
static int32_t head[HASH_SIZE];
static int32_t prev_pos[WINDOW];

static const char* const vocab[32] = {
    "the ",    "quick ",  "brown ",    "fox ",    "jumps ",   "over ",    "lazy ",   "dog ",
    "wasm ",   "module ", "function ", "memory ", "table ",   "export ",  "import ", "local ",
    "global ", "call ",   "indirect ", "branch ", "loop ",    "block ",   "return ", "i32 ",
    "i64 ",    "f64 ",    "load ",     "store ",  "compile ", "runtime ", ", ",      ".\n"};

static void gen_input(uint32_t seed) {
  uint32_t pos = 0;
  while (pos < IN_SIZE) {
    uint32_t r = lcg_next(&seed);
    if ((r >> 28) < 12) { /* word */
      const char* w = vocab[(r >> 16) & 31];
      while (*w && pos < IN_SIZE) input[pos++] = (uint8_t)*w++;
    } else if ((r >> 28) < 15) { /* number */
      uint32_t v = (r >> 8) & 0xffff;
      char tmp[8];
      int len = 0;
      do {
        tmp[len++] = (char)('0' + v % 10);
        v /= 10;
      } while (v);
      while (len && pos < IN_SIZE) input[pos++] = (uint8_t)tmp[--len];
      if (pos < IN_SIZE) input[pos++] = ' ';
    } else { /* noise */
      for (int i = 0; i < 4 && pos < IN_SIZE; i++) input[pos++] = (uint8_t)(lcg_next(&seed) >> 24);
    }
  }
}

static inline uint32_t load32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint32_t hash4(const uint8_t* p) {
  return (load32(p) * 2654435761u) >> (32 - HASH_BITS);
}

static inline uint8_t* put_len(uint8_t* op, uint32_t len) {
  while (len >= 255) {
    *op++ = 255;
    len -= 255;
  }
  *op++ = (uint8_t)len;
  return op;
}

static inline void insert_pos(const uint8_t* src, uint32_t p) {
  uint32_t h = hash4(src + p);
  prev_pos[p & (WINDOW - 1)] = head[h];
  head[h] = (int32_t)p;
}

/* Longest match for position p; returns length, stores offset. */
static inline uint32_t find_match(const uint8_t* src, uint32_t p, uint32_t len, uint32_t* off) {
  uint32_t best = 0;
  int32_t cand = head[hash4(src + p)];
  uint32_t limit = len - p;
  for (int chain = 0; chain < MAX_CHAIN && cand >= 0; chain++) {
    uint32_t c = (uint32_t)cand;
    if (p - c > WINDOW - 1) break;
    if (src[c + best] == src[p + best] && load32(src + c) == load32(src + p)) {
      uint32_t l = 4;
      while (l < limit && src[c + l] == src[p + l]) l++;
      if (l > best) {
        best = l;
        *off = p - c;
        if (l >= 258) break;
      }
    }
    int32_t nxt = prev_pos[c & (WINDOW - 1)];
    if (nxt >= cand) break; /* stale entry from an older window */
    cand = nxt;
  }
  return best;
}

NOINLINE static uint32_t compress(const uint8_t* src, uint32_t len, uint8_t* dst) {
  for (uint32_t i = 0; i < HASH_SIZE; i++) head[i] = -1;
  for (uint32_t i = 0; i < WINDOW; i++) prev_pos[i] = -1;
  uint8_t* op = dst;
  uint32_t anchor = 0, p = 0;
  uint32_t last_match_start = len > 12 ? len - 12 : 0; /* leave a literal tail */
  while (p < last_match_start) {
    uint32_t off = 0;
    uint32_t ml = find_match(src, p, last_match_start, &off);
    if (ml < MIN_MATCH) {
      insert_pos(src, p);
      p++;
      continue;
    }
    /* One-step lazy matching: prefer a longer match starting at p + 1. */
    insert_pos(src, p);
    uint32_t off2 = 0;
    uint32_t ml2 = find_match(src, p + 1, last_match_start, &off2);
    if (ml2 > ml + 1) {
      p++;
      ml = ml2;
      off = off2;
    }
    uint32_t lit = p - anchor;
    uint8_t* token = op++;
    uint32_t ml_code = ml - MIN_MATCH;
    *token = (uint8_t)(((lit < 15 ? lit : 15) << 4) | (ml_code < 15 ? ml_code : 15));
    if (lit >= 15) op = put_len(op, lit - 15);
    for (uint32_t i = 0; i < lit; i++) *op++ = src[anchor + i];
    *op++ = (uint8_t)off;
    *op++ = (uint8_t)(off >> 8);
    if (ml_code >= 15) op = put_len(op, ml_code - 15);
    uint32_t end = p + ml;
    for (uint32_t q = p + 1; q < end; q++) insert_pos(src, q);
    p = end;
    anchor = p;
  }
  /* Final sequence: literals only. */
  uint32_t lit = len - anchor;
  *op++ = (uint8_t)((lit < 15 ? lit : 15) << 4);
  if (lit >= 15) op = put_len(op, lit - 15);
  for (uint32_t i = 0; i < lit; i++) *op++ = src[anchor + i];
  return (uint32_t)(op - dst);
}

NOINLINE static uint32_t decompress(const uint8_t* src, uint32_t clen, uint8_t* dst, uint32_t cap) {
  const uint8_t *ip = src, *iend = src + clen;
  uint8_t *op = dst, *oend = dst + cap;
  for (;;) {
    uint32_t token = *ip++;
    uint32_t lit = token >> 4;
    if (lit == 15) {
      uint32_t b;
      do {
        b = *ip++;
        lit += b;
      } while (b == 255);
    }
    if (lit > (uint32_t)(oend - op) || lit > (uint32_t)(iend - ip)) return 0xffffffffu;
    for (uint32_t i = 0; i < lit; i++) *op++ = *ip++;
    if (ip >= iend) break;
    uint32_t off = (uint32_t)ip[0] | ((uint32_t)ip[1] << 8);
    ip += 2;
    uint32_t ml = (token & 15) + MIN_MATCH;
    if ((token & 15) == 15) {
      uint32_t b;
      do {
        b = *ip++;
        ml += b;
      } while (b == 255);
    }
    if (off == 0 || off > (uint32_t)(op - dst) || ml > (uint32_t)(oend - op)) return 0xffffffffu;
    const uint8_t* m = op - off;
    for (uint32_t i = 0; i < ml; i++) *op++ = m[i]; /* may overlap: byte copy */
  }
  return (uint32_t)(op - dst);
}

uint64_t run(int32_t n) {
  uint64_t sum = 0;
  for (int32_t r = 0; r < n; r++) {
    gen_input(0x5eed0000u + (uint32_t)r);
    uint32_t clen = compress(input, IN_SIZE, comp);
    uint32_t dlen = decompress(comp, clen, decomp, IN_SIZE);
    uint32_t bad = dlen != IN_SIZE;
    for (uint32_t i = 0; i < IN_SIZE; i++) bad += input[i] != decomp[i];
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the compressed stream */
    for (uint32_t i = 0; i < clen; i++) h = (h ^ comp[i]) * 1099511628211ull;
    sum = mix64(sum, h ^ ((uint64_t)clen << 32) ^ ((uint64_t)bad << 60));
  }
  return sum;
}

#ifdef LZ77_SELFTEST
#include <stdio.h>
int main(void) {
  gen_input(0x5eed0000u);
  uint32_t clen = compress(input, IN_SIZE, comp);
  uint32_t dlen = decompress(comp, clen, decomp, IN_SIZE);
  uint32_t bad = 0;
  for (uint32_t i = 0; i < IN_SIZE; i++) bad += input[i] != decomp[i];
  printf("in=%u comp=%u dec=%u bad=%u\n", IN_SIZE, clen, dlen, bad);
  return 0;
}
#endif
