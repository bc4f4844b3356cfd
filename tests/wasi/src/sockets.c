/* sockets: sock_* calls on descriptors that are not sockets.
 *
 * No sockets are handed to the program, so every sock_accept/sock_recv/
 * sock_send/sock_shutdown call must return an error instead of trapping or
 * crashing: for open non-socket descriptors (stdout, a regular file, the
 * preopened directory) ENOTSOCK (wasmtime), ENOTCAPABLE (the descriptor
 * lacks socket rights, Node) or ENOTSUP/ENOSYS (no socket support at all)
 * are accepted, the exact value goes to stderr; for an unopened descriptor
 * EBADF is required.
 * Sections (argv; none = all): stdout file badf.
 */
#include "wasi_test.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

static int not_socket(__wasi_errno_t e) {
    return e == __WASI_ERRNO_NOTSOCK || e == __WASI_ERRNO_NOTCAPABLE || e == __WASI_ERRNO_NOTSUP ||
           e == __WASI_ERRNO_NOSYS;
}

static void probe(__wasi_fd_t fd, const char *name) {
    uint8_t buf[8] = "abcdefg";
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_ciovec_t ciov = {buf, sizeof buf};
    __wasi_size_t n = 0;
    __wasi_roflags_t ro = 0;
    __wasi_fd_t out = 0;
    __wasi_errno_t e;

    e = __wasi_sock_recv(fd, &iov, 1, 0, &n, &ro);
    note("sock_recv(%s) -> %d", name, e);
    CHECK(not_socket(e), "sock_recv on %s is refused", name);
    e = __wasi_sock_send(fd, &ciov, 1, 0, &n);
    note("sock_send(%s) -> %d", name, e);
    CHECK(not_socket(e), "sock_send on %s is refused", name);
    e = __wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR);
    note("sock_shutdown(%s) -> %d", name, e);
    CHECK(not_socket(e), "sock_shutdown on %s is refused", name);
    e = __wasi_sock_accept(fd, 0, &out);
    note("sock_accept(%s) -> %d", name, e);
    CHECK(not_socket(e), "sock_accept on %s is refused", name);
}

static void s_stdout(void) {
    printf("## stdout\n");
    probe(1, "stdout");
}

static void s_file(void) {
    printf("## regular file and directory\n");
    int file = open("/sandbox/notasocket.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(file >= 0, "create /sandbox/notasocket.txt");
    int dir = find_preopen("/sandbox");
    CHECK(dir >= 3, "preopen /sandbox found");
    probe((__wasi_fd_t)file, "a regular file");
    probe((__wasi_fd_t)dir, "the preopened directory");
    {
        char buf[4];
        errno = 0;
        CHECK(recv(file, buf, sizeof buf, 0) == -1 && not_socket(errno), "recv() on a regular file fails");
        errno = 0;
        CHECK(send(file, "x", 1, 0) == -1 && not_socket(errno), "send() on a regular file fails");
        errno = 0;
        CHECK(shutdown(file, SHUT_RDWR) == -1 && not_socket(errno), "shutdown() on a regular file fails");
    }
    /* the descriptor still works normally afterwards */
    CHECK(write(file, "still a file", 12) == 12, "the regular file is still writable");
    close(file);
    CHECK(unlink("/sandbox/notasocket.txt") == 0, "unlink notasocket.txt");
}

static void s_badf(void) {
    printf("## unopened descriptor\n");
    uint8_t buf[4];
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_ciovec_t ciov = {buf, sizeof buf};
    __wasi_size_t n;
    __wasi_roflags_t ro;
    __wasi_fd_t out;
    CHECK_WASI(__wasi_sock_recv(1000, &iov, 1, 0, &n, &ro), __WASI_ERRNO_BADF, "sock_recv on unopened fd -> EBADF");
    CHECK_WASI(__wasi_sock_send(1000, &ciov, 1, 0, &n), __WASI_ERRNO_BADF, "sock_send on unopened fd -> EBADF");
    CHECK_WASI(__wasi_sock_shutdown(1000, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF, "sock_shutdown on unopened fd -> EBADF");
    CHECK_WASI(__wasi_sock_accept(1000, 0, &out), __WASI_ERRNO_BADF, "sock_accept on unopened fd -> EBADF");
}

int main(int argc, char **argv) {
    int all = argc < 2;
    for (int a = 1; a <= (all ? 3 : argc - 1); a++) {
        const char *name = all ? (a == 1 ? "stdout" : a == 2 ? "file" : "badf") : argv[a];
        if (strcmp(name, "stdout") == 0)
            s_stdout();
        else if (strcmp(name, "file") == 0)
            s_file();
        else if (strcmp(name, "badf") == 0)
            s_badf();
        else {
            printf("unknown section %s\n", name);
            return 2;
        }
    }
    return test_done();
}
