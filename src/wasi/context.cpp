// WasiContext: descriptor table, preopens, stdio setup, and fd_readdir's directory
// streams.
#include "wasi/context.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/runtime.h"
#include "wasi/host_errno.h"

namespace wisp::wasi {

namespace {

uint8_t filetypeOfDirentType(unsigned char t) {
  switch (t) {
    case DT_REG:
      return static_cast<uint8_t>(Filetype::RegularFile);
    case DT_DIR:
      return static_cast<uint8_t>(Filetype::Directory);
    case DT_LNK:
      return static_cast<uint8_t>(Filetype::SymbolicLink);
    case DT_CHR:
      return static_cast<uint8_t>(Filetype::CharacterDevice);
    case DT_BLK:
      return static_cast<uint8_t>(Filetype::BlockDevice);
    case DT_SOCK:
      return static_cast<uint8_t>(Filetype::SocketStream);
    default:
      return static_cast<uint8_t>(Filetype::Unknown);
  }
}

uint16_t fdflagsOfHostFlags(int fl) {
  uint16_t f = 0;
  if (fl & O_APPEND) f |= fdflags::kAppend;
  if (fl & O_NONBLOCK) f |= fdflags::kNonblock;
  if ((fl & O_SYNC) == O_SYNC) {
    f |= fdflags::kSync;
  } else if (fl & O_DSYNC) {
    f |= fdflags::kDsync;
  }
  return f;
}

// Layout of the records getdents64 produces.
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

constexpr size_t kDirBufferSize = 32 * 1024;

}  // namespace

// ---- descriptors ------------------------------------------------------------------

Filetype filetypeOfMode(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return Filetype::RegularFile;
    case S_IFDIR:
      return Filetype::Directory;
    case S_IFCHR:
      return Filetype::CharacterDevice;
    case S_IFBLK:
      return Filetype::BlockDevice;
    case S_IFLNK:
      return Filetype::SymbolicLink;
    case S_IFSOCK:
      return Filetype::SocketStream;
    default:
      return Filetype::Unknown;  // FIFOs have no WASI file type
  }
}

std::unique_ptr<FdEntry> describeHostFd(int hostFd, int access) {
  struct stat st;
  if (fstat(hostFd, &st) != 0) return nullptr;
  auto e = std::make_unique<FdEntry>();
  e->kind = FdEntry::Kind::Host;
  e->hostFd = hostFd;
  e->type = filetypeOfMode(st.st_mode);
  if (e->type == Filetype::SocketStream) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(hostFd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM) {
      e->type = Filetype::SocketDgram;
    }
  }
  switch (e->type) {
    case Filetype::Directory:
      e->rightsBase = rights::kDirectory;
      e->rightsInheriting = rights::kDirectory | rights::kFile;
      break;
    case Filetype::SocketStream:
    case Filetype::SocketDgram:
      e->rightsBase = rights::kSocket;
      break;
    case Filetype::RegularFile:
    case Filetype::BlockDevice:
      e->rightsBase = rights::kFile;
      break;
    default:
      // Pipes, terminals and other streams: no offset to seek or tell. wasi-libc's
      // isatty() looks for exactly this (a character device without FD_SEEK/FD_TELL).
      e->rightsBase = rights::kFile & ~(rights::kFdSeek | rights::kFdTell | rights::kFdAdvise |
                                        rights::kFdAllocate | rights::kFdFilestatSetSize);
      break;
  }
  if (access == O_RDONLY) {
    e->rightsBase &= ~(rights::kFdWrite | rights::kFdAllocate | rights::kFdFilestatSetSize);
  } else if (access == O_WRONLY) {
    e->rightsBase &= ~(rights::kFdRead | rights::kFdReaddir);
  }
  const int fl = fcntl(hostFd, F_GETFL);
  if (fl >= 0) e->flags = fdflagsOfHostFlags(fl);
  return e;
}

FdEntry::~FdEntry() {
  if (restoreHostFlags >= 0 && hostFd >= 0 && !owned.valid()) {
    fcntl(hostFd, F_SETFL, restoreHostFlags);
  }
}

WasiContext::WasiContext() {
  for (uint32_t fd = 0; fd < 3; fd++) setStdioHostFd(fd, static_cast<int>(fd));
}

WasiContext::WasiContext(NoHostStdio) { table_.resize(3); }

WasiContext::~WasiContext() = default;

