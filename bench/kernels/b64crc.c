/* b64crc: base64 encode + decode round trip of a 256 KiB buffer, with a
 * table-driven CRC-32 (IEEE, reflected, poly 0xEDB88320) over the input,
 * the encoded text and the decoded output.
 * Stresses byte-granular loads/stores, table lookups (256-entry u32 CRC
 * table, 64-entry encode and 256-entry decode tables), shifts and masks.
 * run(n): n rounds; each round flips a few input bytes first so no two rounds
 * are identical.  Checksum: mix of the three CRCs per round and a mismatch
 * count (0 if the round trip is exact). */
#include "kernel.h"

#define RAW_SIZE (256 * 1024 + 1) /* not a multiple of 3: exercises "=" padding */
#define ENC_SIZE (((RAW_SIZE + 2) / 3) * 4)

static uint8_t raw[RAW_SIZE];
static uint8_t enc[ENC_SIZE];
static uint8_t dec[RAW_SIZE];
static uint32_t crc_table[256];
static uint8_t dec_table[256];

static const char b64chars[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void init_tables(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
    dec_table[i] = 0xff;
  }
  for (uint32_t i = 0; i < 64; i++) dec_table[(uint8_t)b64chars[i]] = (uint8_t)i;
}

NOINLINE static uint32_t crc32(const uint8_t* p, uint32_t len) {
  uint32_t c = 0xffffffffu;
  for (uint32_t i = 0; i < len; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

NOINLINE static uint32_t b64_encode(const uint8_t* src, uint32_t len, uint8_t* dst) {
  uint32_t i = 0, o = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8) | src[i + 2];
    dst[o++] = (uint8_t)b64chars[v >> 18];
    dst[o++] = (uint8_t)b64chars[(v >> 12) & 63];
    dst[o++] = (uint8_t)b64chars[(v >> 6) & 63];
    dst[o++] = (uint8_t)b64chars[v & 63];
  }
  uint32_t rem = len - i;
  if (rem) {
    uint32_t v = (uint32_t)src[i] << 16;
    if (rem == 2) v |= (uint32_t)src[i + 1] << 8;
    dst[o++] = (uint8_t)b64chars[v >> 18];
    dst[o++] = (uint8_t)b64chars[(v >> 12) & 63];
    dst[o++] = rem == 2 ? (uint8_t)b64chars[(v >> 6) & 63] : '=';
    dst[o++] = '=';
  }
  return o;
}

/* Returns decoded length, or 0xffffffff on an invalid character. */
NOINLINE static uint32_t b64_decode(const uint8_t* src, uint32_t len, uint8_t* dst) {
  uint32_t o = 0;
  for (uint32_t i = 0; i + 4 <= len; i += 4) {
    uint32_t a = dec_table[src[i]], b = dec_table[src[i + 1]];
    uint32_t c = src[i + 2] == '=' ? 0 : dec_table[src[i + 2]];
    uint32_t d = src[i + 3] == '=' ? 0 : dec_table[src[i + 3]];
    if ((a | b | c | d) & 0x80) return 0xffffffffu;
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    dst[o++] = (uint8_t)(v >> 16);
    if (src[i + 2] != '=') dst[o++] = (uint8_t)(v >> 8);
    if (src[i + 3] != '=') dst[o++] = (uint8_t)v;
  }
  return o;
}

uint64_t run(int32_t n) {
  init_tables();
  uint32_t seed = 0xB64u;
  for (uint32_t i = 0; i < RAW_SIZE; i++) raw[i] = (uint8_t)(lcg_next(&seed) >> 23);
  uint64_t sum = 0;
  for (int32_t r = 0; r < n; r++) {
    for (int k = 0; k < 8; k++) raw[lcg_next(&seed) % RAW_SIZE] ^= (uint8_t)(1u << k);
    uint32_t c_raw = crc32(raw, RAW_SIZE);
    uint32_t elen = b64_encode(raw, RAW_SIZE, enc);
    uint32_t c_enc = crc32(enc, elen);
    uint32_t dlen = b64_decode(enc, elen, dec);
    uint32_t bad = dlen != RAW_SIZE;
    if (!bad)
      for (uint32_t i = 0; i < RAW_SIZE; i++) bad += raw[i] != dec[i];
    uint32_t c_dec = bad ? 0 : crc32(dec, dlen);
    sum = mix64(sum, ((uint64_t)c_raw << 32) | c_enc);
    sum = mix64(sum, ((uint64_t)bad << 32) | c_dec);
  }
  return sum;
}

#ifdef B64CRC_SELFTEST
#include <stdio.h>
int main(void) {
  init_tables();
  printf("%08x (expect cbf43926)\n", crc32((const uint8_t*)"123456789", 9));
  uint8_t out[16];
  uint32_t l = b64_encode((const uint8_t*)"hello", 5, out);
  printf("%.*s (expect aGVsbG8=)\n", (int)l, out);
  return 0;
}
#endif
