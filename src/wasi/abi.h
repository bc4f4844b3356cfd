// The wasi_snapshot_preview1 ABI as the guest sees it: errno values, rights, flags and
// the byte layout of every structure passed through linear memory. Numbers and offsets
// follow wasi_snapshot_preview1.witx / typenames.witx (and wasi-libc's wasi/api.h,
// which is generated from them). Guest structures are little-endian and are always
// read and written field by field through GuestMemory, never by casting host pointers.
#pragma once

#include <cstdint>

namespace wisp::wasi {

/// errno (u16). Only the values this implementation produces need names, but all are
/// listed so host errors can be mapped one to one.
enum class Errno : uint16_t {
  Success = 0,
  TooBig = 1,  // 2BIG
  Acces = 2,
  AddrInUse = 3,
  AddrNotAvail = 4,
  AfNoSupport = 5,
  Again = 6,
  Already = 7,
  Badf = 8,
  BadMsg = 9,
  Busy = 10,
  Canceled = 11,
  Child = 12,
  ConnAborted = 13,
  ConnRefused = 14,
  ConnReset = 15,
  Deadlk = 16,
  DestAddrReq = 17,
  Dom = 18,
  Dquot = 19,
  Exist = 20,
  Fault = 21,
  Fbig = 22,
  HostUnreach = 23,
  Idrm = 24,
  Ilseq = 25,
  InProgress = 26,
  Intr = 27,
  Inval = 28,
  Io = 29,
  IsConn = 30,
  IsDir = 31,
  Loop = 32,
  Mfile = 33,
  Mlink = 34,
  MsgSize = 35,
  Multihop = 36,
  NameTooLong = 37,
  NetDown = 38,
  NetReset = 39,
  NetUnreach = 40,
  Nfile = 41,
  NoBufs = 42,
  NoDev = 43,
  NoEnt = 44,
  NoExec = 45,
  NoLck = 46,
  NoLink = 47,
  NoMem = 48,
  NoMsg = 49,
  NoProtoOpt = 50,
  NoSpc = 51,
  NoSys = 52,
  NotConn = 53,
  NotDir = 54,
  NotEmpty = 55,
  NotRecoverable = 56,
  NotSock = 57,
  NotSup = 58,
  NoTty = 59,
  Nxio = 60,
  Overflow = 61,
  OwnerDead = 62,
  Perm = 63,
  Pipe = 64,
  Proto = 65,
  ProtoNoSupport = 66,
  ProtoType = 67,
  Range = 68,
  Rofs = 69,
  Spipe = 70,
  Srch = 71,
  Stale = 72,
  TimedOut = 73,
  TxtBsy = 74,
  Xdev = 75,
  NotCapable = 76,
};

/// rights (u64 bit set).
namespace rights {
constexpr uint64_t kFdDatasync = 1ull << 0;
constexpr uint64_t kFdRead = 1ull << 1;
constexpr uint64_t kFdSeek = 1ull << 2;
constexpr uint64_t kFdFdstatSetFlags = 1ull << 3;
constexpr uint64_t kFdSync = 1ull << 4;
constexpr uint64_t kFdTell = 1ull << 5;
constexpr uint64_t kFdWrite = 1ull << 6;
constexpr uint64_t kFdAdvise = 1ull << 7;
constexpr uint64_t kFdAllocate = 1ull << 8;
constexpr uint64_t kPathCreateDirectory = 1ull << 9;
constexpr uint64_t kPathCreateFile = 1ull << 10;
constexpr uint64_t kPathLinkSource = 1ull << 11;
constexpr uint64_t kPathLinkTarget = 1ull << 12;
constexpr uint64_t kPathOpen = 1ull << 13;
constexpr uint64_t kFdReaddir = 1ull << 14;
constexpr uint64_t kPathReadlink = 1ull << 15;
constexpr uint64_t kPathRenameSource = 1ull << 16;
constexpr uint64_t kPathRenameTarget = 1ull << 17;
constexpr uint64_t kPathFilestatGet = 1ull << 18;
constexpr uint64_t kPathFilestatSetSize = 1ull << 19;
constexpr uint64_t kPathFilestatSetTimes = 1ull << 20;
constexpr uint64_t kFdFilestatGet = 1ull << 21;
constexpr uint64_t kFdFilestatSetSize = 1ull << 22;
constexpr uint64_t kFdFilestatSetTimes = 1ull << 23;
constexpr uint64_t kPathSymlink = 1ull << 24;
constexpr uint64_t kPathRemoveDirectory = 1ull << 25;
constexpr uint64_t kPathUnlinkFile = 1ull << 26;
constexpr uint64_t kPollFdReadwrite = 1ull << 27;
constexpr uint64_t kSockShutdown = 1ull << 28;
constexpr uint64_t kSockAccept = 1ull << 29;
constexpr uint64_t kAll = (1ull << 30) - 1;

/// What an open regular file (or stream) can be asked to do.
constexpr uint64_t kFile = kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync | kFdTell |
                           kFdWrite | kFdAdvise | kFdAllocate | kFdFilestatGet |
                           kFdFilestatSetSize | kFdFilestatSetTimes | kPollFdReadwrite;
/// What an open directory can be asked to do (operations on paths beneath it).
constexpr uint64_t kDirectory =
    kFdFdstatSetFlags | kFdSync | kFdAdvise | kPathCreateDirectory | kPathCreateFile |
    kPathLinkSource | kPathLinkTarget | kPathOpen | kFdReaddir | kPathReadlink | kPathRenameSource |
    kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize | kPathFilestatSetTimes |
    kFdFilestatGet | kFdFilestatSetTimes | kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile;
/// Rights that can change the file system or file contents: removed from read-only
/// preopens (and so from everything opened through them).
constexpr uint64_t kMutating = kFdDatasync | kFdWrite | kFdAllocate | kPathCreateDirectory |
                               kPathCreateFile | kPathLinkSource | kPathLinkTarget |
                               kPathRenameSource | kPathRenameTarget | kPathFilestatSetSize |
                               kPathFilestatSetTimes | kFdFilestatSetSize | kFdFilestatSetTimes |
                               kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile;
/// Rights whose presence makes path_open ask the host for write access.
constexpr uint64_t kWriteAccess = kFdDatasync | kFdWrite | kFdAllocate | kFdFilestatSetSize;
/// Rights whose presence makes path_open ask the host for read access.
constexpr uint64_t kReadAccess = kFdRead | kFdReaddir;
/// A connected or listening socket.
constexpr uint64_t kSocket = kFdRead | kFdWrite | kFdFdstatSetFlags | kFdFilestatGet |
                             kPollFdReadwrite | kSockShutdown | kSockAccept;
}  // namespace rights

/// filetype (u8).
enum class Filetype : uint8_t {
  Unknown = 0,
  BlockDevice = 1,
  CharacterDevice = 2,
  Directory = 3,
  RegularFile = 4,
  SocketDgram = 5,
  SocketStream = 6,
  SymbolicLink = 7,
};

/// fdflags (u16).
namespace fdflags {
constexpr uint16_t kAppend = 1 << 0;
constexpr uint16_t kDsync = 1 << 1;
constexpr uint16_t kNonblock = 1 << 2;
constexpr uint16_t kRsync = 1 << 3;
constexpr uint16_t kSync = 1 << 4;
constexpr uint16_t kAll = 0x1f;
}  // namespace fdflags

/// oflags (u16).
namespace oflags {
constexpr uint16_t kCreat = 1 << 0;
constexpr uint16_t kDirectory = 1 << 1;
constexpr uint16_t kExcl = 1 << 2;
constexpr uint16_t kTrunc = 1 << 3;
constexpr uint16_t kAll = 0xf;
}  // namespace oflags

/// lookupflags (u32).
constexpr uint32_t kLookupSymlinkFollow = 1;

/// fstflags (u16).
namespace fstflags {
constexpr uint16_t kAtim = 1 << 0;
constexpr uint16_t kAtimNow = 1 << 1;
constexpr uint16_t kMtim = 1 << 2;
constexpr uint16_t kMtimNow = 1 << 3;
constexpr uint16_t kAll = 0xf;
}  // namespace fstflags

/// whence (u8).
enum class Whence : uint8_t { Set = 0, Cur = 1, End = 2 };

/// clockid (u32).
enum class ClockId : uint32_t {
  Realtime = 0,
  Monotonic = 1,
  ProcessCputime = 2,
  ThreadCputime = 3
};

/// advice (u8): NORMAL .. NOREUSE.
constexpr uint32_t kMaxAdvice = 5;

/// eventtype (u8).
enum class EventType : uint8_t { Clock = 0, FdRead = 1, FdWrite = 2 };
/// subclockflags (u16).
constexpr uint16_t kSubscriptionClockAbstime = 1;
/// eventrwflags (u16).
constexpr uint16_t kEventFdReadwriteHangup = 1;

/// riflags (u16), roflags (u16), siflags (u16: none defined), sdflags (u8).
constexpr uint16_t kRecvPeek = 1;
constexpr uint16_t kRecvWaitall = 2;
constexpr uint16_t kRecvDataTruncated = 1;
constexpr uint8_t kShutRd = 1;
constexpr uint8_t kShutWr = 2;

/// preopentype (u8).
constexpr uint8_t kPreopenTypeDir = 0;

/// dircookie of the first entry.
constexpr uint64_t kDirCookieStart = 0;

/// Byte layouts (size and field offsets) of guest structures.
namespace layout {
// iovec / ciovec: buf (u32 pointer), buf_len (u32).
constexpr uint32_t kIovecSize = 8;
// fdstat: filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16.
constexpr uint32_t kFdstatSize = 24;
// filestat: dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48,
// ctim @56.
constexpr uint32_t kFilestatSize = 64;
// dirent: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20; name follows.
constexpr uint32_t kDirentSize = 24;
// prestat: tag u8 @0, u.dir.pr_name_len u32 @4.
constexpr uint32_t kPrestatSize = 8;
// subscription: userdata u64 @0, tag u8 @8, then the union at @16:
//   clock: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40
//   fd_read / fd_write: file_descriptor u32 @16
constexpr uint32_t kSubscriptionSize = 48;
// event: userdata u64 @0, error u16 @8, type u8 @10, fd_readwrite.nbytes u64 @16,
// fd_readwrite.flags u16 @24.
constexpr uint32_t kEventSize = 32;
}  // namespace layout

constexpr const char* kModuleName = "wasi_snapshot_preview1";

}  // namespace wisp::wasi
