// WASI path_* calls. Each resolves the guest's path beneath the directory descriptor it
// names (path_resolver.h), then acts on the final component relative to the resolved
// parent directory, never following a symlink there that was not checked. Rights of
// the directory descriptor decide what may be done at all (read-only preopens lack
// every mutating right).
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wasi/functions.h"
#include "wasi/host_errno.h"
#include "wasi/path_resolver.h"

namespace wisp::wasi::detail {

namespace {

// The guest string (ptr, len), or EFAULT.
Errno guestString(Call& c, uint32_t ptr, uint32_t len, std::string_view& out) {
  auto s = c.mem.string(ptr, len);
  if (!s) return Errno::Fault;
  out = *s;
  return Errno::Success;
}

bool hasTrailingSlash(std::string_view path) { return !path.empty() && path.back() == '/'; }

// lstat of the final component relative to its parent.
Errno lstatAt(const ResolvedPath& rp, struct stat& st) {
  return fstatat(rp.dir.get(), rp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0
             ? Errno::Success
             : fromHostErrno(errno);
}

// A path ending in '/' names a directory: for operations whose target must otherwise
// exist, a non-directory there is ENOTDIR.
Errno requireDirectory(const ResolvedPath& rp) {
  struct stat st;
  if (Errno e = lstatAt(rp, st); e != Errno::Success) return e;
  return S_ISDIR(st.st_mode) ? Errno::Success : Errno::NotDir;
}

Errno hostResult(int r) { return r == 0 ? Errno::Success : fromHostErrno(errno); }

}  // namespace

// path_create_directory(fd, path)
Errno pathCreateDirectory(Call& c) {
  FdEntry* dir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathCreateDirectory, dir); e != Errno::Success) {
    return e;
  }
  std::string_view path;
  if (Errno e = guestString(c, c.u32(1), c.u32(2), path); e != Errno::Success) return e;
  ResolvedPath rp;
  if (Errno e = resolveParent(dir->hostFd, path, rp); e != Errno::Success) return e;
  return hostResult(mkdirat(rp.dir.get(), rp.name.c_str(), 0777));
}

// path_filestat_get(fd, flags: lookupflags, path, buf: *filestat)
Errno pathFilestatGet(Call& c) {
  const uint32_t flags = c.u32(1), ret = c.u32(4);
  FdEntry* dir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathFilestatGet, dir); e != Errno::Success) {
    return e;
  }
  std::string_view path;
  if (Errno e = guestString(c, c.u32(2), c.u32(3), path); e != Errno::Success) return e;
  if (!c.mem.inBounds(ret, layout::kFilestatSize)) return Errno::Fault;
  // O_PATH opens anything (no read permission needed); with O_NOFOLLOW a final symlink
  // opens as the link itself, and fstat then describes the link.
  const int hostFlags = O_PATH | ((flags & kLookupSymlinkFollow) ? 0 : O_NOFOLLOW);
  UniqueFd fd;
  if (Errno e = openBeneath(dir->hostFd, path, hostFlags, 0, fd); e != Errno::Success) return e;
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return fromHostErrno(errno);
  storeFilestat(c.mem, ret, st);
  return Errno::Success;
}

// path_filestat_set_times(fd, flags, path, atim: u64, mtim: u64, fst_flags)
Errno pathFilestatSetTimes(Call& c) {
  const uint32_t flags = c.u32(1);
  FdEntry* dir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathFilestatSetTimes, dir); e != Errno::Success) {
    return e;
  }
  std::string_view path;
  if (Errno e = guestString(c, c.u32(2), c.u32(3), path); e != Errno::Success) return e;
  struct timespec ts[2];
  if (Errno e = timesFromFstflags(c.u64(4), c.u64(5), c.u32(6), ts); e != Errno::Success) return e;
  // A trailing slash follows the final symlink, as in POSIX path resolution.
  const bool follow = (flags & kLookupSymlinkFollow) || hasTrailingSlash(path);
  ResolvedPath rp;
  if (Errno e = resolveFinal(dir->hostFd, path, follow, rp); e != Errno::Success) return e;
  if (rp.trailingSlash) {
    if (Errno e = requireDirectory(rp); e != Errno::Success) return e;
  }
  // The final component is now not a symlink (or is one we must not follow).
  return hostResult(utimensat(rp.dir.get(), rp.name.c_str(), ts, AT_SYMLINK_NOFOLLOW));
}

// path_link(old_fd, old_flags, old_path, new_fd, new_path)
Errno pathLink(Call& c) {
  const uint32_t oldFlags = c.u32(1);
  FdEntry* oldDir;
  FdEntry* newDir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathLinkSource, oldDir); e != Errno::Success) {
    return e;
  }
  if (Errno e = lookupDir(c, c.u32(4), rights::kPathLinkTarget, newDir); e != Errno::Success) {
    return e;
  }
  std::string_view oldPath, newPath;
  if (Errno e = guestString(c, c.u32(2), c.u32(3), oldPath); e != Errno::Success) return e;
  if (Errno e = guestString(c, c.u32(5), c.u32(6), newPath); e != Errno::Success) return e;
  ResolvedPath from, to;
  if (Errno e = resolveFinal(oldDir->hostFd, oldPath, oldFlags & kLookupSymlinkFollow, from);
      e != Errno::Success) {
    return e;
  }
  if (Errno e = resolveParent(newDir->hostFd, newPath, to); e != Errno::Success) return e;
  if (from.trailingSlash || to.trailingSlash) {
    // Only a directory could match a trailing slash, and directories cannot be linked.
    struct stat st;
    if (Errno e = lstatAt(from, st); e != Errno::Success) return e;
    return S_ISDIR(st.st_mode) ? Errno::Perm : Errno::NotDir;
  }
  return hostResult(linkat(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str(), 0));
}

