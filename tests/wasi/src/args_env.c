/* args_env: command-line arguments and environment variables.
 *
 * Checks args_sizes_get/args_get and environ_sizes_get/environ_get both
 * through libc (argv, environ, getenv) and through the raw WASI calls, and
 * that the two views agree. The runner passes exactly these arguments:
 *     hello "two words" "" "ünïcödé" --flag=x=y
 * and exactly this environment (nothing inherited from the host):
 *     WISP_A=1  WISP_B="with spaces"  WISP_EMPTY=""  WISP_EQ="a=b=c"
 *     WISP_UTF8="ñ€"
 * argv[0] is runtime-defined (usually the module path); only checked to be
 * present and non-empty.
 */
#include "wasi_test.h"

extern char **environ;

static const char *want_args[] = {"hello", "two words", "", "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9", "--flag=x=y"};
#define NWANT_ARGS (sizeof want_args / sizeof want_args[0])

static const char *want_env[] = {"WISP_A=1", "WISP_B=with spaces", "WISP_EMPTY=", "WISP_EQ=a=b=c",
                                 "WISP_UTF8=\xc3\xb1\xe2\x82\xac"};
#define NWANT_ENV (sizeof want_env / sizeof want_env[0])

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv) {
    /* ---- argv through libc ---- */
    CHECK(argc == (int)NWANT_ARGS + 1, "argc is %d", (int)NWANT_ARGS + 1);
    CHECK(argv[0] != NULL && argv[0][0] != 0, "argv[0] is present and non-empty");
    CHECK(argv[argc] == NULL, "argv[argc] is NULL");
    for (int i = 1; i < argc; i++) {
        int expected = i - 1 < (int)NWANT_ARGS && strcmp(argv[i], want_args[i - 1]) == 0;
        CHECK(expected, "argv[%d] = \"%s\" (%zu bytes)", i, argv[i], strlen(argv[i]));
    }

    /* ---- args via raw WASI ---- */
    __wasi_size_t n = 0, bufsz = 0;
    CHECK_WASI(__wasi_args_sizes_get(&n, &bufsz), 0, "args_sizes_get succeeds");
    CHECK((int)n == argc, "args_sizes_get count matches argc");
    size_t want_bufsz = 0;
    for (int i = 0; i < argc; i++)
        want_bufsz += strlen(argv[i]) + 1;
    CHECK(bufsz == want_bufsz, "args_sizes_get buffer size = sum of (strlen+1)");
    {
        uint8_t **ptrs = calloc(n + 1, sizeof *ptrs);
        uint8_t *buf = malloc(bufsz + 1);
        CHECK_WASI(__wasi_args_get(ptrs, buf), 0, "args_get succeeds");
        int same = 1;
        for (__wasi_size_t i = 0; i < n && (int)i < argc; i++) {
            if (strcmp((char *)ptrs[i], argv[i]) != 0)
                same = 0;
            if (ptrs[i] < buf || ptrs[i] >= buf + bufsz)
                same = 0;
        }
        CHECK(same, "args_get strings match argv and point into the buffer");
        /* strings are NUL-terminated and packed in order */
        CHECK(n > 0 && ptrs[0] == buf && buf[bufsz - 1] == 0, "args_get buffer is packed and NUL-terminated");
        free(ptrs);
        free(buf);
    }

    /* ---- environment through libc ---- */
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    CHECK(nenv == NWANT_ENV, "environ has exactly %zu entries (no host leakage)", NWANT_ENV);
    {
        const char **sorted = calloc(nenv + 1, sizeof *sorted);
        for (size_t i = 0; i < nenv; i++)
            sorted[i] = environ[i];
        qsort(sorted, nenv, sizeof *sorted, cmp_str);
        for (size_t i = 0; i < nenv; i++) {
            int expected = i < NWANT_ENV && strcmp(sorted[i], want_env[i]) == 0;
            CHECK(expected, "environ entry \"%s\"", sorted[i]);
        }
        free(sorted);
    }
    const char *v;
    v = getenv("WISP_A");
    CHECK(v && strcmp(v, "1") == 0, "getenv(WISP_A) = \"1\"");
    v = getenv("WISP_B");
    CHECK(v && strcmp(v, "with spaces") == 0, "getenv(WISP_B) = \"with spaces\"");
    v = getenv("WISP_EMPTY");
    CHECK(v && v[0] == 0, "getenv(WISP_EMPTY) is empty string, not NULL");
    v = getenv("WISP_EQ");
    CHECK(v && strcmp(v, "a=b=c") == 0, "getenv(WISP_EQ) keeps '=' in value");
    CHECK(getenv("WISP_MISSING") == NULL, "getenv(WISP_MISSING) is NULL");
    CHECK(getenv("PATH") == NULL, "host PATH is not inherited");

    /* ---- environment via raw WASI ---- */
    __wasi_size_t en = 0, ebufsz = 0;
    CHECK_WASI(__wasi_environ_sizes_get(&en, &ebufsz), 0, "environ_sizes_get succeeds");
    CHECK(en == nenv, "environ_sizes_get count matches environ");
    size_t want_ebufsz = 0;
    for (size_t i = 0; i < nenv; i++)
        want_ebufsz += strlen(environ[i]) + 1;
    CHECK(ebufsz == want_ebufsz, "environ_sizes_get buffer size = sum of (strlen+1)");
    {
        uint8_t **ptrs = calloc(en + 1, sizeof *ptrs);
        uint8_t *buf = malloc(ebufsz + 1);
        CHECK_WASI(__wasi_environ_get(ptrs, buf), 0, "environ_get succeeds");
        int same = 1;
        for (__wasi_size_t i = 0; i < en && i < nenv; i++)
            if (strcmp((char *)ptrs[i], environ[i]) != 0)
                same = 0;
        CHECK(same, "environ_get strings match environ in order");
        free(ptrs);
        free(buf);
    }

    /* ---- libc environment manipulation stays inside the guest ---- */
    CHECK(setenv("WISP_NEW", "x", 1) == 0 && strcmp(getenv("WISP_NEW"), "x") == 0, "setenv/getenv round trip");
    CHECK(unsetenv("WISP_A") == 0 && getenv("WISP_A") == NULL, "unsetenv removes a variable");

    return test_done();
}
