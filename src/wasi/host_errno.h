// Translation of host (Linux) errno values into WASI errno values.
#pragma once

#include "wasi/abi.h"

namespace wisp::wasi {

/// The WASI errno for a host errno (EIO for those WASI has no name for).
Errno fromHostErrno(int hostErrno);

}  // namespace wisp::wasi
