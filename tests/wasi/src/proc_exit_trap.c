/* proc_exit_trap: a wasm trap ends the program with a "trap" status.
 *
 *   proc_exit_trap unreachable   -> __builtin_trap() (the `unreachable` op)
 *   proc_exit_trap oob           -> load far outside linear memory
 *   proc_exit_trap divzero       -> integer division by zero
 *
 * Prints one line (flushed) before trapping; the runner expects that line
 * on stdout and a non-zero exit status that is not a normal exit code
 * (wasmtime and the Node launcher both use 134 = 128 + SIGABRT). Nothing
 * after the trap may run.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "unreachable";
    printf("proc_exit_trap: about to trap (%s)\n", mode);
    fflush(stdout);
    if (strcmp(mode, "oob") == 0) {
        volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)0xFFFFFFF0u;
        printf("read %u\n", (unsigned)*p);
    } else if (strcmp(mode, "divzero") == 0) {
        volatile int num = 12345, zero = 0;
        printf("quotient %d\n", num / zero);
    } else {
        __builtin_trap();
    }
    printf("proc_exit_trap: FAIL - still running after trap\n");
    return 0;
}
