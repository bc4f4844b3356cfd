// WasiContext: the state one guest's WASI calls act on -- arguments, environment, the
// descriptor table (stdio, preopened directories, files and directories opened
// through them) and in-memory stdio. One context per Store, reached by the host
// functions through Store::userData:
//
//   wasi::WasiContext wasi;
//   wasi.setArgs({"prog.wasm", "arg"});
//   wasi.preopenDirectory("/srv/data", "/data", /*readOnly=*/true);
//   wasi.setStdin(requestBody);
//   wasi.captureStdout(1 << 20);
//   runtime::Store store(engine);
//   store.userData = &wasi;
//   ... instantiate with a Linker passed to wasi::addToLinker, call _start ...
//   std::string response = wasi.takeStdout();
//
// Not thread-safe: like its Store, a context is used by one thread at a time.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "decoder/result.h"
#include "wasi/abi.h"
#include "wasi/guest_memory.h"
#include "wasi/streams.h"
#include "wasi/unique_fd.h"

namespace wisp::runtime {
class Caller;
}

namespace wisp::wasi {

/// Position of an fd_readdir stream: the host directory offset plus the index of the
/// next entry, which is the cookie the guest passes back (small integers, so they
/// survive wasi-libc's 32-bit telldir).
class DirStream {
 public:
  /// Serializes entries from `cookie` on into [out, out+len) as dirent + name records,
  /// the last one possibly cut short (as the spec requires); `used` = bytes written.
  Errno read(int dirFd, uint64_t cookie, uint8_t* out, uint32_t len, uint32_t& used);

 private:
  struct Entry {
    uint64_t ino;
    uint8_t type;  // WASI filetype
    const char* name;
    uint32_t nameLen;
  };
  Errno rewind(int dirFd);
  // The entry at the current position (valid until advance()), or false at the end.
  Errno peek(int dirFd, Entry& entry, bool& have);
  void advance();

  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t index_ = 0;
  bool started_ = false;
  bool eof_ = false;
};

/// One open descriptor of the guest.
struct FdEntry {
  enum class Kind : uint8_t { Host, Input, Output };
  Kind kind = Kind::Host;
  Filetype type = Filetype::Unknown;
  uint64_t rightsBase = 0;
  uint64_t rightsInheriting = 0;
  uint16_t flags = 0;  // fdflags
  int hostFd = -1;     // Host: the descriptor I/O goes to
  UniqueFd owned;      // Host: set when the context owns hostFd (not for inherited stdio)
  bool preopen = false;
  std::string preopenName;  // guest path of a preopened directory
  std::shared_ptr<InputStream> input;
  std::shared_ptr<OutputStream> output;
  std::unique_ptr<DirStream> dir;  // created by the first fd_readdir
  // Host file status flags (F_GETFL) to put back when this entry goes away, for host
  // descriptors we do not own whose flags the guest changed: a guest setting
  // O_NONBLOCK on an inherited terminal must not leave the user's shell non-blocking.
  int restoreHostFlags = -1;

  FdEntry() = default;
  FdEntry(const FdEntry&) = delete;
  FdEntry& operator=(const FdEntry&) = delete;
  ~FdEntry();

  bool isDirectory() const { return type == Filetype::Directory; }
  bool isSocket() const {
    return kind == Kind::Host && (type == Filetype::SocketStream || type == Filetype::SocketDgram);
  }
};

class WasiContext {
 public:
  /// No arguments, no environment, no preopens; stdio is the host's fds 0, 1 and 2
  /// (used, never closed by the guest's fd_close).
  WasiContext();
  /// Tag for a context whose stdio the embedder sets itself (setStdin, capture*,
  /// setStdioHostFd): guest descriptors 0-2 start closed instead of describing the
  /// host's, which saves the six system calls of looking those up.
  struct NoHostStdio {};
  explicit WasiContext(NoHostStdio);
  ~WasiContext();
  WasiContext(const WasiContext&) = delete;
  WasiContext& operator=(const WasiContext&) = delete;

  /// The context of the store a host function was called from (Store::userData), or
  /// null when the store has none.
  static WasiContext* fromCaller(runtime::Caller& caller);

