// The table of wasi_snapshot_preview1 functions: name, core wasm signature (as lowered
// from witx: pointers, sizes, fds and small enums/flags are i32; u64/s64 values and
// rights are i64; every function but proc_exit returns an errno i32) and
// implementation, registered as raw host functions.
#include <array>
#include <iterator>

#include "wasi/functions.h"
#include "wasi/wasi.h"

namespace wisp::wasi {

namespace {

using namespace detail;

struct FunctionDef {
  const char* name;
  const char* params;  // 'i' = i32, 'I' = i64
  bool returnsErrno;
  runtime::RawHostCallback callback;
};

constexpr FunctionDef kFunctions[] = {
    {"args_get", "ii", true, thunk<argsGet>},
    {"args_sizes_get", "ii", true, thunk<argsSizesGet>},
    {"environ_get", "ii", true, thunk<environGet>},
    {"environ_sizes_get", "ii", true, thunk<environSizesGet>},
    {"clock_res_get", "ii", true, thunk<clockResGet>},
    {"clock_time_get", "iIi", true, thunk<clockTimeGet>},
    {"fd_advise", "iIIi", true, thunk<fdAdvise>},
    {"fd_allocate", "iII", true, thunk<fdAllocate>},
    {"fd_close", "i", true, thunk<fdClose>},
    {"fd_datasync", "i", true, thunk<fdDatasync>},
    {"fd_fdstat_get", "ii", true, thunk<fdFdstatGet>},
    {"fd_fdstat_set_flags", "ii", true, thunk<fdFdstatSetFlags>},
    {"fd_fdstat_set_rights", "iII", true, thunk<fdFdstatSetRights>},
    {"fd_filestat_get", "ii", true, thunk<fdFilestatGet>},
    {"fd_filestat_set_size", "iI", true, thunk<fdFilestatSetSize>},
    {"fd_filestat_set_times", "iIIi", true, thunk<fdFilestatSetTimes>},
    {"fd_pread", "iiiIi", true, thunk<fdPread>},
    {"fd_prestat_get", "ii", true, thunk<fdPrestatGet>},
    {"fd_prestat_dir_name", "iii", true, thunk<fdPrestatDirName>},
    {"fd_pwrite", "iiiIi", true, thunk<fdPwrite>},
    {"fd_read", "iiii", true, thunk<fdRead>},
    {"fd_readdir", "iiiIi", true, thunk<fdReaddir>},
    {"fd_renumber", "ii", true, thunk<fdRenumber>},
    {"fd_seek", "iIii", true, thunk<fdSeek>},
    {"fd_sync", "i", true, thunk<fdSync>},
    {"fd_tell", "ii", true, thunk<fdTell>},
    {"fd_write", "iiii", true, thunk<fdWrite>},
    {"path_create_directory", "iii", true, thunk<pathCreateDirectory>},
    {"path_filestat_get", "iiiii", true, thunk<pathFilestatGet>},
    {"path_filestat_set_times", "iiiiIIi", true, thunk<pathFilestatSetTimes>},
    {"path_link", "iiiiiii", true, thunk<pathLink>},
    {"path_open", "iiiiiIIii", true, thunk<pathOpen>},
    {"path_readlink", "iiiiii", true, thunk<pathReadlink>},
    {"path_remove_directory", "iii", true, thunk<pathRemoveDirectory>},
    {"path_rename", "iiiiii", true, thunk<pathRename>},
    {"path_symlink", "iiiii", true, thunk<pathSymlink>},
    {"path_unlink_file", "iii", true, thunk<pathUnlinkFile>},
    {"poll_oneoff", "iiii", true, thunk<pollOneoff>},
    {"proc_exit", "i", false, procExit},
    {"proc_raise", "i", true, thunk<procRaise>},
    {"sched_yield", "", true, thunk<schedYield>},
    {"random_get", "ii", true, thunk<randomGet>},
    {"sock_accept", "iii", true, thunk<sockAccept>},
    {"sock_recv", "iiiiii", true, thunk<sockRecv>},
    {"sock_send", "iiiii", true, thunk<sockSend>},
    {"sock_shutdown", "ii", true, thunk<sockShutdown>},
};

constexpr size_t kNumFunctions = std::size(kFunctions);

const char* const* names() {
  static const auto table = [] {
    std::array<const char*, kNumFunctions> t{};
    for (size_t i = 0; i < kNumFunctions; i++) t[i] = kFunctions[i].name;
    return t;
  }();
  return table.data();
}

}  // namespace

namespace {
void define(runtime::Linker& linker, const FunctionDef& f) {
  FuncType type;
  for (const char* p = f.params; *p; p++)
    type.types.push_back(*p == 'I' ? ValType::I64 : ValType::I32);
  type.numParams = static_cast<uint32_t>(type.types.size());
  if (f.returnsErrno) type.types.push_back(ValType::I32);
  linker.defineRawFunction(kModuleName, f.name, type, f.callback, nullptr);
}
}  // namespace

void addToLinker(runtime::Linker& linker) {
  for (const FunctionDef& f : kFunctions) define(linker, f);
}

void addToLinker(runtime::Linker& linker, const runtime::Module& module) {
  bool defined[kNumFunctions] = {};
  for (const decoder::Import& im : module.decl().imports) {
    if (im.kind != ExternKind::Func || im.module != kModuleName) continue;
    for (size_t i = 0; i < kNumFunctions; i++) {
      if (im.name != kFunctions[i].name) continue;
      if (!defined[i]) define(linker, kFunctions[i]);
      defined[i] = true;
      break;
    }
  }
}

const char* const* functionNames(size_t& count) {
  count = kNumFunctions;
  return names();
}

}  // namespace wisp::wasi
