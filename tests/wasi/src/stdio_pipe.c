/* stdio_pipe: stdin -> transform -> stdout, plus fixed text on stderr.
 *
 * Reads all of stdin with raw fd_read (small, odd-sized reads so the
 * runtime's partial-read handling is exercised) until EOF (nread == 0), then
 * writes the input uppercased (ASCII only; other bytes pass through
 * unchanged) to stdout using fd_write with several iovecs (gather write),
 * followed by a summary line with byte/line counts and an FNV-1a checksum.
 * Writes "stdio_pipe: done" to stderr. Unlike the other tests this one does
 * not use the ok/FAIL line format: the runner compares stdout (and stderr)
 * against expected files for a given stdin.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int write_all(__wasi_fd_t fd, const __wasi_ciovec_t *iov, size_t n) {
    /* loop until every iovec is fully written (fd_write may be partial) */
    __wasi_ciovec_t v[8];
    memcpy(v, iov, n * sizeof *iov);
    size_t i = 0;
    while (i < n) {
        __wasi_size_t w = 0;
        if (__wasi_fd_write(fd, v + i, n - i, &w) != 0)
            return -1;
        while (i < n && w >= v[i].buf_len) {
            w -= v[i].buf_len;
            i++;
        }
        if (i < n) {
            v[i].buf += w;
            v[i].buf_len -= w;
        }
    }
    return 0;
}

int main(void) {
    size_t cap = 1024, len = 0;
    uint8_t *data = malloc(cap);
    for (;;) {
        if (cap - len < 7) {
            cap *= 2;
            data = realloc(data, cap);
        }
        /* read into two iovecs of 3 and 4 bytes (scatter read) */
        __wasi_iovec_t iov[2] = {{data + len, 3}, {data + len + 3, 4}};
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_read(0, iov, 2, &n);
        if (e != 0) {
            fprintf(stderr, "stdio_pipe: fd_read failed: errno %d\n", e);
            return 2;
        }
        if (n == 0)
            break;
        len += n;
    }

    size_t lines = 0;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ data[i]) * 16777619u;
        if (data[i] == '\n')
            lines++;
        if (data[i] >= 'a' && data[i] <= 'z')
            data[i] = (uint8_t)(data[i] - 'a' + 'A');
    }

    char summary[128];
    int slen = snprintf(summary, sizeof summary, "--\nbytes=%zu lines=%zu fnv1a=%08x\n", len, lines, (unsigned)h);
    /* gather write: first half, second half, summary */
    size_t half = len / 2;
    __wasi_ciovec_t out[3] = {{data, half}, {data + half, len - half}, {(const uint8_t *)summary, (size_t)slen}};
    if (write_all(1, out, 3) != 0) {
        fprintf(stderr, "stdio_pipe: fd_write failed\n");
        return 2;
    }
    const char msg[] = "stdio_pipe: done\n";
    __wasi_ciovec_t err[1] = {{(const uint8_t *)msg, sizeof msg - 1}};
    if (write_all(2, err, 1) != 0)
        return 2;
    return 0;
}
