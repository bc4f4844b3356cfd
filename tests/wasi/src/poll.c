/* poll: poll_oneoff, sleeping, sched_yield.
 *
 * Clock subscriptions: relative monotonic/realtime timeouts sleep at least
 * the requested time; absolute (ABSTIME) deadlines in the future and in the
 * past; of two timers the earlier fires first; nanosleep/clock_nanosleep/
 * usleep sleep at least the requested time. Zero subscriptions -> EINVAL.
 * Fd subscriptions: stdout FD_WRITE, stdin FD_READ (the runner feeds
 * "poll stdin data\n" through a pipe) and a regular file FD_READ/FD_WRITE
 * are reported ready well before a 5 s timeout. libc poll() on stdout
 * reports POLLOUT.
 * Sections (argv; none = all): clock sleep fd sleep_strict fd_file abstime.
 * Only facts (>= requested, < generous bound) are printed, never times.
 */
#include "wasi_test.h"
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000ull
/* relative sleeps in the core sections may end up to 1 ms early: libuv
   (Node) runs millisecond timers against a cached loop time. The
   sleep_strict section checks for no early wakeup at all. */
#define SLACK (1 * MS)

static __wasi_timestamp_t mono(void) {
    __wasi_timestamp_t t = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
    return t;
}

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_clockid_t id, __wasi_timestamp_t timeout,
                                       __wasi_subclockflags_t flags) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.precision = 0;
    s.u.u.clock.flags = flags;
    return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t type, __wasi_fd_t fd) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = type;
    if (type == __WASI_EVENTTYPE_FD_READ)
        s.u.u.fd_read.file_descriptor = fd;
    else
        s.u.u.fd_write.file_descriptor = fd;
    return s;
}

static const __wasi_event_t *find_event(const __wasi_event_t *ev, __wasi_size_t n, __wasi_userdata_t ud) {
    for (__wasi_size_t i = 0; i < n; i++)
        if (ev[i].userdata == ud)
            return &ev[i];
    return NULL;
}

/* poll for an fd event with a 5 s safety timeout; checks it arrives quickly */
static void expect_fd_ready(__wasi_eventtype_t type, __wasi_fd_t fd, const char *what) {
    __wasi_subscription_t subs[2] = {fd_sub(0xF0, type, fd),
                                     clock_sub(0xC0, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0)};
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    __wasi_timestamp_t t0 = mono();
    __wasi_errno_t e = __wasi_poll_oneoff(subs, ev, 2, &n);
    __wasi_timestamp_t dt = mono() - t0;
    note("%s: errno %d, %u events, %llu ms", what, e, (unsigned)n, (unsigned long long)(dt / MS));
    CHECK(e == 0 && n >= 1, "%s: poll_oneoff returns events", what);
    const __wasi_event_t *fe = find_event(ev, n, 0xF0);
    CHECK(fe && fe->type == type && fe->error == 0, "%s: fd event reported with error 0", what);
    CHECK(find_event(ev, n, 0xC0) == NULL && dt < 4000 * MS, "%s: ready before the 5 s timeout", what);
}

