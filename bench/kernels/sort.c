/* sort: a libc-style generic qsort (void *base, element size, comparator
 * function pointer) sorting 16-byte records.  Every comparison is an
 * indirect call (call_indirect in wasm); element moves are size-generic
 * word loops, as in a real qsort.
 * run(n): n rounds; each round regenerates 40000 records from a per-round
 * seed and sorts them with one of four comparators picked through a
 * function-pointer table.  Checksum: mix of record ids in sorted order. */
#include "kernel.h"

#define NREC 40000

typedef struct {
  uint32_t key; /* random, many duplicates */
  uint32_t id;  /* unique */
  double val;   /* random, exact small dyadic values */
} rec_t;

typedef int (*cmp_fn)(const void*, const void*);

static rec_t recs[NREC];

static int cmp_key(const void* pa, const void* pb) {
  const rec_t *a = pa, *b = pb;
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  return a->id < b->id ? -1 : (a->id > b->id);
}
static int cmp_key_desc(const void* pa, const void* pb) { return cmp_key(pb, pa); }
static int cmp_val(const void* pa, const void* pb) {
  const rec_t *a = pa, *b = pb;
  if (a->val < b->val) return -1;
  if (a->val > b->val) return 1;
  return a->id < b->id ? -1 : (a->id > b->id);
}
static int cmp_mixed(const void* pa, const void* pb) {
  const rec_t *a = pa, *b = pb;
  uint32_t ka = (a->key & 0xff) ^ (a->id >> 3), kb = (b->key & 0xff) ^ (b->id >> 3);
  if (ka != kb) return ka < kb ? -1 : 1;
  return a->id < b->id ? -1 : (a->id > b->id);
}

static cmp_fn const cmps[4] = {cmp_key, cmp_val, cmp_key_desc, cmp_mixed};

static inline void swap_elems(char* a, char* b, size_t size) {
  if (((size | (uintptr_t)a | (uintptr_t)b) & 3) == 0) {
    uint32_t *x = (uint32_t*)a, *y = (uint32_t*)b;
    for (size_t i = 0; i < size / 4; i++) {
      uint32_t t = x[i];
      x[i] = y[i];
      y[i] = t;
    }
  } else {
    for (size_t i = 0; i < size; i++) {
      char t = a[i];
      a[i] = b[i];
      b[i] = t;
    }
  }
}

static void insertion_sort(char* base, size_t nmemb, size_t size, cmp_fn cmp) {
  for (size_t i = 1; i < nmemb; i++)
    for (size_t j = i; j > 0 && cmp(base + (j - 1) * size, base + j * size) > 0; j--)
      swap_elems(base + (j - 1) * size, base + j * size, size);
}

/* Quicksort with median-of-three pivot and insertion sort for small ranges;
 * recurses on the smaller half, loops on the larger one. */
NOINLINE static void gen_qsort(void* vbase, size_t nmemb, size_t size, cmp_fn cmp) {
  char* base = vbase;
  while (nmemb > 12) {
    char *lo = base, *hi = base + (nmemb - 1) * size, *mid = base + (nmemb / 2) * size;
    if (cmp(mid, lo) < 0) swap_elems(mid, lo, size);
    if (cmp(hi, mid) < 0) {
      swap_elems(hi, mid, size);
      if (cmp(mid, lo) < 0) swap_elems(mid, lo, size);
    }
    /* Pivot now at mid; move it to lo + size and partition (lo+2 .. hi-1). */
    swap_elems(mid, lo + size, size);
    char* piv = lo + size;
    char *i = lo + size, *j = hi;
    for (;;) {
      do i += size;
      while (cmp(i, piv) < 0);
      do j -= size;
      while (cmp(piv, j) < 0);
      if (i >= j) break;
      swap_elems(i, j, size);
    }
    swap_elems(piv, j, size);
    size_t nleft = (size_t)(j - base) / size;
    size_t nright = nmemb - nleft - 1;
    if (nleft < nright) {
      gen_qsort(base, nleft, size, cmp);
      base = j + size;
      nmemb = nright;
    } else {
      gen_qsort(j + size, nright, size, cmp);
      nmemb = nleft;
    }
  }
  insertion_sort(base, nmemb, size, cmp);
}

uint64_t run(int32_t n) {
  uint64_t sum = 0;
  for (int32_t r = 0; r < n; r++) {
    uint32_t seed = 0xC0FFEEu + (uint32_t)r * 7919u;
    for (uint32_t i = 0; i < NREC; i++) {
      recs[i].key = lcg_next(&seed) >> 20; /* 4096 distinct keys */
      recs[i].id = i;
      recs[i].val = (double)(int32_t)(lcg_next(&seed) >> 8) / 1024.0 - 8192.0;
    }
    /* Partially pre-sorted input every 4th round (common real-world case). */
    if ((r & 3) == 3)
      for (uint32_t i = 0; i < NREC / 2; i++) recs[i].key = i >> 4;
    cmp_fn cmp = cmps[(uint32_t)r % 4u];
    gen_qsort(recs, NREC, sizeof(rec_t), cmp);
    uint64_t h = 0, unsorted = 0;
    for (uint32_t i = 0; i < NREC; i++) h = h * 31u + recs[i].id;
    for (uint32_t i = 1; i < NREC; i++) unsorted += cmp(&recs[i - 1], &recs[i]) >= 0;
    sum = mix64(sum, h) + (unsorted << 48); /* a correct sort has unsorted == 0 */
  }
  return sum;
}