  /// argv, argv[0] included.
  void setArgs(std::vector<std::string> args) { args_ = std::move(args); }
  /// Environment entries "NAME=VALUE" (nothing is inherited from the host).
  void setEnv(std::vector<std::string> env) { env_ = std::move(env); }
  const std::vector<std::string>& args() const { return args_; }
  const std::vector<std::string>& env() const { return env_; }

  /// Makes host directory `hostPath` available to the guest as `guestPath` (the next
  /// free descriptor, from 3 on). A read-only preopen, and everything opened through
  /// it, lacks every right that writes, creates, removes, renames or changes metadata.
  Result<void> preopenDirectory(const std::string& hostPath, const std::string& guestPath,
                                bool readOnly = false);

  /// stdin reads `data`, then end of file.
  void setStdin(std::string data);
  /// stdout / stderr are collected in memory, at most maxBytes (see OutputStream).
  void captureStdout(size_t maxBytes);
  void captureStderr(size_t maxBytes);
  /// The bytes collected so far (empty when not capturing); the buffer is emptied.
  std::string takeStdout();
  std::string takeStderr();
  /// True when captured output hit its cap and bytes were refused.
  bool stdoutTruncated() const { return stdout_ && stdout_->truncated(); }
  bool stderrTruncated() const { return stderr_ && stderr_->truncated(); }
  /// Uses host descriptor `hostFd` (not owned) for guest descriptor 0, 1 or 2; a
  /// descriptor that is not open (e.g. -1) leaves the guest's closed (EBADF).
  void setStdioHostFd(uint32_t guestFd, int hostFd);

  /// Largest number of guest descriptors open at once (EMFILE beyond).
  void setMaxFds(uint32_t maxFds) { maxFds_ = maxFds; }

  // ---- used by the host functions ----------------------------------------------

  /// The entry of an open descriptor, or null (EBADF).
  FdEntry* get(uint32_t fd) { return fd < table_.size() ? table_[fd].get() : nullptr; }
  /// Stores an entry under the lowest free descriptor number.
  Errno insert(std::unique_ptr<FdEntry> entry, uint32_t& fd);
  /// Removes (and closes) a descriptor.
  Errno close(uint32_t fd);
  /// Moves `from` over `to` (closing what `to` held). `from` must be open; `to` must be
  /// open, 0-2, or below the highest open descriptor.
  Errno renumber(uint32_t from, uint32_t to);
  /// Scratch iovec storage for the current call.
  IovecBuffer& iovecs() { return iovecs_; }

  /// Scratch storage of poll_oneoff, reused across calls.
  struct PollScratch {
    struct Subscription {
      uint64_t userdata;
      uint64_t deadline;  // clock: CLOCK_MONOTONIC nanoseconds
      uint32_t fd;
      EventType type;
      Errno error;  // decoding error, reported as the event's error
    };
    struct Event {
      uint64_t userdata;
      uint64_t nbytes;
      Errno error;
      EventType type;
      uint16_t flags;
    };
    std::vector<Subscription> subs;
    std::vector<struct pollfd> fds;
    std::vector<uint32_t> fdSub;  // subscription index of each pollfd
    std::vector<Event> events;
  };
  PollScratch& pollScratch() { return poll_; }

 private:
  void setStdio(uint32_t fd, std::unique_ptr<FdEntry> entry);

  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::vector<std::unique_ptr<FdEntry>> table_;
  std::shared_ptr<OutputStream> stdout_;
  std::shared_ptr<OutputStream> stderr_;
  IovecBuffer iovecs_;
  PollScratch poll_;
  uint32_t maxFds_ = 4096;
};

/// Describes a host descriptor for the table: file type from fstat, rights that make
/// sense for it (`access` = O_RDONLY / O_WRONLY / O_RDWR limits read/write rights).
/// Null when hostFd is not open.
std::unique_ptr<FdEntry> describeHostFd(int hostFd, int access);

/// The WASI file type of a host st_mode (FIFOs are Unknown; sockets SocketStream).
Filetype filetypeOfMode(mode_t mode);

}  // namespace wisp::wasi
