// WASI fd_* calls: I/O, seeking, metadata and flags of open descriptors, preopen
// discovery, fd_readdir and fd_renumber. Host descriptors go to the matching Linux
// calls; in-memory stdio (InputStream/OutputStream) is handled here directly.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "wasi/functions.h"
#include "wasi/host_errno.h"

namespace wisp::wasi::detail {

namespace {

// Objects without a file offset: pipes, terminals, sockets, in-memory streams.
bool isStream(const FdEntry& e) {
  if (e.kind != FdEntry::Kind::Host) return true;
  return e.type != Filetype::RegularFile && e.type != Filetype::BlockDevice &&
         e.type != Filetype::Directory;
}

Errno storeSize(Call& c, uint32_t ptr, uint64_t n) {
  return c.mem.store<uint32_t>(ptr, static_cast<uint32_t>(n)) ? Errno::Success : Errno::Fault;
}

// readv/writev style loop that retries interrupted calls.
template <typename F>
ssize_t retryEintr(F f) {
  ssize_t r;
  do r = f();
  while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

void storeFilestat(const GuestMemory& mem, uint32_t ptr, const struct stat& st) {
  uint8_t buf[layout::kFilestatSize] = {};
  const uint64_t dev = st.st_dev, ino = st.st_ino, nlink = st.st_nlink;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint64_t atim = toNanos(st.st_atim), mtim = toNanos(st.st_mtim), ctim = toNanos(st.st_ctim);
  std::memcpy(buf + 0, &dev, 8);
  std::memcpy(buf + 8, &ino, 8);
  buf[16] = static_cast<uint8_t>(filetypeOfMode(st.st_mode));
  std::memcpy(buf + 24, &nlink, 8);
  std::memcpy(buf + 32, &size, 8);
  std::memcpy(buf + 40, &atim, 8);
  std::memcpy(buf + 48, &mtim, 8);
  std::memcpy(buf + 56, &ctim, 8);
  std::memcpy(mem.at(ptr), buf, sizeof buf);
}

Errno timesFromFstflags(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec out[2]) {
  if (fst & ~uint32_t{fstflags::kAll}) return Errno::Inval;
  if ((fst & fstflags::kAtim) && (fst & fstflags::kAtimNow)) return Errno::Inval;
  if ((fst & fstflags::kMtim) && (fst & fstflags::kMtimNow)) return Errno::Inval;
  auto one = [](uint64_t ns, bool set, bool now, struct timespec& ts) {
    if (now) {
      ts.tv_sec = 0;
      ts.tv_nsec = UTIME_NOW;
    } else if (set) {
      ts.tv_sec = static_cast<time_t>(ns / 1000000000ull);
      ts.tv_nsec = static_cast<long>(ns % 1000000000ull);
    } else {
      ts.tv_sec = 0;
      ts.tv_nsec = UTIME_OMIT;
    }
  };
  one(atim, fst & fstflags::kAtim, fst & fstflags::kAtimNow, out[0]);
  one(mtim, fst & fstflags::kMtim, fst & fstflags::kMtimNow, out[1]);
  return Errno::Success;
}

// fd_advise(fd, offset: u64, len: u64, advice: u8)
Errno fdAdvise(Call& c) {
  const uint64_t offset = c.u64(1), len = c.u64(2);
  const uint32_t advice = c.u32(3);
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), rights::kFdAdvise, e); err != Errno::Success) return err;
  if (advice > kMaxAdvice) return Errno::Inval;
  if (isStream(*e)) return Errno::Spipe;
  if (offset > INT64_MAX || len > INT64_MAX) return Errno::Inval;
  static constexpr int kHostAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                        POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                        POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (e->isDirectory()) return Errno::Success;  // advice about a directory: nothing to do
  const int r = posix_fadvise(e->hostFd, static_cast<off_t>(offset), static_cast<off_t>(len),
                              kHostAdvice[advice]);
  return fromHostErrno(r);
}

// fd_allocate(fd, offset: u64, len: u64)
Errno fdAllocate(Call& c) {
  const uint64_t offset = c.u64(1), len = c.u64(2);
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), rights::kFdAllocate, e); err != Errno::Success) return err;
  if (e->isDirectory()) return Errno::IsDir;
  if (isStream(*e)) return Errno::Spipe;
  if (offset > INT64_MAX || len > INT64_MAX - offset) return Errno::Fbig;
  if (len == 0) return Errno::Inval;
  // glibc emulates the allocation where the file system cannot do it natively.
  const int r = posix_fallocate(e->hostFd, static_cast<off_t>(offset), static_cast<off_t>(len));
  return fromHostErrno(r);
}

// fd_close(fd)
Errno fdClose(Call& c) { return c.ctx.close(c.u32(0)); }

