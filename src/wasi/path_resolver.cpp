// Path resolution beneath a directory fd: openat2 where available, a portable
// component-by-component walker otherwise (see path_resolver.h for the rules).
#include "wasi/path_resolver.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "wasi/host_errno.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace wisp::wasi {

namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
// openat2 returns EAGAIN when a concurrent rename or mount may have made a
// RESOLVE_BENEATH lookup unsafe; after this many retries the portable walker is used.
constexpr int kOpenat2Retries = 16;
// Upper bound of the remaining-path string while expanding symlinks by hand.
constexpr size_t kMaxExpandedPath = 16 * PATH_MAX;

int sysOpenat2(int dirFd, const char* path, int flags, mode_t mode) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags);
  how.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0;
  how.resolve = kBeneath;
  return static_cast<int>(syscall(SYS_openat2, dirFd, path, &how, sizeof how));
}

bool useOpenat2(Resolver r) {
  if (r == Resolver::Portable) return false;
  if (r == Resolver::Openat2) return true;
  return openat2Available();
}

// openat2 beneath dirFd, mapping an escape (EXDEV) to ENOTCAPABLE. Returns false in
// `done` when the kernel kept answering EAGAIN and the caller should walk instead.
Errno openat2Beneath(int dirFd, const std::string& path, int flags, mode_t mode, UniqueFd& out,
                     bool& done) {
  done = true;
  for (int attempt = 0; attempt < kOpenat2Retries; attempt++) {
    const int fd = sysOpenat2(dirFd, path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) {
      out.reset(fd);
      return Errno::Success;
    }
    if (errno == EAGAIN) continue;
    if (errno == EXDEV) return Errno::NotCapable;
    return fromHostErrno(errno);
  }
  done = false;
  return Errno::Again;
}

// Splits a checked path into the part naming the parent directory and the final
// component. Trailing slashes are stripped (and reported); a final "." or ".." folds
// into the directory part so that the operation acts on the directory itself ("."),
// which lies beneath the base once the whole path has been resolved.
void splitPath(std::string_view path, std::string& dirPart, std::string& name, bool& trailing) {
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') end--;
  trailing = end < path.size();
  const std::string_view p = path.substr(0, end);
  const size_t slash = p.rfind('/');
  if (slash == std::string_view::npos) {
    dirPart = ".";
    name = p;
  } else {
    dirPart = p.substr(0, slash + 1);
    name = p.substr(slash + 1);
  }
  if (name == "." || name == "..") {
    dirPart = p;
    name = ".";
  }
}

