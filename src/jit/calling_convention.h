// Where a function's parameters and results live under the wasm calling convention of
// a backend: registers first (per class), then stack slots.
#pragma once

#include <cstdint>
#include <vector>

#include "decoder/types.h"
#include "jit/registers.h"

namespace wisp::jit {

struct ValueLocation {
  bool inRegister = false;
  Reg reg;
  uint32_t stackOffset = 0;  // from the start of the stack argument area
};

/// Locations for one function type.
struct CallSignature {
  std::vector<ValueLocation> params;
  std::vector<ValueLocation> results;
  uint32_t stackParamBytes = 0;   // stack arguments, then
  uint32_t stackResultBytes = 0;  // stack results follow them
  uint32_t stackBytes() const { return stackParamBytes + stackResultBytes; }
};

inline uint32_t stackSlotSize(ValType t) { return t == ValType::V128 ? 16 : 8; }

/// Parameters: the first GP/FP parameters in the backend's parameter registers, the
/// rest in stack slots in order. Results: the first in the result register of its
/// class, the rest in stack slots after the stack parameters.
template <typename Masm>
CallSignature computeCallSignature(const FuncType& type) {
  CallSignature sig;
  uint32_t gp = 0, fp = 0, stack = 0;
  constexpr uint32_t kNumGP = sizeof(Masm::kParamGP) / sizeof(Reg);
  constexpr uint32_t kNumFP = sizeof(Masm::kParamFP) / sizeof(Reg);
  for (ValType t : type.params()) {
    ValueLocation loc;
    if (regClassOf(t) == RegClass::GP && gp < kNumGP) {
      loc.inRegister = true;
      loc.reg = Masm::kParamGP[gp++];
    } else if (regClassOf(t) == RegClass::FP && fp < kNumFP) {
      loc.inRegister = true;
      loc.reg = Masm::kParamFP[fp++];
    } else {
      loc.stackOffset = stack;
      stack += stackSlotSize(t);
    }
    sig.params.push_back(loc);
  }
  sig.stackParamBytes = stack;
  bool first = true;
  for (ValType t : type.results()) {
    ValueLocation loc;
    if (first) {
      loc.inRegister = true;
      loc.reg = regClassOf(t) == RegClass::GP ? Masm::kResultGP : Masm::kResultFP;
      first = false;
    } else {
      loc.stackOffset = stack;
      stack += stackSlotSize(t);
    }
    sig.results.push_back(loc);
  }
  sig.stackResultBytes = stack - sig.stackParamBytes;
  return sig;
}

}  // namespace wisp::jit