// fd_datasync(fd)
Errno fdDatasync(Call& c) {
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), rights::kFdDatasync, e); err != Errno::Success) return err;
  if (e->kind != FdEntry::Kind::Host) return Errno::Success;  // nothing to make durable
  return fdatasync(e->hostFd) == 0 ? Errno::Success : fromHostErrno(errno);
}

// fd_sync(fd)
Errno fdSync(Call& c) {
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), rights::kFdSync, e); err != Errno::Success) return err;
  if (e->kind != FdEntry::Kind::Host) return Errno::Success;
  return fsync(e->hostFd) == 0 ? Errno::Success : fromHostErrno(errno);
}

// fd_fdstat_get(fd, buf: *fdstat)
Errno fdFdstatGet(Call& c) {
  const uint32_t ptr = c.u32(1);
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), 0, e); err != Errno::Success) return err;
  if (!c.mem.inBounds(ptr, layout::kFdstatSize)) return Errno::Fault;
  uint8_t buf[layout::kFdstatSize] = {};
  buf[0] = static_cast<uint8_t>(e->type);
  std::memcpy(buf + 2, &e->flags, 2);
  std::memcpy(buf + 8, &e->rightsBase, 8);
  std::memcpy(buf + 16, &e->rightsInheriting, 8);
  std::memcpy(c.mem.at(ptr), buf, sizeof buf);
  return Errno::Success;
}

// fd_fdstat_set_flags(fd, flags: fdflags)
Errno fdFdstatSetFlags(Call& c) {
  const uint32_t flags = c.u32(1);
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), rights::kFdFdstatSetFlags, e); err != Errno::Success) {
    return err;
  }
  if (flags & ~uint32_t{fdflags::kAll}) return Errno::Inval;
  // Linux's F_SETFL ignores the synchronization flags: changing them is not supported
  // (keeping them as they are is fine, which is what fcntl(F_SETFL, F_GETFL | x) does).
  constexpr uint16_t kSyncFlags = fdflags::kDsync | fdflags::kRsync | fdflags::kSync;
  if ((flags & kSyncFlags) != (e->flags & kSyncFlags)) return Errno::NotSup;
  if (e->kind == FdEntry::Kind::Host) {
    const int fl = fcntl(e->hostFd, F_GETFL);
    if (fl < 0) return fromHostErrno(errno);
    int nfl = fl & ~(O_APPEND | O_NONBLOCK);
    if (flags & fdflags::kAppend) nfl |= O_APPEND;
    if (flags & fdflags::kNonblock) nfl |= O_NONBLOCK;
    if (nfl != fl) {
      if (fcntl(e->hostFd, F_SETFL, nfl) != 0) return fromHostErrno(errno);
      if (!e->owned.valid() && e->restoreHostFlags < 0) e->restoreHostFlags = fl;
    }
  }
  e->flags = static_cast<uint16_t>(flags);
  return Errno::Success;
}

// fd_fdstat_set_rights(fd, base: rights, inheriting: rights): may only drop rights.
Errno fdFdstatSetRights(Call& c) {
  const uint64_t base = c.u64(1), inheriting = c.u64(2);
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), 0, e); err != Errno::Success) return err;
  if ((base & ~e->rightsBase) || (inheriting & ~e->rightsInheriting)) return Errno::NotCapable;
  e->rightsBase = base;
  e->rightsInheriting = inheriting;
  return Errno::Success;
}

// fd_filestat_get(fd, buf: *filestat)
Errno fdFilestatGet(Call& c) {
  const uint32_t ptr = c.u32(1);
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), rights::kFdFilestatGet, e); err != Errno::Success) {
    return err;
  }
  if (!c.mem.inBounds(ptr, layout::kFilestatSize)) return Errno::Fault;
  if (e->kind != FdEntry::Kind::Host) {
    // An in-memory stream: no device, inode or times to report.
    std::memset(c.mem.at(ptr), 0, layout::kFilestatSize);
    c.mem.at(ptr)[16] = static_cast<uint8_t>(e->type);
    return Errno::Success;
  }
  struct stat st;
  if (fstat(e->hostFd, &st) != 0) return fromHostErrno(errno);
  storeFilestat(c.mem, ptr, st);
  if (e->isSocket()) c.mem.at(ptr)[16] = static_cast<uint8_t>(e->type);  // keep DGRAM
  return Errno::Success;
}

// fd_filestat_set_size(fd, size: u64)
Errno fdFilestatSetSize(Call& c) {
  const uint64_t size = c.u64(1);
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), rights::kFdFilestatSetSize, e); err != Errno::Success) {
    return err;
  }
  if (e->isDirectory()) return Errno::IsDir;
  if (e->kind != FdEntry::Kind::Host) return Errno::Inval;
  if (size > INT64_MAX) return Errno::Inval;
  return ftruncate(e->hostFd, static_cast<off_t>(size)) == 0 ? Errno::Success
                                                             : fromHostErrno(errno);
}

