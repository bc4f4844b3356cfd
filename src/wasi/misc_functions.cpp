// WASI calls that are not about files: arguments and environment, clocks, poll_oneoff,
// randomness, process exit/raise, sched_yield, and the sock_* calls (which work on
// host sockets handed to the guest as descriptors; WASI preview1 cannot create any).
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "wasi/functions.h"
#include "wasi/host_errno.h"

namespace wisp::wasi::detail {

namespace {

// ---- args and environment -----------------------------------------------------------

// Count and total size (each string plus its NUL) of a string list.
Errno listSizes(const std::vector<std::string>& list, uint32_t& count, uint32_t& bytes) {
  uint64_t total = 0;
  for (const std::string& s : list) total += s.size() + 1;
  if (list.size() > UINT32_MAX || total > UINT32_MAX) return Errno::Overflow;
  count = static_cast<uint32_t>(list.size());
  bytes = static_cast<uint32_t>(total);
  return Errno::Success;
}

Errno storeListSizes(Call& c, const std::vector<std::string>& list) {
  const uint32_t countPtr = c.u32(0), sizePtr = c.u32(1);
  uint32_t count, bytes;
  if (Errno e = listSizes(list, count, bytes); e != Errno::Success) return e;
  if (!c.mem.inBounds(countPtr, 4) || !c.mem.inBounds(sizePtr, 4)) return Errno::Fault;
  c.mem.store<uint32_t>(countPtr, count);
  c.mem.store<uint32_t>(sizePtr, bytes);
  return Errno::Success;
}

// Writes the strings NUL-terminated and packed at bufPtr, and a pointer to each at
// ptrsPtr (the layout args_get and environ_get share).
Errno storeList(Call& c, const std::vector<std::string>& list) {
  const uint32_t ptrsPtr = c.u32(0), bufPtr = c.u32(1);
  uint32_t count, bytes;
  if (Errno e = listSizes(list, count, bytes); e != Errno::Success) return e;
  auto ptrs = c.mem.array(ptrsPtr, count, 4);
  auto buf = c.mem.bytes(bufPtr, bytes);
  if (!ptrs || !buf) return Errno::Fault;
  uint32_t offset = 0;
  for (uint32_t i = 0; i < count; i++) {
    const std::string& s = list[i];
    const uint32_t p = bufPtr + offset;  // in bounds: bufPtr + bytes fits the memory
    std::memcpy(ptrs->data() + 4 * size_t{i}, &p, 4);
    std::memcpy(buf->data() + offset, s.data(), s.size());
    buf->data()[offset + s.size()] = 0;
    offset += static_cast<uint32_t>(s.size()) + 1;
  }
  return Errno::Success;
}

// ---- clocks ---------------------------------------------------------------------------

bool hostClock(uint32_t id, clockid_t& out) {
  switch (static_cast<ClockId>(id)) {
    case ClockId::Realtime:
      out = CLOCK_REALTIME;
      return true;
    case ClockId::Monotonic:
      out = CLOCK_MONOTONIC;
      return true;
    case ClockId::ProcessCputime:
      out = CLOCK_PROCESS_CPUTIME_ID;
      return true;
    case ClockId::ThreadCputime:
      out = CLOCK_THREAD_CPUTIME_ID;
      return true;
  }
  return false;
}

uint64_t now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return toNanos(ts);
}

uint64_t saturatingAdd(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

// ---- poll_oneoff ----------------------------------------------------------------------

// More subscriptions than this are refused (ENOTSUP) rather than making the host
// allocate for millions of them.
constexpr uint32_t kMaxSubscriptions = 1 << 16;
// Longest single wait: blocking waits wake up this often to notice Store::interrupt().
constexpr uint64_t kWaitSliceNs = 100'000'000;

using Scratch = WasiContext::PollScratch;

// Readiness of an fd subscription that needs no waiting: in-memory streams and regular
// files (always ready, like POSIX poll says), or an error. Returns false when the host
// must be asked with poll().
bool immediateFdEvent(Call& c, const Scratch::Subscription& s, Scratch::Event& ev) {
  ev = {s.userdata, 0, Errno::Success, s.type, 0};
  FdEntry* e = c.ctx.get(s.fd);
  if (!e) {
    ev.error = Errno::Badf;
    return true;
  }
  if (!(e->rightsBase & rights::kPollFdReadwrite)) {
    ev.error = Errno::NotCapable;
    return true;
  }
  const bool read = s.type == EventType::FdRead;
  switch (e->kind) {
    case FdEntry::Kind::Input:
      if (!read) {
        ev.error = Errno::Badf;
      } else {
        ev.nbytes = e->input->remaining();
        if (ev.nbytes == 0) ev.flags = kEventFdReadwriteHangup;
      }
      return true;
    case FdEntry::Kind::Output:
      if (read) {
        ev.error = Errno::Badf;
      } else {
        ev.nbytes = e->output->room();
      }
      return true;
    case FdEntry::Kind::Host:
      break;
  }
  if (e->type != Filetype::RegularFile && e->type != Filetype::BlockDevice &&
      e->type != Filetype::Directory) {
    return false;
  }
  if (read && e->type == Filetype::RegularFile) {
    struct stat st;
    const off_t pos = lseek(e->hostFd, 0, SEEK_CUR);
    if (fstat(e->hostFd, &st) == 0 && pos >= 0 && st.st_size > pos) {
      ev.nbytes = static_cast<uint64_t>(st.st_size - pos);
    }
  }
  return true;
}

void fdEventFromRevents(const FdEntry* e, short revents, Scratch::Event& ev) {
  if (revents & POLLNVAL) {
    ev.error = Errno::Badf;
    return;
  }
  if (revents & POLLHUP) ev.flags = kEventFdReadwriteHangup;
  if ((revents & POLLERR) && !(revents & (POLLIN | POLLOUT))) {
    ev.error = Errno::Io;
    return;
  }
  if (ev.type == EventType::FdRead && e) {
    int avail = 0;
    if (ioctl(e->hostFd, FIONREAD, &avail) == 0 && avail > 0) {
      ev.nbytes = static_cast<uint64_t>(avail);
    }
  }
}

}  // namespace

// args_get(argv: **u8, argv_buf: *u8)
Errno argsGet(Call& c) { return storeList(c, c.ctx.args()); }
// args_sizes_get(argc: *size, argv_buf_size: *size)
Errno argsSizesGet(Call& c) { return storeListSizes(c, c.ctx.args()); }
// environ_get(environ: **u8, environ_buf: *u8)
Errno environGet(Call& c) { return storeList(c, c.ctx.env()); }
// environ_sizes_get(count: *size, buf_size: *size)
Errno environSizesGet(Call& c) { return storeListSizes(c, c.ctx.env()); }

// clock_res_get(id: clockid, resolution: *timestamp)
Errno clockResGet(Call& c) {
  clockid_t clock;
  if (!hostClock(c.u32(0), clock)) return Errno::Inval;
  const uint32_t ret = c.u32(1);
  if (!c.mem.inBounds(ret, 8)) return Errno::Fault;
  struct timespec ts;
  if (clock_getres(clock, &ts) != 0) return fromHostErrno(errno);
  uint64_t res = toNanos(ts);
  if (res == 0) res = 1;  // the spec requires a non-zero resolution
  c.mem.store<uint64_t>(ret, res);
  return Errno::Success;
}

// clock_time_get(id: clockid, precision: timestamp, time: *timestamp)
Errno clockTimeGet(Call& c) {
  clockid_t clock;
  if (!hostClock(c.u32(0), clock)) return Errno::Inval;
  const uint32_t ret = c.u32(2);
  if (!c.mem.inBounds(ret, 8)) return Errno::Fault;
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return fromHostErrno(errno);
  c.mem.store<uint64_t>(ret, toNanos(ts));
  return Errno::Success;
}

// poll_oneoff(in: *subscription, out: *event, nsubscriptions: size, nevents: *size)
Errno pollOneoff(Call& c) {
  const uint32_t inPtr = c.u32(0), outPtr = c.u32(1), n = c.u32(2), ret = c.u32(3);
  if (n == 0) return Errno::Inval;  // would block forever
  if (n > kMaxSubscriptions) return Errno::NotSup;
  auto in = c.mem.array(inPtr, n, layout::kSubscriptionSize);
  auto out = c.mem.array(outPtr, n, layout::kEventSize);
  if (!in || !out || !c.mem.inBounds(ret, 4)) return Errno::Fault;

  Scratch& s = c.ctx.pollScratch();
  s.subs.clear();
  s.fds.clear();
  s.fdSub.clear();
  s.events.clear();

  // Decode every subscription before writing any event: `in` and `out` may overlap.
  const uint64_t start = now(CLOCK_MONOTONIC);
  uint64_t earliest = UINT64_MAX;
  bool haveClock = false;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t* p = in->data() + size_t{i} * layout::kSubscriptionSize;
    Scratch::Subscription sub{};
    std::memcpy(&sub.userdata, p, 8);
    const uint8_t tag = p[8];
    sub.error = Errno::Success;
    if (tag == static_cast<uint8_t>(EventType::Clock)) {
      sub.type = EventType::Clock;
      uint32_t id;
      uint64_t timeout;
      uint16_t flags;
      std::memcpy(&id, p + 16, 4);
      std::memcpy(&timeout, p + 24, 8);
      std::memcpy(&flags, p + 40, 2);
      const bool abs = flags & kSubscriptionClockAbstime;
      if (flags & ~kSubscriptionClockAbstime) {
        sub.error = Errno::Inval;
      } else if (id == static_cast<uint32_t>(ClockId::Monotonic)) {
        sub.deadline = abs ? timeout : saturatingAdd(start, timeout);
      } else if (id == static_cast<uint32_t>(ClockId::Realtime)) {
        // Waits are measured on the monotonic clock; an absolute realtime deadline is
        // converted once (a later jump of the realtime clock is not tracked).
        const uint64_t real = now(CLOCK_REALTIME);
        sub.deadline = !abs              ? saturatingAdd(start, timeout)
                       : timeout <= real ? start
                                         : saturatingAdd(start, timeout - real);
      } else {
        // CPU-time clocks cannot be waited on; unknown ids are invalid.
        sub.error =
            id <= static_cast<uint32_t>(ClockId::ThreadCputime) ? Errno::NotSup : Errno::Inval;
      }
      if (sub.error == Errno::Success) {
        haveClock = true;
        earliest = std::min(earliest, sub.deadline);
      }
    } else if (tag == static_cast<uint8_t>(EventType::FdRead) ||
               tag == static_cast<uint8_t>(EventType::FdWrite)) {
      sub.type = static_cast<EventType>(tag);
      std::memcpy(&sub.fd, p + 16, 4);
    } else {
      sub.type = EventType::Clock;
      sub.error = Errno::Inval;
    }
    s.subs.push_back(sub);
  }

