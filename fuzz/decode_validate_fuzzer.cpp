// libFuzzer target: decode + validate arbitrary bytes. Any crash, sanitizer report,
// leak or timeout is a bug: hostile modules must only ever produce an Error.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "validator/module_validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  auto m = wisp::validator::decodeAndValidate(std::move(bytes));
  (void)m.ok();
  // The same bytes with every post-2.0 feature we decode must be handled as safely.
  std::vector<uint8_t> again(data, data + size);
  auto all = wisp::validator::decodeAndValidate(std::move(again), wisp::Features::all());
  (void)all.ok();
  return 0;
}
