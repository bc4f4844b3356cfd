// Internal to src/wasi: what the host function implementations share -- the decoded
// call (context, guest memory, raw argument slots), descriptor lookups with rights
// checks, and the thunk that adapts an implementation to Linker::defineRawFunction.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <cstdint>

#include "runtime/runtime.h"
#include "wasi/abi.h"
#include "wasi/context.h"
#include "wasi/guest_memory.h"

namespace wisp::wasi::detail {

/// One WASI call: arguments are read from the raw slots by index (i32 arguments in the
/// low 32 bits, i64 in all 64); the errno result is written over slot 0 by the thunk.
struct Call {
  WasiContext& ctx;
  GuestMemory mem;
  runtime::Caller& caller;
  const jit::RawValue* args;

  uint32_t u32(int i) const { return static_cast<uint32_t>(args[i].lo); }
  uint64_t u64(int i) const { return args[i].lo; }
};

using Impl = Errno (*)(Call&);

/// Adapts `F` to a raw host callback: finds the store's WasiContext (a store without
/// one is an embedding error, reported as a host trap), runs F, stores its errno.
template <Impl F>
runtime::HostResult thunk(runtime::Caller& caller, jit::RawValue* values, void*) {
  WasiContext* ctx = WasiContext::fromCaller(caller);
  if (!ctx) return runtime::HostResult::error("WASI call in a store without a WasiContext");
  Call call{*ctx, GuestMemory(caller.memory()), caller, values};
  const Errno e = F(call);
  values[0].lo = static_cast<uint16_t>(e);
  values[0].hi = 0;
  return runtime::HostResult::ok();
}

/// The open descriptor `fd`, or EBADF; ENOTCAPABLE when it lacks any of `required`.
inline Errno lookup(Call& c, uint32_t fd, uint64_t required, FdEntry*& out) {
  out = c.ctx.get(fd);
  if (!out) return Errno::Badf;
  if ((out->rightsBase & required) != required) return Errno::NotCapable;
  return Errno::Success;
}

/// A directory descriptor paths can be resolved against, holding `required`.
inline Errno lookupDir(Call& c, uint32_t fd, uint64_t required, FdEntry*& out) {
  out = c.ctx.get(fd);
  if (!out) return Errno::Badf;
  if (!out->isDirectory() || out->kind != FdEntry::Kind::Host) return Errno::NotDir;
  if ((out->rightsBase & required) != required) return Errno::NotCapable;
  return Errno::Success;
}

/// A host time as a WASI timestamp (nanoseconds since the epoch, unsigned: times
/// before 1970 read as 0).
inline uint64_t toNanos(const struct timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

/// Writes a filestat for `st` at ptr (the caller checked the 64 bytes are in bounds).
void storeFilestat(const GuestMemory& mem, uint32_t ptr, const struct stat& st);

/// Converts fst_flags + timestamps into utimensat times (UTIME_OMIT / UTIME_NOW);
/// EINVAL for unknown bits or a timestamp given both explicitly and as NOW.
Errno timesFromFstflags(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec out[2]);

// The implementations, grouped by file.
// fd_functions.cpp
Errno fdAdvise(Call&);
Errno fdAllocate(Call&);
Errno fdClose(Call&);
Errno fdDatasync(Call&);
Errno fdFdstatGet(Call&);
Errno fdFdstatSetFlags(Call&);
Errno fdFdstatSetRights(Call&);
Errno fdFilestatGet(Call&);
Errno fdFilestatSetSize(Call&);
Errno fdFilestatSetTimes(Call&);
Errno fdPread(Call&);
Errno fdPrestatGet(Call&);
Errno fdPrestatDirName(Call&);
Errno fdPwrite(Call&);
Errno fdRead(Call&);
Errno fdReaddir(Call&);
Errno fdRenumber(Call&);
Errno fdSeek(Call&);
Errno fdSync(Call&);
Errno fdTell(Call&);
Errno fdWrite(Call&);
// path_functions.cpp
Errno pathCreateDirectory(Call&);
Errno pathFilestatGet(Call&);
Errno pathFilestatSetTimes(Call&);
Errno pathLink(Call&);
Errno pathOpen(Call&);
Errno pathReadlink(Call&);
Errno pathRemoveDirectory(Call&);
Errno pathRename(Call&);
Errno pathSymlink(Call&);
Errno pathUnlinkFile(Call&);
// misc_functions.cpp
Errno argsGet(Call&);
Errno argsSizesGet(Call&);
Errno environGet(Call&);
Errno environSizesGet(Call&);
Errno clockResGet(Call&);
Errno clockTimeGet(Call&);
Errno pollOneoff(Call&);
Errno procRaise(Call&);
Errno schedYield(Call&);
Errno randomGet(Call&);
Errno sockAccept(Call&);
Errno sockRecv(Call&);
Errno sockSend(Call&);
Errno sockShutdown(Call&);
runtime::HostResult procExit(runtime::Caller&, jit::RawValue*, void*);

}  // namespace wisp::wasi::detail