  // Events that need no waiting; the rest of the fd subscriptions go to poll().
  for (uint32_t i = 0; i < n; i++) {
    const Scratch::Subscription& sub = s.subs[i];
    if (sub.error != Errno::Success) {
      s.events.push_back({sub.userdata, 0, sub.error, sub.type, 0});
      continue;
    }
    if (sub.type == EventType::Clock) continue;
    Scratch::Event ev;
    if (immediateFdEvent(c, sub, ev)) {
      s.events.push_back(ev);
    } else {
      const short want = sub.type == EventType::FdRead ? POLLIN : POLLOUT;
      s.fds.push_back({c.ctx.get(sub.fd)->hostFd, want, 0});
      s.fdSub.push_back(i);
    }
  }

  runtime::Store* store = c.caller.store();
  for (;;) {
    const uint64_t t = now(CLOCK_MONOTONIC);
    uint64_t wait = UINT64_MAX;  // nanoseconds; UINT64_MAX = no deadline
    if (!s.events.empty()) {
      wait = 0;
    } else if (haveClock) {
      wait = earliest > t ? earliest - t : 0;
    }
    const uint64_t slice = std::min(wait, kWaitSliceNs);
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(slice / 1000000000ull);
    ts.tv_nsec = static_cast<long>(slice % 1000000000ull);
    const int r = ppoll(s.fds.data(), s.fds.size(), &ts, nullptr);
    if (r < 0 && errno != EINTR) return fromHostErrno(errno);
    if (r > 0) {
      for (size_t k = 0; k < s.fds.size(); k++) {
        if (!s.fds[k].revents) continue;
        const Scratch::Subscription& sub = s.subs[s.fdSub[k]];
        Scratch::Event ev{sub.userdata, 0, Errno::Success, sub.type, 0};
        fdEventFromRevents(c.ctx.get(sub.fd), s.fds[k].revents, ev);
        s.events.push_back(ev);
      }
    }
    if (haveClock) {
      // ppoll never returns before its timeout, but checking the clock ourselves also
      // covers slices and signals: a timer fires only once its deadline has passed.
      const uint64_t after = now(CLOCK_MONOTONIC);
      for (const Scratch::Subscription& sub : s.subs) {
        if (sub.type == EventType::Clock && sub.error == Errno::Success && sub.deadline <= after) {
          s.events.push_back({sub.userdata, 0, Errno::Success, EventType::Clock, 0});
        }
      }
    }
    if (!s.events.empty()) break;
    // Nothing yet: keep waiting unless the embedder asked the guest to stop (the guest
    // then traps with Interrupted at its next function entry or loop).
    if (store && store->interruptRequested()) return Errno::Intr;
  }

