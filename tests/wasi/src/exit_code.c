/* exit_code: process exit status.
 *
 *   exit_code CODE [exit|return|raw]
 *
 * Prints one line, then terminates with CODE via
 *   exit   - libc exit(CODE) (flushes stdio, then proc_exit)   [default]
 *   return - returning CODE from main
 *   raw    - fflush, then __wasi_proc_exit(CODE) directly
 * and checks that nothing after the exit call runs. The runner checks the
 * process exit status equals CODE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("usage: exit_code CODE [exit|return|raw]\n");
        return 2;
    }
    int code = atoi(argv[1]);
    const char *mode = argc > 2 ? argv[2] : "exit";
    /* deliberately no fflush for "exit"/"return": libc must flush at exit */
    printf("exit_code: exiting with %d via %s\n", code, mode);
    if (strcmp(mode, "return") == 0)
        return code;
    if (strcmp(mode, "raw") == 0) {
        fflush(stdout);
        __wasi_proc_exit((__wasi_exitcode_t)code);
    } else {
        exit(code);
    }
    printf("exit_code: FAIL - still running after exit\n");
    return 99;
}
