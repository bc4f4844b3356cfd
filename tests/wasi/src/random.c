/* random: random_get.
 *
 * - a zero-length request succeeds
 * - 32-byte draws are not all zero and two consecutive draws differ
 * - a large (64 KiB) draw is filled completely (no zero tail) and covers
 *   most byte values
 * - a request into an unaligned, odd-length slice only touches that slice
 * - libc getentropy() works and rejects > 256 bytes with EIO
 * The random bytes themselves are never printed.
 */
#include "wasi_test.h"
#include <unistd.h>

static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

int main(void) {
    uint8_t a[32], b[32];

    CHECK_WASI(__wasi_random_get(a, 0), 0, "random_get with length 0 succeeds");

    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_WASI(__wasi_random_get(a, sizeof a), 0, "random_get(32 bytes) succeeds");
    CHECK_WASI(__wasi_random_get(b, sizeof b), 0, "second random_get(32 bytes) succeeds");
    CHECK(!all_zero(a, sizeof a), "first draw is not all zero");
    CHECK(!all_zero(b, sizeof b), "second draw is not all zero");
    CHECK(memcmp(a, b, sizeof a) != 0, "two draws differ");

    /* large buffer: every 4 KiB block must have been written, and the byte
       histogram should cover nearly all 256 values (expected ~256) */
    size_t big = 64 * 1024;
    uint8_t *buf = calloc(1, big);
    CHECK_WASI(__wasi_random_get(buf, big), 0, "random_get(64 KiB) succeeds");
    int zero_blocks = 0;
    for (size_t off = 0; off < big; off += 4096)
        if (all_zero(buf + off, 4096))
            zero_blocks++;
    CHECK(zero_blocks == 0, "every 4 KiB block of the 64 KiB draw was filled");
    int seen[256] = {0}, distinct = 0;
    for (size_t i = 0; i < big; i++)
        if (!seen[buf[i]]++)
            distinct++;
    note("distinct byte values in 64 KiB: %d", distinct);
    CHECK(distinct >= 250, "64 KiB draw covers >= 250 distinct byte values");
    free(buf);

    /* the runtime must write exactly [p, p+len) */
    uint8_t guard[64];
    memset(guard, 0xAA, sizeof guard);
    CHECK_WASI(__wasi_random_get(guard + 5, 17), 0, "random_get into unaligned 17-byte slice succeeds");
    int outside_ok = 1;
    for (int i = 0; i < 5; i++)
        if (guard[i] != 0xAA)
            outside_ok = 0;
    for (int i = 22; i < 64; i++)
        if (guard[i] != 0xAA)
            outside_ok = 0;
    CHECK(outside_ok, "bytes outside the requested slice are untouched");

    /* libc wrapper */
    uint8_t c[256];
    memset(c, 0, sizeof c);
    CHECK(getentropy(c, sizeof c) == 0, "getentropy(256) succeeds");
    CHECK(!all_zero(c, sizeof c), "getentropy output is not all zero");
    uint8_t d[257];
    CHECK_ERRNO(getentropy(d, sizeof d) != 0, EIO, "getentropy(257) -> EIO");

    return test_done();
}
