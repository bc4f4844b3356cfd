/* Tiny self-checking test helpers shared by the WASI test programs.
 *
 * Every check prints exactly one line on stdout:
 *     ok - <description>
 *     FAIL - <description> [line N, errno=E (text)]
 * and test_done() prints a summary line and returns the exit status
 * (0 if every check passed, 1 otherwise). Passing runs produce fully
 * deterministic stdout, which the runner compares byte for byte.
 *
 * Runtime-dependent details (exact errno chosen from an allowed set, raw
 * values) go to stderr via note(), which the runner does not compare.
 */
#ifndef WASI_TEST_H
#define WASI_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int g_checks, g_failed;

static void check_impl(int ok, int err, int line, const char *fmt, ...) {
    va_list ap;
    g_checks++;
    printf(ok ? "ok - " : "FAIL - ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (!ok) {
        g_failed++;
        printf(" [line %d, errno %d: %s]", line, err, strerror(err));
    }
    printf("\n");
    fflush(stdout);
}

/* CHECK(cond, "printf-style description", ...) */
#define CHECK(cond, ...)                                    \
    do {                                                    \
        int ok_ = !!(cond);                                 \
        check_impl(ok_, errno, __LINE__, __VA_ARGS__);      \
    } while (0)

/* Expect a libc call to fail (return -1 / NULL handled by caller as `failed`)
 * with one specific errno. */
#define CHECK_ERRNO(failed, want, ...)                                     \
    do {                                                                   \
        int f_ = !!(failed);                                               \
        int e_ = errno;                                                    \
        check_impl(f_ && e_ == (want), f_ ? e_ : 0, __LINE__, __VA_ARGS__); \
    } while (0)

/* Expect a raw __wasi_* call to return a specific errno. */
#define CHECK_WASI(call, want, ...)                                        \
    do {                                                                   \
        int r_ = (int)(call);                                              \
        check_impl(r_ == (int)(want), r_, __LINE__, __VA_ARGS__);          \
    } while (0)

static __attribute__((unused)) void note(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    va_start(ap, fmt);
    fprintf(stderr, "  note: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static int test_done(void) {
    printf("# %d checks, %d failed\n", g_checks, g_failed);
    fflush(stdout);
    return g_failed ? 1 : 0;
}

/* Find the preopened directory whose guest name is `name` by walking the
 * fd table with fd_prestat_get/fd_prestat_dir_name. Returns -1 if absent. */
static __attribute__((unused)) int find_preopen(const char *name) {
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        __wasi_errno_t r = __wasi_fd_prestat_get(fd, &ps);
        if (r == __WASI_ERRNO_BADF)
            break; /* end of the preopen list */
        if (r != 0 || ps.tag != __WASI_PREOPENTYPE_DIR)
            continue;
        size_t len = ps.u.dir.pr_name_len;
        char buf[256];
        if (len >= sizeof buf)
            continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, len) != 0)
            continue;
        buf[len] = 0;
        /* some runtimes include a trailing NUL in pr_name_len */
        if (strcmp(buf, name) == 0)
            return (int)fd;
    }
    return -1;
}

#endif
