// Stubs between the host (System V C ABI) and compiled code (wasm calling convention):
// entry stubs call a wasm function with arguments from a RawValue array; exit stubs
// let wasm code call a host callback; the unwind routine returns from the innermost
// entry stub after a trap. Frame layout of an entry stub, shared with the unwinder:
//   [rbp-8] context, [rbp-16..-48] rbx r12 r13 r14 r15, [rbp-56] values pointer.
#include <asmjit/x86.h>

#include "jit/calling_convention.h"
#include "jit/module_compiler.h"
#include "jit/x64/macro_assembler_x64.h"

namespace wisp::jit {

namespace a = asmjit::x86;
using Masm = x64::MacroAssembler;

namespace {

std::vector<uint8_t> assemble(const std::function<void(a::Assembler&)>& body) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  a::Assembler as(&code);
  body(as);
  const asmjit::CodeBuffer& buf = code.textSection()->buffer();
  return std::vector<uint8_t>(buf.data(), buf.data() + buf.size());
}

a::Gp gpFor(Reg r, ValType t) {
  return t == ValType::I32 ? a::Gp(a::gpd(r.id())) : a::Gp(a::gpq(r.id()));
}

void loadValue(a::Assembler& as, Reg dst, const a::Mem& src, ValType t) {
  a::Mem m = src;
  switch (t) {
    case ValType::I32:
      as.mov(a::gpd(dst.id()), m);
      break;
    case ValType::F32:
      as.movss(a::xmm(dst.id()), m);
      break;
    case ValType::F64:
      as.movsd(a::xmm(dst.id()), m);
      break;
    case ValType::V128:
      as.movups(a::xmm(dst.id()), m);
      break;
    default:
      as.mov(a::gpq(dst.id()), m);
      break;
  }
}
void storeValue(a::Assembler& as, const a::Mem& dst, Reg src, ValType t) {
  switch (t) {
    case ValType::F32:
      as.movss(dst, a::xmm(src.id()));
      break;
    case ValType::F64:
      as.movsd(dst, a::xmm(src.id()));
      break;
    case ValType::V128:
      as.movups(dst, a::xmm(src.id()));
      break;
    default:
      as.mov(dst, gpFor(src, t == ValType::I32 ? ValType::I64 : t));
      break;
  }
}
// Memory-to-memory copy of one value through the scratch registers.
void copyValue(a::Assembler& as, const a::Mem& dst, const a::Mem& src, ValType t) {
  if (t == ValType::V128) {
    as.movups(a::xmm15, src);
    as.movups(dst, a::xmm15);
  } else {
    as.mov(a::r11, src);
    as.mov(dst, a::r11);
  }
}

}  // namespace

std::vector<uint8_t> generateEntryStub(const FuncType& type) {
  const CallSignature sig = computeCallSignature<Masm>(type);
  return assemble([&](a::Assembler& as) {
    // rdi = ctx, rsi = code, rdx = values, rcx = EntryRecord*
    as.push(a::rbp);
    as.mov(a::rbp, a::rsp);
    as.push(a::rdi);
    as.push(a::rbx);
    as.push(a::r12);
    as.push(a::r13);
    as.push(a::r14);
    as.push(a::r15);
    as.push(a::rdx);
    as.mov(a::qword_ptr(a::rcx, offsetof(EntryRecord, savedSp)), a::rsp);
    const uint32_t area = (sig.stackBytes() + 15) & ~15u;
    as.sub(a::rsp, area + 8);  // 16-byte aligned at the call
    as.mov(a::r14, a::rdi);
    as.mov(a::r15, a::qword_ptr(a::r14, VMContextLayout::memoryBase()));
    as.mov(a::r10, a::rsi);  // not a parameter register, and copyValue uses r11
    as.mov(a::rax, a::rdx);
    const auto params = type.params();
    for (size_t i = 0; i < params.size(); i++) {
      if (!sig.params[i].inRegister) {
        copyValue(as, a::ptr(a::rsp, sig.params[i].stackOffset), a::ptr(a::rax, 16 * i), params[i]);
      }
    }
    for (size_t i = 0; i < params.size(); i++) {
      if (sig.params[i].inRegister)
        loadValue(as, sig.params[i].reg, a::ptr(a::rax, 16 * i), params[i]);
    }
    as.call(a::r10);
    as.mov(a::rcx, a::qword_ptr(a::rbp, -56));
    const auto results = type.results();
    for (size_t k = 0; k < results.size(); k++) {
      if (sig.results[k].inRegister) {
        storeValue(as, a::ptr(a::rcx, 16 * k), sig.results[k].reg, results[k]);
      } else {
        copyValue(as, a::ptr(a::rcx, 16 * k), a::ptr(a::rsp, sig.results[k].stackOffset),
                  results[k]);
      }
    }
    as.xor_(a::eax, a::eax);
    as.lea(a::rsp, a::ptr(a::rbp, -48));
    as.pop(a::r15);
    as.pop(a::r14);
    as.pop(a::r13);
    as.pop(a::r12);
    as.pop(a::rbx);
    as.mov(a::rsp, a::rbp);
    as.pop(a::rbp);
    as.ret();
  });
}

