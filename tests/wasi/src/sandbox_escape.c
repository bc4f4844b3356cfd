/* sandbox_escape: nothing outside the preopened directory is reachable.
 *
 * The runner builds this host layout and preopens ROOT/sandbox as /sandbox:
 *   ROOT/secret.txt               "TOP-SECRET-..." (must never be read)
 *   ROOT/victim_dir/              empty dir (must never be removed)
 *   ROOT/sandbox/inside.txt       "inside\n"
 *   ROOT/sandbox/sub/file.txt     "sub file\n"
 *   ROOT/sandbox/link_etc         -> /etc            (absolute symlink)
 *   ROOT/sandbox/link_up          -> ..              (to ROOT)
 *   ROOT/sandbox/link_secret      -> ../secret.txt
 *   ROOT/sandbox/link_abs_secret  -> ROOT/secret.txt (absolute host path)
 *   ROOT/sandbox/sub/link_upup    -> ../..           (to ROOT)
 * and afterwards verifies ROOT outside sandbox/ is unchanged.
 *
 * Every escape attempt (.. segments, absolute paths, symlinks pointing out,
 * rename/link/symlink/unlink/mkdir/rmdir/utimes with outside targets) must
 * fail. Accepted "refused" errnos: ENOTCAPABLE, EPERM (WASI filesystem
 * spec: not-permitted, current wasmtime), EACCES, ENOENT (e.g. chroot-like
 * resolution of ".." at the root). The exact errno goes to stderr. If an
 * open succeeds the program reads from it and reports a LEAK.
 * Paths with ".." that stay inside must succeed; a regular file's fd used as
 * a directory fd must give ENOTDIR.
 */
#include "wasi_test.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MARK "TOP-SECRET"

static int pre; /* fd of the /sandbox preopen */

static int refused_errno(int e) {
    return e == ENOTCAPABLE || e == EPERM || e == EACCES || e == ENOENT;
}

static const char *errname(int e) {
    switch (e) {
    case 0: return "success";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    default: return "other";
    }
}

/* Reads an fd that should never have been opened; reports what leaked. */
static void report_leak(int fd, const char *what) {
    char buf[128] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0 && strstr(buf, SECRET_MARK))
        printf("LEAK - %s: the secret file outside the sandbox was readable\n", what);
    else
        printf("LEAK - %s: open succeeded but must be refused\n", what);
}

/* record the result of an operation that must be refused */
static void expect_refused(int rc_failed, int err, const char *what) {
    note("%-55s -> %s (%d)", what, rc_failed ? errname(err) : "success", rc_failed ? err : 0);
    check_impl(rc_failed && refused_errno(err), err, __LINE__, "refused: %s", what);
}

/* raw path_open relative to the preopen that must be refused */
static void raw_open_refused(const char *path, __wasi_lookupflags_t lf, __wasi_oflags_t of, const char *what) {
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    __wasi_errno_t e = __wasi_path_open(pre, lf, path, of, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, 0, &fd);
    if (e == 0) {
        report_leak(fd, what);
        (void)__wasi_fd_close(fd);
    }
    expect_refused(e != 0, e, what);
}

/* libc open() that must be refused */
static void libc_open_refused(const char *path, int flags, const char *what) {
    errno = 0;
    int fd = open(path, flags, 0644);
    int e = errno;
    if (fd >= 0) {
        report_leak(fd, what);
        close(fd);
    }
    expect_refused(fd < 0, e, what);
}

static int raw_read_is(const char *path, __wasi_lookupflags_t lf, const char *want) {
    __wasi_fd_t fd;
    if (__wasi_path_open(pre, lf, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd) != 0)
        return 0;
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    (void)__wasi_fd_close(fd);
    return n == (ssize_t)strlen(want) && memcmp(buf, want, n) == 0;
}

static int raw_exists(const char *path) {
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(pre, 0, path, &st) == 0;
}

static void s_preopens(void) {
    printf("## preopens\n");
    {
        int count = 0;
        for (__wasi_fd_t fd = 3; fd < 64; fd++) {
            __wasi_prestat_t ps;
            __wasi_errno_t r = __wasi_fd_prestat_get(fd, &ps);
            if (r == __WASI_ERRNO_BADF)
                break;
            if (r == 0)
                count++;
        }
        CHECK(count == 1, "exactly one preopen exists");
    }

}