// path_open(fd, dirflags, path, oflags, rights_base, rights_inheriting, fdflags, *fd)
Errno pathOpen(Call& c) {
  const uint32_t dirflags = c.u32(1), oflagsArg = c.u32(4), fdflagsArg = c.u32(7);
  const uint64_t wantBase = c.u64(5), wantInheriting = c.u64(6);
  const uint32_t ret = c.u32(8);
  FdEntry* dir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathOpen, dir); e != Errno::Success) return e;
  std::string_view path;
  if (Errno e = guestString(c, c.u32(2), c.u32(3), path); e != Errno::Success) return e;
  if (!c.mem.inBounds(ret, 4)) return Errno::Fault;
  if (oflagsArg & ~uint32_t{oflags::kAll}) return Errno::Inval;
  if (fdflagsArg & ~uint32_t{fdflags::kAll}) return Errno::Inval;

  // What the directory lets this open do. Creating and truncating are path rights of
  // the directory; write access to a file must be inheritable from it (a read-only tree
  // never hands out a writable descriptor: asking for one fails rather than silently
  // giving a read-only one). Other requested rights the directory cannot grant are
  // dropped, which preview1 allows ("fewer rights than specified").
  if ((oflagsArg & oflags::kCreat) && !(dir->rightsBase & rights::kPathCreateFile)) {
    return Errno::NotCapable;
  }
  if ((oflagsArg & oflags::kTrunc) && !(dir->rightsBase & rights::kPathFilestatSetSize)) {
    return Errno::NotCapable;
  }
  if (!(oflagsArg & oflags::kDirectory) &&
      ((wantBase & rights::kWriteAccess) & ~dir->rightsInheriting)) {
    return Errno::NotCapable;
  }
  if ((fdflagsArg & fdflags::kAppend) && !(dir->rightsInheriting & rights::kFdWrite)) {
    return Errno::NotCapable;
  }
  const uint64_t base = wantBase & dir->rightsInheriting;
  const uint64_t inheriting = wantInheriting & dir->rightsInheriting;

  int hostFlags = O_NOCTTY;
  if (oflagsArg & oflags::kDirectory) {
    hostFlags |= O_RDONLY | O_DIRECTORY;
  } else {
    const bool read = base & rights::kReadAccess;
    const bool write = base & rights::kWriteAccess;
    hostFlags |= read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
  }
  if (oflagsArg & oflags::kCreat) hostFlags |= O_CREAT;
  if (oflagsArg & oflags::kExcl) hostFlags |= O_EXCL;
  if (oflagsArg & oflags::kTrunc) hostFlags |= O_TRUNC;
  if (fdflagsArg & fdflags::kAppend) hostFlags |= O_APPEND;
  if (fdflagsArg & fdflags::kNonblock) hostFlags |= O_NONBLOCK;
  if (fdflagsArg & fdflags::kSync) hostFlags |= O_SYNC;
  if (fdflagsArg & fdflags::kRsync) hostFlags |= O_RSYNC;
  if (fdflagsArg & fdflags::kDsync) hostFlags |= O_DSYNC;
  if (!(dirflags & kLookupSymlinkFollow)) hostFlags |= O_NOFOLLOW;

  UniqueFd fd;
  if (Errno e = openBeneath(dir->hostFd, path, hostFlags, 0666, fd); e != Errno::Success) {
    return e;
  }
  std::unique_ptr<FdEntry> entry = describeHostFd(fd.get(), hostFlags & O_ACCMODE);
  if (!entry) return fromHostErrno(errno);
  // Rights: what was asked for, what the directory passes on, and what applies to the
  // kind of object and the access mode it was opened with (describeHostFd).
  entry->rightsBase &= base;
  entry->rightsInheriting = inheriting;
  entry->flags = static_cast<uint16_t>(fdflagsArg);
  entry->hostFd = fd.get();
  entry->owned = std::move(fd);
  uint32_t newFd;
  if (Errno e = c.ctx.insert(std::move(entry), newFd); e != Errno::Success) return e;
  c.mem.store<uint32_t>(ret, newFd);
  return Errno::Success;
}

