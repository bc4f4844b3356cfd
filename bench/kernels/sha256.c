/* sha256: SHA-256 (FIPS 180-4) over a 64 KiB buffer, chained n times.
 * Stresses 32-bit rotates/shifts/adds, a 64-entry message schedule kept in
 * locals/stack, and byte loads for big-endian word assembly.
 * run(n): hash the buffer n times; after each hash the digest overwrites the
 * first 32 bytes of the buffer, so every iteration depends on the last.
 * Checksum: mix of the first 8 digest bytes after every iteration. */
#include "kernel.h"

#define BUF_SIZE (64 * 1024)

static uint8_t buf[BUF_SIZE];

static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u};

static inline uint32_t rotr(uint32_t x, unsigned r) { return (x >> r) | (x << (32 - r)); }

static void sha256_block(uint32_t st[8], const uint8_t* p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) |
           ((uint32_t)p[4 * i + 2] << 8) | (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
  uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
  for (int i = 0; i < 64; i++) {
    uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = h + S1 + ch + K[i] + w[i];
    uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + mj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  st[0] += a;
  st[1] += b;
  st[2] += c;
  st[3] += d;
  st[4] += e;
  st[5] += f;
  st[6] += g;
  st[7] += h;
}

NOINLINE static void sha256(const uint8_t* msg, uint32_t len, uint8_t out[32]) {
  uint32_t st[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
  uint32_t off = 0;
  for (; off + 64 <= len; off += 64) sha256_block(st, msg + off);
  uint8_t tail[128];
  uint32_t rem = len - off;
  for (uint32_t i = 0; i < rem; i++) tail[i] = msg[off + i];
  tail[rem] = 0x80;
  uint32_t tlen = (rem + 9 <= 64) ? 64 : 128;
  for (uint32_t i = rem + 1; i < tlen; i++) tail[i] = 0;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
  for (uint32_t i = 0; i < tlen; i += 64) sha256_block(st, tail + i);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(st[i] >> 24);
    out[4 * i + 1] = (uint8_t)(st[i] >> 16);
    out[4 * i + 2] = (uint8_t)(st[i] >> 8);
    out[4 * i + 3] = (uint8_t)st[i];
  }
}

uint64_t run(int32_t n) {
  uint32_t seed = 12345;
  for (uint32_t i = 0; i < BUF_SIZE; i++) buf[i] = (uint8_t)(lcg_next(&seed) >> 24);
  uint64_t sum = 0;
  uint8_t dg[32];
  for (int32_t it = 0; it < n; it++) {
    /* Vary the length a little so the padding paths are exercised too. */
    sha256(buf, BUF_SIZE - (uint32_t)(it & 63), dg);
    uint64_t head = 0;
    for (int i = 0; i < 8; i++) head = (head << 8) | dg[i];
    sum = mix64(sum, head);
    for (int i = 0; i < 32; i++) buf[i] = dg[i];
  }
  return sum;
}

#ifdef SHA256_SELFTEST
#include <stdio.h>
int main(void) {
  uint8_t d[32];
  sha256((const uint8_t*)"abc", 3, d);
  for (int i = 0; i < 32; i++) printf("%02x", d[i]);
  printf("\n");
  static uint8_t m[1000];
  for (int i = 0; i < 1000; i++) m[i] = 'a';
  sha256(m, 1000, d);
  for (int i = 0; i < 32; i++) printf("%02x", d[i]);
  printf("\n");
  return 0;
}
#endif