std::vector<uint8_t> generateUnwindRoutine() {
  return assemble([](a::Assembler& as) {
    // rdi = EntryRecord*: back to the entry stub's frame, returning 1.
    as.mov(a::rsp, a::qword_ptr(a::rdi, offsetof(EntryRecord, savedSp)));
    as.lea(a::rbp, a::ptr(a::rsp, 56));
    as.mov(a::eax, 1);
    as.lea(a::rsp, a::ptr(a::rbp, -48));
    as.pop(a::r15);
    as.pop(a::r14);
    as.pop(a::r13);
    as.pop(a::r12);
    as.pop(a::rbx);
    as.mov(a::rsp, a::rbp);
    as.pop(a::rbp);
    as.ret();
  });
}

std::vector<uint8_t> generateExitStub(const FuncType& type) {
  const CallSignature sig = computeCallSignature<Masm>(type);
  return assemble([&](a::Assembler& as) {
    // r14 = HostFuncData*; arguments per the wasm convention.
    as.push(a::rbp);
    as.mov(a::rbp, a::rsp);
    const uint32_t slots = std::max<uint32_t>(type.numParams, type.numResults());
    const uint32_t area = (16 * slots + 15) & ~15u;
    if (area) as.sub(a::rsp, area);
    const auto params = type.params();
    for (size_t i = 0; i < params.size(); i++) {
      if (sig.params[i].inRegister) {
        storeValue(as, a::ptr(a::rsp, 16 * i), sig.params[i].reg, params[i]);
      } else {
        copyValue(as, a::ptr(a::rsp, 16 * i),
                  a::ptr(a::rbp, Masm::kIncomingArgs + sig.params[i].stackOffset), params[i]);
      }
    }
    as.mov(a::rdi, a::r14);
    as.mov(a::rsi, a::qword_ptr(a::rbp));                      // caller's frame pointer
    as.mov(a::rsi, a::qword_ptr(a::rsi, Masm::kContextSlot));  // caller's context
    as.mov(a::rdx, a::rsp);
    as.call(a::qword_ptr(a::r14, offsetof(HostFuncData, callback)));
    const auto results = type.results();
    for (size_t k = 0; k < results.size(); k++) {
      if (sig.results[k].inRegister) {
        loadValue(as, sig.results[k].reg, a::ptr(a::rsp, 16 * k), results[k]);
      } else {
        copyValue(as, a::ptr(a::rbp, Masm::kIncomingArgs + sig.results[k].stackOffset),
                  a::ptr(a::rsp, 16 * k), results[k]);
      }
    }
    as.mov(a::rsp, a::rbp);
    as.pop(a::rbp);
    as.ret();
  });
}

}  // namespace wisp::jit

namespace wisp::jit {

std::vector<uint8_t> generateLazyCompileStub() {
  return assemble([](a::Assembler& as) {
    // Entered from a jump slot: r11d = function index, r14 = the callee's context,
    // arguments in the wasm convention's registers (and stack, left untouched).
    as.push(a::rbp);
    as.mov(a::rbp, a::rsp);
    as.sub(a::rsp, 176);  // 6 GP + 8 XMM argument registers; keeps 16-byte alignment
    const a::Gpq gpArgs[] = {a::rsi, a::rdi, a::rdx, a::rcx, a::r8, a::r9};
    for (int i = 0; i < 6; i++) as.mov(a::qword_ptr(a::rsp, 8 * i), gpArgs[i]);
    for (int i = 0; i < 8; i++) as.movups(a::ptr(a::rsp, 48 + 16 * i), a::xmm(i));
    as.mov(a::rdi, a::r14);
    as.mov(a::esi, a::r11d);
    as.call(a::qword_ptr(a::r14, VMContextLayout::helper(Helper::LazyCompile)));
    as.mov(a::r11, a::rax);
    for (int i = 0; i < 6; i++) as.mov(gpArgs[i], a::qword_ptr(a::rsp, 8 * i));
    for (int i = 0; i < 8; i++) as.movups(a::xmm(i), a::ptr(a::rsp, 48 + 16 * i));
    as.mov(a::rsp, a::rbp);
    as.pop(a::rbp);
    as.jmp(a::r11);
  });
}

}  // namespace wisp::jit
