// WASI preview1 (wasi_snapshot_preview1) for wisp: the public entry points. A
// WasiContext (wasi/context.h) holds one guest's arguments, environment, descriptors
// and stdio; addToLinker makes every preview1 function importable. Each call finds its
// context through the calling store's Store::userData.
#pragma once

#include "runtime/runtime.h"
#include "wasi/context.h"

namespace wisp::wasi {

/// Defines all 46 functions of wasi_snapshot_preview1 in `linker`. The linker may be
/// shared by many stores; each store's userData must point to its own WasiContext
/// before the guest calls into WASI (a call without one is a host-error trap).
void addToLinker(runtime::Linker& linker);
/// Defines only the preview1 functions `module` imports: linking that module behaves
/// exactly as with all of them, without building the host functions it never uses
/// (one instantiation, as in `wisp run`, pays for each it defines).
void addToLinker(runtime::Linker& linker, const runtime::Module& module);

/// Names of all preview1 functions, in witx order (for tests and diagnostics).
const char* const* functionNames(size_t& count);

}  // namespace wisp::wasi
