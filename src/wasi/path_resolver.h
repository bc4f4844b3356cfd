// Capability-safe path resolution: every path a guest names is resolved relative to a
// directory fd it holds (a preopen or a directory opened through one) and must never
// reach anything outside that directory -- not through absolute paths, not through
// `..`, not through symlinks (absolute or relative, as intermediate or final
// components), and not through /proc magic links.
//
// The primary mechanism is the kernel's openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS),
// which enforces exactly this atomically. Operations without an openat2 form (mkdirat,
// unlinkat, renameat, linkat, symlinkat, readlinkat, fstatat, utimensat) resolve the
// parent directory beneath the base with openat2 and then act on the last component
// relative to that parent fd, never following a symlink there unless it was checked
// (resolveFinal follows final symlinks one hop at a time, re-resolving beneath the base).
//
// Kernels without openat2 (before 5.6, or seccomp filters that reject it) use a portable
// walker: one component at a time with O_PATH | O_NOFOLLOW | O_DIRECTORY, symlinks read
// with readlinkat and expanded by hand (at most kMaxSymlinks), `..` popping a stack of
// directory fds that never goes below the base. A symlink swapped in concurrently is
// never followed (every open uses O_NOFOLLOW), so races can only produce errors.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "wasi/abi.h"
#include "wasi/unique_fd.h"

namespace wisp::wasi {

/// Which resolution strategy to use. Auto = openat2 if the kernel has it.
enum class Resolver { Auto, Openat2, Portable };

/// True when openat2 with RESOLVE_BENEATH works here (probed once). The environment
/// variable WISP_WASI_RESOLVER=portable makes it false (to test the portable walker).
bool openat2Available();

/// Symlinks followed during one resolution before ELOOP (Linux's limit).
constexpr int kMaxSymlinks = 40;

/// The directory holding a path's final component, and that component.
struct ResolvedPath {
  UniqueFd dir;                // O_PATH directory fd beneath (or equal to) the base
  std::string name;            // final component, never empty; "." when the path names `dir`
  bool trailingSlash = false;  // the path ended in '/': the final must be a directory
};

/// Rejects paths no resolution may accept: empty (ENOENT), containing NUL (EINVAL),
/// absolute (ENOTCAPABLE), longer than PATH_MAX (ENAMETOOLONG).
Errno checkGuestPath(std::string_view path);

/// openat(dirFd, path, flags, mode) confined beneath dirFd. O_NOFOLLOW in `flags` means
/// a final symlink is not followed (ELOOP, or the link itself with O_PATH). O_CLOEXEC
/// is always added. Escapes give ENOTCAPABLE.
Errno openBeneath(int dirFd, std::string_view path, int flags, mode_t mode, UniqueFd& out,
                  Resolver resolver = Resolver::Auto);

/// Resolves every component but the last beneath dirFd (following symlinks beneath
/// it). The final component is not looked at: it may not exist, or be a symlink.
/// "x/.." and "." name the directory itself (name "."); trailing slashes are stripped
/// and reported in trailingSlash.
Errno resolveParent(int dirFd, std::string_view path, ResolvedPath& out,
                    Resolver resolver = Resolver::Auto);

/// resolveParent(), then, when `follow` is set, follows a final symlink (and the
/// symlinks it leads to) while staying beneath dirFd. The result's final component is
/// then not a symlink (or does not exist), barring concurrent changes.
Errno resolveFinal(int dirFd, std::string_view path, bool follow, ResolvedPath& out,
                   Resolver resolver = Resolver::Auto);

}  // namespace wisp::wasi