static void s_inside(void) {
    const __wasi_lookupflags_t FOLLOW = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    printf("## inside paths that must work\n");
    CHECK(raw_read_is("inside.txt", FOLLOW, "inside\n"), "path_open inside.txt");
    CHECK(raw_read_is("sub/../inside.txt", FOLLOW, "inside\n"), "path_open sub/../inside.txt");
    CHECK(raw_read_is("./sub/./file.txt", FOLLOW, "sub file\n"), "path_open ./sub/./file.txt");
    CHECK(raw_read_is("sub/../sub/../sub/file.txt", FOLLOW, "sub file\n"), "path_open sub/../sub/../sub/file.txt");
    {
        __wasi_fd_t fd;
        CHECK_WASI(__wasi_path_open(pre, FOLLOW, "sub/..", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &fd), 0,
                   "path_open sub/.. as directory");
        (void)__wasi_fd_close(fd);
        CHECK_WASI(__wasi_path_open(pre, FOLLOW, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &fd), 0,
                   "path_open . as directory");
        (void)__wasi_fd_close(fd);
    }
    {
        int fd = open("/sandbox/sub/../inside.txt", O_RDONLY);
        char buf[16] = {0};
        CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 7 && strcmp(buf, "inside\n") == 0,
              "open(\"/sandbox/sub/../inside.txt\") via libc");
        if (fd >= 0)
            close(fd);
    }
    CHECK(mkdir("/sandbox/sub/../made_inside", 0755) == 0 && rmdir("/sandbox/made_inside") == 0,
          "mkdir/rmdir through sub/.. stays inside");
    {
        char buf[64];
        /* reading the link itself does not escape: Node returns "/etc",
           wasmtime refuses absolute link contents with EPERM; both fine */
        errno = 0;
        ssize_t n = readlink("/sandbox/link_etc", buf, sizeof buf);
        int e = errno;
        note("readlink(link_etc) -> %s", n >= 0 ? "returned contents" : errname(e));
        CHECK((n == 4 && memcmp(buf, "/etc", 4) == 0) || (n < 0 && refused_errno(e)),
              "readlink of an absolute symlink returns \"/etc\" or is refused");
        struct stat st;
        CHECK(lstat("/sandbox/link_secret", &st) == 0 && S_ISLNK(st.st_mode), "lstat of an escaping symlink itself is allowed");
    }

}

static void s_dotdot(void) {
    const __wasi_lookupflags_t FOLLOW = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    printf("## .. and absolute paths\n");
    raw_open_refused("..", FOLLOW, __WASI_OFLAGS_DIRECTORY, "path_open ..");
    raw_open_refused("../secret.txt", FOLLOW, 0, "path_open ../secret.txt");
    raw_open_refused("../secret.txt", 0, 0, "path_open ../secret.txt (no follow)");
    raw_open_refused("sub/../../secret.txt", FOLLOW, 0, "path_open sub/../../secret.txt");
    raw_open_refused("/etc/passwd", FOLLOW, 0, "path_open /etc/passwd (absolute)");
    raw_open_refused("/", FOLLOW, __WASI_OFLAGS_DIRECTORY, "path_open / (absolute)");
    libc_open_refused("/sandbox/../secret.txt", O_RDONLY, "open(\"/sandbox/../secret.txt\")");
    libc_open_refused("/sandbox/../../../../etc/passwd", O_RDONLY, "open(\"/sandbox/../../../../etc/passwd\")");
    libc_open_refused("/etc/passwd", O_RDONLY, "open(\"/etc/passwd\") (no preopen covers it)");
    libc_open_refused("../secret.txt", O_RDONLY, "open(\"../secret.txt\") from cwd /");
    CHECK(chdir("/sandbox/sub") == 0, "chdir(\"/sandbox/sub\")");
    libc_open_refused("../../secret.txt", O_RDONLY, "open(\"../../secret.txt\") from cwd /sandbox/sub");
    CHECK(chdir("/sandbox") == 0, "chdir(\"/sandbox\")");
    {
        __wasi_filestat_t st;
        __wasi_errno_t e = __wasi_path_filestat_get(pre, FOLLOW, "../secret.txt", &st);
        expect_refused(e != 0, e, "path_filestat_get ../secret.txt");
        char buf[32];
        __wasi_size_t used;
        e = __wasi_path_readlink(pre, "../secret.txt", (uint8_t *)buf, sizeof buf, &used);
        expect_refused(e != 0, e, "path_readlink ../secret.txt");
    }

}

