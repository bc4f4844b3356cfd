/* matmul: dense double-precision matrix multiply C = A * B, 128x128.
 * Stresses f64 loads/stores/mul/add in a triple loop nest (i-k-j order, the
 * usual cache-friendly form) with 2-D index arithmetic.
 * run(n): n multiplications; after each one a row of B is perturbed using
 * a value from C so consecutive products differ.  Checksum: bit patterns of
 * sampled C entries plus the full sum of the final C.
 * Note: gcc -O2 may auto-vectorise the inner j-loop with SSE2; the wasm
 * build is scalar (no SIMD). */
#include "kernel.h"

#define N 128

static double A[N][N], B[N][N], C[N][N];

NOINLINE static void matmul(double (*restrict c)[N], double (*restrict a)[N],
                            double (*restrict b)[N]) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) c[i][j] = 0.0;
    for (int k = 0; k < N; k++) {
      double aik = a[i][k];
      for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
    }
  }
}

uint64_t run(int32_t n) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      A[i][j] = (double)((i * 7 + j * 3) % 17 - 8) * 0.125;
      B[i][j] = (double)((i * 5 + j * 11) % 13 - 6) * 0.25 + (i == j ? 1.0 : 0.0);
    }
  uint64_t sum = 0;
  for (int32_t r = 0; r < n; r++) {
    matmul(C, A, B);
    int row = (r * 37) % N, col = (r * 59) % N;
    double probe = C[row][col];
    sum = mix64(sum, f64_bits(probe));
    /* Perturb one row of B by a bounded amount derived from C. */
    double scale = 1.0 / (1.0 + (probe < 0 ? -probe : probe));
    for (int j = 0; j < N; j++) B[r % N][j] += C[col][j] * scale * 0.001;
  }
  double total = 0.0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) total += C[i][j];
  return mix64(sum, f64_bits(total));
}
