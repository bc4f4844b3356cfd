// The smallest WASI command: prints a greeting and its arguments.
#include <stdio.h>

int main(int argc, char** argv) {
  printf("Hello from wisp!\n");
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  return 0;
}
