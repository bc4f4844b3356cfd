/* Native driver for the compute kernels.
 *
 *   ./<kernel>.native N REPS
 *
 * Calls run(N) once as a warm-up (faults in the kernel's static arrays, like
 * the warm-up call in run-v8.js), then REPS more times, timing each call with
 * CLOCK_MONOTONIC.  All calls must return the same checksum (exit 1 if not).
 * Prints one JSON line:
 *   {"engine":"native","kernel":"sha256","n":N,"reps":R,
 *    "checksum":"<u64 decimal>","median_ms":M,"times_ms":[...]}
 */
#define _POSIX_C_SOURCE 199309L
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t run(int32_t n);

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s N REPS\n", argv[0]);
    return 2;
  }
  char* end;
  long n = strtol(argv[1], &end, 10);
  if (*end || n < 0 || n > INT32_MAX) {
    fprintf(stderr, "bad N: %s\n", argv[1]);
    return 2;
  }
  long reps = strtol(argv[2], &end, 10);
  if (*end || reps < 1 || reps > 100000) {
    fprintf(stderr, "bad REPS: %s\n", argv[2]);
    return 2;
  }
  /* Kernel name = basename of argv[0] without extension. */
  const char* name = strrchr(argv[0], '/');
  name = name ? name + 1 : argv[0];
  size_t name_len = strcspn(name, ".");

  uint64_t expect = run((int32_t)n); /* warm-up */
  double* times = malloc(sizeof(double) * (size_t)reps);
  if (!times) return 1;
  for (long i = 0; i < reps; i++) {
    double t0 = now_ms();
    uint64_t c = run((int32_t)n);
    times[i] = now_ms() - t0;
    if (c != expect) {
      fprintf(stderr, "%.*s: non-deterministic checksum: %" PRIu64 " vs %" PRIu64 "\n",
              (int)name_len, name, c, expect);
      return 1;
    }
  }
  double* sorted = malloc(sizeof(double) * (size_t)reps);
  if (!sorted) return 1;
  memcpy(sorted, times, sizeof(double) * (size_t)reps);
  qsort(sorted, (size_t)reps, sizeof(double), cmp_double);
  double median = (reps & 1) ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2.0;
  printf(
      "{\"engine\":\"native\",\"kernel\":\"%.*s\",\"n\":%ld,\"reps\":%ld,"
      "\"checksum\":\"%" PRIu64 "\",\"median_ms\":%.3f,\"times_ms\":[",
      (int)name_len, name, n, reps, expect, median);
  for (long i = 0; i < reps; i++) printf("%s%.3f", i ? "," : "", times[i]);
  printf("]}\n");
  free(times);
  free(sorted);
  return 0;
}