// fd_filestat_set_times(fd, atim: u64, mtim: u64, fst_flags: fstflags)
Errno fdFilestatSetTimes(Call& c) {
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), rights::kFdFilestatSetTimes, e); err != Errno::Success) {
    return err;
  }
  struct timespec ts[2];
  if (Errno err = timesFromFstflags(c.u64(1), c.u64(2), c.u32(3), ts); err != Errno::Success) {
    return err;
  }
  if (e->kind != FdEntry::Kind::Host) return Errno::Inval;
  return futimens(e->hostFd, ts) == 0 ? Errno::Success : fromHostErrno(errno);
}

// fd_pread(fd, iovs, iovs_len, offset: u64, nread: *size)
Errno fdPread(Call& c) {
  const uint32_t iovs = c.u32(1), count = c.u32(2), ret = c.u32(4);
  const uint64_t offset = c.u64(3);
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e) return Errno::Badf;
  if (e->isDirectory()) return Errno::IsDir;
  if (!(e->rightsBase & rights::kFdRead)) return Errno::Badf;
  if (isStream(*e)) return Errno::Spipe;
  if (!(e->rightsBase & rights::kFdSeek)) return Errno::NotCapable;
  if (!c.mem.inBounds(ret, 4)) return Errno::Fault;
  IovecBuffer& iov = c.ctx.iovecs();
  if (Errno err = iov.gather(c.mem, iovs, count); err != Errno::Success) return err;
  if (offset > INT64_MAX) return Errno::Inval;
  const ssize_t n = retryEintr(
      [&] { return preadv(e->hostFd, iov.data(), iov.count(), static_cast<off_t>(offset)); });
  if (n < 0) return fromHostErrno(errno);
  return storeSize(c, ret, static_cast<uint64_t>(n));
}

// fd_pwrite(fd, iovs, iovs_len, offset: u64, nwritten: *size)
Errno fdPwrite(Call& c) {
  const uint32_t iovs = c.u32(1), count = c.u32(2), ret = c.u32(4);
  const uint64_t offset = c.u64(3);
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e) return Errno::Badf;
  if (e->isDirectory()) return Errno::IsDir;
  if (!(e->rightsBase & rights::kFdWrite)) return Errno::Badf;
  if (isStream(*e)) return Errno::Spipe;
  if (!(e->rightsBase & rights::kFdSeek)) return Errno::NotCapable;
  if (!c.mem.inBounds(ret, 4)) return Errno::Fault;
  IovecBuffer& iov = c.ctx.iovecs();
  if (Errno err = iov.gather(c.mem, iovs, count); err != Errno::Success) return err;
  if (offset > INT64_MAX) return Errno::Inval;
  const ssize_t n = retryEintr(
      [&] { return pwritev(e->hostFd, iov.data(), iov.count(), static_cast<off_t>(offset)); });
  if (n < 0) return fromHostErrno(errno);
  return storeSize(c, ret, static_cast<uint64_t>(n));
}

// fd_read(fd, iovs, iovs_len, nread: *size)
Errno fdRead(Call& c) {
  const uint32_t iovs = c.u32(1), count = c.u32(2), ret = c.u32(3);
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e) return Errno::Badf;
  if (e->isDirectory()) return Errno::IsDir;
  // Like POSIX, reading a descriptor not open for reading is EBADF.
  if (!(e->rightsBase & rights::kFdRead) || e->kind == FdEntry::Kind::Output) return Errno::Badf;
  if (!c.mem.inBounds(ret, 4)) return Errno::Fault;
  IovecBuffer& iov = c.ctx.iovecs();
  if (Errno err = iov.gather(c.mem, iovs, count); err != Errno::Success) return err;
  if (e->kind == FdEntry::Kind::Input) return storeSize(c, ret, e->input->read(iov.iovecs()));
  const ssize_t n = retryEintr([&] { return readv(e->hostFd, iov.data(), iov.count()); });
  if (n < 0) return fromHostErrno(errno);
  return storeSize(c, ret, static_cast<uint64_t>(n));
}

// fd_write(fd, iovs, iovs_len, nwritten: *size)
Errno fdWrite(Call& c) {
  const uint32_t iovs = c.u32(1), count = c.u32(2), ret = c.u32(3);
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e) return Errno::Badf;
  if (e->isDirectory()) return Errno::IsDir;
  if (!(e->rightsBase & rights::kFdWrite) || e->kind == FdEntry::Kind::Input) return Errno::Badf;
  if (!c.mem.inBounds(ret, 4)) return Errno::Fault;
  IovecBuffer& iov = c.ctx.iovecs();
  if (Errno err = iov.gather(c.mem, iovs, count); err != Errno::Success) return err;
  if (e->kind == FdEntry::Kind::Output) {
    size_t written;
    if (Errno err = e->output->write(iov.iovecs(), written); err != Errno::Success) return err;
    return storeSize(c, ret, written);
  }
  const ssize_t n = retryEintr([&] { return writev(e->hostFd, iov.data(), iov.count()); });
  if (n < 0) return fromHostErrno(errno);
  return storeSize(c, ret, static_cast<uint64_t>(n));
}

