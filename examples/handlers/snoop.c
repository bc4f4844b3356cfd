// snoop: looks for what earlier requests left behind. Each request gets a fresh
// instance, so its memory must start out exactly as the module defines it: the size
// it declares, zeros in .bss, zeros in pages it grows, zeros deep in the stack. It
// reports "clean" or what it found, then leaves its own secret (?secret=...) in each
// of those places for the next request to look for.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char data[4096];  // .bss: zero in a fresh instance
static int counter;      // 0 in a fresh instance, whatever came before otherwise

static int dirty(const volatile char* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i]) return 1;
  }
  return 0;
}

// The deep part of an 8 KiB frame: nothing in a fresh instance has used the stack this
// far down before main runs. Checked first, then filled with the secret.
__attribute__((noinline)) static int stackDirty(const char* secret) {
  volatile char frame[8192];
  const int found = dirty(frame, 4096);
  for (size_t i = 0; i < sizeof frame; i++) frame[i] = secret[i % (strlen(secret) + 1)];
  return found;
}

int main(void) {
  // Before anything else runs: the stack and the memory size.
  const int stack = stackDirty("stack-secret");
  const size_t pages = __builtin_wasm_memory_size(0);
  static size_t initialPages;  // recorded in .bss by the first instance that ever ran
  const char* query = getenv("QUERY_STRING");
  const char* secret = query && strncmp(query, "secret=", 7) == 0 ? query + 7 : "s3cr3t";
  printf("Content-Type: text/plain\n\n");
  int clean = 1;
  if (stack) {
    printf("stack is not zero\n");
    clean = 0;
  }
  if (counter != 0 || initialPages != 0) {
    printf("static counter is %d\n", counter);
    clean = 0;
  }
  if (dirty(data, sizeof data)) {
    printf("static data: %.64s\n", data);
    clean = 0;
  }
  // Fresh pages from memory.grow: pages a previous instance grew and wrote must not
  // come back with its bytes.
  const size_t grown = __builtin_wasm_memory_grow(0, 4);
  if (grown != (size_t)-1) {
    volatile char* fresh = (volatile char*)(grown * 65536);
    if (dirty(fresh, 4 * 65536)) {
      printf("grown pages: %.64s\n", (const char*)fresh);
      clean = 0;
    }
    for (size_t i = 0; i + 64 < 4 * 65536; i += 1024) strncpy((char*)fresh + i, secret, 63);
  }
  if (clean) printf("clean (%zu pages at start)\n", pages);
  counter++;
  initialPages = pages;
  strncpy(data, secret, sizeof data - 1);
  return 0;
}