WasiContext* WasiContext::fromCaller(runtime::Caller& caller) {
  runtime::Store* store = caller.store();
  return store ? static_cast<WasiContext*>(store->userData) : nullptr;
}

void WasiContext::setStdio(uint32_t fd, std::unique_ptr<FdEntry> entry) {
  if (table_.size() <= fd) table_.resize(fd + 1);
  table_[fd] = std::move(entry);
}

void WasiContext::setStdioHostFd(uint32_t guestFd, int hostFd) {
  if (guestFd > 2) return;
  // A missing host descriptor leaves the guest's closed too (EBADF), rather than
  // pointing it at whatever the host opens there later.
  setStdio(guestFd, describeHostFd(hostFd, guestFd == 0 ? O_RDONLY : O_WRONLY));
  if (guestFd == 1) stdout_.reset();
  if (guestFd == 2) stderr_.reset();
}

void WasiContext::setStdin(std::string data) {
  auto e = std::make_unique<FdEntry>();
  e->kind = FdEntry::Kind::Input;
  e->rightsBase = rights::kFdRead | rights::kFdFdstatSetFlags | rights::kFdFilestatGet |
                  rights::kPollFdReadwrite;
  e->input = std::make_shared<InputStream>(std::move(data));
  setStdio(0, std::move(e));
}

void WasiContext::captureStdout(size_t maxBytes) {
  auto e = std::make_unique<FdEntry>();
  e->kind = FdEntry::Kind::Output;
  e->rightsBase = rights::kFdWrite | rights::kFdFdstatSetFlags | rights::kFdFilestatGet |
                  rights::kFdSync | rights::kFdDatasync | rights::kPollFdReadwrite;
  stdout_ = std::make_shared<OutputStream>(maxBytes);
  e->output = stdout_;
  setStdio(1, std::move(e));
}

void WasiContext::captureStderr(size_t maxBytes) {
  auto e = std::make_unique<FdEntry>();
  e->kind = FdEntry::Kind::Output;
  e->rightsBase = rights::kFdWrite | rights::kFdFdstatSetFlags | rights::kFdFilestatGet |
                  rights::kFdSync | rights::kFdDatasync | rights::kPollFdReadwrite;
  stderr_ = std::make_shared<OutputStream>(maxBytes);
  e->output = stderr_;
  setStdio(2, std::move(e));
}

std::string WasiContext::takeStdout() { return stdout_ ? stdout_->take() : std::string(); }
std::string WasiContext::takeStderr() { return stderr_ ? stderr_->take() : std::string(); }

Result<void> WasiContext::preopenDirectory(const std::string& hostPath,
                                           const std::string& guestPath, bool readOnly) {
  const int fd = ::open(hostPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Error{"cannot open directory " + hostPath + ": " + std::strerror(errno),
                 ErrorCode::Invalid};
  }
  auto e = std::make_unique<FdEntry>();
  e->kind = FdEntry::Kind::Host;
  e->type = Filetype::Directory;
  e->hostFd = fd;
  e->owned.reset(fd);
  e->rightsBase = rights::kDirectory;
  e->rightsInheriting = rights::kDirectory | rights::kFile;
  if (readOnly) {
    e->rightsBase &= ~rights::kMutating;
    e->rightsInheriting &= ~rights::kMutating;
  }
  e->preopen = true;
  e->preopenName = guestPath;
  // wasi-libc discovers preopens by probing fd 3, 4, ... until EBADF, so they must be
  // numbered contiguously from 3.
  uint32_t slot = 3;
  while (slot < table_.size() && table_[slot]) slot++;
  if (slot >= maxFds_) return Error{"too many preopened directories", ErrorCode::ResourceLimit};
  if (table_.size() <= slot) table_.resize(slot + 1);
  table_[slot] = std::move(e);
  return success();
}

Errno WasiContext::insert(std::unique_ptr<FdEntry> entry, uint32_t& fd) {
  size_t open = 0;
  size_t free = table_.size();
  for (size_t i = 0; i < table_.size(); i++) {
    if (table_[i]) {
      open++;
    } else if (free == table_.size()) {
      free = i;
    }
  }
  if (open >= maxFds_ || free >= maxFds_) return Errno::Mfile;
  if (free == table_.size()) table_.emplace_back();
  table_[free] = std::move(entry);
  fd = static_cast<uint32_t>(free);
  return Errno::Success;
}

Errno WasiContext::close(uint32_t fd) {
  if (!get(fd)) return Errno::Badf;
  table_[fd].reset();
  while (!table_.empty() && !table_.back()) table_.pop_back();
  return Errno::Success;
}