  for (size_t k = 0; k < s.events.size(); k++) {
    const Scratch::Event& ev = s.events[k];
    uint8_t buf[layout::kEventSize] = {};
    const uint16_t err = static_cast<uint16_t>(ev.error);
    std::memcpy(buf + 0, &ev.userdata, 8);
    std::memcpy(buf + 8, &err, 2);
    buf[10] = static_cast<uint8_t>(ev.type);
    std::memcpy(buf + 16, &ev.nbytes, 8);
    std::memcpy(buf + 24, &ev.flags, 2);
    std::memcpy(out->data() + k * layout::kEventSize, buf, sizeof buf);
  }
  c.mem.store<uint32_t>(ret, static_cast<uint32_t>(s.events.size()));
  return Errno::Success;
}

// proc_exit(rval: exitcode): unwinds the guest with the exit code.
runtime::HostResult procExit(runtime::Caller&, jit::RawValue* values, void*) {
  return runtime::HostResult::exit(static_cast<int32_t>(values[0].lo));
}

// proc_raise(sig: signal): signals cannot be delivered to a WASI guest.
Errno procRaise(Call&) { return Errno::NoSys; }

// sched_yield()
Errno schedYield(Call&) {
  sched_yield();
  return Errno::Success;
}

// random_get(buf: *u8, buf_len: size)
Errno randomGet(Call& c) {
  auto buf = c.mem.bytes(c.u32(0), c.u32(1));
  if (!buf) return Errno::Fault;
  size_t done = 0;
  while (done < buf->size()) {
    const ssize_t r = getrandom(buf->data() + done, buf->size() - done, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fromHostErrno(errno);
    }
    done += static_cast<size_t>(r);
  }
  return Errno::Success;
}

