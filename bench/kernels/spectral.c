/* spectral: spectral norm of the infinite matrix A(i,j) = 1/((i+j)(i+j+1)/2+i+1)
 * truncated to 400x400 (Computer Language Benchmarks Game algorithm).
 * Stresses f64 division, int->f64 conversion and small call-heavy loops
 * (the matrix element is computed on the fly, never stored).
 * run(n): n power-iteration steps (each = 2 products with A^T A); checksum =
 * bit patterns of the final norm estimate sqrt(vBv/vv) and of u samples. */
#include "kernel.h"

#define N 400

static double u[N], v[N], tmp[N];

static inline double eval_A(int32_t i, int32_t j) {
  return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1);
}

NOINLINE static void mul_Av(const double* x, double* y) {
  for (int32_t i = 0; i < N; i++) {
    double s = 0.0;
    for (int32_t j = 0; j < N; j++) s += eval_A(i, j) * x[j];
    y[i] = s;
  }
}

NOINLINE static void mul_Atv(const double* x, double* y) {
  for (int32_t i = 0; i < N; i++) {
    double s = 0.0;
    for (int32_t j = 0; j < N; j++) s += eval_A(j, i) * x[j];
    y[i] = s;
  }
}

static void mul_AtAv(const double* x, double* y) {
  mul_Av(x, tmp);
  mul_Atv(tmp, y);
}

uint64_t run(int32_t n) {
  for (int i = 0; i < N; i++) u[i] = 1.0;
  uint64_t sum = 0;
  double est = 0.0;
  for (int32_t it = 0; it < n; it++) {
    mul_AtAv(u, v);
    mul_AtAv(v, u);
    double vBv = 0.0, vv = 0.0, m = 0.0;
    for (int i = 0; i < N; i++) {
      vBv += u[i] * v[i];
      vv += v[i] * v[i];
      m = u[i] > m ? u[i] : m;
    }
    est = KERNEL_SQRT(vBv / vv);
    /* Renormalise so values stay in range however large n is. */
    for (int i = 0; i < N; i++) u[i] = u[i] / m;
    sum = mix64(sum, f64_bits(u[it % N]));
  }
  return mix64(sum, f64_bits(est));
}
