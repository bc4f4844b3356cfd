/* clocks: clock_time_get / clock_res_get.
 *
 * - realtime is plausible (between 2020-01-01 and 2100-01-01) and agrees
 *   with libc time()/gettimeofday()/clock_gettime(CLOCK_REALTIME)
 * - monotonic never goes backwards over many reads and advances across a
 *   short busy wait
 * - resolutions of realtime and monotonic are in (0, 1 s]
 * Invalid clock ids are not tested: Node returns EINVAL, wasmtime traps
 * (the id fails to decode as the clockid enum); both are defensible.
 * Only deterministic facts are printed; raw values go to stderr.
 */
#include "wasi_test.h"
#include <sys/time.h>
#include <time.h>

#define NS_PER_S 1000000000ull
#define T_2020 1577836800ull /* 2020-01-01T00:00:00Z */
#define T_2100 4102444800ull /* 2100-01-01T00:00:00Z */

int main(void) {
    __wasi_timestamp_t t = 0, res = 0;

    /* realtime */
    CHECK_WASI(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t), 0, "clock_time_get(realtime) succeeds");
    note("realtime = %llu ns", (unsigned long long)t);
    CHECK(t >= T_2020 * NS_PER_S && t < T_2100 * NS_PER_S, "realtime is between 2020 and 2100");

    time_t now = time(NULL);
    CHECK((unsigned long long)now >= T_2020 && (unsigned long long)now < T_2100, "time() is between 2020 and 2100");
    CHECK(llabs((long long)now - (long long)(t / NS_PER_S)) <= 5, "time() agrees with clock_time_get(realtime) within 5 s");

    struct timeval tv;
    CHECK(gettimeofday(&tv, NULL) == 0, "gettimeofday succeeds");
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "gettimeofday tv_usec in [0, 1e6)");
    CHECK(llabs((long long)tv.tv_sec - (long long)now) <= 5, "gettimeofday agrees with time() within 5 s");

    struct timespec ts;
    CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0, "clock_gettime(CLOCK_REALTIME) succeeds");
    CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000, "CLOCK_REALTIME tv_nsec in [0, 1e9)");

    /* monotonic */
    __wasi_timestamp_t m0 = 0, prev = 0, cur = 0;
    CHECK_WASI(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &m0), 0, "clock_time_get(monotonic) succeeds");
    int backwards = 0;
    prev = m0;
    for (int i = 0; i < 10000; i++) {
        if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &cur) != 0 || cur < prev)
            backwards++;
        prev = cur;
    }
    CHECK(backwards == 0, "monotonic is non-decreasing over 10000 reads");

    /* busy-wait until at least 2 ms have elapsed on the monotonic clock,
       bounded by a realtime deadline so a frozen clock cannot hang us */
    __wasi_timestamp_t r0 = 0, r1 = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &r0);
    int advanced = 0;
    for (;;) {
        (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &cur);
        if (cur - m0 >= 2000000) {
            advanced = 1;
            break;
        }
        (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &r1);
        if (r1 - r0 > 5 * NS_PER_S)
            break;
    }
    CHECK(advanced, "monotonic advances (>= 2 ms observed within 5 s)");

    CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, "clock_gettime(CLOCK_MONOTONIC) succeeds");
    {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        clock_gettime(CLOCK_MONOTONIC, &b);
        CHECK(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec),
              "CLOCK_MONOTONIC via libc is non-decreasing");
    }

    /* resolutions */
    CHECK_WASI(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res), 0, "clock_res_get(realtime) succeeds");
    note("realtime resolution = %llu ns", (unsigned long long)res);
    CHECK(res > 0 && res <= NS_PER_S, "realtime resolution is in (0, 1 s]");
    CHECK_WASI(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res), 0, "clock_res_get(monotonic) succeeds");
    note("monotonic resolution = %llu ns", (unsigned long long)res);
    CHECK(res > 0 && res <= NS_PER_S, "monotonic resolution is in (0, 1 s]");
    CHECK(clock_getres(CLOCK_MONOTONIC, &ts) == 0 && (ts.tv_sec > 0 || ts.tv_nsec > 0),
          "clock_getres(CLOCK_MONOTONIC) is positive");

    /* cputime clocks are optional in preview1 implementations: report only */
    {
        __wasi_errno_t e1 = __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t);
        __wasi_errno_t e2 = __wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 1, &t);
        note("process_cputime_id -> errno %d, thread_cputime_id -> errno %d (informational)", e1, e2);
    }

    return test_done();
}