// fd_prestat_get(fd, buf: *prestat)
Errno fdPrestatGet(Call& c) {
  const uint32_t ptr = c.u32(1);
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e || !e->preopen) return Errno::Badf;
  if (!c.mem.inBounds(ptr, layout::kPrestatSize)) return Errno::Fault;
  uint8_t buf[layout::kPrestatSize] = {};
  buf[0] = kPreopenTypeDir;
  const uint32_t len = static_cast<uint32_t>(e->preopenName.size());
  std::memcpy(buf + 4, &len, 4);
  std::memcpy(c.mem.at(ptr), buf, sizeof buf);
  return Errno::Success;
}

// fd_prestat_dir_name(fd, path: *u8, path_len: size)
Errno fdPrestatDirName(Call& c) {
  const uint32_t ptr = c.u32(1), len = c.u32(2);
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e || !e->preopen) return Errno::Badf;
  auto out = c.mem.bytes(ptr, len);
  if (!out) return Errno::Fault;
  // The name is written without a terminating NUL; a shorter buffer gets nothing.
  if (len < e->preopenName.size()) return Errno::NameTooLong;
  std::memcpy(out->data(), e->preopenName.data(), e->preopenName.size());
  return Errno::Success;
}

// fd_readdir(fd, buf: *u8, buf_len: size, cookie: u64, bufused: *size)
Errno fdReaddir(Call& c) {
  const uint32_t ptr = c.u32(1), len = c.u32(2), ret = c.u32(4);
  const uint64_t cookie = c.u64(3);
  FdEntry* e;
  if (Errno err = lookup(c, c.u32(0), 0, e); err != Errno::Success) return err;
  if (!e->isDirectory() || e->kind != FdEntry::Kind::Host) return Errno::NotDir;
  if (!(e->rightsBase & rights::kFdReaddir)) return Errno::NotCapable;
  auto out = c.mem.bytes(ptr, len);
  if (!out || !c.mem.inBounds(ret, 4)) return Errno::Fault;
  if (!e->dir) e->dir = std::make_unique<DirStream>();
  uint32_t used = 0;
  if (Errno err = e->dir->read(e->hostFd, cookie, out->data(), len, used); err != Errno::Success) {
    return err;
  }
  return storeSize(c, ret, used);
}

// fd_renumber(fd, to)
Errno fdRenumber(Call& c) { return c.ctx.renumber(c.u32(0), c.u32(1)); }

// fd_seek(fd, offset: s64, whence, newoffset: *u64)
Errno fdSeek(Call& c) {
  const int64_t offset = static_cast<int64_t>(c.u64(1));
  const uint32_t whence = c.u32(2), ret = c.u32(3);
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e) return Errno::Badf;
  if (whence > static_cast<uint32_t>(Whence::End)) return Errno::Inval;
  // lseek(fd, 0, SEEK_CUR) only reads the offset: FD_TELL is enough for it.
  const uint64_t need = whence == static_cast<uint32_t>(Whence::Cur) && offset == 0
                            ? rights::kFdTell
                            : rights::kFdSeek;
  if (isStream(*e)) return Errno::Spipe;
  if (!(e->rightsBase & need)) return Errno::NotCapable;
  if (!c.mem.inBounds(ret, 8)) return Errno::Fault;
  static constexpr int kHostWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  const off_t r = lseek(e->hostFd, static_cast<off_t>(offset), kHostWhence[whence]);
  if (r < 0) return fromHostErrno(errno);
  c.mem.store<uint64_t>(ret, static_cast<uint64_t>(r));
  return Errno::Success;
}

// fd_tell(fd, offset: *u64)
Errno fdTell(Call& c) {
  const uint32_t ret = c.u32(1);
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e) return Errno::Badf;
  if (isStream(*e)) return Errno::Spipe;
  if (!(e->rightsBase & rights::kFdTell)) return Errno::NotCapable;
  if (!c.mem.inBounds(ret, 8)) return Errno::Fault;
  const off_t r = lseek(e->hostFd, 0, SEEK_CUR);
  if (r < 0) return fromHostErrno(errno);
  c.mem.store<uint64_t>(ret, static_cast<uint64_t>(r));
  return Errno::Success;
}

}  // namespace wisp::wasi::detail