static void s_final_symlinks(void) {
    const __wasi_lookupflags_t FOLLOW = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    printf("## symlinks pointing outside (final path component)\n");
    raw_open_refused("link_etc", FOLLOW, __WASI_OFLAGS_DIRECTORY, "path_open link_etc as directory (-> /etc)");
    raw_open_refused("link_up", FOLLOW, __WASI_OFLAGS_DIRECTORY, "path_open link_up as directory (-> ..)");
    raw_open_refused("link_secret", FOLLOW, 0, "path_open link_secret (-> ../secret.txt)");
    raw_open_refused("link_abs_secret", FOLLOW, 0, "path_open link_abs_secret (-> absolute host path)");
    libc_open_refused("/sandbox/link_secret", O_RDONLY, "open(\"/sandbox/link_secret\")");
    {
        __wasi_filestat_t st;
        __wasi_errno_t e = __wasi_path_filestat_get(pre, FOLLOW, "link_secret", &st);
        expect_refused(e != 0, e, "path_filestat_get link_secret (follow)");
    }
    /* symlinks created by the guest itself: creation may be refused
       (wasmtime refuses absolute targets), but if it succeeds, following
       them must be refused */
    {
        errno = 0;
        int made = symlink("/etc", "/sandbox/g_abs") == 0;
        note("guest symlink(\"/etc\") -> %s", made ? "created" : errname(errno));
        libc_open_refused("/sandbox/g_abs", O_RDONLY | O_DIRECTORY, "open guest-made symlink -> /etc");
        errno = 0;
        made = symlink("../secret.txt", "/sandbox/g_rel") == 0;
        note("guest symlink(\"../secret.txt\") -> %s", made ? "created" : errname(errno));
        libc_open_refused("/sandbox/g_rel", O_RDONLY, "open guest-made symlink -> ../secret.txt");
        unlink("/sandbox/g_abs");
        unlink("/sandbox/g_rel");
    }
}