// ---- sockets ----------------------------------------------------------------------

namespace {

// A socket descriptor holding `required`: EBADF if not open, ENOTSOCK if not a socket.
Errno lookupSocket(Call& c, uint32_t fd, uint64_t required, FdEntry*& out) {
  out = c.ctx.get(fd);
  if (!out) return Errno::Badf;
  if (!out->isSocket()) return Errno::NotSock;
  if ((out->rightsBase & required) != required) return Errno::NotCapable;
  return Errno::Success;
}

}  // namespace

// sock_accept(fd, flags: fdflags, *fd)
Errno sockAccept(Call& c) {
  const uint32_t flags = c.u32(1), ret = c.u32(2);
  FdEntry* e;
  if (Errno err = lookupSocket(c, c.u32(0), rights::kSockAccept, e); err != Errno::Success) {
    return err;
  }
  if (flags & ~uint32_t{fdflags::kNonblock}) return Errno::Inval;
  if (!c.mem.inBounds(ret, 4)) return Errno::Fault;
  int fd;
  do {
    fd = accept4(e->hostFd, nullptr, nullptr,
                 SOCK_CLOEXEC | ((flags & fdflags::kNonblock) ? SOCK_NONBLOCK : 0));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return fromHostErrno(errno);
  UniqueFd owned(fd);
  std::unique_ptr<FdEntry> entry = describeHostFd(fd, O_RDWR);
  if (!entry) return fromHostErrno(errno);
  entry->rightsBase &= rights::kSocket & ~rights::kSockAccept;
  entry->flags = static_cast<uint16_t>(flags);
  entry->owned = std::move(owned);
  uint32_t newFd;
  if (Errno err = c.ctx.insert(std::move(entry), newFd); err != Errno::Success) return err;
  c.mem.store<uint32_t>(ret, newFd);
  return Errno::Success;
}

// sock_recv(fd, ri_data: iovec_array, ri_flags, *ro_datalen, *ro_flags)
Errno sockRecv(Call& c) {
  const uint32_t iovs = c.u32(1), count = c.u32(2), riFlags = c.u32(3);
  const uint32_t lenPtr = c.u32(4), flagsPtr = c.u32(5);
  FdEntry* e;
  if (Errno err = lookupSocket(c, c.u32(0), rights::kFdRead, e); err != Errno::Success) {
    return err;
  }
  if (riFlags & ~uint32_t{kRecvPeek | kRecvWaitall}) return Errno::Inval;
  if (!c.mem.inBounds(lenPtr, 4) || !c.mem.inBounds(flagsPtr, 2)) return Errno::Fault;
  IovecBuffer& iov = c.ctx.iovecs();
  if (Errno err = iov.gather(c.mem, iovs, count); err != Errno::Success) return err;
  struct msghdr msg = {};
  msg.msg_iov = const_cast<struct iovec*>(iov.data());
  msg.msg_iovlen = static_cast<size_t>(iov.count());
  const int hostFlags =
      ((riFlags & kRecvPeek) ? MSG_PEEK : 0) | ((riFlags & kRecvWaitall) ? MSG_WAITALL : 0);
  ssize_t n;
  do n = recvmsg(e->hostFd, &msg, hostFlags);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fromHostErrno(errno);
  c.mem.store<uint32_t>(lenPtr, static_cast<uint32_t>(n));
  c.mem.store<uint16_t>(flagsPtr, (msg.msg_flags & MSG_TRUNC) ? kRecvDataTruncated : 0);
  return Errno::Success;
}

// sock_send(fd, si_data: ciovec_array, si_flags, *so_datalen)
Errno sockSend(Call& c) {
  const uint32_t iovs = c.u32(1), count = c.u32(2), siFlags = c.u32(3), ret = c.u32(4);
  FdEntry* e;
  if (Errno err = lookupSocket(c, c.u32(0), rights::kFdWrite, e); err != Errno::Success) {
    return err;
  }
  if (siFlags != 0) return Errno::Inval;  // preview1 defines no send flags
  if (!c.mem.inBounds(ret, 4)) return Errno::Fault;
  IovecBuffer& iov = c.ctx.iovecs();
  if (Errno err = iov.gather(c.mem, iovs, count); err != Errno::Success) return err;
  struct msghdr msg = {};
  msg.msg_iov = const_cast<struct iovec*>(iov.data());
  msg.msg_iovlen = static_cast<size_t>(iov.count());
  ssize_t n;
  // MSG_NOSIGNAL: a closed peer is EPIPE for the guest, not SIGPIPE for the host.
  do n = sendmsg(e->hostFd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fromHostErrno(errno);
  c.mem.store<uint32_t>(ret, static_cast<uint32_t>(n));
  return Errno::Success;
}

// sock_shutdown(fd, how: sdflags)
Errno sockShutdown(Call& c) {
  const uint32_t how = c.u32(1);
  FdEntry* e;
  if (Errno err = lookupSocket(c, c.u32(0), rights::kSockShutdown, e); err != Errno::Success) {
    return err;
  }
  int hostHow;
  switch (how) {
    case kShutRd:
      hostHow = SHUT_RD;
      break;
    case kShutWr:
      hostHow = SHUT_WR;
      break;
    case kShutRd | kShutWr:
      hostHow = SHUT_RDWR;
      break;
    default:
      return Errno::Inval;
  }
  return shutdown(e->hostFd, hostHow) == 0 ? Errno::Success : fromHostErrno(errno);
}

}  // namespace wisp::wasi::detail