// path_readlink(fd, path, buf: *u8, buf_len: size, bufused: *size)
Errno pathReadlink(Call& c) {
  const uint32_t bufPtr = c.u32(3), bufLen = c.u32(4), ret = c.u32(5);
  FdEntry* dir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathReadlink, dir); e != Errno::Success) return e;
  std::string_view path;
  if (Errno e = guestString(c, c.u32(1), c.u32(2), path); e != Errno::Success) return e;
  auto out = c.mem.bytes(bufPtr, bufLen);
  if (!out || !c.mem.inBounds(ret, 4)) return Errno::Fault;
  ResolvedPath rp;
  // "link/" names what the link points to, which is then not a link (EINVAL).
  if (Errno e = resolveFinal(dir->hostFd, path, hasTrailingSlash(path), rp); e != Errno::Success) {
    return e;
  }
  if (rp.trailingSlash) {
    if (Errno e = requireDirectory(rp); e != Errno::Success) return e;
    return Errno::Inval;
  }
  char target[PATH_MAX];
  const ssize_t n = readlinkat(rp.dir.get(), rp.name.c_str(), target, sizeof target);
  if (n < 0) return fromHostErrno(errno);
  // Like POSIX readlink, a short buffer silently truncates.
  const uint32_t used = static_cast<size_t>(n) < bufLen ? static_cast<uint32_t>(n) : bufLen;
  std::memcpy(out->data(), target, used);
  c.mem.store<uint32_t>(ret, used);
  return Errno::Success;
}

// path_remove_directory(fd, path)
Errno pathRemoveDirectory(Call& c) {
  FdEntry* dir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathRemoveDirectory, dir); e != Errno::Success) {
    return e;
  }
  std::string_view path;
  if (Errno e = guestString(c, c.u32(1), c.u32(2), path); e != Errno::Success) return e;
  ResolvedPath rp;
  if (Errno e = resolveParent(dir->hostFd, path, rp); e != Errno::Success) return e;
  return hostResult(unlinkat(rp.dir.get(), rp.name.c_str(), AT_REMOVEDIR));
}

// path_rename(fd, old_path, new_fd, new_path)
Errno pathRename(Call& c) {
  FdEntry* oldDir;
  FdEntry* newDir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathRenameSource, oldDir); e != Errno::Success) {
    return e;
  }
  if (Errno e = lookupDir(c, c.u32(3), rights::kPathRenameTarget, newDir); e != Errno::Success) {
    return e;
  }
  std::string_view oldPath, newPath;
  if (Errno e = guestString(c, c.u32(1), c.u32(2), oldPath); e != Errno::Success) return e;
  if (Errno e = guestString(c, c.u32(4), c.u32(5), newPath); e != Errno::Success) return e;
  ResolvedPath from, to;
  if (Errno e = resolveParent(oldDir->hostFd, oldPath, from); e != Errno::Success) return e;
  if (Errno e = resolveParent(newDir->hostFd, newPath, to); e != Errno::Success) return e;
  if (from.trailingSlash || to.trailingSlash) {
    // With a trailing slash on either side only a directory may be renamed.
    if (Errno e = requireDirectory(from); e != Errno::Success) return e;
  }
  return hostResult(renameat(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str()));
}

// path_symlink(old_path, fd, new_path)
Errno pathSymlink(Call& c) {
  FdEntry* dir;
  if (Errno e = lookupDir(c, c.u32(2), rights::kPathSymlink, dir); e != Errno::Success) return e;
  std::string_view target, path;
  if (Errno e = guestString(c, c.u32(0), c.u32(1), target); e != Errno::Success) return e;
  if (Errno e = guestString(c, c.u32(3), c.u32(4), path); e != Errno::Success) return e;
  if (target.empty()) return Errno::NoEnt;
  if (target.find('\0') != std::string_view::npos) return Errno::Inval;
  if (target.size() >= PATH_MAX) return Errno::NameTooLong;
  // An absolute target could never be followed from inside the sandbox, but it would
  // point out of it for the host and anyone else using the directory: refuse it (as
  // wasmtime does). Relative targets are fine: following them is checked.
  if (target.front() == '/') return Errno::NotCapable;
  ResolvedPath rp;
  if (Errno e = resolveParent(dir->hostFd, path, rp); e != Errno::Success) return e;
  if (rp.trailingSlash) {
    struct stat st;
    return lstatAt(rp, st) == Errno::Success ? Errno::Exist : Errno::NoEnt;
  }
  const std::string t(target);
  return hostResult(symlinkat(t.c_str(), rp.dir.get(), rp.name.c_str()));
}

// path_unlink_file(fd, path)
Errno pathUnlinkFile(Call& c) {
  FdEntry* dir;
  if (Errno e = lookupDir(c, c.u32(0), rights::kPathUnlinkFile, dir); e != Errno::Success) {
    return e;
  }
  std::string_view path;
  if (Errno e = guestString(c, c.u32(1), c.u32(2), path); e != Errno::Success) return e;
  ResolvedPath rp;
  if (Errno e = resolveParent(dir->hostFd, path, rp); e != Errno::Success) return e;
  if (rp.trailingSlash) {
    struct stat st;
    if (Errno e = lstatAt(rp, st); e != Errno::Success) return e;
    return S_ISDIR(st.st_mode) ? Errno::IsDir : Errno::NotDir;
  }
  return hostResult(unlinkat(rp.dir.get(), rp.name.c_str(), 0));
}

}  // namespace wisp::wasi::detail