static void s_mutations(void) {
    const __wasi_lookupflags_t FOLLOW = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    printf("## mutations with .. targets\n");
    {
        __wasi_errno_t e;
        errno = 0;
        int r = rename("/sandbox/inside.txt", "/sandbox/../escaped.txt");
        expect_refused(r != 0, errno, "rename(inside.txt, \"/sandbox/../escaped.txt\")");
        e = __wasi_path_rename(pre, "inside.txt", pre, "../escaped.txt");
        expect_refused(e != 0, e, "path_rename inside.txt -> ../escaped.txt");
        e = __wasi_path_rename(pre, "../secret.txt", pre, "stolen.txt");
        expect_refused(e != 0, e, "path_rename ../secret.txt -> stolen.txt");
        e = __wasi_path_link(pre, 0, "inside.txt", pre, "../escaped_link.txt");
        expect_refused(e != 0, e, "path_link inside.txt -> ../escaped_link.txt");
        e = __wasi_path_link(pre, 0, "../secret.txt", pre, "stolen_link.txt");
        expect_refused(e != 0, e, "path_link ../secret.txt -> stolen_link.txt");
        /* wasmtime does not support SYMLINK_FOLLOW for path_link (EINVAL);
           any failure is fine as long as the link is not made */
        e = __wasi_path_link(pre, FOLLOW, "link_secret", pre, "stolen_link2.txt");
        note("%-55s -> %s (%d)", "path_link (follow) link_secret -> stolen_link2.txt", errname(e), e);
        CHECK(e != 0, "refused: path_link (follow) link_secret -> stolen_link2.txt");
        e = __wasi_path_symlink("inside.txt", pre, "../escaped_sym");
        expect_refused(e != 0, e, "path_symlink at ../escaped_sym");
        e = __wasi_path_unlink_file(pre, "../secret.txt");
        expect_refused(e != 0, e, "path_unlink_file ../secret.txt");
        e = __wasi_path_create_directory(pre, "../escaped_dir");
        expect_refused(e != 0, e, "path_create_directory ../escaped_dir");
        e = __wasi_path_remove_directory(pre, "../victim_dir");
        expect_refused(e != 0, e, "path_remove_directory ../victim_dir");
        e = __wasi_path_filestat_set_times(pre, FOLLOW, "../secret.txt", 0, 0,
                                           __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
        expect_refused(e != 0, e, "path_filestat_set_times ../secret.txt");
        e = __wasi_path_filestat_set_times(pre, FOLLOW, "link_secret", 0, 0,
                                           __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
        expect_refused(e != 0, e, "path_filestat_set_times link_secret (follow)");
        raw_open_refused("../escaped_new.txt", FOLLOW, __WASI_OFLAGS_CREAT, "path_open O_CREAT ../escaped_new.txt");
        raw_open_refused("link_secret", FOLLOW, __WASI_OFLAGS_TRUNC, "path_open O_TRUNC link_secret");
        CHECK(raw_exists("inside.txt"), "inside.txt is still in place");
        CHECK(!raw_exists("stolen.txt") && !raw_exists("stolen_link.txt") && !raw_exists("stolen_link2.txt"),
              "nothing from outside was pulled into the sandbox");
    }

}

static void s_dirfd(void) {
    printf("## wrong kinds of directory fd\n");
    {
        __wasi_fd_t fd = (__wasi_fd_t)-1, out;
        CHECK_WASI(__wasi_path_open(pre, 0, "inside.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), 0, "open inside.txt");
        /* a file fd is not a directory: current wasmtime says ENOTDIR; under
           the preview1 rights model ENOTCAPABLE (fd lacks PATH_OPEN) is also
           correct (Node). It must never succeed. */
        __wasi_errno_t e1 = __wasi_path_open(fd, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out);
        note("path_open(file fd, \"x\") -> %s (%d)", errname(e1), e1);
        CHECK(e1 == __WASI_ERRNO_NOTDIR || e1 == __WASI_ERRNO_NOTCAPABLE,
              "path_open with a regular file's fd as dirfd -> ENOTDIR or ENOTCAPABLE");
        e1 = __wasi_path_open(fd, 0, "../secret.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out);
        if (e1 == 0)
            report_leak(out, "path_open(file fd, \"../secret.txt\")");
        CHECK(e1 == __WASI_ERRNO_NOTDIR || e1 == __WASI_ERRNO_NOTCAPABLE,
              "path_open(file fd, \"../secret.txt\") -> ENOTDIR or ENOTCAPABLE");
        errno = 0;
        int r = openat((int)fd, "x", O_RDONLY);
        int e2 = errno;
        CHECK(r == -1 && (e2 == ENOTDIR || e2 == ENOTCAPABLE), "openat(file fd, \"x\") -> ENOTDIR or ENOTCAPABLE");
        (void)__wasi_fd_close(fd);
        __wasi_errno_t e = __wasi_path_open(1, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out);
        note("path_open with stdout as dirfd -> %s (%d)", errname(e), e);
        CHECK(e == __WASI_ERRNO_BADF || e == __WASI_ERRNO_NOTDIR || e == __WASI_ERRNO_NOTCAPABLE,
              "path_open with stdout as dirfd fails (EBADF, ENOTDIR or ENOTCAPABLE)");
        CHECK_WASI(__wasi_path_open(1000, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out), __WASI_ERRNO_BADF,
                   "path_open with unopened dirfd -> EBADF");
    }

}

static void s_symlink_dirs(void) {
    const __wasi_lookupflags_t FOLLOW = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    printf("## symlinks pointing outside (intermediate path component)\n");
    raw_open_refused("link_etc/passwd", FOLLOW, 0, "path_open link_etc/passwd (-> /etc)");
    raw_open_refused("link_up/secret.txt", FOLLOW, 0, "path_open link_up/secret.txt (-> ..)");
    raw_open_refused("link_up/secret.txt", 0, 0, "path_open link_up/secret.txt (no follow of last)");
    raw_open_refused("sub/link_upup/secret.txt", FOLLOW, 0, "path_open sub/link_upup/secret.txt (-> ../..)");
    libc_open_refused("/sandbox/link_up/secret.txt", O_RDONLY, "open(\"/sandbox/link_up/secret.txt\")");
    libc_open_refused("/sandbox/link_etc/passwd", O_RDONLY, "open(\"/sandbox/link_etc/passwd\")");
    {
        __wasi_filestat_t st;
        __wasi_errno_t e = __wasi_path_filestat_get(pre, FOLLOW, "link_up/secret.txt", &st);
        expect_refused(e != 0, e, "path_filestat_get link_up/secret.txt");
        e = __wasi_path_filestat_get(pre, 0, "link_etc/passwd", &st);
        expect_refused(e != 0, e, "path_filestat_get link_etc/passwd");
    }
    {
        errno = 0;
        int made = symlink("../../..", "/sandbox/sub/g_up") == 0;
        note("guest symlink(\"../../..\") -> %s", made ? "created" : errname(errno));
        libc_open_refused("/sandbox/sub/g_up/secret.txt", O_RDONLY, "open through guest-made symlink -> ../../..");
        unlink("/sandbox/sub/g_up");
    }
    printf("## mutations through symlinked directories\n");
    {
        __wasi_errno_t e;
        e = __wasi_path_rename(pre, "inside.txt", pre, "link_up/escaped2.txt");
        expect_refused(e != 0, e, "path_rename inside.txt -> link_up/escaped2.txt");
        e = __wasi_path_rename(pre, "link_up/secret.txt", pre, "stolen3.txt");
        expect_refused(e != 0, e, "path_rename link_up/secret.txt -> stolen3.txt");
        e = __wasi_path_link(pre, 0, "link_up/secret.txt", pre, "stolen_link3.txt");
        expect_refused(e != 0, e, "path_link link_up/secret.txt -> stolen_link3.txt");
        e = __wasi_path_symlink("inside.txt", pre, "link_up/escaped_sym2");
        expect_refused(e != 0, e, "path_symlink at link_up/escaped_sym2");
        e = __wasi_path_unlink_file(pre, "link_up/secret.txt");
        expect_refused(e != 0, e, "path_unlink_file link_up/secret.txt");
        e = __wasi_path_create_directory(pre, "link_up/escaped_dir2");
        expect_refused(e != 0, e, "path_create_directory link_up/escaped_dir2");
        e = __wasi_path_remove_directory(pre, "link_up/victim_dir");
        expect_refused(e != 0, e, "path_remove_directory link_up/victim_dir");
        e = __wasi_path_filestat_set_times(pre, 0, "link_up/secret.txt", 0, 0,
                                           __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
        expect_refused(e != 0, e, "path_filestat_set_times link_up/secret.txt");
        raw_open_refused("link_up/escaped_new2.txt", FOLLOW, __WASI_OFLAGS_CREAT,
                         "path_open O_CREAT link_up/escaped_new2.txt");
        CHECK(raw_exists("inside.txt"), "inside.txt is still in place");
        CHECK(!raw_exists("stolen3.txt") && !raw_exists("stolen_link3.txt"),
              "nothing from outside was pulled into the sandbox");
    }
}

static void s_out_and_back(void) {
    const __wasi_lookupflags_t FOLLOW = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    printf("## out of the sandbox and back in\n");
    /* WASI path resolution fails as soon as any step leaves the base
       directory, even if later steps come back (wasmtime: EPERM) */
    raw_open_refused("../sandbox/inside.txt", FOLLOW, 0, "path_open ../sandbox/inside.txt");
    raw_open_refused("sub/../../sandbox/sub/file.txt", FOLLOW, 0, "path_open sub/../../sandbox/sub/file.txt");
    libc_open_refused("/sandbox/../sandbox/inside.txt", O_RDONLY, "open(\"/sandbox/../sandbox/inside.txt\")");
}

struct section_def {
    const char *name;
    void (*fn)(void);
};

static const struct section_def sections[] = {
    {"preopens", s_preopens},
    {"inside", s_inside},
    {"dotdot", s_dotdot},
    {"final_symlinks", s_final_symlinks},
    {"mutations", s_mutations},
    {"dirfd", s_dirfd},
    {"symlink_dirs", s_symlink_dirs},
    {"out_and_back", s_out_and_back},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

/* usage: sandbox_escape [SECTION...]   (no argument: all sections) */
int main(int argc, char **argv) {
    pre = find_preopen("/sandbox");
    CHECK(pre >= 3, "preopen /sandbox found");
    if (pre < 0)
        return test_done();
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