static void s_clock(void) {
    __wasi_event_t ev[4];
    __wasi_size_t n = 0;
    __wasi_timestamp_t t0, dt;
    printf("## clock subscriptions\n");
    {
        __wasi_subscription_t s = clock_sub(42, __WASI_CLOCKID_MONOTONIC, 10 * MS, 0);
        t0 = mono();
        CHECK_WASI(__wasi_poll_oneoff(&s, ev, 1, &n), 0, "poll_oneoff(monotonic, relative 10 ms)");
        dt = mono() - t0;
        CHECK(n == 1, "one event");
        CHECK(ev[0].userdata == 42 && ev[0].type == __WASI_EVENTTYPE_CLOCK && ev[0].error == 0,
              "event has userdata 42, type CLOCK, error 0");
        CHECK(dt >= 10 * MS - SLACK, "slept >= 10 ms (1 ms slack)");
        CHECK(dt < 2000 * MS, "slept < 2 s");
    }
    {
        __wasi_subscription_t s = clock_sub(7, __WASI_CLOCKID_REALTIME, 10 * MS, 0);
        t0 = mono();
        CHECK_WASI(__wasi_poll_oneoff(&s, ev, 1, &n), 0, "poll_oneoff(realtime, relative 10 ms)");
        dt = mono() - t0;
        CHECK(n == 1 && ev[0].userdata == 7 && ev[0].type == __WASI_EVENTTYPE_CLOCK, "one CLOCK event, userdata 7");
        CHECK(dt >= 10 * MS - SLACK, "slept >= 10 ms (1 ms slack)");
    }
    {
        __wasi_timestamp_t now_rt = 0;
        (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now_rt);
        __wasi_subscription_t s =
            clock_sub(8, __WASI_CLOCKID_REALTIME, now_rt + 15 * MS, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
        t0 = mono();
        CHECK_WASI(__wasi_poll_oneoff(&s, ev, 1, &n), 0, "poll_oneoff(realtime, absolute now+15 ms)");
        dt = mono() - t0;
        CHECK(n == 1 && ev[0].userdata == 8, "one event, userdata 8");
        CHECK(dt >= 10 * MS && dt < 2000 * MS, "slept about 15 ms (>= 10 ms, < 2 s)");
    }
    {
        __wasi_subscription_t s = clock_sub(13, __WASI_CLOCKID_MONOTONIC, 0, 0);
        CHECK_WASI(__wasi_poll_oneoff(&s, ev, 1, &n), 0, "poll_oneoff(relative 0 ns)");
        CHECK(n == 1 && ev[0].userdata == 13, "zero timeout fires");
    }
    {
        __wasi_subscription_t s[2] = {clock_sub(1, __WASI_CLOCKID_MONOTONIC, 3000 * MS, 0),
                                      clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10 * MS, 0)};
        t0 = mono();
        CHECK_WASI(__wasi_poll_oneoff(s, ev, 2, &n), 0, "poll_oneoff(two timers: 3 s and 10 ms)");
        dt = mono() - t0;
        CHECK(n == 1 && ev[0].userdata == 2, "only the 10 ms timer fired");
        CHECK(dt >= 10 * MS - SLACK && dt < 2500 * MS, "returned after >= 10 ms (1 ms slack) and well before 3 s");
    }
    {
        __wasi_subscription_t s = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 0, 0);
        CHECK_WASI(__wasi_poll_oneoff(&s, ev, 0, &n), __WASI_ERRNO_INVAL, "poll_oneoff with 0 subscriptions -> EINVAL");
    }
}

static void s_sleep(void) {
    __wasi_timestamp_t t0;
    printf("## sleeping through libc\n");
    {
        struct timespec req = {0, 10 * 1000 * 1000};
        t0 = mono();
        CHECK(nanosleep(&req, NULL) == 0, "nanosleep(10 ms)");
        CHECK(mono() - t0 >= 10 * MS - SLACK, "nanosleep slept >= 10 ms (1 ms slack)");
        t0 = mono();
        CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0, "clock_nanosleep(MONOTONIC, 10 ms)");
        CHECK(mono() - t0 >= 10 * MS - SLACK, "clock_nanosleep slept >= 10 ms (1 ms slack)");
        t0 = mono();
        CHECK(usleep(10000) == 0, "usleep(10000)");
        CHECK(mono() - t0 >= 10 * MS - SLACK, "usleep slept >= 10 ms (1 ms slack)");
        CHECK(sched_yield() == 0, "sched_yield");
    }

}

static void s_sleep_strict(void) {
    printf("## relative sleeps never end early\n");
    int early_poll = 0, early_nano = 0;
    for (int i = 0; i < 20; i++) {
        __wasi_subscription_t s = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5 * MS, 0);
        __wasi_event_t ev;
        __wasi_size_t n;
        __wasi_timestamp_t t0 = mono();
        if (__wasi_poll_oneoff(&s, &ev, 1, &n) != 0 || mono() - t0 < 5 * MS)
            early_poll++;
        struct timespec req = {0, 5 * 1000 * 1000};
        t0 = mono();
        if (nanosleep(&req, NULL) != 0 || mono() - t0 < 5 * MS)
            early_nano++;
    }
    note("early wakeups: poll_oneoff %d/20, nanosleep %d/20", early_poll, early_nano);
    CHECK(early_poll == 0, "20 x poll_oneoff(5 ms): monotonic elapsed always >= 5 ms");
    CHECK(early_nano == 0, "20 x nanosleep(5 ms): monotonic elapsed always >= 5 ms");
}