// The portable walker. Resolves `path` beneath `base` one component at a time; stops at
// the final component (returned unresolved in out.name) unless it must be followed:
// followFinal, or followTrailing and it is followed by a slash.
Errno portableWalk(int base, std::string_view path, bool followFinal, bool followTrailing,
                   ResolvedPath& out) {
  std::vector<UniqueFd> stack;  // directories entered below base; empty = at base
  auto cur = [&] { return stack.empty() ? base : stack.back().get(); };
  auto finish = [&](std::string_view name, bool trailing) -> Errno {
    if (!stack.empty()) {
      out.dir = std::move(stack.back());
    } else {
      const int fd = openat(base, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) return fromHostErrno(errno);
      out.dir.reset(fd);
    }
    out.name = name;
    out.trailingSlash = trailing;
    return Errno::Success;
  };

  std::string rest(path);
  size_t pos = 0;
  int links = 0;
  char target[PATH_MAX];
  for (;;) {
    while (pos < rest.size() && rest[pos] == '/') pos++;
    if (pos == rest.size()) return finish(".", false);
    const size_t slash = rest.find('/', pos);
    const bool slashAfter = slash != std::string::npos;
    const std::string name = rest.substr(pos, slashAfter ? slash - pos : std::string::npos);
    const size_t after = slashAfter ? rest.find_first_not_of('/', slash) : std::string::npos;
    const bool last = after == std::string::npos;
    pos = last ? rest.size() : after;
    if (name.size() > NAME_MAX) return Errno::NameTooLong;

    if (name == ".") {
      if (last) return finish(".", slashAfter);
      continue;
    }
    if (name == "..") {
      // Never above the base: the stack holds exactly the directories walked into.
      if (stack.empty()) return Errno::NotCapable;
      stack.pop_back();
      if (last) return finish(".", slashAfter);
      continue;
    }
    if (last && !followFinal && !(followTrailing && slashAfter)) return finish(name, slashAfter);

    const ssize_t n = readlinkat(cur(), name.c_str(), target, sizeof target);
    if (n >= 0) {
      if (++links > kMaxSymlinks) return Errno::Loop;
      if (static_cast<size_t>(n) == sizeof target) return Errno::NameTooLong;
      if (n == 0) return Errno::NoEnt;
      if (target[0] == '/') return Errno::NotCapable;
      // Continue with the link's contents in place of the link, relative to the
      // directory holding it (the top of the stack).
      std::string expanded(target, static_cast<size_t>(n));
      if (slashAfter) expanded += '/';
      expanded.append(rest, pos, std::string::npos);
      if (expanded.size() > kMaxExpandedPath) return Errno::NameTooLong;
      rest = std::move(expanded);
      pos = 0;
      continue;
    }
    if (last && (errno == EINVAL || errno == ENOENT)) return finish(name, slashAfter);
    if (errno != EINVAL) return fromHostErrno(errno);
    // An intermediate component that is not a symlink: enter it. O_NOFOLLOW: a symlink
    // swapped in since readlinkat fails instead of being followed unchecked.
    const int fd = openat(cur(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fromHostErrno(errno);
    stack.emplace_back(fd);
  }
}

}  // namespace

bool openat2Available() {
  static const bool available = [] {
    // WISP_WASI_RESOLVER=portable forces the portable walker, so the test suite can run
    // every WASI test against it on kernels that do have openat2.
    if (const char* v = std::getenv("WISP_WASI_RESOLVER"); v && std::strcmp(v, "portable") == 0) {
      return false;
    }
    // An absolute path under RESOLVE_BENEATH must fail with EXDEV; anything else
    // (ENOSYS, a seccomp EPERM, or success) means the flag cannot be relied on.
    const int fd = sysOpenat2(AT_FDCWD, "/", O_PATH | O_CLOEXEC, 0);
    if (fd >= 0) {
      ::close(fd);
      return false;
    }
    return errno == EXDEV;
  }();
  return available;
}

Errno checkGuestPath(std::string_view path) {
  if (path.empty()) return Errno::NoEnt;
  if (path.find('\0') != std::string_view::npos) return Errno::Inval;
  if (path.front() == '/') return Errno::NotCapable;
  if (path.size() >= PATH_MAX) return Errno::NameTooLong;
  return Errno::Success;
}

Errno openBeneath(int dirFd, std::string_view path, int flags, mode_t mode, UniqueFd& out,
                  Resolver resolver) {
  if (Errno e = checkGuestPath(path); e != Errno::Success) return e;
  if (useOpenat2(resolver)) {
    bool done;
    Errno e = openat2Beneath(dirFd, std::string(path), flags, mode, out, done);
    if (done) return e;
  }
  // O_CREAT | O_EXCL never follows a final symlink (it fails with EEXIST).
  const bool follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
  ResolvedPath rp;
  if (Errno e = portableWalk(dirFd, path, follow, /*followTrailing=*/true, rp);
      e != Errno::Success) {
    return e;
  }
  int hostFlags = flags | O_NOFOLLOW | O_CLOEXEC;
  if (rp.trailingSlash) {
    if (flags & O_CREAT) return Errno::IsDir;
    hostFlags |= O_DIRECTORY;
  }
  const int fd = openat(rp.dir.get(), rp.name.c_str(), hostFlags, mode);
  if (fd < 0) return fromHostErrno(errno);
  out.reset(fd);
  return Errno::Success;
}

Errno resolveParent(int dirFd, std::string_view path, ResolvedPath& out, Resolver resolver) {
  if (Errno e = checkGuestPath(path); e != Errno::Success) return e;
  if (useOpenat2(resolver)) {
    std::string dirPart;
    splitPath(path, dirPart, out.name, out.trailingSlash);
    bool done;
    Errno e = openat2Beneath(dirFd, dirPart, O_PATH | O_DIRECTORY, 0, out.dir, done);
    if (done) return e;
  }
  return portableWalk(dirFd, path, /*followFinal=*/false, /*followTrailing=*/false, out);
}

Errno resolveFinal(int dirFd, std::string_view path, bool follow, ResolvedPath& out,
                   Resolver resolver) {
  if (!follow) return resolveParent(dirFd, path, out, resolver);
  if (Errno e = checkGuestPath(path); e != Errno::Success) return e;
  if (!useOpenat2(resolver)) {
    return portableWalk(dirFd, path, /*followFinal=*/true, /*followTrailing=*/false, out);
  }
  // Follow final symlinks one hop at a time: each hop's target replaces the final
  // component and the new path is resolved again from the base, so openat2 checks
  // every hop (`..` in a target is relative to the link's directory, as it should be).
  std::string current(path);
  char target[PATH_MAX];
  for (int links = 0;; links++) {
    if (Errno e = resolveParent(dirFd, current, out, resolver); e != Errno::Success) return e;
    if (out.name == ".") return Errno::Success;
    const ssize_t n = readlinkat(out.dir.get(), out.name.c_str(), target, sizeof target);
    if (n < 0) return Errno::Success;  // not a symlink (or missing): the caller's op decides
    if (links + 1 > kMaxSymlinks) return Errno::Loop;
    if (static_cast<size_t>(n) == sizeof target) return Errno::NameTooLong;
    if (n == 0) return Errno::NoEnt;
    if (target[0] == '/') return Errno::NotCapable;
    std::string dirPart, name;
    bool trailing;
    splitPath(current, dirPart, name, trailing);
    std::string next = dirPart == "." ? std::string() : dirPart;
    if (!next.empty() && next.back() != '/') next += '/';
    next.append(target, static_cast<size_t>(n));
    if (out.trailingSlash) next += '/';
    if (next.size() >= PATH_MAX) return Errno::NameTooLong;
    current = std::move(next);
  }
}

}  // namespace wisp::wasi