Errno WasiContext::renumber(uint32_t from, uint32_t to) {
  if (!get(from)) return Errno::Badf;
  // `to` is normally open (and closed by this), but it may also be a standard stream or
  // a closed number below an open one: wasi-libc's freopen and programs that park
  // stdout elsewhere (yosys running ABC) renumber a file onto a vacated 0/1/2, as
  // dup2 would allow, and the preview1 component adapter accepts it. Numbers beyond
  // the table stay EBADF, so a guest cannot make the table sparse and huge.
  if (!get(to) && to > 2 && to >= table_.size()) return Errno::Badf;
  if (from == to) return Errno::Success;
  if (table_.size() <= to) table_.resize(to + 1);
  table_[to] = std::move(table_[from]);
  while (!table_.empty() && !table_.back()) table_.pop_back();
  return Errno::Success;
}

// ---- fd_readdir ---------------------------------------------------------------------

Errno DirStream::rewind(int dirFd) {
  if (lseek(dirFd, 0, SEEK_SET) < 0) return fromHostErrno(errno);
  pos_ = end_ = 0;
  index_ = 0;
  eof_ = false;
  started_ = true;
  return Errno::Success;
}

Errno DirStream::peek(int dirFd, Entry& entry, bool& have) {
  have = false;
  if (pos_ >= end_) {
    if (eof_) return Errno::Success;
    if (buf_.empty()) buf_.resize(kDirBufferSize);
    const long n = syscall(SYS_getdents64, dirFd, buf_.data(), buf_.size());
    if (n < 0) return fromHostErrno(errno);
    pos_ = 0;
    end_ = static_cast<size_t>(n);
    if (n == 0) {
      eof_ = true;
      return Errno::Success;
    }
  }
  const auto* d = reinterpret_cast<const LinuxDirent64*>(buf_.data() + pos_);
  entry.ino = d->d_ino;
  entry.name = d->d_name;
  entry.nameLen = static_cast<uint32_t>(std::strlen(d->d_name));
  entry.type = filetypeOfDirentType(d->d_type);
  if (d->d_type == DT_UNKNOWN) {
    // Some file systems do not fill d_type; ask for the entry itself (not a target).
    struct stat st;
    if (fstatat(dirFd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      entry.type = static_cast<uint8_t>(filetypeOfMode(st.st_mode));
    }
  }
  have = true;
  return Errno::Success;
}

void DirStream::advance() {
  const auto* d = reinterpret_cast<const LinuxDirent64*>(buf_.data() + pos_);
  pos_ += d->d_reclen;
  index_++;
}

Errno DirStream::read(int dirFd, uint64_t cookie, uint8_t* out, uint32_t len, uint32_t& used) {
  used = 0;
  Entry e;
  bool have;
  // Sequential reads continue where the last call stopped (including an entry that
  // was cut short); any other cookie restarts from the beginning and skips entries,
  // which also makes rewinddir (cookie 0) see the directory's current contents.
  if (!started_ || cookie != index_) {
    if (Errno err = rewind(dirFd); err != Errno::Success) return err;
    while (index_ < cookie) {
      if (Errno err = peek(dirFd, e, have); err != Errno::Success) return err;
      if (!have) return Errno::Success;
      advance();
    }
  }
  while (used < len) {
    if (Errno err = peek(dirFd, e, have); err != Errno::Success) return err;
    if (!have) break;
    uint8_t header[layout::kDirentSize] = {};
    const uint64_t next = index_ + 1;
    std::memcpy(header + 0, &next, 8);
    std::memcpy(header + 8, &e.ino, 8);
    std::memcpy(header + 16, &e.nameLen, 4);
    header[20] = e.type;
    const uint32_t room = len - used;
    const uint32_t h = room < layout::kDirentSize ? room : layout::kDirentSize;
    std::memcpy(out + used, header, h);
    used += h;
    const uint32_t nameRoom = len - used;
    const uint32_t n = nameRoom < e.nameLen ? nameRoom : e.nameLen;
    std::memcpy(out + used, e.name, n);
    used += n;
    // An entry cut short stays current: the guest asks again from its cookie, with the
    // same (sequential) cookie or a bigger buffer.
    if (h < layout::kDirentSize || n < e.nameLen) break;
    advance();
  }
  return Errno::Success;
}

}  // namespace wisp::wasi