static void s_fd_file(void) {
    printf("## fd subscriptions on a regular file\n");
    /* regular files are always ready for reading and writing */
    {
        int fd = open("/sandbox/poll.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
        CHECK(fd >= 0 && write(fd, "data", 4) == 4 && lseek(fd, 0, SEEK_SET) == 0, "create /sandbox/poll.txt");
        expect_fd_ready(__WASI_EVENTTYPE_FD_READ, fd, "regular file FD_READ");
        expect_fd_ready(__WASI_EVENTTYPE_FD_WRITE, fd, "regular file FD_WRITE");
        close(fd);
        unlink("/sandbox/poll.txt");
    }
}

static void s_abstime(void) {
    __wasi_event_t ev[4];
    __wasi_size_t n = 0;
    __wasi_timestamp_t t0;
    printf("## absolute monotonic deadlines\n");
    {
        t0 = mono();
        __wasi_subscription_t s =
            clock_sub(9, __WASI_CLOCKID_MONOTONIC, t0 + 15 * MS, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
        CHECK_WASI(__wasi_poll_oneoff(&s, ev, 1, &n), 0, "poll_oneoff(monotonic, absolute now+15 ms)");
        __wasi_timestamp_t t1 = mono();
        CHECK(n == 1 && ev[0].userdata == 9, "one event, userdata 9");
        CHECK(t1 >= t0 + 15 * MS, "woke at or after the absolute deadline");
    }
    {
        t0 = mono();
        __wasi_subscription_t s =
            clock_sub(11, __WASI_CLOCKID_MONOTONIC, t0 > 1000 * MS ? t0 - 1000 * MS : 0, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
        CHECK_WASI(__wasi_poll_oneoff(&s, ev, 1, &n), 0, "poll_oneoff(absolute deadline in the past)");
        CHECK(n == 1 && ev[0].userdata == 11, "fires immediately with userdata 11");
        CHECK(mono() - t0 < 1000 * MS, "returned in < 1 s");
    }
    {
        struct timespec now, until;
        clock_gettime(CLOCK_MONOTONIC, &now);
        until = now;
        until.tv_nsec += 10 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_nsec -= 1000000000;
            until.tv_sec++;
        }
        CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0,
              "clock_nanosleep(MONOTONIC, TIMER_ABSTIME now+10 ms)");
        clock_gettime(CLOCK_MONOTONIC, &now);
        CHECK(now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec),
              "woke at or after the absolute time");
    }
}

static void s_fd(void) {
    printf("## fd subscriptions\n");
    expect_fd_ready(__WASI_EVENTTYPE_FD_WRITE, 1, "stdout FD_WRITE");
    expect_fd_ready(__WASI_EVENTTYPE_FD_READ, 0, "stdin FD_READ (data available)");
    {
        struct pollfd p = {1, POLLOUT, 0};
        CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT), "poll() on stdout reports POLLOUT");
    }

    printf("## stdin still readable after polling\n");
    {
        char buf[256];
        size_t len = 0;
        ssize_t r;
        while (len < sizeof buf - 1 && (r = read(0, buf + len, sizeof buf - 1 - len)) > 0)
            len += r;
        buf[len] = 0;
        CHECK(strcmp(buf, "poll stdin data\n") == 0, "stdin reads \"poll stdin data\\n\"");
    }

}

struct section_def {
    const char *name;
    void (*fn)(void);
};

static const struct section_def sections[] = {
    {"clock", s_clock},
    {"sleep", s_sleep},
    {"fd", s_fd},
    {"sleep_strict", s_sleep_strict},
    {"fd_file", s_fd_file},
    {"abstime", s_abstime},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

/* usage: poll [SECTION...]   (no argument: all sections) */
int main(int argc, char **argv) {
    if (argc < 2) {
        for (size_t i = 0; i < NSECTIONS; i++)
            sections[i].fn();
    } else {
        for (int a = 1; a < argc; a++) {
            size_t i;
            for (i = 0; i < NSECTIONS; i++)
                if (strcmp(argv[a], sections[i].name) == 0)
                    break;
            if (i == NSECTIONS) {
                printf("unknown section %s\n", argv[a]);
                return 2;
            }
            sections[i].fn();
        }
    }
    return test_done();
}
