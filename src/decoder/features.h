// Which post-2.0 proposals the decoder and validator accept. Defaults are plain 2.0.
#pragma once

namespace wisp {

struct Features {
  bool tailCall = false;
  bool extendedConst = false;
  bool multiMemory = false;
  bool memory64 = false;
  bool threads = false;

  static Features all() { return {true, true, true, true, true}; }
};

}  // namespace wisp
