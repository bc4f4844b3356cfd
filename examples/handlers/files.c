// files: serves files from the directory the route preopens as /data (read-only by
// default): GET /files/NAME returns the file, PUT /files/NAME tries to write it and
// reports whether the sandbox allowed it.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char* method = getenv("REQUEST_METHOD");
  const char* path = getenv("PATH_INFO");  // "/NAME"
  if (!path || path[0] != '/' || strchr(path + 1, '/') || strstr(path, "..") || !path[1]) {
    printf("Status: 400 Bad Request\nContent-Type: text/plain\n\nbad name\n");
    return 0;
  }
  char file[512];
  snprintf(file, sizeof file, "/data%s", path);
  if (method && strcmp(method, "PUT") == 0) {
    FILE* f = fopen(file, "w");
    if (!f) {
      printf("Status: 403 Forbidden\nContent-Type: text/plain\n\nwrite refused: %s\n",
             strerror(errno));
      return 0;
    }
    fclose(f);
    printf("Content-Type: text/plain\n\nwritten\n");
    return 0;
  }
  FILE* f = fopen(file, "r");
  if (!f) {
    printf("Status: 404 Not Found\nContent-Type: text/plain\n\nno such file\n");
    return 0;
  }
  printf("Content-Type: application/octet-stream\n\n");
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  return 0;
}
